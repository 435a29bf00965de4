"""The network's topology from the registry canister: at any version, and between two.

The registry log is fetched once through `get_changes_since` into a
`registry.client.RegistryClient`; `registry.topology` turns a version of it
into subnets, nodes, operators and elected versions, and diffs two versions.
"""

from __future__ import annotations

from typing import Any

from registry.client import RegistryClient
from registry.store import RegistryDelta
from registry.topology import diff_topology, topology_at
from tui.ops.errors import UsageError
from tui.ops.session import Session


def fetch_registry(session: Session, log: list[RegistryDelta] | None = None) -> RegistryClient:
    """The registry's whole log in a client; every delta fetched is also appended to `log`."""

    def fetch(version: int) -> tuple[list[RegistryDelta], int]:
        answer = session.run(session.registry.get_changes_since(version))
        deltas = [
            RegistryDelta(
                key=delta["key"],
                values=tuple(
                    (int(v["version"]), None if v["value"] is None else bytes(v["value"]))
                    for v in delta["values"]
                ),
            )
            for delta in answer["deltas"]
        ]
        if log is not None:
            log.extend(deltas)
        return deltas, int(answer["version"])

    client = RegistryClient(fetch)
    client.sync()
    return client


def _check_version(client: RegistryClient, version: int | None) -> int:
    latest = client.latest_version
    if version is None:
        return latest
    if not 1 <= version <= latest:
        raise UsageError(
            f"registry version {version} does not exist (the latest is {latest})",
            kind="UnknownVersion",
        )
    return version


def get_topology(
    session: Session, version: int | None = None, client: RegistryClient | None = None
) -> dict[str, Any]:
    registry = client or fetch_registry(session)
    return topology_at(registry, _check_version(registry, version))


def get_topology_diff(session: Session, before: int, after: int | None = None) -> dict[str, Any]:
    registry = fetch_registry(session)
    return diff_topology(
        topology_at(registry, _check_version(registry, before)),
        topology_at(registry, _check_version(registry, after)),
    )
