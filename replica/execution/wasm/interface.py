"""The management canister's Candid types for the methods Wasm canisters need (the interface spec's
`ic.did`)."""

from __future__ import annotations

from typing import Any, Final

from replica.candid.types import (
    Blob,
    Bool,
    Nat,
    Nat64,
    Null,
    Opt,
    PrincipalType,
    Record,
    Variant,
    Vec,
)

CANISTER_ID_RECORD: Final = Record({"canister_id": PrincipalType})
LOG_VISIBILITY: Final = Variant(
    {"controllers": Null, "public": Null, "allowed_viewers": Vec(PrincipalType)}
)
CANISTER_SETTINGS: Final = Record(
    {
        "controllers": Opt(Vec(PrincipalType)),
        "compute_allocation": Opt(Nat),
        "memory_allocation": Opt(Nat),
        "freezing_threshold": Opt(Nat),
        "reserved_cycles_limit": Opt(Nat),
        "log_visibility": Opt(LOG_VISIBILITY),
        "wasm_memory_limit": Opt(Nat),
        "wasm_memory_threshold": Opt(Nat),
    }
)
DEFINITE_SETTINGS: Final = Record(
    {
        "controllers": Vec(PrincipalType),
        "compute_allocation": Nat,
        "memory_allocation": Nat,
        "freezing_threshold": Nat,
        "reserved_cycles_limit": Nat,
        "log_visibility": LOG_VISIBILITY,
        "wasm_memory_limit": Nat,
        "wasm_memory_threshold": Nat,
    }
)
CREATE_CANISTER_ARGS: Final = Record(
    {"settings": Opt(CANISTER_SETTINGS), "sender_canister_version": Opt(Nat64)}
)
UPGRADE_OPTIONS: Final = Record(
    {
        "skip_pre_upgrade": Opt(Bool),
        "wasm_memory_persistence": Opt(Variant({"keep": Null, "replace": Null})),
    }
)
INSTALL_MODE: Final = Variant({"install": Null, "reinstall": Null, "upgrade": Opt(UPGRADE_OPTIONS)})
INSTALL_CODE_ARGS: Final = Record(
    {
        "mode": INSTALL_MODE,
        "canister_id": PrincipalType,
        "wasm_module": Blob,
        "arg": Blob,
        "sender_canister_version": Opt(Nat64),
    }
)
CHUNK_HASH: Final = Record({"hash": Blob})
UPLOAD_CHUNK_ARGS: Final = Record({"canister_id": PrincipalType, "chunk": Blob})
INSTALL_CHUNKED_CODE_ARGS: Final = Record(
    {
        "mode": INSTALL_MODE,
        "target_canister": PrincipalType,
        "store_canister": Opt(PrincipalType),
        "chunk_hashes_list": Vec(CHUNK_HASH),
        "wasm_module_hash": Blob,
        "arg": Blob,
        "sender_canister_version": Opt(Nat64),
    }
)
UPDATE_SETTINGS_ARGS: Final = Record(
    {
        "canister_id": PrincipalType,
        "settings": CANISTER_SETTINGS,
        "sender_canister_version": Opt(Nat64),
    }
)
CANISTER_STATUS_RESULT: Final = Record(
    {
        "status": Variant({"running": Null, "stopping": Null, "stopped": Null}),
        "settings": DEFINITE_SETTINGS,
        "module_hash": Opt(Blob),
        "memory_size": Nat,
        "cycles": Nat,
        "reserved_cycles": Nat,
        "idle_cycles_burned_per_day": Nat,
        "query_stats": Record(
            {
                "num_calls_total": Nat,
                "num_instructions_total": Nat,
                "request_payload_bytes_total": Nat,
                "response_payload_bytes_total": Nat,
            }
        ),
    }
)
SIGNATURES: Final[dict[str, tuple[list[Any], list[Any]]]] = {
    "create_canister": ([CREATE_CANISTER_ARGS], [CANISTER_ID_RECORD]),
    "install_code": ([INSTALL_CODE_ARGS], []),
    "install_chunked_code": ([INSTALL_CHUNKED_CODE_ARGS], []),
    "upload_chunk": ([UPLOAD_CHUNK_ARGS], [CHUNK_HASH]),
    "clear_chunk_store": ([CANISTER_ID_RECORD], []),
    "stored_chunks": ([CANISTER_ID_RECORD], [Vec(CHUNK_HASH)]),
    "uninstall_code": ([CANISTER_ID_RECORD], []),
    "canister_status": ([CANISTER_ID_RECORD], [CANISTER_STATUS_RESULT]),
    "start_canister": ([CANISTER_ID_RECORD], []),
    "stop_canister": ([CANISTER_ID_RECORD], []),
    "delete_canister": ([CANISTER_ID_RECORD], []),
    "deposit_cycles": ([CANISTER_ID_RECORD], []),
    "update_settings": ([UPDATE_SETTINGS_ARGS], []),
    "raw_rand": ([], [Blob]),
    "provisional_top_up_canister": (
        [Record({"canister_id": PrincipalType, "amount": Nat})],
        [],
    ),
}
