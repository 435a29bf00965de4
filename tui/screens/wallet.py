"""Wallet: the identity's ICP balance, account id, history; transfer ICP."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.form import Field, FormDialog, FormValues
from tui.ops.errors import UsageError
from tui.ops.ledger import Balance, HistoryEntry, format_icp, parse_icp
from tui.screens.base import PollingScreen, update_table
from tui.widgets.paged_table import PagedTable


@dataclass(frozen=True, slots=True, kw_only=True)
class WalletData:
    balance: Balance
    history: list[HistoryEntry]


def when(timestamp_ns: int) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp_ns / 1e9, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def counterpart(entry: HistoryEntry, own: str) -> tuple[str, str]:
    """(direction, the other account) of a history entry seen from account `own`."""
    if entry.from_account_id == own and entry.to_account_id == own:
        return "self", own[:12]
    if entry.from_account_id == own:
        return "out", (entry.to_account_id or "-")[:12]
    return "in", (entry.from_account_id or "minted")[:12]


class WalletScreen(PollingScreen[WalletData]):
    TITLE = "Wallet"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("s", "send", "Transfer")]
    ACTIONS = (("Transfer ICP", "Send ICP from my account", "send"),)

    def body(self) -> ComposeResult:
        yield Static("balance -", id="balance")
        yield Static("account -", id="account")
        yield PagedTable(id="history")

    def on_mount(self) -> None:
        self.query_one("#history", DataTable).add_columns(
            "block", "time (UTC)", "operation", "direction", "account", "amount ICP", "fee"
        )
        super().on_mount()

    def fetch(self, backend: Any) -> WalletData:
        return WalletData(balance=backend.balance(), history=backend.history())

    def show(self, data: WalletData) -> None:
        own = data.balance.account_id
        self.query_one("#balance", Static).update(
            f"balance [b]{format_icp(data.balance.balance_e8s)} ICP[/b]"
        )
        self.query_one("#account", Static).update(f"account id {own}")
        update_table(
            self.query_one("#history", DataTable),
            {
                str(entry.block_index): (
                    str(entry.block_index),
                    when(entry.timestamp_ns),
                    entry.operation,
                    *counterpart(entry, own),
                    format_icp(entry.amount_e8s),
                    format_icp(entry.fee_e8s),
                )
                for entry in data.history
            },
        )

    def action_send(self) -> None:
        backend: Any = self.app.backend  # type: ignore[attr-defined]

        def submitted(values: FormValues | None) -> None:
            if values is None:
                return
            try:
                amount = parse_icp(values["amount"])
            except UsageError as error:
                self.app.report_error(error)  # type: ignore[attr-defined]
                return
            to = values["to"]

            def answered(answer: bool | None) -> None:
                if answer:
                    self.perform(
                        lambda result: (
                            f"sent {format_icp(amount)} ICP (block {result.block_index})"
                        ),
                        lambda: backend.transfer(to, amount),
                    )

            self.app.push_screen(
                ConfirmDialog(f"Send [b]{format_icp(amount)} ICP[/b] to {to} (plus the fee)?"),
                answered,
            )

        self.app.push_screen(
            FormDialog(
                "Transfer ICP",
                (
                    Field(name="to", label="To (account id or principal)"),
                    Field(name="amount", label="Amount (ICP)", placeholder="1.5"),
                ),
            ),
            submitted,
        )
