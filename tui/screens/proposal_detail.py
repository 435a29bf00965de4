"""One proposal: its summary, tally, deadline, decoded payload, registry diff and my ballots."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import partial
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.ops.dashboard import ProposalDetail, describe_diff
from tui.ops.ledger import format_icp
from tui.ops.proposals import ProposalView
from tui.screens.base import PollingScreen
from tui.screens.proposals import ask_vote, deadline_cell
from tui.widgets.tally_bar import tally_bar


def render_detail(detail: ProposalDetail, now_s: float, voting_period_s: int) -> str:
    view = detail.view
    lines = [
        f"[b]#{view.proposal_id} {view.title}[/b]",
        f"status {view.status}   topic {view.topic}   proposer {view.proposer}   "
        f"action {view.action}",
        f"deadline {deadline_cell(view, now_s, voting_period_s)}",
        f"yes {format_icp(view.yes)}  no {format_icp(view.no)}  of {format_icp(view.total)}",
    ]
    if view.failure:
        lines.append(f"[red]failed: {view.failure}[/red]")
    if view.summary:
        lines += ["", view.summary]
    lines += ["", "[b]my ballots[/b]"]
    lines += [f"  neuron {n}: {vote}" for n, vote in sorted(detail.ballots.items())] or [
        "  none of my neurons has a ballot"
    ]
    lines += ["", "[b]payload[/b]"]
    shown = json.dumps(detail.payload, indent=2, default=str) if detail.payload else "(none)"
    lines += [f"  {line}" for line in shown.splitlines()]
    if detail.registry is not None:
        lines += ["", "[b]registry diff if adopted[/b]"]
        if not detail.registry.valid:
            lines.append(f"  [red]the registry would refuse it: {detail.registry.error}[/red]")
        elif detail.registry.diff is not None:
            lines += [f"  {line}" for line in describe_diff(detail.registry.diff)] or [
                "  no topology change"
            ]
    elif detail.executed is not None:
        change = detail.executed
        if not change.versions:
            lines += ["", "[b]registry diff it made[/b]", "  no registry version matches it"]
        else:
            written = ", ".join(map(str, change.versions))
            lines += ["", f"[b]registry diff it made[/b] (registry version {written})"]
            lines += [f"  {line}" for line in describe_diff(change.diff or {})] or [
                "  no topology change"
            ]
    return "\n".join(lines)


class ProposalDetailScreen(PollingScreen[ProposalDetail]):
    TITLE = "Proposal"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "vote(True)", "Vote yes"),
        Binding("n", "vote(False)", "Vote no"),
        Binding("escape", "back", "Back"),
    ]
    ACTIONS = (
        ("Vote Yes", "On this proposal, with my neurons", "vote(True)"),
        ("Vote No", "On this proposal, with my neurons", "vote(False)"),
        ("Back to proposals", "Close the detail view", "back"),
    )

    def __init__(self, proposal_id: int, my_neurons: tuple[int, ...]) -> None:
        super().__init__()
        self.proposal_id = proposal_id
        self.my_neurons = my_neurons
        self.shown: ProposalDetail | None = None

    def body(self) -> ComposeResult:
        with VerticalScroll(id="detail-scroll"):
            yield Static("loading...", id="detail")
            yield Static("", id="detail-tally")

    def on_mount(self) -> None:
        super().on_mount()
        self.title = f"Proposal {self.proposal_id}"

    def fetch(self, backend: Any) -> ProposalDetail:
        detail: ProposalDetail = backend.proposal_detail(self.proposal_id, self.my_neurons)
        return detail

    def show(self, data: ProposalDetail) -> None:
        self.shown = data
        period = int(self.app.backend.voting_period_s)  # type: ignore[attr-defined]
        now = self.app.clock()  # type: ignore[attr-defined]
        self.query_one("#detail", Static).update(render_detail(data, now, period))
        self.query_one("#detail-tally", Static).update(
            tally_bar(data.view.yes, data.view.no, data.view.total, width=40)
        )

    def action_vote(self, yes: bool) -> None:
        ask_vote(self, self.proposal_id, yes, self.my_neurons, partial(self.voted, yes))

    def voted(self, yes: bool, view: ProposalView, picked: tuple[int, ...]) -> None:
        """The tally the vote's own answer carries, and my new ballots, shown at once."""
        shown = self.shown
        if shown is None or not self.is_attached:
            return
        cast = {
            neuron: "yes" if yes else "no"
            for neuron in picked
            if shown.ballots.get(neuron, "unspecified") == "unspecified"
        }
        self.show(replace(shown, view=view, ballots={**shown.ballots, **cast}))

    def action_back(self) -> None:
        self.dismiss()
