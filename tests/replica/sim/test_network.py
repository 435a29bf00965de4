"""The seeded network: delays, reordering, drops with retransmission, partitions, crashes."""

from __future__ import annotations

from typing import cast

from replica.sim.network import Network, NetworkConfig
from replica.sim.scheduler import Scheduler
from replica.types import Principal

A, B, C = (Principal.self_authenticating(bytes([i])) for i in (1, 2, 3))


def make(
    seed: int = 1, **config: object
) -> tuple[Scheduler, Network, list[tuple[Principal, Principal, object, int]]]:
    scheduler = Scheduler()
    received: list[tuple[Principal, Principal, object, int]] = []
    network = Network(
        scheduler,
        seed,
        lambda s, r, m: received.append((s, r, m, scheduler.now_ns)),
        NetworkConfig(**config),  # type: ignore[arg-type]
    )
    return scheduler, network, received


def test_same_seed_same_deliveries_and_messages_overtake_each_other() -> None:
    runs = []
    for _ in range(2):
        scheduler, network, received = make(seed=7, mean_jitter_ns=50_000_000)
        for index in range(50):
            network.send(A, B, index)
        scheduler.run_until()
        runs.append(received)
    assert runs[0] == runs[1]
    order = [cast(int, message) for _, _, message, _ in runs[0]]
    assert sorted(order) == list(range(50)) and order != list(range(50))


def test_dropped_messages_are_retransmitted_until_they_arrive() -> None:
    scheduler, network, received = make(drop_probability=0.5)
    for index in range(100):
        network.send(A, B, index)
    scheduler.run_until()
    assert sorted(cast(int, message) for _, _, message, _ in received) == list(range(100))
    assert network.stats.dropped > 20


def test_a_partition_holds_messages_until_it_heals() -> None:
    scheduler, network, received = make()
    network.add_partition([[A]], start_ns=0, heal_ns=2_000_000_000)
    network.send(A, B, "cut")
    network.send(B, C, "same side")
    scheduler.run_until(time_ns=1_999_000_000)
    assert [m for _, _, m, _ in received] == ["same side"]
    scheduler.run_until()
    assert [m for _, _, m, _ in received] == ["same side", "cut"]
    assert received[-1][3] >= 2_000_000_000


def test_messages_to_a_crashed_node_wait_for_its_restart() -> None:
    scheduler, network, received = make()
    network.set_down(B)
    network.send(A, B, "while down")
    scheduler.run_until(time_ns=1_000_000_000)
    assert received == []
    network.set_up(B)
    scheduler.run_until()
    assert [m for _, _, m, _ in received] == ["while down"]
