"""The registry client a node (or a tool) keeps.

It replicates the registry log through `get_changes_since` pages into a local
store and answers questions at any version it has: the subnets, a subnet's
members and replica version, the subnet of a node, the subnet a canister id
routes to (binary search over the routing table), the unassigned nodes, and
node and subnet keys.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from registry.records import (
    NODE_RECORD_PREFIX,
    ROUTING_TABLE_KEY,
    SUBNET_LIST_KEY,
    UNASSIGNED_NODES_CONFIG_KEY,
    KeyPurpose,
    NodeRecord,
    ReplicaVersionRecord,
    RoutingTable,
    SubnetListRecord,
    SubnetRecord,
    UnassignedNodesConfigRecord,
    crypto_record_key,
    replica_version_key,
    subnet_record_key,
    threshold_public_key_key,
)
from registry.store import RegistryDelta
from replica.canister import codec
from replica.types import Principal

FetchChanges = Callable[[int], tuple[list[RegistryDelta], int]]


class RegistryClient:
    """A local replica of the registry log."""

    def __init__(self, fetch: FetchChanges) -> None:
        self._fetch = fetch
        self._versions: dict[str, list[int]] = {}
        self._values: dict[str, list[bytes | None]] = {}
        self._decoded: dict[tuple[str, int], Any] = {}
        self.latest_version = 0

    def sync(self) -> int:
        """Fetch pages until the local copy is at the registry's latest version."""
        while True:
            deltas, remote_latest = self._fetch(self.latest_version)
            page_top = self.latest_version
            for delta in deltas:
                versions = self._versions.setdefault(delta.key, [])
                values = self._values.setdefault(delta.key, [])
                for version, value in sorted(delta.values, key=lambda item: item[0]):
                    if versions and version <= versions[-1]:
                        continue
                    versions.append(version)
                    values.append(value)
                    page_top = max(page_top, version)
            if page_top == self.latest_version:
                self.latest_version = max(
                    self.latest_version, remote_latest if not deltas else page_top
                )
                return self.latest_version
            self.latest_version = page_top
            if self.latest_version >= remote_latest:
                return self.latest_version

    # -- generic reads ----------------------------------------------------------------------

    def _at(self, version: int | None) -> int:
        return self.latest_version if version is None else version

    def get(self, key: str, version: int | None = None) -> Any:
        at = self._at(version)
        versions = self._versions.get(key)
        if not versions:
            return None
        position = bisect_right(versions, at) - 1
        if position < 0:
            return None
        raw = self._values[key][position]
        if raw is None:
            return None
        cache_key = (key, versions[position])
        if cache_key not in self._decoded:
            self._decoded[cache_key] = codec.decode(raw)
        return self._decoded[cache_key]

    def get_value_version(self, key: str, version: int | None = None) -> int | None:
        """The registry version that wrote the value of `key` seen at `version` (None: absent)."""
        versions = self._versions.get(key)
        position = -1 if not versions else bisect_right(versions, self._at(version)) - 1
        if versions is None or position < 0 or self._values[key][position] is None:
            return None
        return versions[position]

    def keys(self, prefix: str, version: int | None = None) -> list[str]:
        return sorted(
            key
            for key in self._versions
            if key.startswith(prefix) and self.get(key, version) is not None
        )

    # -- topology questions -----------------------------------------------------------------

    def get_subnet_ids(self, version: int | None = None) -> tuple[Principal, ...]:
        record: SubnetListRecord | None = self.get(SUBNET_LIST_KEY, version)
        return record.subnets if record is not None else ()

    def get_subnet_record(
        self, subnet_id: Principal, version: int | None = None
    ) -> SubnetRecord | None:
        record: SubnetRecord | None = self.get(subnet_record_key(subnet_id), version)
        return record

    def get_subnet_members(
        self, subnet_id: Principal, version: int | None = None
    ) -> tuple[Principal, ...]:
        record = self.get_subnet_record(subnet_id, version)
        return record.membership if record is not None else ()

    def get_replica_version(self, subnet_id: Principal, version: int | None = None) -> str | None:
        record = self.get_subnet_record(subnet_id, version)
        return record.replica_version_id if record is not None else None

    def get_replica_version_record(
        self, version_id: str, version: int | None = None
    ) -> ReplicaVersionRecord | None:
        """The elected release of a replica version: its package SHA-256 and URLs."""
        record: ReplicaVersionRecord | None = self.get(replica_version_key(version_id), version)
        return record

    def get_subnet_of_node(
        self, node_id: Principal, version: int | None = None
    ) -> Principal | None:
        for subnet_id in self.get_subnet_ids(version):
            if node_id in self.get_subnet_members(subnet_id, version):
                return subnet_id
        return None

    def get_node_ids(self, version: int | None = None) -> list[Principal]:
        return [
            Principal.from_text(key[len(NODE_RECORD_PREFIX) :])
            for key in self.keys(NODE_RECORD_PREFIX, version)
        ]

    def get_node_record(self, node_id: Principal, version: int | None = None) -> NodeRecord | None:
        record: NodeRecord | None = self.get(NODE_RECORD_PREFIX + node_id.to_text(), version)
        return record

    def get_unassigned_nodes(self, version: int | None = None) -> list[Principal]:
        assigned = {
            node
            for subnet in self.get_subnet_ids(version)
            for node in self.get_subnet_members(subnet, version)
        }
        return [node for node in self.get_node_ids(version) if node not in assigned]

    def get_unassigned_replica_version(self, version: int | None = None) -> str | None:
        record: UnassignedNodesConfigRecord | None = self.get(UNASSIGNED_NODES_CONFIG_KEY, version)
        return record.replica_version if record is not None else None

    def route(self, canister: Principal | int, version: int | None = None) -> Principal | None:
        """The subnet hosting a canister id, by binary search over the routing table."""
        index = canister if isinstance(canister, int) else canister.canister_index()
        table: RoutingTable | None = self.get(ROUTING_TABLE_KEY, version)
        if index is None or table is None:
            return None
        return table.get_subnet_for(index)

    def get_node_public_key(
        self, node_id: Principal, purpose: KeyPurpose, version: int | None = None
    ) -> bytes | None:
        record = self.get(crypto_record_key(node_id, purpose), version)
        return None if record is None else bytes(record.key_value)

    def get_threshold_public_key_der(
        self, subnet_id: Principal, version: int | None = None
    ) -> bytes | None:
        record = self.get(threshold_public_key_key(subnet_id), version)
        return None if record is None else bytes(record.public_key_der)
