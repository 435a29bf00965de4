"""The `icbox` command line.

The root group loads each command group from its own module only when it is
run, so `icbox --help` stays fast and a new group is one line in `COMMANDS`
plus its module (e.g. `"ledger": "tui.cli.ledger:ledger"`).
"""

from __future__ import annotations

import importlib
from typing import Any, Final

import click

from tui.cli.exits import run_main

COMMANDS: Final[dict[str, tuple[str, str]]] = {
    "up": (
        "tui.cli.network:up",
        "Start a local network (or resume it) and wait until it certifies.",
    ),
    "status": (
        "tui.cli.network:status",
        "Subnets, nodes, heights and processes of the local network.",
    ),
    "down": ("tui.cli.network:down", "Stop every process of the local network."),
    "identity": (
        "tui.cli.identity:identity",
        "Create, list, choose, import and export identities (dfx PEM files).",
    ),
    "ledger": ("tui.cli.ledger:ledger", "ICP balances, transfers, account ids and history."),
    "neuron": (
        "tui.cli.neuron:neuron",
        "Stake and manage neurons; follow; vote; who decides a neuron's vote.",
    ),
    "proposal": (
        "tui.cli.proposal:proposal",
        "List, show, watch, vote on and make proposals of every kind.",
    ),
    "sns": (
        "tui.cli.sns:sns",
        "SNSs: list, show, take part in a swap; SNS neurons and proposals.",
    ),
    "canister": (
        "tui.cli.canister:canister",
        "Wasm canisters: create, install, call, query, upgrade, status, stop, delete.",
    ),
    "topology": (
        "tui.cli.topology:topology",
        "Subnets, nodes, operators and versions; diffs between versions.",
    ),
    "release": (
        "tui.cli.release:release",
        "Build release archives of the replica's code; serve them over HTTP.",
    ),
    "events": (
        "tui.cli.events:events",
        "The orchestrators' decisions: what each node did and why.",
    ),
    "monitor": (
        "tui.cli.monitor:monitor",
        "Watch every node; replace a dead subnet member by proposal.",
    ),
    "subnet": (
        "tui.cli.subnet:subnet",
        "Recover a subnet a broken release stalled (a recovery CUP by proposal).",
    ),
    "node": (
        "tui.cli.node:node",
        "A node on another host: make its keys, register it, start it.",
    ),
    "tui": ("tui.cli.tui:tui", "The dashboard: network, proposals, neurons and wallet, live."),
    "demo": (
        "tui.cli.demo:demo",
        "A chain-evolution story on a fresh network, shown by the dashboard.",
    ),
    "completion": (
        "tui.cli.completion:completion",
        "Print the shell completion script (bash, zsh or fish).",
    ),
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

    def main(self, *args: Any, **kwargs: Any) -> Any:
        return run_main(super().main, *args, **kwargs)

    def format_commands(self, ctx: click.Context, formatter: Any) -> None:
        rows = [(name, COMMANDS[name][1]) for name in sorted(COMMANDS)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


EPILOG: Final = """\b
Examples:
  icbox up                                  start a local network here
  icbox ledger balance                      the default identity's ICP
  icbox neuron stake 10 --dissolve-delay 200d
  icbox neuron who-decides 42 --topic subnet-management
  icbox proposal make motion --neuron 1 --title T --text "..." --dry-run
  icbox proposal watch 7
  icbox topology --diff 1 5 --json

Exit codes: 0 done, 1 bad usage, 2 network unreachable or certificate
invalid, 3 refused by a canister. Completion: eval "$(icbox completion bash)".
"""


@click.group(cls=LazyGroup, epilog=EPILOG)
@click.option(
    "--directory",
    "-C",
    type=click.Path(file_okay=False),
    default=".",
    help="Where the network lives (its files are in DIRECTORY/.icbox).",
)
@click.option(
    "--network", default=None, metavar="NETWORK", help="Default --network of every command."
)
@click.option(
    "--identity", default=None, metavar="NAME", help="Default --identity of every command."
)
@click.option("--json", "as_json", is_flag=True, help="Default --json of every command.")
@click.pass_context
def main(
    ctx: click.Context, directory: str, network: str | None, identity: str | None, as_json: bool
) -> None:
    """icbox: the Internet Computer in a box."""
    ctx.obj = {"directory": directory, "network": network, "identity": identity, "as_json": as_json}
