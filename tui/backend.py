"""What the dashboard asks of a network: a few calls into the operations layer.

`Backend` is the whole interface the screens see; `OpsBackend` answers it with
`tui.ops` over one `Session` (opened on first use, reopened after a failure),
so the dashboard and the command line share every operation. Each method is
blocking and is only ever called from a worker thread. Failures are the errors
of `tui.ops.errors`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tui.ops.errors import NetworkUnreachable, OpsError
from tui.ops.ledger import Balance
from tui.ops.neurons import NeuronView
from tui.ops.proposals import ProposalView


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkView:
    """The registry's topology at its latest version and each node's finalized height."""

    topology: dict[str, Any]
    """`registry.topology.topology_at` of the latest registry version."""
    heights: dict[str, int | None] = field(default_factory=dict)
    """Node id -> finalized height, for the nodes whose status could be read."""


class Backend(Protocol):
    network_name: str
    identity_name: str

    def network(self) -> NetworkView: ...

    def proposals(self, limit: int = 50) -> list[ProposalView]: ...

    def neurons(self) -> list[NeuronView]: ...

    def balance(self) -> Balance: ...

    def vote(self, proposal_id: int, neuron_ids: tuple[int, ...], *, yes: bool) -> ProposalView: ...


class OpsBackend:
    """`Backend` over `tui.ops` and one session."""

    def __init__(
        self,
        network: str | None = None,
        identity: str | None = None,
        *,
        directory: Path = Path("."),
    ) -> None:
        self.network_name = network or "local"
        self.identity_name = identity or "default"
        self._network = network
        self._identity = identity
        self._directory = directory
        self._session: Any = None

    def _open(self) -> Any:
        from tui.ops.session import Session

        if self._session is None:
            self._session = Session.open(self._network, self._identity, directory=self._directory)
            self.identity_name = self._session.identity_name or self.identity_name
        return self._session

    def _call(self, operation: Any, *args: Any, **kwargs: Any) -> Any:
        session = self._open()
        try:
            return operation(session, *args, **kwargs)
        except NetworkUnreachable:
            self.close()
            raise

    def network(self) -> NetworkView:
        from tui.ops.topology import get_topology

        topology = self._call(get_topology)
        return NetworkView(topology=topology, heights=self._heights())

    def _heights(self) -> dict[str, int | None]:
        if self._network not in (None, "local"):
            return {}
        from tui.network.create import NetworkError
        from tui.network.operations import network_status

        try:
            report = network_status(self._directory)
        except (NetworkError, OSError, ValueError):
            return {}
        return {
            replica["node_id"]: replica["finalized_height"]
            for subnet in report["subnets"]
            for replica in subnet["replicas"]
        }

    def proposals(self, limit: int = 50) -> list[ProposalView]:
        from tui.ops.proposals import list_proposals

        views: list[ProposalView] = self._call(list_proposals, limit=limit)
        return views

    def neurons(self) -> list[NeuronView]:
        from tui.ops.neurons import list_neurons

        views: list[NeuronView] = self._call(list_neurons)
        return views

    def balance(self) -> Balance:
        from tui.ops.ledger import get_balance

        balance: Balance = self._call(get_balance)
        return balance

    def vote(self, proposal_id: int, neuron_ids: tuple[int, ...], *, yes: bool) -> ProposalView:
        from tui.ops.proposals import vote

        view: ProposalView = self._call(vote, proposal_id, neuron_ids, yes=yes)
        return view

    def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            with contextlib.suppress(OpsError, OSError, RuntimeError):
                session.close()
