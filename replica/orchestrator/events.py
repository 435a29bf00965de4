"""The orchestrator's decisions as structured events: one JSON object per line.

Each node's orchestrator appends to `<node dir>/events.jsonl`: the wall-clock
time, the node, its subnet, the registry version and the height the decision
was made at, what was done and why. `read_events` merges the files of several
nodes in time order (what `icbox events` prints and the dashboard shows);
`follow_events` keeps reading as the files grow.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

EVENTS_FILE: Final = "events.jsonl"


@dataclass(frozen=True, slots=True, kw_only=True)
class OrchestratorEvent:
    time_ns: int
    node: str
    subnet: str | None
    registry_version: int
    height: int
    """The height of the node's latest catch-up package (-1: none)."""
    what: str
    why: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: Any) -> OrchestratorEvent | None:
        if not isinstance(value, dict):
            return None
        try:
            return cls(
                time_ns=int(value["time_ns"]),
                node=str(value["node"]),
                subnet=None if value.get("subnet") is None else str(value["subnet"]),
                registry_version=int(value["registry_version"]),
                height=int(value["height"]),
                what=str(value["what"]),
                why=str(value["why"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


class EventLog:
    """Appends events to a node's file; each line is written whole with one `write`."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / EVENTS_FILE

    def append(self, event: OrchestratorEvent) -> None:
        line = json.dumps(event.to_json(), sort_keys=True) + "\n"
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, line.encode())
        finally:
            os.close(descriptor)


def read_events_after(path: Path, offset: int = 0) -> tuple[list[OrchestratorEvent], int]:
    """The events on the complete lines of `path` after `offset`, and the offset after them.

    A file shorter than `offset` was replaced (its node was wiped): it is read from the start."""
    try:
        with path.open("rb") as source:
            if source.seek(0, 2) < offset:
                offset = 0
            source.seek(offset)
            data = source.read()
    except OSError:
        return [], offset
    end = data.rfind(b"\n") + 1
    events = []
    for line in data[:end].splitlines():
        try:
            event = OrchestratorEvent.from_json(json.loads(line))
        except ValueError:
            event = None
        if event is not None:
            events.append(event)
    return events, offset + end


def read_events(directories: Sequence[Path]) -> list[OrchestratorEvent]:
    """Every event of these nodes, oldest first."""
    events: list[OrchestratorEvent] = []
    for directory in directories:
        events += read_events_after(directory / EVENTS_FILE)[0]
    return sorted(events, key=lambda event: (event.time_ns, event.node))


def follow_events(
    directories: Sequence[Path], *, poll_s: float = 0.25, stop: Any = None
) -> Iterator[OrchestratorEvent]:
    """Every event, then each new one as it is written (until `stop()` is true)."""
    offsets: dict[Path, int] = {}
    while stop is None or not stop():
        fresh: list[OrchestratorEvent] = []
        for directory in directories:
            path = directory / EVENTS_FILE
            events, offsets[path] = read_events_after(path, offsets.get(path, 0))
            fresh += events
        yield from sorted(fresh, key=lambda event: (event.time_ns, event.node))
        time.sleep(poll_s)
