"""The engine's state as bytes: its state hash, its certified part, its checkpoint.

`state_hash` covers everything replicas must agree on: the height and time,
the counters, every canister's record, the queues, the open call contexts, the
ingress history and every canister's database. Its cost follows what changed,
not the subnet's age: the ingress history keeps an incremental digest, each
canister's database keeps its hash until it is written, and the rest (records,
queues, open calls) is bounded by the canisters and the work in flight.

A checkpoint is the engine's metadata (canonical CBOR) plus one SQLite file per
canister; loading one rebuilds the same state, so the same state hash.
"""

from __future__ import annotations

import hashlib
import shutil
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from replica.canister import codec
from replica.environment import ErrorCode, Reject, RejectCode
from replica.execution.canisters import (
    CanisterRecord,
    CanisterStatus,
    SystemEnvironment,
    reopen_code,
)
from replica.execution.messages import CallContext, IngressStatus, Status
from replica.types import Principal

if TYPE_CHECKING:
    from replica.execution.engine import ExecutionEngine


def certified_state(engine: ExecutionEngine) -> dict[str, Any]:
    """What the state tree certifies: time, request statuses, canister metadata."""
    return {
        "time": engine.time_ns,
        "request_status": {
            message_id: certified_status(status)
            for message_id, status in engine.ingress_history.items()
        },
        "canister": certified_canisters(engine),
    }


def certified_canisters(engine: ExecutionEngine) -> dict[bytes, dict[str, Any]]:
    return {
        canister_id.raw: {
            "certified_data": record.certified_data,
            "module_hash": record.module_hash,
            "controllers": [controller.raw for controller in record.controllers],
        }
        for canister_id, record in sorted(engine.canisters.items())
    }


def certified_status(status: IngressStatus) -> dict[str, Any]:
    """One request's entry in the certified state."""
    reject = status.reject
    return {
        "status": status.status.value,
        "reply": status.reply,
        "reject_code": None if reject is None else int(reject.code),
        "reject_message": None if reject is None else reject.message,
        "error_code": None
        if reject is None or reject.error_code is None
        else reject.error_code.text,
    }


def state_hash(engine: ExecutionEngine) -> bytes:
    digest = hashlib.sha256(b"icbox-subnet-state")
    digest.update(codec.encode(_live_metadata(engine)))
    digest.update(engine.ingress_history.digest())
    for canister_id, record in sorted(engine.canisters.items()):
        digest.update(canister_id.raw)
        digest.update(record.store.state_hash() if record.store is not None else b"")
    return digest.digest()


def _live_metadata(engine: ExecutionEngine) -> dict[str, Any]:
    """Everything but the ingress history and the databases."""
    subnet_calls = engine.subnet_calls
    # Only a subnet that has had a `setup_initial_dkg` call holds subnet call contexts.
    extra = (
        {"subnet_calls": subnet_calls.encode()}
        if subnet_calls.contexts or subnet_calls.next_callback_id
        else {}
    )
    return {
        **extra,
        "height": engine.height,
        "time": engine.time_ns,
        "next_canister_index": engine.next_canister_index,
        "next_call_context": engine.next_call_context,
        "canisters": [_encode_record(record) for _, record in sorted(engine.canisters.items())],
        "queues": [
            [canister_id.raw, list(queue)] for canister_id, queue in sorted(engine.queues.items())
        ],
        "contexts": [
            _encode_context(context) for _, context in sorted(engine.call_contexts.items())
        ],
    }


def _encode_record(record: CanisterRecord) -> list[Any]:
    return [
        record.canister_id.raw,
        [p.raw for p in record.controllers],
        record.cycles,
        record.status.value,
        record.module_name,
        record.module_hash,
        record.certified_data,
    ]


def _encode_context(context: CallContext) -> list[Any]:
    return [
        context.id,
        context.canister_id.raw,
        context.ingress,
        None if context.caller is None else context.caller.raw,
        context.callback,
        context.method,
        context.outstanding,
        context.answered,
        context.cycles,
        context.accepted,
    ]


def _encode_reject(reject: Reject | None) -> list[Any] | None:
    if reject is None:
        return None
    return [
        int(reject.code),
        reject.message,
        None if reject.error_code is None else int(reject.error_code),
    ]


def _decode_reject(value: Any) -> Reject | None:
    if value is None:
        return None
    code, message, error_code = value
    return Reject(
        code=RejectCode(code),
        message=message,
        error_code=None if error_code is None else ErrorCode(error_code),
    )


def encode_metadata(engine: ExecutionEngine) -> bytes:
    """The engine's own state, everything but the canisters' databases, as canonical CBOR."""
    return codec.encode(
        {
            **_live_metadata(engine),
            "ingress": [
                [
                    message_id,
                    s.status.value,
                    s.time_ns,
                    s.expiry_ns,
                    s.reply,
                    _encode_reject(s.reject),
                ]
                for message_id, s in engine.ingress_history.items()
            ],
        }
    )


def write_checkpoint(engine: ExecutionEngine, target: Path) -> None:
    """Copy every canister's database and the engine's metadata into `target`."""
    (target / "canisters").mkdir(parents=True, exist_ok=True)
    for canister_id, record in sorted(engine.canisters.items()):
        if record.store is not None:
            record.store.copy_to(str(target / "canisters" / f"{canister_id.to_text()}.sqlite3"))
    (target / "engine.cbor").write_bytes(encode_metadata(engine))


def load_checkpoint(engine: ExecutionEngine, source: Path) -> None:
    """Give a new engine the state of the checkpoint in `source`."""
    for database in (source / "canisters").glob("*.sqlite3"):
        shutil.copyfile(database, engine.state_dir / "canisters" / database.name)
    metadata = codec.decode((source / "engine.cbor").read_bytes())
    engine.height, engine.time_ns = metadata["height"], metadata["time"]
    engine.next_canister_index = metadata["next_canister_index"]
    engine.next_call_context = metadata["next_call_context"]
    if "subnet_calls" in metadata:
        engine.subnet_calls.restore(metadata["subnet_calls"])
    for raw, controllers, cycles, status, module_name, module_hash, certified in metadata[
        "canisters"
    ]:
        canister_id = Principal(raw)
        record = CanisterRecord(
            canister_id=canister_id,
            controllers=tuple(Principal(p) for p in controllers),
            cycles=cycles,
            status=CanisterStatus(status),
            certified_data=certified,
        )
        engine.canisters[canister_id] = record
        engine.queues[canister_id] = deque()
        if module_name is not None:
            reopen_code(
                record,
                engine.factories[module_name],
                module_name,
                environment=SystemEnvironment(engine, canister_id),
                path=engine.database_path(canister_id, fresh=False),
            )
            record.module_hash = module_hash
    for raw, messages in metadata["queues"]:
        engine.queues[Principal(raw)] = deque(messages)
    engine.ingress_history.restore(
        [
            (
                message_id,
                IngressStatus(
                    status=Status(status),
                    time_ns=time_ns,
                    expiry_ns=expiry_ns,
                    reply=reply,
                    reject=_decode_reject(reject),
                ),
            )
            for message_id, status, time_ns, expiry_ns, reply, reject in metadata["ingress"]
        ]
    )
    for (
        context_id,
        raw,
        ingress,
        caller,
        callback,
        method,
        outstanding,
        answered,
        cycles,
        accepted,
    ) in metadata["contexts"]:
        engine.call_contexts[context_id] = CallContext(
            id=context_id,
            canister_id=Principal(raw),
            ingress=ingress,
            caller=None if caller is None else Principal(caller),
            callback=callback,
            method=method,
            outstanding=outstanding,
            answered=answered,
            cycles=cycles,
            accepted=accepted,
        )


def raw_rand(random_tape: bytes, caller: Principal, counter: int) -> bytes:
    """32 bytes for `raw_rand`, from the round's random tape."""
    return hashlib.sha256(
        b"raw_rand" + random_tape + caller.raw + counter.to_bytes(8, "big")
    ).digest()
