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
from tui.widgets.paged_table import PagedTable, Rows
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
        yield PagedTable()

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
        return self.query_one(selector, PagedTable).cursor_key()


def update_table(table: DataTable[Any], rows: Rows) -> None:
    """Brings `table` (a `PagedTable`) to `rows` (row key -> cells, in order), changing only
    the rows that differ and keeping the cursor on its row."""
    assert isinstance(table, PagedTable)
    table.update_rows(rows)
