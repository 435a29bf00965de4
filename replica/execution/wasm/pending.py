"""Management calls that wait for the canister they name.

The IC's scheduler executes a management message only when the canister it
names (its effective canister) has no long execution in progress, and runs
install_code messages one at a time while a long install is under way
(rs/execution_environment/src/scheduler.rs, `can_execute_msg`); the others
stay in the subnet queue, in order. Here such a call is kept as a
`ManagementCall` in `WasmSubnet.waiting` with where its answer goes (an
ingress message, a Python canister's request, or a Wasm canister's request,
answered with Candid bytes), and `run_waiting` runs it at the start of a
round once the canister is free. An install aborted by a checkpoint waits at
the front (`aborted`), so it runs again from its start before anything else
touches the canister; the waiting calls are part of the checkpoint.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from replica.candid import encode
from replica.canister import codec
from replica.canister.errors import CanisterError
from replica.environment import Reject
from replica.execution.messages import IngressMessage, Request, Response
from replica.execution.runtime import RawReply
from replica.execution.wasm.install import InstallPaused
from replica.types import Principal

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from replica.execution.wasm.subnet import WasmSubnet

INSTALLS: Final = frozenset({"install_code", "install_chunked_code"})
NEVER_WAIT: Final = frozenset({"deposit_cycles", "provisional_top_up_canister"})
"""Calls that only add cycles: they carry cycles the caller sent and change no execution."""
WAITS: Final = object()
"""What `execute_call` returns when the answer comes in a later round."""
PENDING_FILE: Final = "management.calls"


@dataclass(slots=True, kw_only=True)
class ManagementCall:
    """A call to the management canister and where its answer goes."""

    method: str
    caller: Principal
    argument: Any
    ingress: IngressMessage | None = None
    request: Request | None = None
    raw: bool = False
    """The caller is a Wasm canister: it reads the answer as Candid bytes."""
    aborted: bool = False
    """An install a checkpoint aborted: it runs before any other install."""

    @property
    def canister_id(self) -> Principal | None:
        """The canister the call is about (the IC's effective canister id)."""
        if not isinstance(self.argument, dict):
            return None
        named = self.argument.get("canister_id") or self.argument.get("target_canister")
        return named if isinstance(named, Principal) else None

    def answer(self, subnet: WasmSubnet, outcome: Any) -> None:
        """Deliver the method's result (or a `Reject`) to the caller."""
        engine = subnet.engine
        results = engine.management.methods[self.method].results
        if self.ingress is not None:
            engine._finish_ingress(
                self.ingress,
                outcome
                if isinstance(outcome, Reject)
                else encode(results, [] if outcome is None else [outcome]),
            )
        elif self.request is not None and self.raw:
            request = self.request
            if request.callback is None:
                return
            engine.queues[request.caller].append(
                Response(
                    caller=request.caller,
                    callback=request.callback,
                    answer=outcome
                    if isinstance(outcome, Reject)
                    else RawReply(encode(results, [] if outcome is None else [outcome])),
                    refund_cycles=request.cycles,
                )
            )
        elif self.request is not None:
            engine.deliver_answer(self.request, outcome)


def must_wait(subnet: WasmSubnet, call: ManagementCall) -> bool:
    """Whether the call waits: its canister is busy, or it installs while another install runs."""
    canister_id = call.canister_id
    if call.method in NEVER_WAIT or canister_id is None:
        return False
    return subnet.busy(canister_id) or (call.method in INSTALLS and is_installing(subnet))


def is_installing(subnet: WasmSubnet) -> bool:
    """A long install is under way, or one a checkpoint aborted waits to run again."""
    return any(
        state.paused is not None and state.paused.message is None
        for state in subnet.states.values()
    ) or any(call.aborted for call in subnet.waiting)


def execute_call(subnet: WasmSubnet, call: ManagementCall, run: Callable[[], Any]) -> Any:
    """The result of `run()` for `call`, or WAITS if the call waits or its install goes on across
    rounds (then `call` is answered later). A `CanisterError` is the caller's to answer."""
    if must_wait(subnet, call):
        subnet.waiting.append(call)
        return WAITS
    try:
        return run()
    except InstallPaused as paused:
        paused.install.call = call
        return WAITS


def run_waiting(subnet: WasmSubnet) -> None:
    """Run, in order, the waiting calls whose canister is free (a round's start)."""
    calls = list(subnet.waiting)
    subnet.waiting.clear()
    blocked: set[Principal] = set()
    for call in calls:
        canister_id = call.canister_id
        if canister_id in blocked or must_wait(subnet, call):
            if canister_id is not None:
                blocked.add(canister_id)
            subnet.waiting.append(call)
            continue
        call.aborted = False
        run_call(subnet, call)


def run_call(subnet: WasmSubnet, call: ManagementCall) -> None:
    """Execute a call that no longer waits and answer it, unless its install goes on."""
    method = subnet.engine.management.methods[call.method]
    try:
        result = execute_call(subnet, call, lambda: method.run(call.caller, call.argument))
    except CanisterError as error:
        call.answer(subnet, error.to_reject())
        return
    if result is not WAITS:
        call.answer(subnet, result)


def write_waiting(subnet: WasmSubnet, directory: Path) -> None:
    (directory / PENDING_FILE).write_bytes(
        codec.encode(
            [
                [c.method, c.caller, c.argument, c.ingress, c.request, c.raw, c.aborted]
                for c in subnet.waiting
            ]
        )
    )


def read_waiting(directory: Path) -> deque[ManagementCall]:
    path = directory / PENDING_FILE
    if not path.exists():
        return deque()
    return deque(
        ManagementCall(
            method=method,
            caller=caller,
            argument=argument,
            ingress=ingress,
            request=request,
            raw=raw,
            aborted=aborted,
        )
        for method, caller, argument, ingress, request, raw, aborted in codec.decode(
            path.read_bytes()
        )
    )
