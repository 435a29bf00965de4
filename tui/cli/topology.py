"""`icbox topology`: the network as the registry describes it, at any version, and diffs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from tui.cli.common import Cli, console, operation, table
from tui.cli.lazy import lazy_module

if TYPE_CHECKING:
    from tui.ops import topology as ops
else:
    ops = lazy_module("tui.ops.topology")


def _render_tree(topology: dict[str, Any]) -> None:
    from rich.tree import Tree

    root = Tree(f"registry version {topology['version']}")
    for subnet in topology["subnets"]:
        branch = root.add(
            f"subnet {subnet['id']} [dim]{subnet['type']}, version {subnet['replica_version']}"
            f"{', HALTED' if subnet['is_halted'] else ''}[/dim]"
        )
        for member in subnet["members"]:
            branch.add(
                f"node {member} [dim]{topology['nodes'].get(member, {}).get('http', '')}[/dim]"
            )
    unassigned = root.add(f"unassigned [dim]version {topology['unassigned_replica_version']}[/dim]")
    for node in topology["unassigned_nodes"]:
        unassigned.add(f"node {node}")
    operators = root.add("node operators")
    for operator, record in topology["node_operators"].items():
        operators.add(f"{operator} [dim]allowance {record['node_allowance']}[/dim]")
    root.add(f"elected versions: {', '.join(topology['elected_replica_versions']) or '-'}")
    console().print(root)


def _render_table(topology: dict[str, Any]) -> None:
    rows = [
        [
            subnet["id"],
            subnet["type"],
            subnet["replica_version"],
            len(subnet["members"]),
            "yes" if subnet["is_halted"] else "",
        ]
        for subnet in topology["subnets"]
    ]
    rows.append(
        [
            "(unassigned)",
            "",
            topology["unassigned_replica_version"],
            len(topology["unassigned_nodes"]),
            "",
        ]
    )
    table(
        f"registry version {topology['version']}",
        ["subnet", "type", "version", "nodes", "halted"],
        rows,
    )
    click.echo(
        f"elected versions: {', '.join(topology['elected_replica_versions']) or '-'}; "
        f"node operators: {len(topology['node_operators'])}"
    )


def _render_diff(diff: dict[str, Any]) -> None:
    click.echo(f"registry version {diff['from_version']} -> {diff['to_version']}")
    shown = False
    for key in ("subnets_created", "subnets_removed", "nodes_added", "nodes_removed"):
        for item in diff[key]:
            click.echo(f"  {key.replace('_', ' ')}: {item}")
            shown = True
    for change in diff["subnets_changed"]:
        details = {k: v for k, v in change.items() if k != "id"}
        click.echo(f"  subnet {change['id']}: {details}")
        shown = True
    for verb in ("added", "removed"):
        for version in diff["elected_replica_versions"][verb]:
            click.echo(f"  elected version {verb}: {version}")
            shown = True
    if not shown:
        click.echo("  no topology change")


@click.command()
@click.option(
    "--at-version",
    type=int,
    default=None,
    help="The registry version to show (default: the latest).",
)
@click.option(
    "--diff",
    "diff",
    type=int,
    nargs=2,
    default=None,
    metavar="V1 V2",
    help="What changed between registry versions V1 and V2.",
)
@click.option("--tree", is_flag=True, help="A tree of subnets and their nodes instead of a table.")
@operation
def topology(cli: Cli, at_version: int | None, diff: tuple[int, int] | None, tree: bool) -> None:
    """Subnets, nodes, node operators and replica versions, from the registry canister.

    \b
    Examples:
      icbox topology
      icbox topology --tree --at-version 1
      icbox topology --diff 1 5 --json
    """
    if diff is not None:
        changes = ops.get_topology_diff(cli.session, diff[0], diff[1])
        cli.emit(changes, lambda: _render_diff(changes))
        return
    shown = ops.get_topology(cli.session, at_version)
    cli.emit(shown, lambda: _render_tree(shown) if tree else _render_table(shown))
