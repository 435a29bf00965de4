"""`icbox monitor`: watch every node and replace dead subnet members by proposal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from tui.cli.common import Cli, operation

if TYPE_CHECKING:
    from tui.monitor.events import MonitorEvent


@click.command()
@click.option(
    "--dead-after",
    default=60.0,
    show_default=True,
    help="Seconds a member may be unhealthy before it is replaced.",
)
@click.option("--poll-interval", default=2.0, show_default=True, help="Seconds between probes.")
@click.option(
    "--heal-interval", default=5.0, show_default=True, help="Seconds between replacement checks."
)
@click.option(
    "--stall-after",
    default=30.0,
    show_default=True,
    help="Seconds without a new certified height before a subnet is reported stalled.",
)
@click.option(
    "--lag-heights",
    default=10,
    show_default=True,
    help="A member this many heights behind its subnet's best is still in step.",
)
@click.option(
    "--join-grace",
    default=120.0,
    show_default=True,
    help="Extra seconds for a member never seen healthy (a node that just joined).",
)
@click.option("--probe-timeout", default=1.0, show_default=True, help="Seconds per status probe.")
@click.option(
    "--max-proposals",
    default=3,
    show_default=True,
    help="At most this many replacement proposals per --per seconds.",
)
@click.option("--per", "window", default=3600.0, show_default=True, help="Rate limit window (s).")
@click.option(
    "--max-open-per-subnet",
    default=1,
    show_default=True,
    help="Open replacement proposals allowed per subnet.",
)
@click.option(
    "--neuron", type=int, default=None, help="Neuron that files (default: the network's)."
)
@click.option("--dry-run", is_flag=True, help="Report the replacements; file nothing.")
@click.option(
    "--events",
    "events_path",
    type=click.Path(dir_okay=False),
    default=None,
    help=(
        "Append every event as a JSON line "
        "(default: .icbox/monitor-events.jsonl of a local network)."
    ),
)
@click.option("--duration", type=float, default=None, help="Stop after this many seconds.")
@click.option(
    "--until-filed", type=int, default=None, help="Stop once this many proposals are filed."
)
@operation
def monitor(
    cli: Cli,
    dead_after: float,
    poll_interval: float,
    heal_interval: float,
    stall_after: float,
    lag_heights: int,
    join_grace: float,
    probe_timeout: float,
    max_proposals: int,
    window: float,
    max_open_per_subnet: int,
    neuron: int | None,
    dry_run: bool,
    events_path: str | None,
    duration: float | None,
    until_filed: int | None,
) -> None:
    """Watch every node's status and each subnet's finalization; when a subnet member has been
    unhealthy for --dead-after seconds, file a ChangeSubnetMembership proposal that replaces it
    with the unassigned node that keeps or improves the subnet's decentralization (the Nakamoto
    coefficient of node providers, operators, data centers, their owners and regions, shown
    before and after). Never two proposals for one dead node while one is pending, also across
    restarts; rate limited. With --json every event is one JSON line on stdout."""
    from tui.monitor.health import HealthConfig
    from tui.monitor.planner import RateLimit
    from tui.monitor.service import Monitor, MonitorConfig, run_monitor

    config = MonitorConfig(
        health=HealthConfig(
            dead_after_s=dead_after,
            stall_after_s=stall_after,
            lag_heights=lag_heights,
            join_grace_s=join_grace,
        ),
        limit=RateLimit(
            max_proposals=max_proposals, window_s=window, max_open_per_subnet=max_open_per_subnet
        ),
        poll_interval_s=poll_interval,
        heal_interval_s=heal_interval,
        probe_timeout_s=probe_timeout,
        dry_run=dry_run,
        neuron_id=neuron,
    )
    path = _events_path(cli, events_path)
    sink: IO[str] | None = None
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        sink = path.open("a")

    def emit(event: MonitorEvent) -> None:
        line = event.to_line()
        if sink is not None:
            sink.write(line + "\n")
            sink.flush()
        if cli.as_json:
            click.echo(line)
        else:
            click.echo(f"{_clock(event.time_s)}  {event.describe()}")

    watcher = Monitor(cli.session, config, emit)
    try:
        watcher.start()
        if not cli.as_json:
            click.echo(
                f"watching with neuron {watcher.neuron_id}"
                f"{' (dry run)' if dry_run else ''}; events in {path or '(no file)'}",
                err=True,
            )
        run_monitor(watcher, duration_s=duration, until_filed=until_filed)
        if cli.as_json:
            click.echo(
                json.dumps(
                    {
                        "event": "stopped",
                        "filed": watcher.filed,
                        "dead": [d.node_id.to_text() for d in watcher.tracker.dead_nodes()],
                    }
                )
            )
    finally:
        watcher.close()
        if sink is not None:
            sink.close()


def _events_path(cli: Cli, given: str | None) -> Path | None:
    if given is not None:
        return Path(given)
    local = cli.directory.resolve() / ".icbox"
    if cli.network in (None, "local") and local.is_dir():
        return local / "monitor-events.jsonl"
    return None


def _clock(time_s: float) -> str:
    import time

    return time.strftime("%H:%M:%S", time.localtime(time_s))
