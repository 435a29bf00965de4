"""The node's replica process: started, restarted when it dies, stopped, as the orchestrator
decides.

`ReplicaProcess.ensure_replica(target)` is the one door: it makes the node run
a replica of `target.subnet_id` at `target.replica_version`, and does nothing
if that runs already. A different target stops the running replica first
(SIGTERM, SIGKILL after a grace period), rewrites the node's settings and
starts the new one. What runs comes from a `ReplicaLauncher`: `CurrentCode`
runs `python -m replica.live` from this installation; a launcher that runs a
release archive's code plugs in here. A replica that dies is started again
after a backoff (0.5 s doubling to 5 s; at once after a run of 10 s or more).

Standby: `prepare(target)` starts the process of `target`'s command ahead of
time in standby (`--standby`: it imports its code, then waits on its standard
input, touching nothing of the node); starting that command later writes the
node's settings and tells the standby to go, and only a process whose command
is exactly the target's is used. Two moments use it. An upgrade restarts the
replica at the CUP that hands the subnet over, and the subnet finalizes
nothing until the new processes run: the next version's process loads while
the old one still runs, and the switch stops the old one and lets the standby
go. An unassigned node keeps one of the command it would run, so a node
chosen for a new subnet (or as a replacement) does not wait for the
interpreter to load the replica's code. A standby is started once per command:
a release that dies while loading (or knows no `--standby`) is not started
again, and the replica is then started as usual (backing off if it dies).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, Protocol

from replica.live.layout import read_settings, write_settings

GRACE_S: Final = 5.0
STANDBY_ARGUMENT: Final = "--standby"
GO_LINE: Final = b"go\n"
RESTART_DELAY_S: Final = 0.5
RESTART_DELAY_MAX_S: Final = 5.0
STABLE_RUN_S: Final = 10.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaTarget:
    subnet_id: str
    replica_version: str | None
    registry_cup: tuple[int, int] | None = None
    """(height, registry version) of the subnet's CUP in the registry: a new one (a recovery
    CUP) restarts the replica so that it starts from it (the IC's
    `stop_replica_if_new_recovery_cup`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchCommand:
    argv: tuple[str, ...]
    cwd: Path
    environment: dict[str, str] | None = None


class ReplicaLauncher(Protocol):
    def command(self, directory: Path, target: ReplicaTarget) -> LaunchCommand: ...


class CurrentCode:
    """Runs the replica of this installation, whatever version the registry names."""

    def command(self, directory: Path, target: ReplicaTarget) -> LaunchCommand:
        return LaunchCommand(
            argv=(sys.executable, "-m", "replica.live", "--node-dir", str(directory)),
            cwd=Path(__file__).resolve().parents[2],
        )


class ReplicaProcess:
    def __init__(
        self, directory: Path, *, log_file: Path, launcher: ReplicaLauncher | None = None
    ) -> None:
        self.directory = directory
        self.log_file = log_file
        self.launcher: ReplicaLauncher = launcher or CurrentCode()
        self.target: ReplicaTarget | None = None
        self.child: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.restart_at: float | None = None
        self.delay_s = RESTART_DELAY_S
        self.restarts = 0
        self.standby: subprocess.Popen[bytes] | None = None
        self.standby_command: LaunchCommand | None = None
        """The command of the standby process (started once per command)."""

    @property
    def pid(self) -> int | None:
        child = self.child
        return child.pid if child is not None and child.poll() is None else None

    def _write_settings(self, target: ReplicaTarget) -> None:
        settings = read_settings(self.directory)
        changed = replace(
            settings, subnet_id=target.subnet_id, replica_version=target.replica_version
        )
        if settings.subnet_id != target.subnet_id:
            # A subnet the node joins after genesis: its canisters come from the application
            # genesis, or the NNS's (its description is public: no secret of the network's
            # keys is in it) for a node that replaces an NNS node.
            joins_nns = target.subnet_id == settings.nns_subnet_id
            changed = replace(
                changed,
                genesis=(settings.nns_genesis or settings.genesis)
                if joins_nns
                else settings.application_genesis,
            )
        if changed != settings:
            write_settings(self.directory, changed)

    def _spawn(self, command: LaunchCommand, *, standby: bool) -> subprocess.Popen[bytes]:
        environment = None
        if command.environment is not None:
            environment = {**os.environ, **command.environment}
        with open(self.log_file, "ab") as log:
            return subprocess.Popen(
                [*command.argv, STANDBY_ARGUMENT] if standby else list(command.argv),
                stdin=subprocess.PIPE if standby else subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=str(command.cwd),
                env=environment,
            )

    def prepare(self, target: ReplicaTarget) -> bool:
        """Start `target`'s process in standby, ahead of a switch to it; whether one started."""
        command = self.launcher.command(self.directory, target)
        if command == self.standby_command:
            return False
        self.drop_standby()
        self.standby = self._spawn(command, standby=True)
        self.standby_command = command
        return True

    def _take_standby(self, command: LaunchCommand) -> subprocess.Popen[bytes] | None:
        """The standby process of `command`, told to go, if it is still waiting."""
        standby = self.standby
        if standby is None or command != self.standby_command or standby.poll() is not None:
            return None
        self.standby = None
        try:
            if standby.stdin is not None:
                standby.stdin.write(GO_LINE)
                standby.stdin.close()
        except OSError:
            standby.kill()
            standby.wait()
            return None
        return standby

    def drop_standby(self) -> None:
        """End the standby process, if any: it has touched nothing yet, so it is killed."""
        standby, self.standby = self.standby, None
        if standby is not None:
            if standby.poll() is None:
                standby.kill()
            standby.wait()
            if standby.stdin is not None:
                standby.stdin.close()

    def _start(self, target: ReplicaTarget) -> None:
        self._write_settings(target)
        command = self.launcher.command(self.directory, target)
        self.child = self._take_standby(command) or self._spawn(command, standby=False)
        self.target = target
        self.started_at = time.monotonic()
        self.restart_at = None

    def ensure_replica(self, target: ReplicaTarget) -> str | None:
        """Run `target`; what was done ("started", "switched") or None if it runs already."""
        if self.target == target and (self.pid is not None or self.restart_at is not None):
            return None
        switched = self.target is not None and self.target != target
        self.stop()
        self.delay_s = RESTART_DELAY_S
        self._start(target)
        return "switched" if switched else "started"

    def poll(self) -> str | None:
        """Restart a replica that died (after the backoff); a description of what happened."""
        child, target = self.child, self.target
        if child is None or target is None:
            return None
        code = child.poll()
        if code is None:
            return None
        now = time.monotonic()
        if self.restart_at is None:
            ran = now - self.started_at
            self.delay_s = (
                RESTART_DELAY_S
                if ran > STABLE_RUN_S
                else min(RESTART_DELAY_MAX_S, self.delay_s * 2)
            )
            self.restart_at = now + self.delay_s
            return (
                f"replica process {child.pid} exited with {code}; restart in {self.delay_s:.1f} s"
            )
        if now >= self.restart_at:
            self.restarts += 1
            self._start(target)
            return f"restarted the replica (restart {self.restarts})"
        return None

    def forget_standby(self) -> None:
        """No switch is coming: a standby still waiting exits, and the next may start one."""
        self.drop_standby()
        self.standby_command = None

    def stop_all(self) -> int | None:
        """Stop the replica and any standby process; the pid of the replica that was running."""
        self.forget_standby()
        return self.stop()

    def stop(self) -> int | None:
        """Stop the replica (SIGTERM, then SIGKILL); the pid that was running."""
        child = self.child
        self.child, self.target, self.restart_at = None, None, None
        if child is None or child.poll() is not None:
            return None
        child.terminate()
        try:
            child.wait(GRACE_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        return child.pid
