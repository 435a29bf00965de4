"""The counter canister a simulated subnet can start with, so that runs carry ingress.

`add(n)` adds to a count kept in stable memory, certifies the new count and
replies with it. If every `add(1)` message is executed exactly once, the
replies of N messages are exactly 1..N, whatever order they ran in; a message
executed twice (or lost) shows up as a repeated (or missing) reply. Any caller
may add: the workload's user (`workload.CounterWorkload.user`, derived from the
seed) is not its controller.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Final

from sqlalchemy.engine import Connection
from sqlmodel import Field, SQLModel

from replica.candid.types import Nat
from replica.canister.sdk import CanisterEnvironment, interface_of, query, update
from replica.canister.stable import StableStore
from replica.execution.engine import ExecutionEngine, SystemCanister
from replica.types import Principal

COUNTER_NAME: Final = "sim-counter"
COUNTER_CONTROLLER: Final = Principal.self_authenticating(b"icbox-sim-counter-controller")


class SimCounterCell(SQLModel, table=True):
    __tablename__ = "sim_counter_cell"
    name: str = Field(primary_key=True)
    value: int


class Counter:
    def __init__(self, environment: CanisterEnvironment, path: str | None, init: Any) -> None:
        self.environment = environment
        # The counter writes through the SQLite connection alone (`add`): a message needs only a
        # savepoint on it, not a nested transaction of the session.
        self.store = StableStore([SimCounterCell], path, direct_sql=True)

    def _count(self) -> int:
        with self.store.connection() as connection:
            row = _driver(connection).execute(_SELECT_COUNT).fetchone()
        return 0 if row is None else int(row[0])

    @update(args=[Nat], results=[Nat])
    def add(self, caller: Principal, amount: int) -> int:
        # One statement on the message's transaction: the counter is the load of the benchmarks,
        # so its cost per message is kept to what the execution engine itself costs.
        with self.store.transaction(savepoint=False) as session:
            driver = _driver(session.connection())
            driver.execute(_ADD, (amount,))
            value = int(driver.execute(_SELECT_COUNT).fetchone()[0])
        self.environment.set_certified_data(value.to_bytes(8, "big"))
        return value

    @query(results=[Nat])
    def get(self, caller: Principal, argument: Any) -> int:
        return self._count()


_SELECT_COUNT: Final = "SELECT value FROM sim_counter_cell WHERE name = 'count'"
_ADD: Final = (
    "INSERT INTO sim_counter_cell (name, value) VALUES ('count', ?1)"
    " ON CONFLICT (name) DO UPDATE SET value = value + excluded.value"
)


def _driver(connection: Connection) -> sqlite3.Connection:
    """The DBAPI connection under SQLAlchemy's (the open transaction's when a message runs)."""
    driver: sqlite3.Connection = connection.connection.driver_connection  # type: ignore[assignment]
    return driver


COUNTER_FACTORIES: Final = {
    COUNTER_NAME: SystemCanister(
        create=Counter, interface=lambda instance: interface_of(type(instance))
    ),
}


def install_counter(engine: ExecutionEngine) -> None:
    """Genesis of a subnet with the counter as its first canister (the same id on every replica)."""
    canister_id = engine.create_canister([COUNTER_CONTROLLER])
    engine.install(canister_id, COUNTER_NAME, None)
