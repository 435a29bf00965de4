"""Node provider rewards from the node rewards table, against the IC's own cases
(rs/registry/canister/src/get_node_providers_monthly_xdr_rewards.rs tests;
rs/registry/node_provider_rewards/src/lib.rs calculate_rewards_v0)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from registry.errors import InvalidPayload
from registry.node_rewards import (
    NodeRewardRate,
    NodeRewardsTable,
    UpdateNodeRewardsTableProposalPayload,
    compute_rewards_per_node_provider,
)
from registry.records import DataCenterRecord, NodeOperatorRecord, node_operator_record_key
from registry.requests import AddNodeOperatorPayload, AddOrRemoveDataCentersProposalPayload
from registry.store import upsert
from replica.types import Principal
from tests.registry.world import GOVERNANCE, make_registry

NP1 = Principal.self_authenticating(b"np1")
NP2 = Principal.self_authenticating(b"np2")


def rates(**by_type: tuple[int, int | None]) -> tuple[tuple[str, NodeRewardRate], ...]:
    return tuple(
        (
            node_type,
            NodeRewardRate(xdr_permyriad_per_node_per_month=x, reward_coefficient_percent=c),
        )
        for node_type, (x, c) in sorted(by_type.items())
    )


def payload(
    **regions: tuple[tuple[str, NodeRewardRate], ...],
) -> UpdateNodeRewardsTableProposalPayload:
    return UpdateNodeRewardsTableProposalPayload(new_entries=tuple(regions.items()))


def operator(provider: Principal, dc_id: str, **nodes: int) -> tuple[str, NodeOperatorRecord]:
    record = NodeOperatorRecord(
        node_operator_principal_id=provider,
        node_provider_principal_id=provider,
        node_allowance=0,
        dc_id=dc_id,
        rewardable_nodes=tuple(sorted(nodes.items())),
    )
    return node_operator_record_key(provider), record


DCS = {
    "ny1": DataCenterRecord(id="ny1", region="North America,US,NY", owner="a"),
    "zh3": DataCenterRecord(id="zh3", region="Europe,CH,Zurich", owner="b"),
}


def test_a_rate_comes_from_the_most_specific_region_that_rates_the_node_type() -> None:
    """test_get_node_providers_monthly_xdr_rewards_gen1: NP1 gets 4 type0 at the NY rate and one
    type2 at the US rate; NP2 11 type0 and 7 type2 at the Europe rates; without any rate, 1 per
    node."""
    operators = sorted(
        [operator(NP1, "ny1", type0=4, type2=1), operator(NP2, "zh3", type0=11, type2=7)]
    )
    empty = NodeRewardsTable().extended({"North America,US": {}})
    assert compute_rewards_per_node_provider(empty, operators, DCS) == {NP1: 5, NP2: 18}
    table = NodeRewardsTable().extended(
        {
            "North America,US,NY": {"type0": NodeRewardRate(xdr_permyriad_per_node_per_month=240)},
            "North America,US": {
                "type0": NodeRewardRate(xdr_permyriad_per_node_per_month=677),
                "type2": NodeRewardRate(xdr_permyriad_per_node_per_month=456),
            },
            "North America": {"type0": NodeRewardRate(xdr_permyriad_per_node_per_month=801)},
            "Europe": {
                "type0": NodeRewardRate(xdr_permyriad_per_node_per_month=68),
                "type2": NodeRewardRate(xdr_permyriad_per_node_per_month=11),
            },
        }
    )
    assert compute_rewards_per_node_provider(table, operators, DCS) == {
        NP1: 4 * 240 + 456,
        NP2: 11 * 68 + 7 * 11,
    }


def test_type3_rewards_shrink_by_the_coefficient_per_node_in_one_country() -> None:
    """calculate_rewards_v0: the n-th type3 node of a provider in a continent and country earns
    rate × coefficient^(n-1), truncated per node; the coefficient carries over to the provider's
    next operator in the same country; 80% when the rate names none."""
    dcs = {
        "zh3": DataCenterRecord(id="zh3", region="Europe,CH,Zurich", owner="a"),
        "ge1": DataCenterRecord(id="ge1", region="Europe,CH,Geneva", owner="a"),
    }
    table = NodeRewardsTable().extended(
        {
            "Europe": {
                "type3": NodeRewardRate(
                    xdr_permyriad_per_node_per_month=1_000, reward_coefficient_percent=70
                )
            }
        }
    )
    first = operator(NP1, "zh3", type3=3)
    second = (node_operator_record_key(NP2), NodeOperatorRecord(
        node_operator_principal_id=NP2, node_provider_principal_id=NP1, node_allowance=0,
        dc_id="ge1", rewardable_nodes=(("type3", 2),),
    ))  # fmt: skip
    operators = sorted([first, second])
    expected_rates = [1_000, 700, 489, 342, 240]  # int(1000 × 0.7^n), the coefficient in floats
    assert compute_rewards_per_node_provider(table, operators, dcs) == {NP1: sum(expected_rates)}
    default = NodeRewardsTable().extended(
        {"Europe": {"type3": NodeRewardRate(xdr_permyriad_per_node_per_month=1_000)}}
    )
    assert compute_rewards_per_node_provider(default, [first], dcs) == {NP1: 1_000 + 800 + 640}


def test_an_operator_whose_data_center_is_missing_fails_the_computation() -> None:
    with pytest.raises(InvalidPayload, match="has data center ID 'xx1' not found in the Registry"):
        compute_rewards_per_node_provider(NodeRewardsTable(), [operator(NP1, "xx1", type0=1)], DCS)


def test_the_registry_extends_its_table_and_answers_each_providers_rewards_at_a_version() -> None:
    world = make_registry(unassigned=0)
    registry = world.registry
    with pytest.raises(InvalidPayload, match="Node Rewards Table was not found"):
        registry.get_node_providers_monthly_xdr_rewards(GOVERNANCE, None)
    registry.update_node_rewards_table(GOVERNANCE, payload(Europe=rates(type0=(68, None))))
    # The genesis node operators have no data center: the IC refuses to compute then.
    with pytest.raises(InvalidPayload, match="not found in the Registry"):
        registry.get_node_providers_monthly_xdr_rewards(GOVERNANCE, None)
    for key in registry.registry.keys("node_operator_record_"):
        record = registry.registry.get(key)
        registry.apply([upsert(key, replace(record, dc_id="zh3"))])
    registry.add_or_remove_data_centers(
        GOVERNANCE,
        AddOrRemoveDataCentersProposalPayload(
            data_centers_to_add=(DCS["zh3"],), data_centers_to_remove=()
        ),
    )
    registry.add_node_operator(
        GOVERNANCE,
        AddNodeOperatorPayload(
            node_operator_principal_id=NP1, node_provider_principal_id=NP1, node_allowance=2,
            dc_id="zh3", rewardable_nodes=(("type0", 3), ("type2", 1)),
        ),
    )  # fmt: skip
    before, version = registry.get_node_providers_monthly_xdr_rewards(GOVERNANCE, None)
    assert dict(before)[NP1] == 3 * 68 + 1  # no type2 rate anywhere: 1
    registry.update_node_rewards_table(GOVERNANCE, payload(Europe=rates(type2=(11, None))))
    after, _ = registry.get_node_providers_monthly_xdr_rewards(GOVERNANCE, None)
    assert dict(after)[NP1] == 3 * 68 + 11  # extended: the type0 rate stays
    assert registry.get_node_providers_monthly_xdr_rewards(GOVERNANCE, version) == (before, version)
