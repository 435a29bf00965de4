"""What the dashboard asks of a network: calls into the operations layer, nothing more.

`Backend` is the whole interface the screens see; `OpsBackend` answers it with
`tui.ops` over one `Session` (opened on first use, reopened after a failure),
so the dashboard and the command line share every operation; a local
network's node processes are started and stopped with `tui.network`. Each
method is blocking and is only ever called from a worker thread. Failures are
the errors of `tui.ops.errors`.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tui.ops.actions import ProposalAction
from tui.ops.dashboard import Placement, ProposalDetail, RegistryEvent
from tui.ops.decide import WhoDecides
from tui.ops.errors import NetworkUnreachable, OpsError, UsageError
from tui.ops.ledger import Balance, HistoryEntry, TransferResult
from tui.ops.neurons import NeuronView, StakeResult
from tui.ops.orchestrator_feed import EventCursor, FeedLine
from tui.ops.proposals import ProposalPreview, ProposalView


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeLive:
    """What a local node's process files say; absent for a node of a remote network."""

    alive: bool
    finalized_height: int | None
    finalization_rate: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkView:
    """The registry's topology at its latest version, where each node is, and how it runs."""

    topology: dict[str, Any]
    """`registry.topology.topology_at` of the latest registry version."""
    heights: dict[str, int | None] = field(default_factory=dict)
    """Node id -> finalized height, for the nodes whose status could be read."""
    live: dict[str, NodeLive] = field(default_factory=dict)
    placements: dict[str, Placement] = field(default_factory=dict)


class Backend(Protocol):
    network_name: str
    identity_name: str
    voting_period_s: int
    time_scale: int
    """Mainnet seconds of governance time per second of the network (its preset's)."""

    def network(self) -> NetworkView: ...

    def topology_at(self, version: int) -> dict[str, Any]: ...

    def topology_diff(self, before: int, after: int) -> dict[str, Any]: ...

    def registry_events(self, since: int, heights: dict[str, int]) -> list[RegistryEvent]: ...

    def orchestrator_events(self, cursor: EventCursor) -> tuple[list[FeedLine], EventCursor]: ...

    def kill_node(self, node_id: str) -> None: ...

    def restart_node(self, node_id: str) -> None: ...

    def proposals(self, limit: int = 50) -> list[ProposalView]: ...

    def proposal_detail(self, proposal_id: int, my_neurons: tuple[int, ...]) -> ProposalDetail: ...

    def vote(self, proposal_id: int, neuron_ids: tuple[int, ...], *, yes: bool) -> ProposalView: ...

    def preview(
        self, neuron_id: int, title: str, summary: str, action: ProposalAction
    ) -> ProposalPreview: ...

    def submit(self, preview: ProposalPreview) -> int: ...

    def neurons(self) -> list[NeuronView]: ...

    def known_neurons(self) -> dict[int, str]: ...

    def stake(self, amount_e8s: int, dissolve_delay_s: int) -> StakeResult: ...

    def increase_dissolve_delay(self, neuron_id: int, seconds: int) -> None: ...

    def set_dissolving(self, neuron_id: int, dissolving: bool) -> None: ...

    def follow(self, neuron_id: int, topic: int, followees: tuple[int, ...]) -> None: ...

    def spawn(self, neuron_id: int) -> int: ...

    def disburse(self, neuron_id: int) -> int: ...

    def who_decides(self, neuron_id: int, topic: int) -> WhoDecides: ...

    def balance(self) -> Balance: ...

    def transfer(self, to: str, amount_e8s: int) -> TransferResult: ...

    def history(self, limit: int = 20) -> list[HistoryEntry]: ...


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
        self._registry: Any = None
        self._changes: dict[int, Any] = {}
        """Proposal id -> the registry change an executed proposal made (it stays)."""
        self._lock = threading.RLock()
        self.voting_period_s, self.time_scale = self._governance_time()

    @property
    def is_local(self) -> bool:
        return self._network in (None, "local")

    def _description(self) -> dict[str, Any] | None:
        from tui.network.operations import read_network
        from tui.network.paths import NetworkPaths

        return read_network(NetworkPaths.in_directory(self._directory)) if self.is_local else None

    def _governance_time(self) -> tuple[int, int]:
        """The initial voting period and the time scale of the network's preset."""
        from replica.presets import get_preset
        from tui.ops.dashboard import voting_period_s

        description = self._description()
        preset = description.get("preset", "local") if description else "mainnet"
        try:
            return voting_period_s(preset), get_preset(preset).governance_time_scale
        except (KeyError, ValueError):
            return voting_period_s("mainnet"), 1

    def _open(self) -> Any:
        from tui.ops.session import Session

        if self._session is None:
            self._session = Session.open(self._network, self._identity, directory=self._directory)
            self.identity_name = self._session.identity_name or self.identity_name
        return self._session

    def _call(self, operation: Any, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            session = self._open()
            try:
                return operation(session, *args, **kwargs)
            except NetworkUnreachable:
                self.close()
                raise

    def _client(self) -> Any:
        """The registry client, synced to the latest version (incrementally after the first)."""
        from tui.ops.topology import fetch_registry

        with self._lock:
            if self._registry is None:
                self._registry = self._call(fetch_registry)
            else:
                try:
                    self._registry.sync()
                except NetworkUnreachable:
                    self.close()
                    raise
            return self._registry

    def network(self) -> NetworkView:
        from registry.topology import topology_at
        from tui.ops.dashboard import placements

        client = self._client()
        topology = topology_at(client)
        live = self._live({node for subnet in topology["subnets"] for node in subnet["members"]})
        return NetworkView(
            topology=topology,
            heights={node: state.finalized_height for node, state in live.items()},
            live=live,
            placements=placements(client),
        )

    def _live(self, assigned: set[str]) -> dict[str, NodeLive]:
        """The process state of each local node in a subnet of the latest registry version, or
        running a replica (a node of a subnet created after `icbox up` included)."""
        if not self.is_local:
            return {}
        from tui.network.operations import read_network
        from tui.network.paths import NetworkPaths
        from tui.network.processes import inspect_network

        paths = NetworkPaths.in_directory(self._directory)
        try:
            description = read_network(paths)
            processes = {node.index: node for node in inspect_network(paths)}
        except (OSError, ValueError):
            return {}
        found: dict[str, NodeLive] = {}
        for node in (description or {}).get("nodes", ()):
            process = processes.get(node["index"])
            if process is None or (node["node_id"] not in assigned and process.replica_pid is None):
                continue
            status = process.live_status
            found[node["node_id"]] = NodeLive(
                alive=process.replica_pid is not None,
                finalized_height=None if status is None else status.finalized_height,
                finalization_rate=None if status is None else round(status.finalization_rate, 3),
            )
        return found

    def topology_at(self, version: int) -> dict[str, Any]:
        from tui.ops.topology import get_topology

        topology: dict[str, Any] = self._call(get_topology, version, self._client())
        return topology

    def topology_diff(self, before: int, after: int) -> dict[str, Any]:
        from registry.topology import diff_topology

        return diff_topology(self.topology_at(before), self.topology_at(after))

    def registry_events(self, since: int, heights: dict[str, int]) -> list[RegistryEvent]:
        from tui.ops.dashboard import registry_events

        return registry_events(self._client(), since, heights)

    def orchestrator_events(self, cursor: EventCursor) -> tuple[list[FeedLine], EventCursor]:
        """What the local nodes' orchestrators decided since `cursor` (none for a remote
        network: their files are on other hosts)."""
        if not self.is_local:
            return [], cursor
        from tui.network.paths import NetworkPaths
        from tui.network.processes import node_directories
        from tui.ops.orchestrator_feed import feed_lines, read_new_events

        directories = node_directories(NetworkPaths.in_directory(self._directory))
        events, after = read_new_events(directories, cursor)
        return feed_lines(events), after

    def _node_directory(self, node_id: str) -> Path:
        description = self._description()
        if description is None:
            raise UsageError("only the nodes of the local network can be stopped and started")
        for node in description["nodes"]:
            if node["node_id"] == node_id:
                return Path(node["directory"])
        raise UsageError(f"node {node_id} is not a process of the local network")

    def kill_node(self, node_id: str) -> None:
        from tui.network.processes import stop_node

        stop_node(self._node_directory(node_id), grace_s=2.0)

    def restart_node(self, node_id: str) -> None:
        from tui.network.processes import start_node

        try:
            start_node(self._node_directory(node_id))
        except RuntimeError as error:
            raise UsageError(str(error)) from error

    def proposals(self, limit: int = 50) -> list[ProposalView]:
        from tui.ops.proposals import list_proposals

        views: list[ProposalView] = self._call(list_proposals, limit=limit)
        return views

    def proposal_detail(self, proposal_id: int, my_neurons: tuple[int, ...]) -> ProposalDetail:
        from tui.ops.dashboard import proposal_detail

        detail: ProposalDetail = self._call(proposal_detail, proposal_id, my_neurons, self._changes)
        return detail

    def vote(self, proposal_id: int, neuron_ids: tuple[int, ...], *, yes: bool) -> ProposalView:
        from tui.ops.dashboard import vote_unvoted

        view: ProposalView = self._call(vote_unvoted, proposal_id, neuron_ids, yes=yes)
        return view

    def preview(
        self, neuron_id: int, title: str, summary: str, action: ProposalAction
    ) -> ProposalPreview:
        from tui.ops.proposals import preview_proposal

        preview: ProposalPreview = self._call(
            preview_proposal,
            neuron_id=neuron_id,
            title=title,
            summary=summary,
            url="",
            action=action,
        )
        return preview

    def submit(self, preview: ProposalPreview) -> int:
        from tui.ops.proposals import submit_proposal

        return int(self._call(submit_proposal, preview))

    def neurons(self) -> list[NeuronView]:
        from tui.ops.neurons import list_neurons

        views: list[NeuronView] = self._call(list_neurons)
        return views

    def known_neurons(self) -> dict[int, str]:
        from tui.ops.neurons import list_known_neurons

        known: dict[int, str] = self._call(list_known_neurons)
        return known

    def stake(self, amount_e8s: int, dissolve_delay_s: int) -> StakeResult:
        from tui.ops.neurons import stake

        result: StakeResult = self._call(stake, amount_e8s, dissolve_delay_seconds=dissolve_delay_s)
        return result

    def increase_dissolve_delay(self, neuron_id: int, seconds: int) -> None:
        from tui.ops.neurons import increase_dissolve_delay

        self._call(increase_dissolve_delay, neuron_id, seconds)

    def set_dissolving(self, neuron_id: int, dissolving: bool) -> None:
        from tui.ops.neurons import start_dissolving, stop_dissolving

        self._call(start_dissolving if dissolving else stop_dissolving, neuron_id)

    def follow(self, neuron_id: int, topic: int, followees: tuple[int, ...]) -> None:
        from tui.ops.neurons import follow

        self._call(follow, neuron_id, topic, followees)

    def spawn(self, neuron_id: int) -> int:
        from tui.ops.neurons import spawn

        return int(self._call(spawn, neuron_id))

    def disburse(self, neuron_id: int) -> int:
        from tui.ops.neurons import disburse

        return int(self._call(disburse, neuron_id))

    def who_decides(self, neuron_id: int, topic: int) -> WhoDecides:
        from tui.ops.neurons import get_who_decides

        decides: WhoDecides = self._call(get_who_decides, neuron_id, topic)
        return decides

    def balance(self) -> Balance:
        from tui.ops.ledger import get_balance

        balance: Balance = self._call(get_balance)
        return balance

    def transfer(self, to: str, amount_e8s: int) -> TransferResult:
        from tui.ops.ledger import parse_account, transfer

        result: TransferResult = self._call(
            lambda session: transfer(session, to=parse_account(to), amount_e8s=amount_e8s)
        )
        return result

    def history(self, limit: int = 20) -> list[HistoryEntry]:
        from tui.ops.ledger import get_history

        entries: list[HistoryEntry] = self._call(get_history, limit=limit)
        return entries

    def close(self) -> None:
        with self._lock:
            session, self._session = self._session, None
            self._registry = None
            if session is not None:
                with contextlib.suppress(OpsError, OSError, RuntimeError):
                    session.close()
