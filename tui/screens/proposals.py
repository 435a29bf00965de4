"""Proposals: status, topic, tally bar and deadline of each; vote with all my neurons."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from tui.dialogs.confirm import ConfirmDialog
from tui.ops.proposals import ProposalView
from tui.screens.base import PollingScreen, update_table
from tui.widgets.tally_bar import tally_bar


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposalsData:
    proposals: list[ProposalView]
    my_neurons: tuple[int, ...]


def countdown(deadline_s: int | None, now_s: float) -> str:
    if deadline_s is None:
        return "-"
    left = int(deadline_s - now_s)
    if left <= 0:
        return "passed"
    hours, rest = divmod(left, 3600)
    return f"{hours}h {rest // 60:02d}m {rest % 60:02d}s"


class ProposalsScreen(PollingScreen[ProposalsData]):
    TITLE = "Proposals"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "vote(True)", "Vote yes"),
        Binding("n", "vote(False)", "Vote no"),
    ]

    my_neurons: tuple[int, ...] = ()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("id", "status", "topic", "title", "tally", "deadline")
        super().on_mount()

    def fetch(self, backend: Any) -> ProposalsData:
        proposals = backend.proposals()
        neurons = backend.neurons()
        return ProposalsData(
            proposals=proposals, my_neurons=tuple(neuron.neuron_id for neuron in neurons)
        )

    def show(self, data: ProposalsData) -> None:
        self.my_neurons = data.my_neurons
        now = time.time()
        update_table(
            self.query_one(DataTable),
            {
                str(view.proposal_id): (
                    str(view.proposal_id),
                    view.status,
                    view.topic,
                    view.title[:40],
                    tally_bar(view.yes, view.no, view.total),
                    countdown(view.deadline_s, now) if view.status == "open" else "-",
                )
                for view in data.proposals
            },
        )

    def selected(self) -> int | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return int(str(key.value))

    def action_vote(self, yes: bool) -> None:
        proposal_id = self.selected()
        if proposal_id is None:
            self.notify("no proposal is selected", severity="warning")
            return
        if not self.my_neurons:
            self.notify("this identity controls no neurons", severity="warning")
            return
        neurons = self.my_neurons
        word = "Yes" if yes else "No"

        def confirmed(answer: bool | None) -> None:
            if answer:
                backend: Any = self.app.backend  # type: ignore[attr-defined]
                self.perform(
                    f"voted {word} on proposal {proposal_id}",
                    lambda: backend.vote(proposal_id, neurons, yes=yes),
                )

        self.app.push_screen(
            ConfirmDialog(
                f"Vote [b]{word}[/b] on proposal {proposal_id} with neurons "
                f"{', '.join(map(str, neurons))}?"
            ),
            confirmed,
        )
