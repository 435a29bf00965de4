"""`Client`: the operations of the `icbox` command line as a small library for scripts.

    from tui import Client

    with Client.open(directory="my-network") as icbox:      # or network="http://...",
    identity="alice"
        neuron = icbox.stake(10, dissolve_delay_seconds=8 * 365 * 86_400)
        icbox.follow(neuron, topic="governance", followees=[1])
        proposal = icbox.make_proposal(1, "Elect 0.2.0", icbox.actions.elect_replica_version(
            "0.2.0", urls=["https://example.org/0.2.0.tar.gz"], sha256_hex="00" * 32))
        icbox.wait_for(proposal)

Every method returns the typed records of `tui.ops` and raises the errors of
`tui.ops.errors` (`Refused` with the canister's error type, `NetworkUnreachable`,
`UsageError`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from tui.ops import actions as _actions
from tui.ops import batch, ledger, neurons, proposals, topology
from tui.ops.actions import ProposalAction
from tui.ops.batch import Phase, StakedNeurons
from tui.ops.decide import WhoDecides
from tui.ops.ledger import Balance, HistoryEntry, TransferResult
from tui.ops.neurons import NeuronView
from tui.ops.proposals import Ballot, ProposalPreview, ProposalView
from tui.ops.session import Session


def _topic(topic: int | str) -> int:
    return int(neurons.parse_topic(topic)) if isinstance(topic, str) else int(topic)


class Client:
    actions: ModuleType = _actions
    """The proposal actions (`motion`, `create_subnet`, `update_subnet`, `elect_replica_version`,
    ...)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @classmethod
    def open(
        cls, *, network: str | None = None, identity: str | None = None, directory: str | Path = "."
    ) -> Client:
        return cls(Session.open(network, identity, directory=Path(directory)))

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def principal(self) -> str:
        return str(self.session.principal.to_text())

    @property
    def network_neuron(self) -> int | None:
        """The local network's big neuron (controlled by its identity), if this is a local
        network."""
        return self.session.target.neuron_id

    # -- ICP ------------------------------------------------------------------------------------

    def balance(self, account: str | None = None) -> Balance:
        return ledger.get_balance(self.session, ledger.parse_account(account) if account else None)

    def transfer(self, to: str, icp: str | float, *, memo: int = 0) -> TransferResult:
        return ledger.transfer(
            self.session,
            to=ledger.parse_account(to),
            amount_e8s=ledger.parse_icp(str(icp)),
            memo=memo,
        )

    def history(self, account: str | None = None, *, limit: int = 20) -> list[HistoryEntry]:
        return ledger.get_history(
            self.session, ledger.parse_account(account) if account else None, limit=limit
        )

    # -- neurons --------------------------------------------------------------------------------

    def stake(self, icp: str | float, *, dissolve_delay_seconds: int = 0) -> int:
        return neurons.stake(
            self.session, ledger.parse_icp(str(icp)), dissolve_delay_seconds=dissolve_delay_seconds
        ).neuron_id

    def neurons(self) -> list[NeuronView]:
        return neurons.list_neurons(self.session)

    def neuron(self, neuron_id: int) -> NeuronView:
        return neurons.get_neuron(self.session, neuron_id)

    def stake_many(
        self,
        count: int,
        icp: str | float,
        *,
        dissolve_delay_seconds: int = 0,
        concurrency: int = batch.DEFAULT_CONCURRENCY,
    ) -> StakedNeurons:
        """`count` neurons of `icp` each, staked with concurrent calls (`tui.ops.batch`); their
        ids and how long each phase (transfers, claims, dissolve delays) took."""
        return batch.stake_many(
            self.session,
            count,
            ledger.parse_icp(str(icp)),
            dissolve_delay_seconds=dissolve_delay_seconds,
            concurrency=concurrency,
        )

    def follow_many(
        self,
        neuron_ids: Iterable[int],
        *,
        topics: Iterable[int | str],
        followees: Iterable[int],
        concurrency: int = batch.DEFAULT_CONCURRENCY,
    ) -> Phase:
        """Each neuron follows `followees` on each of `topics` (one command per neuron)."""
        chosen = tuple(followees)
        return batch.follow_many(
            self.session,
            tuple(neuron_ids),
            {_topic(topic): chosen for topic in topics},
            concurrency=concurrency,
        )

    def known_neurons(self) -> dict[int, str]:
        return neurons.list_known_neurons(self.session)

    def follow(self, neuron_id: int, *, topic: int | str, followees: Iterable[int]) -> None:
        neurons.follow(self.session, neuron_id, _topic(topic), tuple(followees))

    def refresh(self, neuron_id: int) -> None:
        """Refresh the neuron's stake and voting power (voting power decays unless refreshed)."""
        neurons.refresh(self.session, neuron_id)

    def vote(self, neuron_id: int, proposal_id: int, *, yes: bool = True) -> None:
        neurons.vote(self.session, neuron_id, proposal_id, yes=yes)

    def who_decides(self, neuron_id: int, *, topic: int | str) -> WhoDecides:
        return neurons.get_who_decides(self.session, neuron_id, _topic(topic))

    # -- proposals ------------------------------------------------------------------------------

    def preview(
        self,
        neuron_id: int,
        title: str,
        action: ProposalAction,
        *,
        summary: str = "",
        url: str = "",
    ) -> ProposalPreview:
        return proposals.preview_proposal(
            self.session, neuron_id=neuron_id, title=title, summary=summary, url=url, action=action
        )

    def make_proposal(
        self,
        neuron_id: int,
        title: str,
        action: ProposalAction,
        *,
        summary: str = "",
        url: str = "",
    ) -> int:
        """Preview the proposal (which refuses what the registry would refuse) and submit it."""
        return self.submit(self.preview(neuron_id, title, action, summary=summary, url=url))

    def submit(self, preview: ProposalPreview) -> int:
        """Submit a previewed proposal; its id."""
        return proposals.submit_proposal(self.session, preview)

    def proposal(self, proposal_id: int) -> ProposalView:
        return proposals.get_proposal(self.session, proposal_id)

    def ballots(self, proposal_id: int) -> dict[int, Ballot]:
        """The ballots of this identity's neurons on the proposal."""
        return proposals.get_ballots(self.session, proposal_id)

    def proposals(self, *, limit: int = 20) -> list[ProposalView]:
        return proposals.list_proposals(self.session, limit=limit)

    def watch(self, proposal_id: int, *, timeout_s: float = 600.0) -> Iterator[ProposalView]:
        return proposals.watch(self.session, proposal_id, timeout_s=timeout_s)

    def wait_for(self, proposal_id: int, *, timeout_s: float = 600.0) -> ProposalView:
        """The proposal once it is executed, failed or rejected."""
        views = list(self.watch(proposal_id, timeout_s=timeout_s))
        return views[-1]

    # -- topology -------------------------------------------------------------------------------

    def topology(self, version: int | None = None) -> dict[str, Any]:
        return topology.get_topology(self.session, version)

    def topology_diff(self, before: int, after: int | None = None) -> dict[str, Any]:
        return topology.get_topology_diff(self.session, before, after)
