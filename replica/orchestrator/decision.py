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
- Recovery: a catch-up package the registry holds (`catch_up_package_contents`, written
  by RecoverSubnet) that is newer than the local one (`is_newer_cup`: higher, or as high
  with a newer registry version) wins (`rs/orchestrator/src/catch_up_package_provider.rs`
  prefers the highest of the local, the registry and the peers' CUPs); its registry
  version is the version that wrote it, so the replica version is the one named there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from registry.records import SubnetRecord, catch_up_package_contents_key
from replica.consensus.artifacts import is_newer_cup
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

    def get(self, key: str, version: int | None = None) -> Any: ...

    def get_value_version(self, key: str, version: int | None = None) -> int | None: ...


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
    recovery: bool = False
    """Whether that CUP is the registry's recovery CUP, newer than the node's own."""

    @property
    def runs_replica(self) -> bool:
        return self.kind in ("run", "leaving")


def is_member(
    registry: RegistryReader, subnet_id: Principal, node_id: Principal, version: int
) -> bool:
    record = registry.get_subnet_record(subnet_id, version)
    return record is not None and node_id in record.membership


def get_registry_cup(registry: RegistryReader, subnet_id: Principal) -> tuple[int, int] | None:
    """(height, registry version) of the CUP the registry holds for a subnet: its genesis CUP, or
    the recovery CUP of the latest RecoverSubnet."""
    key = catch_up_package_contents_key(subnet_id)
    version = registry.get_value_version(key)
    contents = None if version is None else registry.get(key, version)
    if version is None or contents is None:
        return None
    return int(contents.height), version


def newer_registry_cup(registry: RegistryReader, cup: LocalCup) -> LocalCup | None:
    """The registry's CUP of the node's subnet when it is newer than the local one."""
    found = get_registry_cup(registry, cup.subnet_id)
    if found is None or not is_newer_cup(found[0], found[1], (cup.height, cup.registry_version)):
        return None
    return LocalCup(
        subnet_id=cup.subnet_id,
        height=found[0],
        registry_version=found[1],
        oldest_registry_version_in_use=found[1],
    )


def decide(node_id: Principal, registry: RegistryReader, cup: LocalCup | None) -> Decision:
    latest = registry.latest_version
    recovery = None if cup is None else newer_registry_cup(registry, cup)
    if recovery is not None:
        cup = recovery
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
            why=(
                f"subnet {subnet_id} lists the node at version {latest}; "
                "start from its registry CUP"
            ),
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
            why=why if recovery is None else f"recovery CUP at height {cup.height}: {why}",
            recovery=recovery is not None,
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
