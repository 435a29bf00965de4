"""Neurons: the identity's neurons with stake, dissolve state, voting power and following."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

from tui.ops.ledger import format_icp
from tui.ops.neurons import NeuronView, topic_name
from tui.screens.base import PollingScreen, update_table


def duration(seconds: int) -> str:
    days, rest = divmod(seconds, 86_400)
    return f"{days}d {rest // 3600}h" if days else f"{rest // 3600}h {rest % 3600 // 60}m"


def following(neuron: NeuronView) -> str:
    return (
        "; ".join(
            f"{topic_name(topic)}: {', '.join(map(str, ids))}"
            for topic, ids in sorted(neuron.followees.items())
        )
        or "-"
    )


class NeuronsScreen(PollingScreen[list[NeuronView]]):
    TITLE = "Neurons"

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(
            "neuron", "stake ICP", "state", "dissolve delay", "voting power", "following"
        )
        super().on_mount()

    def fetch(self, backend: Any) -> list[NeuronView]:
        neurons: list[NeuronView] = backend.neurons()
        return neurons

    def show(self, data: list[NeuronView]) -> None:
        update_table(
            self.query_one(DataTable),
            {
                str(neuron.neuron_id): (
                    str(neuron.neuron_id)
                    + (f" ({neuron.known_name})" if neuron.known_name else ""),
                    format_icp(neuron.stake_e8s),
                    neuron.state,
                    duration(neuron.dissolve_delay_seconds),
                    format_icp(neuron.voting_power),
                    following(neuron),
                )
                for neuron in data
            },
        )
