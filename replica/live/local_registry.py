"""A node's local registry file, opened by its replica and by its orchestrator.

Its own module so that the orchestrator, which reads the registry but runs no
consensus, starts without importing the consensus and execution packages.
"""

from __future__ import annotations

from pathlib import Path

from registry.client import RegistryClient
from registry.store import TABLES, RegistryStore
from replica.canister.stable import StableStore


def open_local_registry(path: Path) -> tuple[RegistryStore, RegistryClient]:
    """The node's local registry store and a client synced to it."""
    store = RegistryStore(StableStore(list(TABLES), str(path)))

    def fetch(version: int) -> tuple[list, int]:  # type: ignore[type-arg]
        # Another process (the orchestrator) appends to the file: the newest version read wins.
        deltas = store.get_changes_since(version)
        newest = max((v for delta in deltas for v, _ in delta.values), default=version)
        return deltas, max(newest, store.latest_version)

    client = RegistryClient(fetch)
    client.sync()
    return store, client
