"""A proposal's tally as a text bar: yes, no and the rest of the voting power."""

from __future__ import annotations

from rich.text import Text


def tally_bar(yes: int, no: int, total: int, width: int = 20) -> Text:
    """Yes in green, no in red, the not-yet-voted rest dimmed; `width` cells in all."""
    if total <= 0:
        return Text("·" * width, style="dim")
    yes_cells = round(width * yes / total)
    no_cells = min(width - yes_cells, round(width * no / total))
    bar = Text()
    bar.append("█" * yes_cells, style="green")
    bar.append("█" * no_cells, style="red")
    bar.append("·" * (width - yes_cells - no_cells), style="dim")
    bar.append(f" {100 * yes / total:5.1f}% yes")
    return bar
