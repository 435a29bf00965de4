"""Which subnet members are healthy, which are dead, and which subnets stopped finalizing.

Sans-I/O: the monitor's poll job probes every subnet member's
`/api/v2/status` and hands the answers (`Probe`) with the time to
`HealthTracker.observe`, which returns what changed as events. A member is
healthy at a probe when it answers and its certified height either moved
since its previous answer or is within `lag_heights` of the best height any
member of its subnet reported at that probe (a stalled subnet does not make
its members dead; it is reported as a subnet event). A member that has not
been healthy for `dead_after_s` (counted from the first probe if it never
was; a node that became a member while the monitor watched gets
`join_grace_s` more, as a new member needs time to join) is dead: `dead_nodes` lists it until the registry no longer
names it a member.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from replica.types import Principal
from tui.monitor.events import MonitorEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    """One answer (or its absence) of a subnet member's status endpoint."""

    node_id: Principal
    subnet_id: Principal
    reachable: bool
    certified_height: int | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthConfig:
    dead_after_s: float = 60.0
    """A member unhealthy this long is dead, and replaced."""
    stall_after_s: float = 30.0
    """A subnet whose best certified height has not moved this long has stalled."""
    lag_heights: int = 10
    """A member this close to its subnet's best height is in step even if it did not move."""
    join_grace_s: float = 120.0
    """Added to `dead_after_s` for a member never seen healthy: a node that just joined starts
    its replica from a peer's CUP and state-syncs before it answers."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadNode:
    node_id: Principal
    subnet_id: Principal
    unhealthy_since_s: float
    last_error: str | None


@dataclass(slots=True)
class _NodeHealth:
    subnet_id: Principal
    first_seen_s: float
    last_healthy_s: float | None = None
    last_height: int | None = None
    healthy: bool | None = None
    joined: bool = False
    """It became a member while the monitor watched (not at its first probe)."""
    dead: bool = False
    last_error: str | None = None


@dataclass(slots=True)
class _SubnetProgress:
    best_height: int = -1
    moved_s: float = 0.0
    stalled: bool = False


@dataclass(slots=True)
class HealthTracker:
    config: HealthConfig
    nodes: dict[Principal, _NodeHealth] = field(default_factory=dict)
    subnets: dict[Principal, _SubnetProgress] = field(default_factory=dict)
    rounds: int = 0

    def observe(self, now_s: float, probes: Sequence[Probe]) -> list[MonitorEvent]:
        """Take one round of probes (every current member); the events it causes."""
        events: list[MonitorEvent] = []
        members = {probe.node_id for probe in probes}
        for gone in [node for node in self.nodes if node not in members]:
            del self.nodes[gone]
        best: dict[Principal, int] = {}
        for probe in probes:
            if probe.reachable and probe.certified_height is not None:
                best[probe.subnet_id] = max(best.get(probe.subnet_id, -1), probe.certified_height)
        subnets = sorted({probe.subnet_id for probe in probes}, key=Principal.to_text)
        for gone in [subnet for subnet in self.subnets if subnet not in subnets]:
            del self.subnets[gone]
        for subnet_id in subnets:
            events += self._observe_subnet(now_s, subnet_id, best.get(subnet_id, -1))
        for probe in sorted(probes, key=lambda p: p.node_id.to_text()):
            events += self._observe_node(now_s, probe, best.get(probe.subnet_id, -1))
        self.rounds += 1
        return events

    def _observe_subnet(
        self, now_s: float, subnet_id: Principal, height: int
    ) -> list[MonitorEvent]:
        progress = self.subnets.get(subnet_id)
        if progress is None:
            self.subnets[subnet_id] = _SubnetProgress(best_height=height, moved_s=now_s)
            return []
        if height > progress.best_height:
            progress.best_height, progress.moved_s = height, now_s
            if progress.stalled:
                progress.stalled = False
                return [_event(now_s, "subnet_resumed", subnet=subnet_id, certified_height=height)]
            return []
        if not progress.stalled and now_s - progress.moved_s >= self.config.stall_after_s:
            progress.stalled = True
            return [
                _event(
                    now_s,
                    "subnet_stalled",
                    subnet=subnet_id,
                    certified_height=progress.best_height,
                    seconds=round(now_s - progress.moved_s, 1),
                )
            ]
        return []

    def _observe_node(self, now_s: float, probe: Probe, best: int) -> list[MonitorEvent]:
        state = self.nodes.get(probe.node_id)
        if state is None or state.subnet_id != probe.subnet_id:
            state = _NodeHealth(
                subnet_id=probe.subnet_id, first_seen_s=now_s, joined=self.rounds > 0
            )
            self.nodes[probe.node_id] = state
        height = probe.certified_height if probe.reachable else None
        moved = height is not None and state.last_height is not None and height > state.last_height
        in_step = height is not None and height >= best - self.config.lag_heights
        healthy = probe.reachable and (moved or in_step)
        if height is not None:
            state.last_height = height
        state.last_error = None if healthy else (probe.error or _why(probe, best))
        events: list[MonitorEvent] = []
        details: dict[str, Any] = {"node": probe.node_id, "subnet": probe.subnet_id}
        if healthy:
            state.last_healthy_s = now_s
            if state.healthy is False:
                events.append(_event(now_s, "node_recovered", **details, certified_height=height))
            state.healthy, state.dead = True, False
            return events
        if state.healthy is not False:
            events.append(_event(now_s, "node_unhealthy", **details, reason=state.last_error))
        state.healthy = False
        since = state.first_seen_s if state.last_healthy_s is None else state.last_healthy_s
        allowed = self.config.dead_after_s + (
            self.config.join_grace_s if state.joined and state.last_healthy_s is None else 0.0
        )
        if not state.dead and now_s - since >= allowed:
            state.dead = True
            events.append(
                _event(
                    now_s,
                    "node_dead",
                    **details,
                    unhealthy_for_s=round(now_s - since, 1),
                    reason=state.last_error,
                )
            )
        return events

    def dead_nodes(self) -> list[DeadNode]:
        """Members dead now, the longest dead first."""
        dead = [
            DeadNode(
                node_id=node_id,
                subnet_id=state.subnet_id,
                unhealthy_since_s=state.first_seen_s
                if state.last_healthy_s is None
                else state.last_healthy_s,
                last_error=state.last_error,
            )
            for node_id, state in self.nodes.items()
            if state.dead
        ]
        return sorted(dead, key=lambda node: (node.unhealthy_since_s, node.node_id.to_text()))


def _why(probe: Probe, best: int) -> str:
    if not probe.reachable:
        return "unreachable"
    return f"certified height {probe.certified_height} is behind the subnet's {best}"


def _event(now_s: float, kind: str, **data: Any) -> MonitorEvent:
    return MonitorEvent.of(now_s, kind, **data)
