"""`python -m tui.cli`: the `icbox` command."""

from tui.cli import main

main()
