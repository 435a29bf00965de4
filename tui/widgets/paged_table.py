"""A table over a list of any length that formats and holds only the page shown.

Textual's `DataTable` measures every cell of every row it holds and keeps
per-row bookkeeping: 10,000 neurons in one table block the event loop for
seconds, and formatting 10,000 rows on every refresh (even in a worker thread)
keeps the process busy, so a key waits for the interpreter lock. `PagedTable`
keeps the whole list as plain data (a `Listing`: each row's key and item, in
order) and turns into cells only the rows of the page under the cursor
(`PAGE_ROWS` rows), with the listing's `format`, when that page is shown or
its items change. The cursor keys walk across pages as if the list were one
(down on the last row shows the next page, up on the first the previous, page
down/up and ctrl+home/end likewise), and the border's subtitle says which rows
are shown once there is more than one page.

Moving the cursor re-renders two rows: `DataTable` keys each rendered line by the cursor's
position, so a move (and the scroll it brings) would render every visible line again;
`PagedTable` keys a row's line by whether the cursor is on that row.

A refresh costs the event loop one comparison of the row keys (made in the
poll's worker thread by `make_listing`) and, for the page shown, one
comparison per row of its item with the item shown: only a changed row is
formatted, and only its changed cells are written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from rich.style import Style
from textual.cache import LRUCache
from textual.strip import Strip
from textual.widgets import DataTable

PAGE_ROWS: Final = 100

Cells = tuple[Any, ...]
Rows = Mapping[str, Cells]
"""Row key -> its cells, in the order shown."""

Format = Callable[[Any], Cells]
"""A row's item -> its cells."""


def as_cells(item: Any) -> Cells:
    """The `Format` of rows whose items are their cells already."""
    return tuple(item)


@dataclass(frozen=True, slots=True, eq=False)
class Listing:
    """A table's whole list: row keys in order, each row's item, and how an item is shown."""

    keys: tuple[str, ...]
    items: Mapping[str, Any]
    index: Mapping[str, int]
    """Row key -> its position."""
    format: Format
    base: Listing | None
    """The listing the keys were compared with (`same_keys`)."""
    same_keys: bool
    """The rows are those of `base`, in the same order: only items may differ."""


def make_listing(shown: Listing | None, items: Mapping[str, Any], format: Format) -> Listing:
    """A listing of `items` (row key -> item, in order) compared with the listing `shown`.

    A plain function over the keys alone (no row is formatted): meant for the poll's worker
    thread, where a long list costs the event loop nothing."""
    keys = tuple(items)
    same = shown is not None and shown.keys == keys
    return Listing(
        keys=keys,
        items=items,
        index=shown.index
        if same and shown is not None
        else {key: position for position, key in enumerate(keys)},
        format=format,
        base=shown,
        same_keys=same,
    )


class RowLineCache(LRUCache[Any, Strip]):
    """The `DataTable`'s own line cache, whose clearing (a new style, column width or row)
    clears the table's row lines too."""

    def __init__(self, maxsize: int, row_lines: LRUCache[Any, Strip]) -> None:
        super().__init__(maxsize)
        self.row_lines = row_lines

    def clear(self) -> None:
        super().clear()
        self.row_lines.clear()


class PagedTable(DataTable[Any]):
    """A `DataTable` showing one page of a `Listing`; see the module."""

    def __init__(self, *, page_rows: int = PAGE_ROWS, **options: Any) -> None:
        options.setdefault("cursor_type", "row")
        options.setdefault("zebra_stripes", True)
        super().__init__(**options)
        self.page_rows = page_rows
        self.shown: Listing | None = None
        self.page = 0
        self._page_rows: dict[str, tuple[Any, Cells]] = {}
        """Row key -> (item, cells) of each row on the page shown."""
        self._row_lines: LRUCache[Any, Strip] = LRUCache(1000)
        self._line_cache = RowLineCache(1000, self._row_lines)

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        """A line of the table, kept by whether the cursor (or the mouse) is on its row."""
        if self.cursor_type != "row":
            return super()._render_line(y, x1, x2, base_style)
        try:
            row_key, _ = self._get_offsets(y)
        except LookupError:
            return super()._render_line(y, x1, x2, base_style)
        row = self._row_locations.get(row_key)
        if row is None:  # the header
            row = -1
        key = (
            y,
            x1,
            x2,
            self.size.width,
            self.show_cursor and row == self.cursor_row,
            self._show_hover_cursor and row == self.hover_row,
            base_style,
            self._update_count,
            self._pseudo_class_state,
        )
        line = self._row_lines.get(key)
        if line is None:
            line = super()._render_line(y, x1, x2, base_style)
            self._row_lines[key] = line
        return line

    @property
    def total_rows(self) -> int:
        return 0 if self.shown is None else len(self.shown.keys)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total_rows // self.page_rows))

    def update_rows(self, rows: Rows) -> None:
        """Shows `rows` (row key -> cells, in order)."""
        self.apply(make_listing(self.shown, rows, as_cells))

    def apply(self, listing: Listing) -> None:
        """Shows a listing made by `make_listing`, keeping the cursor on its row."""
        same = (
            listing.same_keys
            if listing.base is self.shown
            # made against a listing since replaced: compare the keys again
            else self.shown is not None and self.shown.keys == listing.keys
        )
        if not same:
            cursor = self.cursor_key()
            self.shown = listing
            if cursor is not None and cursor in listing.index:
                position = listing.index[cursor]
                self._show_page(position // self.page_rows, position % self.page_rows, True)
            else:
                self._show_page(self.page, self.cursor_row, True)
            return
        self.shown = listing
        low, high = self._bounds(self.page)
        columns = list(self.columns)
        for key in listing.keys[low:high]:
            item = listing.items[key]
            before_item, before = self._page_rows[key]
            if item == before_item:
                continue
            cells = listing.format(item)
            self._page_rows[key] = (item, cells)
            for column, old, new in zip(columns, before, cells, strict=True):
                if old != new:
                    self.update_cell(key, column, new, update_width=True)

    def cursor_key(self) -> str | None:
        if self.row_count == 0:
            return None
        return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)

    def cells(self, key: str) -> Cells:
        """The cells of a row of the list, on any page."""
        if self.shown is None or key not in self.shown.index:
            raise KeyError(key)
        if key in self._page_rows:
            return self._page_rows[key][1]
        return self.shown.format(self.shown.items[key])

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
            self._page_rows = {}
            if self.shown is not None:
                for key in self.shown.keys[low:high]:
                    item = self.shown.items[key]
                    cells = self.shown.format(item)
                    self._page_rows[key] = (item, cells)
                    self.add_row(*cells, key=key)
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
