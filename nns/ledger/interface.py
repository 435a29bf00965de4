"""The ICP ledger behind its official Candid interface.

`LEDGER_DID` declares, in the official `ledger.did`'s names and types, the
methods icbox implements; `ledger_interface` maps them onto the `Ledger`
canister: Candid records to request dataclasses, results and refusals to the
interface's `Ok`/`Err` variants, so an official client can decode every reply.
The argument inside an ICRC-21 consent request is decoded here, at the types of
the method it names, so the ledger explains typed requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from nns.ledger.accounts import Account, AccountIdentifier
from nns.ledger.canister import Ledger
from nns.ledger.consent import (
    DECIMALS,
    ConsentArgument,
    ConsentInfo,
    ConsentMessageRequest,
    FieldValue,
    TimestampSeconds,
    TokenAmount,
)
from nns.ledger.did import LEDGER_DID
from nns.ledger.errors import (
    AllowanceChanged,
    BadBurn,
    BadFee,
    Expired,
    GenericError,
    InsufficientAllowance,
    InsufficientFunds,
    LedgerError,
    TxCreatedInFuture,
    TxDuplicate,
    TxTooOld,
    UnsupportedCanisterCall,
)
from nns.ledger.types import (
    AccountBalanceArgs,
    AllowanceArgs,
    AllowanceEntry,
    Approve,
    ApproveArgs,
    Block,
    Burn,
    GetAllowancesArgs,
    GetBlocksArgs,
    Icrc1TransferArgs,
    Mint,
    QueryBlocksResponse,
    RemoveApprovalArgs,
    Transfer,
    TransferArgs,
    TransferFromArgs,
)
from replica.candid import CandidError, decode
from replica.candid.did import parse_did
from replica.canister.errors import CanisterError
from replica.canister.sdk import Interface, MethodSpec

LEDGER_INTERFACE: Final = parse_did(LEDGER_DID)


def _tokens(e8s: int) -> dict[str, int]:
    return {"e8s": e8s}


def _time(value: dict[str, int] | None) -> int | None:
    return None if value is None else value["timestamp_nanos"]


def _account(value: dict[str, Any]) -> Account:
    return Account.of(value["owner"], value["subaccount"])


def _text_account(text: str) -> AccountIdentifier:
    try:
        return AccountIdentifier.from_hex(text)
    except ValueError as error:
        raise GenericError(4, f"not an account identifier: {text!r}") from error


def _candid_account(account: Account) -> dict[str, Any]:
    return {
        "owner": account.owner,
        "subaccount": None if account.is_default_subaccount else account.subaccount,
    }


def _legacy_error(error: CanisterError) -> dict[str, Any]:
    match error:
        case BadFee():
            return {"BadFee": {"expected_fee": _tokens(error.expected_fee_e8s)}}
        case InsufficientFunds():
            return {"InsufficientFunds": {"balance": _tokens(error.balance_e8s)}}
        case TxTooOld():
            return {"TxTooOld": {"allowed_window_nanos": error.allowed_window_nanos}}
        case TxCreatedInFuture():
            return {"TxCreatedInFuture": None}
        case TxDuplicate():
            return {"TxDuplicate": {"duplicate_of": error.duplicate_of}}
    raise error


def _icrc_error(error: CanisterError, *, approve: bool = False) -> dict[str, Any]:
    match error:
        case BadFee():
            return {"BadFee": {"expected_fee": error.expected_fee_e8s}}
        case BadBurn() if not approve:
            return {"BadBurn": {"min_burn_amount": error.min_burn_amount_e8s}}
        case InsufficientFunds():
            return {"InsufficientFunds": {"balance": error.balance_e8s}}
        case InsufficientAllowance():
            return {"InsufficientAllowance": {"allowance": error.allowance_e8s}}
        case AllowanceChanged():
            return {"AllowanceChanged": {"current_allowance": error.current_allowance_e8s}}
        case Expired():
            return {"Expired": {"ledger_time": error.ledger_time_ns}}
        case TxTooOld():
            return {"TooOld": None}
        case TxCreatedInFuture():
            return {"CreatedInFuture": {"ledger_time": error.ledger_time_ns}}
        case TxDuplicate():
            return {"Duplicate": {"duplicate_of": error.duplicate_of}}
        case GenericError():
            return {"GenericError": {"error_code": error.error_code, "message": error.message}}
    if isinstance(error, LedgerError):
        return {"GenericError": {"error_code": 0, "message": str(error)}}
    raise error


def _operation(block: Block) -> dict[str, Any]:
    operation = block.transaction.operation
    match operation:
        case Mint():
            return {"Mint": {"to": operation.to.raw, "amount": _tokens(operation.amount_e8s)}}
        case Burn():
            spender = None if operation.spender is None else operation.spender.raw
            return {
                "Burn": {
                    "from": operation.from_account.raw,
                    "spender": spender,
                    "amount": _tokens(operation.amount_e8s),
                }
            }
        case Transfer():
            spender = None if operation.spender is None else operation.spender.raw
            return {
                "Transfer": {
                    "from": operation.from_account.raw,
                    "to": operation.to.raw,
                    "amount": _tokens(operation.amount_e8s),
                    "fee": _tokens(operation.fee_e8s),
                    "spender": spender,
                }
            }
        case Approve():
            return {
                "Approve": {
                    "from": operation.from_account.raw,
                    "spender": operation.spender.raw,
                    "allowance_e8s": operation.allowance_e8s,
                    "allowance": _tokens(operation.allowance_e8s),
                    "fee": _tokens(operation.fee_e8s),
                    "expires_at": None
                    if operation.expires_at_ns is None
                    else {"timestamp_nanos": operation.expires_at_ns},
                    "expected_allowance": None
                    if operation.expected_allowance_e8s is None
                    else _tokens(operation.expected_allowance_e8s),
                }
            }
    raise TypeError(f"unknown operation {operation!r}")


def _blocks(response: QueryBlocksResponse) -> dict[str, Any]:
    return {
        "chain_length": response.chain_length,
        "certificate": None,
        "first_block_index": response.first_block_index,
        "archived_blocks": [],
        "blocks": [
            {
                "parent_hash": block.parent_hash,
                "timestamp": {"timestamp_nanos": block.timestamp_ns},
                "transaction": {
                    "memo": block.transaction.memo,
                    "icrc1_memo": block.transaction.icrc1_memo,
                    "operation": _operation(block),
                    "created_at_time": {
                        "timestamp_nanos": block.transaction.created_at_time_ns
                        or block.timestamp_ns
                    },
                },
            }
            for block in response.blocks
        ],
    }


def _spender_identifier(data: bytes) -> AccountIdentifier:
    try:
        return AccountIdentifier.from_bytes(data)
    except ValueError as error:
        raise GenericError(4, f"the spender is not an account identifier: {error}") from error


def _transfer_args(value: dict[str, Any]) -> TransferArgs:
    return TransferArgs(
        memo=value["memo"],
        amount_e8s=value["amount"]["e8s"],
        fee_e8s=value["fee"]["e8s"],
        from_subaccount=value["from_subaccount"],
        to=AccountIdentifier.from_bytes(value["to"]),
        created_at_time_ns=_time(value["created_at_time"]),
    )


def _icrc1_transfer_args(value: dict[str, Any]) -> Icrc1TransferArgs:
    return Icrc1TransferArgs(
        from_subaccount=value["from_subaccount"],
        to=_account(value["to"]),
        amount_e8s=value["amount"],
        fee_e8s=value["fee"],
        memo=value["memo"],
        created_at_time_ns=value["created_at_time"],
    )


def _approve_args(value: dict[str, Any]) -> ApproveArgs:
    return ApproveArgs(
        from_subaccount=value["from_subaccount"],
        spender=_account(value["spender"]),
        amount_e8s=value["amount"],
        expected_allowance_e8s=value["expected_allowance"],
        expires_at_ns=value["expires_at"],
        fee_e8s=value["fee"],
        memo=value["memo"],
        created_at_time_ns=value["created_at_time"],
    )


def _transfer_from_args(value: dict[str, Any]) -> TransferFromArgs:
    return TransferFromArgs(
        spender_subaccount=value["spender_subaccount"],
        from_account=_account(value["from"]),
        to=_account(value["to"]),
        amount_e8s=value["amount"],
        fee_e8s=value["fee"],
        memo=value["memo"],
        created_at_time_ns=value["created_at_time"],
    )


_CONSENT_ARGUMENTS: Final[dict[str, Callable[[dict[str, Any]], ConsentArgument]]] = {
    "transfer": _transfer_args,
    "icrc1_transfer": _icrc1_transfer_args,
    "icrc2_approve": _approve_args,
    "icrc2_transfer_from": _transfer_from_args,
}


def _consent_request(value: dict[str, Any]) -> ConsentMessageRequest:
    """Decode the argument of the call to explain at the types of the method it names."""
    method, preferences = value["method"], value["user_preferences"]
    device = preferences["device_spec"]
    argument: ConsentArgument | None = None
    problem: str | None = None
    convert = _CONSENT_ARGUMENTS.get(method)
    if convert is not None:
        try:
            (decoded,) = decode(value["arg"], LEDGER_INTERFACE.method(method).arguments)
            argument = convert(decoded)
        except (CandidError, ValueError, KeyError, TypeError) as error:
            problem = str(error) or type(error).__name__
    return ConsentMessageRequest(
        method=method,
        argument=argument,
        decode_error=problem,
        language=preferences["metadata"]["language"],
        utc_offset_minutes=preferences["metadata"]["utc_offset_minutes"],
        fields_display=device is not None and "FieldsDisplay" in device,
    )


def _field_value(value: FieldValue) -> dict[str, Any]:
    if isinstance(value, TokenAmount):
        return {
            "TokenAmount": {
                "decimals": DECIMALS,
                "amount": value.amount_e8s,
                "symbol": value.symbol,
            }
        }
    if isinstance(value, TimestampSeconds):
        return {"TimestampSeconds": {"amount": value.seconds}}
    return {"Text": {"content": value}}


def _consent_info(info: ConsentInfo) -> list[Any]:
    if info.fields is None:
        message: dict[str, Any] = {"GenericDisplayMessage": info.generic_text}
    else:
        message = {
            "FieldsDisplayMessage": {
                "intent": info.intent,
                "fields": [(label, _field_value(value)) for label, value in info.fields],
            }
        }
    return [
        {
            "Ok": {
                "consent_message": message,
                "metadata": {
                    "language": info.language,
                    "utc_offset_minutes": info.utc_offset_minutes,
                },
            }
        }
    ]


def _consent_error(error: CanisterError) -> list[Any]:
    if isinstance(error, UnsupportedCanisterCall):
        return [{"Err": {"UnsupportedCanisterCall": {"description": error.description}}}]
    if isinstance(error, GenericError):
        return [
            {
                "Err": {
                    "GenericError": {"error_code": error.error_code, "description": error.message}
                }
            }
        ]
    if isinstance(error, LedgerError):
        return [{"Err": {"GenericError": {"error_code": 0, "description": str(error)}}}]
    raise error


def _allowances(entries: tuple[AllowanceEntry, ...]) -> list[Any]:
    return [
        [
            {
                "from_account_id": entry.from_account.to_hex(),
                "to_spender_id": entry.spender.to_hex(),
                "allowance": _tokens(entry.allowance_e8s),
                "expires_at": entry.expires_at_ns,
            }
            for entry in entries
        ]
    ]


def _spec(
    name: str,
    *,
    python_name: str | None = None,
    to_argument: Callable[[list[Any]], Any] | None = None,
    to_results: Callable[[Any], list[Any]] | None = None,
    error_results: Callable[[CanisterError], list[Any]] | None = None,
) -> MethodSpec:
    signature = LEDGER_INTERFACE.method(name)
    return MethodSpec(
        name=name,
        mode="query" if "query" in signature.modes else "update",
        arguments=signature.arguments,
        results=signature.results,
        to_argument=to_argument or (lambda values: None),
        to_results=to_results or (lambda reply: [reply]),
        error_results=error_results,
        python_name=python_name or name,
    )


def ledger_interface(ledger: object) -> Interface:
    """The official interface of a `Ledger` canister object."""
    if not isinstance(ledger, Ledger):
        raise TypeError("ledger_interface needs a Ledger")
    specs = [
        _spec(
            "transfer",
            to_argument=lambda v: _transfer_args(v[0]),
            to_results=lambda index: [{"Ok": index}],
            error_results=lambda e: [{"Err": _legacy_error(e)}],
        ),
        _spec(
            "send_dfx",
            python_name="transfer",
            to_argument=lambda v: TransferArgs(
                memo=v[0]["memo"],
                amount_e8s=v[0]["amount"]["e8s"],
                fee_e8s=v[0]["fee"]["e8s"],
                from_subaccount=v[0]["from_subaccount"],
                to=_text_account(v[0]["to"]),
                created_at_time_ns=_time(v[0]["created_at_time"]),
            ),
        ),
        _spec(
            "account_balance_dfx",
            python_name="account_balance",
            to_argument=lambda v: AccountBalanceArgs(account=_text_account(v[0]["account"])),
            to_results=lambda e8s: [_tokens(e8s)],
        ),
        _spec(
            "account_identifier",
            to_argument=lambda v: _account(v[0]),
            to_results=lambda identifier: [identifier.raw],
        ),
        _spec(
            "query_encoded_blocks",
            python_name="query_blocks",
            to_argument=lambda v: GetBlocksArgs(start=v[0]["start"], length=v[0]["length"]),
            to_results=lambda response: [
                {
                    "certificate": None,
                    "blocks": [block.encode() for block in response.blocks],
                    "chain_length": response.chain_length,
                    "first_block_index": response.first_block_index,
                    "archived_blocks": [],
                }
            ],
        ),
        _spec(
            "archives",
            to_results=lambda archives: [{"archives": [{"canister_id": a} for a in archives]}],
        ),
        _spec("is_ledger_ready"),
        # The certification is a data certificate, which canisters are not handed here: always null.
        _spec(
            "tip_of_chain",
            to_results=lambda tip: [{"certification": None, "tip_index": tip.tip_index}],
        ),
        _spec(
            "icrc10_supported_standards",
            to_results=lambda standards: [[{"name": n, "url": u} for n, u in standards]],
        ),
        _spec(
            "account_balance",
            to_argument=lambda v: AccountBalanceArgs(
                account=AccountIdentifier.from_bytes(v[0]["account"])
            ),
            to_results=lambda e8s: [_tokens(e8s)],
        ),
        _spec("transfer_fee", to_results=lambda fee: [{"transfer_fee": _tokens(fee)}]),
        _spec(
            "query_blocks",
            to_argument=lambda v: GetBlocksArgs(start=v[0]["start"], length=v[0]["length"]),
            to_results=lambda response: [_blocks(response)],
        ),
        _spec("symbol", python_name="icrc1_symbol", to_results=lambda symbol: [{"symbol": symbol}]),
        _spec("name", python_name="icrc1_name", to_results=lambda name: [{"name": name}]),
        _spec(
            "decimals",
            python_name="icrc1_decimals",
            to_results=lambda decimals: [{"decimals": decimals}],
        ),
        _spec("icrc1_name"),
        _spec("icrc1_symbol"),
        _spec("icrc1_decimals"),
        _spec("icrc1_fee"),
        _spec("icrc1_total_supply"),
        _spec(
            "icrc1_metadata",
            to_results=lambda entries: [
                [
                    (key, {"Nat": value} if isinstance(value, int) else {"Text": value})
                    for key, value in entries
                ]
            ],
        ),
        _spec("icrc1_minting_account", to_results=lambda account: [_candid_account(account)]),
        _spec("icrc1_balance_of", to_argument=lambda v: _account(v[0])),
        _spec(
            "icrc1_supported_standards",
            to_results=lambda standards: [[{"name": n, "url": u} for n, u in standards]],
        ),
        _spec(
            "icrc1_transfer",
            to_argument=lambda v: _icrc1_transfer_args(v[0]),
            to_results=lambda index: [{"Ok": index}],
            error_results=lambda e: [{"Err": _icrc_error(e)}],
        ),
        _spec(
            "icrc2_approve",
            to_argument=lambda v: _approve_args(v[0]),
            to_results=lambda index: [{"Ok": index}],
            error_results=lambda e: [{"Err": _icrc_error(e, approve=True)}],
        ),
        _spec(
            "icrc2_allowance",
            to_argument=lambda v: AllowanceArgs(
                account=_account(v[0]["account"]), spender=_account(v[0]["spender"])
            ),
            to_results=lambda allowance: [
                {"allowance": allowance.allowance_e8s, "expires_at": allowance.expires_at_ns}
            ],
        ),
        _spec(
            "icrc2_transfer_from",
            to_argument=lambda v: _transfer_from_args(v[0]),
            to_results=lambda index: [{"Ok": index}],
            error_results=lambda e: [{"Err": _icrc_error(e)}],
        ),
        _spec(
            "remove_approval",
            to_argument=lambda v: RemoveApprovalArgs(
                from_subaccount=v[0]["from_subaccount"],
                spender=_spender_identifier(v[0]["spender"]),
                fee_e8s=v[0]["fee"],
            ),
            to_results=lambda index: [{"Ok": index}],
            error_results=lambda e: [{"Err": _icrc_error(e, approve=True)}],
        ),
        _spec(
            "get_allowances",
            to_argument=lambda v: GetAllowancesArgs(
                from_account=_text_account(v[0]["from_account_id"]),
                prev_spender=None
                if v[0]["prev_spender_id"] is None
                else _text_account(v[0]["prev_spender_id"]),
                take=v[0]["take"],
            ),
            to_results=_allowances,
        ),
        _spec(
            "icrc21_canister_call_consent_message",
            to_argument=lambda v: _consent_request(v[0]),
            to_results=_consent_info,
            error_results=_consent_error,
        ),
    ]
    return Interface(methods={spec.name: spec for spec in specs})
