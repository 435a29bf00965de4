"""Replacement decisions: the best candidate, no duplicate while a proposal is open, rate limits."""

from __future__ import annotations

from typing import Any

from registry.decentralization import NodeAttributes
from replica.types import Principal
from tui.monitor.health import DeadNode
from tui.monitor.planner import Decision, OpenReplacement, RateLimit, plan_replacements

APP = Principal.self_authenticating(b"app")
OTHER = Principal.self_authenticating(b"other")


def node(name: str, provider: str, dc: str) -> NodeAttributes:
    return NodeAttributes(
        node_id=Principal.self_authenticating(name.encode()),
        node_provider=provider,
        node_operator=provider,
        data_center=dc,
        data_center_owner=dc,
        region="eu",
    )


MEMBERS = [
    node("a", "p1", "d1"),
    node("b", "p1", "d2"),
    node("c", "p2", "d3"),
    node("d", "p3", "d4"),
]
OTHER_MEMBERS = [
    node("w", "p1", "d1"),
    node("x", "p2", "d2"),
    node("y", "p3", "d3"),
    node("z", "p4", "d4"),
]
SPARE_SAME_PROVIDER = node("s1", "p1", "d5")
SPARE_NEW_PROVIDER = node("s2", "p9", "d9")


def dead(attributes: NodeAttributes, subnet: Principal = APP, since: float = 0.0) -> DeadNode:
    return DeadNode(
        node_id=attributes.node_id, subnet_id=subnet, unhealthy_since_s=since, last_error=None
    )


def plan(**overrides: Any) -> list[Decision]:
    arguments: dict[str, Any] = {
        "now_s": 1000.0,
        "dead": [dead(MEMBERS[3])],
        "members": {APP: MEMBERS, OTHER: OTHER_MEMBERS},
        "unassigned": [SPARE_SAME_PROVIDER, SPARE_NEW_PROVIDER],
        "open_proposals": [],
        "filed_at_s": [],
        "limit": RateLimit(max_proposals=2, window_s=600, max_open_per_subnet=1),
    }
    arguments.update(overrides)
    return plan_replacements(**arguments)


def test_files_the_replacement_that_keeps_decentralization_best() -> None:
    (decision,) = plan()
    assert decision.kind == "file"
    assert decision.added == SPARE_NEW_PROVIDER.node_id
    assert decision.choice is not None and decision.choice.before.coefficient("node_provider") == 1


def test_never_a_second_proposal_for_a_node_an_open_proposal_replaces() -> None:
    open_one = OpenReplacement(
        proposal_id=7,
        subnet_id=APP,
        added=(SPARE_NEW_PROVIDER.node_id,),
        removed=(MEMBERS[3].node_id,),
    )
    (decision,) = plan(open_proposals=[open_one])
    assert (decision.kind, decision.proposal_id) == ("already_open", 7)


def test_one_open_replacement_per_subnet_and_reserved_candidates() -> None:
    open_one = OpenReplacement(
        proposal_id=7,
        subnet_id=APP,
        added=(SPARE_NEW_PROVIDER.node_id,),
        removed=(MEMBERS[2].node_id,),
    )
    (busy,) = plan(open_proposals=[open_one])
    assert busy.kind == "subnet_busy"
    # in another subnet the node named by the open proposal is not offered again
    (other,) = plan(open_proposals=[open_one], dead=[dead(OTHER_MEMBERS[0], OTHER)])
    assert other.kind == "file" and other.added == SPARE_SAME_PROVIDER.node_id


def test_two_dead_nodes_in_two_subnets_get_two_different_replacements() -> None:
    first, second = plan(dead=[dead(MEMBERS[3]), dead(OTHER_MEMBERS[0], OTHER, since=5)])
    assert (first.kind, second.kind) == ("file", "file")
    assert first.added != second.added


def test_rate_limit_counts_proposals_in_the_window_including_this_plan() -> None:
    (limited,) = plan(filed_at_s=[500.0, 900.0])
    assert limited.kind == "rate_limited"
    (allowed,) = plan(filed_at_s=[300.0, 900.0])  # 300 is outside the 600 s window
    assert allowed.kind == "file"
    first, second = plan(
        dead=[dead(MEMBERS[3]), dead(OTHER_MEMBERS[0], OTHER, since=5)], filed_at_s=[900.0]
    )
    assert (first.kind, second.kind) == ("file", "rate_limited")


def test_no_candidate_that_keeps_decentralization() -> None:
    crowded = node("s3", "p2", "d3")  # would double p2 and d3 in OTHER's data centers
    (decision,) = plan(dead=[dead(OTHER_MEMBERS[3], OTHER)], unassigned=[crowded])
    assert decision.kind == "no_candidate"
    assert "lower" in decision.reason
