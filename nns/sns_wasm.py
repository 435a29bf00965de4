"""SNS-W: the NNS canister that blesses SNS versions and deploys SNSs (spec sns.md §1.2).

It lives at the mainnet id `qaa6y-5yaaa-aaaaa-aaafa-cai` (NNS canister index 10).
The blessed "wasms" are icbox's Python SNS canisters, named `icbox:<name>`
and keyed by the SHA-256 of that name; an SNS version is the tuple of the
hashes of root, governance, ledger, swap, archive and index. Only NNS
governance may call `deploy_new_sns` (as it does while executing an adopted
CreateServiceNervousSystem proposal) or `add_wasm`. A deployment creates the
five canisters, installs them, wires their controllers (governance controls
root; root controls governance, ledger and index; NNS root controls the swap)
and moves each dapp canister under SNS root, NNS root staying co-controller
while the swap runs (§2.5), through NNS root's `change_canister_controllers`.
Source: dfinity/ic rs/nns/sns-wasm/src/sns_wasm.rs and canister/sns-wasm.did.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any, Final

from replica.candid import encode
from replica.candid.did import parse_did
from replica.candid.types import Blob
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID, LEDGER_CANISTER_ID, ROOT_CANISTER_ID
from replica.canister.sdk import CanisterEnvironment, query, update
from replica.environment import DEFERRED, OutgoingCall, Reject
from replica.types import Principal
from sns.governance.core import treasury_subaccount
from sns.governance.neuron import staking_subaccount
from sns.init import SnsInitPayload
from sns.wire import encode_init

SNS_WASM_CANISTER_ID: Final = Principal.from_canister_id(10)
CANISTER_TYPES: Final = {
    1: "sns-root",
    2: "sns-governance",
    3: "sns-ledger",
    4: "sns-swap",
    6: "sns-index",
}
ROLES: Final = ("root", "governance", "ledger", "swap", "index")

SNS_WASM_DID: Final = """
type SnsWasm = record { wasm : blob; proposal_id : opt nat64; canister_type : int32 };
type SnsWasmError = record { message : text };
type SnsCanisterIds = record {
  root : opt principal; swap : opt principal; ledger : opt principal; index : opt principal;
    governance : opt principal };
type DeployedSns = record {
  root_canister_id : opt principal; governance_canister_id : opt principal; index_canister_id :
    opt principal;
  swap_canister_id : opt principal; ledger_canister_id : opt principal };
type SnsVersion = record {
  archive_wasm_hash : blob; root_wasm_hash : blob; swap_wasm_hash : blob; ledger_wasm_hash : blob;
  governance_wasm_hash : blob; index_wasm_hash : blob };
service : {
  add_wasm : (record { hash : blob; wasm : opt SnsWasm; skip_update_latest_version : opt bool }) ->
    (record { result : opt variant { Error : SnsWasmError; Hash : blob } });
  deploy_new_sns : (record { sns_init_payload : opt record {} }) -> (record {
    dapp_canisters_transfer_result : opt record {
      restored_dapp_canisters : vec record { id : opt principal };
      nns_controlled_dapp_canisters : vec record { id : opt principal };
      sns_controlled_dapp_canisters : vec record { id : opt principal } };
    subnet_id : opt principal; error : opt SnsWasmError; canisters : opt SnsCanisterIds });
  list_deployed_snses : (record {}) -> (record { instances : vec DeployedSns }) query;
  get_deployed_sns_by_proposal_id : (record { proposal_id : nat64 }) -> (record {
    get_deployed_sns_by_proposal_id_result : opt variant { Error : SnsWasmError; DeployedSns :
      DeployedSns } }) query;
  get_latest_sns_version_pretty : (null) -> (vec record { text; text }) query;
  get_next_sns_version : (record { governance_canister_id : opt principal; current_version : opt
    SnsVersion }) ->
    (record { next_version : opt SnsVersion }) query;
  get_sns_subnet_ids : (record {}) -> (record { sns_subnet_ids : vec principal }) query;
}
"""

SNS_WASM_INTERFACE: Final = parse_did(SNS_WASM_DID)


def _signature(method: str) -> dict[str, Any]:
    function = SNS_WASM_INTERFACE.method(method)
    return {"args": function.arguments, "results": function.results}


def module_of(name: str) -> bytes:
    return f"icbox:{name}".encode()


def hash_of(name: str) -> bytes:
    return hashlib.sha256(module_of(name)).digest()


def _message(answer: object) -> str:
    return answer.message if isinstance(answer, Reject) else str(answer)


def init_arguments(
    payload: SnsInitPayload, ids: Mapping[str, Principal], icp_ledger_id: Principal
) -> dict[str, dict[str, Any]]:
    """The init blob of each SNS canister, derived from the post-execution payload."""
    governance = ids["governance"]
    parameters = {
        f.name: getattr(payload.parameters, f.name)
        for f in fields(payload.parameters)
        if f.name
        not in (
            "voting_rewards_parameters",
            "neuron_claimer_permissions",
            "neuron_grantable_permissions",
            "default_followees",
        )
    }
    parameters["voting_rewards_parameters"] = asdict(payload.parameters.voting_rewards_parameters)
    balances: list[tuple[Principal, bytes | None, int]] = [
        (governance, staking_subaccount(n.controller, n.memo), n.stake_e8s)
        for n in payload.developer_neurons
    ]
    balances.append((governance, treasury_subaccount(governance), payload.treasury_e8s))
    balances.append((ids["swap"], None, payload.swap_e8s))
    constraints = payload.neurons_fund_constraints
    dapps = [d for d in payload.dapp_canisters if d is not None]
    return {
        "root": {
            "governance_id": governance,
            "ledger_id": ids["ledger"],
            "index_id": ids["index"],
            "swap_id": ids["swap"],
            "dapp_canisters": dapps,
        },
        "governance": {
            "ledger_id": ids["ledger"],
            "root_id": ids["root"],
            "swap_id": ids["swap"],
            "icp_ledger_id": icp_ledger_id,
            "parameters": parameters,
            "mode": 2,
            "metadata": {
                "name": payload.name or "",
                "description": payload.description or "",
                "url": payload.url or "",
                "logo": payload.logo,
            },
            "dapp_canisters": dapps,
            "developer_neurons": [
                {
                    "controller": n.controller,
                    "memo": n.memo,
                    "stake_e8s": n.stake_e8s,
                    "dissolve_delay_seconds": n.dissolve_delay_seconds,
                    "vesting_period_seconds": n.vesting_period_seconds,
                }
                for n in payload.developer_neurons
            ],
        },
        "ledger": {
            "token_name": payload.token_name,
            "token_symbol": payload.token_symbol,
            "transfer_fee_e8s": payload.transaction_fee_e8s,
            "minting_account": governance,
            "initial_balances": balances,
            "token_logo": payload.token_logo,
            "index_id": ids["index"],
        },
        "swap": {
            "min_participants": payload.min_participants,
            "min_direct_participation_icp_e8s": payload.min_direct_participation_icp_e8s,
            "max_direct_participation_icp_e8s": payload.max_direct_participation_icp_e8s,
            "min_participant_icp_e8s": payload.min_participant_icp_e8s,
            "max_participant_icp_e8s": payload.max_participant_icp_e8s,
            "sns_token_e8s": payload.swap_e8s,
            "swap_start_timestamp_seconds": payload.swap_start_timestamp_seconds,
            "swap_due_timestamp_seconds": payload.swap_due_timestamp_seconds,
            "basket_count": payload.basket_count,
            "basket_dissolve_delay_interval_seconds": (
                payload.basket_dissolve_delay_interval_seconds
            ),
            "sns_transaction_fee_e8s": payload.transaction_fee_e8s,
            "confirmation_text": payload.confirmation_text,
            "neurons_fund_participation": payload.neurons_fund_participation,
            "neurons_fund_constraints": None
            if constraints is None
            else {
                "min_direct_participation_threshold_icp_e8s": (
                    constraints.min_direct_participation_threshold_icp_e8s
                ),
                "max_neurons_fund_participation_icp_e8s": (
                    constraints.max_neurons_fund_participation_icp_e8s
                ),
                "matching": asdict(constraints.matching),
            },
            "nns_proposal_id": payload.nns_proposal_id,
            "nns_governance_id": GOVERNANCE_CANISTER_ID,
            "sns_governance_id": governance,
            "sns_ledger_id": ids["ledger"],
            "icp_ledger_id": icp_ledger_id,
            "sns_root_id": ids["root"],
            "fallback_controller_principal_ids": list(payload.fallback_controller_principal_ids),
            "should_auto_finalize": True,
        },
        "index": {"ledger_id": ids["ledger"]},
    }


class SnsWasm:
    def __init__(self, environment: CanisterEnvironment, path: str | None, init: Any) -> None:
        self.environment = environment
        self.wasms: dict[bytes, str] = {hash_of(name): name for name in CANISTER_TYPES.values()}
        self.versions: list[dict[str, bytes]] = [self._version()]
        self.deployed: list[tuple[int | None, dict[str, Principal]]] = []
        self.subnet_ids: list[Principal] = []

    def _version(self) -> dict[str, bytes]:
        by_name = {name: h for h, name in self.wasms.items()}
        return {
            "root_wasm_hash": by_name.get("sns-root", b""),
            "governance_wasm_hash": by_name.get("sns-governance", b""),
            "ledger_wasm_hash": by_name.get("sns-ledger", b""),
            "swap_wasm_hash": by_name.get("sns-swap", b""),
            "archive_wasm_hash": b"",
            "index_wasm_hash": by_name.get("sns-index", b""),
        }

    def _call(
        self, callee: Principal, method: str, argument: object, context: Mapping[str, Any]
    ) -> None:
        self.environment.call(
            OutgoingCall(
                callee=callee,
                method=method,
                argument=argument,
                on_reply="_on_deploy_step",
                on_reject="_on_deploy_failed",
                context=dict(context),
            )
        )

    # -- blessing -----------------------------------------------------------------------------

    @update(**_signature("add_wasm"))
    def add_wasm(self, caller: Principal, request: Mapping[str, Any]) -> dict[str, Any]:
        if caller != GOVERNANCE_CANISTER_ID:
            return {"result": {"Error": {"message": "Only NNS governance may add wasms to SNS-W."}}}
        wasm = request["wasm"]
        if wasm is None:
            return {"result": {"Error": {"message": "No wasm given."}}}
        module = bytes(wasm["wasm"])
        if hashlib.sha256(module).digest() != bytes(request["hash"]):
            return {"result": {"Error": {"message": "The hash does not match the wasm."}}}
        name = CANISTER_TYPES.get(wasm["canister_type"])
        if name is None or module != module_of(name):
            return {"result": {"Error": {"message": "Not an icbox SNS canister of that type."}}}
        self.wasms[bytes(request["hash"])] = name
        return {"result": {"Hash": bytes(request["hash"])}}

    # -- deployment ---------------------------------------------------------------------------

    @update(**_signature("deploy_new_sns"))
    def deploy_new_sns(self, caller: Principal, request: Mapping[str, Any]) -> object:
        if caller != GOVERNANCE_CANISTER_ID:
            return self._deploy_error(
                f"Only the NNS governance may deploy a new SNS; {caller} is not allowed."
            )
        payload = request.get("sns_init_payload")
        if not isinstance(payload, SnsInitPayload):
            return self._deploy_error("The SNS init payload is missing.")
        return self._create({"payload": payload, "ids": {}, "pending": list(ROLES)})

    def _deploy_error(
        self, message: str, ids: Mapping[str, Principal] | None = None
    ) -> dict[str, Any]:
        return {
            "dapp_canisters_transfer_result": None,
            "subnet_id": None,
            "error": {"message": message},
            "canisters": None if ids is None else {role: ids.get(role) for role in ROLES},
        }

    def _create(self, context: Mapping[str, Any]) -> object:
        self._call(
            Principal.management_canister(),
            "create_canister",
            {"settings": {"controllers": [self.environment.canister_id]}},
            {**context, "step": "create"},
        )
        return DEFERRED

    def _on_deploy_step(self, context: Mapping[str, Any], reply: Any) -> object:
        step = context["step"]
        ids = dict(context["ids"])
        pending = list(context["pending"])
        payload: SnsInitPayload = context["payload"]
        if step == "create":
            ids[pending.pop(0)] = reply["canister_id"]
            if pending:
                return self._create({"payload": payload, "ids": ids, "pending": pending})
            pending = list(ROLES)
        elif step == "install":
            pending.pop(0)
        if step in ("create", "install") and pending:
            role = pending[0]
            argument = init_arguments(payload, ids, LEDGER_CANISTER_ID)[role]
            self._call(
                Principal.management_canister(),
                "install_code",
                {
                    "mode": {"install": None},
                    "canister_id": ids[role],
                    "wasm_module": module_of(f"sns-{role}"),
                    "arg": encode([Blob], [encode_init(argument)]),
                },
                {"payload": payload, "ids": ids, "pending": pending, "step": "install"},
            )
            return DEFERRED
        if step == "install":
            pending = list(ROLES)
        elif step == "controllers":
            pending.pop(0)
        if step in ("install", "controllers") and pending:
            role = pending[0]
            controllers = {
                "root": [ids["governance"]],
                "governance": [ids["root"]],
                "ledger": [ids["root"]],
                "index": [ids["root"]],
                "swap": [ROOT_CANISTER_ID, self.environment.canister_id],
            }[role]
            self._call(
                Principal.management_canister(),
                "update_settings",
                {"canister_id": ids[role], "settings": {"controllers": controllers}},
                {"payload": payload, "ids": ids, "pending": pending, "step": "controllers"},
            )
            return DEFERRED
        dapps = [d for d in payload.dapp_canisters if d is not None]
        if step == "controllers":
            pending = dapps
        elif step == "dapp":
            result = (
                reply.get("change_canister_controllers_result", {})
                if isinstance(reply, Mapping)
                else {}
            )
            if "Err" in result:
                return self._deploy_error(
                    f"Moving dapp canister {pending[0]} under SNS root failed: "
                    f"{result['Err'].get('description')}",
                    ids,
                )
            pending.pop(0)
        if pending:
            self._call(
                ROOT_CANISTER_ID,
                "change_canister_controllers",
                {
                    "target_canister_id": pending[0],
                    "new_controllers": [ids["root"], ROOT_CANISTER_ID],
                },
                {"payload": payload, "ids": ids, "pending": pending, "step": "dapp"},
            )
            return DEFERRED
        self.deployed.append((payload.nns_proposal_id, ids))
        return {
            "dapp_canisters_transfer_result": {
                "restored_dapp_canisters": [],
                "nns_controlled_dapp_canisters": [],
                "sns_controlled_dapp_canisters": [{"id": d} for d in dapps],
            },
            "subnet_id": None,
            "error": None,
            "canisters": {role: ids[role] for role in ROLES},
        }

    def _on_deploy_failed(self, context: Mapping[str, Any], answer: object) -> dict[str, Any]:
        return self._deploy_error(f"{context['step']} failed: {_message(answer)}", context["ids"])

    # -- reads --------------------------------------------------------------------------------

    @staticmethod
    def _deployed(ids: Mapping[str, Principal]) -> dict[str, Any]:
        return {f"{role}_canister_id": ids[role] for role in ROLES}

    @query(**_signature("list_deployed_snses"))
    def list_deployed_snses(self, caller: Principal, argument: object = None) -> dict[str, Any]:
        return {"instances": [self._deployed(ids) for _, ids in self.deployed]}

    @query(**_signature("get_deployed_sns_by_proposal_id"))
    def get_deployed_sns_by_proposal_id(
        self, caller: Principal, request: Mapping[str, Any]
    ) -> dict[str, Any]:
        for proposal_id, ids in self.deployed:
            if proposal_id == request["proposal_id"]:
                return {
                    "get_deployed_sns_by_proposal_id_result": {"DeployedSns": self._deployed(ids)}
                }
        return {
            "get_deployed_sns_by_proposal_id_result": {
                "Error": {"message": f"No SNS was deployed by proposal {request['proposal_id']}."}
            }
        }

    @query(**_signature("get_latest_sns_version_pretty"))
    def get_latest_sns_version_pretty(
        self, caller: Principal, argument: object = None
    ) -> list[dict[str, str]]:
        version = self.versions[-1]
        names = {
            "root_wasm_hash": "Root",
            "governance_wasm_hash": "Governance",
            "ledger_wasm_hash": "Ledger",
            "swap_wasm_hash": "Swap",
            "archive_wasm_hash": "Ledger Archive",
            "index_wasm_hash": "Ledger Index",
        }
        return [{"0": names[key], "1": value.hex()} for key, value in version.items()]

    @query(**_signature("get_next_sns_version"))
    def get_next_sns_version(self, caller: Principal, request: Mapping[str, Any]) -> dict[str, Any]:
        current = request["current_version"]
        for index, version in enumerate(self.versions[:-1]):
            if current is not None and {k: bytes(v) for k, v in current.items()} == version:
                return {"next_version": self.versions[index + 1]}
        return {"next_version": None}

    @query(**_signature("get_sns_subnet_ids"))
    def get_sns_subnet_ids(self, caller: Principal, argument: object = None) -> dict[str, Any]:
        return {"sns_subnet_ids": list(self.subnet_ids)}
