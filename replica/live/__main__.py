"""Run one replica process: `python -m replica.live --node-dir DIR`.

Logs go to stderr (the supervisor sends them to the node's log file). The
process dies with its parent (`replica.live.lifeline`). SIGTERM
and SIGINT stop the replica cleanly; `kill -9` is survived by the next start,
which resumes from the persisted pool and checkpoint.

With `--standby` the process loads its code and then waits for the line
`go` on its standard input before it touches the node directory (end of
input instead: it exits). The orchestrator starts the next version's
replica so ahead of an upgrade, and an unassigned node keeps one ready for
the subnet it may join, so that neither waits for imports
(`replica.orchestrator.replica_process`).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Final

from replica.live.layout import REPLICA_PID_FILE
from replica.live.pidfile import remove_pid_file, write_pid_file

PROFILE_VARIABLE: Final = "ICBOX_REPLICA_PROFILE"
"""A directory: when set, the replica runs under cProfile and writes `replica-<node dir>.prof` there
when it stops (a development aid: `python -m pstats` reads the file)."""

GC_YOUNG_THRESHOLD: Final = 20_000
"""Allocations between two collections of the youngest generation (CPython's default is 700): a
replica allocates and frees many short-lived objects per message, few of them in cycles, and at
the default the collector ran hundreds of times a second under load."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m replica.live", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--node-dir", type=Path, required=True)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument(
        "--replica-version",
        default=None,
        help="The version this process runs (default: the one in node.json).",
    )
    parser.add_argument(
        "--standby",
        action="store_true",
        help="Load the code, then start only when `go` arrives on standard input.",
    )
    arguments = parser.parse_args(argv)
    logging.basicConfig(
        level=arguments.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    import os

    import uvloop

    from replica.live.lifeline import die_with_parent, owner_from_environment, watch

    # A replica never outlives its supervisor (or the run that owns the network): the kernel
    # kills it with the parent, and a watchdog covers a parent that died before that request.
    die_with_parent(signal.SIGKILL)
    watch(owner=owner_from_environment(), parent=True)
    if arguments.standby and not wait_in_standby():
        os._exit(0)  # no switch came: nothing to close, and no teardown of the loaded code
    directory: Path = arguments.node_dir
    pid = os.getpid()
    write_pid_file(directory / REPLICA_PID_FILE, pid)
    profile_directory = os.environ.get(PROFILE_VARIABLE)
    profiler = None
    if profile_directory:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()

    def exit_now() -> None:
        # The replica has closed its state (pool synced, checkpoint stores closed): end the
        # process at once rather than wait for the loop's teardown, so a restart (an upgrade,
        # `icbox down`) is not held up by connections still closing.
        if profiler is not None and profile_directory:
            profiler.disable()
            profiler.dump_stats(str(Path(profile_directory) / f"replica-{directory.name}.prof"))
        remove_pid_file(directory / REPLICA_PID_FILE, pid)
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    try:
        uvloop.run(serve(directory, arguments.replica_version, on_stopped=exit_now))
    finally:
        if profiler is not None and profile_directory:
            profiler.disable()
            profiler.dump_stats(str(Path(profile_directory) / f"replica-{directory.name}.prof"))
        remove_pid_file(directory / REPLICA_PID_FILE, pid)
    return 0


def wait_in_standby() -> bool:
    """Load what a replica's start needs, then wait for `go`; whether it came."""
    import os

    from replica.crypto import bls
    from replica.http import api, requests, server  # noqa: F401 (loaded lazily by the service)
    from replica.live import service  # noqa: F401

    bls.public_key(1)  # the fixed-base table every start computes (signing keys)
    logging.getLogger("icbox.replica").info(
        "standby: code loaded, waiting for go (pid %d)", os.getpid()
    )
    return sys.stdin.buffer.readline().strip() == b"go"


async def serve(
    directory: Path,
    replica_version: str | None = None,
    *,
    on_stopped: Callable[[], None] | None = None,
) -> None:
    from replica.live.service import ReplicaService

    service = ReplicaService(directory, replica_version=replica_version)
    service.exit_when_closed = on_stopped
    # What is loaded by now (modules, the registry, the restored state) lives as long as the
    # process: moved out of the collector's reach, later collections no longer walk it.
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, service.stopping.set)
    await service.run()
    if on_stopped is not None:
        on_stopped()


if __name__ == "__main__":
    sys.exit(main())
