"""`icbox tui`: the dashboard."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option(
    "--network", default=None, metavar="NETWORK", help="'local' (default), a URL or a name."
)
@click.option("--identity", default=None, metavar="NAME", help="The identity to act as.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between refreshes.")
@click.pass_context
def tui(ctx: click.Context, network: str | None, identity: str | None, interval: float) -> None:
    """The dashboard: network, proposals, neurons and wallet, refreshed live."""
    from tui.app import IcboxApp
    from tui.backend import OpsBackend

    options = ctx.obj or {}
    backend = OpsBackend(
        network or options.get("network"),
        identity or options.get("identity"),
        directory=Path(options.get("directory", ".")),
    )
    try:
        IcboxApp(backend, interval=interval).run()
    finally:
        backend.close()
