"""The per-node supervisor: `python -m replica.live.supervisor --node-dir DIR`.

One per node, its own process. It owns the node's directory, starts the
replica process when the node is assigned to a subnet, restarts it when it
dies (after `kill -9`, a crash, an out-of-memory kill), and on SIGTERM stops
it: SIGTERM first, SIGKILL after a grace period. An unassigned node's
supervisor runs no replica and waits. When its environment names an owner
process (`ICBOX_OWNER_PID`, see `replica.live.lifeline`), it stops its replica
and exits when that process dies; its replica dies with it. This is the seed of the orchestrator
(spec C), which will add registry polling, replica versions and CUP fetching.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Final

from replica.live.layout import SUPERVISOR_PID_FILE, read_settings
from replica.live.lifeline import owner_from_environment, watch
from replica.live.pidfile import remove_pid_file, write_pid_file

GRACE_S: Final = 5.0
RESTART_DELAY_S: Final = 0.5
RESTART_DELAY_MAX_S: Final = 5.0
STABLE_RUN_S: Final = 10.0
"""A replica that ran this long before it died is restarted at once again next time."""


class Supervisor:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.settings = read_settings(directory)
        self.stopping = False
        self.child: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def log(self, message: str) -> None:
        with open(self.settings.log_file, "a") as out:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
            out.write(f"{stamp} supervisor[{os.getpid()}]: {message}\n")

    def on_signal(self, signal_number: int, frame: FrameType | None) -> None:
        self.stopping = True

    def on_owner_gone(self, reason: str) -> None:
        self.log(f"{reason}: stopping")
        self.stopping = True

    def start_replica(self) -> subprocess.Popen[bytes]:
        log = open(self.settings.log_file, "ab")  # noqa: SIM115 - handed to the child, closed below
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "replica.live", "--node-dir", str(self.directory)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=os.getcwd(),
            )
        finally:
            log.close()

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)
        owner = owner_from_environment()
        if owner is not None:
            watch(owner=owner, parent=False, on_gone=self.on_owner_gone)
        if self.settings.subnet_id is None:
            self.log(f"node {self.settings.node_id} is unassigned: no replica to run")
            while not self.stopping:
                time.sleep(0.2)
            return 0
        delay = RESTART_DELAY_S
        while not self.stopping:
            started = time.monotonic()
            self.child = self.start_replica()
            self.log(f"started replica process {self.child.pid}")
            while not self.stopping and self.child.poll() is None:
                time.sleep(0.1)
            if self.stopping:
                break
            code = self.child.returncode
            delay = (
                RESTART_DELAY_S
                if time.monotonic() - started > STABLE_RUN_S
                else min(RESTART_DELAY_MAX_S, delay * 2)
            )
            self.restarts += 1
            self.log(
                f"replica process {self.child.pid} exited with {code}; restarting in {delay:.1f} s"
            )
            deadline = time.monotonic() + delay
            while not self.stopping and time.monotonic() < deadline:
                time.sleep(0.05)
        self.stop_child()
        return 0

    def stop_child(self) -> None:
        child = self.child
        if child is None or child.poll() is not None:
            return
        child.terminate()
        try:
            child.wait(GRACE_S)
        except subprocess.TimeoutExpired:
            self.log(f"replica process {child.pid} ignored SIGTERM for {GRACE_S} s: SIGKILL")
            child.kill()
            child.wait()
        self.log(f"stopped replica process {child.pid}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m replica.live.supervisor", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--node-dir", type=Path, required=True)
    arguments = parser.parse_args(argv)
    directory: Path = arguments.node_dir
    pid = os.getpid()
    write_pid_file(directory / SUPERVISOR_PID_FILE, pid)
    try:
        return Supervisor(directory).run()
    finally:
        remove_pid_file(directory / SUPERVISOR_PID_FILE, pid)


if __name__ == "__main__":
    sys.exit(main())
