"""Each screen at fixed data (the fake backend, a fixed clock), compared with its stored SVG.

Update the stored snapshots after an intended change with `--snapshot-update`.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.fake_backend import NOW_S, FakeBackend
from tests.tui.pilot import SIZE, settle
from tui.app import IcboxApp


def dashboard() -> IcboxApp:
    return IcboxApp(FakeBackend(), interval=3600, clock=lambda: NOW_S + 60.0)


async def settled(pilot: Pilot[None]) -> None:
    await settle(pilot.app, pilot)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("network", ()),
        ("time-travel", ("left_square_bracket",)),
        ("proposals", ("2",)),
        ("proposal-detail", ("2", "down", "enter")),
        ("neurons", ("3",)),
        ("who-decides", ("3", "down", "w", "ctrl+s")),
        ("wallet", ("4",)),
        ("proposal-form", ("2", "m", "ctrl+s")),
    ],
)
def test_screen_snapshot(snap_compare: Any, name: str, keys: tuple[str, ...]) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settled(pilot)
        for key in keys:
            await pilot.press(key)
            await settled(pilot)

    assert snap_compare(dashboard(), run_before=run_before, terminal_size=SIZE)
