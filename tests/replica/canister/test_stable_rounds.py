"""A round of messages is one transaction of a canister's store, each message a savepoint."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from replica.canister.stable import StableStore
from replica.sim.canister import SimCounterCell


class Trap(Exception):
    pass


def write(store: StableStore, name: str, value: int) -> None:
    with store.transaction() as session:
        session.connection().execute(
            text("INSERT INTO sim_counter_cell (name, value) VALUES (:name, :value)"),
            {"name": name, "value": value},
        )


def rows_on_disk(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(path)
    try:
        return dict(connection.execute("SELECT name, value FROM sim_counter_cell").fetchall())
    finally:
        connection.close()


def test_a_failed_message_rolls_back_alone_and_the_round_commits_once(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store = StableStore([SimCounterCell], str(path))
    store.open_round()
    write(store, "a", 1)
    with pytest.raises(Trap), store.transaction() as session:
        session.connection().execute(text("INSERT INTO sim_counter_cell VALUES ('b', 2)"))
        raise Trap
    write(store, "c", 3)
    assert not store.in_transaction  # between messages, only the round is open
    assert rows_on_disk(path) == {}  # nothing is written before the round commits
    store.close_round()
    assert rows_on_disk(path) == {"a": 1, "c": 3}
    store.dispose()


def test_a_round_hashes_like_one_transaction_per_message(tmp_path: Path) -> None:
    per_message = StableStore([SimCounterCell], str(tmp_path / "one.sqlite3"))
    per_round = StableStore([SimCounterCell], str(tmp_path / "two.sqlite3"))
    for name, value in (("x", 1), ("y", 2)):
        write(per_message, name, value)
    per_round.open_round()
    for name, value in (("x", 1), ("y", 2)):
        write(per_round, name, value)
    per_round.close_round()
    assert per_round.state_hash() == per_message.state_hash()
    per_message.dispose()
    per_round.dispose()


def test_a_store_cannot_be_copied_while_its_round_is_open(tmp_path: Path) -> None:
    store = StableStore([SimCounterCell], str(tmp_path / "store.sqlite3"))
    store.open_round()
    with pytest.raises(RuntimeError):
        store.copy_to(str(tmp_path / "copy.sqlite3"))
    store.close_round()
    store.copy_to(str(tmp_path / "copy.sqlite3"))
    store.dispose()


@pytest.mark.parametrize("direct_sql", [False, True])
def test_a_direct_sql_store_rolls_a_failed_message_back_alone_too(
    tmp_path: Path, direct_sql: bool
) -> None:
    """A store whose canister writes only through the SQLite connection sets each message's
    savepoint on it directly: the same outcome as the session's nested transaction, also when
    the failure is a statement SQLite refuses, and nested units of work still nest."""
    path = tmp_path / "store.sqlite3"
    store = StableStore([SimCounterCell], str(path), direct_sql=direct_sql)
    store.open_round()
    write(store, "a", 1)
    with pytest.raises(Trap), store.transaction() as session:
        session.connection().execute(text("INSERT INTO sim_counter_cell VALUES ('b', 2)"))
        raise Trap
    with pytest.raises(sqlite3.IntegrityError), store.transaction() as session:
        session.connection().execute(text("INSERT INTO sim_counter_cell VALUES ('d', 4)"))
        session.connection().connection.driver_connection.execute(  # type: ignore[union-attr]
            "INSERT INTO sim_counter_cell VALUES ('a', 5)"  # a duplicate key
        )
    with store.transaction() as session:
        session.connection().execute(text("INSERT INTO sim_counter_cell VALUES ('e', 5)"))
        with pytest.raises(Trap), store.transaction() as inner:
            inner.connection().execute(text("INSERT INTO sim_counter_cell VALUES ('f', 6)"))
            raise Trap
        with store.transaction(savepoint=False) as joined:
            joined.connection().execute(text("INSERT INTO sim_counter_cell VALUES ('g', 7)"))
    write(store, "c", 3)
    assert not store.in_transaction
    store.close_round()
    assert rows_on_disk(path) == {"a": 1, "c": 3, "e": 5, "g": 7}
    store.dispose()
