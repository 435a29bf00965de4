"""Best-effort calls: their deadline, and the reject a caller gets when it passes.

A call made with `ic0.call_with_best_effort_response(timeout)` carries a
deadline, its time plus the timeout (1 to 300 s). The callee reads it with
`ic0.msg_deadline` (0 for a guaranteed call), and so do the caller's reply and
reject callbacks. If the deadline passes before the answer is on its way back
(the request still queued at the callee, or the callee still working on it),
the caller's reject callback runs with `SYS_UNKNOWN` and "Call deadline has
expired." (it refunds nothing itself), and an answer already queued for the
caller is delivered (rs/replicated_state/src/canister_state/system_state/
call_context_manager.rs, `expire_callbacks`; the interface spec's
"best-effort responses"). The cycles attached to the call come back as the IC
returns them: a request still queued at the callee is dropped there, never
executed, and its cycles are refunded to the caller at once (the IC's
`CanisterQueues::time_out_messages` enqueues a refund for every dropped
message that carried cycles, rs/replicated_state/src/canister_state/queues.rs
and queues/refunds.rs); a callee already working on it answers later, and that
answer is dropped but the cycles it refunds still reach the caller.

What is outstanding is read from the engine's own state (queues, open call
contexts, paused executions) each round, and a timed-out call is marked on the
call record that travels with the request, so a replica restarted from a
checkpoint expires the same calls in the same round.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

from replica.environment import Reject, RejectCode
from replica.execution.messages import Callback, Request, Response
from replica.execution.wasm.system_api import OutgoingWasmCall
from replica.types import Principal

if TYPE_CHECKING:
    from replica.execution.wasm.subnet import WasmSubnet

EXPIRED: Final = "Call deadline has expired."


def deadline_of(request: Request) -> int:
    """The deadline the callee of `request` sees: its caller's best-effort deadline, or 0."""
    call = request.callback.context if request.callback is not None else None
    return call.deadline_ns if isinstance(call, OutgoingWasmCall) else 0


def is_dropped(call: Any, answer: Any) -> bool:
    """An answer that arrives after its call timed out (not the timeout's own reject)."""
    if not isinstance(call, OutgoingWasmCall) or not call.timed_out:
        return False
    return not (isinstance(answer, Reject) and answer.code == RejectCode.SYS_UNKNOWN)


def _expired(callback: Callback | None, now_ns: int) -> Callback | None:
    if callback is None:
        return None
    call = callback.context
    if (
        not isinstance(call, OutgoingWasmCall)
        or not call.deadline_ns
        or call.timed_out
        or call.deadline_ns > now_ns
    ):
        return None
    return replace(callback, context=replace(call, timed_out=True))


def expire_calls(subnet: WasmSubnet) -> int:
    """Time out every best-effort call whose deadline has passed; how many were."""
    engine = subnet.engine
    now = engine.time_ns
    expired: list[tuple[Principal, Callback]] = []
    for canister_id in sorted(engine.queues):
        queue = engine.queues[canister_id]
        dropped = [
            (item, late)
            for item in queue
            if isinstance(item, Request) and (late := _expired(item.callback, now)) is not None
        ]
        for item, late in dropped:
            queue.remove(item)
            origin = engine.canisters.get(item.caller)
            if origin is not None:
                origin.cycles += item.cycles
            expired.append((item.caller, late))
    for context_id in sorted(engine.call_contexts):
        context = engine.call_contexts[context_id]
        late = _expired(context.callback, now)
        if late is not None and context.caller is not None:
            context.callback = late
            expired.append((context.caller, late))
            state = subnet.states.get(context.canister_id)
            paused = state.paused if state is not None else None
            if (
                paused is not None
                and paused.context_id == context.id
                and isinstance(paused.message, Request)
            ):
                paused.message = replace(paused.message, callback=late)
    for caller, callback in expired:
        if caller in engine.queues:
            engine.queues[caller].append(
                Response(
                    caller=caller,
                    callback=callback,
                    answer=Reject(code=RejectCode.SYS_UNKNOWN, message=EXPIRED),
                )
            )
    return len(expired)
