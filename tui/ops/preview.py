"""What an adopted registry proposal would change, from the registry's own validation.

The registry log fetched from the network is replayed into a private,
in-memory `registry.canister.Registry`; the proposal's payload is decoded as
the registry decodes it and run through the same method the registry would
run on adoption (its payload checks, its mutation kinds and the global
invariants). A payload the registry would refuse is refused here with the
registry's own message; otherwise the topology before and after is diffed.
A new subnet's id and keys come from its DKG at execution, so the preview's
subnet id is only a placeholder.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from registry.canister import Registry
from registry.client import RegistryClient
from registry.dkg import SeededInitialDkg
from registry.errors import RegistryError
from registry.interface import decode_payload
from registry.requests import REGISTRY_METHODS
from registry.store import Mutation, RegistryDelta, delete, upsert
from registry.topology import diff_topology, topology_at
from replica.canister import codec
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID
from replica.environment import ManualEnvironment


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistryPreview:
    valid: bool
    error: str | None
    diff: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {"valid": self.valid, "error": self.error, "diff": self.diff}


def replay(deltas: list[RegistryDelta]) -> Registry:
    """A private registry holding the versions of `deltas` (the whole log, as fetched)."""
    registry = Registry(
        ManualEnvironment(seed=os.urandom(8)), initial_dkg=SeededInitialDkg(os.urandom(32))
    )
    by_version: dict[int, list[Mutation]] = defaultdict(list)
    for delta in deltas:
        for version, value in delta.values:
            by_version[version].append(
                delete(delta.key) if value is None else upsert(delta.key, codec.decode(value))
            )
    for version in sorted(by_version):
        with registry.store.transaction() as session:
            registry.registry.apply(session, by_version[version])
    return registry


def preview_registry_call(
    client: RegistryClient, deltas: list[RegistryDelta], nns_function: int, payload_blob: bytes
) -> RegistryPreview:
    method = REGISTRY_METHODS.get(nns_function)
    if method is None:
        return RegistryPreview(valid=True, error=None, diff=None)
    before = topology_at(client)
    registry = replay(deltas)
    try:
        payload = decode_payload(nns_function, payload_blob)
        getattr(registry, method)(GOVERNANCE_CANISTER_ID, payload)
    except (RegistryError, ValueError, TypeError, KeyError) as error:
        registry.store.dispose()
        return RegistryPreview(valid=False, error=str(error) or type(error).__name__, diff=None)

    def fetch(version: int) -> tuple[list[RegistryDelta], int]:
        return registry.registry.get_changes_since(version), registry.registry.latest_version

    after_client = RegistryClient(fetch)
    after_client.sync()
    after = topology_at(after_client)
    registry.store.dispose()
    return RegistryPreview(valid=True, error=None, diff=diff_topology(before, after))
