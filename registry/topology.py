"""The network's topology at a registry version, as plain JSON-ready data, and diffs.

What a person (or the dashboard) wants to see: the subnets with their type,
replica version and members, the unassigned nodes, node operators and elected
replica versions; and between two versions, what changed.
"""

from __future__ import annotations

from typing import Any

from registry.client import RegistryClient
from registry.records import (
    BLESSED_REPLICA_VERSIONS_KEY,
    NODE_OPERATOR_RECORD_PREFIX,
    BlessedReplicaVersions,
    SubnetType,
)


def topology_at(client: RegistryClient, version: int | None = None) -> dict[str, Any]:
    at = client.latest_version if version is None else version
    subnets: list[dict[str, Any]] = []
    for subnet_id in client.get_subnet_ids(at):
        record = client.get_subnet_record(subnet_id, at)
        if record is None:
            continue
        subnets.append(
            {
                "id": subnet_id.to_text(),
                "type": SubnetType(record.subnet_type).name.lower(),
                "replica_version": record.replica_version_id,
                "members": [node.to_text() for node in record.membership],
                "dkg_interval_length": record.dkg_interval_length,
                "is_halted": record.is_halted,
            }
        )
    nodes: dict[str, dict[str, Any]] = {}
    for node_id in client.get_node_ids(at):
        node = client.get_node_record(node_id, at)
        if node is not None:
            nodes[node_id.to_text()] = {
                "operator": node.node_operator_id.to_text(),
                "http": f"{node.http.ip_addr}:{node.http.port}",
                "subnet": None,
            }
    for subnet in subnets:
        for member in subnet["members"]:
            if member in nodes:
                nodes[member]["subnet"] = subnet["id"]
    blessed: BlessedReplicaVersions | None = client.get(BLESSED_REPLICA_VERSIONS_KEY, at)
    operators = {}
    for key in client.keys(NODE_OPERATOR_RECORD_PREFIX, at):
        record = client.get(key, at)
        operators[record.node_operator_principal_id.to_text()] = {
            "node_allowance": record.node_allowance,
            "node_provider": record.node_provider_principal_id.to_text(),
        }
    return {
        "version": at,
        "subnets": subnets,
        "nodes": nodes,
        "unassigned_nodes": [node.to_text() for node in client.get_unassigned_nodes(at)],
        "unassigned_replica_version": client.get_unassigned_replica_version(at),
        "elected_replica_versions": list(blessed.blessed_version_ids)
        if blessed is not None
        else [],
        "node_operators": operators,
    }


def diff_topology(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What changed between two topologies."""
    old_subnets = {subnet["id"]: subnet for subnet in before["subnets"]}
    new_subnets = {subnet["id"]: subnet for subnet in after["subnets"]}
    changed = []
    for subnet_id in sorted(old_subnets.keys() & new_subnets.keys()):
        old, new = old_subnets[subnet_id], new_subnets[subnet_id]
        change: dict[str, Any] = {}
        added = [node for node in new["members"] if node not in old["members"]]
        removed = [node for node in old["members"] if node not in new["members"]]
        if added or removed:
            change["nodes_added"], change["nodes_removed"] = added, removed
        for field in ("replica_version", "is_halted", "dkg_interval_length", "type"):
            if old[field] != new[field]:
                change[field] = {"from": old[field], "to": new[field]}
        if change:
            changed.append({"id": subnet_id, **change})
    return {
        "from_version": before["version"],
        "to_version": after["version"],
        "subnets_created": sorted(new_subnets.keys() - old_subnets.keys()),
        "subnets_removed": sorted(old_subnets.keys() - new_subnets.keys()),
        "subnets_changed": changed,
        "nodes_added": sorted(after["nodes"].keys() - before["nodes"].keys()),
        "nodes_removed": sorted(before["nodes"].keys() - after["nodes"].keys()),
        "elected_replica_versions": {
            "added": sorted(
                set(after["elected_replica_versions"]) - set(before["elected_replica_versions"])
            ),
            "removed": sorted(
                set(before["elected_replica_versions"]) - set(after["elected_replica_versions"])
            ),
        },
    }
