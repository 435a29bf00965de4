"""`icbox up`, `icbox status` and `icbox down`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tui.cli.lazy import lazy_module

if TYPE_CHECKING:
    from tui.network import create, operations
else:
    create = lazy_module("tui.network.create")
    operations = lazy_module("tui.network.operations")


def _directory(ctx: click.Context) -> Path:
    return Path(ctx.obj["directory"] if ctx.obj else ".")


@click.command()
@click.option("--nns-nodes", default=4, show_default=True, help="Nodes of the NNS subnet.")
@click.option(
    "--app-subnets",
    default="4",
    show_default=True,
    help="Sizes of the application subnets, comma separated ('' for none).",
)
@click.option("--unassigned", default=3, show_default=True, help="Nodes in no subnet.")
@click.option(
    "--preset", default="local", show_default=True, help="Time preset: local, test or mainnet."
)
@click.option(
    "--base-port", type=int, default=None, help="First of 2 ports per node (default: chosen free)."
)
@click.option("--clean", is_flag=True, help="Stop and delete the network here, then start anew.")
@click.option(
    "--timeout",
    default=120.0,
    show_default=True,
    help="Seconds to wait for the subnets to certify.",
)
@click.option("--json", "as_json", is_flag=True, help="Print network.json's contents as JSON.")
@click.pass_context
def up(
    ctx: click.Context,
    nns_nodes: int,
    app_subnets: str,
    unassigned: int,
    preset: str,
    base_port: int | None,
    clean: bool,
    timeout: float,
    as_json: bool,
) -> None:
    """Start a local network here (or resume it) and wait until every subnet certifies a height."""
    sizes = tuple(int(size) for size in app_subnets.split(",") if size.strip())
    options = create.NetworkOptions(
        nns_nodes=nns_nodes,
        application_subnets=sizes,
        unassigned_nodes=unassigned,
        preset=preset,
        base_port=base_port,
    )
    interactive = sys.stderr.isatty() and not as_json
    last = [""]

    def progress(phase: str, heights: dict[str, int]) -> None:
        shown = "  ".join(f"{subnet[:5]}: {max(0, height)}" for subnet, height in heights.items())
        line = f"{phase}  {shown}".rstrip()
        if interactive:
            click.echo(f"\r\x1b[2K{line}", nl=False, err=True)
        elif line.split("  ")[0] != last[0].split("  ")[0]:
            click.echo(line.split("  ")[0] + " ...", err=True)
        last[0] = line

    try:
        result = operations.bring_up(
            _directory(ctx), options, clean=clean, timeout_s=timeout, progress=progress
        )
    except create.NetworkError as error:
        if interactive:
            click.echo("", err=True)
        raise click.ClickException(str(error)) from error
    if interactive:
        click.echo("", err=True)
    network = result.network
    if as_json:
        click.echo(
            json.dumps(
                {
                    **network,
                    "already_running": result.already_running,
                    "seconds": round(result.seconds, 2),
                }
            )
        )
        return
    if result.already_running:
        click.echo("The network is already running.")
    else:
        verb = "Created" if result.created else "Resumed"
        click.echo(
            f"{verb} the network in {result.seconds:.1f} s; every subnet has certified a height."
        )
    click.echo(f"  network file  {Path(network['identity']['pem']).parent / 'network.json'}")
    click.echo(f"  logs          {Path(network['identity']['pem']).parent / 'logs'}")
    click.echo(f"  identity      {network['identity']['pem']} ({network['identity']['principal']})")
    click.echo(f"  neuron        {network['identity']['neuron_id']} (controls every vote)")
    for subnet in network["subnets"]:
        endpoints = [n["http"] for n in network["nodes"] if n["subnet_id"] == subnet["subnet_id"]]
        click.echo(
            f"  {subnet['type']:<11}   {subnet['subnet_id']}  {endpoints[0] if endpoints else ''}"
        )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Subnets, nodes, heights, finalization rates, versions and processes."""
    try:
        report = operations.network_status(_directory(ctx))
    except create.NetworkError as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(report))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"icbox network in {report['directory']}")
    for column in ("subnet", "node", "pid", "finalized", "certified", "rate/s", "version", "peers"):
        table.add_column(column)
    for subnet in report["subnets"]:
        for replica in subnet["replicas"]:
            table.add_row(
                f"{subnet['type'][:3]} {subnet['subnet_id'][:11]}",
                replica["node_id"][:11],
                str(replica["replica_pid"] or "down"),
                str(replica["finalized_height"] or "-"),
                str(replica["certified_height"] or "-"),
                str(replica["finalization_rate"] or "-"),
                replica["replica_version"] or "-",
                str(replica["peers_connected"] or "-"),
            )
    for node in report["unassigned_nodes"]:
        table.add_row(
            "unassigned",
            node["node_id"][:11],
            str(node["supervisor_pid"] or "down"),
            "",
            "",
            "",
            "",
            "",
        )
    Console().print(table)
    click.echo(
        f"{report['processes_alive']} processes alive; "
        f"{'running' if report['running'] else 'not running (icbox up resumes it)'}"
    )


@click.command()
@click.pass_context
def down(ctx: click.Context) -> None:
    """Stop every process of the network (SIGTERM, then SIGKILL after a grace period)."""
    pids = operations.bring_down(_directory(ctx))
    click.echo(f"Stopped {len(pids)} processes." if pids else "Nothing was running.")
