"""The orchestrators of a simulated world: the live orchestrator's decisions on virtual time.

Every `check_interval_s` of virtual time (and after every registry change) each
node's orchestrator runs `replica.orchestrator.decision.decide` on the node's
registry client and its replica's latest CUP, and acts as the live one does:
a node its subnet lists starts its replica, a node no registry version in use
lists is stopped and its state wiped (it is a spare node again), and every
decision that differs from the node's last one is recorded with its virtual
time. The decisions are the live orchestrator's own function, so a flow the
simulator runs under faults from a seed is the flow live nodes follow.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final

from replica.orchestrator.decision import Decision, LocalCup, decide
from replica.types import Principal

if TYPE_CHECKING:
    from replica.sim.world import SimNode, World

SECOND_NS: Final = 1_000_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class SimDecision:
    time_ns: int
    node_id: Principal
    decision: Decision
    action: str


@dataclass(slots=True, kw_only=True)
class SimOrchestrators:
    world: World
    check_interval_s: float = 0.5
    last: dict[Principal, Decision] = field(default_factory=dict)
    decisions: list[SimDecision] = field(default_factory=list)
    wiped: set[Principal] = field(default_factory=set)

    def start(self) -> None:
        self.world.scheduler.schedule(self.world.now_ns, self.tick)

    def tick(self) -> None:
        self.check_all()
        self.world.scheduler.schedule(
            self.world.now_ns + int(self.check_interval_s * SECOND_NS), self.tick
        )

    def local_cup(self, node: SimNode) -> LocalCup | None:
        replica: Any = node.replica
        cup = getattr(replica, "latest_cup", None)
        if cup is None or not node.started:
            return None
        return LocalCup(
            subnet_id=node.spec.subnet_id,
            height=cup.height,
            registry_version=cup.registry_version,
            oldest_registry_version_in_use=cup.content.oldest_registry_version,
        )

    def check_all(self) -> None:
        for node_id in self.world.node_order:
            self.check(self.world.nodes[node_id])

    def check(self, node: SimNode) -> Decision:
        node.spec.registry.sync()
        if not node.is_up and node.started:
            return self.last.get(node.node_id) or decide(node.node_id, node.spec.registry, None)
        decision = decide(node.node_id, node.spec.registry, self.local_cup(node))
        action = ""
        if decision.kind == "run" and not node.started and decision.subnet_id is not None:
            self.world.assign(node, decision.subnet_id)
            action = "replica started"
        elif decision.kind == "leave":
            self.world.crash(node.node_id)
            shutil.rmtree(node.spec.state_dir, ignore_errors=True)
            node.started = False
            node.spec = replace(node.spec, subnet_id=Principal.anonymous(), initial_shares=None)
            self.wiped.add(node.node_id)
            action = "left subnet: replica stopped, state wiped"
        last = self.last.get(node.node_id)
        if (
            action
            or last is None
            or (last.kind, last.subnet_id)
            != (
                decision.kind,
                decision.subnet_id,
            )
        ):
            self.decisions.append(
                SimDecision(
                    time_ns=self.world.now_ns,
                    node_id=node.node_id,
                    decision=decision,
                    action=action,
                )
            )
        self.last[node.node_id] = decision
        return decision

    def kinds_of(self, node_id: Principal) -> list[str]:
        return [d.decision.kind for d in self.decisions if d.node_id == node_id]
