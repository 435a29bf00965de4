"""Ingress submitted to any honest replica is executed exactly once and its reply certified."""

from __future__ import annotations

import pytest

from replica.sim.workload import CounterWorkload
from tests.replica.sim.scenarios import consensus_world


@pytest.mark.parametrize("faults", ["drop:10", "crash:1", "invalid-shares:1"])
def test_ingress_to_any_replica_is_executed_exactly_once_and_its_reply_certified(
    faults: str,
) -> None:
    with consensus_world(81, nodes=4, faults=faults, heights=20) as world:
        workload = CounterWorkload(world)
        world.run_until_height(2)
        for _ in range(4):
            workload.submit(3)  # every third message also goes to a second replica
            world.run_for(0.15)
        assert workload.duplicates == 4
        world.run_until(
            workload.is_done, timeout_s=30, what="every message replied and certified everywhere"
        )
        workload.check()
