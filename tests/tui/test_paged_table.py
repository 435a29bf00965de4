"""`PagedTable`: a long list is formatted one page at a time, a refresh writes only changed
cells, the cursor walks across pages and stays on its row, and a moved cursor repaints
its rows as a plain `DataTable` would."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from tui.widgets.paged_table import PagedTable, make_listing


class Counted:
    """A `Format` that records the items it formats."""

    def __init__(self) -> None:
        self.formatted: list[int] = []

    def __call__(self, item: tuple[int, str]) -> tuple[str, str]:
        self.formatted.append(item[0])
        return (str(item[0]), item[1])


def items(count: int, label: str = "a", **changed: str) -> dict[str, tuple[int, str]]:
    return {str(n): (n, changed.get(f"n{n}", label)) for n in range(count)}


class TableApp(App[None]):
    def __init__(self, table: DataTable[Any]) -> None:
        super().__init__()
        self.table = table

    def compose(self) -> ComposeResult:
        yield self.table

    def on_mount(self) -> None:
        self.table.add_columns("n", "label")


def page(table: PagedTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def test_a_listing_keeps_the_index_when_the_keys_are_the_same() -> None:
    first = make_listing(None, items(5), Counted())
    assert not first.same_keys and first.index == {str(n): n for n in range(5)}
    second = make_listing(first, items(5, "b"), Counted())
    assert second.same_keys and second.index is first.index and second.base is first
    third = make_listing(second, items(4), Counted())
    assert not third.same_keys and len(third.index) == 4


@pytest.mark.asyncio
async def test_only_the_page_shown_is_formatted_and_a_refresh_formats_only_changed_rows() -> None:
    table = PagedTable(page_rows=10)
    app = TableApp(table)
    async with app.run_test(size=(60, 20)) as pilot:
        format = Counted()
        table.apply(make_listing(table.shown, items(10_000), format))
        await pilot.pause()
        assert format.formatted == list(range(10))
        assert table.total_rows == 10_000 and table.pages == 1000
        assert table.border_subtitle == "rows 1-10 of 10000  (page 1/1000)"

        format.formatted.clear()
        table.apply(make_listing(table.shown, items(10_000, n3="b", n5000="c"), format))
        await pilot.pause()
        assert format.formatted == [3]  # row 5000 is not on the page shown
        assert page(table)[3] == ["3", "b"]
        assert table.cells("5000") == ("5000", "c")

        format.formatted.clear()
        table.apply(make_listing(table.shown, items(10_000, n3="b", n5000="c"), format))
        assert format.formatted == []


@pytest.mark.asyncio
async def test_the_cursor_walks_across_pages_and_stays_on_its_row() -> None:
    table = PagedTable(page_rows=10)
    app = TableApp(table)
    async with app.run_test(size=(60, 20)) as pilot:
        table.update_rows({str(n): (str(n), "a") for n in range(25)})
        await pilot.pause()
        table.focus()
        for _ in range(12):
            await pilot.press("down")
        assert (table.page, table.cursor_row, table.cursor_key()) == (1, 2, "12")
        await pilot.press("up", "up", "up")
        assert (table.page, table.cursor_row, table.cursor_key()) == (0, 9, "9")
        await pilot.press("ctrl+end")
        assert (table.page, table.cursor_key()) == (2, "24")
        assert table.border_subtitle == "rows 21-25 of 25  (page 3/3)"

        # a new row ahead of the cursor's moves it down a row: the cursor follows its row
        table.update_rows({"new": ("new", "a"), **{str(n): (str(n), "a") for n in range(25)}})
        await pilot.pause()
        assert table.cursor_key() == "24" and table.total_rows == 26
        table.select_key("3")
        assert (table.page, table.cursor_key()) == (0, "3")
        with pytest.raises(KeyError):
            table.select_key("absent")


@pytest.mark.asyncio
async def test_a_moved_cursor_repaints_as_a_plain_data_table_does() -> None:
    """The line cache keyed by "is the cursor on this row" gives the lines a `DataTable`
    keyed by the cursor's position gives, after moves, scrolls and a changed cell."""
    rows = {str(n): (str(n), f"row {n}") for n in range(60)}
    paged = PagedTable()
    plain: DataTable[Any] = DataTable(cursor_type="row", zebra_stripes=True)
    async with (
        TableApp(paged).run_test(size=(40, 12)) as paged_pilot,
        TableApp(plain).run_test(size=(40, 12)) as plain_pilot,
    ):
        paged.update_rows(rows)
        for key, cells in rows.items():
            plain.add_row(*cells, key=key)
        for keys in (("down",) * 3, ("down",) * 15, ("up",) * 12, ("end",)):
            for pilot, table in ((paged_pilot, paged), (plain_pilot, plain)):
                table.focus()
                await pilot.press(*keys)
                await pilot.pause()
            assert paged.cursor_row == plain.cursor_row
            lines = [paged.render_line(y).text for y in range(paged.size.height)]
            assert lines == [plain.render_line(y).text for y in range(plain.size.height)]
            styles = [paged.render_line(y) for y in range(paged.size.height)]
            expected = [plain.render_line(y) for y in range(plain.size.height)]
            assert [list(s) for s in styles] == [list(s) for s in expected]
        paged.update_rows({**rows, "59": ("59", "changed")})
        plain.update_cell("59", plain.ordered_columns[1].key, "changed", update_width=True)
        await paged_pilot.pause()
        await plain_pilot.pause()
        assert [list(paged.render_line(y)) for y in range(paged.size.height)] == [
            list(plain.render_line(y)) for y in range(plain.size.height)
        ]
