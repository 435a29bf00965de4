"""An incremental hash of a mapping from keys to byte strings.

The engine's state hash must not cost more as the subnet ages: an empty round
on a subnet that has answered 100,000 requests costs what it costs on a fresh
one. `MapDigest` keeps each entry's hash and a two-level Merkle structure over
65,536 buckets (the low 16 bits of the key's CRC-32): changing one entry
rehashes its bucket, its group of 256 buckets and the 256 group hashes, and an
unchanged mapping answers from its cache, like the certified state tree's
incremental builder (`replica.state.tree.StateTreeBuilder`) reuses the
subtrees that did not change.

The digest depends only on the mapping's content, never on the order of the
changes that produced it, so a replica restored from a checkpoint computes the
same digest as one that never stopped.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from typing import Final

_GROUP_BITS: Final = 6
_BUCKETS: Final = 1 << 12
_EMPTY: Final = b""


def _bucket_of(key: bytes) -> int:
    return zlib.crc32(key) & (_BUCKETS - 1)


class MapDigest:
    """The digest of `{key: value}` (both bytes), updated entry by entry."""

    def __init__(self, domain: bytes) -> None:
        self._domain = domain
        self._buckets: dict[int, dict[bytes, bytes]] = {}
        self._bucket_digests: dict[int, bytes] = {}
        self._group_digests: dict[int, bytes] = {}
        self._dirty: set[int] = set()
        self._root: bytes | None = None

    def __len__(self) -> int:
        return sum(len(bucket) for bucket in self._buckets.values())

    def set(self, key: bytes, value: bytes) -> None:
        bucket = _bucket_of(key)
        entry = hashlib.sha256(struct.pack(">I", len(key)) + key + value).digest()
        entries = self._buckets.setdefault(bucket, {})
        if entries.get(key) != entry:
            entries[key] = entry
            self._dirty.add(bucket)

    def discard(self, key: bytes) -> None:
        bucket = _bucket_of(key)
        entries = self._buckets.get(bucket)
        if entries is not None and entries.pop(key, None) is not None:
            self._dirty.add(bucket)

    def digest(self) -> bytes:
        if self._root is not None and not self._dirty:
            return self._root
        groups = set()
        for bucket in self._dirty:
            entries = self._buckets.get(bucket)
            if entries:
                self._bucket_digests[bucket] = hashlib.sha256(
                    b"".join(
                        entries[key] for key in sorted(entries)
                    )  # each entry hash commits to its key
                ).digest()
            else:
                self._buckets.pop(bucket, None)
                self._bucket_digests.pop(bucket, None)
            groups.add(bucket >> _GROUP_BITS)
        self._dirty.clear()
        for group in groups:
            first = group << _GROUP_BITS
            parts = [
                struct.pack(">H", bucket) + found
                for bucket in range(first, first + (1 << _GROUP_BITS))
                if (found := self._bucket_digests.get(bucket, _EMPTY))
            ]
            if parts:
                self._group_digests[group] = hashlib.sha256(b"".join(parts)).digest()
            else:
                self._group_digests.pop(group, None)
        root = hashlib.sha256(self._domain)
        for group in sorted(self._group_digests):
            root.update(bytes([group]) + self._group_digests[group])
        self._root = root.digest()
        return self._root
