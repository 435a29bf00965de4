"""`icbox subnet`: operations on a whole subnet (recovering one a broken release stalled)."""

from __future__ import annotations

import click

from tui.cli.common import Cli, confirm, operation
from tui.ops.errors import UsageError


@click.group()
def subnet() -> None:
    """Operations on a subnet of the local network.

    \b
    Examples:
      icbox subnet recover --subnet SUBNET --version 0.2.0 --yes
      icbox subnet recover --subnet SUBNET --dry-run --json
    """


@subnet.command()
@click.option("--subnet", "subnet_id", required=True, help="The stalled subnet.")
@click.option(
    "--version",
    "version",
    default=None,
    help="A working elected version to deploy first (the one before the broken release).",
)
@click.option(
    "--neuron",
    type=int,
    default=None,
    help="The proposing neuron (default: the local network's neuron).",
)
@click.option("--timeout", default=180.0, show_default=True, help="Seconds per proposal.")
@click.option("--dry-run", is_flag=True, help="Show the recovery point only; file nothing.")
@click.option("--yes", is_flag=True, help="File the proposals without asking.")
@operation
def recover(
    cli: Cli,
    subnet_id: str,
    version: str | None,
    neuron: int | None,
    timeout: float,
    dry_run: bool,
    yes: bool,
) -> None:
    """Restart a stalled subnet from its members' latest common checkpoint.

    Reads the checkpoints in the local network's node directories, then files
    (and waits for) DeployGuestosToAllSubnetNodes with --version, RecoverSubnet
    at that checkpoint's height and state hash, and UpdateSubnet unhalting it.
    """
    from tui.network.paths import NetworkPaths
    from tui.network.processes import node_directories
    from tui.ops import recovery

    point = recovery.find_recovery_point(
        node_directories(NetworkPaths.in_directory(cli.directory)), subnet_id
    )
    if dry_run:
        cli.emit({"dry_run": True, "point": point.to_json()})
        return
    neuron_id = neuron if neuron is not None else cli.session.target.neuron_id
    if neuron_id is None:
        raise UsageError("give --neuron (the proposing neuron)")
    cli.say(
        f"recovery point: height {point.height}, state hash {point.state_hash.hex()[:16]}..., "
        f"held by {len(point.nodes)} of {point.members} nodes"
    )
    if not confirm(cli, "File the recovery proposals?", yes=yes):
        raise click.Abort
    filed = recovery.recover_subnet(
        cli.session, point, neuron_id=neuron_id, version=version, timeout_s=timeout
    )
    cli.emit(
        {
            "dry_run": False,
            "point": point.to_json(),
            "proposals": [
                {"kind": f.kind, "proposal_id": f.proposal_id, "status": f.status} for f in filed
            ],
        },
        lambda: click.echo(
            "\n".join(f"{f.kind}: proposal {f.proposal_id} {f.status}" for f in filed)
            + f"\nsubnet {subnet_id} restarts from height {point.height}"
        ),
    )
