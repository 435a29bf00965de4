"""The environment a deterministic core runs in.

Cores never read a clock, draw randomness or reach another canister on their
own: those three come through an `Environment` passed in by whoever drives
the core (the execution engine on a replica, a test with a manual clock). The
same inputs in the same order therefore always give the same state.

Outgoing calls are asynchronous, as between canisters on the Internet
Computer. A core names the method to run with the reply, the method to run
with a reject, and a small context (kept as canonical CBOR); the driver delivers the
answer later by calling one of those methods. No coroutine waits across
rounds, so any round boundary can be checkpointed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final, Protocol

from replica.types import Principal

NANOS_PER_SECOND: Final = 1_000_000_000


class RejectCode(IntEnum):
    """Reject codes of the IC interface spec."""

    SYS_FATAL = 1
    SYS_TRANSIENT = 2
    DESTINATION_INVALID = 3
    CANISTER_REJECT = 4
    CANISTER_ERROR = 5
    SYS_UNKNOWN = 6


class ErrorCode(IntEnum):
    """The IC's user-facing error codes that icbox reports (`IC0503` and so on).

    The first digit is the reject code the error is classified under, as in
    dfinity/ic rs/types/error_types/src/lib.rs (`ErrorCode`, `From<ErrorCode>
    for RejectCode`).
    """

    CANISTER_OUT_OF_CYCLES = 207
    CANISTER_NOT_FOUND = 301
    CANISTER_REJECTED_MESSAGE = 406
    UNKNOWN_MANAGEMENT_MESSAGE = 407
    INVALID_MANAGEMENT_PAYLOAD = 408
    CANISTER_CALLED_TRAP = 503
    CANISTER_CONTRACT_VIOLATION = 504
    CANISTER_INVALID_WASM = 505
    CANISTER_DID_NOT_REPLY = 506
    CANISTER_STOPPED = 508
    CANISTER_STOPPING = 509
    CANISTER_INVALID_CONTROLLER = 512
    CANISTER_NON_EMPTY = 514
    QUERY_CALL_GRAPH_LOOP_DETECTED = 517
    INSUFFICIENT_CYCLES_IN_CALL = 520
    QUERY_CALL_GRAPH_TOO_DEEP = 525
    QUERY_CALL_GRAPH_TOTAL_INSTRUCTION_LIMIT_EXCEEDED = 526
    COMPOSITE_QUERY_CALLED_IN_REPLICATED_MODE = 527
    CANISTER_METHOD_NOT_FOUND = 536
    CANISTER_WASM_MODULE_NOT_FOUND = 537
    CANISTER_ALREADY_INSTALLED = 538

    @property
    def reject_code(self) -> RejectCode:
        return RejectCode(self.value // 100)

    @property
    def text(self) -> str:
        """The form the interface spec's `error_code` field carries: `IC0503`."""
        return f"IC{self.value:04d}"


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingCall:
    """A call a canister makes to another canister's method."""

    callee: Principal
    method: str
    argument: object
    on_reply: str
    on_reject: str
    context: object = field(default_factory=dict)
    cycles: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Reject:
    """Why a call was not answered with a reply."""

    code: RejectCode
    message: str
    error_code: ErrorCode | None = None

    @classmethod
    def of(cls, error_code: ErrorCode, message: str) -> Reject:
        """A reject classified by an IC error code (its reject code follows from it)."""
        return cls(code=error_code.reject_code, message=message, error_code=error_code)


class _Deferred:
    """The marker a method returns when its reply will come from a callback."""

    _instance: _Deferred | None = None

    def __new__(cls) -> _Deferred:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DEFERRED"


DEFERRED: Final = _Deferred()
"""Returned by a method (or a callback) that has made outgoing calls and will
reply to its caller later, from the callback that receives their answer."""


class Environment(Protocol):
    """What a core may ask of the world around it."""

    def now_ns(self) -> int:
        """The current time in nanoseconds since the Unix epoch (the block time on a replica)."""
        ...

    def random_bytes(self, count: int) -> bytes:
        """Bytes from the subnet's random tape (a seeded generator in tests)."""
        ...

    def call(self, call: OutgoingCall) -> None:
        """Send a call; its answer arrives later through `call.on_reply` or `call.on_reject`."""
        ...


class DeterministicRandom:
    """A seeded byte stream: SHA-256 of the seed and a block counter.

    Not a cryptographic generator for secrets; it gives reproducible runs.
    """

    def __init__(self, seed: bytes | int) -> None:
        if isinstance(seed, int):
            seed = seed.to_bytes(16, "big", signed=True)
        self._seed = hashlib.sha256(b"icbox-random" + seed).digest()
        self._counter = 0
        self._buffer = b""

    def random_bytes(self, count: int) -> bytes:
        while len(self._buffer) < count:
            block = hashlib.sha256(self._seed + self._counter.to_bytes(8, "big")).digest()
            self._counter += 1
            self._buffer += block
        out, self._buffer = self._buffer[:count], self._buffer[count:]
        return out

    def random_below(self, bound: int) -> int:
        """A uniform integer in [0, bound), by rejection sampling."""
        if bound <= 0:
            raise ValueError("bound must be positive")
        width = (bound.bit_length() + 7) // 8 + 1
        limit = (256**width // bound) * bound
        while True:
            value = int.from_bytes(self.random_bytes(width), "big")
            if value < limit:
                return value % bound


class ManualEnvironment:
    """An environment for tests and simulations: a clock that moves only when told,
    a seeded random stream, and outgoing calls collected for the driver to deliver."""

    def __init__(self, *, now_ns: int = 0, seed: bytes | int = 0) -> None:
        self._now_ns = now_ns
        self._random = DeterministicRandom(seed)
        self.outbox: list[OutgoingCall] = []

    def now_ns(self) -> int:
        return self._now_ns

    def now_seconds(self) -> int:
        return self._now_ns // NANOS_PER_SECOND

    def random_bytes(self, count: int) -> bytes:
        return self._random.random_bytes(count)

    def call(self, call: OutgoingCall) -> None:
        self.outbox.append(call)

    def set_time_ns(self, now_ns: int) -> None:
        if now_ns < self._now_ns:
            raise ValueError("time never goes backwards")
        self._now_ns = now_ns

    def advance_seconds(self, seconds: int) -> None:
        self.set_time_ns(self._now_ns + seconds * NANOS_PER_SECOND)

    def take_outbox(self) -> list[OutgoingCall]:
        calls, self.outbox = self.outbox, []
        return calls
