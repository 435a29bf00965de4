"""Nakamoto coefficients and the choice of a replacement node, on hand-computed examples.

The coefficient is dre's (dfinity/dre rs/decentralization/src/nakamoto/mod.rs,
`NakamotoScore::nakamoto`): the fewest actors whose nodes exceed n // 3.
"""

from __future__ import annotations

import math

import pytest

from registry.decentralization import (
    UNKNOWN,
    NodeAttributes,
    choose_replacement,
    compute_nakamoto_coefficient,
    compute_nakamoto_score,
    get_node_attributes,
)
from registry.records import DataCenterRecord
from registry.requests import (
    AddNodeOperatorPayload,
    AddOrRemoveDataCentersProposalPayload,
    UpdateNodeOperatorConfigPayload,
)
from replica.types import Principal
from tests.registry.world import GOVERNANCE, make_registry


def node(
    name: str, provider: str, dc: str, *, owner: str = "", region: str = "eu"
) -> NodeAttributes:
    return NodeAttributes(
        node_id=Principal.self_authenticating(name.encode()),
        node_provider=provider,
        node_operator=f"op-{provider}",
        data_center=dc,
        data_center_owner=owner or f"owner-{dc}",
        region=region,
    )


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([], 0),
        ([1], 1),  # n = 1 tolerates 0: one actor is enough
        ([1, 1, 1, 1], 2),  # n = 4 tolerates 1: two distinct actors exceed it
        ([2, 1, 1], 1),  # one actor holds 2 > 1
        ([1] * 13, 5),  # n = 13 tolerates 4: five single-node actors
        ([4, 4, 4, 1], 2),  # 4 is not > 4, 4 + 4 is
        ([3, 2, 1, 1], 1),  # n = 7 tolerates 2: 3 > 2
        ([2, 2, 1, 1, 1], 2),  # n = 7: 2, then 2 + 2 = 4 > 2
    ],
)
def test_nakamoto_coefficient_by_hand(counts: list[int], expected: int) -> None:
    assert compute_nakamoto_coefficient(counts) == expected


def test_score_of_a_four_node_subnet() -> None:
    members = [
        node("a", "p1", "dc1"),
        node("b", "p1", "dc2"),
        node("c", "p2", "dc3"),
        node("d", "p3", "dc4"),
    ]
    score = compute_nakamoto_score(members)
    # providers p1:2 p2:1 p3:1 -> p1 alone holds 2 > 4 // 3 = 1
    assert score.coefficient("node_provider") == 1
    assert score.coefficient("node_operator") == 1
    # four distinct data centers (and owners) -> two are needed
    assert score.coefficient("data_center") == 2
    assert score.coefficient("data_center_owner") == 2
    assert score.coefficient("region") == 1  # all in "eu"
    assert score.minimum == 1
    assert score.average_log2 == pytest.approx((0 + 0 + 1 + 1 + 0) / 5)
    assert score.actors_of("node_provider") == (("p1", 2), ("p2", 1), ("p3", 1))
    assert score.controlled_by_top_actors("node_provider") == 2
    assert compute_nakamoto_score([]).average_log2 == -math.inf


def test_replacement_keeps_every_coefficient_and_prefers_fewer_nodes_per_provider() -> None:
    a, b, c, d = (
        node("a", "p1", "dc1"),
        node("b", "p1", "dc2"),
        node("c", "p2", "dc3"),
        node("d", "p3", "dc4"),
    )
    same_provider = node("e", "p1", "dc5")  # providers p1:3 -> 1; dcs distinct -> 2: keeps
    same_dc = node("f", "p4", "dc1")  # dc1 twice -> data center 1 < 2: lowers
    fresh = node("g", "p4", "dc6")  # p1:2 -> 1; dcs distinct -> 2: keeps, p1 controls 2 not 3
    choice = choose_replacement([a, b, c, d], d.node_id, [same_provider, same_dc, fresh])
    assert choice.chosen is not None
    assert choice.chosen.candidate == fresh
    by_id = {score.candidate.node_id: score for score in choice.candidates}
    assert by_id[same_dc.node_id].keeps_decentralization is False
    assert by_id[same_dc.node_id].after.coefficient("data_center") == 1
    assert by_id[same_provider.node_id].keeps_decentralization is True
    assert by_id[same_provider.node_id].after.controlled_by_top_actors("node_provider") == 3
    assert choice.to_json()["added"] == fresh.node_id.to_text()
    assert choice.to_json()["before"]["nakamoto"]["data_center"] == 2


def test_replacement_that_improves_the_provider_coefficient_wins() -> None:
    # seven members: providers p1:3 p2:2 p3:1 p4:1 -> 3 > 7 // 3 = 2: coefficient 1
    members = [
        node("m1", "p1", "d1", region="r1"),
        node("m2", "p1", "d2", region="r2"),
        node("m3", "p1", "d3", region="r3"),
        node("m4", "p2", "d4", region="r4"),
        node("m5", "p2", "d5", region="r5"),
        node("m6", "p3", "d6", region="r6"),
        node("m7", "p4", "d7", region="r7"),
    ]
    before = compute_nakamoto_score(members)
    assert before.coefficient("node_provider") == 1
    assert before.coefficient("data_center") == 3  # seven distinct: 3 > 2
    dead = members[0].node_id
    keeps_p1 = node("x", "p1", "d8", region="r8")  # p1 stays at 3: provider 1
    new_provider = node("y", "p5", "d9", region="r9")  # p1:2 p2:2 ...: 2 + 2 > 2: provider 2
    choice = choose_replacement(members, dead, [keeps_p1, new_provider])
    assert choice.chosen is not None and choice.chosen.candidate == new_provider
    assert choice.chosen.after.coefficient("node_provider") == 2
    assert choice.chosen.after.minimum == 2 > before.minimum


def test_no_replacement_when_every_candidate_lowers_a_coefficient_or_none_exists() -> None:
    members = [
        node("a", "p1", "dc1"),
        node("b", "p2", "dc2"),
        node("c", "p3", "dc3"),
        node("d", "p4", "dc4"),
    ]
    crowded = node("e", "p1", "dc1")  # provider and data center 1 < 2
    choice = choose_replacement(members, members[3].node_id, [crowded])
    assert choice.chosen is None
    assert "lower" in choice.reason
    assert choose_replacement(members, members[3].node_id, []).reason.startswith("no unassigned")
    stranger = Principal.self_authenticating(b"stranger")
    assert choose_replacement(members, stranger, [crowded]).chosen is None


def test_ties_go_to_the_smaller_node_id_and_members_are_never_candidates() -> None:
    members = [
        node("a", "p1", "dc1"),
        node("b", "p2", "dc2"),
        node("c", "p3", "dc3"),
        node("d", "p4", "dc4"),
    ]
    twins = [node("t1", "p5", "dc5"), node("t2", "p6", "dc6")]
    choice = choose_replacement(members, members[0].node_id, [*twins, members[1]])
    assert choice.chosen is not None
    assert choice.chosen.candidate.node_id.to_text() == min(t.node_id.to_text() for t in twins)
    assert all(score.candidate != members[1] for score in choice.candidates)


def test_unknown_attributes_count_as_one_actor() -> None:
    blank = [NodeAttributes(node_id=Principal.self_authenticating(bytes([i]))) for i in range(4)]
    score = compute_nakamoto_score(blank)
    assert score.actors_of("data_center") == ((UNKNOWN, 4),)
    assert score.coefficient("data_center") == 1


def test_attributes_are_read_from_the_registry() -> None:
    world = make_registry()
    operator = Principal.self_authenticating(b"operator-x")
    provider = Principal.self_authenticating(b"provider-x")
    world.registry.add_or_remove_data_centers(
        GOVERNANCE,
        AddOrRemoveDataCentersProposalPayload(
            data_centers_to_add=(DataCenterRecord(id="zh1", region="europe,ch", owner="Green"),)
        ),
    )
    world.registry.add_node_operator(
        GOVERNANCE,
        AddNodeOperatorPayload(
            node_operator_principal_id=operator,
            node_provider_principal_id=provider,
            node_allowance=1,
            dc_id="zh1",
        ),
    )
    client = world.client()
    genesis_node = world.unassigned[0]
    plain = get_node_attributes(client, genesis_node)
    assert plain.data_center is None and plain.actor("data_center") == UNKNOWN
    record = client.get_node_record(genesis_node)
    assert record is not None
    genesis_operator = record.node_operator_id
    assert plain.node_operator == genesis_operator.to_text()
    world.registry.update_node_operator_config(
        GOVERNANCE, UpdateNodeOperatorConfigPayload(node_operator_id=genesis_operator, dc_id="zh1")
    )
    client.sync()
    placed = get_node_attributes(client, genesis_node)
    assert (placed.data_center, placed.data_center_owner, placed.region) == (
        "zh1",
        "Green",
        "europe,ch",
    )
    assert get_node_attributes(client, genesis_node, 1).data_center is None  # at genesis
    assert get_node_attributes(client, Principal.self_authenticating(b"none")).node_operator is None
