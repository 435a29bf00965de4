"""Helpers of the Pilot tests: read tables and texts, wait for workers and messages."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from tui.app import IcboxApp

SIZE = (140, 40)


def cells(app: IcboxApp, selector: str = "DataTable") -> list[list[str]]:
    table: DataTable[Any] = app.screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def text(app: IcboxApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def settle(app: IcboxApp, pilot: Pilot[None]) -> None:
    """Until no worker runs and every message posted is handled."""
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


def recorded_notifications(app: IcboxApp) -> list[str]:
    """Every message `app.notify` is called with (toasts expire after seconds of wall time)."""
    shown: list[str] = []
    notify = app.notify

    def record(message: str, **options: Any) -> None:
        shown.append(message)
        notify(message, **options)

    app.notify = record  # type: ignore[method-assign]
    return shown
