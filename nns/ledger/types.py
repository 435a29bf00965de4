"""Requests, operations and blocks of the ICP ledger.

The ledger records every change of balances as a block holding one
transaction: an operation (Mint, Burn, Transfer or Approve) with its memo and
optional `created_at_time`. Blocks form a hash chain: each stores the hash of
its parent, and a block's hash is SHA-256 of its encoding.

Deliberate difference from the IC: blocks and transactions are encoded as
canonical CBOR rather than protobuf, so block hashes differ from mainnet's
while the chain structure and the deduplication rule (equal transaction hash
within the window) are the same.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Final

import cbor2

from nns.ledger.accounts import Account, AccountIdentifier

MAX_ICRC1_MEMO_BYTES = 32


# -- requests ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferArgs:
    """The legacy `transfer` request: accounts are identifiers, the memo a nat64."""

    memo: int
    amount_e8s: int
    fee_e8s: int
    from_subaccount: bytes | None
    to: AccountIdentifier
    created_at_time_ns: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountBalanceArgs:
    account: AccountIdentifier


@dataclass(frozen=True, slots=True, kw_only=True)
class Icrc1TransferArgs:
    from_subaccount: bytes | None
    to: Account
    amount_e8s: int
    fee_e8s: int | None = None
    memo: bytes | None = None
    created_at_time_ns: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ApproveArgs:
    from_subaccount: bytes | None
    spender: Account
    amount_e8s: int
    expected_allowance_e8s: int | None = None
    expires_at_ns: int | None = None
    fee_e8s: int | None = None
    memo: bytes | None = None
    created_at_time_ns: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AllowanceArgs:
    account: Account
    spender: Account


@dataclass(frozen=True, slots=True, kw_only=True)
class Allowance:
    allowance_e8s: int
    expires_at_ns: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferFromArgs:
    spender_subaccount: bytes | None
    from_account: Account
    to: Account
    amount_e8s: int
    fee_e8s: int | None = None
    memo: bytes | None = None
    created_at_time_ns: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveApprovalArgs:
    """Remove an allowance: the spender is an account identifier, as the ICP ledger keys
    allowances."""

    from_subaccount: bytes | None
    spender: AccountIdentifier
    fee_e8s: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GetAllowancesArgs:
    """A page of one account's allowances, spenders after `prev_spender` in byte order."""

    from_account: AccountIdentifier
    prev_spender: AccountIdentifier | None = None
    take: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AllowanceEntry:
    from_account: AccountIdentifier
    spender: AccountIdentifier
    allowance_e8s: int
    expires_at_ns: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class GetBlocksArgs:
    start: int
    length: int


# -- operations and blocks ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Mint:
    to: AccountIdentifier
    amount_e8s: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Burn:
    from_account: AccountIdentifier
    amount_e8s: int
    spender: AccountIdentifier | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer:
    from_account: AccountIdentifier
    to: AccountIdentifier
    amount_e8s: int
    fee_e8s: int
    spender: AccountIdentifier | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Approve:
    from_account: AccountIdentifier
    spender: AccountIdentifier
    allowance_e8s: int
    expected_allowance_e8s: int | None
    expires_at_ns: int | None
    fee_e8s: int


Operation = Mint | Burn | Transfer | Approve


@dataclass(frozen=True, slots=True, kw_only=True)
class Transaction:
    operation: Operation
    memo: int = 0
    icrc1_memo: bytes | None = None
    created_at_time_ns: int | None = None

    def encode(self) -> bytes:
        """The canonical CBOR of the transaction (as it appears inside its block's encoding).

        Its maps are built in canonical key order and hold only integers, byte strings, text
        and null, which CBOR always writes in their shortest form: the plain encoding is the
        canonical one, without the cost of sorting.
        """
        return cbor2.dumps(_transaction_to_cbor(self))

    def hash(self) -> bytes:
        """SHA-256 of the canonical encoding: equal transactions, equal hashes."""
        return hashlib.sha256(self.encode()).digest()


_BLOCK_MAP_HEADER: Final = b"\xa3"  # a map of three entries
_TIMESTAMP_KEY: Final = cbor2.dumps("timestamp")
_PARENT_HASH_KEY: Final = cbor2.dumps("parent_hash")
_TRANSACTION_KEY: Final = cbor2.dumps("transaction")


@dataclass(frozen=True, slots=True, kw_only=True)
class Block:
    parent_hash: bytes | None
    transaction: Transaction
    timestamp_ns: int

    def encode(self, transaction_cbor: bytes | None = None) -> bytes:
        """The canonical CBOR of the map {parent_hash, transaction, timestamp}.

        Canonical CBOR encodes a nested value the same wherever it appears, so the transaction's
        own encoding (`transaction_cbor`, when the caller has it already) is spliced in as it is.
        The keys come in canonical order: shorter encodings first, then bytewise.
        """
        if transaction_cbor is None:
            transaction_cbor = self.transaction.encode()
        return b"".join(
            (
                _BLOCK_MAP_HEADER,
                _TIMESTAMP_KEY,
                cbor2.dumps(self.timestamp_ns),
                _PARENT_HASH_KEY,
                cbor2.dumps(self.parent_hash),
                _TRANSACTION_KEY,
                transaction_cbor,
            )
        )

    @classmethod
    def decode(cls, data: bytes) -> Block:
        raw = cbor2.loads(data)
        return cls(
            parent_hash=raw["parent_hash"],
            transaction=_transaction_from_cbor(raw["transaction"]),
            timestamp_ns=raw["timestamp"],
        )

    def hash(self) -> bytes:
        return hashlib.sha256(self.encode()).digest()


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryBlocksResponse:
    chain_length: int
    first_block_index: int
    blocks: tuple[Block, ...]
    tip_hash: bytes | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TipOfChain:
    tip_index: int
    tip_hash: bytes | None


def _account_or_none(value: AccountIdentifier | None) -> bytes | None:
    return None if value is None else value.raw


def _operation_to_cbor(operation: Operation) -> dict[str, Any]:
    # Keys in canonical CBOR order (shorter first, then bytewise), so that encoding the map as
    # it is gives its canonical bytes (`Transaction.encode`).
    match operation:
        case Mint():
            return {"Mint": {"to": operation.to.raw, "amount": operation.amount_e8s}}
        case Burn():
            return {
                "Burn": {
                    "from": operation.from_account.raw,
                    "amount": operation.amount_e8s,
                    "spender": _account_or_none(operation.spender),
                }
            }
        case Transfer():
            return {
                "Transfer": {
                    "to": operation.to.raw,
                    "fee": operation.fee_e8s,
                    "from": operation.from_account.raw,
                    "amount": operation.amount_e8s,
                    "spender": _account_or_none(operation.spender),
                }
            }
        case Approve():
            return {
                "Approve": {
                    "fee": operation.fee_e8s,
                    "from": operation.from_account.raw,
                    "spender": operation.spender.raw,
                    "allowance": operation.allowance_e8s,
                    "expires_at": operation.expires_at_ns,
                    "expected_allowance": operation.expected_allowance_e8s,
                }
            }


def _optional_account(value: bytes | None) -> AccountIdentifier | None:
    return None if value is None else AccountIdentifier(value)


def _operation_from_cbor(raw: dict[str, Any]) -> Operation:
    ((kind, fields),) = raw.items()
    if kind == "Mint":
        return Mint(to=AccountIdentifier(fields["to"]), amount_e8s=fields["amount"])
    if kind == "Burn":
        return Burn(
            from_account=AccountIdentifier(fields["from"]),
            amount_e8s=fields["amount"],
            spender=_optional_account(fields["spender"]),
        )
    if kind == "Transfer":
        return Transfer(
            from_account=AccountIdentifier(fields["from"]),
            to=AccountIdentifier(fields["to"]),
            amount_e8s=fields["amount"],
            fee_e8s=fields["fee"],
            spender=_optional_account(fields["spender"]),
        )
    if kind == "Approve":
        return Approve(
            from_account=AccountIdentifier(fields["from"]),
            spender=AccountIdentifier(fields["spender"]),
            allowance_e8s=fields["allowance"],
            expected_allowance_e8s=fields["expected_allowance"],
            expires_at_ns=fields["expires_at"],
            fee_e8s=fields["fee"],
        )
    raise ValueError(f"unknown ledger operation {kind!r}")


def _transaction_to_cbor(transaction: Transaction) -> dict[str, Any]:
    return {  # in canonical key order, as the operation's map
        "memo": transaction.memo,
        "operation": _operation_to_cbor(transaction.operation),
        "icrc1_memo": transaction.icrc1_memo,
        "created_at_time": transaction.created_at_time_ns,
    }


def _transaction_from_cbor(raw: dict[str, Any]) -> Transaction:
    return Transaction(
        operation=_operation_from_cbor(raw["operation"]),
        memo=raw["memo"],
        icrc1_memo=raw["icrc1_memo"],
        created_at_time_ns=raw["created_at_time"],
    )
