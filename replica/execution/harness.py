"""Drive an execution engine like a one-node subnet: submit ingress, run rounds, read replies.

Each round is a batch at the harness's clock with a random tape derived from a
seed and the height, so a test run is reproducible.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from replica.candid import decode, encode
from replica.canister.errors import CallRejected
from replica.canister.sdk import MethodSpec
from replica.environment import NANOS_PER_SECOND, Reject
from replica.execution.engine import ExecutionEngine, SubnetType, SystemCanister
from replica.execution.messages import Batch, IngressMessage, IngressStatus, RoundResult, Status
from replica.types import Principal

DEFAULT_START_NS = 1_700_000_000 * NANOS_PER_SECOND
ROUND_NS = NANOS_PER_SECOND // 2


class SubnetHarness:
    def __init__(
        self,
        state_dir: str | Path,
        factories: Mapping[str, SystemCanister],
        *,
        subnet_id: Principal | None = None,
        subnet_type: SubnetType = "system",
        seed: bytes = b"harness",
        start_time_ns: int = DEFAULT_START_NS,
        **options: Any,
    ) -> None:
        self.engine = ExecutionEngine(
            subnet_id or Principal.self_authenticating(b"subnet:" + seed),
            state_dir=state_dir,
            factories=factories,
            subnet_type=subnet_type,
            time_ns=start_time_ns,
            **options,
        )
        self.seed = seed
        self.time_ns = start_time_ns
        self.height = 0
        self.pending: list[IngressMessage] = []
        self._nonce = 0

    def advance(self, seconds: float) -> None:
        self.time_ns += int(seconds * NANOS_PER_SECOND)

    def submit(
        self,
        sender: Principal,
        canister_id: Principal,
        method: str,
        arg: bytes,
        *,
        expiry_seconds: int = 300,
    ) -> bytes:
        self._nonce += 1
        message_id = hashlib.sha256(
            self._nonce.to_bytes(8, "big") + sender.raw + canister_id.raw + method.encode() + arg
        ).digest()
        self.pending.append(
            IngressMessage(
                message_id=message_id,
                sender=sender,
                canister_id=canister_id,
                method=method,
                arg=arg,
                ingress_expiry_ns=self.time_ns + expiry_seconds * NANOS_PER_SECOND,
            )
        )
        return message_id

    def run_round(self) -> RoundResult:
        self.height += 1
        self.time_ns += ROUND_NS
        tape = hashlib.sha256(self.seed + self.height.to_bytes(8, "big")).digest()
        batch = Batch(
            height=self.height, time_ns=self.time_ns, random_tape=tape, ingress=tuple(self.pending)
        )
        self.pending = []
        return self.engine.execute_round(batch)

    def status(self, message_id: bytes) -> IngressStatus | None:
        return self.engine.ingress_status(message_id)

    def await_status(self, message_id: bytes, *, max_rounds: int = 50) -> IngressStatus:
        for _ in range(max_rounds):
            self.run_round()
            status = self.status(message_id)
            if status is not None and status.status in (
                Status.REPLIED,
                Status.REJECTED,
                Status.DONE,
            ):
                return status
        raise TimeoutError(f"message {message_id.hex()} did not complete in {max_rounds} rounds")

    def update(self, sender: Principal, canister_id: Principal, method: str, arg: bytes) -> bytes:
        """Submit, run rounds until it completes, return the reply bytes or raise CallRejected."""
        status = self.await_status(self.submit(sender, canister_id, method, arg))
        if status.status == Status.REJECTED and status.reject is not None:
            raise CallRejected(status.reject)
        return status.reply or b""

    def call(
        self, sender: Principal, canister_id: Principal, method: str, *values: Any
    ) -> list[Any]:
        """An update call with Candid values typed by the canister's own interface."""
        spec = self._spec(canister_id, method)
        reply = self.update(sender, canister_id, method, encode(spec.arguments, list(values)))
        return decode(reply, spec.results)

    def query(
        self, sender: Principal, canister_id: Principal, method: str, *values: Any
    ) -> list[Any]:
        spec = self._spec(canister_id, method)
        answer = self.engine.query(
            canister_id, method, encode(spec.arguments, list(values)), sender
        )
        if isinstance(answer, Reject):
            raise CallRejected(answer)
        return decode(answer, spec.results)

    def _spec(self, canister_id: Principal, method: str) -> MethodSpec:
        record = self.engine.canisters[canister_id]
        spec = record.interface.method(method)
        if spec is None:
            raise KeyError(f"canister {canister_id} has no method {method}")
        return spec


def candid_values(types: Sequence[Any], *values: Any) -> bytes:
    return encode(list(types), list(values))
