"""A small in-memory `tui.backend.Backend`: one network, two neurons, proposals that tally votes.

Its records are the real ones of `tui.ops` (ProposalView, NeuronView, Balance, ...)
and its pure rules are the real ones (`registry.topology.diff_topology`,
`tui.ops.dashboard.describe_diff`, `tui.ops.decide.who_decides`); its vote adds
each neuron's voting power to the tally as governance does, with only the neurons
that have not voted yet (`tui.ops.dashboard.vote_unvoted`), refused when all have
(governance's `NeuronAlreadyVoted`). With `reachable`
False every call raises `NetworkUnreachable`, as `tui.ops` does. Every action is
recorded in `calls`. `proposals`/`neurons` at construction make it as large as
a benchmark wants.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from pathlib import Path
from typing import Any

from registry.topology import diff_topology
from replica.orchestrator.events import OrchestratorEvent
from tui.backend import NetworkView, NodeLive
from tui.ops.actions import ProposalAction
from tui.ops.dashboard import Placement, ProposalDetail, RegistryEvent, describe_diff
from tui.ops.decide import NeuronNode, ProjectedTally, WhoDecides, who_decides
from tui.ops.errors import NetworkUnreachable, Refused
from tui.ops.ledger import Balance, HistoryEntry, TransferResult
from tui.ops.neurons import NeuronView, StakeResult
from tui.ops.orchestrator_feed import EventCursor, FeedLine, feed_lines
from tui.ops.preview import RegistryPreview
from tui.ops.proposals import ProposalPreview, ProposalView

SUBNET = "tdb26-jop6k-aogll-7ltgs-eruif-6kk7m-qpktf-gdiqx-mxtrf-vb5e6-eqe"
NODES = (
    "3tt37-qx66r-3ho6c-7gttj-wcq4n-ot6d4-m5bz7-srtfh-blisj-2zu4i-3qe",
    "2k4oy-sz6v7-hxkoa-5kvzp-c5b5z-yc3rb-2p6cb-grvpn-6t54e-ep5ji-hae",
    "mxngn-ja4x7-reh6a-dqn2x-wyzav-woqhv-bf2ab-xpoea-yzm3l-hooci-6qe",
)
OPERATOR = "2vxsx-fae"
PROVIDER = "rrkah-fqaaa-aaaaa-aaaaq-cai"
ACCOUNT = "ab" * 32
NOW_S = 1_000
VOTING_PERIOD_S = 240
LATEST = 7


def proposal(proposal_id: int, title: str, *, status: str = "open") -> ProposalView:
    return ProposalView(
        proposal_id=proposal_id,
        title=title,
        summary="",
        url="",
        topic="governance",
        status=status,
        reward_status="accept-votes",
        proposer=1,
        action="Motion",
        action_details={"motion_text": title},
        yes=0,
        no=0,
        total=300_000_000,
        created_s=NOW_S,
        deadline_s=4_000_000_000 if status == "open" else None,
        decided_s=0,
        executed_s=0,
        failure=None,
        reject_cost_e8s=100_000_000,
    )


def decision(node: str, what: str, height: int) -> OrchestratorEvent:
    return OrchestratorEvent(
        time_ns=NOW_S * 10**9,
        node=node,
        subnet=None if what == "started" else SUBNET,
        registry_version=LATEST,
        height=height,
        what=what,
        why="the registry lists the node in the subnet",
    )


def neuron(neuron_id: int, power: int) -> NeuronView:
    return NeuronView(
        neuron_id=neuron_id,
        controller=OPERATOR,
        stake_e8s=power,
        maturity_e8s=0,
        staked_maturity_e8s=0,
        dissolve_delay_seconds=15_778_800,
        state="not-dissolving",
        voting_power=power,
        age_seconds=0,
        visibility="private",
        hot_keys=(),
        followees={4: (1,)} if neuron_id == 2 else {},
    )


def topology(version: int) -> dict[str, Any]:
    """Version 7: two nodes in the subnet, one unassigned; before it, the second had not joined."""
    members = list(NODES[:2]) if version >= LATEST else [NODES[0]]
    nodes: dict[str, dict[str, Any]] = {
        node: {
            "operator": OPERATOR,
            "http": f"127.0.0.1:{8080 + index}",
            "subnet": SUBNET if node in members else None,
        }
        for index, node in enumerate(NODES)
    }
    return {
        "version": version,
        "subnets": [
            {
                "id": SUBNET,
                "type": "system",
                "replica_version": "0.9.0",
                "members": members,
                "dkg_interval_length": 99,
                "is_halted": False,
            }
        ],
        "nodes": nodes,
        "unassigned_nodes": [node for node in NODES if node not in members],
        "unassigned_replica_version": "0.9.0",
        "elected_replica_versions": ["0.9.0"],
        "node_operators": {OPERATOR: {"node_allowance": 9, "node_provider": PROVIDER}},
    }


class FakeBackend:
    network_name = "fake"
    identity_name = "alice"
    voting_period_s = VOTING_PERIOD_S
    time_scale = 1

    def __init__(self, *, reachable: bool = True, proposals: int = 0, neurons: int = 0) -> None:
        self.reachable = reachable
        self.votes: list[tuple[int, int, bool]] = []
        self.calls: list[tuple[Any, ...]] = []
        self.latest = LATEST
        self._lock = threading.Lock()
        self._alive = {NODES[0]: True, NODES[1]: True}
        self._neurons = {1: neuron(1, 200_000_000), 2: neuron(2, 100_000_000)}
        for extra in range(3, 3 + neurons):
            self._neurons[extra] = neuron(extra, 100_000_000)
        self._proposals = {
            1: proposal(1, "Adopt the roadmap"),
            2: proposal(2, "Old", status="executed"),
        }
        for extra in range(3, 3 + proposals):
            self._proposals[extra] = proposal(extra, f"Motion {extra}")
        self._balance = 1_234_500_000
        self.decisions = [
            decision(NODES[0], "started", -1),
            decision(NODES[0], "run", 400),
            decision(NODES[0], "registry replicated", -1),
        ]
        """The orchestrators' events, as the nodes' files would hold them."""

    def _check(self) -> None:
        if not self.reachable:
            raise NetworkUnreachable("the network is unreachable: connection refused")

    def _record(self, *call: Any) -> None:
        self._check()
        self.calls.append(call)

    def network(self) -> NetworkView:
        self._check()
        heights = {NODES[0]: 412, NODES[1]: 411}
        return NetworkView(
            topology=topology(self.latest),
            heights={n: h if self._alive[n] else None for n, h in heights.items()},
            live={
                node: NodeLive(
                    alive=self._alive[node],
                    finalized_height=heights[node] if self._alive[node] else None,
                    finalization_rate=1.5 if self._alive[node] else None,
                )
                for node in NODES[:2]
            },
            placements={
                node: Placement(operator=OPERATOR, provider=PROVIDER, data_center="zh1")
                for node in NODES
            },
        )

    def topology_at(self, version: int) -> dict[str, Any]:
        self._check()
        return topology(version)

    def topology_diff(self, before: int, after: int) -> dict[str, Any]:
        self._check()
        return diff_topology(topology(before), topology(after))

    def registry_events(self, since: int, heights: dict[str, int]) -> list[RegistryEvent]:
        self._check()
        return [
            RegistryEvent(version=version, text=line)
            for version in range(max(since, 1) + 1, self.latest + 1)
            for line in describe_diff(
                diff_topology(topology(version - 1), topology(version)), heights
            )
            or ["a record changed (no topology change)"]
        ]

    def orchestrator_events(self, cursor: EventCursor) -> tuple[list[FeedLine], EventCursor]:
        self._check()
        read = cursor.offset(Path("events"))
        return feed_lines(self.decisions[read:]), EventCursor(
            offsets=(("events", len(self.decisions)),)
        )

    def kill_node(self, node_id: str) -> None:
        self._record("kill_node", node_id)
        self._alive[node_id] = False

    def restart_node(self, node_id: str) -> None:
        self._record("restart_node", node_id)
        self._alive[node_id] = True

    def proposals(self, limit: int = 50) -> list[ProposalView]:
        self._check()
        with self._lock:
            return sorted(self._proposals.values(), key=lambda p: -p.proposal_id)[:limit]

    def proposal_detail(self, proposal_id: int, my_neurons: tuple[int, ...]) -> ProposalDetail:
        self._check()
        view = self._proposals.get(proposal_id)
        if view is None:
            raise Refused(f"there is no proposal {proposal_id}", kind="NotFound")
        ballots = {
            n: "unspecified" for n in my_neurons if n in self._neurons and view.status == "open"
        }
        for voted_on, neuron_id, yes in self.votes:
            if voted_on == proposal_id and neuron_id in my_neurons:
                ballots[neuron_id] = "yes" if yes else "no"
        return ProposalDetail(
            view=view, payload={"motion_text": view.title}, registry=None, ballots=ballots
        )

    def vote(self, proposal_id: int, neuron_ids: tuple[int, ...], *, yes: bool) -> ProposalView:
        self._check()
        with self._lock:
            view = self._proposals.get(proposal_id)
            if view is None:
                raise Refused(f"there is no proposal {proposal_id}", kind="NotFound")
            voted = {n for p, n, _ in self.votes if p == proposal_id}
            pending = [n for n in neuron_ids if n not in voted]
            if not pending:
                raise Refused(
                    f"neurons {', '.join(map(str, neuron_ids))} already voted on proposal "
                    f"{proposal_id}",
                    kind="NeuronAlreadyVoted",
                )
            for neuron_id in pending:
                power = self._neurons[neuron_id].voting_power
                view = dataclasses.replace(
                    view, yes=view.yes + power * yes, no=view.no + power * (not yes)
                )
                self.votes.append((proposal_id, neuron_id, yes))
            self._proposals[proposal_id] = view
            return view

    def preview(
        self, neuron_id: int, title: str, summary: str, action: ProposalAction
    ) -> ProposalPreview:
        self._record("preview", neuron_id, action.kind)
        registry = None
        if action.nns_function is not None:
            after = copy.deepcopy(topology(self.latest))
            after["version"] += 1
            after["elected_replica_versions"].append("0.9.1")
            registry = RegistryPreview(
                valid=True, error=None, diff=diff_topology(topology(self.latest), after)
            )
        return ProposalPreview(
            neuron_id=neuron_id,
            title=title,
            summary=summary,
            url="",
            action=action,
            reject_cost_e8s=100_000_000,
            registry=registry,
            projected=ProjectedTally(
                yes=200_000_000,
                no=0,
                undecided=100_000_000,
                total=300_000_000,
                neurons_voting_yes=(neuron_id,),
                neurons_seen=2,
                adopted_at_once=True,
            ),
        )

    def submit(self, preview: ProposalPreview) -> int:
        self._record("submit", preview.action.kind, preview.title)
        with self._lock:
            proposal_id = max(self._proposals) + 1
            self._proposals[proposal_id] = dataclasses.replace(
                proposal(proposal_id, preview.title), topic=preview.to_json()["topic"]
            )
            return proposal_id

    def neurons(self) -> list[NeuronView]:
        self._check()
        return list(self._neurons.values())

    def known_neurons(self) -> dict[int, str]:
        self._check()
        return {1: "alpha"}

    def stake(self, amount_e8s: int, dissolve_delay_s: int) -> StakeResult:
        self._record("stake", amount_e8s, dissolve_delay_s)
        neuron_id = max(self._neurons) + 1
        self._neurons[neuron_id] = dataclasses.replace(
            neuron(neuron_id, amount_e8s), dissolve_delay_seconds=dissolve_delay_s
        )
        self._balance -= amount_e8s + 10_000
        return StakeResult(
            neuron_id=neuron_id, stake_e8s=amount_e8s, block_index=5, memo=1, fee_e8s=10_000
        )

    def increase_dissolve_delay(self, neuron_id: int, seconds: int) -> None:
        self._record("increase_dissolve_delay", neuron_id, seconds)
        view = self._neurons[neuron_id]
        self._neurons[neuron_id] = dataclasses.replace(
            view, dissolve_delay_seconds=view.dissolve_delay_seconds + seconds
        )

    def set_dissolving(self, neuron_id: int, dissolving: bool) -> None:
        self._record("set_dissolving", neuron_id, dissolving)
        self._neurons[neuron_id] = dataclasses.replace(
            self._neurons[neuron_id], state="dissolving" if dissolving else "not-dissolving"
        )

    def follow(self, neuron_id: int, topic: int, followees: tuple[int, ...]) -> None:
        self._record("follow", neuron_id, topic, followees)
        view = self._neurons[neuron_id]
        self._neurons[neuron_id] = dataclasses.replace(
            view, followees={**view.followees, topic: followees}
        )

    def spawn(self, neuron_id: int) -> int:
        self._record("spawn", neuron_id)
        raise Refused(
            "governance refused: There isn't enough maturity to spawn a new neuron.",
            kind="InsufficientFunds",
        )

    def disburse(self, neuron_id: int) -> int:
        self._record("disburse", neuron_id)
        return 9

    def who_decides(self, neuron_id: int, topic: int) -> WhoDecides:
        self._check()
        graph = {
            n.neuron_id: NeuronNode(
                neuron_id=n.neuron_id,
                voting_power=n.voting_power,
                followees=n.followees,
                name="alpha" if n.neuron_id == 1 else None,
            )
            for n in self._neurons.values()
        }
        return who_decides(neuron_id, topic, graph)

    def balance(self) -> Balance:
        self._check()
        return Balance(account_id=ACCOUNT, balance_e8s=self._balance)

    def transfer(self, to: str, amount_e8s: int) -> TransferResult:
        self._record("transfer", to, amount_e8s)
        self._balance -= amount_e8s + 10_000
        return TransferResult(
            block_index=7,
            to_account_id=to,
            amount_e8s=amount_e8s,
            fee_e8s=10_000,
            memo=0,
            created_at_time_ns=0,
        )

    def history(self, limit: int = 20) -> list[HistoryEntry]:
        self._check()
        return [
            HistoryEntry(
                block_index=0,
                operation="Mint",
                from_account_id=None,
                to_account_id=ACCOUNT,
                amount_e8s=1_234_500_000,
                fee_e8s=0,
                memo=0,
                timestamp_ns=1_700_000_000_000_000_000,
            )
        ][:limit]
