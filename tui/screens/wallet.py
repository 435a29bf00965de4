"""Wallet: the identity's ICP balance and account id."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from tui.ops.ledger import Balance, format_icp
from tui.screens.base import PollingScreen


class WalletScreen(PollingScreen[Balance]):
    TITLE = "Wallet"

    def body(self) -> ComposeResult:
        yield Static("balance -", id="balance")
        yield Static("account -", id="account")

    def fetch(self, backend: Any) -> Balance:
        balance: Balance = backend.balance()
        return balance

    def show(self, data: Balance) -> None:
        self.query_one("#balance", Static).update(
            f"balance [b]{format_icp(data.balance_e8s)} ICP[/b]"
        )
        self.query_one("#account", Static).update(f"account id {data.account_id}")
