"""The ingress history: the status of every recent request, pruned as the IC prunes it.

A request's status goes received → processing → replied or rejected (the
interface spec's "Request status"); done means the reply was forgotten. The
rules follow dfinity/ic `IngressHistoryState`
(rs/replicated_state/src/metadata_state.rs):

- a terminal status (replied, rejected, done) recorded at time t is enrolled to
  be pruned at t + MAX_INGRESS_TTL (five minutes, rs/limits/src/lib.rs);
- every batch removes the statuses whose pruning time is before the batch time
  (`prune`, which the IC calls through `ReplicatedState::prune_ingress_history`);
- when the statuses' payloads (reply bytes, reject messages) exceed the
  history's memory capacity, replied and rejected statuses become done, oldest
  pruning time first, until the history fits again (`forget_terminal_statuses`).

The engine inducts only requests that expire at most MAX_INGRESS_TTL after the
batch time (the ingress selector's rule), so a request has expired before its
status is pruned and can never run twice.

The history keeps an incremental digest of its content (`digest()`, brought
up to date when asked: a message's three statuses of one round are hashed
once), and the ids whose status changed in the current round (`changes`), for
the certified state tree.
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Iterator
from dataclasses import replace
from typing import Final

from replica.environment import NANOS_PER_SECOND
from replica.execution.digest import MapDigest
from replica.execution.messages import IngressStatus, Status

MAX_INGRESS_TTL_NS: Final = 5 * 60 * NANOS_PER_SECOND
DEFAULT_INGRESS_MEMORY_CAPACITY: Final = 256 * 1024 * 1024
"""Bytes of replies and reject messages kept before the oldest become done (the IC allows 4 GiB)."""

_TERMINAL: Final = frozenset({Status.REPLIED, Status.REJECTED, Status.DONE})
_WITH_PAYLOAD: Final = frozenset({Status.REPLIED, Status.REJECTED})
_COMPACT_AFTER: Final = 4_096


def payload_bytes(status: IngressStatus) -> int:
    """What a status costs the history's memory: its reply or its reject message."""
    if status.reply is not None:
        return len(status.reply)
    if status.reject is not None:
        return len(status.reject.message.encode())
    return 0


def _field(value: bytes | int | str | None) -> bytes:
    if value is None:
        return b"N"
    data = (
        value.encode()
        if isinstance(value, str)
        else str(value).encode()
        if isinstance(value, int)
        else value
    )
    return struct.pack(">I", len(data)) + data


def encode_status(status: IngressStatus) -> bytes:
    """Canonical bytes of one status, for the digest: each field length-prefixed."""
    reject = status.reject
    fields: list[bytes | int | str | None] = [
        status.status.value,
        status.time_ns,
        status.expiry_ns,
        status.reply,
    ]
    if reject is not None:
        fields += [
            int(reject.code),
            reject.message,
            None if reject.error_code is None else int(reject.error_code),
        ]
    return b"".join(_field(value) for value in fields)


class IngressHistory:
    """Statuses by request id, with their pruning times."""

    def __init__(self, *, memory_capacity: int = DEFAULT_INGRESS_MEMORY_CAPACITY) -> None:
        self.memory_capacity = memory_capacity
        self._statuses: dict[bytes, IngressStatus] = {}
        self._pruning: list[tuple[int, bytes]] = []  # (pruning time, id), sorted
        self._head = 0  # entries before it are pruned
        self._forget_from = 0  # the pruning-time group where forgetting stopped last
        self._memory = 0
        self._digest = MapDigest(b"icbox-ingress-history")
        self._stale: set[bytes] = set()  # ids whose digest entry is behind their status
        self._changed: set[bytes] = set()

    def get(self, message_id: bytes) -> IngressStatus | None:
        return self._statuses.get(message_id)

    def __contains__(self, message_id: bytes) -> bool:
        return message_id in self._statuses

    def __len__(self) -> int:
        return len(self._statuses)

    @property
    def memory_usage(self) -> int:
        return self._memory

    def items(self) -> Iterator[tuple[bytes, IngressStatus]]:
        """Every status, in request-id order."""
        for message_id in sorted(self._statuses):
            yield message_id, self._statuses[message_id]

    def digest(self) -> bytes:
        statuses, digest = self._statuses, self._digest
        for message_id in self._stale:
            status = statuses.get(message_id)
            if status is None:
                digest.discard(message_id)
            else:
                digest.set(message_id, encode_status(status))
        self._stale.clear()
        return digest.digest()

    def begin_round(self) -> None:
        """Start recording the ids this round changes (see `changes`)."""
        self._changed = set()

    @property
    def changes(self) -> frozenset[bytes]:
        """Ids whose status changed or disappeared since the round began."""
        return frozenset(self._changed)

    def set(self, message_id: bytes, status: IngressStatus) -> None:
        """Record `status` (its `time_ns` is the batch time of the change)."""
        self._put(message_id, status)
        if status.status in _TERMINAL:
            entry = (status.time_ns + MAX_INGRESS_TTL_NS, message_id)
            pruning = self._pruning
            if not pruning or pruning[-1] <= entry:  # batch time never goes back: the usual case
                pruning.append(entry)
            else:
                index = bisect.bisect_right(pruning, entry, lo=self._head)
                pruning.insert(index, entry)
                self._forget_from = min(self._forget_from, index)
        if self._memory > self.memory_capacity:
            self._forget_terminal_statuses()

    def prune(self, now_ns: int) -> None:
        """Remove the statuses whose pruning time is before `now_ns`."""
        pruning = self._pruning
        while self._head < len(pruning) and pruning[self._head][0] < now_ns:
            message_id = pruning[self._head][1]
            self._head += 1
            removed = self._statuses.pop(message_id, None)
            if removed is not None:
                self._memory -= payload_bytes(removed)
                self._stale.add(message_id)
                self._changed.add(message_id)
        self._forget_from = max(self._forget_from, self._head)
        if self._head > _COMPACT_AFTER and self._head * 2 > len(pruning):
            del pruning[: self._head]
            self._forget_from -= self._head
            self._head = 0

    def _put(self, message_id: bytes, status: IngressStatus) -> None:
        old = self._statuses.get(message_id)
        if old is not None:
            self._memory -= payload_bytes(old)
        self._statuses[message_id] = status
        self._memory += payload_bytes(status)
        self._stale.add(message_id)
        self._changed.add(message_id)

    def _forget_terminal_statuses(self) -> None:
        """Replied and rejected statuses become done, oldest pruning time first, until the history
        fits."""
        pruning = self._pruning
        index = max(self._forget_from, self._head)
        while index < len(pruning):
            group_time = pruning[index][0]
            self._forget_from = index
            if self._memory <= self.memory_capacity:
                break
            while index < len(pruning) and pruning[index][0] == group_time:
                message_id = pruning[index][1]
                status = self._statuses.get(message_id)
                if status is not None and status.status in _WITH_PAYLOAD:
                    self._put(
                        message_id, replace(status, status=Status.DONE, reply=None, reject=None)
                    )
                index += 1

    def restore(self, statuses: list[tuple[bytes, IngressStatus]]) -> None:
        """Load a checkpoint's statuses; terminal ones are enrolled at their time plus the TTL."""
        for message_id, status in statuses:
            self._put(message_id, status)
            if status.status in _TERMINAL:
                self._pruning.append((status.time_ns + MAX_INGRESS_TTL_NS, message_id))
        self._pruning.sort()
        self._changed.clear()
