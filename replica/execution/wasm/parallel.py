"""Parallel execution of independent canisters, with the result of sequential execution.

Within one pass of the scheduler each canister executes at most one message,
and a Wasm message touches only its own canister's instance. `Speculator`
runs the update at the head of each Wasm canister's queue concurrently on a
thread pool (wasmtime releases the GIL while Wasm runs), each holding its new
state aside instead of applying it. The engine then processes the pass in its
fixed order as always; when it reaches a message that was run ahead, the held
result is used only if everything the message could observe is unchanged
(the `MessageState` inputs, the canister's version and instance, the time), and
otherwise dropped and the message runs again right there. Results are merged
in the engine's order, so a round's state hash does not depend on the number
of threads. A speculative run that traps is always re-run sequentially
(wasmtime's Python binding passes host exceptions through one process-wide
slot, which concurrent traps could mix up).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import wasmtime._func as wasmtime_func

from replica.execution.messages import Request, Response
from replica.execution.wasm.canister import RunResult, WasmCanister
from replica.execution.wasm.system_api import MessageState
from replica.types import Principal

if TYPE_CHECKING:
    from replica.execution.wasm.subnet import WasmSubnet


def inputs(canister: WasmCanister, message: MessageState, version: int) -> tuple[Any, ...]:
    """Everything a message's execution can observe besides the canister's own state."""
    return (
        id(canister),
        version,
        message.kind,
        message.method,
        message.argument,
        message.caller,
        message.time_ns,
        message.balance,
        message.cycles_available,
        message.controllers,
        message.status,
        message.freezing_limit,
    )


@dataclass(frozen=True, slots=True)
class Speculation:
    key: tuple[Any, ...]
    result: RunResult


class Speculator:
    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._pool = (
            ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wasm")
            if threads > 1
            else None
        )
        self._results: dict[int, Speculation] = {}
        self.used = 0  # speculative results the engine took

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def clear(self) -> None:
        self._results.clear()

    def speculate(
        self, subnet: WasmSubnet, heads: Iterable[tuple[Principal, Request | Response]]
    ) -> None:
        """Run ahead, in parallel, the updates at the head of the Wasm canisters' queues."""
        self._results.clear()
        if self._pool is None:
            return
        jobs = []
        for canister_id, message in heads:
            if (
                not isinstance(message, Request)
                or not subnet.owns(canister_id)
                or subnet.busy(canister_id)
            ):
                continue
            prepared = subnet.prepare_request(canister_id, message)
            if prepared is not None:
                jobs.append((message, *prepared))
        if len(jobs) < 2:
            return

        def run(job: tuple[Request, WasmCanister, str, MessageState, int]) -> RunResult:
            _, canister, export, state, limit = job
            return canister.run(export, state, limit=limit, keep=True, hold_over=-1)

        results = list(self._pool.map(run, jobs))
        wasmtime_func.LAST_EXCEPTION = None
        for (message, canister, _, state, _), result in zip(jobs, results, strict=True):
            if result.trap is None and result.held is not None:
                version = subnet.state(Principal(state.canister_id)).version
                self._results[id(message)] = Speculation(inputs(canister, state, version), result)

    def take(self, message: Request, key: tuple[Any, ...]) -> RunResult | None:
        """The result of running `message` ahead, if its inputs are still `key`."""
        speculation = self._results.pop(id(message), None)
        if speculation is None or speculation.key != key:
            return None
        self.used += 1
        return speculation.result
