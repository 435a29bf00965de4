"""`icbox events`: the orchestrators' decisions, oldest first, or followed as they happen."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tui.cli.lazy import lazy_module

if TYPE_CHECKING:
    from replica.orchestrator import events as orchestrator_events
    from replica.orchestrator.events import OrchestratorEvent
    from tui.network import paths, processes
else:
    orchestrator_events = lazy_module("replica.orchestrator.events")
    paths = lazy_module("tui.network.paths")
    processes = lazy_module("tui.network.processes")


def _short(principal: str | None) -> str:
    return "-" if principal is None else principal.split("-")[0]


def format_event(event: OrchestratorEvent) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(event.time_ns / 1e9))
    height = "" if event.height < 0 else f" h{event.height}"
    return (
        f"{stamp}.{event.time_ns // 1_000_000 % 1000:03d} node {_short(event.node)} "
        f"subnet {_short(event.subnet)} v{event.registry_version}{height}  "
        f"{event.what}: {event.why}"
    )


@click.command(
    epilog="""\b
Examples:
  icbox events                       every decision so far, oldest first
  icbox events -f --node 3jo2y       follow one node's decisions as they happen
  icbox events --json                one JSON array of the events
"""
)
@click.option("--follow", "-f", is_flag=True, help="Keep printing events as they are written.")
@click.option("--node", "node_filter", default=None, help="Only this node (id or its prefix).")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON array of the events (with --follow, one JSON object per line).",
)
@click.pass_context
def events(ctx: click.Context, follow: bool, node_filter: str | None, as_json: bool) -> None:
    """Print what each node's orchestrator decided (time, node, subnet, registry version,
    height, what and why), from the node directories of the local network."""
    root = ctx.find_root().params
    as_json = as_json or bool(root.get("as_json"))
    network = paths.NetworkPaths.in_directory(Path(root.get("directory") or "."))
    if not network.network_file.is_file():
        raise click.UsageError(f"no local network in {network.root} (run `icbox up`, or give -C)")
    directories = processes.node_directories(network)

    def wanted(event: OrchestratorEvent) -> bool:
        return node_filter is None or event.node.startswith(node_filter)

    if not follow:
        found = [event for event in orchestrator_events.read_events(directories) if wanted(event)]
        if as_json:
            click.echo(json.dumps([event.to_json() for event in found], sort_keys=True))
        else:
            for event in found:
                click.echo(format_event(event))
        return
    for event in orchestrator_events.follow_events(directories):
        if wanted(event):
            click.echo(
                json.dumps(event.to_json(), sort_keys=True) if as_json else format_event(event)
            )
