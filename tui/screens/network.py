"""Network: subnets with finalization-rate sparklines, nodes with health and placement, the
registry version, time travel through registry versions, the event feed, kill/restart a node.

Time travel (`[` and `]`, `l` back to live) shows the topology of one registry
version and the diff from the one before it. Two feeds: what each new registry
version changed ("v9 node X joined subnet Y at height H"), and what each local
node's orchestrator decided ("v9 node X joined subnet Y at height 412"), as they
appear (`tui.ops.orchestrator_feed`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from statistics import mean
from typing import Any, ClassVar, Final

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Label, RichLog, Sparkline, Static

from tui.backend import NetworkView
from tui.dialogs.confirm import ConfirmDialog
from tui.ops.dashboard import RegistryEvent, describe_diff, node_health, short
from tui.ops.orchestrator_feed import EventCursor, FeedLine
from tui.screens.base import PollingScreen, update_table
from tui.widgets.paged_table import PagedTable

SAMPLES: Final = 60
"""Finalization-rate samples kept per subnet (one per refresh)."""
HISTORY: Final = 5
"""Registry versions the event feed shows when the screen first loads."""
ORCHESTRATOR_HISTORY: Final = 20
"""Orchestrator decisions the feed shows when the screen first loads."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Travel:
    version: int
    topology: dict[str, Any]
    diff: dict[str, Any] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkData:
    view: NetworkView
    events: list[RegistryEvent] = field(default_factory=list)
    travel: Travel | None = None
    decisions: list[FeedLine] = field(default_factory=list)
    cursor: EventCursor = field(default_factory=EventCursor)


def subnet_heights(view: NetworkView) -> dict[str, int]:
    """Subnet id -> the highest finalized height any of its nodes reports."""
    tops: dict[str, int] = {}
    for subnet in view.topology["subnets"]:
        heights = [h for n in subnet["members"] if (h := view.heights.get(n)) is not None]
        if heights:
            tops[subnet["id"]] = max(heights)
    return tops


class NetworkScreen(PollingScreen[NetworkData]):
    TITLE = "Network"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left_square_bracket", "travel(-1)", "Older version"),
        Binding("right_square_bracket", "travel(1)", "Newer version"),
        Binding("l", "live", "Live"),
        Binding("k", "kill", "Kill node"),
        Binding("r", "restart", "Restart node"),
    ]
    ACTIONS = (
        ("Registry: older version", "Time travel one registry version back", "travel(-1)"),
        ("Registry: newer version", "Time travel one registry version forward", "travel(1)"),
        ("Registry: back to live", "Leave time travel", "live"),
        ("Kill node", "Stop the selected local node's processes", "kill"),
        ("Restart node", "Start the selected local node again", "restart"),
    )

    def body(self) -> ComposeResult:
        yield Static("registry version -", id="registry-version")
        yield Static("", id="travel")
        with Horizontal(id="network-top"):
            yield PagedTable(id="subnets")
            yield Vertical(id="rates")
        yield PagedTable(id="nodes")
        with Horizontal(id="feeds"):
            yield RichLog(id="events", markup=True, wrap=True, max_lines=500)
            yield RichLog(id="orchestrator", markup=True, wrap=True, max_lines=500)

    def on_mount(self) -> None:
        self.query_one("#subnets", DataTable).add_columns(
            "subnet", "type", "nodes", "replica version", "height", "halted"
        )
        self.query_one("#nodes", DataTable).add_columns(
            "node", "subnet", "height", "health", "provider", "data center", "operator", "http"
        )
        self.query_one("#travel", Static).display = False
        self.query_one("#events", RichLog).border_title = "registry"
        self.query_one("#orchestrator", RichLog).border_title = "orchestrators"
        self.cursor: EventCursor | None = None
        self.latest: int | None = None
        self.travel_to: int | None = None
        self.rates: dict[str, deque[float]] = {}
        super().on_mount()

    def fetch(self, backend: Any) -> NetworkData:
        view: NetworkView = backend.network()
        latest = int(view.topology["version"])
        events: list[RegistryEvent] = []
        since = self.latest if self.latest is not None else max(0, latest - HISTORY)
        if latest > since:
            events = backend.registry_events(since, subnet_heights(view))
        travel = None
        target = self.travel_to
        if target is not None:
            target = max(1, min(target, latest))
            diff = backend.topology_diff(target - 1, target) if target > 1 else None
            travel = Travel(version=target, topology=backend.topology_at(target), diff=diff)
        decisions, cursor = backend.orchestrator_events(self.cursor or EventCursor())
        if self.cursor is None:
            decisions = decisions[-ORCHESTRATOR_HISTORY:]
        return NetworkData(
            view=view, events=events, travel=travel, decisions=decisions, cursor=cursor
        )

    def show(self, data: NetworkData) -> None:
        view = data.view
        latest = int(view.topology["version"])
        log = self.query_one("#events", RichLog)
        for event in data.events:
            if self.latest is None or event.version > self.latest:
                log.write(f"[b]v{event.version}[/b] {event.text}")
        self.latest = latest
        decisions = self.query_one("#orchestrator", RichLog)
        for line in data.decisions:
            decisions.write(f"[b]v{line.registry_version}[/b] {line.text}")
        self.cursor = data.cursor
        self._sample_rates(view)
        topology = view.topology if data.travel is None else data.travel.topology
        self._show_travel(data.travel, latest)
        subnets = topology["subnets"]
        self.query_one("#registry-version", Static).update(
            f"registry version [b]{topology['version']}[/b]"
            + ("" if data.travel is None else f" of {latest} (time travel)")
            + f"   {len(subnets)} subnets   {len(topology['nodes'])} nodes "
            f"({len(topology['unassigned_nodes'])} unassigned)   "
            f"elected versions: {', '.join(topology['elected_replica_versions']) or '-'}"
        )
        tops = subnet_heights(view)
        update_table(
            self.query_one("#subnets", DataTable),
            {
                subnet["id"]: (
                    subnet["id"],
                    subnet["type"],
                    str(len(subnet["members"])),
                    subnet["replica_version"],
                    str(tops.get(subnet["id"], "-")),
                    "halted" if subnet["is_halted"] else "",
                )
                for subnet in subnets
            },
        )
        self._show_sparklines([subnet["id"] for subnet in subnets])
        rows = {}
        for node_id, node in sorted(
            topology["nodes"].items(), key=lambda item: (item[1]["subnet"] is None, item[0])
        ):
            placement = view.placements.get(node_id)
            live = view.live.get(node_id)
            height = view.heights.get(node_id)
            health = node_health(
                None if live is None else live.alive,
                height,
                tops.get(node["subnet"]) if node["subnet"] else None,
            )
            rows[node_id] = (
                node_id,
                short(node["subnet"]) if node["subnet"] else "unassigned",
                "-" if height is None else str(height),
                health,
                short(placement.provider) if placement and placement.provider else "-",
                placement.data_center if placement and placement.data_center else "-",
                short(node["operator"]),
                node["http"],
            )
        update_table(self.query_one("#nodes", DataTable), rows)

    def _sample_rates(self, view: NetworkView) -> None:
        for subnet in view.topology["subnets"]:
            rates = [
                live.finalization_rate
                for node in subnet["members"]
                if (live := view.live.get(node)) is not None
                and live.alive
                and live.finalization_rate is not None
            ]
            samples = self.rates.setdefault(subnet["id"], deque(maxlen=SAMPLES))
            samples.append(mean(rates) if rates else 0.0)

    def _show_sparklines(self, subnets: list[str]) -> None:
        box = self.query_one("#rates", Vertical)
        present = {child.id for child in box.children}
        for subnet in subnets:
            samples = list(self.rates.get(subnet, ()))
            last = f"{samples[-1]:.2f}/s" if samples else "-"
            row_id = f"rate-{short(subnet)}"
            if row_id not in present:
                box.mount(
                    Horizontal(
                        Label(f"{short(subnet)} {last}", classes="rate-label"),
                        Sparkline(samples, summary_function=max, classes="rate"),
                        id=row_id,
                        classes="rate-row",
                    )
                )
            else:
                row = box.query_one(f"#{row_id}", Horizontal)
                row.query_one(Label).update(f"{short(subnet)} {last}")
                row.query_one(Sparkline).data = samples
        for child in list(box.children):
            if child.id not in {f"rate-{short(s)}" for s in subnets}:
                child.remove()

    def _show_travel(self, travel: Travel | None, latest: int) -> None:
        panel = self.query_one("#travel", Static)
        panel.display = travel is not None
        if travel is None:
            return
        lines = (
            describe_diff(travel.diff)
            if travel.diff is not None
            else ["the first version: the network as created"]
        )
        panel.update(
            f"[b]time travel[/b] version {travel.version} of {latest}"
            "   [b][[/b] older  [b]][/b] newer  [b]l[/b] live\n"
            + "\n".join(f"  {line}" for line in lines or ["a record changed (no topology change)"])
        )

    def action_travel(self, step: int) -> None:
        if self.latest is None:
            return
        current = self.travel_to if self.travel_to is not None else self.latest
        self.travel_to = max(1, min(self.latest, current + step))
        self.poll()

    def action_live(self) -> None:
        self.travel_to = None
        self.poll()

    def action_kill(self) -> None:
        node = self.selected_key("#nodes")
        if node is None:
            self.notify("no node is selected", severity="warning")
            return
        backend: Any = self.app.backend  # type: ignore[attr-defined]

        def confirmed(answer: bool | None) -> None:
            if answer:
                self.perform(f"node {short(node)} stopped", lambda: backend.kill_node(node))

        self.app.push_screen(
            ConfirmDialog(f"Kill node [b]{short(node)}[/b] (its supervisor and replica)?"),
            confirmed,
        )

    def action_restart(self) -> None:
        node = self.selected_key("#nodes")
        if node is None:
            self.notify("no node is selected", severity="warning")
            return
        backend: Any = self.app.backend  # type: ignore[attr-defined]
        self.perform(f"node {short(node)} started", lambda: backend.restart_node(node))
