"""The seam between the execution engine and the code a canister runs.

The engine schedules messages, keeps call contexts, queues and the ingress
history; what runs a message depends on the canister's code. Two kinds exist:
Python system canisters (the engine calls their methods with decoded Candid
values, see `replica.canister.sdk`) and WebAssembly canisters
(`replica.execution.wasm`), which receive and answer raw Candid bytes through
the `ic0` System API. The engine hands every message for a canister with a
`CanisterRuntime` to it.

`RawReply` is the answer of a canister that speaks bytes: the engine stores it
as the ingress reply as it is, and hands it to a calling canister unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from replica.environment import Reject
    from replica.execution.messages import IngressMessage, Request, Response
    from replica.types import Principal


@dataclass(frozen=True, slots=True)
class RawReply:
    """Reply bytes, already encoded by the canister."""

    data: bytes


class CanisterRuntime(Protocol):
    """What the engine asks of a runtime that owns some of its canisters."""

    def owns(self, canister_id: Principal) -> bool:
        """Whether this runtime runs the canister's code."""
        ...

    def busy(self, canister_id: Principal) -> bool:
        """Whether the canister is in the middle of a long execution (its queue waits)."""
        ...

    def held(self) -> set[Principal]:
        """Every canister `busy` holds, at once."""
        ...

    def inspect_ingress(self, message: IngressMessage) -> Reject | None:
        """Charge an ingress message's induction and run `canister_inspect_message`; a reject
        refuses it."""
        ...

    def process_request(self, canister_id: Principal, request: Request) -> int:
        """Execute a request; the instructions it used."""
        ...

    def process_response(self, canister_id: Principal, response: Response) -> int:
        """Execute a response's callback; the instructions it used."""
        ...

    def query(
        self,
        canister_id: Principal,
        method: str,
        arg: bytes,
        sender: Principal,
        *,
        data_certificate: bytes | None = None,
    ) -> bytes | Reject:
        """Run a query; `data_certificate` is what the canister reads as its data certificate."""
        ...

    def start_round(self, previous_time_ns: int) -> int:
        """Charge storage, continue long executions, run heartbeats and timers; the instructions
        used."""
        ...

    def state_digest(self, canister_id: Principal) -> bytes: ...
