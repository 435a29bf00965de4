"""ICRC-103 on the SNS ledger: an account's allowances, listed by spender.

ICRC-103 (dfinity/ICRC standards ICRC-103) and the IC's ICRC-1 ledger
(rs/ledger_suite/icrc1/ledger/src/lib.rs `get_allowances`): the allowances are public
(`icrc103:public_allowances`), `from_account` defaults to the caller's default account, the
page holds the live (unexpired) allowances whose spender comes strictly after `prev_spender`
in account order (owner, then subaccount), at most `take` and never more than 500
(`icrc103:max_take_value`).

The ledger keeps allowances by account identifier; the spender's account is the one the ledger
saw in the approval (every approval names it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from nns.ledger.accounts import Account, AccountIdentifier
from nns.ledger.types import AllowanceEntry, GetAllowancesArgs
from replica.types import Principal

MAX_TAKE_ALLOWANCES: Final = 500
METADATA: Final = (
    ("icrc103:public_allowances", "true"),
    ("icrc103:max_take_value", MAX_TAKE_ALLOWANCES),
)

Page = Callable[[GetAllowancesArgs], tuple[AllowanceEntry, ...]]


def _account(value: Mapping[str, Any]) -> Account:
    return Account.of(value["owner"], value["subaccount"])


def _order(account: Account) -> tuple[bytes, bytes]:
    return account.owner.raw, account.subaccount


def _candid(account: Account) -> dict[str, Any]:
    subaccount = None if account.is_default_subaccount else account.subaccount
    return {"owner": account.owner, "subaccount": subaccount}


def get_allowances(
    caller: Principal,
    request: Mapping[str, Any],
    page: Page,
    account_of: Callable[[AccountIdentifier], Account | None],
) -> dict[str, Any]:
    """`icrc103_get_allowances`: `{"Ok": [Allowance103, ...]}`."""
    owner = (
        Account.of(caller) if request["from_account"] is None else _account(request["from_account"])
    )
    take = MAX_TAKE_ALLOWANCES if request["take"] is None else int(request["take"])
    take = min(take, MAX_TAKE_ALLOWANCES)
    entries: list[AllowanceEntry] = []
    after: AccountIdentifier | None = None
    while True:  # every live allowance of the owner: the ledger pages them by identifier
        batch = page(GetAllowancesArgs(from_account=owner.identifier(), prev_spender=after))
        entries.extend(batch)
        if len(batch) < MAX_TAKE_ALLOWANCES:
            break
        after = batch[-1].spender
    spenders = [(account_of(entry.spender), entry) for entry in entries]
    known = sorted(
        ((spender, entry) for spender, entry in spenders if spender is not None),
        key=lambda pair: _order(pair[0]),
    )
    if request["prev_spender"] is not None:
        previous = _order(_account(request["prev_spender"]))
        known = [pair for pair in known if _order(pair[0]) > previous]
    return {
        "Ok": [
            {
                "from_account": _candid(owner),
                "to_spender": _candid(spender),
                "allowance": entry.allowance_e8s,
                "expires_at": entry.expires_at_ns,
            }
            for spender, entry in known[:take]
        ]
    }
