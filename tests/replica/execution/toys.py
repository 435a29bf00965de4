"""Small canisters written on the SDK, for testing the engine."""

from __future__ import annotations

import json
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
        self.environment.call(
            OutgoingCall(callee=caller, method="x", argument=None, on_reply="_x", on_reject="_x")
        )
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
        self.environment.call(
            OutgoingCall(
                callee=target,
                method="add",
                argument=amount,
                on_reply="_added",
                on_reject="_refused",
                context={"amount": amount},
            )
        )
        return DEFERRED

    @update(args=[PrincipalType], results=[Text])
    def random(self, caller: Principal, target: Principal) -> object:
        self.environment.call(
            OutgoingCall(
                callee=Principal.management_canister(),
                method="raw_rand",
                argument=None,
                on_reply="_random",
                on_reject="_refused",
                context={},
            )
        )
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
    """Keeps its install argument (the init hook), certifies data, accepts half of attached
    cycles."""

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
        self.environment.call(
            OutgoingCall(
                callee=target,
                method="accept",
                argument=None,
                on_reply="_paid",
                on_reject="_paid",
                cycles=amount,
            )
        )
        return DEFERRED

    def _paid(self, context: Mapping[str, object], answer: object) -> int:
        assert isinstance(answer, int)
        return answer


FACTORIES = {
    "counter": SystemCanister(
        create=Counter, interface=lambda instance: interface_of(type(instance))
    ),
    "ticker": SystemCanister(
        create=Ticker, interface=lambda instance: interface_of(type(instance))
    ),
    "relay": SystemCanister(create=Relay, interface=lambda instance: interface_of(type(instance))),
    "greeter": SystemCanister(
        create=Greeter,
        interface=lambda instance: interface_of(type(instance)),
        init_arguments=[Text],
    ),
}


class Payer(Counter):
    """Writes, then pays another canister's `accept` with cycles; answers what was accepted."""

    @update(args=[PrincipalType, Nat], results=[Nat])
    def pay(self, caller: Principal, argument: tuple[Principal, int]) -> object:
        target, amount = argument
        self._set("payments", self._get("payments") + 1)
        self.environment.set_certified_data(b"paying")
        self.environment.call(
            OutgoingCall(
                callee=target,
                method="accept",
                argument=None,
                on_reply="_paid",
                on_reject="_paid",
                cycles=amount,
            )
        )
        return DEFERRED

    @update(args=[Nat], results=[Nat])
    def bad_reply(self, caller: Principal, amount: int) -> object:
        self._set("count", self._get("count") + amount)
        return "not a nat"

    @update(args=[PrincipalType], results=[Nat])
    def call_nowhere(self, caller: Principal, target: Principal) -> object:
        self._set("count", self._get("count") + 1)
        self.environment.call(
            OutgoingCall(
                callee=target, method="add", argument=1, on_reply="_missing", on_reject="_paid"
            )
        )
        return DEFERRED

    @update(args=[PrincipalType], results=[Nat])
    def trap_in_callback(self, caller: Principal, target: Principal) -> object:
        self._set("count", self._get("count") + 1)
        self.environment.call(
            OutgoingCall(
                callee=target, method="add", argument=1, on_reply="_trap", on_reject="_trap"
            )
        )
        return DEFERRED

    @update(args=[PrincipalType, Text], results=[Nat])
    def odd_call(self, caller: Principal, argument: tuple[Principal, str]) -> object:
        """Writes, then makes a call the engine must refuse: an argument it cannot keep, or negative
        cycles."""
        target, kind = argument
        self._set("count", self._get("count") + 1)
        odd: object = object() if kind == "argument" else None
        self.environment.call(
            OutgoingCall(
                callee=target,
                method="accept",
                argument=odd,
                on_reply="_paid",
                on_reject="_paid",
                cycles=-5 if kind == "cycles" else 0,
            )
        )
        return DEFERRED

    @update(args=[Text], results=[Text])
    def manage(self, caller: Principal, method: str) -> object:
        """Calls the management canister with no argument (malformed for most methods)."""
        self.environment.call(
            OutgoingCall(
                callee=Principal.management_canister(),
                method=method,
                argument=None,
                on_reply="_managed",
                on_reject="_managed",
            )
        )
        return DEFERRED

    def _paid(self, context: Mapping[str, object], answer: object) -> object:
        return answer.code.value if isinstance(answer, Reject) else answer

    def _trap(self, context: Mapping[str, object], answer: object) -> object:
        self._set("count", self._get("count") + 100)
        raise ZeroDivisionError("the callback trapped")

    def _managed(self, context: Mapping[str, object], answer: object) -> str:
        if isinstance(answer, Reject):
            return (
                f"{answer.code.name} {answer.error_code.text if answer.error_code else ''}: "
                f"{answer.message}"
            )
        return "replied"


class Fragile(Counter):
    """Its init and post_upgrade hooks trap when the install argument says "trap"."""

    @init
    def setup(self, argument: Any) -> None:
        self._set("installs", self._get("installs") + 1)
        if argument == "trap":
            raise ZeroDivisionError("init trapped")

    @post_upgrade
    def after_upgrade(self, argument: Any) -> None:
        self.upgrades = self._get("upgrades")
        if argument == "trap":
            raise KeyError("post_upgrade trapped")

    @query(results=[Nat])
    def upgrades_seen(self, caller: Principal, argument: Any) -> int:
        return self._get("upgrades")


class Thumper(Counter):
    """Its heartbeat writes, then traps on every other round."""

    @heartbeat
    def thump(self) -> None:
        beats = self._get("beats") + 1
        self._set("beats", beats)
        if beats % 2 == 0:
            raise RuntimeError("the heartbeat trapped")

    @query(results=[Nat])
    def beats(self, caller: Principal, argument: Any) -> int:
        return self._get("beats")


FACTORIES.update(
    {
        "payer": SystemCanister(
            create=Payer, interface=lambda instance: interface_of(type(instance))
        ),
        "fragile": SystemCanister(
            create=Fragile,
            interface=lambda instance: interface_of(type(instance)),
            init_arguments=[Text],
        ),
        "thumper": SystemCanister(
            create=Thumper, interface=lambda instance: interface_of(type(instance))
        ),
    }
)


class Scripted:
    """Follows a plan given as JSON text: writes, accepts cycles, makes calls, then ends as the plan
    says.

    A plan is `{"w": n, "accept": cycles, "calls": [call, ...], "end": end}`, where a call is
    `{"to": principal text, "cycles": n, "plan": plan for the callee, "then": plan for the
    callback}`
    and `end` is "reply", "defer", "trap", "refuse" or "badreply" (a reply of the wrong type).
    Callbacks follow their `then` plan the same way. Fuzz tests draw plans at random.
    """

    def __init__(self, environment: CanisterEnvironment, path: str | None, init: Any) -> None:
        self.environment = environment
        self.store = StableStore([ToyCell], path)

    @update(args=[Text], results=[Text])
    def run(self, caller: Principal, plan: str) -> object:
        return self._follow(json.loads(plan))

    @query(results=[Nat])
    def total(self, caller: Principal, argument: Any) -> int:
        with self.store.transaction() as session:
            cell = session.get(ToyCell, "w")
            return 0 if cell is None else cell.value

    def _on_answer(self, context: Mapping[str, object], answer: object) -> object:
        then = context["then"]
        assert isinstance(then, str)
        return self._follow(json.loads(then))

    def _follow(self, plan: dict[str, Any]) -> object:
        if plan.get("w"):
            with self.store.transaction() as session:
                cell = session.get(ToyCell, "w") or ToyCell(name="w", value=0)
                cell.value += plan["w"]
                session.add(cell)
                self.environment.set_certified_data(cell.value.to_bytes(8, "big"))
        if plan.get("accept"):
            self.environment.accept_cycles(plan["accept"])
        for call in plan.get("calls", ()):
            callee = Principal.from_text(call["to"])
            management = callee == Principal.management_canister()
            self.environment.call(
                OutgoingCall(
                    callee=callee,
                    method="raw_rand" if management else "run",
                    argument=None if management else json.dumps(call["plan"]),
                    on_reply="_on_answer",
                    on_reject="_on_answer",
                    context={"then": json.dumps(call["then"])},
                    cycles=call["cycles"],
                )
            )
        end = plan["end"]
        if end == "trap":
            raise RuntimeError("the plan traps")
        if end == "refuse":
            raise CanisterError("the plan refuses")
        if end == "defer":
            return DEFERRED
        if end == "badreply":
            return 12345
        return "done"


FACTORIES["scripted"] = SystemCanister(
    create=Scripted, interface=lambda instance: interface_of(type(instance))
)
