"""Safety over many seeds: each seed draws its own mix of faults (at most f faulty replicas).

Most seeds run four replicas, every eighth seven (f = 2). Never two different
finalized blocks at one height, the same state hash on every honest replica at
every height it reached, every certification valid under the subnet key, and
the seed's ingress executed exactly once with certified replies. `pytest
tests/replica/sim --seeds 5000` runs more seeds; a failure prints the command
that replays its seed.
"""

from __future__ import annotations

from replica.sim.faults import FaultPlan
from replica.sim.workload import CounterWorkload
from tests.replica.sim.scenarios import consensus_world

HEIGHTS = 6
MESSAGES = 3


def test_safety_holds_for_every_seed(sweep_seed: int) -> None:
    nodes = 7 if sweep_seed % 8 == 7 else 4
    plan = FaultPlan.mixed_for_seed(sweep_seed, nodes)
    with consensus_world(sweep_seed, nodes=nodes, faults=plan.to_text(), heights=HEIGHTS) as world:
        workload = CounterWorkload(world)
        world.run_until_height(1, timeout_s=60)
        workload.submit(MESSAGES)
        # Every honest replica that is up, a restarted one included, reaches the height.
        world.run_until_height(HEIGHTS, timeout_s=60)
        world.run_until(workload.is_done, timeout_s=30, what="the seed's ingress replied and certified")
        workload.check()
        assert world.subnets[0].checker.certifications_checked > 0, world.replay_command()
