"""The registry version(s) an executed proposal wrote, and the topology diff they made.

The registry does not record which proposal wrote a version, nor when; governance
only says that the proposal executed. So the proposal's payload is run again: for
each registry version `v` (newest first), the log up to `v - 1` is replayed into a
private registry (`tui.ops.preview.replay`), the registry method the proposal calls
on adoption (`registry.requests.REGISTRY_METHODS`, as governance's
`execute_nns_function` does, rs/nns/governance/src/governance.rs) runs there with
the same payload, and the batches it writes are compared with the versions the
real registry holds from `v` on. Keys are compared with the principals that did
not exist before `v` masked (a new subnet's id comes from its DKG, different at
each run); a version whose values also match (every key whose name holds no new
principal, with the new principals' bytes masked in them) is taken at once,
otherwise the newest whose keys match. Payloads a registry refuses at `v - 1`
(a version elected twice, a node that is already a member) cannot have written `v`.
The diff shown is the time-travel diff (`registry.topology.diff_topology`) from the
version before to the last one written.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final

from registry.client import RegistryClient
from registry.errors import RegistryError
from registry.interface import decode_payload
from registry.requests import REGISTRY_METHODS
from registry.store import RegistryDelta
from registry.topology import diff_topology, topology_at
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID
from replica.types import Principal
from tui.ops.preview import replay

PRINCIPAL: Final = re.compile(r"[a-z2-7]{5}(?:-[a-z2-7]{5})*-[a-z2-7]{1,5}")
"""A principal's text form, inside a registry key."""

NEW: Final = "<new>"

Batch = dict[str, bytes | None]
"""The keys one registry version wrote (None: deleted)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistryChange:
    versions: tuple[int, ...]
    """The registry versions the proposal wrote (empty: none matches its payload)."""
    diff: dict[str, Any] | None
    """`diff_topology` from the version before the first to the last; None without a match."""

    def to_json(self) -> dict[str, Any]:
        return {"versions": list(self.versions), "diff": self.diff}


def batches(deltas: list[RegistryDelta]) -> dict[int, Batch]:
    """Version -> the keys it wrote, from a registry log."""
    found: dict[int, Batch] = defaultdict(dict)
    for delta in deltas:
        for version, value in delta.values:
            found[version][delta.key] = value
    return dict(found)


def _principals(keys: Any) -> set[str]:
    return {match for key in keys for match in PRINCIPAL.findall(key)}


def _raw(text: str) -> bytes | None:
    try:
        return Principal.from_text(text).raw
    except ValueError:
        return None


def _masked(batch: Batch, known: set[str]) -> tuple[frozenset[str], dict[str, bytes | None]]:
    """The batch's keys with new principals masked, and the values of the keys that name no
    new principal, with the new principals' bytes masked in them too (a subnet list)."""
    new = {text for text in _principals(batch) if text not in known}
    raws = [raw for raw in map(_raw, sorted(new)) if raw]
    keys: set[str] = set()
    values: dict[str, bytes | None] = {}
    for key, value in batch.items():
        masked = PRINCIPAL.sub(lambda m: NEW if m.group(0) in new else m.group(0), key)
        keys.add(masked)
        if masked == key:
            for raw in raws:
                value = None if value is None else value.replace(raw, NEW.encode())
            values[key] = value
    return frozenset(keys), values


def rerun(log: dict[int, Batch], before: int, nns_function: int, blob: bytes) -> list[Batch]:
    """The batches the registry method of `nns_function` writes when run with `blob` on the
    registry as it was at version `before`; empty when it refuses the payload there."""
    method = REGISTRY_METHODS[nns_function]
    deltas = [
        RegistryDelta(key=key, values=((version, value),))
        for version in sorted(log)
        if version <= before
        for key, value in log[version].items()
    ]
    registry = replay(deltas)
    try:
        getattr(registry, method)(GOVERNANCE_CANISTER_ID, decode_payload(nns_function, blob))
        written = registry.registry.get_changes_since(before)
    except (RegistryError, ValueError, TypeError, KeyError):
        return []
    finally:
        registry.store.dispose()
    return [batch for _, batch in sorted(batches(written).items())]


def executed_change(
    client: RegistryClient, deltas: list[RegistryDelta], nns_function: int, blob: bytes
) -> RegistryChange | None:
    """What an executed registry proposal wrote (see the module); None when its NNS function
    does not call the registry."""
    if nns_function not in REGISTRY_METHODS:
        return None
    log = batches(deltas)
    latest = max(log, default=0)
    best: tuple[int, ...] = ()
    for version in range(latest, 1, -1):
        written = rerun(log, version - 1, nns_function, blob)
        real = [log.get(v, {}) for v in range(version, version + len(written))]
        if not written or any(not batch for batch in real):
            continue
        known = _principals(
            key for v in range(1, version) for key in log.get(v, {}) if log[v][key] is not None
        )
        pairs = [(_masked(a, known), _masked(b, known)) for a, b in zip(written, real, strict=True)]
        if all(ours[0] == theirs[0] for ours, theirs in pairs):
            versions = tuple(range(version, version + len(written)))
            if all(ours[1] == theirs[1] for ours, theirs in pairs):
                best = versions
                break
            best = best or versions
    if not best:
        return RegistryChange(versions=(), diff=None)
    return RegistryChange(
        versions=best,
        diff=diff_topology(topology_at(client, best[0] - 1), topology_at(client, best[-1])),
    )
