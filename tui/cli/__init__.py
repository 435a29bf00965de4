"""The `icbox` command line.

The root group loads each command group from its own module only when it is
run, so `icbox --help` stays fast and a new group is one line in `COMMANDS`
plus its module (e.g. `"ledger": "tui.cli.ledger:ledger"`).
"""

from __future__ import annotations

import importlib
from typing import Any, Final

import click

COMMANDS: Final[dict[str, tuple[str, str]]] = {
    "up": ("tui.cli.network:up", "Start a local network (or resume it) and wait until it certifies."),
    "status": ("tui.cli.network:status", "Subnets, nodes, heights and processes of the local network."),
    "down": ("tui.cli.network:down", "Stop every process of the local network."),
}
"""Command name -> (`module:attribute` of its click command or group, one-line help)."""


class LazyGroup(click.Group):
    """A group whose subcommands are imported when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module_name, _, attribute = COMMANDS[cmd_name][0].partition(":")
            command = getattr(importlib.import_module(module_name), attribute)
            if not isinstance(command, click.Command):
                raise click.ClickException(f"{COMMANDS[cmd_name][0]} is not a command")
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: Any) -> None:
        rows = [(name, COMMANDS[name][1]) for name in sorted(COMMANDS)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup)
@click.option("--directory", "-C", type=click.Path(file_okay=False), default=".",
              help="Where the network lives (its files are in DIRECTORY/.icbox).")
@click.pass_context
def main(ctx: click.Context, directory: str) -> None:
    """icbox: the Internet Computer in a box."""
    ctx.obj = {"directory": directory}
