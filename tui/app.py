"""`icbox tui`: the dashboard app, its screens, key bindings and command palette.

One table, `SCREENS_TABLE`, gives each screen its key, its footer label and its
command-palette entry. The screens poll the backend in workers; a failure sets
`connection` (shown by every status line) and becomes a notification.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import ClassVar, Final

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen

from tui.backend import Backend
from tui.ops.errors import NetworkUnreachable, OpsError
from tui.screens.network import NetworkScreen
from tui.screens.neurons import NeuronsScreen
from tui.screens.proposals import ProposalsScreen
from tui.screens.wallet import WalletScreen

SCREENS_TABLE: Final = (
    ("network", "1", "Network", "Subnets, nodes, heights and the registry version", NetworkScreen),
    ("proposals", "2", "Proposals", "Proposals with tallies and deadlines; vote", ProposalsScreen),
    ("neurons", "3", "Neurons", "My neurons: stake, dissolve, follow, who decides", NeuronsScreen),
    ("wallet", "4", "Wallet", "Balance, account id, history; transfer", WalletScreen),
)
"""Mode name, key, label, palette help, screen class."""


class IcboxApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "icbox"
    MODES: ClassVar = {name: screen for name, _, _, _, screen in SCREENS_TABLE}
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(key, f"switch_mode('{name}')", label)
            for name, key, label, _, _ in SCREENS_TABLE
        ),
        Binding("t", "toggle_dark", "Theme"),
        Binding("q", "quit", "Quit"),
    ]

    connection: reactive[str] = reactive("connecting")

    def __init__(
        self, backend: Backend, *, interval: float = 1.0, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__()
        self.backend = backend
        self.interval = interval
        self.clock = clock
        """Seconds since the epoch, for countdowns (fixed in snapshot tests)."""

    def on_mount(self) -> None:
        self.switch_mode("network")

    def report_error(self, error: OpsError) -> None:
        """A failed call: the connection state, and a notification (once per message)."""
        if isinstance(error, NetworkUnreachable):
            if self.connection != "unreachable":
                self.notify(str(error), title="network unreachable", severity="error")
            self.connection = "unreachable"
        else:
            self.notify(str(error), title=error.kind or "refused", severity="error")

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name, _, label, help_text, _ in SCREENS_TABLE:
            yield SystemCommand(
                f"Show {label}", help_text, lambda name=name: self.switch_mode(name)
            )
        yield SystemCommand("Toggle light/dark", "Switch the theme", self.action_toggle_dark)
        for label, help_text, action in getattr(screen, "ACTIONS", ()):
            yield SystemCommand(
                label, help_text, lambda action=action: self.run_action(action, screen)
            )
