"""Monthly node provider rewards on the NNS, through Candid, against the IC's rules:
rs/nns/governance/src/governance.rs (`get_monthly_node_provider_rewards`,
`get_node_provider_reward`, `mint_monthly_node_provider_rewards`,
`is_time_to_mint_monthly_node_provider_rewards`, `update_node_provider`),
rs/nns/governance/src/node_provider_rewards.rs (`list_node_provider_rewards`) and the registry's
rs/registry/canister/src/get_node_providers_monthly_xdr_rewards.rs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from nns.governance.actions import NodeProvider
from nns.governance.enums import ErrorType, ProposalStatus
from nns.governance.node_provider_rewards import (
    NODE_PROVIDER_REWARD_PERIOD_SECONDS,
    DateRangeFilter,
    XdrConversionRate,
    compute_monthly_node_provider_rewards,
    is_time_to_mint,
    select_rewards,
)
from nns.governance.parameters import Durations, NetworkEconomics
from nns.ledger.accounts import AccountIdentifier
from replica.canister.nns_ids import (
    GOVERNANCE_CANISTER_ID,
    LEDGER_CANISTER_ID,
    REGISTRY_CANISTER_ID,
)
from replica.execution.harness import SubnetHarness
from replica.presets import MAINNET
from replica.types import Principal
from tests.nns.test_cycles_minting import set_rate
from tests.nns.test_nns_on_a_subnet import ALICE, E8S, configure, make_nns, manage, stake

PROVIDER = Principal.self_authenticating(b"node provider")
OTHER_PROVIDER = Principal.self_authenticating(b"other node provider")
RATE = 50_000  # 5 XDR per ICP
TYPE0_RATE = 4_000_000  # 400 XDR per node and month


def propose(harness: SubnetHarness, neuron: int, action: dict[str, Any]) -> int:
    request = {"url": "", "title": "node providers", "summary": "", "action": action}
    made = manage(harness, ALICE, neuron, {"MakeProposal": request})
    proposal_id: int = made["MakeProposal"]["proposal_id"]["id"]
    for _ in range(4):
        harness.run_round()
    return proposal_id


def status(harness: SubnetHarness, proposal_id: int) -> tuple[int, Any]:
    (info,) = harness.query(ALICE, GOVERNANCE_CANISTER_ID, "get_proposal_info", proposal_id)
    return info["status"], info["failure_reason"]


def registry_call(harness: SubnetHarness, method: str, payload: dict[str, Any]) -> None:
    harness.call(GOVERNANCE_CANISTER_ID, REGISTRY_CANISTER_ID, method, payload)


def balance(harness: SubnetHarness, account: AccountIdentifier) -> int:
    (tokens,) = harness.query(
        ALICE, LEDGER_CANISTER_ID, "account_balance", {"account": account.raw}
    )
    e8s: int = tokens["e8s"]
    return e8s


@pytest.fixture
def nns(tmp_path: Path) -> tuple[SubnetHarness, int]:
    """Two node providers known to governance; the registry rates type0 nodes in Europe and
    PROVIDER runs 3 of them in Zurich; the CMC's rate is 5 XDR per ICP."""
    harness = make_nns(tmp_path)
    neuron = stake(harness, ALICE, 100, 1)
    manage(
        harness,
        ALICE,
        neuron,
        configure({"IncreaseDissolveDelay": {"additional_dissolve_delay_seconds": 20_000}}),
    )
    for provider in (PROVIDER, OTHER_PROVIDER):
        added = propose(
            harness,
            neuron,
            {
                "AddOrRemoveNodeProvider": {
                    "change": {"ToAdd": {"id": provider, "reward_account": None}}
                }
            },
        )
        assert status(harness, added)[0] == ProposalStatus.EXECUTED
    assert set_rate(harness, RATE, 1_000) == {"Ok": None}
    return harness, neuron


def configure_registry(harness: SubnetHarness) -> None:
    """The node rewards table, a data center and an operator of PROVIDER; the genesis operators
    move into that data center (the IC refuses to compute rewards for an operator without one)."""
    registry_call(
        harness,
        "add_or_remove_data_centers",
        {
            "data_centers_to_add": [
                {"id": "zh1", "region": "Europe,CH,Zurich", "owner": "o", "gps": None}
            ],
            "data_centers_to_remove": [],
        },
    )
    registry = harness.engine.canisters[REGISTRY_CANISTER_ID].instance
    for key in registry.registry.keys("node_operator_record_"):  # type: ignore[attr-defined]
        operator = registry.registry.get(key)  # type: ignore[attr-defined]
        registry_call(
            harness,
            "update_node_operator_config",
            {
                "node_operator_id": operator.node_operator_principal_id, "node_allowance": None,
                "dc_id": "zh1", "node_provider_id": None, "ipv6": None, "set_ipv6_to_none": None,
                "rewardable_nodes": [], "max_rewardable_nodes": None,
            },
        )  # fmt: skip
    registry_call(
        harness,
        "add_node_operator",
        {
            "node_operator_principal_id": PROVIDER, "node_provider_principal_id": PROVIDER,
            "node_allowance": 0, "dc_id": "zh1", "ipv6": None,
            "rewardable_nodes": [("type0", 3)], "max_rewardable_nodes": None,
        },
    )  # fmt: skip
    table = {
        "new_entries": [
            (
                "Europe",
                {
                    "rates": [
                        (
                            "type0",
                            {
                                "xdr_permyriad_per_node_per_month": TYPE0_RATE,
                                "reward_coefficient_percent": None,
                            },
                        )
                    ]
                },
            )
        ]
    }
    registry_call(harness, "update_node_rewards_table", table)


def monthly(harness: SubnetHarness) -> dict[str, Any]:
    (reply,) = harness.call(ALICE, GOVERNANCE_CANISTER_ID, "get_monthly_node_provider_rewards")
    return dict(reply)


def test_the_monthly_rewards_convert_each_providers_xdr_at_the_average_rate(
    nns: tuple[SubnetHarness, int],
) -> None:
    harness, _ = nns
    refused = monthly(harness)["Err"]
    assert refused["error_type"] == ErrorType.EXTERNAL
    assert "Node Rewards Table was not found" in refused["error_message"]
    configure_registry(harness)
    month = monthly(harness)["Ok"]
    (economics,) = harness.query(ALICE, GOVERNANCE_CANISTER_ID, "get_network_economics_parameters")
    assert month["minimum_xdr_permyriad_per_icp"] == economics["minimum_icp_xdr_rate"] * 100
    assert month["xdr_conversion_rate"] == {
        "xdr_permyriad_per_icp": RATE,
        "timestamp_seconds": 1_000,
    }
    rate = max(RATE, economics["minimum_icp_xdr_rate"] * 100)
    by_provider = {r["node_provider"]["id"]: r for r in month["rewards"]}
    assert by_provider[PROVIDER]["amount_e8s"] == 3 * TYPE0_RATE * E8S // rate
    assert by_provider[PROVIDER]["reward_mode"] == {
        "RewardToAccount": {"to_account": {"hash": AccountIdentifier.of(PROVIDER).raw}}
    }
    assert by_provider[OTHER_PROVIDER]["amount_e8s"] == 0  # no nodes: rewarded 0, still listed
    assert [p["id"] for p in month["node_providers"]] == [PROVIDER, OTHER_PROVIDER]
    assert (
        month["maximum_node_provider_rewards_e8s"] == economics["maximum_node_provider_rewards_e8s"]
    )
    # Asking mints nothing and records nothing.
    assert balance(harness, AccountIdentifier.of(PROVIDER)) == 0
    assert harness.query(
        ALICE, GOVERNANCE_CANISTER_ID, "get_most_recent_monthly_node_provider_rewards"
    ) == [None]


def test_a_reward_node_providers_proposal_mints_the_month_and_the_periodic_task_the_next(
    nns: tuple[SubnetHarness, int],
) -> None:
    harness, neuron = nns
    configure_registry(harness)
    (economics,) = harness.query(ALICE, GOVERNANCE_CANISTER_ID, "get_network_economics_parameters")
    expected = 3 * TYPE0_RATE * E8S // max(RATE, economics["minimum_icp_xdr_rate"] * 100)
    # No month was minted yet: the periodic task (at every round's heartbeat) waits for a first
    # proposal.
    assert not is_time_to_mint(None, 10 * NODE_PROVIDER_REWARD_PERIOD_SECONDS)
    for _ in range(3):
        harness.run_round()
    assert balance(harness, AccountIdentifier.of(PROVIDER)) == 0
    proposal = propose(
        harness,
        neuron,
        {"RewardNodeProviders": {"use_registry_derived_rewards": True, "rewards": []}},
    )
    assert status(harness, proposal) == (ProposalStatus.EXECUTED, None)
    assert balance(harness, AccountIdentifier.of(PROVIDER)) == expected
    (recent,) = harness.query(
        ALICE, GOVERNANCE_CANISTER_ID, "get_most_recent_monthly_node_provider_rewards"
    )
    assert recent is not None and recent["registry_version"] is not None
    first_timestamp = recent["timestamp"]
    governance = harness.engine.canisters[GOVERNANCE_CANISTER_ID].instance
    month_seconds = governance.core.durations.one_month_seconds  # type: ignore[attr-defined]
    assert month_seconds <= NODE_PROVIDER_REWARD_PERIOD_SECONDS  # the preset may scale the month
    # Not a month later yet: nothing.
    harness.advance(month_seconds // 2)
    for _ in range(3):
        harness.run_round()
    assert balance(harness, AccountIdentifier.of(PROVIDER)) == expected
    # A month after the last minting the periodic task mints the next month, once.
    harness.advance(month_seconds // 2 + 1)
    for _ in range(6):
        harness.run_round()
    assert balance(harness, AccountIdentifier.of(PROVIDER)) == 2 * expected
    (listed,) = harness.query(
        ALICE, GOVERNANCE_CANISTER_ID, "list_node_provider_rewards", {"date_filter": None}
    )
    timestamps = [month["timestamp"] for month in listed["rewards"]]
    assert (
        len(timestamps) == 2
        and timestamps[1] == first_timestamp
        and timestamps[0] > first_timestamp
    )
    (filtered,) = harness.query(
        ALICE,
        GOVERNANCE_CANISTER_ID,
        "list_node_provider_rewards",
        {
            "date_filter": {
                "start_timestamp_seconds": None,
                "end_timestamp_seconds": first_timestamp,
            }
        },
    )
    assert [month["timestamp"] for month in filtered["rewards"]] == [first_timestamp]


def test_a_node_provider_sets_its_reward_account(nns: tuple[SubnetHarness, int]) -> None:
    harness, _ = nns

    def update(who: Principal, account: bytes | None) -> dict[str, Any]:
        argument = {"reward_account": None if account is None else {"hash": account}}
        (reply,) = harness.call(who, GOVERNANCE_CANISTER_ID, "update_node_provider", argument)
        return dict(reply)

    target = AccountIdentifier.of(Principal.self_authenticating(b"cold wallet"))
    unknown = update(ALICE, target.raw)["Err"]
    assert unknown["error_type"] == ErrorType.NOT_FOUND
    assert unknown["error_message"] == f"Node Provider {ALICE} is not known by the NNS"
    missing = update(PROVIDER, None)["Err"]
    assert (missing["error_type"], missing["error_message"]) == (
        ErrorType.PRECONDITION_FAILED,
        "reward_account not specified",
    )
    short = update(PROVIDER, target.raw[4:])["Err"]
    assert short["error_type"] == ErrorType.PRECONDITION_FAILED
    assert (
        "Invalid reward_account" in short["error_message"]
        and "must be 32 bytes long" in short["error_message"]
    )
    bad_checksum = update(PROVIDER, bytes(32))["Err"]
    assert "account identifier is not valid" in bad_checksum["error_message"]
    assert update(PROVIDER, target.raw) == {"Ok": None}
    (mine,) = harness.query(PROVIDER, GOVERNANCE_CANISTER_ID, "get_node_provider_by_caller", None)
    assert mine == {"Ok": {"id": PROVIDER, "reward_account": {"hash": target.raw}}}
    # The month's reward then goes to that account.
    configure_registry(harness)
    month = monthly(harness)["Ok"]
    (reward,) = [r for r in month["rewards"] if r["node_provider"]["id"] == PROVIDER]
    assert reward["reward_mode"] == {"RewardToAccount": {"to_account": {"hash": target.raw}}}


def test_the_rate_is_never_below_the_economics_minimum_and_the_list_keeps_24_months() -> None:
    """get_monthly_node_provider_rewards: rate = max(average, minimum_icp_xdr_rate × 100);
    get_node_provider_reward: e8s = xdr_permyriad × 10^8 / rate, rounded down."""
    economics = NetworkEconomics.default(Durations.of(MAINNET))
    minimum = economics.minimum_icp_xdr_rate * 100
    month = compute_monthly_node_provider_rewards(
        providers=(NodeProvider(id=PROVIDER), NodeProvider(id=None)),
        xdr_rewards={PROVIDER: 1_000_001},
        registry_version=7,
        average_rate=XdrConversionRate(timestamp_seconds=5, xdr_permyriad_per_icp=minimum - 1),
        economics=economics,
        now_seconds=99,
    )
    (reward,) = month.rewards
    assert reward.amount_e8s == 1_000_001 * E8S // minimum
    assert month.xdr_conversion_rate.xdr_permyriad_per_icp == minimum - 1  # the average, as read
    months = [replace(month, timestamp=t) for t in range(30)]
    listed = select_rewards(months, None)
    assert [m.timestamp for m in listed] == list(range(29, 5, -1))
    window = DateRangeFilter(start_timestamp_seconds=3, end_timestamp_seconds=5)
    assert [m.timestamp for m in select_rewards(months, window)] == [5, 4, 3]
