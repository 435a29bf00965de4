"""Run one replica process: `python -m replica.live --node-dir DIR`.

Logs go to stderr (the supervisor sends them to the node's log file). SIGTERM
and SIGINT stop the replica cleanly; `kill -9` is survived by the next start,
which resumes from the persisted pool and checkpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from replica.live.layout import REPLICA_PID_FILE
from replica.live.pidfile import remove_pid_file, write_pid_file


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
    arguments = parser.parse_args(argv)
    logging.basicConfig(
        level=arguments.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    import os

    import uvloop

    directory: Path = arguments.node_dir
    pid = os.getpid()
    write_pid_file(directory / REPLICA_PID_FILE, pid)
    try:
        uvloop.run(serve(directory, arguments.replica_version))
    finally:
        remove_pid_file(directory / REPLICA_PID_FILE, pid)
    return 0


async def serve(directory: Path, replica_version: str | None = None) -> None:
    from replica.live.service import ReplicaService

    service = ReplicaService(directory, replica_version=replica_version)
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, service.stopping.set)
    await service.run()


if __name__ == "__main__":
    sys.exit(main())
