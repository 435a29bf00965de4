"""Queries, and composite queries that call other canisters' queries on the same subnet.

A query runs on the canister's instance and rolls back. A composite query
(`canister_composite_query <name>`) may call query and composite query
methods of canisters of its own subnet: once its entry point returns, its
calls are executed one after the other, depth first (the callee answers, then
the caller's reply or reject callback runs, whose own calls join the queue),
until the caller has replied or nothing is left; the caller's state carries
from one callback to the next and is rolled back as a whole at the end, as
the IC's query handler does (rs/execution_environment/src/query_handler/
query_context.rs, query_call_graph.rs). Its limits are the IC's
(rs/config/src/execution_environment.rs): a call graph at most
`MAX_QUERY_CALL_DEPTH` deep, `MAX_INSTRUCTIONS_PER_COMPOSITE_QUERY_CALL`
instructions in all with `INSTRUCTION_OVERHEAD_PER_QUERY_CALL` charged per
call, no canister twice on one path (a loop), and no calls out of the subnet.
Composite query methods cannot be called by an update.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from replica.environment import ErrorCode, Reject, RejectCode
from replica.execution.wasm.costs import MAX_INSTRUCTIONS_PER_QUERY
from replica.execution.wasm.system_api import Kind, MessageState, OutgoingWasmCall
from replica.types import Principal

if TYPE_CHECKING:
    from replica.execution.wasm.canister import RunResult, WasmCanister
    from replica.execution.wasm.subnet import WasmSubnet

MAX_QUERY_CALL_DEPTH: Final = 6
MAX_INSTRUCTIONS_PER_COMPOSITE_QUERY_CALL: Final = 5_000_000_000
INSTRUCTION_OVERHEAD_PER_QUERY_CALL: Final = 50_000_000


@dataclass(slots=True)
class Budget:
    """The instructions a composite query's whole call graph may still use."""

    instructions: int = MAX_INSTRUCTIONS_PER_COMPOSITE_QUERY_CALL

    def limit(self) -> int:
        return min(MAX_INSTRUCTIONS_PER_QUERY, max(0, self.instructions))


@dataclass(frozen=True, slots=True)
class CallGraph:
    """The budget shared by the whole graph, and the path of canisters to this call."""

    budget: Budget
    path: tuple[Principal, ...] = ()


def execute_query(
    subnet: WasmSubnet,
    canister_id: Principal,
    method: str,
    arg: bytes,
    sender: Principal,
    graph: CallGraph | None = None,
    *,
    data_certificate: bytes | None = None,
) -> bytes | Reject:
    """A query or composite query of a Wasm canister: its reply or reject, no state change.

    `data_certificate` certifies the canister's certified data in a non-replicated query
    from a client; a canister called from a composite query gets none."""
    record = subnet.engine.canisters[canister_id]
    canister = subnet.instance_for_reading(canister_id)
    module = canister.module
    if method in module.queries:
        kind, export = Kind.QUERY, f"canister_query {method}"
    elif method in module.composite_queries:
        kind, export = Kind.COMPOSITE_QUERY, f"canister_composite_query {method}"
    else:
        return Reject.of(
            ErrorCode.CANISTER_METHOD_NOT_FOUND,
            f"Canister {canister_id} has no query method '{method}'",
        )
    if record.status != "running":
        return Reject.of(
            ErrorCode.CANISTER_STOPPED
            if record.status == "stopped"
            else ErrorCode.CANISTER_STOPPING,
            f"Canister {canister_id} is {record.status}",
        )
    message = subnet._message_state(
        record,
        kind,
        method=method,
        argument=arg,
        caller=sender.raw,
        certificate=data_certificate if graph is None else None,
    )
    if kind == Kind.QUERY:
        limit = MAX_INSTRUCTIONS_PER_QUERY if graph is None else graph.budget.limit()
        result = canister.run(export, message, limit=limit, keep=False)
        if graph is not None:
            graph.budget.instructions -= result.instructions
        return _answer(canister_id, result, message)
    budget = Budget() if graph is None else graph.budget
    graph = CallGraph(budget, (() if graph is None else graph.path) + (canister_id,))
    snapshot, stable = canister.snapshot(), bytes(canister.stable.data)
    try:
        answer = _run_composite(subnet, canister, canister_id, export, message, graph)
    finally:
        canister.restore(snapshot)
        canister.stable.data = bytearray(stable)
    return answer


def _run_composite(
    subnet: WasmSubnet,
    canister: WasmCanister,
    canister_id: Principal,
    export: str,
    message: MessageState,
    graph: CallGraph,
) -> bytes | Reject:
    result = canister.run(export, message, limit=graph.budget.limit(), keep=True)
    graph.budget.instructions -= result.instructions
    answered = message.answered
    answer = _answer(canister_id, result, message) if answered or result.trap else None
    pending: deque[OutgoingWasmCall] = deque(message.calls)
    while answer is None and pending:
        call = pending.popleft()
        response = _call(subnet, canister_id, call, graph)
        if isinstance(response, Reject):
            callback = subnet._message_state(
                subnet.engine.canisters[canister_id],
                Kind.COMPOSITE_REJECT,
                reject_code=int(response.code),
                reject_message=response.message,
                caller=message.caller,
            )
            function = call.on_reject
        else:
            callback = subnet._message_state(
                subnet.engine.canisters[canister_id],
                Kind.COMPOSITE_REPLY,
                argument=response,
                caller=message.caller,
            )
            function = call.on_reply
        result = canister.run_callback(function, callback, limit=graph.budget.limit(), keep=True)
        graph.budget.instructions -= result.instructions
        if result.trap is not None or callback.answered:
            answer = _answer(canister_id, result, callback)
        else:
            pending.extend(callback.calls)
    if answer is None:
        return Reject.of(
            ErrorCode.CANISTER_DID_NOT_REPLY, f"Canister {canister_id} did not reply to the call"
        )
    return answer


def _call(
    subnet: WasmSubnet, caller: Principal, call: OutgoingWasmCall, graph: CallGraph
) -> bytes | Reject:
    callee = Principal(call.callee)
    graph.budget.instructions -= INSTRUCTION_OVERHEAD_PER_QUERY_CALL
    if graph.budget.instructions <= 0:
        return Reject.of(
            ErrorCode.QUERY_CALL_GRAPH_TOTAL_INSTRUCTION_LIMIT_EXCEEDED,
            "Query call graph contains too many instructions "
            f"(limit {MAX_INSTRUCTIONS_PER_COMPOSITE_QUERY_CALL})",
        )
    if len(graph.path) >= MAX_QUERY_CALL_DEPTH:
        return Reject.of(
            ErrorCode.QUERY_CALL_GRAPH_TOO_DEEP,
            f"Composite query call exceeded the maximum call depth {MAX_QUERY_CALL_DEPTH}",
        )
    if callee in graph.path:
        return Reject.of(
            ErrorCode.QUERY_CALL_GRAPH_LOOP_DETECTED,
            f"Loop detected: canister {callee} is already on the composite query's call path",
        )
    if callee not in subnet.engine.canisters or not subnet.owns(callee):
        return Reject(
            code=RejectCode.DESTINATION_INVALID,
            message=f"Canister {callee} is not a Wasm canister of this subnet; composite "
            "queries call only those",
        )
    return execute_query(subnet, callee, call.method, call.argument, caller, graph)


def _answer(canister_id: Principal, result: RunResult, message: MessageState) -> bytes | Reject:
    if result.trap is not None:
        return Reject.of(
            ErrorCode.CANISTER_CALLED_TRAP, f"Error from Canister {canister_id}: {result.trap}"
        )
    if message.reject is not None:
        return Reject(code=RejectCode.CANISTER_REJECT, message=message.reject)
    if message.reply is None:
        return Reject.of(
            ErrorCode.CANISTER_DID_NOT_REPLY, f"Canister {canister_id} did not reply to the call"
        )
    return message.reply
