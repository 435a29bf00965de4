"""dfx-like canister operations over a subnet: what `icbox canister ...` runs.

`ManagementOperations` offers create, install, upgrade, reinstall, call,
status, stop, start, delete and deposit-cycles, each one management canister
call with the interface spec's Candid types; `CanisterOperations` runs them on
anything in this process that can submit ingress and run rounds (the
simulator's `SubnetHarness`), and `tui.ops.canisters` runs them over the agent
on a live network.
Arguments and replies can be Candid text: `call_text` decodes the reply with
the types of the module's `candid:service` metadata when the module has it,
and prints it in the Candid text form.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Final, Protocol

from replica.candid import decode, encode
from replica.candid.decoding import decode_untyped
from replica.canister.errors import CallRejected
from replica.environment import Reject
from replica.execution.wasm.interface import SIGNATURES
from replica.types import Principal

MANAGEMENT = Principal.management_canister()
MAX_INLINE_MODULE_BYTES: Final = 2 * 1024 * 1024 - 4096
"""A module up to this size goes in one install_code (the ingress limit is 2 MiB)."""
CHUNK_BYTES: Final = 1024 * 1024


class Subnet(Protocol):
    """What the operations need from a subnet (`SubnetHarness` has it)."""

    engine: Any

    def update(
        self, sender: Principal, canister_id: Principal, method: str, arg: bytes
    ) -> bytes: ...


@dataclass(frozen=True, slots=True)
class CanisterStatus:
    status: str
    controllers: tuple[Principal, ...]
    module_hash: bytes | None
    memory_size: int
    cycles: int
    idle_cycles_burned_per_day: int
    freezing_threshold: int


class ManagementOperations:
    """The dfx-like operations as management canister calls; a subclass says how a call travels.

    `submit_update(canister_id, method, arg, effective_canister_id)` sends one update and
    returns its reply bytes (raising `CallRejected` on a reject); `query` sends one query.
    Management calls name the canister they concern as the effective canister id (the
    interface spec's rule for calls to `aaaaa-aa`); `create_canister` names none and the
    subclass picks the subnet.
    """

    def submit_update(
        self,
        canister_id: Principal,
        method: str,
        arg: bytes,
        effective_canister_id: Principal | None,
    ) -> bytes:
        raise NotImplementedError

    def query(self, canister_id: Principal, method: str, arg: bytes = b"DIDL\x00\x00") -> bytes:
        raise NotImplementedError

    def manage(self, method: str, argument: Any, *, canister_id: Principal | None = None) -> Any:
        """One management canister call with the spec's Candid types: the decoded result."""
        arguments, results = SIGNATURES[method]
        reply = self.submit_update(
            MANAGEMENT,
            method,
            encode(arguments, [] if argument is None else [argument]),
            canister_id,
        )
        values = decode(reply, results)
        return values[0] if values else None

    def create(
        self,
        *,
        controllers: list[Principal] | None = None,
        freezing_threshold: int | None = None,
        compute_allocation: int | None = None,
        memory_allocation: int | None = None,
        wasm_memory_limit: int | None = None,
    ) -> Principal:
        settings = {
            "controllers": controllers,
            "freezing_threshold": freezing_threshold,
            "compute_allocation": compute_allocation,
            "memory_allocation": memory_allocation,
            "wasm_memory_limit": wasm_memory_limit,
        }
        result = self.manage("create_canister", {"settings": settings})
        canister_id: Principal = result["canister_id"]
        return canister_id

    def install(
        self,
        canister_id: Principal,
        module: bytes,
        arg: bytes = b"DIDL\x00\x00",
        *,
        mode: str = "install",
        keep_memory: bool = False,
        skip_pre_upgrade: bool = False,
    ) -> None:
        """Install, reinstall or upgrade; a module over 2 MiB goes through the chunk store."""
        if mode == "upgrade":
            options = {
                "skip_pre_upgrade": skip_pre_upgrade or None,
                "wasm_memory_persistence": {"keep": None} if keep_memory else None,
            }
            mode_value: dict[str, Any] = {"upgrade": options}
        else:
            mode_value = {mode: None}
        if len(module) <= MAX_INLINE_MODULE_BYTES:
            self.manage(
                "install_code",
                {"mode": mode_value, "canister_id": canister_id, "wasm_module": module, "arg": arg},
                canister_id=canister_id,
            )
            return
        self.manage("clear_chunk_store", {"canister_id": canister_id}, canister_id=canister_id)
        hashes = []
        for start in range(0, len(module), CHUNK_BYTES):
            hashes.append(
                self.manage(
                    "upload_chunk",
                    {"canister_id": canister_id, "chunk": module[start : start + CHUNK_BYTES]},
                    canister_id=canister_id,
                )
            )
        self.manage(
            "install_chunked_code",
            {
                "mode": mode_value,
                "target_canister": canister_id,
                "store_canister": None,
                "chunk_hashes_list": hashes,
                "wasm_module_hash": hashlib.sha256(module).digest(),
                "arg": arg,
            },
            canister_id=canister_id,
        )

    def upgrade(
        self, canister_id: Principal, module: bytes, arg: bytes = b"DIDL\x00\x00", **options: bool
    ) -> None:
        self.install(canister_id, module, arg, mode="upgrade", **options)

    def call(self, canister_id: Principal, method: str, arg: bytes = b"DIDL\x00\x00") -> bytes:
        return self.submit_update(canister_id, method, arg, canister_id)

    def status(self, canister_id: Principal) -> CanisterStatus:
        result = self.manage(
            "canister_status", {"canister_id": canister_id}, canister_id=canister_id
        )
        (status,) = result["status"]
        return CanisterStatus(
            status=status,
            controllers=tuple(result["settings"]["controllers"]),
            module_hash=result["module_hash"],
            memory_size=result["memory_size"],
            cycles=result["cycles"],
            idle_cycles_burned_per_day=result["idle_cycles_burned_per_day"],
            freezing_threshold=result["settings"]["freezing_threshold"],
        )

    def stop(self, canister_id: Principal) -> None:
        self.manage("stop_canister", {"canister_id": canister_id}, canister_id=canister_id)

    def start(self, canister_id: Principal) -> None:
        self.manage("start_canister", {"canister_id": canister_id}, canister_id=canister_id)

    def delete(self, canister_id: Principal) -> None:
        self.manage("delete_canister", {"canister_id": canister_id}, canister_id=canister_id)

    def deposit_cycles(self, canister_id: Principal, amount: int) -> None:
        """Add cycles to a canister: the provisional top-up of a development network (what
        `dfx ledger fabricate-cycles` does on a local replica)."""
        self.manage(
            "provisional_top_up_canister",
            {"canister_id": canister_id, "amount": amount},
            canister_id=canister_id,
        )


class CanisterOperations(ManagementOperations):
    """The operations over a subnet in this process (the simulator's `SubnetHarness`)."""

    def __init__(self, subnet: Subnet, identity: Principal) -> None:
        self.subnet = subnet
        self.identity = identity

    def submit_update(
        self,
        canister_id: Principal,
        method: str,
        arg: bytes,
        effective_canister_id: Principal | None,
    ) -> bytes:
        return self.subnet.update(self.identity, canister_id, method, arg)

    def query(self, canister_id: Principal, method: str, arg: bytes = b"DIDL\x00\x00") -> bytes:
        answer = self.subnet.engine.query(canister_id, method, arg, self.identity)
        if isinstance(answer, Reject):
            raise CallRejected(answer)
        reply: bytes = answer
        return reply

    def candid_service(self, canister_id: Principal) -> str | None:
        state = self.subnet.engine.wasm.states.get(canister_id)
        if state is None or state.canister is None:
            return None
        service = state.canister.module.metadata("candid:service")
        return None if service is None else service.decode(errors="replace")

    def call_text(self, canister_id: Principal, method: str, *, query: bool = False) -> str:
        """Call with no argument and print the reply as Candid text values."""
        reply = self.query(canister_id, method) if query else self.call(canister_id, method)
        return format_reply(reply)


def format_reply(reply: bytes) -> str:
    """A Candid reply in the text form `(v1, v2)`, raw bytes in hex if it is not Candid."""
    if not reply.startswith(b"DIDL"):
        return 'blob "' + "".join(f"\\{b:02x}" for b in reply) + '"'
    _, values = decode_untyped(reply)
    return "(" + ", ".join(_text(v) for v in values) + ")"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return re.sub(r"(?<=\d)(?=(\d{3})+$)", "_", str(value))
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, (bytes, bytearray)):
        return 'blob "' + "".join(f"\\{b:02x}" for b in value) + '"'
    if isinstance(value, Principal):
        return f'principal "{value}"'
    if value is None:
        return "null"
    if isinstance(value, list):
        return "vec { " + "; ".join(_text(v) for v in value) + " }"
    if isinstance(value, dict):
        return "record { " + "; ".join(f"{k} = {_text(v)}" for k, v in value.items()) + " }"
    return repr(value)
