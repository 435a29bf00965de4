"""A small in-memory `tui.backend.Backend`: one network, two neurons, proposals that tally votes.

Its records are the real ones of `tui.ops` (ProposalView, NeuronView, Balance);
its vote adds each neuron's voting power to the tally as governance does, and
refuses a second vote by the same neuron (governance's `NeuronAlreadyVoted`).
With `reachable` False every call raises `NetworkUnreachable`, as `tui.ops` does.
"""

from __future__ import annotations

import dataclasses
import threading

from tui.backend import NetworkView
from tui.ops.errors import NetworkUnreachable, Refused
from tui.ops.ledger import Balance
from tui.ops.neurons import NeuronView
from tui.ops.proposals import ProposalView

SUBNET = "tdb26-jop6k-aogll-7ltgs-eruif-6kk7m-qpktf-gdiqx-mxtrf-vb5e6-eqe"
NODES = (
    "xtyea-fa5nh-aaaaa-aaaap-2aa",
    "wrmfs-ro5oe-aaaaa-aaaap-2aa",
    "ub4vn-cfsgu-aaaaa-aaaap-2aa",
)
OPERATOR = "2vxsx-fae"


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
        created_s=1_000,
        deadline_s=4_000_000_000 if status == "open" else None,
        decided_s=0,
        executed_s=0,
        failure=None,
        reject_cost_e8s=100_000_000,
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


class FakeBackend:
    network_name = "fake"
    identity_name = "alice"

    def __init__(self, *, reachable: bool = True) -> None:
        self.reachable = reachable
        self.votes: list[tuple[int, int, bool]] = []
        self._lock = threading.Lock()
        self._neurons = [neuron(1, 200_000_000), neuron(2, 100_000_000)]
        self._proposals = {
            1: proposal(1, "Adopt the roadmap"),
            2: proposal(2, "Old", status="executed"),
        }

    def _check(self) -> None:
        if not self.reachable:
            raise NetworkUnreachable("the network is unreachable: connection refused")

    def network(self) -> NetworkView:
        self._check()
        nodes: dict[str, dict[str, str | None]] = {
            node: {"operator": OPERATOR, "http": "127.0.0.1:8080", "subnet": SUBNET}
            for node in NODES[:2]
        }
        nodes[NODES[2]] = {"operator": OPERATOR, "http": "127.0.0.1:8082", "subnet": None}
        topology = {
            "version": 7,
            "subnets": [
                {
                    "id": SUBNET,
                    "type": "system",
                    "replica_version": "0.9.0",
                    "members": list(NODES[:2]),
                    "dkg_interval_length": 99,
                    "is_halted": False,
                }
            ],
            "nodes": nodes,
            "unassigned_nodes": [NODES[2]],
            "unassigned_replica_version": "0.9.0",
            "elected_replica_versions": ["0.9.0"],
            "node_operators": {},
        }
        return NetworkView(topology=topology, heights={NODES[0]: 412, NODES[1]: 411})

    def proposals(self, limit: int = 50) -> list[ProposalView]:
        self._check()
        with self._lock:
            return sorted(self._proposals.values(), key=lambda p: -p.proposal_id)[:limit]

    def neurons(self) -> list[NeuronView]:
        self._check()
        return list(self._neurons)

    def balance(self) -> Balance:
        self._check()
        return Balance(account_id="ab" * 32, balance_e8s=1_234_500_000)

    def vote(self, proposal_id: int, neuron_ids: tuple[int, ...], *, yes: bool) -> ProposalView:
        self._check()
        with self._lock:
            view = self._proposals.get(proposal_id)
            if view is None:
                raise Refused(f"there is no proposal {proposal_id}", kind="NotFound")
            for neuron_id in neuron_ids:
                if any(v[:2] == (proposal_id, neuron_id) for v in self.votes):
                    raise Refused(
                        "governance refused: Neuron already voted on proposal.",
                        kind="NeuronAlreadyVoted",
                    )
                power = next(n.voting_power for n in self._neurons if n.neuron_id == neuron_id)
                view = dataclasses.replace(
                    view, yes=view.yes + power * yes, no=view.no + power * (not yes)
                )
                self.votes.append((proposal_id, neuron_id, yes))
            self._proposals[proposal_id] = view
            return view
