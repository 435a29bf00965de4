"""Small canisters written on the SDK, for testing the engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Field, SQLModel

from replica.candid.types import Blob, Nat, Nat64, PrincipalType, Text
from replica.canister.errors import CanisterError
from replica.canister.sdk import (
    CanisterEnvironment,
    heartbeat,
    init,
    interface_of,
    post_upgrade,
    pre_upgrade,
    query,
    update,
)
from replica.canister.stable import StableStore
from replica.environment import DEFERRED, OutgoingCall, Reject
from replica.execution.engine import SystemCanister
from replica.types import Principal


class ToyCell(SQLModel, table=True):
    __tablename__ = "toy_cell"
    name: str = Field(primary_key=True)
    value: int


class Counter:
    def __init__(self, environment: CanisterEnvironment, path: str | None, init: Any) -> None:
        self.environment = environment
        self.store = StableStore([ToyCell], path)
        self.upgrades = 0

    def _get(self, name: str) -> int:
        with self.store.transaction() as session:
            cell = session.get(ToyCell, name)
            return 0 if cell is None else cell.value

    def _set(self, name: str, value: int) -> None:
        with self.store.transaction() as session:
            cell = session.get(ToyCell, name) or ToyCell(name=name, value=0)
            cell.value = value
            session.add(cell)

    @update(args=[Nat], results=[Nat])
    def add(self, caller: Principal, amount: int) -> int:
        value = self._get("count") + amount
        self._set("count", value)
        self.environment.set_certified_data(value.to_bytes(8, "big"))
        return value

    @update(args=[Nat], results=[Nat])
    def add_then_trap(self, caller: Principal, amount: int) -> int:
        self._set("count", self._get("count") + amount)
        self.environment.set_certified_data(b"trapped")
        self.environment.call(OutgoingCall(callee=caller, method="x", argument=None, on_reply="_x", on_reject="_x"))
        raise RuntimeError("boom")

    @update(args=[Nat], results=[Nat])
    def refuse(self, caller: Principal, amount: int) -> int:
        raise CanisterError(f"refusing {amount}")

    @query(results=[Nat])
    def get(self, caller: Principal, argument: Any) -> int:
        return self._get("count")

    @query(results=[PrincipalType])
    def whoami(self, caller: Principal, argument: Any) -> Principal:
        return caller

    @update(results=[Nat64])
    def now(self, caller: Principal, argument: Any) -> int:
        return self.environment.now_ns()

    @update(results=[Nat])
    def balance(self, caller: Principal, argument: Any) -> int:
        return self.environment.cycles_balance()

    @pre_upgrade
    def before_upgrade(self) -> None:
        self._set("upgrades", self._get("upgrades") + 1)

    @post_upgrade
    def after_upgrade(self, argument: Any) -> None:
        self.upgrades = self._get("upgrades")


class Ticker(Counter):
    """A counter whose heartbeat counts rounds."""

    @heartbeat
    def tick(self) -> None:
        self._set("ticks", self._get("ticks") + 1)

    @query(results=[Nat])
    def ticks(self, caller: Principal, argument: Any) -> int:
        return self._get("ticks")


class Relay:
    """Forwards `add` to a counter and answers from the callback."""

    def __init__(self, environment: CanisterEnvironment, path: str | None, init: Any) -> None:
        self.environment = environment
        self.store = StableStore([ToyCell], path)

    @update(args=[PrincipalType, Nat], results=[Text])
    def relay(self, caller: Principal, argument: tuple[Principal, int]) -> object:
        target, amount = argument
        self.environment.call(OutgoingCall(callee=target, method="add", argument=amount, on_reply="_added",
                                           on_reject="_refused", context={"amount": amount}))
        return DEFERRED

    @update(args=[PrincipalType], results=[Text])
    def random(self, caller: Principal, target: Principal) -> object:
        self.environment.call(OutgoingCall(callee=Principal.management_canister(), method="raw_rand", argument=None,
                                           on_reply="_random", on_reject="_refused", context={}))
        return DEFERRED

    def _added(self, context: Mapping[str, object], answer: object) -> str:
        return f"added {context['amount']}, now {answer}"

    def _refused(self, context: Mapping[str, object], answer: object) -> str:
        assert isinstance(answer, Reject)
        return f"refused: {answer.message}"

    def _random(self, context: Mapping[str, object], answer: object) -> str:
        assert isinstance(answer, bytes)
        return answer.hex()


class Greeter:
    """Keeps its install argument (the init hook), certifies data, accepts half of attached cycles."""

    def __init__(self, environment: CanisterEnvironment, path: str | None, init: Any) -> None:
        self.environment = environment
        self.greeting = ""

    @init
    def setup(self, argument: Any) -> None:
        self.greeting = argument or ""

    @query(results=[Text])
    def greeting_text(self, caller: Principal, argument: Any) -> str:
        return self.greeting

    @update(args=[Blob()], results=[])
    def certify(self, caller: Principal, data: bytes) -> None:
        self.environment.set_certified_data(data)

    @update(results=[Nat])
    def accept(self, caller: Principal, argument: Any) -> int:
        return self.environment.accept_cycles(self.environment.cycles_available() // 2)

    @update(args=[PrincipalType, Nat], results=[Nat])
    def pay(self, caller: Principal, argument: tuple[Principal, int]) -> object:
        target, amount = argument
        self.environment.call(OutgoingCall(callee=target, method="accept", argument=None, on_reply="_paid",
                                           on_reject="_paid", cycles=amount))
        return DEFERRED

    def _paid(self, context: Mapping[str, object], answer: object) -> int:
        assert isinstance(answer, int)
        return answer


FACTORIES = {
    "counter": SystemCanister(create=Counter, interface=lambda instance: interface_of(type(instance))),
    "ticker": SystemCanister(create=Ticker, interface=lambda instance: interface_of(type(instance))),
    "relay": SystemCanister(create=Relay, interface=lambda instance: interface_of(type(instance))),
    "greeter": SystemCanister(create=Greeter, interface=lambda instance: interface_of(type(instance)), init_arguments=[Text]),
}
