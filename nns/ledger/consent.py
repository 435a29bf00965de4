"""ICRC-21 consent messages of the ICP ledger.

Before a wallet signs a call to the ledger it asks
`icrc21_canister_call_consent_message` what the call would do, and shows the
answer to its user. The ledger explains the four calls that move or commit
funds (`transfer`, `icrc1_transfer`, `icrc2_approve`, `icrc2_transfer_from`)
from their decoded arguments: who pays, who receives or may spend, the amount,
the fee, the expiry and the memo. Any other method, or an argument that does
not decode as the method's argument, is an `UnsupportedCanisterCall` (ICRC-21
standard; the ICP ledger's `icrc21_canister_call_consent_message`).

Messages are in English (other languages are answered in English, and the
metadata says so), timestamps in UTC shifted by the caller's
`utc_offset_minutes`. A `FieldsDisplay` device (the current ICRC-21, as the
ledger's official .did has it) gets an intent and labelled values instead of
text: amounts as `TokenAmount` (8 decimals and the symbol), the expiry as
`TimestampSeconds`, accounts and memos as `Text`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from nns.ledger.accounts import Account, AccountIdentifier
from nns.ledger.errors import UnsupportedCanisterCall
from nns.ledger.types import ApproveArgs, Icrc1TransferArgs, TransferArgs, TransferFromArgs
from replica.environment import NANOS_PER_SECOND
from replica.types import Principal

E8S_PER_TOKEN: Final = 100_000_000
LANGUAGE: Final = "en"

ConsentArgument = TransferArgs | Icrc1TransferArgs | ApproveArgs | TransferFromArgs


DECIMALS: Final = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenAmount:
    amount_e8s: int
    symbol: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TimestampSeconds:
    seconds: int


FieldValue = TokenAmount | TimestampSeconds | str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentMessageRequest:
    """A decoded ICRC-21 request: the method, its argument (None if it did not decode) and the
    display."""

    method: str
    argument: ConsentArgument | None
    decode_error: str | None = None
    language: str = LANGUAGE
    utc_offset_minutes: int | None = None
    fields_display: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentInfo:
    """The message as one text (`GenericDisplayMessage`) or as an intent and fields
    (`FieldsDisplayMessage`)."""

    generic_text: str | None
    intent: str | None = None
    fields: tuple[tuple[str, FieldValue], ...] | None = None
    language: str
    utc_offset_minutes: int | None


SUPPORTED_METHODS: Final = ("transfer", "icrc1_transfer", "icrc2_approve", "icrc2_transfer_from")


def format_tokens(amount_e8s: int, symbol: str) -> str:
    """`150000000` → `1.5 ICP`: whole tokens and the fraction without trailing zeros."""
    whole, fraction = divmod(amount_e8s, E8S_PER_TOKEN)
    digits = f"{fraction:08d}".rstrip("0")
    return f"{whole}{'.' + digits if digits else ''} {symbol}"


def format_timestamp(timestamp_ns: int, utc_offset_minutes: int | None) -> str:
    offset = utc_offset_minutes or 0
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
        seconds=timestamp_ns // NANOS_PER_SECOND, minutes=offset
    )
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset), 60)
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC{sign}{hours:02d}:{minutes:02d}"


def _memo(memo: bytes | None) -> list[str]:
    if not memo:
        return []
    try:
        shown = memo.decode("utf-8")
        if not shown.isprintable():
            raise UnicodeDecodeError("utf-8", memo, 0, len(memo), "not printable")
    except UnicodeDecodeError:
        shown = "0x" + memo.hex()
    return ["", "**Memo:**", shown]


def _account(owner: Principal, subaccount: bytes | None) -> str:
    return Account.of(owner, subaccount).to_text()


def compute_consent_lines(
    request: ConsentMessageRequest,
    *,
    caller: Principal,
    fee_e8s: int,
    symbol: str,
    minting: AccountIdentifier,
) -> list[str]:
    """The message of one call, line by line (Markdown, as wallets show it)."""
    argument = request.argument
    if request.method not in SUPPORTED_METHODS:
        raise UnsupportedCanisterCall(
            f"The ledger gives no consent message for the method {request.method!r}."
        )
    if argument is None:
        raise UnsupportedCanisterCall(
            f"The argument does not decode as the argument of {request.method}: "
            f"{request.decode_error}"
        )
    offset = request.utc_offset_minutes
    match argument:
        case TransferArgs():
            source = AccountIdentifier.of(caller, argument.from_subaccount)
            return [
                f"# Send {symbol}",
                "",
                "You approve a transfer of funds from your account.",
                "",
                "**From:**",
                source.to_hex(),
                "",
                "**Amount:**",
                format_tokens(argument.amount_e8s, symbol),
                "",
                "**To:**",
                argument.to.to_hex(),
                "",
                "**Fees:**",
                format_tokens(argument.fee_e8s, symbol),
                "Charged for processing the transfer.",
                "",
                "**Memo:**",
                str(argument.memo),
            ]
        case Icrc1TransferArgs():
            fee = fee_e8s if argument.fee_e8s is None else argument.fee_e8s
            if argument.to.identifier() == minting:
                fee = 0
            return [
                f"# Send {symbol}",
                "",
                "You approve a transfer of funds from your account.",
                "",
                "**From:**",
                _account(caller, argument.from_subaccount),
                "",
                "**Amount:**",
                format_tokens(argument.amount_e8s, symbol),
                "",
                "**To:**",
                argument.to.to_text(),
                "",
                "**Fees:**",
                format_tokens(fee, symbol),
                "Charged for processing the transfer.",
                *_memo(argument.memo),
            ]
        case ApproveArgs():
            fee = fee_e8s if argument.fee_e8s is None else argument.fee_e8s
            lines = [
                "# Approve spending",
                "",
                "You authorize another account to transfer funds from your account, up to the "
                "allowance.",
                "",
                "**From:**",
                _account(caller, argument.from_subaccount),
                "",
                "**Approve to spender:**",
                argument.spender.to_text(),
                "",
                "**Requested allowance:**",
                format_tokens(argument.amount_e8s, symbol),
            ]
            if argument.expected_allowance_e8s is not None:
                lines += [
                    "",
                    "**Existing allowance:**",
                    format_tokens(argument.expected_allowance_e8s, symbol),
                ]
            expiry = (
                "This approval does not have an expiration."
                if argument.expires_at_ns is None
                else format_timestamp(argument.expires_at_ns, offset)
            )
            lines += [
                "",
                "**Approval expiration:**",
                expiry,
                "",
                "**Approval fees:**",
                format_tokens(fee, symbol),
                "",
                "**Fees paid by:**",
                _account(caller, argument.from_subaccount),
                *_memo(argument.memo),
            ]
            return lines
        case TransferFromArgs():
            fee = fee_e8s if argument.fee_e8s is None else argument.fee_e8s
            if argument.to.identifier() == minting:
                fee = 0
            return [
                "# Transfer from",
                "",
                "You transfer funds from an account that approved you as a spender.",
                "",
                "**From:**",
                argument.from_account.to_text(),
                "",
                "**Amount:**",
                format_tokens(argument.amount_e8s, symbol),
                "",
                "**Spender:**",
                _account(caller, argument.spender_subaccount),
                "",
                "**To:**",
                argument.to.to_text(),
                "",
                "**Fees:**",
                format_tokens(fee, symbol),
                "Charged to the From account for processing the transfer.",
                *_memo(argument.memo),
            ]
    raise UnsupportedCanisterCall(
        f"The ledger gives no consent message for the method {request.method!r}."
    )


def compute_consent_fields(lines: list[str]) -> tuple[str, tuple[tuple[str, FieldValue], ...]]:
    """The intent and fields of a message: its title, and each `**Label:**` with the lines under it.

    A line that reads as an amount (`1.5 ICP`) becomes a `TokenAmount`; an expiry
    becomes `TimestampSeconds`; everything else is `Text`.
    """
    intent = lines[0].lstrip("# ")
    fields: list[tuple[str, FieldValue]] = []
    label: str | None = None
    for line in lines[1:]:
        if line.startswith("**") and line.endswith(":**"):
            label = line[2:-3]
        elif label is not None and line:
            fields.append((label, line))
            label = None
    return intent, tuple(fields)


def _typed_fields(
    request: ConsentMessageRequest,
    fields: tuple[tuple[str, FieldValue], ...],
    *,
    caller: Principal,
    fee_e8s: int,
    symbol: str,
    minting: AccountIdentifier,
) -> tuple[tuple[str, FieldValue], ...]:
    """Replace the text of amounts and of the expiry by their typed values."""
    argument = request.argument
    amounts: dict[str, int] = {}
    match argument:
        case TransferArgs():
            amounts = {"Amount": argument.amount_e8s, "Fees": argument.fee_e8s}
        case Icrc1TransferArgs() | TransferFromArgs():
            fee = fee_e8s if argument.fee_e8s is None else argument.fee_e8s
            amounts = {
                "Amount": argument.amount_e8s,
                "Fees": 0 if argument.to.identifier() == minting else fee,
            }
        case ApproveArgs():
            fee = fee_e8s if argument.fee_e8s is None else argument.fee_e8s
            amounts = {"Requested allowance": argument.amount_e8s, "Approval fees": fee}
            if argument.expected_allowance_e8s is not None:
                amounts["Existing allowance"] = argument.expected_allowance_e8s
    typed: list[tuple[str, FieldValue]] = []
    for label, value in fields:
        if label in amounts:
            typed.append((label, TokenAmount(amount_e8s=amounts[label], symbol=symbol)))
        elif (
            label == "Approval expiration"
            and isinstance(argument, ApproveArgs)
            and argument.expires_at_ns is not None
        ):
            typed.append(
                (label, TimestampSeconds(seconds=argument.expires_at_ns // NANOS_PER_SECOND))
            )
        else:
            typed.append((label, value))
    return tuple(typed)


def build_consent_info(
    request: ConsentMessageRequest,
    *,
    caller: Principal,
    fee_e8s: int,
    symbol: str,
    minting: AccountIdentifier,
) -> ConsentInfo:
    lines = compute_consent_lines(
        request, caller=caller, fee_e8s=fee_e8s, symbol=symbol, minting=minting
    )
    if not request.fields_display:
        return ConsentInfo(
            generic_text="\n".join(lines),
            language=LANGUAGE,
            utc_offset_minutes=request.utc_offset_minutes,
        )
    intent, fields = compute_consent_fields(lines)
    typed = _typed_fields(
        request, fields, caller=caller, fee_e8s=fee_e8s, symbol=symbol, minting=minting
    )
    return ConsentInfo(
        generic_text=None,
        intent=intent,
        fields=typed,
        language=LANGUAGE,
        utc_offset_minutes=request.utc_offset_minutes,
    )
