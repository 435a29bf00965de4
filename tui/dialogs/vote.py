"""Vote on a proposal with one, some or all of my neurons: pick them, confirm."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, SelectionList, Static


class VoteDialog(ModalScreen[tuple[int, ...] | None]):
    """Dismisses with the neurons chosen (all at first) when confirmed, None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "confirm", "Vote", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, proposal_id: int, yes: bool, neurons: tuple[int, ...]) -> None:
        super().__init__()
        self.proposal_id = proposal_id
        self.yes = yes
        self.neurons = neurons

    def compose(self) -> ComposeResult:
        word = "Yes" if self.yes else "No"
        with Vertical(id="dialog"):
            yield Static(
                f"Vote [b]{word}[/b] on proposal {self.proposal_id} with neurons "
                f"{', '.join(map(str, self.neurons))}?\n"
                "(space unticks a neuron; enter votes)",
                id="question",
            )
            yield SelectionList[int](
                *((f"neuron {n}", n, True) for n in self.neurons), id="vote-neurons"
            )
            with Horizontal(id="buttons"):
                yield Button(f"Vote {word}", variant="primary", id="confirm")
                yield Button("Cancel", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "confirm":
            self.action_confirm()
        else:
            self.action_cancel()

    def action_confirm(self) -> None:
        chosen = self.query_one("#vote-neurons", SelectionList).selected
        self.dismiss(tuple(n for n in self.neurons if n in chosen))

    def action_cancel(self) -> None:
        self.dismiss(None)
