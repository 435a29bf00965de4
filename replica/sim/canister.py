"""The counter canister a simulated subnet can start with, so that runs carry ingress.

`add(n)` adds to a count kept in stable memory, certifies the new count and
replies with it. If every `add(1)` message is executed exactly once, the
replies of N messages are exactly 1..N, whatever order they ran in; a message
executed twice (or lost) shows up as a repeated (or missing) reply.
"""

from __future__ import annotations

from typing import Any, Final

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
        self.store = StableStore([SimCounterCell], path)

    def _count(self) -> int:
        with self.store.transaction() as session:
            cell = session.get(SimCounterCell, "count")
            return 0 if cell is None else cell.value

    @update(args=[Nat], results=[Nat])
    def add(self, caller: Principal, amount: int) -> int:
        value = self._count() + amount
        with self.store.transaction() as session:
            cell = session.get(SimCounterCell, "count") or SimCounterCell(name="count", value=0)
            cell.value = value
            session.add(cell)
        self.environment.set_certified_data(value.to_bytes(8, "big"))
        return value

    @query(results=[Nat])
    def get(self, caller: Principal, argument: Any) -> int:
        return self._count()


COUNTER_FACTORIES: Final = {
    COUNTER_NAME: SystemCanister(
        create=Counter, interface=lambda instance: interface_of(type(instance))
    ),
}


def install_counter(engine: ExecutionEngine) -> None:
    """Genesis of a subnet with the counter as its first canister (the same id on every replica)."""
    canister_id = engine.create_canister([COUNTER_CONTROLLER])
    engine.install(canister_id, COUNTER_NAME, None)
