"""A table over a list of any length that holds one page of it at a time.

Textual's `DataTable` measures every cell of every row it holds (column widths
on the first idle after rows are added) and keeps per-row bookkeeping: 10,000
neurons in one table block the event loop for seconds. `PagedTable` keeps the
whole list as plain data (`RowsPlan`) and gives the `DataTable` only the page
under the cursor (`PAGE_ROWS` rows); the cursor keys walk across pages as if
the list were one (down on the last row shows the next page, up on the first
the previous, page down/up and ctrl+home/end likewise), and the border's
subtitle says which rows are shown once there is more than one page.

`plan_rows` compares new rows with the rows shown (a plain function, meant to
run in a worker thread for a long list): the event loop then touches only the
changed rows of the page shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from textual.widgets import DataTable

PAGE_ROWS: Final = 100

Rows = dict[str, tuple[Any, ...]]
"""Row key -> its cells, in the order shown."""


@dataclass(frozen=True, slots=True, eq=False)
class RowsPlan:
    """A table's whole list, and what changed from the list it was compared with (`base`)."""

    rows: Rows
    keys: tuple[str, ...]
    index: dict[str, int]
    base: RowsPlan | None
    reordered: bool
    """Rows came, went or moved: the page shown is rebuilt."""
    changed: frozenset[str]
    """Otherwise, the rows whose cells differ."""


def plan_rows(shown: RowsPlan | None, rows: Rows) -> RowsPlan | None:
    """What brings a table showing `shown` to `rows`; None when nothing differs."""
    keys = tuple(rows)
    if shown is not None and shown.keys == keys:
        changed = frozenset(key for key, cells in rows.items() if shown.rows[key] != cells)
        if not changed:
            return None
        index = shown.index
        return RowsPlan(
            rows=dict(rows), keys=keys, index=index, base=shown, reordered=False, changed=changed
        )
    return RowsPlan(
        rows=dict(rows),
        keys=keys,
        index={key: position for position, key in enumerate(keys)},
        base=shown,
        reordered=True,
        changed=frozenset(keys),
    )


class PagedTable(DataTable[Any]):
    """A `DataTable` showing one page of a `RowsPlan`; see the module."""

    def __init__(self, *, page_rows: int = PAGE_ROWS, **options: Any) -> None:
        options.setdefault("cursor_type", "row")
        options.setdefault("zebra_stripes", True)
        super().__init__(**options)
        self.page_rows = page_rows
        self.shown: RowsPlan | None = None
        self.page = 0

    @property
    def total_rows(self) -> int:
        return 0 if self.shown is None else len(self.shown.keys)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total_rows // self.page_rows))

    def update_rows(self, rows: Rows) -> None:
        """Shows `rows` (compared here, on the event loop: for short lists)."""
        plan = plan_rows(self.shown, rows)
        if plan is not None:
            self.apply(plan)

    def apply(self, plan: RowsPlan | None) -> None:
        """Shows a plan made by `plan_rows`, keeping the cursor on its row."""
        if plan is None:
            return
        if plan.base is not self.shown:  # made against a list since replaced: compare again
            plan = plan_rows(self.shown, plan.rows)
            if plan is None:
                return
        if plan.reordered:
            cursor = self.cursor_key()
            self.shown = plan
            if cursor in plan.index:
                position = plan.index[cursor]
                self._show_page(position // self.page_rows, position % self.page_rows, True)
            else:
                self._show_page(self.page, self.cursor_row, True)
            return
        self.shown = plan
        low, high = self._bounds(self.page)
        columns = list(self.columns)
        for key in plan.changed:
            if low <= plan.index[key] < high:
                for column, cell in zip(columns, plan.rows[key], strict=True):
                    if self.get_cell(key, column) != cell:
                        self.update_cell(key, column, cell, update_width=True)

    def cursor_key(self) -> str | None:
        if self.row_count == 0:
            return None
        return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)

    def select_key(self, key: str) -> None:
        """Puts the cursor on the row of `key`, showing its page."""
        if self.shown is None or key not in self.shown.index:
            raise KeyError(key)
        position = self.shown.index[key]
        self._show_page(position // self.page_rows, position % self.page_rows)

    def _bounds(self, page: int) -> tuple[int, int]:
        low = page * self.page_rows
        return low, min(low + self.page_rows, self.total_rows)

    def _show_page(self, page: int, row: int, rebuild: bool = False) -> None:
        """Shows page `page` (rebuilt when it is another, or `rebuild`) with the cursor on `row`."""
        page = max(0, min(page, self.pages - 1))
        low, high = self._bounds(page)
        if rebuild or page != self.page:
            self.clear()
            rows = self.shown.rows if self.shown is not None else {}
            for key in self.shown.keys[low:high] if self.shown is not None else ():
                self.add_row(*rows[key], key=key)
        self.page = page
        if self.row_count:
            self.move_cursor(row=max(0, min(row, self.row_count - 1)), animate=False)
        self.border_subtitle = (
            f"rows {low + 1}-{high} of {self.total_rows}  (page {page + 1}/{self.pages})"
            if self.pages > 1
            else ""
        )

    # -- the cursor walks across pages ---------------------------------------------------------

    def action_cursor_down(self) -> None:
        if self.cursor_row >= self.row_count - 1 and self.page < self.pages - 1:
            self._show_page(self.page + 1, 0)
        else:
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0 and self.page > 0:
            self._show_page(self.page - 1, self.page_rows - 1)
        else:
            super().action_cursor_up()

    def action_page_down(self) -> None:
        if self.cursor_row >= self.row_count - 1 and self.page < self.pages - 1:
            self._show_page(self.page + 1, 0)
        else:
            super().action_page_down()

    def action_page_up(self) -> None:
        if self.cursor_row <= 0 and self.page > 0:
            self._show_page(self.page - 1, self.page_rows - 1)
        else:
            super().action_page_up()

    def action_scroll_top(self) -> None:
        self._show_page(0, 0)

    def action_scroll_bottom(self) -> None:
        self._show_page(self.pages - 1, self.page_rows - 1)
