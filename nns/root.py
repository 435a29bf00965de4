"""NNS root: the controller of the other NNS canisters (rs/nns/handlers/root).

Governance asks root to change an NNS canister (`change_nns_canister`, an
adopted InstallCode proposal), to stop or start one
(`stop_or_start_nns_canister`) or to change its settings
(`update_canister_settings`); root calls the management canister and answers
once it is done. Anyone may read an NNS canister's status through root
(`canister_status`). Only SNS-W may call `change_canister_controllers`
(rs/nns/handlers/root/impl/canister/canister.rs), so with no SNS-W running
every caller is refused, as the IC refuses anyone but SNS-W.

Root passes on what the management canister supports: the controllers of a
canister. A setting it cannot apply (allocations, freezing threshold, memory
limits, log visibility) is refused with an error naming it, never dropped;
`add_nns_canister` (no new NNS canisters) is not implemented.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from replica.candid.did import parse_did
from replica.canister.errors import CanisterError
from replica.canister.sdk import CanisterEnvironment, query, update
from replica.environment import DEFERRED, OutgoingCall, Reject
from replica.types import Principal

GOVERNANCE_CANISTER_ID: Final = Principal.from_canister_id(1)
SNS_WASM_CANISTER_ID: Final = Principal.from_canister_id(10)

ROOT_DID: Final = """
type CanisterSettings = record {
  freezing_threshold : opt nat; controllers : opt vec principal; reserved_cycles_limit : opt nat;
  log_visibility : opt variant { controllers; public }; wasm_memory_limit : opt nat;
    memory_allocation : opt nat;
  compute_allocation : opt nat; wasm_memory_threshold : opt nat;
};
type DefiniteCanisterSettings = record {
  freezing_threshold : opt nat; controllers : vec principal; reserved_cycles_limit : opt nat;
  log_visibility : opt variant { controllers; public; allowed_viewers : vec principal };
  wasm_memory_limit : opt nat; memory_allocation : opt nat; compute_allocation : opt nat;
    wasm_memory_threshold : opt nat;
};
type CanisterStatusResult = record {
  status : variant { stopped; stopping; running }; memory_size : nat; cycles : nat;
  settings : DefiniteCanisterSettings; idle_cycles_burned_per_day : nat; module_hash : opt blob;
  reserved_cycles : opt nat;
  query_stats : opt record {
    num_calls_total : opt nat; num_instructions_total : opt nat; request_payload_bytes_total : opt
      nat;
    response_payload_bytes_total : opt nat;
  };
};
type Error = record { code : opt int32; description : text };
type ChangeCanisterRequest = record {
  arg : blob; wasm_module : blob; stop_before_installing : opt bool; mode : variant { reinstall;
    upgrade; install };
  canister_id : principal; memory_allocation : opt nat; compute_allocation : opt nat;
  chunked_canister_wasm : opt record { wasm_module_hash : blob; store_canister_id : principal;
    chunk_hashes_list : vec blob };
};
service : {
  canister_status : (record { canister_id : principal }) -> (CanisterStatusResult);
  change_canister_controllers : (record { target_canister_id : principal; new_controllers : vec
    principal }) ->
    (record { change_canister_controllers_result : variant { Ok; Err : Error } });
  change_nns_canister : (ChangeCanisterRequest) -> ();
  get_build_metadata : () -> (text) query;
  stop_or_start_nns_canister : (record { action : variant { Start; Stop }; canister_id : principal
    }) -> ();
  update_canister_settings : (record { canister_id : principal; settings : CanisterSettings }) ->
    (variant { Ok; Err : Error });
}
"""

ROOT_INTERFACE: Final = parse_did(ROOT_DID)
CHANGE_CANISTER_REQUEST: Final = ROOT_INTERFACE.method("change_nns_canister").arguments[0]


def _signature(method: str) -> dict[str, Any]:
    function = ROOT_INTERFACE.method(method)
    return {"args": function.arguments, "results": function.results}


def _message(answer: object) -> str:
    return answer.message if isinstance(answer, Reject) else str(answer)


def _unsupported(settings: Mapping[str, Any], supported: frozenset[str]) -> list[str]:
    return sorted(
        name for name, value in settings.items() if value is not None and name not in supported
    )


class Root:
    def __init__(self, environment: CanisterEnvironment, path: str | None, init: Any) -> None:
        self.environment = environment

    def _require_governance(self, caller: Principal) -> None:
        if caller != GOVERNANCE_CANISTER_ID:
            raise CanisterError(f"only NNS governance may call this method, not {caller}")

    def _manage(
        self,
        method: str,
        argument: object,
        on_reply: str,
        on_reject: str,
        context: Mapping[str, Any],
    ) -> object:
        self.environment.call(
            OutgoingCall(
                callee=Principal.management_canister(),
                method=method,
                argument=argument,
                on_reply=on_reply,
                on_reject=on_reject,
                context=dict(context),
            )
        )
        return DEFERRED

    # -- installing code ----------------------------------------------------------------------

    @update(**_signature("change_nns_canister"))
    def change_nns_canister(self, caller: Principal, request: dict[str, Any]) -> object:
        self._require_governance(caller)
        unsupported = _unsupported(
            {
                name: request.get(name)
                for name in ("memory_allocation", "compute_allocation", "chunked_canister_wasm")
            },
            frozenset(),
        )
        if unsupported:
            raise CanisterError(
                f"root cannot apply {', '.join(unsupported)}: icbox canisters have no such settings"
            )
        # stop_before_installing needs no action: installing a system canister is one atomic step
        # here.
        ((mode, _),) = request["mode"].items()
        return self._manage(
            "install_code",
            {
                "mode": {mode: None},
                "canister_id": request["canister_id"],
                "wasm_module": request["wasm_module"],
                "arg": request["arg"],
            },
            "_installed",
            "_failed",
            {},
        )

    def _installed(self, context: Mapping[str, object], answer: object) -> None:
        return None

    def _failed(self, context: Mapping[str, object], answer: object) -> None:
        raise CanisterError(f"installing failed: {_message(answer)}")

    # -- status, settings, start and stop -----------------------------------------------------

    @update(**_signature("canister_status"))
    def canister_status(self, caller: Principal, request: dict[str, Any]) -> object:
        return self._manage(
            "canister_status",
            {"canister_id": request["canister_id"]},
            "_on_status",
            "_failed_status",
            {},
        )

    def _on_status(
        self, context: Mapping[str, object], status: Mapping[str, Any]
    ) -> dict[str, Any]:
        return {
            "status": status["status"],
            "memory_size": status["memory_size"],
            "cycles": status["cycles"],
            "settings": {
                "controllers": list(status["settings"]["controllers"]),
                "freezing_threshold": None,
                "reserved_cycles_limit": None,
                "log_visibility": None,
                "wasm_memory_limit": None,
                "memory_allocation": None,
                "compute_allocation": None,
                "wasm_memory_threshold": None,
            },
            "idle_cycles_burned_per_day": 0,
            "module_hash": status["module_hash"],
            "reserved_cycles": None,
            "query_stats": None,
        }

    def _failed_status(self, context: Mapping[str, object], answer: object) -> None:
        raise CanisterError(f"canister_status failed: {_message(answer)}")

    @update(**_signature("update_canister_settings"))
    def update_canister_settings(self, caller: Principal, request: dict[str, Any]) -> object:
        self._require_governance(caller)
        settings = request["settings"]
        unsupported = _unsupported(settings, frozenset({"controllers"}))
        if unsupported:
            return {
                "Err": {
                    "code": None,
                    "description": f"icbox canisters have no {', '.join(unsupported)} setting",
                }
            }
        return self._manage(
            "update_settings",
            {
                "canister_id": request["canister_id"],
                "settings": {"controllers": settings["controllers"]},
            },
            "_on_settings_updated",
            "_on_settings_failed",
            {},
        )

    def _on_settings_updated(self, context: Mapping[str, object], answer: object) -> dict[str, Any]:
        return {"Ok": None}

    def _on_settings_failed(self, context: Mapping[str, object], answer: object) -> dict[str, Any]:
        code = int(answer.code) if isinstance(answer, Reject) else None
        return {"Err": {"code": code, "description": _message(answer)}}

    @update(**_signature("stop_or_start_nns_canister"))
    def stop_or_start_nns_canister(self, caller: Principal, request: dict[str, Any]) -> object:
        self._require_governance(caller)
        ((action, _),) = request["action"].items()
        method = "stop_canister" if action == "Stop" else "start_canister"
        return self._manage(
            method,
            {"canister_id": request["canister_id"]},
            "_installed",
            "_failed_action",
            {"action": action},
        )

    def _failed_action(self, context: Mapping[str, Any], answer: object) -> None:
        raise CanisterError(f"{context['action']} failed: {_message(answer)}")

    # -- controllers (SNS-W only) -------------------------------------------------------------

    @update(**_signature("change_canister_controllers"))
    def change_canister_controllers(self, caller: Principal, request: dict[str, Any]) -> object:
        if caller != SNS_WASM_CANISTER_ID:
            return {
                "change_canister_controllers_result": {
                    "Err": {
                        "code": None,
                        "description": (
                            "only the SNS-W canister may change controllers through root, "
                            f"not {caller}"
                        ),
                    }
                }
            }
        return self._manage(
            "update_settings",
            {
                "canister_id": request["target_canister_id"],
                "settings": {"controllers": list(request["new_controllers"])},
            },
            "_on_controllers_changed",
            "_on_controllers_failed",
            {},
        )

    def _on_controllers_changed(
        self, context: Mapping[str, object], answer: object
    ) -> dict[str, Any]:
        return {"change_canister_controllers_result": {"Ok": None}}

    def _on_controllers_failed(
        self, context: Mapping[str, object], answer: object
    ) -> dict[str, Any]:
        return {"change_canister_controllers_result": self._on_settings_failed(context, answer)}

    @query(**_signature("get_build_metadata"))
    def get_build_metadata(self, caller: Principal, argument: object = None) -> str:
        return "icbox NNS root"
