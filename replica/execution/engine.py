"""The execution engine of one subnet.

`execute_round(batch)` runs one finalized block: it prunes the ingress history,
inducts the block's ingress messages into the canisters' input queues (expired
ones are dropped), then executes messages canister by canister, round-robin
from an offset that moves with the height, until the queues are empty or the
round's instruction budget is spent; what is left waits for the next round.

One message is one atomic outcome. It runs in one savepoint of the target
canister's stable store (a round is one transaction of each store it touches,
committed before the state is hashed), and everything it produces (its reply, the calls it
makes, the cycles it attaches and accepts, its certified data) is checked
inside that transaction. Any failure (a trap, a refusal, a reply that does not
fit its type, calls attaching more cycles than the canister holds) rolls the
transaction back, drops its calls and certified data, and answers the message
with a reject carrying the IC's reject and error codes. Only then are the
effects applied, by steps that cannot fail. Nothing a canister does escapes
`execute_round`.

Calls between canisters of the subnet are queued as requests and answered with
responses that run the caller's reply or reject method; the first answer of a
call context replies to its origin (an ingress message or another canister's
call), and refunds the cycles attached to it that were not accepted.

Canisters see time (the batch time) and randomness (derived from the batch's
random tape) only through their environment. The cost model is deterministic:
a fixed number of instructions per message plus a number per byte of argument.
Application subnets charge cycles for it; system subnets charge nothing.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, Final, Literal

from replica.canister.errors import SystemReject
from replica.canister.sdk import MethodSpec, method_named, python_method
from replica.canister.stable import StableStore
from replica.crypto.certificate import Certificate
from replica.crypto.hashtree import Absent, Found
from replica.environment import DEFERRED, ErrorCode, OutgoingCall, Reject
from replica.execution import snapshot
from replica.execution.canisters import (
    CanisterRecord,
    CanisterStatus,
    InstallMode,
    SystemCanister,
    SystemEnvironment,
    install_code,
    release_code,
)
from replica.execution.effects import check_effects, failure_answer
from replica.execution.ingress import (
    DEFAULT_INGRESS_MEMORY_CAPACITY,
    MAX_INGRESS_TTL_NS,
    IngressHistory,
)
from replica.execution.management import ManagementCanister
from replica.execution.messages import (
    Batch,
    Callback,
    CallContext,
    IngressMessage,
    IngressStatus,
    Request,
    Response,
    RoundResult,
    Status,
)
from replica.execution.runtime import RawReply
from replica.execution.subnet_calls import InitialDkgAnswer, SubnetCallContexts
from replica.execution.wasm.interop import speaks_candid
from replica.execution.wasm.subnet import WasmSubnet
from replica.types import Principal

__all__ = [
    "DEFAULT_CANISTER_CYCLES",
    "MANAGEMENT_CANISTER_ID",
    "ExecutionEngine",
    "SubnetType",
    "SystemCanister",
]

MANAGEMENT_CANISTER_ID: Final = Principal.management_canister()
INSTRUCTIONS_PER_MESSAGE: Final = 200_000
INSTRUCTIONS_PER_BYTE: Final = 100
DEFAULT_INSTRUCTION_LIMIT_PER_ROUND: Final = 4_000_000_000
CYCLES_PER_INSTRUCTION_DIVISOR: Final = 10  # application subnets: 1 cycle per 10 instructions
INGRESS_INDUCTION_CYCLES: Final = 1_200_000
DEFAULT_CANISTER_CYCLES: Final = 100_000_000_000_000

SubnetType = Literal["system", "application"]


class _RollBack(Exception):
    """Raised inside a query's transaction to undo whatever the query wrote."""


class ExecutionEngine:
    """Canisters of one subnet, executed round by round."""

    def __init__(
        self,
        subnet_id: Principal,
        *,
        state_dir: str | Path,
        factories: Mapping[str, SystemCanister],
        subnet_type: SubnetType = "system",
        canister_id_ranges: Sequence[tuple[int, int]] = ((0, (1 << 20) - 1),),
        instruction_limit_per_round: int = DEFAULT_INSTRUCTION_LIMIT_PER_ROUND,
        system_installers: Sequence[Principal] = (),
        cycles_minters: Sequence[Principal] = (),
        time_ns: int = 0,
        ingress_memory_capacity: int = DEFAULT_INGRESS_MEMORY_CAPACITY,
    ) -> None:
        self.subnet_id = subnet_id
        self.subnet_type: SubnetType = subnet_type
        self.state_dir = Path(state_dir)
        (self.state_dir / "canisters").mkdir(parents=True, exist_ok=True)
        self.factories = factories
        self.canister_id_ranges = list(canister_id_ranges)
        self.instruction_limit_per_round = instruction_limit_per_round
        self.system_installers = frozenset(system_installers)
        self.cycles_minters = frozenset(cycles_minters)
        self.canisters: dict[Principal, CanisterRecord] = {}
        self.queues: dict[Principal, deque[Request | Response]] = {}
        self.ingress_history = IngressHistory(memory_capacity=ingress_memory_capacity)
        self.call_contexts: dict[int, CallContext] = {}
        self.next_call_context = 1
        # calls the subnet's consensus answers (`setup_initial_dkg`)
        self.subnet_calls = SubnetCallContexts()
        self.next_canister_index = self.canister_id_ranges[0][0]
        self.height = 0
        # the time canisters installed before the first batch see (genesis)
        self.time_ns = time_ns
        self.random_tape = b""
        # Wasm canisters run in their own runtime; the engine hands it their messages
        self.wasm = WasmSubnet(self)
        self.management = ManagementCanister(self)
        self._completed: list[bytes] = []
        self._database_generation = 0
        self._round_stores: list[StableStore] = []  # stores whose round transaction is open

    # -- canisters --------------------------------------------------------------------------

    def cycles_of(self, canister_id: Principal) -> int:
        return self.canisters[canister_id].cycles

    def database_path(self, canister_id: Principal, *, fresh: bool = True) -> str:
        """Where a canister's database lives: a new file for each install, `<id>.sqlite3` when
        restored."""
        suffix = ""
        if fresh:
            self._database_generation += 1
            suffix = f".{self._database_generation}"
        return str(self.state_dir / "canisters" / f"{canister_id.to_text()}{suffix}.sqlite3")

    def allocate_canister_id(self) -> Principal:
        for start, end in self.canister_id_ranges:
            index = max(self.next_canister_index, start)
            while index <= end:
                candidate = Principal.from_canister_id(index)
                if candidate not in self.canisters:
                    self.next_canister_index = index + 1
                    return candidate
                index += 1
        raise SystemReject(
            ErrorCode.CANISTER_REJECTED_MESSAGE, "the subnet has no canister ids left"
        )

    def create_canister(
        self,
        controllers: Sequence[Principal],
        *,
        canister_id: Principal | None = None,
        cycles: int = DEFAULT_CANISTER_CYCLES,
    ) -> Principal:
        canister_id = canister_id or self.allocate_canister_id()
        if canister_id in self.canisters:
            raise SystemReject(
                ErrorCode.CANISTER_REJECTED_MESSAGE, f"canister {canister_id} exists already"
            )
        self.canisters[canister_id] = CanisterRecord(
            canister_id=canister_id, controllers=tuple(controllers), cycles=cycles
        )
        self.queues[canister_id] = deque()
        return canister_id

    def install(
        self,
        canister_id: Principal,
        name: str,
        init_argument: Any,
        *,
        mode: InstallMode = InstallMode.INSTALL,
    ) -> None:
        """Install (or reinstall, or upgrade) the system canister `name` on `canister_id`,
        atomically.

        A refusal or a trap of the canister's constructor or hooks raises `SystemReject`
        and leaves the canister exactly as it was.
        """
        record = self.canisters.get(canister_id)
        if record is None:
            raise SystemReject(
                ErrorCode.CANISTER_NOT_FOUND, f"canister {canister_id} does not exist"
            )
        kind = self.factories.get(name)
        if kind is None:
            raise SystemReject(
                ErrorCode.CANISTER_INVALID_WASM, f"no system canister is called {name!r}"
            )
        if record.store is not None:  # the install copies or replaces the database: settle it
            record.store.close_round()
        install_code(
            record,
            kind,
            name,
            init_argument,
            InstallMode(mode),
            environment=SystemEnvironment(self, canister_id),
            path=self.database_path(canister_id),
        )

    def close(self) -> None:
        """Release every canister's database (the files stay)."""
        self._close_rounds()
        for record in self.canisters.values():
            release_code(record)

    # -- rounds -----------------------------------------------------------------------------

    def execute_round(self, batch: Batch) -> RoundResult:
        previous_time_ns = self.time_ns
        self.height, self.time_ns, self.random_tape = batch.height, batch.time_ns, batch.random_tape
        self._completed = []
        self.ingress_history.begin_round()
        self.ingress_history.prune(self.time_ns)
        for answer in batch.initial_dkg_answers:
            self._deliver_initial_dkg(answer)
        for message in batch.ingress:
            self._induct(message.unsigned())
        used = self.wasm.start_round(previous_time_ns)
        try:
            used += self._run_heartbeats()
            used += self._drain(self.instruction_limit_per_round - used)
        finally:
            self._close_rounds()
        return RoundResult(
            height=batch.height,
            state_hash=self.state_hash(),
            completed=tuple(self._completed),
            instructions_used=used,
        )

    def _deliver_initial_dkg(self, answer: InitialDkgAnswer) -> None:
        """Answer a waiting `setup_initial_dkg` call with what consensus computed
        (`replica.execution.subnet_calls`)."""
        context = self.subnet_calls.answer(answer.target, self.height)
        if context is None or context.request is None:
            return
        if answer.reject:
            self.deliver_answer(
                context.request, Reject.of(ErrorCode.CANISTER_REJECTED_MESSAGE, answer.reject)
            )
        else:
            self.deliver_answer(context.request, answer.reply)

    def _close_rounds(self) -> None:
        """Commit the round's transaction of every store a message of the round touched."""
        stores, self._round_stores = self._round_stores, []
        for store in stores:
            store.close_round()

    def _induct(self, message: IngressMessage) -> None:
        # The ingress selector's rule: a message is valid from the batch time to MAX_INGRESS_TTL
        # after it; a later expiry could outlive the message's pruned status and run twice.
        if message.message_id in self.ingress_history:
            return
        if not self.time_ns <= message.ingress_expiry_ns <= self.time_ns + MAX_INGRESS_TTL_NS:
            return
        self._set_status(message, Status.RECEIVED)
        if message.canister_id == MANAGEMENT_CANISTER_ID:
            outcome = self.management.execute_ingress(message)
            if outcome is None:  # answered in a later round (a long install_code)
                self._set_status(message, Status.PROCESSING)
            else:
                self._finish_ingress(message, outcome)
            return
        record = self.canisters.get(message.canister_id)
        if record is None:
            self._finish_ingress(
                message,
                Reject.of(
                    ErrorCode.CANISTER_NOT_FOUND, f"canister {message.canister_id} not found"
                ),
            )
            return
        if self.wasm.owns(message.canister_id):
            refusal = self.wasm.inspect_ingress(message)
            if refusal is not None:
                self._finish_ingress(message, refusal)
                return
        elif self.subnet_type == "application":
            if record.cycles < INGRESS_INDUCTION_CYCLES:
                reject = Reject.of(
                    ErrorCode.CANISTER_OUT_OF_CYCLES,
                    f"canister {message.canister_id} is out of cycles",
                )
                self._finish_ingress(message, reject)
                return
            record.cycles -= INGRESS_INDUCTION_CYCLES
        self.queues[message.canister_id].append(
            Request(
                caller=message.sender,
                callee=message.canister_id,
                method=message.method,
                argument=message.arg,
                callback=None,
                ingress=message,
            )
        )

    def _run_heartbeats(self) -> int:
        used = 0
        for canister_id in sorted(self.canisters):
            record = self.canisters[canister_id]
            name = record.interface.heartbeat
            hook = (
                method_named(record.instance, name)
                if name and record.instance is not None
                else None
            )
            if record.status is CanisterStatus.RUNNING and hook is not None:
                context = self._new_context(canister_id, method=name, answered=True)
                used += INSTRUCTIONS_PER_MESSAGE
                self._execute(record, context, hook)
        return used

    def _drain(self, budget: int) -> int:
        used = 0
        while used < budget:
            held = self.wasm.held()
            ready = sorted(
                canister_id
                for canister_id, queue in self.queues.items()
                if queue and canister_id not in held
            )
            if not ready:
                break
            start = self.height % len(ready)
            order = ready[start:] + ready[:start]
            self.wasm.speculate((canister_id, self.queues[canister_id][0]) for canister_id in order)
            for canister_id in order:
                if used >= budget:
                    break
                queue = self.queues.get(canister_id)
                if queue:
                    used += self._process(canister_id, queue.popleft())
        return used

    # -- messages ---------------------------------------------------------------------------

    def _new_context(self, canister_id: Principal, **fields: Any) -> CallContext:
        context = CallContext(id=self.next_call_context, canister_id=canister_id, **fields)
        self.next_call_context += 1
        self.call_contexts[context.id] = context
        return context

    def _process(self, canister_id: Principal, message: Request | Response) -> int:
        if self.wasm.owns(canister_id):
            if isinstance(message, Response):
                return INSTRUCTIONS_PER_MESSAGE + self.wasm.process_response(canister_id, message)
            return INSTRUCTIONS_PER_MESSAGE + self.wasm.process_request(canister_id, message)
        record = self.canisters[canister_id]
        if isinstance(message, Response):
            return self._process_response(record, message)
        size = len(message.argument) if isinstance(message.argument, bytes) else 0
        cost = INSTRUCTIONS_PER_MESSAGE + INSTRUCTIONS_PER_BYTE * size
        context = self._new_context(
            canister_id,
            ingress=message.ingress,
            caller=message.caller,
            callback=message.callback,
            method=message.method,
            cycles=message.cycles,
        )
        if message.ingress is not None:
            self._set_status(message.ingress, Status.PROCESSING)
        spec = record.interface.method(message.method)
        problem = self._refuse_reason(record, message, spec)
        if problem is None and not self._charge(record, cost):
            problem = Reject.of(
                ErrorCode.CANISTER_OUT_OF_CYCLES, f"canister {canister_id} is out of cycles"
            )
        if problem is not None or spec is None:
            self._answer(
                context, problem or Reject.of(ErrorCode.CANISTER_METHOD_NOT_FOUND, message.method)
            )
            self._finish_if_stuck(context)
            return cost
        function = python_method(record.instance, spec)
        caller, argument = message.caller, message.argument
        if message.ingress is not None or speaks_candid(message.callback):
            self._execute(
                record, context, lambda: function(caller, spec.decode_argument(argument)), spec=spec
            )
        else:
            self._execute(record, context, lambda: function(caller, argument), spec=spec)
        return cost

    def _refuse_reason(
        self, record: CanisterRecord, message: Request, spec: MethodSpec | None
    ) -> Reject | None:
        canister_id = record.canister_id
        if record.instance is None:
            return Reject.of(
                ErrorCode.CANISTER_WASM_MODULE_NOT_FOUND, f"canister {canister_id} has no code"
            )
        if record.status is CanisterStatus.STOPPED:
            return Reject.of(ErrorCode.CANISTER_STOPPED, f"canister {canister_id} is stopped")
        if record.status is CanisterStatus.STOPPING:
            return Reject.of(ErrorCode.CANISTER_STOPPING, f"canister {canister_id} is stopping")
        if spec is None:
            kind = "update " if message.ingress else ""
            return Reject.of(
                ErrorCode.CANISTER_METHOD_NOT_FOUND,
                f"canister {canister_id} has no {kind}method {message.method!r}",
            )
        if spec.mode != "update" and message.ingress is not None:
            return Reject.of(
                ErrorCode.CANISTER_METHOD_NOT_FOUND, f"{message.method} is a query, not an update"
            )
        return None

    def _charge(self, record: CanisterRecord, instructions: int) -> bool:
        if self.subnet_type == "system":
            return True
        fee = instructions // CYCLES_PER_INSTRUCTION_DIVISOR
        if record.cycles < fee:
            return False
        record.cycles -= fee
        return True

    def _process_response(self, record: CanisterRecord, message: Response) -> int:
        context = self.call_contexts.get(message.callback.call_context)
        record.cycles += message.refund_cycles
        if context is None:
            return INSTRUCTIONS_PER_MESSAGE
        context.outstanding -= 1
        is_reject = isinstance(message.answer, Reject)
        method_name = message.callback.on_reject if is_reject else message.callback.on_reply
        callback = (
            method_named(record.instance, method_name) if record.instance is not None else None
        )
        if callback is None:  # the code changed since the call was made
            self._finish_if_stuck(context)
            return INSTRUCTIONS_PER_MESSAGE
        candid = context.ingress is not None or speaks_candid(context.callback)
        spec = record.interface.method(context.method) if candid else None
        data, answer = message.callback.context, message.answer
        self._execute(record, context, lambda: callback(data, answer), spec=spec)
        return INSTRUCTIONS_PER_MESSAGE

    def _execute(
        self,
        record: CanisterRecord,
        context: CallContext,
        body: Callable[[], Any],
        *,
        spec: MethodSpec | None = None,
    ) -> None:
        """Run one message: all its effects, or none of them and a reject."""
        environment = record.environment
        if environment is None:
            raise RuntimeError(f"canister {record.canister_id} has code but no environment")
        # Once the context is answered its unaccepted cycles went back with the answer, so a
        # callback that runs later has none to accept (interface spec: ic0.msg_cycles_available).
        environment.arm(0 if context.answered else context.cycles - context.accepted)
        store = record.store
        if store is not None and not store.in_round:
            store.open_round()
            self._round_stores.append(store)
        try:
            with _transaction(store):
                result = body()
                effects = check_effects(record, context, environment, result, spec)
        except Exception as error:  # the trap boundary: whatever the canister's code raised
            environment.arm(0)
            candid = context.ingress is not None or speaks_candid(context.callback)
            failure = failure_answer(error, spec if candid else None)
            if isinstance(failure, Reject):
                self._answer(context, failure)
            else:
                self._answer(context, None, encoded=failure)
            self._finish_if_stuck(context)
            return
        environment.arm(0)
        if effects.certified_data is not None:
            record.certified_data = effects.certified_data
        record.cycles += effects.accepted + effects.minted
        context.accepted += effects.accepted
        for call in effects.calls:
            self._send(record, context, call)
        if effects.result is not DEFERRED:
            self._answer(context, effects.result, encoded=effects.reply)
        self._finish_if_stuck(context)

    def _send(self, record: CanisterRecord, context: CallContext, call: OutgoingCall) -> None:
        record.cycles -= call.cycles
        context.outstanding += 1
        callback = Callback(
            call_context=context.id,
            on_reply=call.on_reply,
            on_reject=call.on_reject,
            context=call.context,
        )
        request = Request(
            caller=record.canister_id,
            callee=call.callee,
            method=call.method,
            argument=call.argument,
            callback=callback,
            cycles=call.cycles,
        )
        if call.callee == MANAGEMENT_CANISTER_ID:
            self.management.execute_request(request)
        elif call.callee not in self.canisters:
            self.deliver_answer(
                request,
                Reject.of(ErrorCode.CANISTER_NOT_FOUND, f"canister {call.callee} not found"),
            )
        else:
            self.queues[call.callee].append(request)

    def deliver_answer(self, request: Request, answer: object, *, kept: int = 0) -> None:
        """Queue the management canister's answer to a canister's call, refunding the cycles it did
        not keep."""
        if request.callback is None:
            return
        self.queues[request.caller].append(
            Response(
                caller=request.caller,
                callback=request.callback,
                answer=answer,
                refund_cycles=request.cycles - kept,
            )
        )

    def _answer(
        self, context: CallContext, outcome: object, *, encoded: bytes | None = None
    ) -> None:
        """Answer a call context once: an ingress status, or a response to the calling canister.

        `outcome` is a `Reject` or the reply value; an ingress message is replied with
        `encoded`, the reply's Candid (or the method's own error reply to a refusal).
        """
        if context.answered:
            return
        context.answered = True
        if context.ingress is not None:
            if isinstance(outcome, RawReply):
                encoded = outcome.data
            self._finish_ingress(
                context.ingress, outcome if isinstance(outcome, Reject) else encoded or b""
            )
        elif context.callback is not None and context.caller is not None:
            self.queues[context.caller].append(
                Response(
                    caller=context.caller,
                    callback=context.callback,
                    # a Wasm caller reads the Candid of a Python canister's reply
                    answer=outcome
                    if encoded is None or isinstance(outcome, Reject)
                    else RawReply(encoded),
                    refund_cycles=context.cycles - context.accepted,
                )
            )

    def _finish_if_stuck(self, context: CallContext) -> None:
        if context.outstanding != 0:
            return
        if not context.answered:
            self._answer(
                context,
                Reject.of(ErrorCode.CANISTER_DID_NOT_REPLY, "canister did not reply to the call"),
            )
        del self.call_contexts[context.id]
        record = self.canisters.get(context.canister_id)
        if (
            record is not None
            and record.status is CanisterStatus.STOPPING
            and not any(c.canister_id == context.canister_id for c in self.call_contexts.values())
        ):
            record.status = CanisterStatus.STOPPED

    def _set_status(
        self,
        message: IngressMessage,
        status: Status,
        *,
        reply: bytes | None = None,
        reject: Reject | None = None,
    ) -> None:
        self.ingress_history.set(
            message.message_id,
            IngressStatus(
                status=status,
                time_ns=self.time_ns,
                expiry_ns=message.ingress_expiry_ns,
                reply=reply,
                reject=reject,
            ),
        )

    def _finish_ingress(self, message: IngressMessage, outcome: bytes | Reject) -> None:
        if isinstance(outcome, Reject):
            self._set_status(message, Status.REJECTED, reject=outcome)
        else:
            self._set_status(message, Status.REPLIED, reply=outcome)
        self._completed.append(message.message_id)

    # -- queries ----------------------------------------------------------------------------

    def query(
        self,
        canister_id: Principal,
        method: str,
        arg: bytes,
        sender: Principal,
        *,
        certificate: Certificate | None = None,
    ) -> bytes | Reject:
        """Run a query method; whatever it changes is rolled back.

        `certificate` is the subnet's certificate of the latest certified state, revealing the
        canister's certified data: only a non-replicated query gets one (interface spec,
        "Certified data"). The canister sees it as its data certificate when it certifies the data
        the canister holds now; a certificate of older data would prove nothing about the reply."""
        record = self.canisters.get(canister_id)
        data_certificate = (
            None if record is None else matching_data_certificate(record, certificate)
        )
        if record is not None and self.wasm.owns(canister_id):
            return self.wasm.query(
                canister_id, method, arg, sender, data_certificate=data_certificate
            )
        if record is None or record.instance is None or record.environment is None:
            return Reject.of(ErrorCode.CANISTER_NOT_FOUND, f"canister {canister_id} not found")
        spec = record.interface.method(method)
        if spec is None or spec.mode != "query":
            return Reject.of(
                ErrorCode.CANISTER_METHOD_NOT_FOUND,
                f"canister {canister_id} has no query method {method!r}",
            )
        if record.status is not CanisterStatus.RUNNING:
            code = (
                ErrorCode.CANISTER_STOPPED
                if record.status is CanisterStatus.STOPPED
                else ErrorCode.CANISTER_STOPPING
            )
            return Reject.of(code, f"canister {canister_id} is {record.status}")
        function = python_method(record.instance, spec)
        record.environment.arm(0)
        record.environment.query_certificate = data_certificate
        reply = b""
        try:
            with _transaction(record.store):
                reply = spec.encode_reply(function(sender, spec.decode_argument(arg)))
                raise _RollBack
        except _RollBack:
            pass
        except Exception as error:  # the trap boundary: whatever the canister's code raised
            return failure_answer(error, spec)
        finally:
            record.environment.arm(0)
            record.environment.query_certificate = None
        return reply

    # -- state ------------------------------------------------------------------------------

    def certified_state(self) -> dict[str, Any]:
        """What the state tree certifies: time, request statuses, canister metadata."""
        return snapshot.certified_state(self)

    def certified_request_status(self, message_id: bytes) -> dict[str, Any] | None:
        """One request's entry in the certified state, None if the history has no status for it."""
        status = self.ingress_history.get(message_id)
        return None if status is None else snapshot.certified_status(status)

    def certified_canisters(self) -> dict[bytes, dict[str, Any]]:
        """The canister part of the certified state."""
        return snapshot.certified_canisters(self)

    def state_hash(self) -> bytes:
        """The hash of the whole state; its cost follows what changed, not the subnet's age."""
        wasm = [self.wasm.state_digest(canister_id) for canister_id in sorted(self.wasm.states)]
        if not any(wasm):
            return snapshot.state_hash(self)
        return hashlib.sha256(snapshot.state_hash(self) + b"".join(wasm)).digest()

    def checkpoint_metadata(self) -> bytes:
        """The engine's own state, everything but the canisters' databases, as canonical CBOR."""
        return snapshot.encode_metadata(self)

    def write_checkpoint(self, directory: str | Path) -> None:
        """Copy every canister's database, the Wasm canisters' state and the engine's metadata into
        `directory`."""
        self.wasm.write_checkpoint(Path(directory) / "wasm")
        snapshot.write_checkpoint(self, Path(directory))

    @classmethod
    def from_checkpoint(
        cls,
        directory: str | Path,
        *,
        state_dir: str | Path,
        subnet_id: Principal,
        factories: Mapping[str, SystemCanister],
        **options: Any,
    ) -> ExecutionEngine:
        """A new engine whose state is the checkpoint's (the databases are copied to
        `state_dir`)."""
        engine = cls(subnet_id, state_dir=state_dir, factories=factories, **options)
        snapshot.load_checkpoint(engine, Path(directory))
        engine.wasm.load_checkpoint(Path(directory) / "wasm")
        return engine

    def random_bytes_for(self, caller: Principal) -> bytes:
        """32 bytes for `raw_rand`, from the round's random tape."""
        self.next_call_context += 1
        return snapshot.raw_rand(self.random_tape, caller, self.next_call_context)

    def ingress_status(self, message_id: bytes) -> IngressStatus | None:
        return self.ingress_history.get(message_id)


def matching_data_certificate(
    record: CanisterRecord, certificate: Certificate | None
) -> bytes | None:
    """The CBOR of `certificate` if it certifies the canister's current certified data (absent
    data counts as empty), else None."""
    if certificate is None:
        return None
    found = certificate.lookup(["canister", record.canister_id.raw, "certified_data"])
    if not isinstance(found, Found | Absent):
        return None
    certified = found.value if isinstance(found, Found) else b""
    return certificate.to_cbor() if certified == record.certified_data else None


def _transaction(store: StableStore | None) -> AbstractContextManager[object]:
    """The message's transaction; a canister without stable memory has nothing to roll back."""
    return store.transaction() if store is not None else nullcontext()
