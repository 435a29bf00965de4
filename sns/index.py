"""The SNS index: an account's transactions, read from the SNS ledger.

On the IC the index canister (index-ng, rs/ledger_suite/icrc1/index-ng, one per
SNS, deployed by SNS-W) polls its ledger on a timer, appends every new block to
its log and keeps, per account, the ids of the blocks that touch it, newest
first; `get_account_transactions` pages through them and reports the account's
balance as the index computed it. This index does the same from a heartbeat:
each beat asks the ledger (`get_transactions`) for the blocks after the last
one it has and indexes them when the answer arrives. It also keeps the blocks
themselves, as the ledger's generic values (`get_blocks` of the ledger), and
serves them with its own `get_blocks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from replica.candid.did import parse_did
from replica.canister.sdk import CanisterEnvironment, heartbeat, query
from replica.environment import OutgoingCall
from replica.types import Principal
from sns.ledger import ICRC_TRANSACTION_DID

BLOCKS_PER_POLL: Final = 2_000
MAX_SUBACCOUNTS: Final = 2_000
"""index-ng's `DEFAULT_MAX_BLOCKS_PER_RESPONSE`, which also bounds `list_subaccounts`."""
MAX_RESULTS: Final = 500

INDEX_DID: Final = (
    ICRC_TRANSACTION_DID.split("service :")[0]
    + """
type TransactionWithId = record { id : nat; transaction : Transaction };
type GetAccountTransactionsArgs = record { max_results : nat; start : opt nat; account : Account };
type GetTransactions = record { balance : nat; transactions : vec TransactionWithId; oldest_tx_id
  : opt nat };
type GetTransactionsErr = record { message : text };
type GetTransactionsResult = variant { Ok : GetTransactions; Err : GetTransactionsErr };
type Status = record { num_blocks_synced : nat };
type IndexGetBlocksResponse = record { chain_length : nat64; blocks : vec Value };
service : {
  get_blocks : (GetBlocksArgs) -> (IndexGetBlocksResponse) query;
  get_account_transactions : (GetAccountTransactionsArgs) -> (GetTransactionsResult) query;
  ledger_id : () -> (principal) query;
  icrc1_balance_of : (Account) -> (nat) query;
  status : () -> (Status) query;
  list_subaccounts : (record { owner : principal; start : opt blob }) -> (vec blob) query;
}
"""
)
"""A subset of rs/ledger_suite/icrc1/index-ng/index-ng.did."""

INDEX_INTERFACE: Final = parse_did(INDEX_DID)


def _signature(method: str) -> dict[str, Any]:
    function = INDEX_INTERFACE.method(method)
    return {"args": function.arguments, "results": function.results}


AccountKey = tuple[bytes, bytes]


def account_key(account: Mapping[str, Any]) -> AccountKey:
    """An account as a key: the owner's bytes and the subaccount (zeros when absent)."""
    owner: Principal = account["owner"]
    return owner.raw, bytes(account.get("subaccount") or bytes(32))


def balance_change(key: AccountKey, transaction: Mapping[str, Any]) -> int:
    """How one ICRC transaction changes the balance of the account `key`."""
    change = 0
    if (mint := transaction["mint"]) is not None and account_key(mint["to"]) == key:
        change += mint["amount"]
    if (burn := transaction["burn"]) is not None and account_key(burn["from"]) == key:
        change -= burn["amount"]
    if (transfer := transaction["transfer"]) is not None:
        if account_key(transfer["from"]) == key:
            change -= transfer["amount"] + (transfer["fee"] or 0)
        if account_key(transfer["to"]) == key:
            change += transfer["amount"]
    if (approve := transaction["approve"]) is not None and account_key(approve["from"]) == key:
        change -= approve["fee"] or 0
    return change


def _accounts_of(transaction: Mapping[str, Any]) -> list[AccountKey]:
    keys: list[AccountKey] = []
    for kind, fields in (
        ("mint", ("to",)),
        ("burn", ("from", "spender")),
        ("transfer", ("from", "to", "spender")),
        ("approve", ("from", "spender")),
    ):
        operation = transaction[kind]
        if operation is None:
            continue
        for name in fields:
            if operation.get(name) is not None:
                key = account_key(operation[name])
                if key not in keys:
                    keys.append(key)
    return keys


class SnsIndex:
    """Per-account transaction lists over one ledger's block log."""

    def __init__(self, environment: CanisterEnvironment, path: str | None, init: Any) -> None:
        self.environment = environment
        self.ledger_id: Principal = init["ledger_id"]
        self.transactions: list[dict[str, Any]] = []
        self.by_account: dict[AccountKey, list[int]] = {}
        self.balances: dict[AccountKey, int] = {}
        self.blocks: list[dict[str, Any]] = []
        self.polling = False
        self.polling_blocks = False

    @heartbeat
    def poll(self) -> None:
        self._poll_blocks()
        if self.polling:
            return
        self.polling = True
        self.environment.call(
            OutgoingCall(
                callee=self.ledger_id,
                method="get_transactions",
                argument={"start": len(self.transactions), "length": BLOCKS_PER_POLL},
                on_reply="_on_blocks",
                on_reject="_on_poll_failed",
            )
        )

    def _on_blocks(self, context: object, response: Mapping[str, Any]) -> None:
        self.polling = False
        if response["first_index"] != len(self.transactions):
            return
        self.index_transactions(response["transactions"])

    def _on_poll_failed(self, context: object, answer: object) -> None:
        self.polling = False

    def _poll_blocks(self) -> None:
        if self.polling_blocks:
            return
        self.polling_blocks = True
        self.environment.call(
            OutgoingCall(
                callee=self.ledger_id,
                method="get_blocks",
                argument={"start": len(self.blocks), "length": BLOCKS_PER_POLL},
                on_reply="_on_generic_blocks",
                on_reject="_on_blocks_poll_failed",
            )
        )

    def _on_generic_blocks(self, context: object, response: Mapping[str, Any]) -> None:
        self.polling_blocks = False
        if response["first_index"] == len(self.blocks):
            self.blocks.extend(response["blocks"])

    def _on_blocks_poll_failed(self, context: object, answer: object) -> None:
        self.polling_blocks = False

    @query(**_signature("get_blocks"))
    def get_blocks(self, caller: Principal, request: Mapping[str, Any]) -> dict[str, Any]:
        """Blocks `start` .. `start + length` of the index's copy of the log, as generic values,
        at most `BLOCKS_PER_POLL` (index-ng main.rs `get_blocks`: `chain_length` is the number of
        blocks the index has synced)."""
        start = min(int(request["start"]), len(self.blocks))
        end = start + min(int(request["length"]), BLOCKS_PER_POLL)
        return {"chain_length": len(self.blocks), "blocks": self.blocks[start:end]}

    def index_transactions(self, transactions: list[dict[str, Any]]) -> None:
        for transaction in transactions:
            block_id = len(self.transactions)
            self.transactions.append(transaction)
            for key in _accounts_of(transaction):
                self.by_account.setdefault(key, []).append(block_id)
                self.balances[key] = self.balances.get(key, 0) + balance_change(key, transaction)

    @query(**_signature("get_account_transactions"))
    def get_account_transactions(
        self, caller: Principal, request: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Newest first, from block `start` (inclusive) down, at most `max_results`."""
        key = account_key(request["account"])
        ids = self.by_account.get(key, [])
        start = request["start"]
        limit = min(int(request["max_results"]), MAX_RESULTS)
        chosen = [i for i in reversed(ids) if start is None or i <= start][:limit]
        return {
            "Ok": {
                "balance": self.balances.get(key, 0),
                "transactions": [{"id": i, "transaction": self.transactions[i]} for i in chosen],
                "oldest_tx_id": ids[0] if ids else None,
            }
        }

    @query(**_signature("icrc1_balance_of"))
    def icrc1_balance_of(self, caller: Principal, account: Mapping[str, Any]) -> int:
        """The account's balance as the index has computed it from the blocks it has synced."""
        return self.balances.get(account_key(account), 0)

    @query(name="ledger_id", **_signature("ledger_id"))
    def get_ledger_id(self, caller: Principal, argument: object = None) -> Principal:
        return self.ledger_id

    @query(**_signature("list_subaccounts"))
    def list_subaccounts(self, caller: Principal, request: Mapping[str, Any]) -> list[bytes]:
        """The subaccounts of `owner` the index has seen in a block, in byte order, after `start`
        (the default subaccount, all zeros, is listed too; index-ng main.rs `list_subaccounts`)."""
        owner: Principal = request["owner"]
        start = request["start"]
        subaccounts = sorted(sub for (raw, sub) in self.balances if raw == owner.raw)
        if start is not None:
            subaccounts = [sub for sub in subaccounts if sub > bytes(start)]
        return subaccounts[:MAX_SUBACCOUNTS]

    @query(**_signature("status"))
    def status(self, caller: Principal, argument: object = None) -> dict[str, int]:
        return {"num_blocks_synced": len(self.transactions)}
