"""The `ic0` System API: what a canister module imports, and where each function may run.

Signatures follow the interface spec's "System API imports" and the
replica's own linker (rs/embedders/src/wasmtime_embedder/system_api.rs): `I`
is `i32` for a wasm32 module and `i64` for a wasm64 (memory64) module, so one
table gives both variants. Calling a function where the spec does not allow it
traps with the spec's wording ("... cannot be executed in ... mode"), as does
reading or writing outside the module's memory.

Every function works on `MessageState`, the state of the one message the
canister executes: nothing here touches the canister's persistent state
directly; the caller (`WasmCanister`) applies the result only if the message
does not trap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

import wasmtime

if TYPE_CHECKING:
    from replica.execution.wasm.canister import WasmCanister

MAX_REPLY_BYTES: Final = 2 * 1024 * 1024
MAX_CALL_BYTES: Final = 2 * 1024 * 1024
MAX_REJECT_MESSAGE_BYTES: Final = 8 * 1024
MAX_CERTIFIED_DATA: Final = 32
MAX_DEBUG_PRINT: Final = 64 * 1024
SYSTEM_API_OVERHEAD: Final = (
    50  # instructions a call of the System API costs on top of the bytes it copies
)


class Kind(StrEnum):
    """Execution contexts of the spec's availability table."""

    INIT = "I"  # canister_init, canister_post_upgrade
    PRE_UPGRADE = "G"
    UPDATE = "U"
    REPLICATED_QUERY = "RQ"  # a query run as an update (ingress to a query method)
    QUERY = "NRQ"
    COMPOSITE_QUERY = "CQ"
    REPLY = "Ry"
    REJECT = "Rt"
    COMPOSITE_REPLY = "CRy"  # the callbacks of a composite query's calls
    COMPOSITE_REJECT = "CRt"
    CLEANUP = "C"
    INSPECT = "F"
    SYSTEM_TASK = "T"  # heartbeat, global timer
    START = "s"  # the module's start function, run at install


ALL: Final = frozenset(Kind) - {Kind.START}
"""The spec's `*`: everywhere but the start function."""
ARG_KINDS: Final = frozenset(
    {
        Kind.INIT,
        Kind.UPDATE,
        Kind.REPLICATED_QUERY,
        Kind.QUERY,
        Kind.COMPOSITE_QUERY,
        Kind.REPLY,
        Kind.COMPOSITE_REPLY,
        Kind.INSPECT,
    }
)
COMPOSITE_CALLBACK_KINDS: Final = frozenset({Kind.COMPOSITE_REPLY, Kind.COMPOSITE_REJECT})
REPLY_KINDS: Final = (
    frozenset(
        {
            Kind.UPDATE,
            Kind.REPLICATED_QUERY,
            Kind.QUERY,
            Kind.COMPOSITE_QUERY,
            Kind.REPLY,
            Kind.REJECT,
        }
    )
    | COMPOSITE_CALLBACK_KINDS
)
CALLBACK_KINDS: Final = frozenset({Kind.REPLY, Kind.REJECT})
REJECT_CODE_KINDS: Final = CALLBACK_KINDS | COMPOSITE_CALLBACK_KINDS
CALL_KINDS: Final = (
    frozenset({Kind.UPDATE, Kind.COMPOSITE_QUERY, Kind.REPLY, Kind.REJECT, Kind.SYSTEM_TASK})
    | COMPOSITE_CALLBACK_KINDS
)
CYCLE_CALL_KINDS: Final = frozenset({Kind.UPDATE, Kind.REPLY, Kind.REJECT, Kind.SYSTEM_TASK})
CYCLE_ACCEPT_KINDS: Final = frozenset({Kind.UPDATE, Kind.REPLY, Kind.REJECT})
CHANGING_KINDS: Final = frozenset(
    {
        Kind.INIT,
        Kind.PRE_UPGRADE,
        Kind.UPDATE,
        Kind.REPLY,
        Kind.REJECT,
        Kind.CLEANUP,
        Kind.SYSTEM_TASK,
    }
)
QUERY_KINDS: Final = (
    frozenset({Kind.QUERY, Kind.COMPOSITE_QUERY, Kind.REPLICATED_QUERY}) | COMPOSITE_CALLBACK_KINDS
)


class CanisterTrap(Exception):
    """The message traps: nothing it did stays."""


@dataclass(frozen=True, slots=True)
class WasmCallback:
    """A closure of the module: a function index in its table and an environment value."""

    function: int
    env: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingWasmCall:
    callee: bytes
    method: str
    argument: bytes
    cycles: int
    on_reply: WasmCallback
    on_reject: WasmCallback
    on_cleanup: WasmCallback | None
    timeout_seconds: int | None
    deadline_ns: int = 0
    """A best-effort call's deadline (the call's time plus its timeout); 0 for a guaranteed one."""
    timed_out: bool = False
    """The deadline passed before the answer: the caller got SYS_UNKNOWN, the answer is dropped."""


@dataclass(slots=True, kw_only=True)
class _PendingCall:
    callee: bytes
    method: str
    on_reply: WasmCallback
    on_reject: WasmCallback
    argument: bytearray = field(default_factory=bytearray)
    cycles: int = 0
    on_cleanup: WasmCallback | None = None
    timeout_seconds: int | None = None


@dataclass(slots=True, kw_only=True)
class MessageState:
    """What one message sees and does."""

    kind: Kind
    method: str = ""
    argument: bytes = b""
    caller: bytes = b""
    canister_id: bytes = b""
    time_ns: int = 0
    balance: int = 0
    cycles_available: int = 0
    cycles_refunded: int = 0
    reject_code: int = 0
    reject_message: str = ""
    deadline_ns: int = 0
    certificate: bytes | None = None
    controllers: frozenset[bytes] = frozenset()
    status: int = 1  # 1 running, 2 stopping, 3 stopped
    version: int = 0
    freezing_limit: int = 0
    replied: bool = False  # the call context was answered before this message
    # results
    reply_buffer: bytearray = field(default_factory=bytearray)
    reply: bytes | None = None
    reject: str | None = None
    pending: _PendingCall | None = None
    calls: list[OutgoingWasmCall] = field(default_factory=list)
    cycles_accepted: int = 0
    cycles_burned: int = 0
    cycles_sent: int = 0
    certified_data: bytes | None = None
    global_timer: int | None = None
    message_accepted: bool = False
    debug: list[str] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return self.replied or self.reply is not None or self.reject is not None

    def restarted(self) -> MessageState:
        """The same message before it ran: what it sees, none of what it did."""
        return replace(
            self,
            reply_buffer=bytearray(),
            reply=None,
            reject=None,
            pending=None,
            calls=[],
            cycles_accepted=0,
            cycles_burned=0,
            cycles_sent=0,
            certified_data=None,
            global_timer=None,
            message_accepted=False,
            debug=[],
        )

    def spendable(self) -> int:
        return max(
            0,
            self.balance
            + self.cycles_accepted
            - self.cycles_sent
            - self.cycles_burned
            - self.freezing_limit,
        )


I32: Final = wasmtime.ValType.i32()
I64: Final = wasmtime.ValType.i64()


class SystemApi:
    """The host functions of one canister instance."""

    def __init__(self, canister: WasmCanister) -> None:
        self.canister = canister

    # -- helpers ------------------------------------------------------------------------------

    @property
    def state(self) -> MessageState:
        state = self.canister.message
        if state is None:
            raise CanisterTrap("the System API was called outside of a message")
        return state

    def _allow(self, name: str, kinds: frozenset[Kind]) -> MessageState:
        state = self.state
        if state.kind not in kinds:
            raise CanisterTrap(f'"ic0.{name}" cannot be executed in {_MODE_NAMES[state.kind]} mode')
        return state

    def _copy_out(self, name: str, data: bytes, dst: int, offset: int, size: int) -> None:
        if offset + size > len(data):
            raise CanisterTrap(
                f"ic0.{name} heap: src={offset} + length={size} exceeds the slice size={len(data)}"
            )
        self.canister.charge(size)
        self.canister.write_memory(dst, data[offset : offset + size])

    def _read(self, src: int, size: int) -> bytes:
        self.canister.charge(size)
        return self.canister.read_memory(src, size)

    # -- message data ---------------------------------------------------------------------------

    def msg_arg_data_size(self) -> int:
        return len(self._allow("msg_arg_data_size", ARG_KINDS).argument)

    def msg_arg_data_copy(self, dst: int, offset: int, size: int) -> None:
        self._copy_out(
            "msg_arg_data_copy",
            self._allow("msg_arg_data_copy", ARG_KINDS).argument,
            dst,
            offset,
            size,
        )

    def msg_caller_size(self) -> int:
        return len(self._allow("msg_caller_size", ALL - {Kind.SYSTEM_TASK}).caller)

    def msg_caller_copy(self, dst: int, offset: int, size: int) -> None:
        self._copy_out(
            "msg_caller_copy",
            self._allow("msg_caller_copy", ALL - {Kind.SYSTEM_TASK}).caller,
            dst,
            offset,
            size,
        )

    def msg_reject_code(self) -> int:
        return self._allow("msg_reject_code", REJECT_CODE_KINDS).reject_code

    def msg_reject_msg_size(self) -> int:
        return len(
            self._allow(
                "msg_reject_msg_size", frozenset({Kind.REJECT, Kind.COMPOSITE_REJECT})
            ).reject_message.encode()
        )

    def msg_reject_msg_copy(self, dst: int, offset: int, size: int) -> None:
        message = self._allow(
            "msg_reject_msg_copy", frozenset({Kind.REJECT, Kind.COMPOSITE_REJECT})
        ).reject_message.encode()
        self._copy_out("msg_reject_msg_copy", message, dst, offset, size)

    def msg_method_name_size(self) -> int:
        return len(self._allow("msg_method_name_size", frozenset({Kind.INSPECT})).method.encode())

    def msg_method_name_copy(self, dst: int, offset: int, size: int) -> None:
        name = self._allow("msg_method_name_copy", frozenset({Kind.INSPECT})).method.encode()
        self._copy_out("msg_method_name_copy", name, dst, offset, size)

    def msg_deadline(self) -> int:
        return self._allow("msg_deadline", REPLY_KINDS).deadline_ns

    def accept_message(self) -> None:
        state = self._allow("accept_message", frozenset({Kind.INSPECT}))
        if state.message_accepted:
            raise CanisterTrap("ic0.accept_message: the message was already accepted")
        state.message_accepted = True

    # -- replies --------------------------------------------------------------------------------

    def _answerable(self, name: str) -> MessageState:
        state = self._allow(name, REPLY_KINDS)
        if state.answered:
            raise CanisterTrap(f"ic0.{name}: the call is already replied to")
        return state

    def msg_reply_data_append(self, src: int, size: int) -> None:
        state = self._answerable("msg_reply_data_append")
        if len(state.reply_buffer) + size > MAX_REPLY_BYTES:
            raise CanisterTrap(
                f"ic0.msg_reply_data_append: the reply exceeds {MAX_REPLY_BYTES} bytes"
            )
        state.reply_buffer += self._read(src, size)

    def msg_reply(self) -> None:
        state = self._answerable("msg_reply")
        state.reply = bytes(state.reply_buffer)

    def msg_reject(self, src: int, size: int) -> None:
        state = self._answerable("msg_reject")
        if size > MAX_REJECT_MESSAGE_BYTES:
            raise CanisterTrap(
                f"ic0.msg_reject: the reject message exceeds {MAX_REJECT_MESSAGE_BYTES} bytes"
            )
        state.reject = self._read(src, size).decode(errors="replace")

    # -- cycles ---------------------------------------------------------------------------------

    def _write128(self, dst: int, value: int) -> None:
        self.canister.write_memory(dst, value.to_bytes(16, "little"))

    def msg_cycles_available128(self, dst: int) -> None:
        state = self._allow("msg_cycles_available128", CYCLE_ACCEPT_KINDS)
        self._write128(dst, state.cycles_available - state.cycles_accepted)

    def msg_cycles_available(self) -> int:
        state = self._allow("msg_cycles_available", CYCLE_ACCEPT_KINDS)
        return min(state.cycles_available - state.cycles_accepted, (1 << 64) - 1)

    def msg_cycles_refunded128(self, dst: int) -> None:
        self._write128(dst, self._allow("msg_cycles_refunded128", CALLBACK_KINDS).cycles_refunded)

    def msg_cycles_refunded(self) -> int:
        return min(
            self._allow("msg_cycles_refunded", CALLBACK_KINDS).cycles_refunded, (1 << 64) - 1
        )

    def _accept(self, name: str, maximum: int) -> int:
        state = self._allow(name, CYCLE_ACCEPT_KINDS)
        amount = max(0, min(maximum, state.cycles_available - state.cycles_accepted))
        state.cycles_accepted += amount
        return amount

    def msg_cycles_accept128(self, high: int, low: int, dst: int) -> None:
        amount = self._accept("msg_cycles_accept128", (_u64(high) << 64) | _u64(low))
        self._write128(dst, amount)

    def msg_cycles_accept(self, maximum: int) -> int:
        return self._accept("msg_cycles_accept", _u64(maximum))

    def cycles_burn128(self, high: int, low: int, dst: int) -> None:
        state = self._allow("cycles_burn128", CHANGING_KINDS - {Kind.CLEANUP})
        amount = min((_u64(high) << 64) | _u64(low), state.spendable())
        state.cycles_burned += amount
        self._write128(dst, amount)

    def canister_cycle_balance128(self, dst: int) -> None:
        state = self._allow("canister_cycle_balance128", ALL)
        self._write128(
            dst, state.balance + state.cycles_accepted - state.cycles_sent - state.cycles_burned
        )

    def canister_cycle_balance(self) -> int:
        state = self._allow("canister_cycle_balance", ALL)
        return min(
            state.balance + state.cycles_accepted - state.cycles_sent - state.cycles_burned,
            (1 << 64) - 1,
        )

    def canister_liquid_cycle_balance128(self, dst: int) -> None:
        self._write128(dst, self._allow("canister_liquid_cycle_balance128", ALL).spendable())

    # -- the canister ---------------------------------------------------------------------------

    def canister_self_size(self) -> int:
        return len(self._allow("canister_self_size", ALL).canister_id)

    def canister_self_copy(self, dst: int, offset: int, size: int) -> None:
        self._copy_out(
            "canister_self_copy",
            self._allow("canister_self_copy", ALL).canister_id,
            dst,
            offset,
            size,
        )

    def canister_status(self) -> int:
        return self._allow("canister_status", ALL).status

    def canister_version(self) -> int:
        return self._allow("canister_version", ALL).version

    def is_controller(self, src: int, size: int) -> int:
        if size > 29:
            raise CanisterTrap(f"ic0.is_controller: {size} bytes are not a principal")
        return int(self._read(src, size) in self.state.controllers)

    def in_replicated_execution(self) -> int:
        return int(
            self.state.kind
            not in (Kind.QUERY, Kind.COMPOSITE_QUERY, Kind.COMPOSITE_REPLY, Kind.COMPOSITE_REJECT)
        )

    # -- calls ----------------------------------------------------------------------------------

    def call_new(
        self, callee_src: int, callee_size: int, name_src: int, name_size: int,
        reply_fun: int, reply_env: int, reject_fun: int, reject_env: int,
    ) -> None:  # fmt: skip
        state = self._allow("call_new", CALL_KINDS)
        if callee_size > 29:
            raise CanisterTrap("ic0.call_new: the callee is not a principal")
        state.pending = _PendingCall(
            callee=self._read(callee_src, callee_size),
            method=self._read(name_src, name_size).decode(errors="replace"),
            on_reply=WasmCallback(reply_fun, reply_env),
            on_reject=WasmCallback(reject_fun, reject_env),
        )

    def _pending(self, name: str) -> _PendingCall:
        pending = self._allow(name, CALL_KINDS).pending
        if pending is None:
            raise CanisterTrap(f"ic0.{name} called when no call is under construction")
        return pending

    def call_data_append(self, src: int, size: int) -> None:
        pending = self._pending("call_data_append")
        if len(pending.argument) + size > MAX_CALL_BYTES:
            raise CanisterTrap(
                f"ic0.call_data_append: the call's argument exceeds {MAX_CALL_BYTES} bytes"
            )
        pending.argument += self._read(src, size)

    def call_on_cleanup(self, fun: int, env: int) -> None:
        pending = self._pending("call_on_cleanup")
        if pending.on_cleanup is not None:
            raise CanisterTrap("ic0.call_on_cleanup can be called only once per call")
        pending.on_cleanup = WasmCallback(fun, env)

    def call_with_best_effort_response(self, timeout_seconds: int) -> None:
        pending = self._pending("call_with_best_effort_response")
        if pending.timeout_seconds is not None:
            raise CanisterTrap(
                "ic0.call_with_best_effort_response can be called only once per call"
            )
        pending.timeout_seconds = max(1, min(_u32(timeout_seconds), 300))

    def _add_cycles(self, name: str, amount: int) -> None:
        state = self._allow(name, CYCLE_CALL_KINDS)
        pending = self._pending(name)
        if amount > state.spendable():
            raise CanisterTrap(f"ic0.{name}: the canister cannot spend {amount} cycles")
        pending.cycles += amount
        state.cycles_sent += amount

    def call_cycles_add128(self, high: int, low: int) -> None:
        self._add_cycles("call_cycles_add128", (_u64(high) << 64) | _u64(low))

    def call_cycles_add(self, amount: int) -> None:
        self._add_cycles("call_cycles_add", _u64(amount))

    def call_perform(self) -> int:
        state = self.state
        pending = self._pending("call_perform")
        state.pending = None
        state.calls.append(
            OutgoingWasmCall(
                callee=pending.callee,
                method=pending.method,
                argument=bytes(pending.argument),
                cycles=pending.cycles,
                on_reply=pending.on_reply,
                on_reject=pending.on_reject,
                on_cleanup=pending.on_cleanup,
                timeout_seconds=pending.timeout_seconds,
                deadline_ns=0
                if pending.timeout_seconds is None
                else state.time_ns + pending.timeout_seconds * 1_000_000_000,
            )
        )
        return 0

    # -- stable memory ----------------------------------------------------------------------------

    def stable64_size(self) -> int:
        return self.canister.stable.pages()

    def stable64_grow(self, pages: int) -> int:
        return self.canister.stable.grow(_u64(pages))

    def stable64_read(self, dst: int, offset: int, size: int) -> None:
        self.canister.charge(_u64(size))
        self.canister.write_memory(dst, self.canister.stable.read(_u64(offset), _u64(size)))

    def stable64_write(self, offset: int, src: int, size: int) -> None:
        data = self._read(src, _u64(size))
        self.canister.stable.write(_u64(offset), data)

    def stable_size(self) -> int:
        pages = self.canister.stable.pages()
        if pages > 65536:
            raise CanisterTrap("ic0.stable_size: the stable memory is too large for the 32-bit API")
        return pages

    def stable_grow(self, pages: int) -> int:
        if self.canister.stable.pages() + _u32(pages) > 65536:
            return -1
        return self.canister.stable.grow(_u32(pages))

    def stable_read(self, dst: int, offset: int, size: int) -> None:
        self.stable64_read(_u32(dst), _u32(offset), _u32(size))

    def stable_write(self, offset: int, src: int, size: int) -> None:
        self.stable64_write(_u32(offset), _u32(src), _u32(size))

    # -- certification, time, timers ------------------------------------------------------------

    def certified_data_set(self, src: int, size: int) -> None:
        state = self._allow("certified_data_set", CHANGING_KINDS - {Kind.CLEANUP})
        if size > MAX_CERTIFIED_DATA:
            raise CanisterTrap(f"ic0.certified_data_set: {size} bytes exceed {MAX_CERTIFIED_DATA}")
        state.certified_data = self._read(src, size)

    def data_certificate_present(self) -> int:
        return int(self._allow("data_certificate_present", ALL).certificate is not None)

    def data_certificate_size(self) -> int:
        certificate = self._allow(
            "data_certificate_size", frozenset({Kind.QUERY, Kind.COMPOSITE_QUERY})
        ).certificate
        if certificate is None:
            raise CanisterTrap("ic0.data_certificate_size: no certificate is present")
        return len(certificate)

    def data_certificate_copy(self, dst: int, offset: int, size: int) -> None:
        certificate = self._allow(
            "data_certificate_copy", frozenset({Kind.QUERY, Kind.COMPOSITE_QUERY})
        ).certificate
        if certificate is None:
            raise CanisterTrap("ic0.data_certificate_copy: no certificate is present")
        self._copy_out("data_certificate_copy", certificate, dst, offset, size)

    def time(self) -> int:
        return self._allow("time", ALL).time_ns

    def global_timer_set(self, timestamp: int) -> int:
        state = self._allow("global_timer_set", CHANGING_KINDS - {Kind.CLEANUP})
        previous = self.canister.global_timer if state.global_timer is None else state.global_timer
        state.global_timer = _u64(timestamp)
        return previous

    def performance_counter(self, counter: int) -> int:
        if counter == 0:
            return self.canister.instructions_in_slice()
        if counter == 1:
            return self.canister.instructions_in_slice() + self.canister.instructions_before
        raise CanisterTrap(f"ic0.performance_counter: unknown counter type {counter}")

    # -- debugging ------------------------------------------------------------------------------

    def debug_print(self, src: int, size: int) -> None:
        text = self.canister.read_memory(src, min(size, MAX_DEBUG_PRINT)).decode(errors="replace")
        self.state.debug.append(text)

    def trap(self, src: int, size: int) -> None:
        text = self.canister.read_memory(src, min(size, MAX_DEBUG_PRINT)).decode(errors="replace")
        raise CanisterTrap(f"Canister called `ic0.trap` with message: '{text}'")


_MODE_NAMES: Final = {
    Kind.INIT: "init",
    Kind.PRE_UPGRADE: "pre_upgrade",
    Kind.UPDATE: "update",
    Kind.REPLICATED_QUERY: "replicated query",
    Kind.QUERY: "non-replicated query",
    Kind.COMPOSITE_QUERY: "composite query",
    Kind.REPLY: "reply callback",
    Kind.REJECT: "reject callback",
    Kind.COMPOSITE_REPLY: "composite query reply callback",
    Kind.COMPOSITE_REJECT: "composite query reject callback",
    Kind.CLEANUP: "cleanup",
    Kind.INSPECT: "inspect message",
    Kind.SYSTEM_TASK: "system task",
    Kind.START: "start",
}


def _u64(value: int) -> int:
    return value & 0xFFFFFFFFFFFFFFFF


def _u32(value: int) -> int:
    return value & 0xFFFFFFFF


# name: (params, results); "I" is i32 on wasm32 and i64 on wasm64; "i"/"l" are i32/i64
SIGNATURES: Final[dict[str, tuple[str, str]]] = {
    "msg_arg_data_size": ("", "I"),
    "msg_arg_data_copy": ("III", ""),
    "msg_caller_size": ("", "I"),
    "msg_caller_copy": ("III", ""),
    "msg_reject_code": ("", "i"),
    "msg_reject_msg_size": ("", "I"),
    "msg_reject_msg_copy": ("III", ""),
    "msg_method_name_size": ("", "I"),
    "msg_method_name_copy": ("III", ""),
    "msg_deadline": ("", "l"),
    "accept_message": ("", ""),
    "msg_reply_data_append": ("II", ""),
    "msg_reply": ("", ""),
    "msg_reject": ("II", ""),
    "msg_cycles_available128": ("I", ""),
    "msg_cycles_available": ("", "l"),
    "msg_cycles_refunded128": ("I", ""),
    "msg_cycles_refunded": ("", "l"),
    "msg_cycles_accept128": ("llI", ""),
    "msg_cycles_accept": ("l", "l"),
    "cycles_burn128": ("llI", ""),
    "canister_cycle_balance128": ("I", ""),
    "canister_cycle_balance": ("", "l"),
    "canister_liquid_cycle_balance128": ("I", ""),
    "canister_self_size": ("", "I"),
    "canister_self_copy": ("III", ""),
    "canister_status": ("", "i"),
    "canister_version": ("", "l"),
    "is_controller": ("II", "i"),
    "in_replicated_execution": ("", "i"),
    "call_new": ("IIIIIIII", ""),
    "call_data_append": ("II", ""),
    "call_on_cleanup": ("II", ""),
    "call_with_best_effort_response": ("i", ""),
    "call_cycles_add128": ("ll", ""),
    "call_cycles_add": ("l", ""),
    "call_perform": ("", "i"),
    "stable64_size": ("", "l"),
    "stable64_grow": ("l", "l"),
    "stable64_read": ("lll", ""),
    "stable64_write": ("lll", ""),
    "stable_size": ("", "i"),
    "stable_grow": ("i", "i"),
    "stable_read": ("iii", ""),
    "stable_write": ("iii", ""),
    "certified_data_set": ("II", ""),
    "data_certificate_present": ("", "i"),
    "data_certificate_size": ("", "I"),
    "data_certificate_copy": ("III", ""),
    "time": ("", "l"),
    "global_timer_set": ("l", "l"),
    "performance_counter": ("i", "l"),
    "debug_print": ("II", ""),
    "trap": ("II", ""),
}


def func_type(name: str, *, memory64: bool) -> wasmtime.FuncType:
    params, results = SIGNATURES[name]
    pointer = I64 if memory64 else I32
    codes = {"I": pointer, "i": I32, "l": I64}
    return wasmtime.FuncType([codes[c] for c in params], [codes[c] for c in results])


def host_function(api: SystemApi, name: str) -> Callable[..., Any]:
    method: Callable[..., Any] = getattr(api, name)
    return method
