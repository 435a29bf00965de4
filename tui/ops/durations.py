"""Durations as people give them (200d, 8y), in the network's own seconds.

A network's preset scales governance time (`replica/presets.py`): on `local`
one governance day lasts 60 s, on `test` one second. A duration with a unit is
governance time, so `8y` is the maximum dissolve delay and `6mo` six
governance months on every network; it becomes the network's seconds as the
preset's own `governance_seconds` does (integer floor, at least 1). A bare
number is the network's seconds, passed unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from replica.presets import ONE_DAY_SECONDS, ONE_YEAR_SECONDS
from tui.ops.errors import UsageError

UNITS: Final[dict[str, int]] = {
    "s": 1,
    "min": 60,
    "h": 3600,
    "d": ONE_DAY_SECONDS,
    "w": 7 * ONE_DAY_SECONDS,
    "mo": ONE_YEAR_SECONDS // 12,
    "y": ONE_YEAR_SECONDS,
}
"""Governance-time units in mainnet seconds (a year is 365.25 days, a month a twelfth of it)."""

SHOWN: Final = (("y", ONE_YEAR_SECONDS), ("d", ONE_DAY_SECONDS), ("h", 3600), ("min", 60))


@dataclass(frozen=True, slots=True)
class Duration:
    """`amount` mainnet seconds of governance time, or (`governance` false) network seconds."""

    amount: int
    governance: bool

    def seconds(self, time_scale: int) -> int:
        """The network's seconds under a preset of `time_scale` mainnet seconds per second."""
        if not self.governance:
            return self.amount
        return max(1, self.amount // time_scale)


def parse_duration(text: str) -> Duration:
    """`3600` (network seconds), or a number and a unit: 90s, 30min, 12h, 200d, 26w, 6mo, 8y."""
    cleaned = text.strip().lower()
    for unit in sorted(UNITS, key=len, reverse=True):
        if cleaned.endswith(unit):
            number = cleaned[: -len(unit)].strip()
            try:
                value = float(number)
            except ValueError:
                break
            if value < 0:
                break
            return Duration(int(value * UNITS[unit]), governance=True)
    else:
        if cleaned.isdigit():
            return Duration(int(cleaned), governance=False)
    raise UsageError(
        f"{text!r} is not a duration (e.g. 3600, 200d, 6mo, 8y)", kind="MalformedDuration"
    )


def describe(seconds: int, time_scale: int) -> str:
    """Network seconds as governance time for a person: `8y`, `182d 15h`, `0s`."""
    remaining = seconds * time_scale
    parts = []
    for unit, size in SHOWN:
        if remaining >= size:
            parts.append(f"{remaining // size}{unit}")
            remaining %= size
        if len(parts) == 2:
            break
    return " ".join(parts) or f"{remaining}s"
