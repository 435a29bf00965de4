"""The processes of a local network: one orchestrator per node, each with its replica.

Orchestrators (`replica.orchestrator`, the node's supervising process) run detached (their own
session), so they outlive the command
that started them; their pid files (with the process start time) say which
are running, and a stale file is detected rather than trusted. Stopping sends
SIGTERM to every orchestrator (each stops its replica), then SIGKILL to any
process of the network still alive after the grace period.
"""

from __future__ import annotations

import compileall
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from replica.live.layout import (
    REPLICA_PID_FILE,
    STATUS_FILE,
    SUPERVISOR_PID_FILE,
    read_json,
    read_settings,
)
from replica.live.pidfile import PidRecord, is_alive, live_pid, read_pid_file
from replica.live.status import ReplicaStatus
from tui.network.paths import NetworkPaths

GRACE_S: Final = 8.0
PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES: Final = ("nns", "registry", "replica", "sns", "tui")


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeProcesses:
    index: int
    directory: Path
    supervisor_pid: int | None
    replica_pid: int | None
    status: ReplicaStatus | None
    """The latest status the node's replica wrote (possibly of a process that is gone)."""
    assigned: bool

    @property
    def live_status(self) -> ReplicaStatus | None:
        """The status of the replica process running now, if it has written one."""
        status = self.status
        return status if status is not None and status.pid == self.replica_pid else None


def node_directories(paths: NetworkPaths) -> list[Path]:
    if not paths.nodes.is_dir():
        return []
    return sorted(path for path in paths.nodes.iterdir() if (path / "node.json").is_file())


def inspect_node(directory: Path) -> NodeProcesses:
    settings = read_settings(directory)
    replica_pid = live_pid(directory / REPLICA_PID_FILE)
    status = ReplicaStatus.from_json(read_json(directory / STATUS_FILE))
    return NodeProcesses(
        index=settings.node_index,
        directory=directory,
        supervisor_pid=live_pid(directory / SUPERVISOR_PID_FILE),
        replica_pid=replica_pid,
        status=status,
        assigned=settings.subnet_id is not None,
    )


def inspect_network(paths: NetworkPaths) -> list[NodeProcesses]:
    return [inspect_node(directory) for directory in node_directories(paths)]


def start_node(directory: Path, preset: str | None = None) -> int:
    """Start the node's orchestrator (detached) unless it runs; its pid."""
    running = live_pid(directory / SUPERVISOR_PID_FILE)
    if running is not None:
        return running
    settings = read_settings(directory)
    command = [sys.executable, "-m", "replica.orchestrator", "--node-dir", str(directory)]
    if preset is not None:
        command += ["--preset", preset]
    with open(settings.log_file, "ab") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            cwd=str(Path(__file__).resolve().parents[2]),
        )
    # The orchestrator writes its own pid file; wait for it so callers can rely on it.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and live_pid(directory / SUPERVISOR_PID_FILE) is None:
        if process.poll() is not None:
            raise RuntimeError(f"the orchestrator of {directory} exited with {process.returncode}")
        time.sleep(0.02)
    return process.pid


def compile_project() -> None:
    """Write the bytecode of the project's modules once, before starting a network's processes.

    Every process of a network imports most of the project: without bytecode on disk (an
    environment with `PYTHONDONTWRITEBYTECODE`, or a fresh checkout) each of them compiles every
    module again, about 0.7 s of CPU per process, 19 processes for the default network. Files
    whose bytecode is up to date are skipped (about 60 ms for the whole project); a directory
    that cannot be written is left as it is.
    """
    for package in PROJECT_PACKAGES:
        with contextlib.suppress(OSError):
            compileall.compile_dir(PROJECT_ROOT / package, quiet=2)


def start_network(paths: NetworkPaths) -> list[int]:
    compile_project()
    preset = None
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        preset = json.loads(paths.network_file.read_text())["preset"]
    return [start_node(directory, preset) for directory in node_directories(paths)]


def _signal(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, number)


def stop_node(directory: Path, *, grace_s: float = GRACE_S) -> None:
    stop_nodes([directory], grace_s=grace_s)


def stop_nodes(directories: list[Path], *, grace_s: float = GRACE_S) -> list[int]:
    """Stop the supervisors and replicas of these nodes; the pids that were running.

    Waits on the processes themselves (pid and start time), not on their pid files: a
    process removes its file a moment before it exits.
    """
    running: list[tuple[str, PidRecord]] = []
    for directory in directories:
        for name in (SUPERVISOR_PID_FILE, REPLICA_PID_FILE):
            record = read_pid_file(directory / name)
            if is_alive(record) and record is not None:
                running.append((name, record))
    for name, record in running:
        if name == SUPERVISOR_PID_FILE:
            _signal(record.pid, signal.SIGTERM)

    def alive() -> list[PidRecord]:
        return [record for _, record in running if is_alive(record)]

    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and alive():
        time.sleep(0.05)
    for record in alive():
        _signal(record.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and alive():
        time.sleep(0.05)
    for directory in directories:
        for name in (SUPERVISOR_PID_FILE, REPLICA_PID_FILE):
            live_pid(directory / name)  # a dead process's file is removed here
    return [record.pid for _, record in running]


def stop_network(paths: NetworkPaths, *, grace_s: float = GRACE_S) -> list[int]:
    return stop_nodes(node_directories(paths), grace_s=grace_s)
