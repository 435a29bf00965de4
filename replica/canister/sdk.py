"""The canister SDK: public interfaces with Candid types, and what a method sees.

A canister's public interface is an `Interface`: for each method its mode
(update or query), its Candid argument and result types, and how Candid values
become the method's Python argument and its reply becomes Candid values. Two
ways to build one:

- a class written on the SDK marks methods with `@update(...)` / `@query(...)`
  (and `@init`, `@pre_upgrade`, `@post_upgrade`, `@heartbeat`); its methods
  receive the decoded Candid values;
- an existing canister object in the shape of `replica.canister.local` is
  exposed through an `Interface` table whose `MethodSpec`s convert between
  Candid values and its frozen dataclasses, and map a raised `CanisterError`
  to a Candid reply (such as `variant { Err }`) where the official interface
  answers errors that way.

A method learns its caller from its first argument and everything else from
its `CanisterEnvironment`: the time, its id, its cycles, the cycles attached to
the call, a way to set its certified data and, in a non-replicated query, the
certificate of that data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol, TypeVar

from replica.candid import decode, encode
from replica.candid.types import CandidType
from replica.canister.errors import CanisterError
from replica.environment import Environment
from replica.types import Principal

MAX_CERTIFIED_DATA_BYTES: Final = 32

Mode = Literal["update", "query"]
F = TypeVar("F", bound=Callable[..., Any])


class CanisterEnvironment(Environment, Protocol):
    """The environment a canister on a replica sees."""

    @property
    def canister_id(self) -> Principal: ...

    def cycles_balance(self) -> int: ...

    def cycles_available(self) -> int:
        """Cycles attached to the message being executed and not yet accepted."""
        ...

    def accept_cycles(self, amount: int) -> int: ...

    def mint_cycles(self, amount: int) -> int:
        """Create cycles on the canister's own balance; traps for any canister but a cycles
        minter."""
        ...

    def set_certified_data(self, data: bytes) -> None: ...

    def data_certificate(self) -> bytes | None:
        """The subnet's certificate of the canister's certified data: present only in a
        non-replicated query (interface spec, `ic0.data_certificate_present`)."""
        ...


def _identity_arguments(values: list[Any]) -> Any:
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)


def _identity_results(reply: Any) -> list[Any]:
    return [] if reply is None else [reply]


@dataclass(frozen=True, slots=True, kw_only=True)
class MethodSpec:
    """One public method: its Candid signature and its conversions."""

    name: str
    mode: Mode
    arguments: Sequence[CandidType]
    results: Sequence[CandidType]
    to_argument: Callable[[list[Any]], Any] = _identity_arguments
    to_results: Callable[[Any], list[Any]] = _identity_results
    error_results: Callable[[CanisterError], list[Any]] | None = None
    python_name: str | None = None

    def decode_argument(self, data: bytes) -> Any:
        return self.to_argument(decode(data, self.arguments))

    def encode_reply(self, reply: Any) -> bytes:
        return encode(self.results, self.to_results(reply))

    def encode_error(self, error: CanisterError) -> bytes | None:
        """The Candid reply for a refusal, or None if it is answered with a reject."""
        if self.error_results is None:
            return None
        try:
            values = self.error_results(error)
        except CanisterError:
            return None
        return encode(self.results, values)


@dataclass
class Interface:
    """A canister's public methods and lifecycle hooks."""

    methods: dict[str, MethodSpec] = field(default_factory=dict)
    init: str | None = None
    pre_upgrade: str | None = None
    post_upgrade: str | None = None
    heartbeat: str | None = None

    def method(self, name: str) -> MethodSpec | None:
        return self.methods.get(name)


def update(
    *, args: Sequence[CandidType] = (), results: Sequence[CandidType] = (), name: str | None = None
) -> Callable[[F], F]:
    """Mark an SDK method as an update call."""
    return _mark("update", args, results, name)


def query(
    *, args: Sequence[CandidType] = (), results: Sequence[CandidType] = (), name: str | None = None
) -> Callable[[F], F]:
    """Mark an SDK method as a query."""
    return _mark("query", args, results, name)


def _mark(
    mode: Mode, args: Sequence[CandidType], results: Sequence[CandidType], name: str | None
) -> Callable[[F], F]:
    def decorate(function: F) -> F:
        function.__candid__ = MethodSpec(  # type: ignore[attr-defined]
            name=name or function.__name__,
            mode=mode,
            arguments=list(args),
            results=list(results),
            python_name=function.__name__,
        )
        return function

    return decorate


def _hook(kind: str) -> Callable[[F], F]:
    def decorate(function: F) -> F:
        function.__canister_hook__ = kind  # type: ignore[attr-defined]
        return function

    return decorate


init = _hook("init")
pre_upgrade = _hook("pre_upgrade")
post_upgrade = _hook("post_upgrade")
heartbeat = _hook("heartbeat")


def interface_of(canister_class: type) -> Interface:
    """Collect the decorated methods and hooks of an SDK canister class."""
    interface = Interface()
    for attribute in dir(canister_class):
        member = getattr(canister_class, attribute, None)
        spec = getattr(member, "__candid__", None)
        if isinstance(spec, MethodSpec):
            interface.methods[spec.name] = spec
        hook = getattr(member, "__canister_hook__", None)
        if hook is not None:
            setattr(interface, hook, attribute)
    return interface


def python_method(canister: object, spec: MethodSpec) -> Callable[[Principal, Any], Any]:
    function: Callable[[Principal, Any], Any] = getattr(canister, spec.python_name or spec.name)
    return function


def method_named(canister: object, name: str) -> Callable[..., Any] | None:
    """The canister's method called `name` (a hook or a callback named in a call), if it has one.

    Hooks and callbacks are named by strings because they travel in serialisable
    call contexts and interface tables; this is the one place that resolves them.
    """
    if name.startswith("__"):
        return None
    found = getattr(canister, name, None)
    return found if callable(found) else None


def check_certified_data(data: bytes) -> bytes:
    if len(data) > MAX_CERTIFIED_DATA_BYTES:
        raise CanisterError(
            f"certified data has at most {MAX_CERTIFIED_DATA_BYTES} bytes, got {len(data)}"
        )
    return bytes(data)


InterfaceFor = Callable[[object], Interface]
FactoryTable = Mapping[str, Callable[..., object]]
