"""Neurons: stake, dissolve state, age, voting power, maturity and following of each of mine;
stake, change the dissolve delay, start/stop dissolving, follow, spawn, disburse, and the
"who decides my vote" graph per topic."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, Final

from textual.binding import Binding, BindingType

from nns.governance.enums import Topic
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.form import Field, FormDialog, FormValues
from tui.ops.errors import UsageError
from tui.ops.ledger import format_icp, parse_icp
from tui.ops.neurons import NeuronView, topic_name
from tui.screens.base import PollingScreen
from tui.widgets.paged_table import Cells, Listing, PagedTable, make_listing

DAY_S: Final = 86_400
TOPICS: Final = tuple((topic_name(int(t)), str(int(t))) for t in Topic)
"""(name, value) of every topic; `all` is the catch-all."""


def duration(seconds: int) -> str:
    days, rest = divmod(seconds, DAY_S)
    return f"{days}d {rest // 3600}h" if days else f"{rest // 3600}h {rest % 3600 // 60}m"


def following(neuron: NeuronView) -> str:
    return (
        "; ".join(
            f"{topic_name(topic)}: {', '.join(map(str, ids))}"
            for topic, ids in sorted(neuron.followees.items())
        )
        or "-"
    )


def parse_ids(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.replace(",", " ").split())
    except ValueError as error:
        raise UsageError(f"neuron ids are whole numbers, not {text!r}") from error


def parse_days(text: str, time_scale: int = 1) -> int:
    """Governance days as the network's seconds (a preset scales governance time,
    `tui.ops.durations`): 183 days is 10,980 s on `local`, where a day lasts 60 s."""
    try:
        days = float(text)
    except ValueError as error:
        raise UsageError(f"{text!r} is not a number of days") from error
    if days < 0:
        raise UsageError("a delay is not negative")
    return max(1, int(days * DAY_S) // time_scale) if days else 0


def neuron_cells(time_scale: int, neuron: NeuronView) -> Cells:
    """A neuron's row (durations in governance time)."""
    return (
        str(neuron.neuron_id) + (f" ({neuron.known_name})" if neuron.known_name else ""),
        format_icp(neuron.stake_e8s),
        neuron.state,
        duration(neuron.dissolve_delay_seconds * time_scale),
        duration(neuron.age_seconds * time_scale),
        format_icp(neuron.voting_power),
        format_icp(neuron.maturity_e8s),
        following(neuron),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class NeuronsData:
    neurons: dict[int, NeuronView]
    known: dict[int, str]
    listing: Listing
    """The table's list, compared with the one shown in the worker thread."""


class NeuronsScreen(PollingScreen[NeuronsData]):
    TITLE = "Neurons"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "stake", "Stake"),
        Binding("d", "delay", "Dissolve delay"),
        Binding("x", "dissolve", "Start/stop dissolving"),
        Binding("f", "follow", "Follow"),
        Binding("p", "spawn", "Spawn"),
        Binding("b", "disburse", "Disburse"),
        Binding("w", "who", "Who decides"),
    ]
    ACTIONS = (
        ("Stake a neuron", "From the wallet, with a dissolve delay", "stake"),
        ("Increase dissolve delay", "Of the selected neuron", "delay"),
        ("Start/stop dissolving", "The selected neuron", "dissolve"),
        ("Follow", "Set the selected neuron's followees on a topic", "follow"),
        ("Spawn", "A new neuron from the selected neuron's maturity", "spawn"),
        ("Disburse", "The selected dissolved neuron's stake to the wallet", "disburse"),
        ("Who decides my vote", "The following graph of the selected neuron", "who"),
    )

    neurons: dict[int, NeuronView]
    known: dict[int, str]

    def on_mount(self) -> None:
        self.table = self.query_one(PagedTable)
        self.table.add_columns(
            "neuron",
            "stake ICP",
            "state",
            "dissolve delay",
            "age",
            "voting power",
            "maturity",
            "following",
        )
        self.neurons = {}
        self.known = {}
        super().on_mount()

    def fetch(self, backend: Any) -> NeuronsData:
        """The neurons, listed in the worker thread; the table formats only the rows it shows,
        so 10,000 neurons cost a refresh one comparison of their ids."""
        neurons: list[NeuronView] = backend.neurons()
        known = backend.known_neurons()
        scale = int(getattr(backend, "time_scale", 1))
        return NeuronsData(
            neurons={n.neuron_id: n for n in neurons},
            known=known,
            listing=make_listing(
                self.table.shown,
                {str(neuron.neuron_id): neuron for neuron in neurons},
                partial(neuron_cells, scale),
            ),
        )

    def show(self, data: NeuronsData) -> None:
        self.neurons = data.neurons
        self.known = data.known
        self.table.apply(data.listing)

    @property
    def backend(self) -> Any:
        return self.app.backend  # type: ignore[attr-defined]

    @property
    def time_scale(self) -> int:
        """Durations are shown and typed in governance time."""
        return int(getattr(self.backend, "time_scale", 1))

    def _selected(self) -> NeuronView | None:
        key = self.selected_key()
        neuron = None if key is None else self.neurons.get(int(key))
        if neuron is None:
            self.notify("no neuron is selected", severity="warning")
        return neuron

    def _form(self, title: str, fields: tuple[Field, ...], then: Any) -> None:
        """A form; its values go to `then`, whose usage errors become a notification."""

        def submitted(values: FormValues | None) -> None:
            if values is None:
                return
            try:
                then(values)
            except UsageError as error:
                self.app.report_error(error)  # type: ignore[attr-defined]

        self.app.push_screen(FormDialog(title, fields), submitted)

    def _confirm(self, question: str, what: Any, call: Any) -> None:
        def answered(answer: bool | None) -> None:
            if answer:
                self.perform(what, call)

        self.app.push_screen(ConfirmDialog(question), answered)

    def action_stake(self) -> None:
        backend = self.backend

        def stake(values: FormValues) -> None:
            amount = parse_icp(values["amount"])
            delay = parse_days(values["days"], self.time_scale)
            self._confirm(
                f"Stake [b]{format_icp(amount)} ICP[/b] in a new neuron, dissolve delay "
                f"{duration(delay * self.time_scale)}?",
                lambda result: f"neuron {result.neuron_id} staked with {format_icp(amount)} ICP",
                lambda: backend.stake(amount, delay),
            )

        self._form(
            "Stake a new neuron from the wallet",
            (
                Field(name="amount", label="Amount (ICP)", placeholder="1.5"),
                Field(name="days", label="Dissolve delay (days)", default="183"),
            ),
            stake,
        )

    def action_delay(self) -> None:
        neuron = self._selected()
        if neuron is None:
            return
        backend = self.backend

        def delay(values: FormValues) -> None:
            seconds = parse_days(values["days"], self.time_scale)
            self.perform(
                f"neuron {neuron.neuron_id}'s dissolve delay increased by "
                f"{duration(seconds * self.time_scale)}",
                lambda: backend.increase_dissolve_delay(neuron.neuron_id, seconds),
            )

        self._form(
            f"Increase neuron {neuron.neuron_id}'s dissolve delay "
            f"(now {duration(neuron.dissolve_delay_seconds * self.time_scale)})",
            (Field(name="days", label="Days to add", placeholder="30"),),
            delay,
        )

    def action_dissolve(self) -> None:
        neuron = self._selected()
        if neuron is None:
            return
        start = neuron.state != "dissolving"
        word = "Start" if start else "Stop"
        backend = self.backend
        self._confirm(
            f"{word} dissolving neuron {neuron.neuron_id}?",
            f"neuron {neuron.neuron_id}: {'started' if start else 'stopped'} dissolving",
            lambda: backend.set_dissolving(neuron.neuron_id, start),
        )

    def action_follow(self) -> None:
        neuron = self._selected()
        if neuron is None:
            return
        backend = self.backend
        current = neuron.followees.get(int(Topic.GOVERNANCE), ())
        choices = tuple(
            (f"{n} {name}", str(n))
            for n, name in sorted(self.known.items())
            if n != neuron.neuron_id
        )

        def follow(values: FormValues) -> None:
            topic = int(values["topic"])
            followees = tuple(sorted({*map(int, values["known"]), *parse_ids(values["ids"])}))
            self.perform(
                f"neuron {neuron.neuron_id} follows {', '.join(map(str, followees)) or 'nobody'} "
                f"on {topic_name(topic)}",
                lambda: backend.follow(neuron.neuron_id, topic, followees),
            )

        self._form(
            f"Neuron {neuron.neuron_id} follows, on a topic (an empty list stops following)",
            (
                Field(
                    name="topic", label="Topic", choices=TOPICS, default=str(int(Topic.GOVERNANCE))
                ),
                Field(name="known", label="Known neurons", choices=choices, many=True),
                Field(
                    name="ids",
                    label="Other neuron ids",
                    default=" ".join(str(n) for n in current if n not in self.known),
                ),
            ),
            follow,
        )

    def action_spawn(self) -> None:
        neuron = self._selected()
        if neuron is None:
            return
        backend = self.backend
        self._confirm(
            f"Spawn a new neuron from neuron {neuron.neuron_id}'s maturity "
            f"({format_icp(neuron.maturity_e8s)} ICP)?",
            lambda created: f"neuron {created} spawned",
            lambda: backend.spawn(neuron.neuron_id),
        )

    def action_disburse(self) -> None:
        neuron = self._selected()
        if neuron is None:
            return
        backend = self.backend
        self._confirm(
            f"Disburse neuron {neuron.neuron_id}'s stake ({format_icp(neuron.stake_e8s)} ICP) "
            "to my wallet?",
            lambda block: f"neuron {neuron.neuron_id} disbursed (block {block})",
            lambda: backend.disburse(neuron.neuron_id),
        )

    def action_who(self) -> None:
        from tui.screens.who_decides import WhoDecidesScreen

        neuron = self._selected()
        if neuron is None:
            return

        def chosen(values: FormValues | None) -> None:
            if values:
                self.app.push_screen(WhoDecidesScreen(neuron.neuron_id, int(values["topic"])))

        self.app.push_screen(
            FormDialog(
                f"Who decides neuron {neuron.neuron_id}'s vote, on which topic?",
                (
                    Field(
                        name="topic",
                        label="Topic",
                        choices=TOPICS,
                        default=str(int(Topic.GOVERNANCE)),
                    ),
                ),
                submit="Show",
            ),
            chosen,
        )
