"""Wasm canisters on a subnet's execution engine: the `CanisterRuntime` for modules.

`WasmSubnet` owns the Wasm state of the engine's canisters (instance, stable
memory, settings, chunk store) and executes their messages: requests, the
callbacks of their calls, queries, `canister_inspect_message` for ingress,
heartbeats and the global timer. The engine keeps scheduling, call contexts,
queues and the ingress history; `apply` turns a message's `MessageState` into
engine effects (reply or reject, calls, cycles, certified data, timer) only
when the message did not trap.

Cycles (application subnets, `costs.CostSchedule`): an update prepays the fee
of its whole instruction limit and is refunded what it did not use; a call
pays the transmission of its request and reserves that of the response; an
ingress message pays its induction; storage is charged every round for the
memory held since the previous round. A canister whose balance is below its
freezing threshold (plus the fee it would prepay) refuses messages with
SYS_TRANSIENT, as the IC's "out of cycles" errors do.

Deterministic time slicing (`slicing.py`): an update that uses more
instructions than one slice (`slice_instructions`) continues on a thread of
its own across rounds, its new state held aside (the canister's visible state
stays the old one, for queries too) and applied in the round where the slices
it needs have elapsed, one slice counted against each round's budget; the
canister takes no other message meanwhile, other canisters run. A reply or
reject callback is sliced the same way, and so are heartbeats, global timers
and install_code (`install.py`). An update run ahead on the thread pool
has its result already and only waits for its slices. `abort_paused()` (what a checkpoint does)
stops them and puts the messages back at the front of their queues, so they
run again from the start, as the IC aborts paused executions at a checkpoint;
an aborted heartbeat or timer is kept in `WasmState.aborted_task`, an aborted
install waits in front of the management calls (`pending.py`).
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from replica.canister import codec
from replica.environment import ErrorCode, Reject, RejectCode
from replica.execution.messages import (
    Callback,
    CallContext,
    IngressMessage,
    Request,
    Response,
    Status,
)
from replica.execution.runtime import RawReply
from replica.execution.wasm.canister import RunResult, Snapshot, StableMemory, WasmCanister
from replica.execution.wasm.composite import execute_query
from replica.execution.wasm.costs import (
    DEFAULT_FREEZING_THRESHOLD_SECONDS,
    MAX_INSTRUCTIONS_PER_INSTALL_CODE,
    MAX_INSTRUCTIONS_PER_MESSAGE,
    MAX_INSTRUCTIONS_PER_SLICE,
    CostSchedule,
)
from replica.execution.wasm.deadlines import deadline_of, expire_calls, is_dropped
from replica.execution.wasm.host import WasmHost, default_host
from replica.execution.wasm.parallel import Speculator, inputs
from replica.execution.wasm.pending import (
    ManagementCall,
    read_waiting,
    run_waiting,
    write_waiting,
)
from replica.execution.wasm.slicing import (
    Paused,
    continue_paused,
    start_long,
    start_long_callback,
    start_long_task,
)
from replica.execution.wasm.stable_files import (
    CACHE_DIRECTORY,
    STABLE_SUFFIX,
    StableFiles,
    read_stable_file,
)
from replica.execution.wasm.system_api import Kind, MessageState, OutgoingWasmCall
from replica.types import Principal

if TYPE_CHECKING:
    from pathlib import Path

    from replica.execution.canisters import CanisterRecord
    from replica.execution.engine import ExecutionEngine

INSPECT_LIMIT: Final = 200_000_000
DEFAULT_RESERVED_CYCLES_LIMIT: Final = 5_000_000_000_000
DEFAULT_WASM_MEMORY_LIMIT: Final = 3 * 1024**3
_STATUS_CODES: Final = {"running": 1, "stopping": 2, "stopped": 3}


@dataclass(slots=True, kw_only=True)
class Settings:
    freezing_threshold: int = DEFAULT_FREEZING_THRESHOLD_SECONDS
    compute_allocation: int = 0
    memory_allocation: int = 0
    reserved_cycles_limit: int = DEFAULT_RESERVED_CYCLES_LIMIT
    wasm_memory_limit: int = DEFAULT_WASM_MEMORY_LIMIT
    wasm_memory_threshold: int = 0
    log_visibility: str = "controllers"


@dataclass(slots=True, kw_only=True)
class WasmState:
    settings: Settings = field(default_factory=Settings)
    canister: WasmCanister | None = None
    installed: bytes = b""
    version: int = 0
    chunks: dict[bytes, bytes] = field(default_factory=dict)
    paused: Paused | None = None
    aborted_task: str | None = None
    """A heartbeat or timer a checkpoint aborted: it runs again from its start next round."""
    debug: list[str] = field(default_factory=list)

    @property
    def holds_canister(self) -> bool:
        """A long execution or an aborted task comes before anything else on the canister."""
        return self.paused is not None or self.aborted_task is not None


class WasmSubnet:
    """The Wasm side of one execution engine."""

    def __init__(
        self,
        engine: ExecutionEngine,
        *,
        host: WasmHost | None = None,
        schedule: CostSchedule | None = None,
        slice_instructions: int = MAX_INSTRUCTIONS_PER_SLICE,
        message_limit: int = MAX_INSTRUCTIONS_PER_MESSAGE,
        install_limit: int = MAX_INSTRUCTIONS_PER_INSTALL_CODE,
        threads: int = 1,
    ) -> None:
        self.engine = engine
        self._host = host
        self.schedule = schedule or CostSchedule.for_subnet(engine.subnet_type)
        self.slice_instructions = slice_instructions
        self.message_limit = message_limit
        self.install_limit = install_limit
        self.states: dict[Principal, WasmState] = {}
        self.waiting: deque[ManagementCall] = deque()
        """Management calls waiting for their canister (`pending.py`)."""
        self.speculator = Speculator(threads)
        self.stable_files = StableFiles(engine.state_dir / CACHE_DIRECTORY)

    @property
    def host(self) -> WasmHost:
        if self._host is None:
            self._host = default_host()
        return self._host

    def state(self, canister_id: Principal) -> WasmState:
        state = self.states.get(canister_id)
        if state is None:
            state = self.states[canister_id] = WasmState()
        return state

    # -- the CanisterRuntime protocol -----------------------------------------------------------

    def owns(self, canister_id: Principal) -> bool:
        state = self.states.get(canister_id)
        return state is not None and state.canister is not None

    def busy(self, canister_id: Principal) -> bool:
        """Whether the canister is held: a long execution, an aborted task or a waiting management
        call comes first."""
        state = self.states.get(canister_id)
        if state is not None and state.holds_canister:
            return True
        return any(call.canister_id == canister_id for call in self.waiting)

    def held(self) -> set[Principal]:
        """Every canister that `busy` says is held, found in one pass (for a scan of all the
        queues)."""
        held = {call.canister_id for call in self.waiting if call.canister_id is not None}
        held.update(
            canister_id for canister_id, state in self.states.items() if state.holds_canister
        )
        return held

    def frozen_limit(self, record: CanisterRecord) -> int:
        state = self.state(record.canister_id)
        memory = self.memory_size(record.canister_id)
        return self.schedule.freezing_threshold_cycles(
            freezing_threshold_seconds=state.settings.freezing_threshold,
            memory_bytes=memory,
            memory_allocation=state.settings.memory_allocation,
            compute_allocation=state.settings.compute_allocation,
        )

    def memory_size(self, canister_id: Principal) -> int:
        state = self.states.get(canister_id)
        if state is None or state.canister is None:
            return 0
        if state.paused is not None and state.paused.job is not None:
            return state.paused.memory_size
        return (
            state.canister.memory_bytes() + len(state.canister.stable.data) + len(state.installed)
        )

    def _message_state(
        self,
        record: CanisterRecord,
        kind: Kind,
        *,
        freezing_limit: int | None = None,
        **fields: Any,
    ) -> MessageState:
        state = self.state(record.canister_id)
        if freezing_limit is None:
            freezing_limit = self.frozen_limit(record)
        return MessageState(
            kind=kind,
            canister_id=record.canister_id.raw,
            time_ns=self.engine.time_ns,
            balance=record.cycles,
            controllers=frozenset(c.raw for c in record.controllers),
            status=_STATUS_CODES.get(str(record.status), 1),
            version=state.version,
            freezing_limit=freezing_limit,
            **fields,
        )

    def inspect_ingress(self, message: IngressMessage) -> Reject | None:
        record = self.engine.canisters[message.canister_id]
        canister = self.instance_for_reading(message.canister_id)
        cost = self.schedule.ingress_induction_cost(len(message.arg) + len(message.method))
        if record.cycles - cost < self.frozen_limit(record):
            return Reject.of(
                ErrorCode.CANISTER_OUT_OF_CYCLES, f"Canister {message.canister_id} is out of cycles"
            )
        if "canister_inspect_message" in canister.module.system_exports:
            inspect = self._message_state(
                record,
                Kind.INSPECT,
                method=message.method,
                argument=message.arg,
                caller=message.sender.raw,
            )
            result = canister.run(
                "canister_inspect_message", inspect, limit=INSPECT_LIMIT, keep=False
            )
            if result.trap is not None:
                return Reject.of(
                    ErrorCode.CANISTER_CALLED_TRAP,
                    f"Error from Canister {message.canister_id}: {result.trap}",
                )
            if not inspect.message_accepted:
                return Reject.of(
                    ErrorCode.CANISTER_REJECTED_MESSAGE,
                    f"Canister {message.canister_id} rejected the message in "
                    "canister_inspect_message",
                )
        record.cycles -= cost
        return None

    def prepare_request(
        self, canister_id: Principal, request: Request
    ) -> tuple[WasmCanister, str, MessageState, int] | None:
        """What running `request` takes, or None if it is refused without running."""
        record = self.engine.canisters[canister_id]
        canister = self.state(canister_id).canister
        assert canister is not None
        if request.method in canister.module.updates:
            kind, export = Kind.UPDATE, f"canister_update {request.method}"
        elif request.method in canister.module.queries:
            kind, export = Kind.REPLICATED_QUERY, f"canister_query {request.method}"
        else:
            return None
        prepaid = self.schedule.prepay_execution(
            self.message_limit, wasm64=canister.module.memory64
        )
        frozen = self.frozen_limit(record)
        if record.status != "running" or record.cycles - prepaid < frozen:
            return None
        argument = request.argument if isinstance(request.argument, bytes) else b""
        message = self._message_state(
            record,
            kind,
            method=request.method,
            argument=argument,
            caller=request.caller.raw,
            cycles_available=request.cycles,
            deadline_ns=deadline_of(request),
            freezing_limit=frozen,
        )
        message.balance -= prepaid
        return canister, export, message, prepaid

    def process_request(self, canister_id: Principal, request: Request) -> int:
        engine = self.engine
        record = engine.canisters[canister_id]
        canister = self.state(canister_id).canister
        assert canister is not None
        context = engine._new_context(
            canister_id,
            ingress=request.ingress,
            caller=request.caller,
            callback=request.callback,
            method=request.method,
            cycles=request.cycles,
        )
        if request.ingress is not None:
            engine._set_status(request.ingress, Status.PROCESSING)
        module = canister.module
        if request.method in module.composite_queries:
            return self._refuse(
                context,
                ErrorCode.COMPOSITE_QUERY_CALLED_IN_REPLICATED_MODE,
                f"Composite query method '{request.method}' of canister {canister_id} cannot be "
                "called in replicated mode",
            )
        if request.method not in module.updates and request.method not in module.queries:
            return self._refuse(
                context,
                ErrorCode.CANISTER_METHOD_NOT_FOUND,
                f"Canister {canister_id} has no update method '{request.method}'",
            )
        if record.status != "running":
            return self._refuse(
                context, _status_error(record), f"Canister {canister_id} is {record.status}"
            )
        prepared = self.prepare_request(canister_id, request)
        if prepared is None:
            return self._refuse(
                context,
                ErrorCode.CANISTER_OUT_OF_CYCLES,
                f"Canister {canister_id} is out of cycles",
            )
        _, export, message, prepaid = prepared
        record.cycles -= prepaid
        speculated = self.speculator.take(
            request, inputs(canister, message, self.state(canister_id).version)
        )
        if speculated is not None and speculated.held is not None:
            result = speculated
            if speculated.instructions <= self.slice_instructions:
                canister.install_held(speculated.held)
                result = RunResult(
                    state=speculated.state, instructions=speculated.instructions, trap=None
                )
        elif message.kind == Kind.UPDATE and self.message_limit > self.slice_instructions:
            result = canister.run(export, message, limit=self.slice_instructions, keep=True)
            if result.exhausted:  # a message changes only its results: its inputs start it again
                return start_long(
                    self, record, context, request, export, message.restarted(), prepaid
                )
        else:
            result = canister.run(
                export,
                message,
                limit=self.message_limit,
                keep=message.kind == Kind.UPDATE,
                hold_over=self.slice_instructions,
            )
        return self._finish(record, context, result, request, prepaid)

    def instance_for_reading(self, canister_id: Principal) -> WasmCanister:
        """The instance a query or inspect_message runs on: the canister's, or while a long
        execution holds it, one at the state before that execution."""
        state = self.state(canister_id)
        canister = state.canister
        assert canister is not None
        paused = state.paused
        if paused is not None and paused.job is not None:
            return paused.shadow_of(canister)
        return canister

    def process_response(self, canister_id: Principal, response: Response) -> int:
        engine = self.engine
        record = engine.canisters[canister_id]
        canister = self.state(canister_id).canister
        assert canister is not None
        call: OutgoingWasmCall = response.callback.context
        record.cycles += response.refund_cycles
        if is_dropped(call, response.answer):
            return 0
        context = engine.call_contexts.get(response.callback.call_context)
        if context is None:
            return 0
        context.outstanding -= 1
        answer = response.answer
        prepaid = self.schedule.prepay_execution(
            self.message_limit, wasm64=canister.module.memory64
        )
        record.cycles -= prepaid
        common: dict[str, Any] = {
            "cycles_refunded": response.refund_cycles,
            "replied": context.answered,
            "caller": (context.caller or record.canister_id).raw,
            "deadline_ns": call.deadline_ns,
        }
        if isinstance(answer, Reject):
            message = self._message_state(
                record,
                Kind.REJECT,
                reject_code=int(answer.code),
                reject_message=answer.message,
                **common,
            )
            callback = call.on_reject
        else:
            data = answer.data if isinstance(answer, RawReply) else b""
            message = self._message_state(record, Kind.REPLY, argument=data, **common)
            callback = call.on_reply
        if self.message_limit > self.slice_instructions:
            result = canister.run_callback(
                callback, message, limit=self.slice_instructions, keep=True
            )
            if result.exhausted:  # it goes on across rounds, from its start (slicing.py)
                return start_long_callback(
                    self,
                    record,
                    context,
                    response,
                    callback,
                    call.on_cleanup,
                    message.restarted(),
                    prepaid,
                )
        else:
            result = canister.run_callback(callback, message, limit=self.message_limit, keep=True)
        if result.trap is not None and call.on_cleanup is not None:
            cleanup = self._message_state(record, Kind.CLEANUP, replied=context.answered)
            canister.run_callback(call.on_cleanup, cleanup, limit=self.message_limit, keep=True)
        return self._finish(record, context, result, response, prepaid)

    def query(
        self,
        canister_id: Principal,
        method: str,
        arg: bytes,
        sender: Principal,
        *,
        data_certificate: bytes | None = None,
    ) -> bytes | Reject:
        """A query or composite query (`composite.py`): its answer, and no state change."""
        return execute_query(
            self, canister_id, method, arg, sender, data_certificate=data_certificate
        )

    def set_threads(self, threads: int) -> None:
        """Execute independent canisters on `threads` threads (1: sequentially)."""
        self.speculator.close()
        self.speculator = Speculator(threads)

    def speculate(self, heads: Iterable[tuple[Principal, Request | Response]]) -> None:
        """Run ahead the heads of the queues (read only if there are threads to run them on)."""
        self.speculator.speculate(self, heads)

    def start_round(self, previous_time_ns: int) -> int:
        self.speculator.clear()
        expire_calls(self)
        elapsed = max(0, self.engine.time_ns - previous_time_ns) // 1_000_000_000
        used = 0
        continued: set[Principal] = set()
        for canister_id in sorted(self.states):
            record = self.engine.canisters.get(canister_id)
            state = self.states[canister_id]
            if record is None:
                continue
            if state.paused is not None:
                continued.add(canister_id)
                if state.paused.height != self.engine.height:
                    used += self._continue(canister_id, state)
            if state.canister is None:
                continue
            if elapsed:
                charged = max(self.memory_size(canister_id), state.settings.memory_allocation)
                record.cycles = max(
                    0, record.cycles - self.schedule.storage_cost(charged * elapsed)
                )
                record.cycles = max(
                    0,
                    record.cycles
                    - self.schedule.compute_allocation_cost(
                        state.settings.compute_allocation, elapsed
                    ),
                )
        run_waiting(self)
        for canister_id in sorted(self.states):
            record = self.engine.canisters.get(canister_id)
            state = self.states[canister_id]
            if record is None or state.canister is None or canister_id in continued:
                continue
            if (state.paused is None and not self.busy(canister_id)) or state.aborted_task:
                used += self._system_tasks(record, state)
        return used

    def state_digest(self, canister_id: Principal) -> bytes:
        state = self.states.get(canister_id)
        if state is None or state.canister is None:
            return b""
        if state.paused is not None and state.paused.job is not None:
            return state.paused.digest
        canister = state.canister
        digest = hashlib.sha256(b"icbox-wasm-canister")
        snapshot = canister.snapshot()
        digest.update(hashlib.sha256(snapshot.memory).digest())
        digest.update(repr(snapshot.globals).encode())
        digest.update(canister.stable.digest())
        digest.update(canister.module.module_hash)
        digest.update(canister.global_timer.to_bytes(8, "big"))
        digest.update(state.version.to_bytes(8, "big"))
        digest.update((state.aborted_task or "").encode())
        return digest.digest()

    # -- checkpoints -----------------------------------------------------------------------------

    def write_checkpoint(self, directory: Path) -> None:
        """Write each Wasm canister's state (module, memory, globals, stable memory, settings) to
        `directory`."""
        self.abort_paused()
        directory.mkdir(parents=True, exist_ok=True)
        write_waiting(self, directory)
        for canister_id, state in sorted(self.states.items()):
            canister = state.canister
            image: dict[str, Any] = {
                "settings": state.settings,
                "version": state.version,
                "chunks": state.chunks,
                "installed": state.installed,
                "aborted_task": state.aborted_task,
            }
            if canister is not None:
                snapshot = canister.snapshot()
                image |= {
                    "memory": snapshot.memory,
                    "globals": list(snapshot.globals),
                    "timer": canister.global_timer,
                    "memory_limit": canister.max_memory_bytes,
                }
                self.stable_files.write(
                    canister_id,
                    canister.stable,
                    directory / f"{canister_id.to_text()}{STABLE_SUFFIX}",
                )
            (directory / f"{canister_id.to_text()}.cbor").write_bytes(codec.encode(image))

    def load_checkpoint(self, directory: Path) -> None:
        """Restore the Wasm canisters `write_checkpoint` wrote."""
        self.waiting = read_waiting(directory)
        for path in sorted(directory.glob("*.cbor")):
            image = codec.decode(path.read_bytes())
            state = self.state(Principal.from_text(path.stem))
            state.settings, state.version, state.chunks = (
                image["settings"],
                image["version"],
                image["chunks"],
            )
            state.installed = image["installed"]
            state.aborted_task = image.get("aborted_task")
            if "memory" not in image:
                continue
            prepared = self.host.prepare(state.installed)
            stable = read_stable_file(directory, Principal.from_text(path.stem))
            canister = WasmCanister(
                self.host,
                prepared,
                stable=StableMemory(image["stable"] if stable is None else stable),
                start=False,
                max_memory_bytes=image["memory_limit"],
            )
            current = canister.snapshot()
            canister.restore(Snapshot(image["memory"], tuple(image["globals"]), current.table_size))
            canister.global_timer = image["timer"]
            state.canister = canister
            record = self.engine.canisters.get(Principal.from_text(path.stem))
            if record is not None:
                record.module_hash = prepared.module_hash

    # -- applying a message's result --------------------------------------------------------------

    def _refuse(self, context: CallContext, code: ErrorCode, text: str) -> int:
        self.engine._answer(context, Reject.of(code, text))
        self.engine._finish_if_stuck(context)
        return 0

    def _finish(
        self,
        record: CanisterRecord,
        context: CallContext,
        result: RunResult,
        message: Request | Response,
        prepaid: int,
    ) -> int:
        canister_id = record.canister_id
        canister = self.state(canister_id).canister
        assert canister is not None
        fee = self.schedule.execution_cost(result.instructions, wasm64=canister.module.memory64)
        if result.held is not None:
            self.state(canister_id).paused = Paused(
                message=message,
                context_id=context.id,
                prepaid=prepaid,
                complete=lambda held: self._apply(record, context, held, prepaid - fee),
                held=result,
                remaining=result.instructions - self.slice_instructions,
            )
            return self.slice_instructions
        self._apply(record, context, result, prepaid - fee)
        return result.instructions

    def _apply(
        self, record: CanisterRecord, context: CallContext, result: RunResult, refund: int
    ) -> None:
        engine = self.engine
        record.cycles += max(0, refund)
        state = result.state
        canister_id = record.canister_id
        self.state(canister_id).debug.extend(state.debug)
        if result.trap is not None:
            engine._answer(
                context,
                Reject.of(
                    ErrorCode.CANISTER_CALLED_TRAP,
                    f"Error from Canister {canister_id}: {result.trap}",
                ),
            )
            engine._finish_if_stuck(context)
            return
        canister = self.state(canister_id).canister
        assert canister is not None
        record.cycles += state.cycles_accepted - state.cycles_sent - state.cycles_burned
        if state.certified_data is not None:
            record.certified_data = state.certified_data
        if state.global_timer is not None:
            canister.global_timer = state.global_timer
        for call in state.calls:
            self._send(record, context, call)
        context.accepted += state.cycles_accepted
        if state.reply is not None:
            engine._answer(context, RawReply(state.reply))
        elif state.reject is not None:
            engine._answer(context, Reject(code=RejectCode.CANISTER_REJECT, message=state.reject))
        engine._finish_if_stuck(context)

    def _send(self, record: CanisterRecord, context: CallContext, call: OutgoingWasmCall) -> None:
        from replica.execution.wasm.management import call_management

        engine = self.engine
        record.cycles = max(
            0, record.cycles - self.schedule.xnet_call_cost(len(call.argument) + len(call.method))
        )
        context.outstanding += 1
        callback = Callback(call_context=context.id, on_reply="", on_reject="", context=call)
        callee = Principal(call.callee)
        request = Request(
            caller=record.canister_id,
            callee=callee,
            method=call.method,
            argument=call.argument,
            callback=callback,
            cycles=call.cycles,
        )
        if callee == Principal.management_canister():
            answer, kept = call_management(self, request)
            if answer is None:  # answered in a later round (`pending.py`)
                return
            engine.queues[record.canister_id].append(
                Response(
                    caller=record.canister_id,
                    callback=callback,
                    answer=answer,
                    refund_cycles=call.cycles - kept,
                )
            )
        elif callee not in engine.canisters:
            engine.deliver_answer(
                request,
                Reject.of(ErrorCode.CANISTER_NOT_FOUND, f"Canister {callee} not found"),
            )
        else:  # a Wasm canister or a Python system canister (interop.py)
            engine.queues[callee].append(request)

    # -- long executions ---------------------------------------------------------------------------

    def _continue(self, canister_id: Principal, state: WasmState) -> int:
        return continue_paused(self, state)

    def abort_paused(self) -> None:
        """Drop every held long execution and queue its message again (a checkpoint does this)."""
        engine = self.engine
        for canister_id in sorted(self.states):
            state = self.states[canister_id]
            paused = state.paused
            if paused is None:
                continue
            if paused.job is not None:
                paused.job.abort()
            state.paused = None
            record = engine.canisters[canister_id]
            record.cycles += paused.prepaid
            if paused.on_abort is not None:  # an install, a heartbeat or a timer
                paused.on_abort()
                continue
            if isinstance(paused.message, Response):
                # the caller's call context stays open; the response credits its refund again
                context = engine.call_contexts.get(paused.context_id)
                if context is not None:
                    context.outstanding += 1
                record.cycles -= paused.message.refund_cycles
            else:
                engine.call_contexts.pop(paused.context_id, None)
            assert paused.message is not None
            engine.queues[canister_id].appendleft(paused.message)

    def _system_tasks(self, record: CanisterRecord, state: WasmState) -> int:
        """The heartbeat and a due global timer, each sliced like an update; a task a checkpoint
        aborted runs again first, in place of the round's own (the IC keeps an aborted canister
        task, `AbortedExecution`, in front of the canister's task queue)."""
        canister = state.canister
        assert canister is not None
        if record.status != "running":
            return 0
        used = 0
        tasks: list[str] = []
        if state.aborted_task is not None:
            tasks.append(state.aborted_task)
            state.aborted_task = None
        else:
            if "canister_heartbeat" in canister.module.system_exports:
                tasks.append("canister_heartbeat")
            if canister.global_timer and canister.global_timer <= self.engine.time_ns:
                if "canister_global_timer" in canister.module.system_exports:
                    tasks.append("canister_global_timer")
                else:
                    canister.global_timer = 0
        for export in tasks:
            deadline = canister.global_timer
            if export == "canister_global_timer":
                canister.global_timer = 0  # the global timer is one-off
            prepaid = self.schedule.prepay_execution(
                self.message_limit, wasm64=canister.module.memory64
            )
            if record.cycles - prepaid < self.frozen_limit(record):
                break
            record.cycles -= prepaid
            context = self.engine._new_context(record.canister_id, method=export, answered=True)
            message = self._message_state(record, Kind.SYSTEM_TASK)
            if self.message_limit > self.slice_instructions:
                result = canister.run(export, message, limit=self.slice_instructions, keep=True)
                if result.exhausted:  # it goes on across rounds, from its start (slicing.py)
                    used += start_long_task(
                        self,
                        record,
                        context,
                        export,
                        message.restarted(),
                        prepaid,
                        partial(self._abort_task, record.canister_id, context.id, export, deadline),
                    )
                    break
            else:
                result = canister.run(export, message, limit=self.message_limit, keep=True)
            used += self._finish(
                record,
                context,
                result,
                Request(
                    caller=record.canister_id,
                    callee=record.canister_id,
                    method=export,
                    argument=b"",
                    callback=None,
                ),
                prepaid,
            )
        return used

    def _abort_task(
        self, canister_id: Principal, context_id: int, export: str, deadline: int
    ) -> None:
        """A checkpoint stopped a long heartbeat or timer: it runs again next round, and until
        then the timer is armed as before it ran."""
        self.engine.call_contexts.pop(context_id, None)
        state = self.states.get(canister_id)
        if state is None or state.canister is None:
            return
        state.aborted_task = export
        if export == "canister_global_timer":
            state.canister.global_timer = deadline


def _status_error(record: CanisterRecord) -> ErrorCode:
    return ErrorCode.CANISTER_STOPPED if record.status == "stopped" else ErrorCode.CANISTER_STOPPING
