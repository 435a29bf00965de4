"""The health tracker: unhealthy, dead after the configured time, recovered; stalled subnets."""

from __future__ import annotations

from replica.types import Principal
from tui.monitor.events import MonitorEvent
from tui.monitor.health import HealthConfig, HealthTracker, Probe

SUBNET = Principal.self_authenticating(b"subnet")
NODES = [Principal.self_authenticating(bytes([i])) for i in range(4)]


def probes(heights: dict[int, int | None]) -> list[Probe]:
    return [
        Probe(
            node_id=NODES[i],
            subnet_id=SUBNET,
            reachable=height is not None,
            certified_height=height,
            error=None if height is not None else "connection refused",
        )
        for i, height in heights.items()
    ]


def kinds(events: list[MonitorEvent]) -> list[tuple[str, object]]:
    return [(event.kind, event.get("node")) for event in events]


def test_a_member_down_for_the_configured_time_is_dead_until_it_recovers() -> None:
    tracker = HealthTracker(HealthConfig(dead_after_s=10, stall_after_s=100))
    assert tracker.observe(0, probes({0: 5, 1: 5, 2: 5, 3: 5})) == []
    events = tracker.observe(2, probes({0: 6, 1: 6, 2: 6, 3: None}))
    assert kinds(events) == [("node_unhealthy", NODES[3].to_text())]
    assert events[0].get("reason") == "connection refused"
    assert tracker.observe(9, probes({0: 9, 1: 9, 2: 9, 3: None})) == []  # 9 s since healthy
    events = tracker.observe(10, probes({0: 10, 1: 10, 2: 10, 3: None}))
    assert kinds(events) == [("node_dead", NODES[3].to_text())]
    assert events[0].get("unhealthy_for_s") == 10  # since its last healthy probe at 0
    assert [d.node_id for d in tracker.dead_nodes()] == [NODES[3]]
    assert tracker.observe(13, probes({0: 11, 1: 11, 2: 11, 3: None})) == []  # dead once
    events = tracker.observe(14, probes({0: 12, 1: 12, 2: 12, 3: 12}))
    assert kinds(events) == [("node_recovered", NODES[3].to_text())]
    assert tracker.dead_nodes() == []


def test_a_member_left_behind_is_unhealthy_and_a_new_member_gets_time_to_join() -> None:
    tracker = HealthTracker(HealthConfig(dead_after_s=5, lag_heights=3, join_grace_s=10))
    tracker.observe(0, probes({0: 20, 1: 20, 2: 20}))
    tracker.observe(1, probes({0: 20, 1: 20, 2: 20, 3: 2}))  # joins: behind by 18
    assert kinds(tracker.observe(15, probes({0: 29, 1: 29, 2: 29, 3: 2}))) == []  # joining
    events = tracker.observe(16, probes({0: 30, 1: 30, 2: 30, 3: 2}))
    assert kinds(events) == [("node_dead", NODES[3].to_text())]
    assert "behind" in str(events[0].get("reason"))
    # a member that moves, even far behind, is catching up: healthy
    events = tracker.observe(17, probes({0: 31, 1: 31, 2: 31, 3: 4}))
    assert kinds(events) == [("node_recovered", NODES[3].to_text())]


def test_a_member_down_when_the_monitor_starts_gets_no_join_grace() -> None:
    tracker = HealthTracker(HealthConfig(dead_after_s=5, join_grace_s=100))
    tracker.observe(0, probes({0: 1, 1: 1, 2: 1, 3: None}))
    events = tracker.observe(5, probes({0: 2, 1: 2, 2: 2, 3: None}))
    assert kinds(events) == [("node_dead", NODES[3].to_text())]


def test_a_stalled_subnet_is_reported_but_its_members_are_not_dead() -> None:
    tracker = HealthTracker(HealthConfig(dead_after_s=5, stall_after_s=10))
    tracker.observe(0, probes({0: 7, 1: 7, 2: 7, 3: 7}))
    assert tracker.observe(9, probes({0: 7, 1: 7, 2: 7, 3: 7})) == []
    events = tracker.observe(10, probes({0: 7, 1: 7, 2: 7, 3: 7}))
    assert [(e.kind, e.get("subnet")) for e in events] == [("subnet_stalled", SUBNET.to_text())]
    assert tracker.dead_nodes() == []
    events = tracker.observe(11, probes({0: 8, 1: 8, 2: 8, 3: 8}))
    assert [e.kind for e in events] == ["subnet_resumed"]


def test_a_node_no_longer_a_member_is_forgotten() -> None:
    tracker = HealthTracker(HealthConfig(dead_after_s=1, join_grace_s=0))
    tracker.observe(0, probes({0: 1, 1: 1, 2: 1, 3: None}))
    tracker.observe(2, probes({0: 2, 1: 2, 2: 2, 3: None}))
    assert len(tracker.dead_nodes()) == 1
    tracker.observe(3, probes({0: 3, 1: 3, 2: 3}))  # the registry no longer lists node 3
    assert tracker.dead_nodes() == []
