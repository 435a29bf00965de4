"""ICP: accounts, balances, transfers and the history of an account.

An account is written as a legacy account identifier (64 hex digits) or as
an ICRC-1 owner principal with an optional 32-byte subaccount in hex. Amounts
are ICP with up to 8 decimals (`1.5`) and are kept in e8s.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from nns.clients.base import variant_of
from nns.ledger.accounts import AccountError, AccountIdentifier
from replica.types import Principal
from tui.ops.errors import UsageError
from tui.ops.session import Session

E8S: Final = 100_000_000


def parse_principal(text: str) -> Principal:
    try:
        return Principal.from_text(text.strip())
    except Exception as error:
        raise UsageError(
            f"{text!r} is not a principal (e.g. rrkah-fqaaa-aaaaa-aaaaq-cai)",
            kind="MalformedPrincipal",
        ) from error


def parse_subaccount(text: str | None) -> bytes | None:
    if text is None:
        return None
    try:
        raw = bytes.fromhex(text)
    except ValueError as error:
        raise UsageError(f"{text!r} is not a hex subaccount", kind="MalformedSubaccount") from error
    if len(raw) > 32:
        raise UsageError("a subaccount has at most 32 bytes", kind="MalformedSubaccount")
    return raw.rjust(32, b"\0")


def parse_account(text: str, subaccount: str | None = None) -> AccountIdentifier:
    """A 64-hex account identifier, or a principal (with a subaccount) as its account identifier."""
    cleaned = text.strip()
    if len(cleaned) == 64 and all(c in "0123456789abcdefABCDEF" for c in cleaned):
        try:
            return AccountIdentifier.from_hex(cleaned)
        except AccountError as error:
            raise UsageError(f"{text!r}: {error}", kind="MalformedAccount") from error
    return AccountIdentifier.of(parse_principal(cleaned), parse_subaccount(subaccount))


def parse_icp(text: str) -> int:
    """ICP with up to 8 decimals, in e8s."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation as error:
        raise UsageError(f"{text!r} is not an amount of ICP", kind="MalformedAmount") from error
    e8s = amount * E8S
    if amount < 0 or e8s != e8s.to_integral_value():
        raise UsageError(
            f"{text!r}: an amount is positive with at most 8 decimals", kind="MalformedAmount"
        )
    return int(e8s)


def format_icp(e8s: int) -> str:
    whole, fraction = divmod(e8s, E8S)
    return f"{whole}.{fraction:08d}".rstrip("0").rstrip(".") if fraction else f"{whole}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Balance:
    account_id: str
    balance_e8s: int

    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "balance_e8s": self.balance_e8s,
            "balance_icp": format_icp(self.balance_e8s),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferResult:
    block_index: int
    to_account_id: str
    amount_e8s: int
    fee_e8s: int
    memo: int
    created_at_time_ns: int

    def to_json(self) -> dict[str, Any]:
        return {
            "block_index": self.block_index,
            "to": self.to_account_id,
            "amount_e8s": self.amount_e8s,
            "fee_e8s": self.fee_e8s,
            "memo": self.memo,
            "created_at_time_ns": self.created_at_time_ns,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryEntry:
    block_index: int
    operation: str
    from_account_id: str | None
    to_account_id: str | None
    amount_e8s: int
    fee_e8s: int
    memo: int
    timestamp_ns: int

    def to_json(self) -> dict[str, Any]:
        return {
            "block_index": self.block_index,
            "operation": self.operation,
            "from": self.from_account_id,
            "to": self.to_account_id,
            "amount_e8s": self.amount_e8s,
            "fee_e8s": self.fee_e8s,
            "memo": self.memo,
            "timestamp_ns": self.timestamp_ns,
        }


def own_account(session: Session, subaccount: bytes | None = None) -> AccountIdentifier:
    return AccountIdentifier.of(session.principal, subaccount)


def get_balance(session: Session, account: AccountIdentifier | None = None) -> Balance:
    target = account or own_account(session)
    e8s = session.run(session.ledger.account_balance(target.raw, certified=False))
    return Balance(account_id=target.to_hex(), balance_e8s=e8s)


def get_fee(session: Session) -> int:
    return session.run(session.ledger.transaction_fee())


def transfer(
    session: Session,
    *,
    to: AccountIdentifier,
    amount_e8s: int,
    memo: int = 0,
    fee_e8s: int | None = None,
    from_subaccount: bytes | None = None,
    created_at_time_ns: int | None = None,
) -> TransferResult:
    fee = get_fee(session) if fee_e8s is None else fee_e8s
    created = time.time_ns() if created_at_time_ns is None else created_at_time_ns
    block = session.run(
        session.ledger.transfer(
            to=to.raw,
            amount_e8s=amount_e8s,
            memo=memo,
            fee_e8s=fee,
            from_subaccount=from_subaccount,
            created_at_time_ns=created,
        )
    )
    return TransferResult(
        block_index=block,
        to_account_id=to.to_hex(),
        amount_e8s=amount_e8s,
        fee_e8s=fee,
        memo=memo,
        created_at_time_ns=created,
    )


def _account_hex(value: Any) -> str | None:
    if value is None:
        return None
    return AccountIdentifier.from_bytes(bytes(value)).to_hex()


def get_history(
    session: Session, account: AccountIdentifier | None = None, *, limit: int = 20
) -> list[HistoryEntry]:
    """The last `limit` blocks that touch `account`, newest first (the ledger keeps every block)."""
    target = (account or own_account(session)).to_hex()
    probe = session.run(session.ledger.canister.call_one("query_blocks", {"start": 0, "length": 0}))
    length = int(probe["chain_length"])
    entries: list[HistoryEntry] = []
    end = length
    while end > 0 and len(entries) < limit:
        start = max(0, end - 500)
        page = session.run(
            session.ledger.canister.call_one(
                "query_blocks", {"start": start, "length": end - start}
            )
        )
        first = int(page["first_block_index"])
        for offset, block in reversed(list(enumerate(page["blocks"]))):
            transaction = block["transaction"]
            if transaction["operation"] is None:
                continue
            kind, fields = variant_of(transaction["operation"])
            source = _account_hex(fields.get("from"))
            destination = _account_hex(
                fields.get("to") if kind != "Approve" else fields.get("spender")
            )
            if target not in (source, destination):
                continue
            amount = fields.get("amount") or fields.get("allowance") or {"e8s": 0}
            entries.append(
                HistoryEntry(
                    block_index=first + offset,
                    operation=kind,
                    from_account_id=source,
                    to_account_id=destination,
                    amount_e8s=int(amount["e8s"]),
                    fee_e8s=int((fields.get("fee") or {"e8s": 0})["e8s"]),
                    memo=int(transaction["memo"]),
                    timestamp_ns=int(block["timestamp"]["timestamp_nanos"]),
                )
            )
            if len(entries) >= limit:
                break
        end = start
    return entries
