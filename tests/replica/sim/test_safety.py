"""Safety over many seeds: each seed draws its own mix of faults (at most f faulty replicas).

Most seeds run four replicas, every eighth seven (f = 2), for 12 heights: two DKG
intervals of the test preset, so key changes and CUPs are crossed. Every planned
fault must have struck (a crash and its restart, lost messages, a partition that
started and healed, a Byzantine replica that sent something the honest code would
not), or the run goes on until it has. Checked all along: never two different
finalized blocks at one height, never a finalized block reverted, the same state hash
on every honest replica at every height it computed (again after a restart), every
certification valid under the subnet key, and the audit of validity, beacons, CUPs,
key continuity and certification progress (`replica.sim.audit`); at the end, the
seed's ingress executed exactly once with certified replies, and finality within the
rate bound. `pytest tests/replica/sim --seeds 5000` runs more seeds; a failure prints
the command that replays its seed.
"""

from __future__ import annotations

from replica.sim.faults import FaultPlan
from replica.sim.workload import CounterWorkload
from tests.replica.sim.scenarios import consensus_world

HEIGHTS = 12
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
        world.check_rate()
        world.run_until(
            lambda: not world.unstruck_faults(), timeout_s=60, what="every planned fault struck"
        )
        world.run_until(
            workload.is_done, timeout_s=30, what="the seed's ingress replied and certified"
        )
        workload.check()
        checker = world.subnets[0].checker
        assert checker.certifications_checked > 0, world.replay_command()
        auditor = checker.auditor
        assert auditor is not None and auditor.heights_audited >= HEIGHTS, world.replay_command()  # type: ignore[attr-defined]
