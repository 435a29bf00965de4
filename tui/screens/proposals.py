"""Proposals: status, topic, tally bar and deadline (wait-for-quiet extensions shown) of each;
vote with one or all of my neurons; open the detail view; make a chain-evolution proposal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from tui.dialogs.form import Field, FormDialog, FormValues
from tui.dialogs.proposal_form import FORMS, ProposalFormDialog
from tui.dialogs.vote import VoteDialog
from tui.ops.dashboard import extension_s
from tui.ops.proposals import ProposalView
from tui.screens.base import PollingScreen
from tui.widgets.paged_table import Cells, Listing, PagedTable, make_listing
from tui.widgets.tally_bar import tally_bar


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposalsData:
    proposals: list[ProposalView]
    my_neurons: tuple[int, ...]
    listing: Listing
    """The table's list, compared with the one shown in the worker thread."""


def span(seconds: int) -> str:
    hours, rest = divmod(max(0, seconds), 3600)
    return f"{hours}h {rest // 60:02d}m {rest % 60:02d}s"


def countdown(deadline_s: int | None, now_s: float) -> str:
    """The time left, to the second in the last hour and to the minute before: a deadline days
    away changes its row once a minute, not every second (each change repaints the table)."""
    if deadline_s is None:
        return "-"
    left = int(deadline_s - now_s)
    if left <= 0:
        return "passed"
    if left < 3600:
        return span(left)
    hours, rest = divmod(left, 3600)
    return f"{hours}h {rest // 60:02d}m"


def deadline_cell(view: ProposalView, now_s: float, voting_period_s: int) -> str:
    """The countdown of an open proposal, and how far wait-for-quiet has moved its deadline."""
    if view.status != "open":
        return "-"
    extended = extension_s(view, voting_period_s)
    return countdown(view.deadline_s, now_s) + (f" (+{span(extended)} quiet)" if extended else "")


def proposal_cells(item: tuple[ProposalView, str]) -> Cells:
    """A proposal's row, from the proposal and its deadline cell."""
    view, deadline = item
    return (
        str(view.proposal_id),
        view.status,
        view.topic,
        view.title[:40],
        tally_bar(view.yes, view.no, view.total),
        deadline,
    )


def ask_vote(
    screen: PollingScreen[Any],
    proposal_id: int,
    yes: bool,
    neurons: tuple[int, ...],
    then: Callable[[ProposalView, tuple[int, ...]], None] | None = None,
) -> None:
    """The vote dialog, then the vote in a worker; shared by the list and the detail view.

    `then` (optional) gets the proposal as the vote left it and the neurons chosen, at once
    (before the screen's next poll)."""
    if not neurons:
        screen.notify("this identity controls no neurons", severity="warning")
        return
    word = "Yes" if yes else "No"
    backend: Any = screen.app.backend  # type: ignore[attr-defined]

    def chosen(picked: tuple[int, ...] | None) -> None:
        if picked:
            screen.perform(
                f"voted {word} on proposal {proposal_id} with {', '.join(map(str, picked))}",
                lambda: backend.vote(proposal_id, picked, yes=yes),
                None if then is None else lambda view: then(view, picked),
            )

    screen.app.push_screen(VoteDialog(proposal_id, yes, neurons), chosen)


class ProposalsScreen(PollingScreen[ProposalsData]):
    TITLE = "Proposals"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "vote(True)", "Vote yes"),
        Binding("n", "vote(False)", "Vote no"),
        Binding("enter", "detail", "Detail"),
        Binding("m", "make", "Make proposal"),
    ]
    ACTIONS = (
        ("Vote Yes", "On the selected proposal, with my neurons", "vote(True)"),
        ("Vote No", "On the selected proposal, with my neurons", "vote(False)"),
        ("Proposal detail", "Payload, registry diff and my ballots", "detail"),
        ("Make a proposal", "Any chain-evolution proposal, previewed first", "make"),
        *(
            (f"Make proposal: {kind}", form.description, f"make_kind('{kind}')")
            for kind, form in FORMS.items()
        ),
    )

    my_neurons: tuple[int, ...] = ()

    def on_mount(self) -> None:
        self.table = self.query_one(PagedTable)
        self.table.add_columns("id", "status", "topic", "title", "tally", "deadline")
        super().on_mount()

    def fetch(self, backend: Any) -> ProposalsData:
        """The proposals, listed in the worker thread; the table formats only the rows it
        shows (each with the deadline's countdown at this poll's time)."""
        proposals = backend.proposals()
        neurons = backend.neurons()
        now = self.app.clock()  # type: ignore[attr-defined]
        period = int(backend.voting_period_s)
        return ProposalsData(
            proposals=proposals,
            my_neurons=tuple(neuron.neuron_id for neuron in neurons),
            listing=make_listing(
                self.table.shown,
                {
                    str(view.proposal_id): (view, deadline_cell(view, now, period))
                    for view in proposals
                },
                proposal_cells,
            ),
        )

    def show(self, data: ProposalsData) -> None:
        self.my_neurons = data.my_neurons
        self.table.apply(data.listing)

    def selected(self) -> int | None:
        key = self.selected_key()
        return None if key is None else int(key)

    def action_vote(self, yes: bool) -> None:
        proposal_id = self.selected()
        if proposal_id is None:
            self.notify("no proposal is selected", severity="warning")
            return
        ask_vote(self, proposal_id, yes, self.my_neurons)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_detail()

    def action_detail(self) -> None:
        from tui.screens.proposal_detail import ProposalDetailScreen

        proposal_id = self.selected()
        if proposal_id is None:
            self.notify("no proposal is selected", severity="warning")
            return
        self.app.push_screen(ProposalDetailScreen(proposal_id, self.my_neurons))

    def action_make(self) -> None:
        def picked(values: FormValues | None) -> None:
            if values:
                self.action_make_kind(values["kind"])

        self.app.push_screen(
            FormDialog(
                "Make a proposal: which kind?",
                (
                    Field(
                        name="kind",
                        label="Kind",
                        choices=tuple((f"{k}: {f.description}", k) for k, f in FORMS.items()),
                    ),
                ),
                submit="Next",
            ),
            picked,
        )

    def action_make_kind(self, kind: str) -> None:
        def made(proposal_id: int | None) -> None:
            if proposal_id is not None:
                self.call_after_refresh(self.poll)

        neuron = self.my_neurons[0] if self.my_neurons else None
        self.app.push_screen(ProposalFormDialog(FORMS[kind], neuron), made)
