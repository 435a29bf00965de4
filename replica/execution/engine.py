"""The execution engine of one subnet.

`execute_round(batch)` runs one finalized block: it inducts the block's ingress
messages into the canisters' input queues (expired ones are dropped), then
executes messages canister by canister, round-robin from an offset that moves
with the height, until the queues are empty or the round's instruction budget
is spent; what is left waits for the next round. Each message runs in one
transaction of the target canister's stable store: a trap rolls back its state
changes, its outgoing calls and its certified data. Calls between canisters of
the subnet are queued as requests and answered with responses that run the
caller's reply or reject method; the first answer of a call context replies to
its origin (an ingress message or another canister's call).

Canisters see time (the batch time) and randomness (derived from the batch's
random tape) only through their `CanisterEnvironment`. The cost model is
deterministic: a fixed number of instructions per message plus a number per
byte of argument and reply. Application subnets charge cycles for it; system
subnets charge nothing.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from replica.candid import CandidError
from replica.canister import codec
from replica.canister.errors import CanisterError, reject_for
from replica.canister.sdk import Interface, MethodSpec, check_certified_data, python_method
from replica.environment import DEFERRED, OutgoingCall, Reject, RejectCode
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
from replica.execution.wasm.subnet import WasmSubnet
from replica.types import Principal

MANAGEMENT_CANISTER_ID: Final = Principal.management_canister()
INSTRUCTIONS_PER_MESSAGE: Final = 200_000
INSTRUCTIONS_PER_BYTE: Final = 100
DEFAULT_INSTRUCTION_LIMIT_PER_ROUND: Final = 4_000_000_000
CYCLES_PER_INSTRUCTION_DIVISOR: Final = 10  # application subnets: 1 cycle per 10 instructions
INGRESS_INDUCTION_CYCLES: Final = 1_200_000
DEFAULT_CANISTER_CYCLES: Final = 100_000_000_000_000

SubnetType = Literal["system", "application"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemCanister:
    """How to build a system canister by name, and its public interface."""

    create: Callable[..., object]
    interface: Callable[[object], Interface]
    init_arguments: Sequence[Any] = ()
    to_init: Callable[[list[Any]], Any] = lambda values: values[0] if values else None


@dataclass(slots=True, kw_only=True)
class CanisterRecord:
    canister_id: Principal
    controllers: tuple[Principal, ...]
    cycles: int
    status: str = "running"
    module_name: str | None = None
    module_hash: bytes | None = None
    certified_data: bytes = b""
    instance: object | None = None
    interface: Interface = field(default_factory=Interface)
    environment: Any = None


class _CanisterEnvironment:
    """The environment one canister holds; the engine arms it for each message."""

    def __init__(self, engine: ExecutionEngine, canister_id: Principal) -> None:
        self._engine = engine
        self._canister_id = canister_id
        self.outbox: list[OutgoingCall] = []
        self.certified_data: bytes | None = None
        self.cycles_available_now = 0
        self.cycles_accepted = 0
        self._random_counter = 0
        self._random_height = -1

    @property
    def canister_id(self) -> Principal:
        return self._canister_id

    def now_ns(self) -> int:
        return self._engine.time_ns

    def random_bytes(self, count: int) -> bytes:
        # The counter starts afresh each height, so a replica restored from a checkpoint
        # draws the same bytes as one that never stopped.
        if self._random_height != self._engine.height:
            self._random_height, self._random_counter = self._engine.height, 0
        out = b""
        while len(out) < count:
            self._random_counter += 1
            out += hashlib.sha256(
                self._engine.random_tape + self._canister_id.raw + self._random_counter.to_bytes(8, "big")
            ).digest()
        return out[:count]

    def call(self, call: OutgoingCall) -> None:
        self.outbox.append(call)

    def cycles_balance(self) -> int:
        return self._engine.canisters[self._canister_id].cycles

    def cycles_available(self) -> int:
        return self.cycles_available_now - self.cycles_accepted

    def accept_cycles(self, amount: int) -> int:
        accepted = max(0, min(amount, self.cycles_available()))
        self.cycles_accepted += accepted
        return accepted

    def set_certified_data(self, data: bytes) -> None:
        self.certified_data = check_certified_data(data)

    def arm(self, cycles: int) -> None:
        self.outbox, self.certified_data = [], None
        self.cycles_available_now, self.cycles_accepted = cycles, 0


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
        time_ns: int = 0,
    ) -> None:
        self.subnet_id = subnet_id
        self.subnet_type: SubnetType = subnet_type
        self.state_dir = Path(state_dir)
        (self.state_dir / "canisters").mkdir(parents=True, exist_ok=True)
        self.factories = factories
        self.canister_id_ranges = list(canister_id_ranges)
        self.instruction_limit_per_round = instruction_limit_per_round
        self.system_installers = frozenset(system_installers)
        self.canisters: dict[Principal, CanisterRecord] = {}
        self.queues: dict[Principal, deque[Request | Response]] = {}
        self.ingress_history: dict[bytes, IngressStatus] = {}
        self.call_contexts: dict[int, CallContext] = {}
        self.next_call_context = 1
        self.next_canister_index = self.canister_id_ranges[0][0]
        self.height = 0
        # the time canisters installed before the first batch see (genesis)
        self.time_ns = time_ns
        self.random_tape = b""
        self.management = ManagementCanister(self)
        # Wasm canisters run in their own runtime; the engine hands it their messages
        self.wasm = WasmSubnet(self)
        self._completed: list[bytes] = []

    # -- canisters --------------------------------------------------------------------------

    def store_path(self, canister_id: Principal) -> str:
        return str(self.state_dir / "canisters" / f"{canister_id.to_text()}.sqlite3")

    def allocate_canister_id(self) -> Principal:
        for start, end in self.canister_id_ranges:
            index = max(self.next_canister_index, start)
            while index <= end:
                candidate = Principal.from_canister_id(index)
                if candidate not in self.canisters:
                    self.next_canister_index = index + 1
                    return candidate
                index += 1
        raise CanisterError("the subnet has no canister ids left")

    def create_canister(
        self, controllers: Sequence[Principal], *, canister_id: Principal | None = None, cycles: int = DEFAULT_CANISTER_CYCLES
    ) -> Principal:
        canister_id = canister_id or self.allocate_canister_id()
        if canister_id in self.canisters:
            raise CanisterError(f"canister {canister_id} exists already")
        self.canisters[canister_id] = CanisterRecord(canister_id=canister_id, controllers=tuple(controllers), cycles=cycles)
        self.queues[canister_id] = deque()
        return canister_id

    def install(self, canister_id: Principal, name: str, init_argument: Any, *, mode: str = "install") -> None:
        """Install (or reinstall, or upgrade) the system canister `name` on `canister_id`."""
        record = self.canisters.get(canister_id)
        if record is None:
            raise CanisterError(f"canister {canister_id} does not exist")
        kind = self.factories.get(name)
        if kind is None:
            raise CanisterError(f"no system canister is called {name!r}")
        if mode == "install" and record.instance is not None:
            raise CanisterError(f"canister {canister_id} already has code; use reinstall or upgrade")
        if mode == "upgrade" and record.instance is not None and record.interface.pre_upgrade:
            getattr(record.instance, record.interface.pre_upgrade)()
        path = self.store_path(canister_id)
        if mode in ("install", "reinstall"):
            self._dispose(record)
            for suffix in ("", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)
        elif record.instance is not None:
            self._dispose(record)
        environment = _CanisterEnvironment(self, canister_id)
        environment.arm(0)
        instance = kind.create(environment, path, init_argument)
        record.instance, record.environment = instance, environment
        record.interface = kind.interface(instance)
        record.module_name = name
        record.module_hash = hashlib.sha256(b"icbox-system-canister:" + name.encode()).digest()
        hook = record.interface.post_upgrade if mode == "upgrade" else record.interface.init
        if hook:
            getattr(instance, hook)(init_argument)

    @staticmethod
    def _dispose(record: CanisterRecord) -> None:
        store = getattr(record.instance, "store", None)
        dispose = getattr(store, "dispose", None)
        if callable(dispose):
            dispose()

    # -- rounds -----------------------------------------------------------------------------

    def execute_round(self, batch: Batch) -> RoundResult:
        previous_time_ns = self.time_ns
        self.height, self.time_ns, self.random_tape = batch.height, batch.time_ns, batch.random_tape
        self._completed = []
        self._expire_ingress()
        for message in batch.ingress:
            self._induct(message)
        used = self.wasm.start_round(previous_time_ns)
        used += self._run_heartbeats()
        used += self._drain(self.instruction_limit_per_round - used)
        return RoundResult(
            height=batch.height, state_hash=self.state_hash(), completed=tuple(self._completed), instructions_used=used
        )

    def _expire_ingress(self) -> None:
        for status in self.ingress_history.values():
            if status.status in (Status.REPLIED, Status.REJECTED) and status.expiry_ns < self.time_ns:
                status.status, status.reply, status.reject = Status.DONE, None, None

    def _induct(self, message: IngressMessage) -> None:
        if message.message_id in self.ingress_history or message.ingress_expiry_ns < self.time_ns:
            return
        status = IngressStatus(status=Status.RECEIVED, time_ns=self.time_ns, expiry_ns=message.ingress_expiry_ns)
        self.ingress_history[message.message_id] = status
        if message.canister_id == MANAGEMENT_CANISTER_ID:
            self.management.execute_ingress(message)
            return
        record = self.canisters.get(message.canister_id)
        if record is None:
            self._reject_ingress(message, RejectCode.DESTINATION_INVALID, f"canister {message.canister_id} not found")
            return
        if self.wasm.owns(message.canister_id):
            refusal = self.wasm.inspect_ingress(message)
            if refusal is not None:
                self._reject_ingress(message, refusal.code, refusal.message)
                return
        elif self.subnet_type == "application":
            if record.cycles < INGRESS_INDUCTION_CYCLES:
                self._reject_ingress(message, RejectCode.SYS_TRANSIENT, f"canister {message.canister_id} is out of cycles")
                return
            record.cycles -= INGRESS_INDUCTION_CYCLES
        self.queues[message.canister_id].append(
            Request(caller=message.sender, callee=message.canister_id, method=message.method, argument=message.arg,
                    callback=None, ingress=message)
        )

    def _run_heartbeats(self) -> int:
        used = 0
        for canister_id in sorted(self.canisters):
            record = self.canisters[canister_id]
            if record.status == "running" and record.instance is not None and record.interface.heartbeat:
                context = self._new_context(canister_id, method=record.interface.heartbeat, answered=True)
                used += INSTRUCTIONS_PER_MESSAGE
                self._execute(record, context, getattr(record.instance, record.interface.heartbeat), cycles=0)
        return used

    def _drain(self, budget: int) -> int:
        used = 0
        while used < budget:
            ready = sorted(canister_id for canister_id, queue in self.queues.items() if queue and not self.wasm.busy(canister_id))
            if not ready:
                break
            start = self.height % len(ready)
            order = ready[start:] + ready[:start]
            self.wasm.speculate([(canister_id, self.queues[canister_id][0]) for canister_id in order])
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
            canister_id, ingress=message.ingress, caller=message.caller, callback=message.callback,
            method=message.method, cycles=message.cycles,
        )
        if message.ingress is not None:
            self.ingress_history[message.ingress.message_id].status = Status.PROCESSING
        problem = self._refuse_reason(record, message)
        if problem is not None:
            self._refuse(context, problem, None)
            return cost
        if not self._charge(record, cost):
            self._refuse(context, Reject(code=RejectCode.SYS_TRANSIENT, message=f"canister {canister_id} is out of cycles"), None)
            return cost
        spec = record.interface.method(message.method)
        if spec is None:  # _refuse_reason has answered this already
            return cost
        if message.ingress is not None:
            try:
                argument = spec.decode_argument(message.argument)
            except CanisterError as error:  # a refusal while reading the argument, in the method's own terms
                self._refuse(context, error, spec)
                return cost
            except (CandidError, TypeError, ValueError, KeyError) as error:
                self._refuse(context, Reject(code=RejectCode.CANISTER_ERROR, message=f"invalid argument: {error}"), None)
                return cost
        else:
            argument = message.argument
        function = python_method(record.instance, spec)
        self._execute(record, context, lambda: function(message.caller, argument), cycles=message.cycles, spec=spec)
        return cost

    def _refuse(self, context: CallContext, outcome: Reject | CanisterError, spec: MethodSpec | None) -> None:
        """Answer a message that does not run, and close its call context."""
        self._answer(context, outcome, spec)
        self._finish_if_stuck(context)

    def _refuse_reason(self, record: CanisterRecord, message: Request) -> Reject | None:
        if record.instance is None:
            return Reject(code=RejectCode.DESTINATION_INVALID, message=f"canister {record.canister_id} has no code")
        if record.status != "running":
            return Reject(code=RejectCode.CANISTER_ERROR, message=f"canister {record.canister_id} is {record.status}")
        spec = record.interface.method(message.method)
        if spec is None:
            return Reject(
                code=RejectCode.DESTINATION_INVALID,
                message=f"canister {record.canister_id} has no {'update ' if message.ingress else ''}method {message.method!r}",
            )
        if spec.mode != "update" and message.ingress is not None:
            return Reject(code=RejectCode.DESTINATION_INVALID, message=f"{message.method} is a query, not an update")
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
        callback = getattr(record.instance, method_name, None)
        if callback is None:
            self._finish_if_stuck(context)
            return INSTRUCTIONS_PER_MESSAGE
        spec = record.interface.method(context.method) if context.ingress is not None else None
        self._execute(record, context, lambda: callback(message.callback.context, message.answer), cycles=0, spec=spec)
        return INSTRUCTIONS_PER_MESSAGE

    def _execute(
        self,
        record: CanisterRecord,
        context: CallContext,
        body: Callable[[], Any],
        *,
        cycles: int,
        spec: MethodSpec | None = None,
    ) -> None:
        """Run one message in a transaction; apply its effects only if it does not trap."""
        environment: _CanisterEnvironment = record.environment
        environment.arm(cycles)
        store = getattr(record.instance, "store", None)
        try:
            if store is not None:
                with store.transaction():
                    result = body()
            else:
                result = body()
        except CanisterError as error:
            self._answer(context, error, spec)
            self._finish_if_stuck(context)
            return
        except Exception as error:
            self._answer(context, reject_for(error), spec)
            self._finish_if_stuck(context)
            return
        if environment.certified_data is not None:
            record.certified_data = environment.certified_data
        refund = cycles - environment.cycles_accepted
        record.cycles += environment.cycles_accepted
        for call in environment.outbox:
            self._send(record, context, call)
        if result is not DEFERRED:
            self._answer(context, result, spec, refund=refund)
        self._finish_if_stuck(context)

    def _send(self, record: CanisterRecord, context: CallContext, call: OutgoingCall) -> None:
        if call.cycles > record.cycles:
            raise CanisterError("not enough cycles to attach to the call")
        record.cycles -= call.cycles
        context.outstanding += 1
        callback = Callback(call_context=context.id, on_reply=call.on_reply, on_reject=call.on_reject, context=call.context)
        request = Request(caller=record.canister_id, callee=call.callee, method=call.method, argument=call.argument,
                          callback=callback, cycles=call.cycles)
        if call.callee == MANAGEMENT_CANISTER_ID:
            self.management.execute_request(request)
        elif call.callee not in self.canisters:
            self.deliver_answer(request, Reject(code=RejectCode.DESTINATION_INVALID, message=f"canister {call.callee} not found"))
        else:
            self.queues[call.callee].append(request)

    def deliver_answer(self, request: Request, answer: Any) -> None:
        """Queue the answer to a canister's call as a response to the caller."""
        if request.callback is None:
            return
        self.queues[request.caller].append(
            Response(caller=request.caller, callback=request.callback, answer=answer,
                     refund_cycles=request.cycles if isinstance(answer, Reject) else 0)
        )

    def _answer(self, context: CallContext, outcome: Any, spec: MethodSpec | None, *, refund: int = 0) -> None:
        """Answer a call context once: an ingress status or a response to the calling canister."""
        if context.answered:
            return
        context.answered = True
        if context.ingress is not None:
            message_id = context.ingress.message_id
            status = self.ingress_history[message_id]
            if isinstance(outcome, Reject):
                status.status, status.reject = Status.REJECTED, outcome
            elif isinstance(outcome, RawReply):
                status.status, status.reply = Status.REPLIED, outcome.data
            elif isinstance(outcome, CanisterError):
                encoded = spec.encode_error(outcome) if spec is not None else None
                if encoded is None:
                    status.status, status.reject = Status.REJECTED, outcome.to_reject()
                else:
                    status.status, status.reply = Status.REPLIED, encoded
            else:
                try:
                    status.status, status.reply = Status.REPLIED, spec.encode_reply(outcome) if spec else b""
                except (CandidError, TypeError, KeyError) as error:
                    status.status = Status.REJECTED
                    status.reject = Reject(code=RejectCode.CANISTER_ERROR, message=f"reply does not fit its type: {error}")
            self._completed.append(message_id)
        elif context.callback is not None and context.caller is not None:
            answer = outcome.to_reject() if isinstance(outcome, CanisterError) else outcome
            self.queues[context.caller].append(
                Response(caller=context.caller, callback=context.callback, answer=answer,
                         refund_cycles=context.cycles if isinstance(answer, Reject) else refund)
            )

    def _finish_if_stuck(self, context: CallContext) -> None:
        if context.outstanding == 0:
            if not context.answered:
                self._answer(context, Reject(code=RejectCode.CANISTER_ERROR, message="canister did not reply to the call"), None)
            del self.call_contexts[context.id]
            record = self.canisters.get(context.canister_id)
            if record is not None and record.status == "stopping" and not any(
                c.canister_id == context.canister_id for c in self.call_contexts.values()
            ):
                record.status = "stopped"

    # -- queries ----------------------------------------------------------------------------

    def query(self, canister_id: Principal, method: str, arg: bytes, sender: Principal) -> bytes | Reject:
        """Run a query method; whatever it changes is rolled back."""
        record = self.canisters.get(canister_id)
        if record is not None and self.wasm.owns(canister_id):
            return self.wasm.query(canister_id, method, arg, sender)
        if record is None or record.instance is None:
            return Reject(code=RejectCode.DESTINATION_INVALID, message=f"canister {canister_id} not found")
        spec = record.interface.method(method)
        if spec is None or spec.mode != "query":
            return Reject(code=RejectCode.DESTINATION_INVALID, message=f"canister {canister_id} has no query method {method!r}")
        if record.status != "running":
            return Reject(code=RejectCode.CANISTER_ERROR, message=f"canister {canister_id} is {record.status}")
        try:
            argument = spec.decode_argument(arg)
        except CanisterError as error:
            encoded = spec.encode_error(error)
            return encoded if encoded is not None else error.to_reject()
        except (CandidError, TypeError, ValueError, KeyError) as error:
            return Reject(code=RejectCode.CANISTER_ERROR, message=f"invalid argument: {error}")
        environment: _CanisterEnvironment = record.environment
        environment.arm(0)
        store = getattr(record.instance, "store", None)
        function = python_method(record.instance, spec)

        class _Discard(Exception):
            pass

        outcome: Any = None
        try:
            if store is not None:
                try:
                    with store.transaction():
                        outcome = function(sender, argument)
                        raise _Discard
                except _Discard:
                    pass
            else:
                outcome = function(sender, argument)
        except CanisterError as error:
            encoded = spec.encode_error(error)
            return encoded if encoded is not None else error.to_reject()
        except Exception as error:
            return reject_for(error)
        environment.arm(0)
        return spec.encode_reply(outcome)

    # -- state ------------------------------------------------------------------------------

    def certified_state(self) -> dict[str, Any]:
        """What the state tree certifies: time, request statuses, canister metadata."""
        return {
            "time": self.time_ns,
            "request_status": {
                message_id: {
                    "status": status.status.value,
                    "reply": status.reply,
                    "reject_code": None if status.reject is None else int(status.reject.code),
                    "reject_message": None if status.reject is None else status.reject.message,
                }
                for message_id, status in sorted(self.ingress_history.items())
            },
            "canister": {
                canister_id.raw: {
                    "certified_data": record.certified_data,
                    "module_hash": record.module_hash,
                    "controllers": [controller.raw for controller in record.controllers],
                }
                for canister_id, record in sorted(self.canisters.items())
            },
        }

    def state_hash(self) -> bytes:
        digest = hashlib.sha256(b"icbox-subnet-state")
        digest.update(codec.encode(self._metadata()))
        for canister_id, record in sorted(self.canisters.items()):
            store = getattr(record.instance, "store", None)
            digest.update(canister_id.raw)
            digest.update(store.state_hash() if store is not None else b"")
            digest.update(self.wasm.state_digest(canister_id))
        return digest.digest()

    def _metadata(self) -> dict[str, Any]:
        return {
            "height": self.height,
            "time": self.time_ns,
            "next_canister_index": self.next_canister_index,
            "next_call_context": self.next_call_context,
            "canisters": [
                [c.canister_id.raw, [p.raw for p in c.controllers], c.cycles, c.status, c.module_name, c.module_hash, c.certified_data]
                for _, c in sorted(self.canisters.items())
            ],
            "queues": [[cid.raw, list(queue)] for cid, queue in sorted(self.queues.items())],
            "ingress": [
                [mid, s.status.value, s.time_ns, s.expiry_ns, s.reply, None if s.reject is None else [int(s.reject.code), s.reject.message]]
                for mid, s in sorted(self.ingress_history.items())
            ],
            "contexts": [
                [c.id, c.canister_id.raw, c.ingress, None if c.caller is None else c.caller.raw, c.callback, c.method, c.outstanding, c.answered, c.cycles]
                for _, c in sorted(self.call_contexts.items())
            ],
        }

    def checkpoint_metadata(self) -> bytes:
        """The engine's own state, everything but the canisters' databases, as canonical CBOR."""
        return codec.encode(self._metadata())

    def write_checkpoint(self, directory: str | Path) -> None:
        """Copy every canister's database and the engine's metadata into `directory`."""
        target = Path(directory)
        (target / "canisters").mkdir(parents=True, exist_ok=True)
        self.wasm.write_checkpoint(target / "wasm")
        for canister_id, record in sorted(self.canisters.items()):
            store = getattr(record.instance, "store", None)
            if store is not None:
                destination = sqlite3.connect(str(target / "canisters" / f"{canister_id.to_text()}.sqlite3"))
                with store.engine.connect() as connection:
                    connection.connection.driver_connection.backup(destination)
                destination.close()
        (target / "engine.cbor").write_bytes(self.checkpoint_metadata())

    @classmethod
    def from_checkpoint(
        cls, directory: str | Path, *, state_dir: str | Path, subnet_id: Principal, factories: Mapping[str, SystemCanister], **options: Any
    ) -> ExecutionEngine:
        """A new engine whose state is the checkpoint's (the databases are copied to `state_dir`)."""
        source = Path(directory)
        engine = cls(subnet_id, state_dir=state_dir, factories=factories, **options)
        for database in (source / "canisters").glob("*.sqlite3"):
            shutil.copyfile(database, engine.state_dir / "canisters" / database.name)
        metadata = codec.decode((source / "engine.cbor").read_bytes())
        engine.height, engine.time_ns = metadata["height"], metadata["time"]
        engine.next_canister_index = metadata["next_canister_index"]
        engine.next_call_context = metadata["next_call_context"]
        for raw, controllers, cycles, status, module_name, module_hash, certified in metadata["canisters"]:
            canister_id = Principal(raw)
            engine.canisters[canister_id] = CanisterRecord(
                canister_id=canister_id, controllers=tuple(Principal(p) for p in controllers), cycles=cycles,
                status=status, certified_data=certified,
            )
            engine.queues[canister_id] = deque()
            if module_name is not None:
                engine.install(canister_id, module_name, None, mode="upgrade")
                engine.canisters[canister_id].module_hash = module_hash
        engine.wasm.load_checkpoint(source / "wasm")
        for raw, messages in metadata["queues"]:
            engine.queues[Principal(raw)] = deque(messages)
        for message_id, status, time_ns, expiry_ns, reply, reject in metadata["ingress"]:
            engine.ingress_history[message_id] = IngressStatus(
                status=Status(status), time_ns=time_ns, expiry_ns=expiry_ns, reply=reply,
                reject=None if reject is None else Reject(code=RejectCode(reject[0]), message=reject[1]),
            )
        for context_id, raw, ingress, caller, callback, method, outstanding, answered, cycles in metadata["contexts"]:
            engine.call_contexts[context_id] = CallContext(
                id=context_id, canister_id=Principal(raw), ingress=ingress, caller=None if caller is None else Principal(caller),
                callback=callback, method=method, outstanding=outstanding, answered=answered, cycles=cycles,
            )
        return engine

    def random_bytes_for(self, caller: Principal) -> bytes:
        """32 bytes for `raw_rand`, from the round's random tape."""
        self.next_call_context += 1
        return hashlib.sha256(
            b"raw_rand" + self.random_tape + caller.raw + self.next_call_context.to_bytes(8, "big")
        ).digest()

    def _reject_ingress(self, message: IngressMessage, code: RejectCode, text: str) -> None:
        status = self.ingress_history[message.message_id]
        status.status, status.reject = Status.REJECTED, Reject(code=code, message=text)
        self._completed.append(message.message_id)

    def ingress_status(self, message_id: bytes) -> IngressStatus | None:
        return self.ingress_history.get(message_id)
