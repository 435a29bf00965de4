"""What the dashboard reads beyond the command line: placement, events, health, proposal details.

Pure functions over a synced `registry.client.RegistryClient` (where each node's
operator, node provider and data center is; what each registry version changed,
as the lines of an event feed), the health rule of a node, the wait-for-quiet
extension of a proposal's deadline, and `proposal_detail`, which reads one
proposal with its decoded payload, the registry diff it would make (from the
registry's own validation, `tui.ops.preview`) or made once executed
(`tui.ops.registry_change`), and the ballots of my neurons.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Final

from nns.clients.base import variant_of
from nns.governance.parameters import Durations
from registry.client import RegistryClient
from registry.interface import decode_payload
from registry.records import NODE_OPERATOR_RECORD_PREFIX
from registry.store import RegistryDelta
from registry.topology import diff_topology, topology_at
from replica.presets import get_preset
from replica.types import Principal
from tui.ops.errors import Refused
from tui.ops.preview import RegistryPreview, preview_registry_call
from tui.ops.proposals import ProposalView, register_votes, view_of
from tui.ops.registry_change import RegistryChange, executed_change
from tui.ops.session import Session
from tui.ops.topology import fetch_registry

LAG_BLOCKS: Final = 5
"""A node more than this many heights behind its subnet's highest is `behind`."""

VOTES: Final = {0: "unspecified", 1: "yes", 2: "no"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Placement:
    operator: str
    provider: str | None
    data_center: str | None


def placements(client: RegistryClient, version: int | None = None) -> dict[str, Placement]:
    """Node id -> its operator, the operator's node provider and data center at `version`."""
    operators: dict[str, Any] = {}
    for key in client.keys(NODE_OPERATOR_RECORD_PREFIX, version):
        record = client.get(key, version)
        operators[record.node_operator_principal_id.to_text()] = record
    found: dict[str, Placement] = {}
    for node_id in client.get_node_ids(version):
        node = client.get_node_record(node_id, version)
        if node is None:
            continue
        operator = node.node_operator_id.to_text()
        record = operators.get(operator)
        found[node_id.to_text()] = Placement(
            operator=operator,
            provider=None if record is None else record.node_provider_principal_id.to_text(),
            data_center=(record.dc_id or None) if record is not None else None,
        )
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistryEvent:
    version: int
    text: str


def short(principal: str) -> str:
    return principal.split("-")[0]


def describe_diff(diff: dict[str, Any], heights: dict[str, int] | None = None) -> list[str]:
    """One line per change of a `registry.topology.diff_topology`, as a person says it.

    `heights` (subnet id -> height) places node moves in time: "at height H"."""
    heights = heights or {}
    lines: list[str] = []

    def at(subnet: str) -> str:
        return f" at height {heights[subnet]}" if subnet in heights else ""

    for node in diff["nodes_added"]:
        lines.append(f"node {short(node)} registered")
    for subnet in diff["subnets_created"]:
        lines.append(f"subnet {short(subnet)} created")
    for change in diff["subnets_changed"]:
        subnet = change["id"]
        for node in change.get("nodes_added", ()):
            lines.append(f"node {short(node)} joined subnet {short(subnet)}{at(subnet)}")
        for node in change.get("nodes_removed", ()):
            lines.append(f"node {short(node)} left subnet {short(subnet)}{at(subnet)}")
        if "replica_version" in change:
            versions = change["replica_version"]
            lines.append(
                f"subnet {short(subnet)} upgraded from {versions['from']} to {versions['to']}"
            )
        if "is_halted" in change:
            halted = change["is_halted"]["to"]
            lines.append(f"subnet {short(subnet)} {'halted' if halted else 'unhalted'}")
        if "dkg_interval_length" in change:
            interval = change["dkg_interval_length"]
            lines.append(
                f"subnet {short(subnet)} DKG interval {interval['from']} -> {interval['to']}"
            )
    for subnet in diff["subnets_removed"]:
        lines.append(f"subnet {short(subnet)} removed")
    for node in diff["nodes_removed"]:
        lines.append(f"node {short(node)} removed from the registry")
    for version in diff["elected_replica_versions"]["added"]:
        lines.append(f"replica version {version} elected")
    for version in diff["elected_replica_versions"]["removed"]:
        lines.append(f"replica version {version} retired")
    return lines


def registry_events(
    client: RegistryClient, since: int, heights: dict[str, int] | None = None
) -> list[RegistryEvent]:
    """What each registry version after `since` changed, oldest first."""
    events: list[RegistryEvent] = []
    previous = topology_at(client, since) if since >= 1 else None
    for version in range(max(since, 0) + 1, client.latest_version + 1):
        current = topology_at(client, version)
        lines = (
            describe_diff(diff_topology(previous, current), heights)
            if previous is not None
            else [f"{len(current['subnets'])} subnets, {len(current['nodes'])} nodes"]
        )
        for line in lines or ["a record changed (no topology change)"]:
            events.append(RegistryEvent(version=version, text=line))
        previous = current
    return events


def node_health(alive: bool | None, height: int | None, subnet_top: int | None) -> str:
    """`down` (no replica process), `behind` (more than LAG_BLOCKS under its subnet's highest),
    `ok`, or `unknown` when the node's process is not visible (a remote network)."""
    if alive is None:
        return "unknown"
    if not alive:
        return "down"
    if height is None:
        return "starting"
    if subnet_top is not None and subnet_top - height > LAG_BLOCKS:
        return "behind"
    return "ok"


def voting_period_s(preset: str) -> int:
    """The initial voting period of a proposal under `preset` (4 governance days)."""
    return Durations.of(get_preset(preset)).initial_voting_period_seconds


def extension_s(view: ProposalView, voting_period: int) -> int:
    """How far wait-for-quiet moved the deadline beyond the initial voting period (governance's
    `compute_wait_for_quiet_deadline`, rs/nns/governance/src/governance.rs); 0 when it did not."""
    if view.deadline_s is None or view.action == "ManageNeuron":
        return 0
    return max(0, view.deadline_s - view.created_s - voting_period)


def plain(value: Any) -> Any:
    """A decoded payload as JSON-ready data: principals as text, bytes as short hex."""
    if isinstance(value, Principal):
        return value.to_text()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
        return raw.hex() if len(raw) <= 32 else f"{raw[:16].hex()}... ({len(raw)} bytes)"
    if hasattr(value, "name") and hasattr(value, "value"):  # an enum
        return str(value.name).lower()
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposalDetail:
    view: ProposalView
    payload: Any
    """The action's decoded payload (plain data), or None."""
    registry: RegistryPreview | None
    """For an open registry proposal: what adopting it would change."""
    executed: RegistryChange | None = None
    """For an executed registry proposal: the version(s) it wrote and their diff."""
    ballots: dict[int, str]
    """My neurons' ballots on it: neuron id -> yes, no or unspecified."""


def _ballots(info: dict[str, Any], mine: tuple[int, ...]) -> dict[int, str]:
    found: dict[int, str] = {}
    for entry in info.get("ballots") or ():
        neuron, ballot = (
            (entry["0"], entry["1"]) if isinstance(entry, dict) else (entry[0], entry[1])
        )
        if int(neuron) in mine:
            found[int(neuron)] = VOTES.get(int(ballot["vote"]), str(ballot["vote"]))
    return found


def proposal_detail(
    session: Session,
    proposal_id: int,
    my_neurons: tuple[int, ...] = (),
    changes: dict[int, RegistryChange | None] | None = None,
) -> ProposalDetail:
    """One proposal: decoded payload, my ballots, and for a registry proposal the change it
    would make (open: the registry's own validation, `tui.ops.preview`) or made (executed:
    `tui.ops.registry_change`, kept in `changes` by proposal id: it never changes again)."""
    info = session.run(session.governance.get_proposal(proposal_id, certified=False))
    if info is None:
        raise Refused(f"there is no proposal {proposal_id}", kind="NotFound")
    view = view_of(info)
    action = (info.get("proposal") or {}).get("action")
    tag, value = variant_of(action) if action else ("none", {})
    payload: Any = plain(value) if tag != "none" else None
    registry = None
    executed = None
    if tag == "ExecuteNnsFunction":
        function, blob = int(value["nns_function"]), bytes(value["payload"])
        try:
            payload = {"nns_function": function, "payload": plain(decode_payload(function, blob))}
        except (KeyError, ValueError, TypeError):
            payload = {"nns_function": function, "payload": plain(blob)}
        log: list[RegistryDelta] = []
        if view.status == "open":
            client = fetch_registry(session, log)
            registry = preview_registry_call(client, log, function, blob)
        elif view.status == "executed":
            changes = {} if changes is None else changes
            if proposal_id not in changes:
                log = []
                client = fetch_registry(session, log)
                changes[proposal_id] = executed_change(client, log, function, blob)
            executed = changes[proposal_id]
    return ProposalDetail(
        view=view,
        payload=payload,
        registry=registry,
        executed=executed,
        ballots=_ballots(info, my_neurons),
    )


def vote_unvoted(
    session: Session, proposal_id: int, neuron_ids: tuple[int, ...], *, yes: bool
) -> ProposalView:
    """Votes with those of `neuron_ids` whose ballot is still unspecified, as the NNS dapp does.

    A neuron votes once (governance refuses a second ballot with `NeuronAlreadyVoted`,
    rs/nns/governance/src/governance.rs `register_vote`); the proposer's neuron has voted
    Yes when the proposal was made. Refused when every chosen neuron has voted already."""
    info = session.run(session.governance.get_proposal(proposal_id, certified=False))
    if info is None:
        raise Refused(f"there is no proposal {proposal_id}", kind="NotFound")
    ballots = _ballots(info, neuron_ids)
    pending = tuple(n for n in neuron_ids if ballots.get(n, "unspecified") == "unspecified")
    if not pending:
        raise Refused(
            f"neurons {', '.join(map(str, neuron_ids))} already voted on proposal {proposal_id}",
            kind="NeuronAlreadyVoted",
        )
    return register_votes(session, proposal_id, pending, yes=yes)
