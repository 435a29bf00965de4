"""`icbox node init | register | start | stop`: a node on another host."""

from __future__ import annotations

from pathlib import Path

import click

from tui.cli.common import Cli, operation


@click.group()
def node() -> None:
    """A node on another host: make its keys, register it with its operator's key, start it.

    \b
    icbox node init DIR --ip 127.0.0.2 --operator-pem operator.pem
    icbox node start DIR        # add_node (signed by the operator) if needed, then run it
    """


@node.command("init")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--ip", default="127.0.0.1", show_default=True, help="Address the node binds to.")
@click.option("--p2p-port", type=int, default=None, help="P2P (xnet) port (default: free).")
@click.option("--http-port", type=int, default=None, help="HTTP port (default: free).")
@click.option(
    "--operator-pem",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="The node operator's key; the node signs add_node with it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def init(
    directory: str,
    ip: str,
    p2p_port: int | None,
    http_port: int | None,
    operator_pem: str | None,
    as_json: bool,
) -> None:
    """Make a node's keys (node signing, committee signing, DKG dealing encryption, TLS) and
    its registration payload in DIRECTORY. Nothing is sent."""
    import json

    from tui.cli.common import fail
    from tui.ops import nodes as ops
    from tui.ops.errors import OpsError

    try:
        made = ops.init_node(
            Path(directory),
            ip=ip,
            p2p_port=p2p_port,
            http_port=http_port,
            operator_pem=None if operator_pem is None else Path(operator_pem),
        )
    except OpsError as error:
        fail(error, as_json)
        return
    if as_json:
        click.echo(json.dumps(made.to_json()))
        return
    click.echo(f"node {made.node_id}")
    click.echo(f"  xnet {made.xnet_endpoint}  http {made.http_endpoint}")
    click.echo(f"  registration payload in {Path(directory) / ops.REGISTRATION_FILE}")
    if made.operator_pem is None:
        click.echo("  register it with `icbox node register DIR --identity OPERATOR`")


@node.command("register")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@operation
def register(cli: Cli, directory: str) -> None:
    """Send the node's add_node, signed by its operator key (DIRECTORY/operator.pem, else
    --identity): the registry takes one of the operator's node allowance."""
    from tui.ops import nodes as ops

    session = cli.session if cli.identity else ops.operator_session(cli.session, Path(directory))
    node_id = ops.register_node(session, Path(directory))
    cli.emit(
        {"node_id": node_id.to_text(), "operator": session.principal.to_text()},
        lambda: click.echo(f"registered node {node_id} (operator {session.principal})"),
    )


@node.command("start")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--register/--no-register",
    default=True,
    show_default=True,
    help="Register the node first if the registry does not list it.",
)
@operation
def start(cli: Cli, directory: str, register: bool) -> None:
    """Start the node's process (registering it first if needed); it is unassigned until a
    proposal puts it in a subnet."""
    from tui.ops import nodes as ops

    started = ops.start_node(cli.session, Path(directory), register=register)
    where = "unassigned" if started.subnet_id is None else f"member of {started.subnet_id}"
    cli.emit(
        started.to_json(),
        lambda: click.echo(
            f"node {started.node_id} started (supervisor {started.supervisor_pid}); {where}"
            f"{'; registered now' if started.registered_now else ''}"
        ),
    )


@node.command("stop")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def stop(directory: str, as_json: bool) -> None:
    """Stop the node's processes."""
    import json

    from tui.ops import nodes as ops

    if not (Path(directory) / "node.json").exists():
        raise click.ClickException(f"no started node in {directory}")
    pids = ops.stop_node(Path(directory))
    click.echo(json.dumps({"stopped": pids}) if as_json else f"stopped {len(pids)} processes")
