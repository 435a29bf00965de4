"""Stable memory of a system canister: its own SQLite database.

Each canister owns one database and a fixed set of SQLModel tables (table
names carry the canister's prefix, for example `ledger_block`). A message runs
inside `transaction()`: it commits when the message returns and rolls back
when it raises, so a rejected command leaves the tables exactly as they were.
Nested transactions are savepoints: an inner failure undoes only the inner
work, an outer failure undoes everything. A nested `transaction(savepoint=False)`
joins the open transaction instead (a savepoint costs about as much as a small
message): for work that raises every refusal before its first write, so that
there is nothing for a savepoint to undo.

The execution engine runs a whole round in one transaction (`open_round`,
`close_round`): while a round is open each message's `transaction()` is a
savepoint of the round's session, so a trapped message still rolls back alone,
and the round commits once. Nothing is written to the file until the round
commits; a store is copied, snapshot or hashed only with no round open.

`state_hash()` is the canonical hash of the whole database: tables in name
order, rows in primary-key order, each value tagged by its type. Equal states
give equal hashes, whatever order the rows were written in. The hash is kept
until a statement that may write runs on the database, so a canister that did
not change costs nothing to hash again.
"""

from __future__ import annotations

import hashlib
import sqlite3
import struct
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Final, Protocol, cast, runtime_checkable

from sqlalchemy import Table, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite opens transactions lazily and would let a savepoint commit on its
    # own; taking transaction control here makes BEGIN explicit (see `_begin`).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def _driver_of(connection: Any) -> sqlite3.Connection:
    driver: sqlite3.Connection = connection.connection.driver_connection
    return driver


def _savepoint(connection: Any, name: str) -> None:
    _driver_of(connection).execute(f'SAVEPOINT "{name}"')


def _release_savepoint(connection: Any, name: str) -> None:
    _driver_of(connection).execute(f'RELEASE SAVEPOINT "{name}"')


def _rollback_to_savepoint(connection: Any, name: str) -> None:
    _driver_of(connection).execute(f'ROLLBACK TO SAVEPOINT "{name}"')


def _direct_savepoints(engine: Engine) -> None:
    """Savepoints as plain statements on the DBAPI connection.

    SQLAlchemy compiles each savepoint statement anew (every savepoint has a new name, so its
    statement cache never hits): that cost more than the message it protects. The statements
    are the same; they change nothing the state hash sees.
    """
    setattr(engine.dialect, "do_savepoint", _savepoint)  # noqa: B010
    setattr(engine.dialect, "do_release_savepoint", _release_savepoint)  # noqa: B010
    setattr(engine.dialect, "do_rollback_to_savepoint", _rollback_to_savepoint)  # noqa: B010


_MESSAGE_SAVEPOINT: Final = 'SAVEPOINT "icbox_message"'
_RELEASE_MESSAGE: Final = 'RELEASE SAVEPOINT "icbox_message"'
_ROLLBACK_MESSAGE: Final = 'ROLLBACK TO SAVEPOINT "icbox_message"'

# Statements that never change the database's content; any other one clears the cached hash.
_CHANGES_KEY: Final = "icbox_total_changes"
_READ_ONLY_PREFIXES: Final = (
    "SELECT",
    "PRAGMA",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE",
)


class StableStore:
    """A canister's database with message-scoped transactions."""

    def __init__(
        self, tables: Sequence[type[SQLModel]], path: str | None = None, *, direct_sql: bool = False
    ) -> None:
        """`direct_sql`: the canister writes only through the SQLite connection, never through
        ORM objects, so a message of a round needs only a savepoint set on that connection
        (`_MessageSavepoint`) instead of a nested transaction of the session."""
        if path is None:
            self.engine: Engine = create_engine(
                "sqlite://",
                connect_args={"check_same_thread": False},
                poolclass=StaticPool,
            )
        else:
            self.engine = create_engine(
                f"sqlite:///{path}", connect_args={"check_same_thread": False}
            )
        event.listen(self.engine, "connect", _set_sqlite_pragmas)
        event.listen(self.engine, "begin", _begin)
        event.listen(self.engine, "after_cursor_execute", self._after_execute)
        _direct_savepoints(self.engine)
        self._hash: bytes | None = None
        self._tables: list[Table] = sorted(
            (model.__table__ for model in tables),  # type: ignore[attr-defined]
            key=lambda table: table.name,
        )
        SQLModel.metadata.create_all(self.engine, tables=self._tables)
        self._session: Session | None = None
        self._round: Session | None = None  # the round's session while a round is open
        self._round_driver: sqlite3.Connection | None = None  # and its SQLite connection
        self._depth = 0  # units of work open: the outermost transaction and its savepoints
        self.direct_sql = direct_sql
        self.rollbacks = 0
        """How many times written rows were put back (a rollback, a restore): a canister that
        keeps a copy of a row in memory trusts it only while this count is unchanged."""

    @property
    def tables(self) -> list[Table]:
        return list(self._tables)

    def transaction(self, *, savepoint: bool = True) -> AbstractContextManager[Session]:
        """One unit of work: commit on return, roll back on any exception."""
        session = self._session
        if session is not None and not savepoint and self._depth > 0:
            return nullcontext(session)
        if self.direct_sql and session is not None and session is self._round and self._depth == 0:
            return _MessageSavepoint(self, session)
        return self._unit_of_work()

    @contextmanager
    def _unit_of_work(self) -> Iterator[Session]:
        session = self._session
        if session is not None:
            # a nested unit of work: a savepoint of the open session
            nested = session.begin_nested()
            self._depth += 1
            try:
                yield session
            except BaseException:
                self.rollbacks += 1
                nested.rollback()
                raise
            else:
                if nested.is_active:
                    nested.commit()
                else:  # something inside rolled it back
                    self.rollbacks += 1
            finally:
                self._depth -= 1
                if self._depth == 0:
                    # a message of the round ended: the next one starts with no objects loaded,
                    # as it did with a session of its own
                    _forget_objects(session)
            return
        session = Session(self.engine, expire_on_commit=False)
        self._session = session
        self._depth = 1
        try:
            yield session
            self._note_changes(session)
            session.commit()
        except BaseException:
            self.rollbacks += 1
            session.rollback()
            raise
        finally:
            self._session = None
            self._depth = 0
            session.close()

    def open_round(self) -> None:
        """Begin the round's transaction: until `close_round` every `transaction()` is one of its
        savepoints."""
        if self._session is not None:
            raise RuntimeError("a round cannot begin inside a transaction")
        session = Session(self.engine, expire_on_commit=False)
        # BEGIN now: the round's first message then only sets a savepoint
        self._round_driver = _driver_of(session.connection())
        self._session = self._round = session
        self._depth = 0

    def close_round(self) -> None:
        """Commit the round's transaction (what its messages' savepoints kept)."""
        session = self._round
        if session is None:
            return
        try:
            self._note_changes(session)
            session.commit()
        except BaseException:
            self.rollbacks += 1
            session.rollback()
            raise
        finally:
            self._session = self._round = None
            self._round_driver = None
            session.close()

    def sqlite_connection(self, session: Session) -> sqlite3.Connection:
        """The SQLite connection under `session`'s transaction (the round's is kept at hand)."""
        if session is self._round and self._round_driver is not None:
            return self._round_driver
        return _driver_of(session.connection())

    @property
    def in_round(self) -> bool:
        return self._round is not None

    @property
    def in_transaction(self) -> bool:
        """True while a message (or another unit of work) runs, not merely while a round is
        open."""
        return self._session is not None and self._depth > 0

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection for reading: the open transaction's one if a message is running.

        Opening a second pooled connection inside a transaction would, with the
        in-memory pool, reset (roll back) the very connection the message uses.
        """
        if self._session is not None:
            yield self._session.connection()
            return
        with self.engine.connect() as connection:
            yield connection

    def _note_changes(self, session: Session) -> None:
        """Forget the cached hash if the transaction about to commit changed a row."""
        if not session.in_transaction():
            return
        # Writes made on the raw DBAPI connection (the ledger's fast path) pass no statement
        # event; SQLite's count of changed rows, kept with each pooled connection, sees them.
        pooled = session.connection().connection
        driver = pooled.driver_connection
        total = driver.total_changes if isinstance(driver, sqlite3.Connection) else None
        if total is None or pooled.info.get(_CHANGES_KEY) != total:
            self._hash = None
            pooled.info[_CHANGES_KEY] = total

    def _after_execute(self, _connection: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if self._hash is not None and not statement.lstrip().upper().startswith(
            _READ_ONLY_PREFIXES
        ):
            self._hash = None

    def state_hash(self) -> bytes:
        """SHA-256 over every table's rows in primary-key order (cached until the next write)."""
        if self._hash is not None:
            return self._hash
        computed = self._compute_state_hash()
        if self._session is None:  # inside a transaction the rows may still roll back
            self._hash = computed
        return computed

    def _compute_state_hash(self) -> bytes:
        digest = hashlib.sha256(b"icbox-stable-state")
        with self.connection() as connection:
            for table in self._tables:
                _update_with_value(digest, table.name)
                keys = [column.name for column in table.primary_key.columns] or [
                    column.name for column in table.columns
                ]
                order = ", ".join(f'"{name}"' for name in keys)
                columns = ", ".join(f'"{column.name}"' for column in table.columns)
                rows = _driver_of(connection).execute(
                    f'SELECT {columns} FROM "{table.name}" ORDER BY {order}'
                )
                # the same bytes as feeding each value in turn, joined into one update
                pieces: list[bytes] = []
                count = 0
                for row in rows:
                    count += 1
                    pieces.extend(map(_value_bytes, row))
                digest.update(b"".join(pieces))
                _update_with_value(digest, count)
        return digest.digest()

    def copy_to(self, path: str) -> None:
        """Write a consistent copy of the database to a new file at `path`."""
        destination = sqlite3.connect(path)
        try:
            with self._driver() as source:
                source.backup(destination)
        finally:
            destination.close()

    def snapshot(self) -> StoreSnapshot:
        """A copy of the database's content in memory, for `restore` to put back."""
        memory = sqlite3.connect(":memory:")
        with self._driver() as source:
            source.backup(memory)
        return StoreSnapshot(memory)

    def restore(self, snapshot: StoreSnapshot) -> None:
        """Put back the content of `snapshot`, in place (the store stays open)."""
        with self._driver() as destination:
            snapshot.connection.backup(destination)
        self._hash = None
        self.rollbacks += 1

    @contextmanager
    def _driver(self) -> Iterator[sqlite3.Connection]:
        if self._session is not None:
            raise RuntimeError("the database cannot be copied inside a transaction")
        with self.engine.connect() as connection:
            driver = connection.connection.driver_connection
            if not isinstance(driver, sqlite3.Connection):
                raise TypeError(f"stable memory is SQLite, not {type(driver).__name__}")
            yield driver

    def dispose(self) -> None:
        self.engine.dispose()


class _MessageSavepoint:
    """A message of the round of a `direct_sql` store: one savepoint, set and released on the
    round's connection.

    The message writes through the SQLite connection only, so the savepoint needs none of the
    session's bookkeeping of a nested transaction (a failed flush of ORM objects would leave the
    round's session unusable without it): a failure drops what the session holds and rolls the
    savepoint back. The statements are the ones `begin_nested` would run.
    """

    __slots__ = ("driver", "session", "store")

    def __init__(self, store: StableStore, session: Session) -> None:
        self.store = store
        self.session = session
        self.driver: sqlite3.Connection | None = None

    def __enter__(self) -> Session:
        driver = self.store._round_driver
        if driver is None:
            raise RuntimeError("a message savepoint needs an open round")
        driver.execute(_MESSAGE_SAVEPOINT)
        self.driver = driver
        self.store._depth = 1
        return self.session

    def __exit__(self, kind: type[BaseException] | None, *_rest: object) -> None:
        session, driver = self.session, self.driver
        if driver is None:
            raise RuntimeError("a message savepoint that was not entered")
        try:
            if kind is None:
                try:
                    if not session._is_clean():  # what `flush` asks first, without its setup
                        session.flush()
                except BaseException:
                    self._roll_back(session, driver)
                    raise
                driver.execute(_RELEASE_MESSAGE)
            else:
                self._roll_back(session, driver)
        finally:
            self.store._depth = 0
            _forget_objects(session)

    def _roll_back(self, session: Session, driver: sqlite3.Connection) -> None:
        self.store.rollbacks += 1
        _forget_objects(session)
        driver.execute(_ROLLBACK_MESSAGE)
        driver.execute(_RELEASE_MESSAGE)


def _forget_objects(session: Session) -> None:
    """`expunge_all`, skipped when the session holds nothing (messages that wrote through the
    SQLite connection, as the ledgers do, load no objects)."""
    if len(session.identity_map) or session._new:  # `new` would build a set to answer
        session.expunge_all()


@runtime_checkable
class Persistent(Protocol):
    """A canister object whose state lives in its stable memory."""

    @property
    def store(self) -> StableStore: ...


def store_of(instance: object) -> StableStore | None:
    """The stable memory of a canister object, if it keeps one."""
    if isinstance(instance, Persistent) and isinstance(instance.store, StableStore):
        return instance.store
    return None


class StoreSnapshot:
    """A database's content held in memory; close it when done."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def close(self) -> None:
        self.connection.close()


_LENGTH: Final = struct.Struct(">I")


def _update_with_value(digest: Any, value: object) -> None:
    """Feed one SQLite value to the digest with a type tag and a length."""
    digest.update(_value_bytes(value))


def _value_bytes(value: object) -> bytes:
    """One SQLite value as the digest sees it: a type tag, a length, the value's bytes."""
    kind = type(value)
    if kind is int:  # the common cases first (SQLite gives exactly these types)
        encoded = str(value).encode()
        return b"I" + _LENGTH.pack(len(encoded)) + encoded
    if kind is bytes:
        raw = cast(bytes, value)
        return b"B" + _LENGTH.pack(len(raw)) + raw
    if value is None:
        return b"N"
    if isinstance(value, bool):
        return b"T" if value else b"F"
    if isinstance(value, int):
        encoded = str(value).encode()
        return b"I" + _LENGTH.pack(len(encoded)) + encoded
    if isinstance(value, float):
        return b"R" + struct.pack(">d", value)
    if isinstance(value, str):
        encoded = value.encode()
        return b"S" + _LENGTH.pack(len(encoded)) + encoded
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return b"B" + _LENGTH.pack(len(raw)) + raw
    encoded = repr(value).encode()
    return b"O" + _LENGTH.pack(len(encoded)) + encoded
