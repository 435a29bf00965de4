"""The SNS canisters by name, as SNS-W installs them (each with one CBOR init blob).

The names are what SNS-W blesses (`SNS_CANISTER_NAMES`); the replica finds the
canisters only through this table, joined to the NNS's at genesis.
"""

from __future__ import annotations

from typing import Any, Final

from nns.ledger.accounts import Account
from replica.candid.types import Blob
from replica.canister.sdk import interface_of
from replica.execution.canisters import SystemCanister
from sns.governance.canister import SnsGovernance
from sns.index import SnsIndex
from sns.ledger import SnsLedger, SnsLedgerInit, sns_ledger_interface
from sns.root import SnsRoot
from sns.swap.canister import SnsSwap
from sns.wire import decode_init

SNS_CANISTER_NAMES: Final = ("sns-root", "sns-governance", "sns-ledger", "sns-swap", "sns-index")
"""In the order of SNS-W's canister types 1 (root), 2 (governance), 3 (ledger), 4 (swap), 6
(index)."""


def _ledger(environment: Any, path: str | None, init: dict[str, Any]) -> SnsLedger:
    return SnsLedger(
        environment,
        SnsLedgerInit(
            token_name=init["token_name"],
            token_symbol=init["token_symbol"],
            transfer_fee_e8s=init["transfer_fee_e8s"],
            minting_account=Account.of(init["minting_account"]),
            initial_balances=tuple(
                (Account.of(owner, subaccount), amount)
                for owner, subaccount, amount in init["initial_balances"]
            ),
            token_logo=init.get("token_logo"),
            index_id=init.get("index_id"),
        ),
        path,
    )


def _sdk(instance: object) -> Any:
    return interface_of(type(instance))


def sns_factories() -> dict[str, SystemCanister]:
    def blob_init(values: list[Any]) -> Any:
        return decode_init(bytes(values[0])) if values else {}

    def kind(create: Any, interface: Any = _sdk) -> SystemCanister:
        return SystemCanister(
            create=create, interface=interface, init_arguments=[Blob], to_init=blob_init
        )

    return {
        "sns-root": kind(SnsRoot),
        "sns-governance": kind(SnsGovernance),
        "sns-ledger": kind(_ledger, sns_ledger_interface),
        "sns-swap": kind(SnsSwap),
        "sns-index": kind(SnsIndex),
    }
