"""What a message leaves behind, checked before it commits; and the answer to one that failed.

A message's effects (its reply, its calls, the cycles it attaches and accepts,
its certified data) are checked inside its transaction by `check_effects`, so
that anything wrong with them fails the message as a trap would: its writes
roll back and it is answered with a reject. What passes the checks is applied
by steps that cannot fail. `failure_answer` is that reject, or the method's
own error reply where its interface answers refusals in Candid.
"""

from __future__ import annotations

from dataclasses import dataclass

from replica.candid import CandidError
from replica.canister import codec
from replica.canister.errors import CanisterError, SystemReject, reject_for
from replica.canister.sdk import MethodSpec, method_named
from replica.environment import DEFERRED, ErrorCode, OutgoingCall, Reject
from replica.execution.canisters import CanisterRecord, SystemEnvironment
from replica.execution.messages import CallContext
from replica.execution.wasm.interop import speaks_candid
from replica.types import Principal


@dataclass(frozen=True, slots=True, kw_only=True)
class Effects:
    """What a message that did not fail leaves behind."""

    calls: tuple[OutgoingCall, ...]
    certified_data: bytes | None
    accepted: int
    minted: int = 0
    result: object
    reply: bytes | None
    """The Candid of the reply to an ingress message or a Wasm canister's call (None otherwise)."""


def check_effects(
    record: CanisterRecord,
    context: CallContext,
    environment: SystemEnvironment,
    result: object,
    spec: MethodSpec | None,
) -> Effects:
    """Everything the message produced, checked inside its transaction: a failure here rolls it
    back."""
    calls = tuple(environment.outbox)
    attached = 0
    for call in calls:
        _check_call(record, call)
        attached += call.cycles
    holds = record.cycles + environment.cycles_accepted + environment.cycles_minted
    if attached > holds:
        raise SystemReject(
            ErrorCode.INSUFFICIENT_CYCLES_IN_CALL,
            f"canister {record.canister_id} attaches {attached} cycles to its calls but holds "
            f"{holds}",
        )
    reply = None
    if result is not DEFERRED and not context.answered:
        if context.ingress is not None or speaks_candid(context.callback):
            try:
                reply = spec.encode_reply(result) if spec is not None else b""
            except CandidError as error:
                raise SystemReject(
                    ErrorCode.CANISTER_CONTRACT_VIOLATION, f"reply does not fit its type: {error}"
                ) from error
        else:
            codec.check_encodable(result)  # the response waits in a queue the state hash covers
    return Effects(
        calls=calls,
        certified_data=environment.certified_data,
        accepted=environment.cycles_accepted,
        minted=environment.cycles_minted,
        result=result,
        reply=reply,
    )


def _check_call(record: CanisterRecord, call: object) -> None:
    if not (
        isinstance(call, OutgoingCall)
        and isinstance(call.callee, Principal)
        and isinstance(call.method, str)
    ):
        raise SystemReject(ErrorCode.CANISTER_CONTRACT_VIOLATION, f"not a call: {call!r}")
    if call.cycles < 0:
        raise SystemReject(
            ErrorCode.CANISTER_CONTRACT_VIOLATION, f"a call attaches {call.cycles} cycles"
        )
    for name in (call.on_reply, call.on_reject):
        if method_named(record.instance, name) is None:
            raise SystemReject(
                ErrorCode.CANISTER_CONTRACT_VIOLATION, f"the callback {name!r} is not a method"
            )
    codec.check_encodable(
        [call.argument, call.context]
    )  # the request waits in a queue the state hash covers


def failure_answer(error: Exception, spec: MethodSpec | None) -> Reject | bytes:
    """The answer to a failed ingress message or query: a reject, or the method's own error reply.

    A refusal (`CanisterError`) of a method whose interface answers errors in Candid
    (`spec.encode_error`) is replied in those terms; everything else is a reject.
    """
    if (
        spec is not None
        and isinstance(error, CanisterError)
        and not isinstance(error, SystemReject)
    ):
        try:
            encoded = spec.encode_error(error)
        except Exception:  # the canister's own error conversion trapped: answer with the reject
            encoded = None
        if encoded is not None:
            return encoded
    return reject_for(error)
