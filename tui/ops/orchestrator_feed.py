"""The orchestrators' decisions as the lines of the Network screen's feed.

Each node's orchestrator appends its decisions to `<node dir>/events.jsonl`
(`replica.orchestrator.events`: the node, its subnet, the registry version and
CUP height of the decision, what was done and why). `read_new_events` reads
what the files of a network's nodes gained since a cursor (complete lines only,
so a line being written is read at the next call) and returns them oldest
first with the cursor after them; `describe_event` says one as a person does:
"node 2k4oy joined subnet tdb26 at height 412". The `registry replicated`
events are left out of the feed: every node reports every version, and the
registry feed already says what each version changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from replica.orchestrator.events import EVENTS_FILE, OrchestratorEvent, read_events_after

QUIET: Final = frozenset({"registry replicated"})
"""Event kinds the feed leaves out."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EventCursor:
    """How far each node's events file has been read: (path, byte offset) pairs."""

    offsets: tuple[tuple[str, int], ...] = ()

    def offset(self, path: Path) -> int:
        return dict(self.offsets).get(str(path), 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedLine:
    time_ns: int
    registry_version: int
    text: str


def read_new_events(
    directories: Sequence[Path], cursor: EventCursor
) -> tuple[list[OrchestratorEvent], EventCursor]:
    """The events the node directories' files gained since `cursor`, oldest first."""
    events: list[OrchestratorEvent] = []
    offsets: list[tuple[str, int]] = []
    for directory in directories:
        path = directory / EVENTS_FILE
        found, offset = read_events_after(path, cursor.offset(path))
        events += found
        offsets.append((str(path), offset))
    events.sort(key=lambda event: (event.time_ns, event.node))
    return events, EventCursor(offsets=tuple(offsets))


def _short(principal: str | None) -> str:
    return "-" if principal is None else principal.split("-")[0]


def describe_event(event: OrchestratorEvent) -> str:
    """One orchestrator decision in words (the kinds of `replica/orchestrator/orchestrator.py`)."""
    node, subnet = _short(event.node), _short(event.subnet)
    at = f" at height {event.height}" if event.height >= 0 else ""
    match event.what:
        case "run":
            return f"node {node} joined subnet {subnet}{at or ' from its registry CUP'}"
        case "leaving":
            return (
                f"node {node} is leaving subnet {subnet} (serving while a version in use lists it)"
            )
        case "leave":
            return f"node {node} leaves subnet {subnet}{at}"
        case "left subnet":
            return f"node {node} left subnet {subnet}{at}; its state is wiped"
        case "unassigned":
            return f"node {node} is unassigned"
        case "keys received":
            return f"node {node} received its keys of subnet {subnet}"
        case "started" | "stopped":
            return f"node {node}: orchestrator {event.what}"
        case _:
            return f"node {node}: {event.what}: {event.why}"


def feed_lines(events: Sequence[OrchestratorEvent]) -> list[FeedLine]:
    """The events the feed shows, in words."""
    return [
        FeedLine(
            time_ns=event.time_ns,
            registry_version=event.registry_version,
            text=describe_event(event),
        )
        for event in events
        if event.what not in QUIET
    ]
