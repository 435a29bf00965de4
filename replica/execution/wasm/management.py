"""The management canister's methods for Wasm canisters.

`manage` answers create_canister (with settings), install_code for Wasm
modules (install, reinstall, upgrade with `skip_pre_upgrade` and
`wasm_memory_persistence`), upload_chunk / stored_chunks / clear_chunk_store /
install_chunked_code, uninstall_code, canister_status, start/stop,
delete_canister, deposit_cycles and update_settings; only a canister's
controllers may manage it. `call_management` serves a Wasm canister's call to
`aaaaa-aa`: Candid bytes in, Candid bytes out.

Upgrades follow the interface spec: `canister_pre_upgrade` runs on the old
module (unless `skip_pre_upgrade`), stable memory is kept, main memory is
replaced unless `wasm_memory_persistence = opt variant { keep }`, which a
module built for enhanced orthogonal persistence (custom section
`enhanced-orthogonal-persistence`) requires, and `canister_post_upgrade` runs
on the new one. If any step traps, the canister is left exactly as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from replica.candid import CandidError, decode, encode
from replica.canister.errors import CanisterError, SystemReject
from replica.environment import ErrorCode, Reject, RejectCode
from replica.execution.messages import Request
from replica.execution.runtime import RawReply
from replica.execution.wasm.costs import MAX_CHUNK_SIZE, MAX_CHUNKS
from replica.execution.wasm.install import install
from replica.execution.wasm.interface import SIGNATURES
from replica.execution.wasm.module import GZIP_MAGIC, WASM_MAGIC
from replica.execution.wasm.pending import WAITS, ManagementCall, execute_call
from replica.types import Principal

if TYPE_CHECKING:
    from replica.execution.canisters import CanisterRecord
    from replica.execution.wasm.subnet import WasmState, WasmSubnet

NOT_HANDLED: Final = object()


def is_wasm(module: bytes) -> bool:
    return module.startswith(WASM_MAGIC) or module.startswith(GZIP_MAGIC)


def call_management(subnet: WasmSubnet, request: Request) -> tuple[RawReply | Reject | None, int]:
    """A Wasm canister's call to the management canister: the answer and the cycles it kept, or
    None if it is answered in a later round (`pending.py`)."""
    method = subnet.engine.management.methods.get(request.method)
    if method is None:
        return Reject.of(
            ErrorCode.UNKNOWN_MANAGEMENT_MESSAGE,
            f"Management canister has no method '{request.method}'",
        ), 0
    try:
        values = decode(request.argument, method.arguments)
    except CandidError as error:
        return Reject.of(
            ErrorCode.INVALID_MANAGEMENT_PAYLOAD, f"invalid argument to {request.method}: {error}"
        ), 0
    argument = values[0] if values else None
    call = ManagementCall(
        method=request.method, caller=request.caller, argument=argument, request=request, raw=True
    )

    def run() -> Any:
        result = manage(subnet, request.caller, request.method, argument, cycles=request.cycles)
        return method.run(request.caller, argument) if result is NOT_HANDLED else result

    try:
        result = execute_call(subnet, call, run)
    except CanisterError as error:
        return error.to_reject(), 0
    if result is WAITS:
        return None, 0
    kept = request.cycles if request.method in ("deposit_cycles", "create_canister") else 0
    return RawReply(encode(method.results, [] if result is None else [result])), kept


Handler = Callable[[Principal, Any], Any]


def wasm_methods(
    subnet: WasmSubnet, existing: Mapping[str, Any]
) -> dict[str, tuple[list[Any], list[Any], Handler, bool]]:
    """The management methods with the spec's types: (arguments, results, handler, callable by
    ingress).

    Each handler runs `manage` and falls back to the method the management canister
    already had (system canisters installed by name, for instance).
    """
    methods: dict[str, tuple[list[Any], list[Any], Handler, bool]] = {}
    for name, (arguments, results) in SIGNATURES.items():
        fallback = existing.get(name)

        def run(
            caller: Principal, argument: Any, name: str = name, fallback: Any = fallback
        ) -> Any:
            handled = manage(subnet, caller, name, argument)
            if handled is not NOT_HANDLED:
                return handled
            if fallback is None:
                raise SystemReject(
                    ErrorCode.UNKNOWN_MANAGEMENT_MESSAGE,
                    f"the management canister has no method {name!r}",
                )
            return fallback.run(caller, argument)

        methods[name] = (arguments, results, run, name != "raw_rand")
    return methods


def _controlled(subnet: WasmSubnet, caller: Principal, canister_id: Principal) -> CanisterRecord:
    record = subnet.engine.canisters.get(canister_id)
    if record is None:
        raise SystemReject(ErrorCode.CANISTER_NOT_FOUND, f"Canister {canister_id} not found")
    if caller not in record.controllers:
        raise SystemReject(
            ErrorCode.CANISTER_INVALID_CONTROLLER,
            f"Only the controllers of the canister {canister_id} can control it. Canister's "
            "controllers: "
            + " ".join(str(c) for c in record.controllers)
            + f". Sender's ID: {caller}",
        )
    return record


def _apply_settings(
    state: WasmState, record: CanisterRecord | None, settings: dict[str, Any]
) -> tuple[Principal, ...] | None:
    controllers = settings.get("controllers")
    if controllers is not None and len(controllers) > 10:
        raise SystemReject(
            ErrorCode.CANISTER_REJECTED_MESSAGE, "a canister has at most 10 controllers"
        )
    compute = settings.get("compute_allocation")
    if compute is not None and not 0 <= compute <= 100:
        raise SystemReject(
            ErrorCode.CANISTER_REJECTED_MESSAGE,
            "the compute allocation is a percentage from 0 to 100",
        )
    for name in (
        "compute_allocation",
        "memory_allocation",
        "freezing_threshold",
        "reserved_cycles_limit",
        "wasm_memory_limit",
        "wasm_memory_threshold",
    ):
        value = settings.get(name)
        if value is not None:
            setattr(state.settings, name, int(value))
    visibility = settings.get("log_visibility")
    if visibility is not None:
        state.settings.log_visibility = next(iter(visibility))
    if record is not None and controllers is not None:
        record.controllers = tuple(controllers)
    return None if controllers is None else tuple(controllers)


def manage(
    subnet: WasmSubnet, caller: Principal, method: str, argument: Any, *, cycles: int = 0
) -> Any:
    """Run a management method if it concerns Wasm canisters; NOT_HANDLED otherwise."""
    engine = subnet.engine
    if method == "create_canister":
        settings = (argument or {}).get("settings") or {}
        fee = subnet.schedule.canister_creation_fee if not subnet.schedule.free else 0
        controllers = settings.get("controllers") or [caller]
        initial = engine_default_cycles(subnet) if cycles == 0 else max(0, cycles - fee)
        canister_id = engine.create_canister(controllers, cycles=initial)
        state = subnet.state(canister_id)
        _apply_settings(state, None, settings)
        return {"canister_id": canister_id}
    if method in ("install_code", "install_chunked_code"):
        if method == "install_code":
            target, module = argument["canister_id"], bytes(argument["wasm_module"])
            if not is_wasm(module):
                return NOT_HANDLED
        else:
            target = argument["target_canister"]
            store_id = argument.get("store_canister") or target
            _controlled(subnet, caller, store_id)
            chunks = subnet.state(store_id).chunks
            missing = [
                bytes(h["hash"]).hex()
                for h in argument["chunk_hashes_list"]
                if bytes(h["hash"]) not in chunks
            ]
            if missing:
                raise SystemReject(
                    ErrorCode.CANISTER_REJECTED_MESSAGE,
                    f"chunks not found in the chunk store: {', '.join(missing)}",
                )
            module = b"".join(chunks[bytes(h["hash"])] for h in argument["chunk_hashes_list"])
            if hashlib.sha256(module).digest() != bytes(argument["wasm_module_hash"]):
                raise SystemReject(
                    ErrorCode.CANISTER_REJECTED_MESSAGE,
                    "the hash of the assembled module does not match wasm_module_hash",
                )
        record = _controlled(subnet, caller, target)
        install(subnet, record, caller, argument["mode"], module, bytes(argument["arg"]))
        return None
    if method == "upload_chunk":
        record = _controlled(subnet, caller, argument["canister_id"])
        chunk = bytes(argument["chunk"])
        if len(chunk) > MAX_CHUNK_SIZE:
            raise SystemReject(
                ErrorCode.CANISTER_REJECTED_MESSAGE, f"a chunk holds at most {MAX_CHUNK_SIZE} bytes"
            )
        chunks = subnet.state(record.canister_id).chunks
        if len(chunks) >= MAX_CHUNKS:
            raise SystemReject(ErrorCode.CANISTER_REJECTED_MESSAGE, "the chunk store is full")
        digest = hashlib.sha256(chunk).digest()
        chunks[digest] = chunk
        return {"hash": digest}
    if method == "stored_chunks":
        record = _controlled(subnet, caller, argument["canister_id"])
        return [{"hash": digest} for digest in sorted(subnet.state(record.canister_id).chunks)]
    if method == "clear_chunk_store":
        record = _controlled(subnet, caller, argument["canister_id"])
        subnet.state(record.canister_id).chunks.clear()
        return None
    if method == "uninstall_code":
        record = _controlled(subnet, caller, argument["canister_id"])
        state = subnet.state(record.canister_id)
        if state.paused is not None and state.paused.job is not None:
            state.paused.job.abort()
        state.canister, state.installed, state.paused = None, b"", None
        state.version += 1
        record.module_hash, record.certified_data = None, b""
        _reject_open_contexts(subnet, record.canister_id)
        return None
    if method == "canister_status":
        record = _controlled(subnet, caller, argument["canister_id"])
        state = subnet.state(record.canister_id)
        memory = subnet.memory_size(record.canister_id)
        return {
            "status": {str(record.status): None},
            "settings": {
                "controllers": list(record.controllers),
                "compute_allocation": state.settings.compute_allocation,
                "memory_allocation": state.settings.memory_allocation,
                "freezing_threshold": state.settings.freezing_threshold,
                "reserved_cycles_limit": state.settings.reserved_cycles_limit,
                "log_visibility": {state.settings.log_visibility: None},
                "wasm_memory_limit": state.settings.wasm_memory_limit,
                "wasm_memory_threshold": state.settings.wasm_memory_threshold,
            },
            "module_hash": record.module_hash,
            "memory_size": memory,
            "cycles": record.cycles,
            "reserved_cycles": 0,
            "idle_cycles_burned_per_day": subnet.schedule.idle_cycles_burned_per_day(
                max(memory, state.settings.memory_allocation), state.settings.compute_allocation
            ),
            "query_stats": {
                "num_calls_total": 0,
                "num_instructions_total": 0,
                "request_payload_bytes_total": 0,
                "response_payload_bytes_total": 0,
            },
        }
    if method == "update_settings":
        record = _controlled(subnet, caller, argument["canister_id"])
        state = subnet.state(record.canister_id)
        _apply_settings(state, record, argument["settings"])
        state.version += 1
        return None
    if method == "delete_canister":
        record = _controlled(subnet, caller, argument["canister_id"])
        if record.status != "stopped":
            raise SystemReject(
                ErrorCode.CANISTER_REJECTED_MESSAGE,
                f"Canister {record.canister_id} must be stopped before it is deleted",
            )
        del engine.canisters[record.canister_id]
        engine.queues.pop(record.canister_id, None)
        subnet.states.pop(record.canister_id, None)
        return None
    if method == "deposit_cycles":
        target = engine.canisters.get(argument["canister_id"])
        if target is None:
            raise SystemReject(
                ErrorCode.CANISTER_NOT_FOUND, f"Canister {argument['canister_id']} not found"
            )
        target.cycles += cycles
        return None
    if method == "provisional_top_up_canister":
        # A development network's way to fund a canister (`dfx ledger fabricate-cycles`): the
        # interface spec's provisional method, open to every caller as on a local replica whose
        # provisional whitelist is "all" (rs/execution_environment: ProvisionalTopUpCanister).
        target = engine.canisters.get(argument["canister_id"])
        if target is None:
            raise SystemReject(
                ErrorCode.CANISTER_NOT_FOUND, f"Canister {argument['canister_id']} not found"
            )
        target.cycles += int(argument["amount"])
        return None
    return NOT_HANDLED


def engine_default_cycles(subnet: WasmSubnet) -> int:
    from replica.execution.engine import DEFAULT_CANISTER_CYCLES

    return DEFAULT_CANISTER_CYCLES


def _reject_open_contexts(subnet: WasmSubnet, canister_id: Principal) -> None:
    engine = subnet.engine
    for context in [c for c in engine.call_contexts.values() if c.canister_id == canister_id]:
        engine._answer(
            context,
            Reject(code=RejectCode.CANISTER_REJECT, message="Canister has been uninstalled."),
        )
        del engine.call_contexts[context.id]
