"""The status line: network, identity, connection state."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static


class StatusLine(Static):
    """Follows the app's `connection` and shows it with the network and identity."""

    def on_mount(self) -> None:
        self.watch(self.app, "connection", self._show, init=True)

    def _show(self, connection: str) -> None:
        app: Any = self.app
        self.set_classes(f"-{connection}")
        self.update(
            f"network [b]{app.backend.network_name}[/b]  identity "
            f"[b]{app.backend.identity_name}[/b]"
            f"  {connection}"
        )
