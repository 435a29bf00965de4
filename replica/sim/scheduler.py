"""Virtual time: a queue of events ordered by (time, sequence).

The simulator never reads a clock. Everything that happens (a message arriving,
a node's timer firing, a crash, a partition healing, a registry change) is an
event at a virtual time in nanoseconds. Events at the same time run in the
order they were scheduled, so a run is a pure function of its inputs.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

Action = Callable[[], None]


@dataclass(order=True, slots=True)
class _Entry:
    time_ns: int
    sequence: int
    action: Action = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class EventHandle:
    """What `schedule` returns; pass it to `cancel`."""

    _entry: _Entry

    @property
    def time_ns(self) -> int:
        return self._entry.time_ns


class Scheduler:
    """A deterministic discrete-event loop over virtual nanoseconds."""

    def __init__(self, *, start_ns: int = 0) -> None:
        self.now_ns = start_ns
        self.events_run = 0
        self._queue: list[_Entry] = []
        self._sequence = 0

    def schedule(self, time_ns: int, action: Action) -> EventHandle:
        """Run `action` at `time_ns` (never in the past: earlier times mean now)."""
        entry = _Entry(max(time_ns, self.now_ns), self._sequence, action)
        self._sequence += 1
        heapq.heappush(self._queue, entry)
        return EventHandle(entry)

    def schedule_after(self, delay_ns: int, action: Action) -> EventHandle:
        return self.schedule(self.now_ns + max(0, delay_ns), action)

    @staticmethod
    def cancel(handle: EventHandle) -> None:
        handle._entry.cancelled = True

    @property
    def pending(self) -> int:
        return sum(1 for entry in self._queue if not entry.cancelled)

    def next_time_ns(self) -> int | None:
        while self._queue and self._queue[0].cancelled:
            heapq.heappop(self._queue)
        return self._queue[0].time_ns if self._queue else None

    def step(self) -> bool:
        """Run the next event; False if there is none."""
        while self._queue:
            entry = heapq.heappop(self._queue)
            if entry.cancelled:
                continue
            self.now_ns = entry.time_ns
            self.events_run += 1
            entry.action()
            return True
        return False

    def run_until(
        self,
        *,
        time_ns: int | None = None,
        until: Callable[[], bool] | None = None,
        max_events: int | None = None,
    ) -> bool:
        """Run events until `until()` holds (checked after each event), virtual time would pass
        `time_ns`, the queue empties or `max_events` ran. Returns whether `until()` held."""
        ran = 0
        while True:
            if until is not None and until():
                return True
            if max_events is not None and ran >= max_events:
                return False
            upcoming = self.next_time_ns()
            if upcoming is None:
                if time_ns is not None:
                    self.now_ns = max(self.now_ns, time_ns)
                return until() if until is not None else False
            if time_ns is not None and upcoming > time_ns:
                self.now_ns = max(self.now_ns, time_ns)
                return until() if until is not None else False
            self.step()
            ran += 1
