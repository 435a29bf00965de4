"""NNS root and a minimal cycles-minting canister.

Root controls the other NNS canisters: governance asks it to change one
(`change_nns_canister`) and it calls the management canister's install_code,
answering governance once the installation is done. The cycles-minting
canister here only answers the ICP/XDR rate and the maturity modulation, at
fixed values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from replica.candid.types import (
    Bool,
    Int32,
    Nat8,
    Nat64,
    Null,
    Opt,
    PrincipalType,
    Record,
    Text,
    Variant,
    Vec,
)
from replica.canister.errors import CanisterError
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID
from replica.canister.sdk import CanisterEnvironment, query, update
from replica.environment import DEFERRED, OutgoingCall, Reject
from replica.types import Principal

CHANGE_CANISTER_REQUEST: Final = Record(
    {
        "canister_id": PrincipalType,
        "mode": Variant({"install": Null, "reinstall": Null, "upgrade": Null}),
        "wasm_module": Vec(Nat8),
        "arg": Vec(Nat8),
        "stop_before_installing": Opt(Bool),
    }
)


class Root:
    def __init__(self, environment: CanisterEnvironment, path: str | None, init: Any) -> None:
        self.environment = environment

    @update(args=[CHANGE_CANISTER_REQUEST], results=[])
    def change_nns_canister(self, caller: Principal, request: dict[str, Any]) -> object:
        if caller != GOVERNANCE_CANISTER_ID:
            raise CanisterError("only NNS governance may change NNS canisters")
        ((mode, _),) = request["mode"].items()
        self.environment.call(
            OutgoingCall(
                callee=Principal.management_canister(),
                method="install_code",
                argument={"mode": {mode: None}, "canister_id": request["canister_id"],
                          "wasm_module": request["wasm_module"], "arg": request["arg"]},
                on_reply="_installed", on_reject="_failed", context={},
            )
        )
        return DEFERRED

    def _installed(self, context: Mapping[str, object], answer: object) -> None:
        return None

    def _failed(self, context: Mapping[str, object], answer: object) -> None:
        message = answer.message if isinstance(answer, Reject) else str(answer)
        raise CanisterError(f"installing failed: {message}")


class CyclesMinting:
    def __init__(self, environment: CanisterEnvironment, path: str | None, init: Any) -> None:
        self.environment = environment

    @query(results=[Record({"data": Record({"xdr_permyriad_per_icp": Nat64, "timestamp_seconds": Nat64})})])
    def get_icp_xdr_conversion_rate(self, caller: Principal, argument: Any) -> dict[str, Any]:
        seconds = self.environment.now_ns() // 1_000_000_000
        return {"data": {"xdr_permyriad_per_icp": 10_000, "timestamp_seconds": seconds}}

    @query(results=[Variant({"Ok": Int32, "Err": Text})])
    def neuron_maturity_modulation(self, caller: Principal, argument: Any) -> dict[str, Any]:
        return {"Ok": 0}
