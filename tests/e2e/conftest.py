"""Real networks of replica processes for the end-to-end tests.

Each test module that needs one gets its own network in a temporary directory
(`live_network`), brought up with `icbox up` and brought down at the end of
the module; teardown checks by pid that no process of it is left. Every
supervisor started from a test run is bound to it (`ICBOX_OWNER_PID`, see
`replica.live.lifeline`): if the run is killed, its networks stop by themselves.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from replica.agent.identity import Ed25519Identity
from replica.agent.sync import Agent
from replica.live.layout import REPLICA_PID_FILE, STATUS_FILE, SUPERVISOR_PID_FILE, read_json
from replica.live.lifeline import OWNER_VARIABLE
from replica.live.pidfile import live_pid, process_start_ticks
from replica.live.status import ReplicaStatus
from tui.network.operations import bring_down
from tui.network.paths import NetworkPaths

REPOSITORY = Path(__file__).resolve().parents[2]

os.environ[OWNER_VARIABLE] = str(os.getpid())


def icbox(
    directory: Path, *arguments: str, timeout_s: float = 240
) -> subprocess.CompletedProcess[str]:
    """Run the `icbox` command (as `python -m tui.cli`) in `directory`."""
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", "--directory", str(directory), *arguments],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=environment,
        cwd=str(REPOSITORY),
    )


def wait_until(condition: Callable[[], Any], *, timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.2)


class LiveNetwork:
    """A network brought up in a directory, and the handles the tests use."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.paths = NetworkPaths.in_directory(directory)
        self.network: dict[str, Any] = json.loads(self.paths.network_file.read_text())
        self.identity = Ed25519Identity.from_pem(Path(self.network["identity"]["pem"]).read_text())
        self.root_key = bytes.fromhex(self.network["root_key"])
        self._agents: list[Agent] = []

    def subnet_nodes(self, subnet: int) -> list[dict[str, Any]]:
        subnet_id = self.network["subnets"][subnet]["subnet_id"]
        return [node for node in self.network["nodes"] if node["subnet_id"] == subnet_id]

    def node_dir(self, node: dict[str, Any]) -> Path:
        return Path(node["directory"])

    def agent(self, node: dict[str, Any], *, anonymous: bool = False) -> Agent:
        agent = Agent(
            node["http"], identity=None if anonymous else self.identity, root_key_der=self.root_key
        )
        self._agents.append(agent)
        return agent

    def status(self, node: dict[str, Any]) -> ReplicaStatus | None:
        status = ReplicaStatus.from_json(read_json(self.node_dir(node) / STATUS_FILE))
        if status is None or status.pid != self.replica_pid(node):
            return None
        return status

    def replica_pid(self, node: dict[str, Any]) -> int | None:
        return live_pid(self.node_dir(node) / REPLICA_PID_FILE)

    def supervisor_pid(self, node: dict[str, Any]) -> int | None:
        return live_pid(self.node_dir(node) / SUPERVISOR_PID_FILE)

    def all_pids(self) -> list[int]:
        pids = []
        for node in self.network["nodes"]:
            for pid in (self.replica_pid(node), self.supervisor_pid(node)):
                if pid is not None:
                    pids.append(pid)
        return pids

    def heights(self, subnet: int) -> list[int]:
        return [
            s.finalized_height if (s := self.status(node)) else -1
            for node in self.subnet_nodes(subnet)
        ]

    def close_agents(self) -> None:
        for agent in self._agents:
            agent.close()
        self._agents.clear()


def assert_gone(pids: list[int]) -> None:
    alive = [pid for pid in pids if process_start_ticks(pid) is not None]
    assert alive == [], f"processes still running: {alive}"


@contextlib.contextmanager
def running_network(
    directory: Path, *, unassigned: int, options: tuple[str, ...] = ()
) -> Iterator[LiveNetwork]:
    """`icbox up` in `directory` (with `options`, e.g. `--nns-nodes 1`); on exit `icbox down`,
    checking by pid that nothing is left."""
    result = icbox(directory, "up", "--unassigned", str(unassigned), *options)
    pids: list[int] = []
    try:
        assert result.returncode == 0, result.stdout + result.stderr
        network = LiveNetwork(directory)
        pids = network.all_pids()
        yield network
        network.close_agents()
        pids += network.all_pids()
    finally:
        pids += bring_down(directory)
        assert_gone(pids)


@pytest.fixture(scope="module")
def live_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNetwork]:
    with running_network(tmp_path_factory.mktemp("network"), unassigned=3) as network:
        yield network
