"""The registry's certified changelog: a hash chain over its versions.

On the IC a node's registry replicator asks the NNS for
`get_certified_changes_since` and checks the answer's certificate against the
NNS public key before it appends anything to its local store
(`rs/registry/replicator/src/lib.rs`, `rs/registry/nns_data_provider/src/certification.rs`:
the registry canister's certified data is the root of a hash tree over its
changelog). icbox keeps the same guarantee with a smaller structure: the
registry canister's certified data is the head of a hash chain

    H_0 = 32 zero bytes
    H_v = SHA-256(len-prefixed "ic-registry-version" ‖ H_(v-1) ‖ v as 8 bytes ‖ batch_v)

where `batch_v` is the canonical CBOR of version v's changes, sorted by key,
each value the record's canonical CBOR (None for a deletion). A client that
holds H_v replays the changes an uncertified query gave it and accepts them
only if the chain it computes ends at the certified head; one altered,
missing or extra value changes the head.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from registry.errors import RegistryError
from registry.store import RegistryDelta
from replica.canister import codec

EMPTY_CHAIN: Final = bytes(32)
_DOMAIN: Final = b"\x13ic-registry-version"

Batch = tuple[tuple[str, bytes | None], ...]


class CertificationError(RegistryError):
    """Changes that do not chain to the certified head."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionedBatch:
    version: int
    changes: Batch


def encode_batch(changes: Iterable[tuple[str, bytes | None]]) -> bytes:
    """The canonical bytes of one version's changes (the changelog's own encoding)."""
    return codec.encode(sorted(changes))


def compute_chain_hash(
    previous: bytes, version: int, changes: Iterable[tuple[str, bytes | None]]
) -> bytes:
    return hashlib.sha256(
        _DOMAIN + previous + version.to_bytes(8, "big") + encode_batch(changes)
    ).digest()


def compute_chain(
    batches: Iterable[tuple[int, Sequence[tuple[str, bytes | None]]]], start: bytes = EMPTY_CHAIN
) -> bytes:
    head = start
    for version, changes in batches:
        head = compute_chain_hash(head, version, changes)
    return head


def batches_from_deltas(deltas: Iterable[RegistryDelta], after: int) -> list[VersionedBatch]:
    """Regroup `get_changes_since(after)` deltas (per key) into batches per version.

    The versions must follow `after` without a gap: a page that skips a version
    cannot be chained and is refused.
    """
    by_version: dict[int, list[tuple[str, bytes | None]]] = {}
    for delta in deltas:
        for version, value in delta.values:
            if version <= after:
                continue
            by_version.setdefault(version, []).append((delta.key, value))
    versions = sorted(by_version)
    if versions and versions != list(range(after + 1, after + 1 + len(versions))):
        raise CertificationError(
            f"the changes after version {after} are not contiguous: {versions[:5]}..."
        )
    return [
        VersionedBatch(version=version, changes=tuple(sorted(by_version[version])))
        for version in versions
    ]


def verify_batches(
    start: bytes, batches: Sequence[VersionedBatch], certified_head: bytes
) -> list[VersionedBatch]:
    """The prefix of `batches` whose chain from `start` ends at `certified_head`.

    The query that gave the batches may have answered at a newer version than the
    certificate (the two requests are answered at different heights): the batches
    past the certified head are dropped, not trusted. Raises if no prefix matches.
    """
    head = start
    if head == certified_head:
        return []
    for index, batch in enumerate(batches):
        head = compute_chain_hash(head, batch.version, batch.changes)
        if head == certified_head:
            return list(batches[: index + 1])
    raise CertificationError(
        f"the registry changes do not chain to the certified head (tried {len(batches)} versions)"
    )
