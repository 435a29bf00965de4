"""What flows through the execution engine: batches, ingress, calls, statuses."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from replica.environment import Reject
from replica.types import Principal


@dataclass(frozen=True, slots=True, kw_only=True)
class IngressMessage:
    message_id: bytes
    sender: Principal
    canister_id: Principal
    method: str
    arg: bytes
    ingress_expiry_ns: int
    envelope: bytes = b""
    """The signed request this message came in, as its sender sent it (the CBOR envelope of
    the IC's HTTP interface): what lets every replica check, from a block alone, that the
    sender asked for this call. Empty where a message is made without one (the execution
    harness, unit tests); execution never reads it."""

    @property
    def size_bytes(self) -> int:
        """What the message counts against a block's byte limit: its envelope's size (the IC's
        `count_bytes` of a `SignedIngress`), or, unsigned, its argument and method name and 64
        bytes for the rest."""
        if self.envelope:
            return len(self.envelope)
        return len(self.arg) + len(self.method) + 64

    def unsigned(self) -> IngressMessage:
        """The message without its envelope: what execution keeps in its state."""
        return replace(self, envelope=b"") if self.envelope else self


@dataclass(frozen=True, slots=True, kw_only=True)
class Batch:
    """A finalized block's input to execution."""

    height: int
    time_ns: int
    random_tape: bytes
    ingress: tuple[IngressMessage, ...] = ()
    initial_dkg_answers: tuple[Any, ...] = ()
    """Consensus's answers to waiting `setup_initial_dkg` calls
    (`replica.execution.subnet_calls.InitialDkgAnswer`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundResult:
    height: int
    state_hash: bytes
    completed: tuple[bytes, ...]
    instructions_used: int


class Status(StrEnum):
    """Request statuses of the IC interface spec."""

    RECEIVED = "received"
    PROCESSING = "processing"
    REPLIED = "replied"
    REJECTED = "rejected"
    DONE = "done"

    @property
    def is_terminal(self) -> bool:
        return self in (Status.REPLIED, Status.REJECTED, Status.DONE)


@dataclass(frozen=True, slots=True, kw_only=True)
class IngressStatus:
    """A request's status, the batch time it took it, and the request's expiry."""

    status: Status
    time_ns: int
    expiry_ns: int
    reply: bytes | None = None
    reject: Reject | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Callback:
    """Where the answer to a call goes: a call context of the caller and its methods."""

    call_context: int
    on_reply: str
    on_reject: str
    context: Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    caller: Principal
    callee: Principal
    method: str
    argument: Any
    callback: Callback | None
    cycles: int = 0
    ingress: IngressMessage | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    caller: Principal
    callback: Callback
    answer: Any
    refund_cycles: int = 0


@dataclass(slots=True, kw_only=True)
class CallContext:
    """An incoming message being answered, possibly after several rounds of calls."""

    id: int
    canister_id: Principal
    ingress: IngressMessage | None = None
    caller: Principal | None = None
    callback: Callback | None = None
    method: str = ""
    outstanding: int = 0
    answered: bool = False
    cycles: int = 0
    """Cycles attached to the call; those not `accepted` are refunded with its answer."""
    accepted: int = 0
