"""Faults on a real network: `kill -9` under load, two replicas of four down, catching up by state
sync.

The module's network has an NNS subnet of 4 and an application subnet of 4
(no unassigned nodes); the load is `add(1)` on the application subnet's
counter canister, so its certified replies must be exactly 1..N: a lost, a
repeated or a changed reply shows up as a gap, a duplicate or a wrong number.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from replica.agent.errors import AgentError
from replica.candid import decode, encode
from replica.candid.types import Nat
from replica.live.pidfile import process_start_ticks
from replica.types import Principal
from tests.e2e.conftest import LiveNetwork, running_network, wait_until
from tui.network.processes import start_node, stop_nodes

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]

COUNTER = Principal.from_canister_id(1 << 20)


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNetwork]:
    with running_network(tmp_path_factory.mktemp("faults"), unassigned=0) as network:
        yield network


class Load:
    """Threads sending `add(1)` to chosen replicas until stopped; the certified replies."""

    def __init__(self, network: LiveNetwork, nodes: list[dict[str, Any]]) -> None:
        self.replies: list[int] = []
        self.errors = 0
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(network.agent(node),)) for node in nodes
        ]

    def _run(self, agent: Any) -> None:
        while not self._stop.is_set():
            try:
                reply = agent.update(COUNTER, "add", encode([Nat], [1]))
            except AgentError:
                self.errors += 1
                time.sleep(0.2)
                continue
            self.replies.append(int(decode(reply, [Nat])[0]))

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)


def counter_value(network: LiveNetwork, node: dict[str, Any]) -> int:
    return int(decode(network.agent(node).query(COUNTER, "get", encode([], [])), [Nat])[0])


def test_kill_9_of_one_replica_under_load_loses_nothing_and_it_catches_up(
    network: LiveNetwork,
) -> None:
    nodes = network.subnet_nodes(1)
    victim, serving = nodes[3], nodes[:3]
    with Load(network, serving) as load:
        wait_until(lambda: len(load.replies) >= 5, timeout_s=60, what="certified replies")
        old_pid = network.replica_pid(victim)
        assert old_pid is not None
        os.kill(old_pid, signal.SIGKILL)
        killed_at = max(network.heights(1))
        # The subnet keeps finalizing with three of four while the victim is down or starting.
        wait_until(
            lambda: min(network.heights(1)[:3]) >= killed_at + 10,
            timeout_s=90,
            what="finalization with 3 of 4",
        )
        # The supervisor restarts it; it resumes from its pool and checkpoint and catches up.
        restarted = wait_until(
            lambda: (s := network.status(victim)) and s.pid != old_pid and s,
            timeout_s=90,
            what="the restarted replica",
        )
        wait_until(
            lambda: (
                (s := network.status(victim)) is not None
                and s.finalized_height >= max(network.heights(1)[:3]) - 3
            ),
            timeout_s=90,
            what="catch-up",
        )
        replied = len(load.replies)
        wait_until(
            lambda: len(load.replies) >= replied + 5,
            timeout_s=60,
            what="more replies after the restart",
        )
    assert restarted.pid != old_pid
    replies = sorted(load.replies)
    assert replies == list(range(1, len(replies) + 1)), "a reply was lost, repeated or changed"
    assert counter_value(network, victim) >= len(replies)

    def same_checkpoint() -> bool:
        statuses = [network.status(node) for node in nodes]
        if any(s is None for s in statuses):
            return False
        heights = {s.checkpoint_height for s in statuses if s is not None}
        return len(heights) == 1 and heights.pop() > killed_at

    wait_until(
        same_checkpoint, timeout_s=90, what="every replica at the same checkpoint after the restart"
    )
    hashes = {
        status.checkpoint_hash for node in nodes if (status := network.status(node)) is not None
    }
    assert len(hashes) == 1


def test_two_down_stops_finalization_without_loss_and_it_resumes(network: LiveNetwork) -> None:
    nodes = network.subnet_nodes(1)
    up, down = nodes[:2], nodes[2:]
    value = counter_value(network, up[0])
    stop_nodes([network.node_dir(node) for node in down])
    assert all(network.replica_pid(node) is None for node in down)
    time.sleep(2)
    stalled = max(network.heights(1)[:2])
    time.sleep(5)
    assert max(network.heights(1)[:2]) <= stalled + 1, "two of four replicas cannot finalize"
    assert counter_value(network, up[0]) == value
    start_node(network.node_dir(down[0]))
    wait_until(
        lambda: max(network.heights(1)[:3]) >= stalled + 10,
        timeout_s=120,
        what="finalization to resume",
    )
    assert counter_value(network, up[0]) == value
    # The last one was away for several intervals: its peers send it their CUP and nothing to
    # replay below it, so it catches up by state sync (`ReplicaService.resend_above`).
    wait_until(
        lambda: min(s.cup_height for n in nodes[:3] if (s := network.status(n))) > stalled + 45,
        timeout_s=120,
        what="two more catch-up packages",
    )
    start_node(network.node_dir(down[1]))
    top = max(network.heights(1))
    wait_until(
        lambda: (s := network.status(down[1])) is not None and s.finalized_height >= top,
        timeout_s=120,
        what="the last replica to catch up",
    )
    status = network.status(down[1])
    assert status is not None and status.state_syncs >= 1


def test_kill_9_of_a_supervisor_takes_its_replica_down_and_the_node_comes_back(
    network: LiveNetwork,
) -> None:
    """A replica dies with its supervisor (`replica.live.lifeline`); restarting the node
    resumes it."""
    node = network.subnet_nodes(1)[0]
    directory = network.node_dir(node)
    supervisor, replica = network.supervisor_pid(node), network.replica_pid(node)
    assert supervisor is not None and replica is not None
    os.kill(supervisor, signal.SIGKILL)
    wait_until(
        lambda: all(process_start_ticks(pid) is None for pid in (supervisor, replica)),
        timeout_s=10,
        what="the supervisor and its replica to be gone",
    )
    start_node(directory)
    wait_until(
        lambda: (
            (s := network.status(node)) is not None
            and s.pid not in (replica, None)
            and s.finalized_height >= max(network.heights(1)) - 3
        ),
        timeout_s=120,
        what="the node to run again and catch up",
    )
