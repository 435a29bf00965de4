"""A screen that polls the backend in a worker and re-arms its timer when done."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, ClassVar, Generic, TypeVar

from textual import work
from textual.app import ComposeResult
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header

from tui.ops.errors import OpsError
from tui.widgets.status_line import StatusLine

T = TypeVar("T")


class PollingScreen(Screen[None], Generic[T]):
    """Fetches with `fetch` (in a thread), shows with `show`, again `app.interval` s later.

    The poll is one exclusive worker at a time, run only while the screen is the
    current one (and at once when it becomes so); input is never blocked by it.
    A failure becomes the app's connection state and a notification, never a crash.
    """

    TITLE: ClassVar[str] = ""
    ACTIONS: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    """(palette label, help, action string) of each action of the screen, for the palette."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.body()
        yield StatusLine(id="status-line")
        yield Footer()

    def body(self) -> ComposeResult:
        yield DataTable(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.title = self.TITLE
        self._timer: Timer | None = None

    def on_screen_resume(self) -> None:
        self.poll()

    def fetch(self, backend: Any) -> T:
        raise NotImplementedError

    def show(self, data: T) -> None:
        raise NotImplementedError

    @work(exclusive=True, group="poll")
    async def poll(self) -> None:
        app: Any = self.app
        if not self.is_current:
            return
        try:
            data = await asyncio.to_thread(self.fetch, app.backend)
        except OpsError as error:
            app.report_error(error)
        else:
            app.connection = "connected"
            # A poll that ends while the app closes finds its widgets gone: nothing to show.
            with contextlib.suppress(NoMatches):
                if self.is_attached:
                    self.show(data)
        finally:
            if self.is_attached:
                if self._timer is not None:
                    self._timer.stop()
                self._timer = self.set_timer(app.interval, self.poll)

    def perform(self, what: Any, call: Any, then: Any = None) -> None:
        """Runs a blocking backend call in a worker; its failure is a notification.

        `what` is the notification on success: a string, or a function of the call's result;
        `then` (optional) is called with the result on the screen's thread."""
        self._perform(what, call, then)

    @work(group="action")
    async def _perform(self, what: Any, call: Any, then: Any) -> None:
        app: Any = self.app
        try:
            result = await asyncio.to_thread(call)
        except OpsError as error:
            app.report_error(error)
        else:
            app.connection = "connected"
            self.notify(what(result) if callable(what) else what, title="done")
            if then is not None:
                then(result)
            self.poll()

    def selected_key(self, selector: str = "DataTable") -> str | None:
        """The row key under the cursor of a table, or None when it is empty."""
        table: DataTable[Any] = self.query_one(selector, DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)


def update_table(table: DataTable[Any], rows: dict[str, tuple[Any, ...]]) -> None:
    """Brings `table` to `rows` (row key -> cells, in order) by diff, keeping the cursor's row.

    Rows present in both are updated in place; when rows come or go and the order differs,
    the table is rebuilt in the order of `rows` and the cursor put back on its row."""
    if getattr(table, "icbox_rows", None) == rows:
        return  # an unchanged refresh costs one comparison
    table.icbox_rows = dict(rows)  # type: ignore[attr-defined]
    columns = list(table.columns)
    present = [str(row.value) for row in table.rows]
    if present != list(rows) and set(present) != set(rows):
        cursor = None
        if table.row_count:
            cursor = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        table.clear()
        for key, cells in rows.items():
            table.add_row(*cells, key=key)
        if cursor in rows:
            table.move_cursor(row=list(rows).index(cursor), animate=False)
        return
    for key, cells in rows.items():
        for column, cell in zip(columns, cells, strict=True):
            if table.get_cell(key, column) != cell:
                table.update_cell(key, column, cell, update_width=True)
