"""`icbox events`: the orchestrators' decisions, oldest first, or followed as they happen."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from replica.orchestrator.events import OrchestratorEvent, follow_events, read_events
from tui.network.paths import NetworkPaths
from tui.network.processes import node_directories


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


@click.command()
@click.option("--follow", "-f", is_flag=True, help="Keep printing events as they are written.")
@click.option("--node", "node_filter", default=None, help="Only this node (id or its prefix).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def events(ctx: click.Context, follow: bool, node_filter: str | None, as_json: bool) -> None:
    """Print what each node's orchestrator decided (time, node, subnet, registry version,
    height, what and why), from the node directories of the local network."""
    directory = Path(ctx.obj["directory"] if ctx.obj else ".")
    directories = node_directories(NetworkPaths.in_directory(directory))
    stream = follow_events(directories) if follow else iter(read_events(directories))
    for event in stream:
        if node_filter is not None and not event.node.startswith(node_filter):
            continue
        click.echo(json.dumps(event.to_json(), sort_keys=True) if as_json else format_event(event))
