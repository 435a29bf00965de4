"""Deterministic time slicing: a long update executes on its own thread while rounds go on.

The IC splits an update whose instructions exceed one slice
(`MAX_INSTRUCTIONS_PER_SLICE`) into slices, one per round, pausing the
execution between rounds (rs/execution_environment/src/execution/update.rs,
`PausedExecution`); the canister takes no other message meanwhile, other
canisters run, and a checkpoint aborts the paused execution, which then runs
again from its start (rs/execution_environment/src/scheduler.rs,
`abort_paused_executions_at_checkpoint`).

Responses are sliced the same way (the IC's DTS covers them,
rs/execution_environment/src/execution/response.rs): a reply or reject
callback that runs out of its first slice starts again on its own thread
(`start_long_callback`), and its cleanup callback, if it traps, runs when its
result lands. An aborted response goes back to the front of the queue with its
call context kept open, the refund it carried taken back (it is credited again
when the response runs again).

Heartbeats and global timers are sliced like updates (the IC executes canister
tasks as `CanisterCallOrTask::Task`, call_or_task.rs); an aborted one stays the
canister's next execution (`AbortedExecution` with a task as its input) and
runs again from its start (`start_long_task`). install_code runs its steps the
same way, on its own runner (`install.py`).

Here a message is first run with a budget of one slice. If it runs out, it is
rolled back and started again on a thread of its own (`LongExecution`) with
the message's whole limit, its new state held aside: the canister's visible
state stays the old one until the round where its result lands. That round is
decided by instructions alone: an execution of `n` instructions started in
round `r` lands in round `r + ceil(n / slice) - 1`, so where the thread
happens to be when a round begins never shows. At each later round the engine
asks `outcome_within(slices * slice)`: the thread's result if the execution
ended within that many instructions, None if it needs more, which is known as
soon as the thread reports (after any host call) more instructions than that;
the round waits only while neither is known. `abort` stops the thread with an
epoch tick (`WasmHost.interrupt`); an execution stopped by a tick not meant
for it (another engine of the process checkpointing) simply runs again,
which changes nothing but time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from replica.execution.messages import Request, Response
from replica.execution.wasm.canister import (
    INTERRUPTED,
    RunResult,
    Snapshot,
    StableMemory,
    WasmCanister,
)
from replica.execution.wasm.host import WasmHost
from replica.execution.wasm.system_api import Kind

if TYPE_CHECKING:
    from replica.execution.canisters import CanisterRecord
    from replica.execution.messages import CallContext
    from replica.execution.wasm.subnet import WasmState, WasmSubnet
    from replica.execution.wasm.system_api import MessageState, WasmCallback

Body = Callable[[WasmCanister], RunResult]
Runner = Callable[[Callable[[int], None]], RunResult]


@dataclass(slots=True, kw_only=True)
class Paused:
    """A long execution whose result is not visible yet.

    Either its result is already known (`held`, a message run ahead on the thread pool,
    or a callback) and waits for `remaining` instructions' worth of slices, or it runs
    on its own thread (`job`) and `slices` counts the rounds it has had. `complete`
    applies the result once it lands. While the thread runs, the canister's instance is
    the thread's: the state hash, the memory size and queries use the state before the
    message (`digest`, `memory_size`, and a `shadow` instance built from `snapshot` and
    `stable`).
    """

    message: Request | Response | None
    context_id: int
    prepaid: int
    complete: Callable[[RunResult], None]
    on_abort: Callable[[], None] | None = None
    """What a checkpoint's abort does instead of putting `message` back in its queue (an install,
    a heartbeat or a timer)."""
    height: int = -1
    """The round it started in: it gets its next slice in the next round."""
    held: RunResult | None = None
    remaining: int = 0
    job: LongExecution | None = None
    slices: int = 1
    digest: bytes = b""
    memory_size: int = 0
    snapshot: Snapshot | None = None
    stable: bytes = b""
    global_timer: int = 0
    shadow: WasmCanister | None = None

    def shadow_of(self, canister: WasmCanister) -> WasmCanister:
        """An instance at the state before the message, for queries and inspect_message."""
        if self.shadow is None:
            shadow = WasmCanister(
                canister.host,
                canister.module,
                stable=StableMemory(self.stable),
                start=False,
                max_memory_bytes=canister.max_memory_bytes,
            )
            if self.snapshot is not None:
                shadow.restore(self.snapshot)
            shadow.global_timer = self.global_timer
            self.shadow = shadow
        return self.shadow


def on_canister(canister: WasmCanister, body: Body) -> Runner:
    """A runner for `body` on one canister's instance."""
    return lambda watch: canister.run_interruptible(body, watch)


class LongExecution:
    """One long execution, running on its own thread until it ends or is aborted.

    `run` executes it from its start, telling the watch the instructions used so far after
    each host call; an execution stopped by an epoch tick it was not meant for runs again.
    """

    def __init__(self, host: WasmHost, run: Runner) -> None:
        self.host = host
        self.run = run
        self.progress = 0
        """Instructions used so far, as last reported by a host call: a lower bound of the total."""
        self.result: RunResult | None = None
        self.runs = 0
        self._error: BaseException | None = None
        self._aborted = False
        self._threshold = -1
        self._condition = threading.Condition()
        self._thread = threading.Thread(target=self._execute, name="wasm-long", daemon=True)
        self._thread.start()

    def _watch(self, instructions: int) -> None:
        self.progress = max(self.progress, instructions)
        if 0 <= self._threshold < instructions:
            with self._condition:
                self._condition.notify_all()

    def _execute(self) -> None:
        result: RunResult | None = None
        try:
            while True:
                self.runs += 1
                result = self.run(self._watch)
                if result.trap != INTERRUPTED or self._aborted:
                    break
        except BaseException as error:  # a fault of the replica itself: raised to the engine
            self._error = error
        with self._condition:
            self.result = result
            self._condition.notify_all()

    @property
    def done(self) -> bool:
        return self.result is not None or self._error is not None

    def outcome_within(self, budget: int) -> RunResult | None:
        """The result if the execution ends within `budget` instructions, else None."""
        with self._condition:
            self._threshold = budget
            while not self.done and self.progress <= budget:
                self._condition.wait()
            self._threshold = -1
        if self._error is not None:
            raise self._error
        result = self.result
        if result is None or result.instructions > budget:
            return None
        return result

    def abort(self) -> None:
        """Stop the execution; the canister's instance is back at its state before it."""
        self._aborted = True
        while self._thread.is_alive():
            self.host.interrupt()
            self._thread.join(timeout=0.05)


def start_long(
    subnet: WasmSubnet,
    record: CanisterRecord,
    context: CallContext,
    request: Request,
    export: str,
    pristine: MessageState,
    prepaid: int,
) -> int:
    """The update used its first slice: it runs again from the start on its own thread."""
    limit = subnet.message_limit

    def body(instance: WasmCanister) -> RunResult:
        return instance.run(export, pristine.restarted(), limit=limit, keep=True, hold_over=-1)

    return _pause(subnet, record, request, context, prepaid, body)


def start_long_callback(
    subnet: WasmSubnet,
    record: CanisterRecord,
    context: CallContext,
    response: Response,
    callback: WasmCallback,
    cleanup: WasmCallback | None,
    pristine: MessageState,
    prepaid: int,
) -> int:
    """A reply or reject callback used its first slice: it runs again on its own thread."""
    limit = subnet.message_limit

    def body(instance: WasmCanister) -> RunResult:
        return instance.run_callback(
            callback, pristine.restarted(), limit=limit, keep=True, hold_over=-1
        )

    def run_cleanup(result: RunResult) -> None:
        if result.trap is not None and cleanup is not None:
            instance = subnet.state(record.canister_id).canister
            assert instance is not None
            message = subnet._message_state(record, Kind.CLEANUP, replied=context.answered)
            instance.run_callback(cleanup, message, limit=limit, keep=True)

    return _pause(subnet, record, response, context, prepaid, body, before_apply=run_cleanup)


def _pause(
    subnet: WasmSubnet,
    record: CanisterRecord,
    message: Request | Response,
    context: CallContext,
    prepaid: int,
    body: Callable[[WasmCanister], RunResult],
    *,
    before_apply: Callable[[RunResult], None] | None = None,
    on_abort: Callable[[], None] | None = None,
) -> int:
    """Hold the canister's state as it was before the message and start `body` on its own
    thread; the canister takes nothing else until the paused execution lands, and then the
    result is applied (after `before_apply`) with the fee for the instructions it used."""
    canister_id = record.canister_id
    canister = subnet.state(canister_id).canister
    assert canister is not None
    wasm64 = canister.module.memory64

    def complete(result: RunResult) -> None:
        if before_apply is not None:
            before_apply(result)
        fee = subnet.schedule.execution_cost(result.instructions, wasm64=wasm64)
        subnet._apply(record, context, result, prepaid - fee)

    paused = Paused(
        message=message,
        context_id=context.id,
        prepaid=prepaid,
        complete=complete,
        on_abort=on_abort,
        height=subnet.engine.height,
        digest=subnet.state_digest(canister_id),
        memory_size=subnet.memory_size(canister_id),
        snapshot=canister.snapshot(),
        stable=bytes(canister.stable.data),
        global_timer=canister.global_timer,
    )
    paused.job = LongExecution(subnet.host, on_canister(canister, body))
    subnet.state(canister_id).paused = paused
    return subnet.slice_instructions


def continue_paused(subnet: WasmSubnet, state: WasmState) -> int:
    """Give a paused execution this round's slice; apply its result if it lands now."""
    paused = state.paused
    assert paused is not None
    if paused.job is None:
        assert paused.held is not None
        step = min(subnet.slice_instructions, paused.remaining)
        paused.remaining -= step
        if paused.remaining > 0:
            return step
        result = paused.held
    else:
        paused.slices += 1
        outcome = paused.job.outcome_within(paused.slices * subnet.slice_instructions)
        if outcome is None:
            return subnet.slice_instructions
        result = outcome
        step = result.instructions - (paused.slices - 1) * subnet.slice_instructions
    state.paused = None
    if result.held is not None:
        assert state.canister is not None
        state.canister.install_held(result.held)
    paused.complete(result)
    return step


def start_long_task(
    subnet: WasmSubnet,
    record: CanisterRecord,
    context: CallContext,
    export: str,
    pristine: MessageState,
    prepaid: int,
    on_abort: Callable[[], None],
) -> int:
    """A heartbeat or global timer used its first slice: it runs again on its own thread, as the
    IC slices canister tasks like updates (rs/execution_environment/src/execution/call_or_task.rs);
    a checkpoint's abort keeps it to run again from its start (`on_abort`)."""
    limit = subnet.message_limit

    def body(instance: WasmCanister) -> RunResult:
        return instance.run(export, pristine.restarted(), limit=limit, keep=True, hold_over=-1)

    task = Request(
        caller=record.canister_id,
        callee=record.canister_id,
        method=export,
        argument=b"",
        callback=None,
    )
    return _pause(subnet, record, task, context, prepaid, body, on_abort=on_abort)
