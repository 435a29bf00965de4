"""SNS root: the controller of an SNS's ledger, index and dapp canisters.

Governance controls root and root controls the rest, so every change to a dapp
passes an SNS proposal (spec sns.md §1.1). Root upgrades a canister when SNS
governance asks (`change_canister`, after an adopted
UpgradeSnsControlledCanister), registers dapp canisters it already controls
(`register_dapp_canisters`), hands dapps to new controllers when the swap or
governance asks (`set_dapp_controllers`: SNS root alone on commit, the fallback
controllers on abort, §2.5), lists its canisters and reports their status
(`get_sns_canisters_summary`). Source: dfinity/ic rs/sns/root/src/lib.rs and
rs/sns/root/canister/root.did.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from replica.candid.did import parse_did
from replica.canister.errors import CanisterError
from replica.canister.sdk import CanisterEnvironment, query, update
from replica.environment import DEFERRED, OutgoingCall, Reject
from replica.types import Principal
from sns.canister_status import CANISTER_STATUS_DID

ROOT_DID: Final = (
    CANISTER_STATUS_DID
    + """
type CanisterSummary = record { status : opt CanisterStatusResultV2; canister_id : opt principal };
type ChangeCanisterRequest = record {
  arg : blob; wasm_module : blob; stop_before_installing : bool;
  mode : variant { reinstall; upgrade; install }; canister_id : principal;
  memory_allocation : opt nat; compute_allocation : opt nat;
  chunked_canister_wasm : opt record { wasm_module_hash : blob; store_canister_id : principal;
    chunk_hashes_list : vec blob };
};
type CanisterCallError = record { code : opt int32; description : text };
type DefiniteCanisterSettings = record {
  freezing_threshold : opt nat; controllers : vec principal; memory_allocation : opt nat;
  compute_allocation : opt nat;
};
type CanisterStatusResult = record {
  status : CanisterStatusType; memory_size : nat; cycles : nat; settings :
    DefiniteCanisterSettings;
  idle_cycles_burned_per_day : opt nat; module_hash : opt blob;
};
service : {
  canister_status : (record { canister_id : principal }) -> (CanisterStatusResult);
  change_canister : (ChangeCanisterRequest) -> ();
  register_dapp_canisters : (record { canister_ids : vec principal }) -> (record {});
  register_dapp_canister : (record { canister_id : opt principal }) -> (record {});
  set_dapp_controllers : (record { canister_ids : opt record { canister_ids : vec principal };
    controller_principal_ids : vec principal }) ->
    (record { failed_updates : vec record { err : opt CanisterCallError; dapp_canister_id : opt
      principal } });
  list_sns_canisters : (record {}) -> (record {
    root : opt principal; swap : opt principal; ledger : opt principal; index : opt principal;
    governance : opt principal; dapps : vec principal; archives : vec principal }) query;
  get_sns_canisters_summary : (record { update_canister_list : opt bool }) -> (record {
    root : opt CanisterSummary; swap : opt CanisterSummary; ledger : opt CanisterSummary;
    index : opt CanisterSummary; governance : opt CanisterSummary; dapps : vec CanisterSummary;
    archives : vec CanisterSummary });
}
"""
)

ROOT_INTERFACE: Final = parse_did(ROOT_DID)
SUMMARY_ROLES: Final = ("root", "governance", "ledger", "index", "swap")


def _signature(method: str) -> dict[str, Any]:
    function = ROOT_INTERFACE.method(method)
    return {"args": function.arguments, "results": function.results}


def _message(answer: object) -> str:
    return answer.message if isinstance(answer, Reject) else str(answer)


def status_result(status: Mapping[str, Any]) -> dict[str, Any]:
    """The management canister's `canister_status` as `CanisterStatusResultV2` of the SNS
    .did files."""
    settings = status["settings"]
    return {
        "status": status["status"],
        "memory_size": status.get("memory_size", 0),
        "cycles": status.get("cycles", 0),
        "settings": {
            "controllers": list(settings["controllers"]),
            "freezing_threshold": settings.get("freezing_threshold") or 0,
            "memory_allocation": settings.get("memory_allocation") or 0,
            "compute_allocation": settings.get("compute_allocation") or 0,
        },
        "idle_cycles_burned_per_day": status.get("idle_cycles_burned_per_day") or 0,
        "module_hash": status.get("module_hash"),
    }


class SnsRoot:
    def __init__(self, environment: CanisterEnvironment, path: str | None, init: Any) -> None:
        self.environment = environment
        self.governance_id: Principal = init["governance_id"]
        self.ledger_id: Principal = init["ledger_id"]
        self.index_id: Principal = init["index_id"]
        self.swap_id: Principal = init["swap_id"]
        self.dapps: list[Principal] = list(init.get("dapp_canisters", []))

    def _manage(
        self, method: str, argument: object, on_reply: str, on_reject: str, context: object
    ) -> None:
        self.environment.call(
            OutgoingCall(
                callee=Principal.management_canister(),
                method=method,
                argument=argument,
                on_reply=on_reply,
                on_reject=on_reject,
                context=context,
            )
        )

    def _require(self, caller: Principal, *allowed: Principal) -> None:
        if caller not in allowed:
            raise CanisterError(f"caller {caller} is not authorized to call this SNS root method")

    # -- upgrades (governance only) -----------------------------------------------------------

    @update(**_signature("change_canister"))
    def change_canister(self, caller: Principal, request: Mapping[str, Any]) -> object:
        self._require(caller, self.governance_id)
        target = request["canister_id"]
        if target not in (*self.dapps, self.ledger_id, self.index_id):
            raise CanisterError(f"canister {target} is not controlled by this SNS root")
        ((mode, _),) = request["mode"].items()
        self._manage(
            "install_code",
            {
                "mode": {mode: None},
                "canister_id": target,
                "wasm_module": request["wasm_module"],
                "arg": request["arg"],
            },
            "_on_installed",
            "_on_install_failed",
            {},
        )
        return DEFERRED

    def _on_installed(self, context: object, answer: object) -> None:
        return None

    def _on_install_failed(self, context: object, answer: object) -> None:
        raise CanisterError(f"installing failed: {_message(answer)}")

    # -- dapp canisters -----------------------------------------------------------------------

    @update(**_signature("register_dapp_canisters"))
    def register_dapp_canisters(self, caller: Principal, request: Mapping[str, Any]) -> object:
        """Root must already control each canister (checked through its status)."""
        self._require(caller, self.governance_id)
        pending = [c for c in request["canister_ids"] if c not in self.dapps]
        return self._register_next({"pending": pending})

    @update(**_signature("register_dapp_canister"))
    def register_dapp_canister(self, caller: Principal, request: Mapping[str, Any]) -> object:
        """The one-canister form of `register_dapp_canisters` (root.did)."""
        canister_id = request["canister_id"]
        if canister_id is None:
            raise CanisterError("register_dapp_canister needs a canister_id")
        return self.register_dapp_canisters(caller, {"canister_ids": [canister_id]})

    def _register_next(self, context: Mapping[str, Any]) -> object:
        pending = list(context["pending"])
        if not pending:
            return {}
        self._manage(
            "canister_status",
            {"canister_id": pending[0]},
            "_on_register_status",
            "_on_register_failed",
            {"pending": pending},
        )
        return DEFERRED

    def _on_register_status(self, context: Mapping[str, Any], status: Mapping[str, Any]) -> object:
        pending = list(context["pending"])
        self.dapps.append(pending[0])
        return self._register_next({"pending": pending[1:]})

    def _on_register_failed(self, context: Mapping[str, Any], answer: object) -> None:
        raise CanisterError(
            f"SNS root does not control canister {context['pending'][0]}: {_message(answer)}"
        )

    @update(**_signature("set_dapp_controllers"))
    def set_dapp_controllers(self, caller: Principal, request: Mapping[str, Any]) -> object:
        """Give the dapps (all, or the ones named) to new controllers; one that root no longer
        controls stops being a dapp of this SNS."""
        self._require(caller, self.governance_id, self.swap_id)
        named = request["canister_ids"]
        targets = list(self.dapps) if named is None else list(named["canister_ids"])
        unknown = [c for c in targets if c not in self.dapps]
        if unknown:
            raise CanisterError(f"canisters {unknown} are not dapp canisters of this SNS")
        return self._set_next(
            {
                "pending": targets,
                "controllers": list(request["controller_principal_ids"]),
                "failed": [],
            }
        )

    def _set_next(self, context: Mapping[str, Any]) -> object:
        pending = list(context["pending"])
        if not pending:
            return {"failed_updates": list(context["failed"])}
        self._manage(
            "update_settings",
            {"canister_id": pending[0], "settings": {"controllers": list(context["controllers"])}},
            "_on_controllers_set",
            "_on_controllers_failed",
            dict(context),
        )
        return DEFERRED

    def _on_controllers_set(self, context: Mapping[str, Any], answer: object) -> object:
        pending = list(context["pending"])
        if self.environment.canister_id not in context["controllers"] and pending[0] in self.dapps:
            self.dapps.remove(pending[0])
        return self._set_next({**context, "pending": pending[1:]})

    def _on_controllers_failed(self, context: Mapping[str, Any], answer: object) -> object:
        pending = list(context["pending"])
        failure = {
            "err": {"code": None, "description": _message(answer)},
            "dapp_canister_id": pending[0],
        }
        return self._set_next(
            {**context, "pending": pending[1:], "failed": [*context["failed"], failure]}
        )

    # -- reads --------------------------------------------------------------------------------

    @query(**_signature("list_sns_canisters"))
    def list_sns_canisters(self, caller: Principal, argument: object = None) -> dict[str, Any]:
        return {
            "root": self.environment.canister_id,
            "governance": self.governance_id,
            "ledger": self.ledger_id,
            "index": self.index_id,
            "swap": self.swap_id,
            "dapps": list(self.dapps),
            "archives": [],
        }

    @update(**_signature("canister_status"))
    def canister_status(self, caller: Principal, request: Mapping[str, Any]) -> object:
        """The status of a canister root controls, asked of the management canister on the
        caller's behalf (rs/sns/root/canister/canister.rs `canister_status`)."""
        self._manage(
            "canister_status",
            {"canister_id": request["canister_id"]},
            "_on_canister_status",
            "_on_canister_status_failed",
            {},
        )
        return DEFERRED

    def _on_canister_status(self, context: object, status: Mapping[str, Any]) -> dict[str, Any]:
        result = status_result(status)
        return {**result, "settings": dict(result["settings"])}

    def _on_canister_status_failed(self, context: object, answer: object) -> None:
        raise CanisterError(f"The management canister refused canister_status: {_message(answer)}")

    @update(**_signature("get_sns_canisters_summary"))
    def get_sns_canisters_summary(self, caller: Principal, request: object = None) -> object:
        """The status of each canister root controls, asked of the management canister in turn;
        a canister root does not control (the swap, root itself) is listed without a status."""
        order = [self.governance_id, self.ledger_id, self.index_id, *self.dapps]
        return self._summarize({"pending": order, "done": []})

    def _summarize(self, context: Mapping[str, Any]) -> object:
        pending = list(context["pending"])
        if pending:
            self._manage(
                "canister_status",
                {"canister_id": pending[0]},
                "_on_summary_status",
                "_on_summary_failed",
                dict(context),
            )
            return DEFERRED
        statuses = dict(context["done"])

        def summary(canister_id: Principal) -> dict[str, Any]:
            return {"canister_id": canister_id, "status": statuses.get(canister_id)}

        return {
            "root": summary(self.environment.canister_id),
            "governance": summary(self.governance_id),
            "ledger": summary(self.ledger_id),
            "index": summary(self.index_id),
            "swap": summary(self.swap_id),
            "dapps": [summary(d) for d in self.dapps],
            "archives": [],
        }

    def _on_summary_status(self, context: Mapping[str, Any], status: Mapping[str, Any]) -> object:
        pending = list(context["pending"])
        entry = status_result(status)
        return self._summarize(
            {"pending": pending[1:], "done": [*context["done"], (pending[0], entry)]}
        )

    def _on_summary_failed(self, context: Mapping[str, Any], answer: object) -> object:
        return self._summarize({"pending": list(context["pending"])[1:], "done": context["done"]})
