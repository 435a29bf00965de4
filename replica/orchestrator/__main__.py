"""Run a node's orchestrator: `python -m replica.orchestrator --node-dir DIR`.

It writes its pid file (`supervisor.pid`: the node's supervising process), logs
to the node's log file, and on SIGTERM or SIGINT stops the replica and exits; it
does the same when the owner process `ICBOX_OWNER_PID` names dies
(`replica.live.lifeline`), and its replica process dies with it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from replica.live.layout import SUPERVISOR_PID_FILE
from replica.live.lifeline import owner_from_environment, watch
from replica.live.pidfile import remove_pid_file, write_pid_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m replica.orchestrator", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--node-dir", type=Path, required=True)
    parser.add_argument("--preset", default=None)
    parser.add_argument("--log-level", default="INFO")
    arguments = parser.parse_args(argv)
    logging.basicConfig(
        level=arguments.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s orchestrator[%(process)d] %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    directory: Path = arguments.node_dir
    pid = os.getpid()
    write_pid_file(directory / SUPERVISOR_PID_FILE, pid)
    try:
        asyncio.run(serve(directory, arguments.preset))
    finally:
        remove_pid_file(directory / SUPERVISOR_PID_FILE, pid)
    return 0


async def serve(directory: Path, preset: str | None) -> None:
    from replica.orchestrator.orchestrator import Orchestrator, config_for_preset

    orchestrator = Orchestrator(directory, config=config_for_preset(preset))
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, orchestrator.stopping.set)
    owner = owner_from_environment()
    if owner is not None:
        # Bound to the process that owns the network (a test run): stop with it.
        def on_owner_gone(reason: str) -> None:
            logging.getLogger("icbox.orchestrator").warning("%s: stopping", reason)
            loop.call_soon_threadsafe(orchestrator.stopping.set)

        watch(owner=owner, parent=False, on_gone=on_owner_gone)
    await orchestrator.run()


if __name__ == "__main__":
    sys.exit(main())
