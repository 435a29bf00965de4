"""`icbox ledger`: ICP balances, transfers (fee shown), account identifiers and history."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from tui.cli.common import Cli, operation, table
from tui.cli.lazy import lazy_module

if TYPE_CHECKING:
    from tui.ops import ledger as ops
else:
    ops = lazy_module("tui.ops.ledger")


@click.group()
def ledger() -> None:
    """The ICP ledger.

    ACCOUNT is a 64-hex account identifier or a principal (with --subaccount).

    \b
    Examples:
      icbox ledger balance
      icbox ledger transfer 1.5 --to 2vxsx-fae... --memo 7
      icbox ledger account-id --of rrkah-fqaaa-aaaaa-aaaaq-cai --subaccount 01
      icbox ledger history --limit 5 --json
    """


@ledger.command()
@click.argument("account", required=False)
@click.option("--subaccount", default=None, help="Hex subaccount of a principal ACCOUNT.")
@operation
def balance(cli: Cli, account: str | None, subaccount: str | None) -> None:
    """The balance of ACCOUNT (default: the identity's own account)."""
    target = ops.parse_account(account, subaccount) if account else None
    result = ops.get_balance(cli.session, target)
    cli.emit(
        result.to_json(),
        lambda: click.echo(f"{ops.format_icp(result.balance_e8s)} ICP  ({result.account_id})"),
    )


@ledger.command()
@click.argument("amount")
@click.option("--to", "to", required=True, help="The receiving ACCOUNT.")
@click.option("--to-subaccount", default=None, help="Hex subaccount of a principal --to.")
@click.option(
    "--memo",
    default=0,
    show_default=True,
    type=click.IntRange(0, 2**64 - 1),
    help="The transfer's memo.",
)
@click.option(
    "--created-at-time",
    type=int,
    default=None,
    help="Nanoseconds since the epoch (default: now); the ledger refuses a duplicate within 24 h.",
)
@click.option("--fee", default=None, help="ICP fee (default: the ledger's).")
@operation
def transfer(
    cli: Cli,
    amount: str,
    to: str,
    to_subaccount: str | None,
    memo: int,
    created_at_time: int | None,
    fee: str | None,
) -> None:
    """Send AMOUNT ICP (e.g. 1.5) to an account; the fee is paid on top."""
    result = ops.transfer(
        cli.session,
        to=ops.parse_account(to, to_subaccount),
        amount_e8s=ops.parse_icp(amount),
        memo=memo,
        fee_e8s=None if fee is None else ops.parse_icp(fee),
        created_at_time_ns=created_at_time,
    )
    cli.emit(
        result.to_json(),
        lambda: click.echo(
            f"sent {ops.format_icp(result.amount_e8s)} ICP to {result.to_account_id} in block {result.block_index} "
            f"(fee {ops.format_icp(result.fee_e8s)} ICP, memo {result.memo})"
        ),
    )


@ledger.command("account-id")
@click.option("--of", "owner", default=None, help="A principal (default: the identity's).")
@click.option("--subaccount", default=None, help="Hex subaccount.")
@operation
def account_id(cli: Cli, owner: str | None, subaccount: str | None) -> None:
    """The legacy account identifier of a principal (and subaccount)."""
    from nns.ledger.accounts import AccountIdentifier

    if owner is None:
        from tui.ops.identities import IdentityStore

        principal = IdentityStore(network_pem=_network_pem(cli)).load(cli.identity).principal
    else:
        principal = ops.parse_principal(owner)
    account = AccountIdentifier.of(principal, ops.parse_subaccount(subaccount))
    document = {
        "principal": principal.to_text(),
        "subaccount": subaccount,
        "account_id": account.to_hex(),
    }
    cli.emit(document, lambda: click.echo(account.to_hex()))


def _network_pem(cli: Cli) -> Path | None:
    from tui.ops.errors import OpsError
    from tui.ops.session import resolve_network

    try:
        return resolve_network(cli.network, cli.directory).network_pem
    except OpsError:
        return None


@ledger.command()
@click.argument("account", required=False)
@click.option("--subaccount", default=None, help="Hex subaccount of a principal ACCOUNT.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@operation
def history(cli: Cli, account: str | None, subaccount: str | None, limit: int) -> None:
    """The latest transactions of ACCOUNT (default: the identity's), newest first."""
    target = ops.parse_account(account, subaccount) if account else None
    entries = ops.get_history(cli.session, target, limit=limit)
    cli.emit(
        {"transactions": [e.to_json() for e in entries]},
        lambda: table(
            None,
            ["block", "operation", "from", "to", "ICP", "fee", "memo"],
            [
                [
                    e.block_index,
                    e.operation,
                    (e.from_account_id or "")[:12],
                    (e.to_account_id or "")[:12],
                    ops.format_icp(e.amount_e8s),
                    ops.format_icp(e.fee_e8s),
                    e.memo,
                ]
                for e in entries
            ],
        ),
    )
