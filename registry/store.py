"""The versioned registry log (spec A.1).

The registry is an append-only log of atomic batches of mutations. Each batch
that is applied gets the next version, contiguous from 1; every mutation in it
carries that version. A deletion is a tombstone: history is never removed.
`get(key, version)` is the newest value at or below that version (absent if a
tombstone); `get_changes_since(v, max)` returns every value with a version in
(v, v + max], per key newest first.

A batch is checked whole before anything is written: mutation kinds against the
latest state (INSERT needs an absent key, UPDATE and DELETE a present one),
preconditions (the key's last change is at the expected version), and then the
global invariants on the would-be state, which are given a `RegistryView` of
the latest snapshot plus the batch. Checking therefore costs the size of the
current registry, never of its history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

from sqlalchemy import text
from sqlmodel import Field, SQLModel

from registry.errors import KeyAlreadyPresent, KeyNotPresent, PreconditionFailed, RegistryError
from replica.canister import codec
from replica.canister.stable import StableStore

MAX_VERSIONS_PER_QUERY: Final = 1_000


class MutationType(IntEnum):
    INSERT = 0
    UPDATE = 1
    DELETE = 2
    UPSERT = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class Mutation:
    kind: MutationType
    key: str
    value: object | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Precondition:
    key: str
    expected_version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistryDelta:
    """All values of one key in a range of versions, newest first (None: deleted)."""

    key: str
    values: tuple[tuple[int, bytes | None], ...]


def insert(key: str, value: object) -> Mutation:
    return Mutation(kind=MutationType.INSERT, key=key, value=value)


def update(key: str, value: object) -> Mutation:
    return Mutation(kind=MutationType.UPDATE, key=key, value=value)


def upsert(key: str, value: object) -> Mutation:
    return Mutation(kind=MutationType.UPSERT, key=key, value=value)


def delete(key: str) -> Mutation:
    return Mutation(kind=MutationType.DELETE, key=key)


class RegistryValue(SQLModel, table=True):
    __tablename__ = "registry_value"
    key: str = Field(primary_key=True)
    version: int = Field(primary_key=True, index=True)
    value: bytes | None = None


class RegistryChangelog(SQLModel, table=True):
    __tablename__ = "registry_changelog"
    version: int = Field(primary_key=True)
    mutations: bytes


TABLES: Final = (RegistryValue, RegistryChangelog)


class RegistryView:
    """The latest registry state, optionally with a batch laid over it."""

    def __init__(
        self, store: RegistryStore, overlay: Mapping[str, object | None] | None = None
    ) -> None:
        self._store = store
        self._overlay = overlay or {}

    def get(self, key: str) -> Any:
        if key in self._overlay:
            return self._overlay[key]
        return self._store.get(key)

    def keys(self, prefix: str) -> list[str]:
        present = set(self._store.keys(prefix))
        for key, value in self._overlay.items():
            if key.startswith(prefix):
                if value is None:
                    present.discard(key)
                else:
                    present.add(key)
        return sorted(present)

    def items(self, prefix: str) -> Iterator[tuple[str, Any]]:
        for key in self.keys(prefix):
            yield key, self.get(key)

    @property
    def changed_keys(self) -> Iterable[str]:
        return self._overlay.keys()


InvariantCheck = Callable[[RegistryView], None]


class RegistryStore:
    """The log, persisted in SQLite, with the latest snapshot kept in memory."""

    def __init__(self, store: StableStore) -> None:
        self.stable = store
        self.latest_version = 0
        self._latest: dict[str, tuple[int, bytes | None]] = {}
        self._decoded: dict[str, object] = {}
        self._load()

    def _load(self) -> None:
        self._latest, self._decoded, self.latest_version = {}, {}, 0
        with self.stable.connection() as connection:
            for key, version, value in connection.execute(
                text("SELECT key, version, value FROM registry_value ORDER BY key, version")
            ):
                self._latest[key] = (version, None if value is None else bytes(value))
                self.latest_version = max(self.latest_version, version)

    # -- reading ----------------------------------------------------------------------------

    def get(self, key: str, version: int | None = None) -> Any:
        """The record under `key` at `version` (latest if None), or None if absent."""
        value, _ = self.get_with_version(key, version)
        return value

    def get_with_version(self, key: str, version: int | None = None) -> tuple[Any, int]:
        """The record and the version of its last change (0 if it never existed)."""
        if version is None or version >= self.latest_version:
            entry = self._latest.get(key)
            if entry is None or entry[1] is None:
                return None, 0 if entry is None else entry[0]
            if key not in self._decoded:
                self._decoded[key] = codec.decode(entry[1])
            return self._decoded[key], entry[0]
        with self.stable.connection() as connection:
            row = connection.execute(
                text(
                    "SELECT version, value FROM registry_value WHERE key = :key AND version <= :version "
                    "ORDER BY version DESC LIMIT 1"
                ),
                {"key": key, "version": version},
            ).first()
        if row is None or row[1] is None:
            return None, 0 if row is None else row[0]
        return codec.decode(bytes(row[1])), row[0]

    def keys(self, prefix: str = "") -> list[str]:
        """Present keys (latest version) starting with `prefix`, sorted."""
        return sorted(
            key
            for key, (_, value) in self._latest.items()
            if value is not None and key.startswith(prefix)
        )

    def keys_at(self, prefix: str, version: int) -> list[str]:
        """Present keys at an older version."""
        with self.stable.connection() as connection:
            rows = connection.execute(
                text(
                    "SELECT key, value FROM registry_value AS outer_value WHERE key >= :low AND key < :high "
                    "AND version = (SELECT MAX(version) FROM registry_value AS inner_value "
                    "WHERE inner_value.key = outer_value.key AND inner_value.version <= :version) "
                    "ORDER BY key"
                ),
                {"low": prefix, "high": prefix + "\U0010ffff", "version": version},
            )
            return [row[0] for row in rows if row[1] is not None]

    def get_changes_since(
        self, version: int, max_versions: int = MAX_VERSIONS_PER_QUERY
    ) -> list[RegistryDelta]:
        top = version + max(1, min(max_versions, MAX_VERSIONS_PER_QUERY))
        deltas: dict[str, list[tuple[int, bytes | None]]] = {}
        with self.stable.connection() as connection:
            for key, changed, value in connection.execute(
                text(
                    "SELECT key, version, value FROM registry_value WHERE version > :low "
                    "AND version <= :high ORDER BY key, version DESC"
                ),
                {"low": version, "high": top},
            ):
                deltas.setdefault(key, []).append(
                    (changed, None if value is None else bytes(value))
                )
        return [RegistryDelta(key=key, values=tuple(values)) for key, values in deltas.items()]

    def view(self) -> RegistryView:
        return RegistryView(self)

    # -- writing ----------------------------------------------------------------------------

    def apply(
        self,
        session: Any,
        mutations: Iterable[Mutation],
        *,
        preconditions: Iterable[Precondition] = (),
        check: InvariantCheck | None = None,
    ) -> int:
        """Check and apply one atomic batch; returns its version (or the latest, if empty)."""
        batch = sorted(mutations, key=lambda mutation: mutation.key)
        if not batch:
            return self.latest_version
        keys = [mutation.key for mutation in batch]
        if len(set(keys)) != len(keys):
            raise RegistryError("a batch mutates the same key twice")
        for precondition in preconditions:
            _, last = self.get_with_version(precondition.key)
            if last != precondition.expected_version:
                raise PreconditionFailed(precondition.key, precondition.expected_version, last)
        overlay: dict[str, object | None] = {}
        for mutation in batch:
            present = self.get(mutation.key) is not None
            if mutation.kind == MutationType.INSERT and present:
                raise KeyAlreadyPresent(mutation.key)
            if mutation.kind in (MutationType.UPDATE, MutationType.DELETE) and not present:
                raise KeyNotPresent(mutation.key)
            if mutation.kind != MutationType.DELETE and mutation.value is None:
                raise RegistryError(f"mutation of {mutation.key} has no value")
            overlay[mutation.key] = None if mutation.kind == MutationType.DELETE else mutation.value
        if check is not None:
            check(RegistryView(self, overlay))
        return self._write(session, overlay)

    def _write(self, session: Any, overlay: Mapping[str, object | None]) -> int:
        version = self.latest_version + 1
        encoded = {
            key: None if value is None else codec.encode(value) for key, value in overlay.items()
        }
        connection = session.connection()
        connection.exec_driver_sql(
            "INSERT INTO registry_value (key, version, value) VALUES (?, ?, ?)",
            [(key, version, value) for key, value in sorted(encoded.items())],
        )
        connection.exec_driver_sql(
            "INSERT INTO registry_changelog (version, mutations) VALUES (?, ?)",
            (version, codec.encode(sorted(encoded.items()))),
        )
        for key, value in encoded.items():
            self._latest[key] = (version, value)
            self._decoded.pop(key, None)
        self.latest_version = version
        return version

    def reload(self) -> None:
        """Rebuild the in-memory snapshot from the tables (after a rolled-back message)."""
        self._load()

    def changelog(self, after: int = 0) -> list[tuple[int, list[tuple[str, bytes | None]]]]:
        """Every batch after version `after`, in version order: what replaying the log applies."""
        with self.stable.connection() as connection:
            return [
                (row[0], [tuple(item) for item in codec.decode(bytes(row[1]))])
                for row in connection.execute(
                    text(
                        "SELECT version, mutations FROM registry_changelog "
                        "WHERE version > :after ORDER BY version"
                    ),
                    {"after": after},
                )
            ]

    def append_replicated(
        self, session: Any, version: int, changes: Iterable[tuple[str, bytes | None]]
    ) -> None:
        """Append a batch another registry certified, at its own version (a node's local store).

        No checks but contiguity: the batch was checked where it was written, and the
        caller verified it against the certified chain head (`registry.certification`).
        """
        if version != self.latest_version + 1:
            raise RegistryError(
                f"replicated version {version} does not follow the local {self.latest_version}"
            )
        encoded = dict(changes)
        connection = session.connection()
        connection.exec_driver_sql(
            "INSERT INTO registry_value (key, version, value) VALUES (?, ?, ?)",
            [(key, version, value) for key, value in sorted(encoded.items())],
        )
        connection.exec_driver_sql(
            "INSERT INTO registry_changelog (version, mutations) VALUES (?, ?)",
            (version, codec.encode(sorted(encoded.items()))),
        )
        for key, value in encoded.items():
            self._latest[key] = (version, value)
            self._decoded.pop(key, None)
        self.latest_version = version
