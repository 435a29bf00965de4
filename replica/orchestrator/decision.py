"""What a node should be doing, decided from the registry and its latest catch-up package.

A pure function of its inputs (no I/O), so the live orchestrator and the
simulator make the same decisions. It follows the IC's orchestrator
(`rs/orchestrator/src/upgrade.rs`, spec C):

- The subnet of a node with a local CUP is the CUP's subnet; without one, the
  subnet whose record lists the node at the latest registry version, or none
  (the node is unassigned and runs no replica).
- The replica version is the subnet record's `replica_version_id` at the
  **CUP's registry version**, not at the latest version: a subnet switches
  versions only at the CUP of the interval that names the new version
  (spec D.8). Unassigned nodes follow `unassigned_nodes_config`.
- Leaving (`UnassignmentDecision`): with `old` the CUP's oldest registry
  version in use and `L` the latest, a node still listed at `L` stays; one
  listed at some version in `[old, L)` keeps serving ("later"); one listed at
  none is told to stop and wipe ("now"). A registry behind the CUP (`L < old`)
  never wipes a node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from registry.records import SubnetRecord
from replica.types import Principal

DecisionKind = Literal["unassigned", "run", "leaving", "leave"]


class RegistryReader(Protocol):
    """The registry questions the decision asks (`registry.client.RegistryClient` answers them)."""

    @property
    def latest_version(self) -> int: ...

    def get_subnet_record(
        self, subnet_id: Principal, version: int | None = None
    ) -> SubnetRecord | None: ...

    def get_subnet_of_node(
        self, node_id: Principal, version: int | None = None
    ) -> Principal | None: ...

    def get_unassigned_replica_version(self, version: int | None = None) -> str | None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalCup:
    """What the orchestrator knows of the node's latest catch-up package."""

    subnet_id: Principal
    height: int
    registry_version: int
    """The registry version of the CUP's summary (the version its interval runs at)."""
    oldest_registry_version_in_use: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    kind: DecisionKind
    subnet_id: Principal | None
    replica_version: str | None
    registry_version: int
    """The latest registry version the decision saw."""
    height: int
    """The height of the CUP it used (-1: none)."""
    why: str

    @property
    def runs_replica(self) -> bool:
        return self.kind in ("run", "leaving")


def is_member(
    registry: RegistryReader, subnet_id: Principal, node_id: Principal, version: int
) -> bool:
    record = registry.get_subnet_record(subnet_id, version)
    return record is not None and node_id in record.membership


def decide(node_id: Principal, registry: RegistryReader, cup: LocalCup | None) -> Decision:
    latest = registry.latest_version
    if cup is None:
        subnet_id = registry.get_subnet_of_node(node_id, latest)
        if subnet_id is None:
            return Decision(
                kind="unassigned",
                subnet_id=None,
                replica_version=registry.get_unassigned_replica_version(latest),
                registry_version=latest,
                height=-1,
                why=f"no local catch-up package and no subnet lists the node at version {latest}",
            )
        record = registry.get_subnet_record(subnet_id, latest)
        return Decision(
            kind="run",
            subnet_id=subnet_id,
            replica_version=None if record is None else record.replica_version_id,
            registry_version=latest,
            height=-1,
            why=f"subnet {subnet_id} lists the node at version {latest}; start from its registry CUP",
        )
    subnet_id, old = cup.subnet_id, cup.oldest_registry_version_in_use
    at_cup = registry.get_subnet_record(subnet_id, min(cup.registry_version, latest))
    version = None if at_cup is None else at_cup.replica_version_id

    def decision(kind: DecisionKind, why: str) -> Decision:
        return Decision(
            kind=kind,
            subnet_id=subnet_id,
            replica_version=version,
            registry_version=latest,
            height=cup.height,
            why=why,
        )

    if latest < old:
        return decision(
            "run", f"the local registry (version {latest}) is behind the CUP's version {old}"
        )
    if is_member(registry, subnet_id, node_id, latest):
        return decision(
            "run",
            f"member of {subnet_id} at version {latest}; replica version {version} "
            f"named at the CUP's registry version {cup.registry_version}",
        )
    listed = [v for v in range(old, latest) if is_member(registry, subnet_id, node_id, v)]
    if listed:
        return decision(
            "leaving",
            f"removed from {subnet_id} at version {listed[-1] + 1}, but version {listed[-1]} is "
            f"still in use (the CUP at height {cup.height} uses versions from {old})",
        )
    return decision(
        "leave",
        f"no registry version in use ({old}..{latest}) lists the node in {subnet_id}",
    )
