"""`icbox demo`: a chain-evolution story on a fresh local network, shown by the dashboard."""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from pathlib import Path

import click


@click.command()
@click.option(
    "--nns-nodes", default=1, show_default=True, help="Nodes of the NNS subnet (1 is lightest)."
)
@click.option("--app-nodes", default=4, show_default=True, help="Nodes of the application subnet.")
@click.option(
    "--step",
    "steps",
    multiple=True,
    type=click.Choice(["create-subnet", "replace-node", "upgrade"]),
    help="Run only these steps (default: all, in order).",
)
@click.option("--plain", is_flag=True, help="Print the story; no dashboard.")
@click.option("--keep", is_flag=True, help="Leave the network running at the end.")
@click.pass_context
def demo(
    ctx: click.Context,
    nns_nodes: int,
    app_nodes: int,
    steps: tuple[str, ...],
    plain: bool,
    keep: bool,
) -> None:
    """Bring up a fresh network (in a new temporary directory unless --directory is given) and
    tell a story on it while the dashboard shows it: a subnet created, a node killed and
    replaced, an upgrade. q quits; the network is brought down unless --keep."""
    from tui.demo import STEPS, DemoError, Story
    from tui.network.create import NetworkError, NetworkOptions
    from tui.network.operations import bring_down, bring_up, read_network
    from tui.network.paths import NetworkPaths

    given = (ctx.obj or {}).get("directory", ".")
    directory = Path(given) if given != "." else Path(tempfile.mkdtemp(prefix="icbox-demo-"))
    if read_network(NetworkPaths.in_directory(directory)) is not None:
        raise click.ClickException(f"{directory} has a network already: the demo needs a fresh one")
    if not keep:
        # The network belongs to this command: if it is killed (its terminal closed), the
        # network's processes stop by themselves (`replica.live.lifeline`).
        from replica.live.lifeline import OWNER_VARIABLE

        os.environ.setdefault(OWNER_VARIABLE, str(os.getpid()))
    chosen = steps or STEPS
    spares = ("create-subnet" in chosen) + ("replace-node" in chosen)
    click.echo(f"bringing up a network in {directory} ...", err=True)
    try:
        bring_up(
            directory,
            NetworkOptions(
                nns_nodes=nns_nodes, application_subnets=(app_nodes,), unassigned_nodes=spares
            ),
        )
    except NetworkError as error:
        bring_down(directory)
        raise click.ClickException(str(error)) from error
    try:
        if plain:
            try:
                Story(directory, say=click.echo).run(chosen)
            except DemoError as error:
                raise click.ClickException(str(error)) from error
        else:
            _with_dashboard(directory, chosen)
    finally:
        if keep:
            click.echo(f"the network keeps running in {directory} (icbox -C {directory} down)")
        else:
            bring_down(directory)


def _with_dashboard(directory: Path, steps: tuple[str, ...]) -> None:
    from tui.app import IcboxApp
    from tui.backend import OpsBackend
    from tui.demo import DemoError, Stopped, Story

    backend = OpsBackend(directory=directory)
    app = IcboxApp(backend)
    stop = threading.Event()

    def say(text: str, severity: str = "information") -> None:
        with contextlib.suppress(RuntimeError):  # the app has exited
            app.call_from_thread(app.notify, text, title="demo", severity=severity, timeout=8)

    def tell() -> None:
        while not app.is_running and not stop.wait(0.1):
            pass  # the story starts once the dashboard shows the network
        try:
            Story(directory, say=say, stop=stop).run(steps)
            say("the story is over: look around, q quits")
        except Stopped:
            return
        except DemoError as error:
            say(str(error), "error")

    teller = threading.Thread(target=tell, name="demo-story", daemon=True)
    teller.start()
    try:
        app.run()
    finally:
        stop.set()
        teller.join(timeout=10)
        backend.close()
