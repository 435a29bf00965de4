"""The seed sweep: one run of the default plan per seed, with every check on.

`run_seed` is what the test suite's sweep (`tests/replica/sim/test_safety.py`),
`python -m replica.sim --seeds N` and the consensus benchmark run for one seed:
a subnet of four replicas (seven for every eighth seed; five or six, with a
Byzantine member outside the committee, for every sixteenth) under the seed's
mixed fault plan (`FaultPlan.mixed_for_seed`), three counter messages, run until
every honest replica finalized `heights` (12: two DKG intervals of the test preset) and
every planned fault struck; then the rate bound, ingress exactly-once with
certified replies, and that the checks saw certifications and audited every
height. `run_seeds` spreads seeds over processes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Final

from replica.presets import TEST
from replica.sim.audit import ConsensusAuditor
from replica.sim.canister import COUNTER_FACTORIES, install_counter
from replica.sim.checks import PropertyViolation
from replica.sim.consensus import ConsensusReplicas
from replica.sim.faults import FaultPlan
from replica.sim.workload import CounterWorkload
from replica.sim.world import World, WorldConfig

SWEEP_HEIGHTS: Final = 12
SWEEP_MESSAGES: Final = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedResult:
    seed: int
    plan: str
    failure: str | None
    """The violation with its replay command, or None."""
    heights_audited: int = 0


def sweep_nodes(seed: int) -> int:
    """Four replicas; seven (f = 2) for every eighth seed; five or six, so that a member is outside
    the committee at each height, for every sixteenth (seeds 13, 29, 45, ...)."""
    if seed % 16 == 13:
        return 5 if seed // 16 % 2 == 0 else 6
    return 7 if seed % 8 == 7 else 4


def default_fault_horizon_s(heights: int, initial_notary_delay_ms: int) -> float:
    """Faults strike within the time the run should take (a few notary delays per height)."""
    return max(1.0, heights * 3 * initial_notary_delay_ms / 1_000)


def sweep_world(seed: int, heights: int = SWEEP_HEIGHTS) -> World:
    nodes = sweep_nodes(seed)
    config = WorldConfig(
        seed=seed,
        subnet_sizes=(nodes,),
        faults=FaultPlan.mixed_for_seed(seed, nodes),
        preset=TEST,
        fault_horizon_s=default_fault_horizon_s(heights, TEST.initial_notary_delay_ms),
        heights=heights,
    )
    return World(
        config, ConsensusReplicas(), factories=COUNTER_FACTORIES, install_genesis=install_counter
    )


def check_seed(seed: int, heights: int = SWEEP_HEIGHTS) -> int:
    """Run one seed of the sweep; the heights audited (raises PropertyViolation)."""
    with sweep_world(seed, heights) as world:
        workload = CounterWorkload(world)
        world.run_until_height(1, timeout_s=60)
        workload.submit(SWEEP_MESSAGES)
        # Every honest replica that is up, a restarted one included, reaches the height.
        world.run_until_height(heights, timeout_s=60)
        world.check_rate()
        world.run_until(
            lambda: not world.unstruck_faults(), timeout_s=60, what="every planned fault struck"
        )
        world.run_until(
            workload.is_done, timeout_s=30, what="the seed's ingress replied and certified"
        )
        workload.check()
        checker = world.subnets[0].checker
        auditor = checker.auditor
        if checker.certifications_checked == 0:
            raise world.violation("no certification was checked")
        if not isinstance(auditor, ConsensusAuditor) or auditor.heights_audited < heights:
            raise world.violation("the audit did not see every height")
        return auditor.heights_audited


def run_seed(seed: int, heights: int = SWEEP_HEIGHTS) -> SeedResult:
    plan = FaultPlan.mixed_for_seed(seed, sweep_nodes(seed)).to_text()
    try:
        audited = check_seed(seed, heights)
    except PropertyViolation as violation:
        return SeedResult(seed=seed, plan=plan, failure=str(violation))
    return SeedResult(seed=seed, plan=plan, failure=None, heights_audited=audited)


def run_seeds(
    seeds: Iterable[int], *, jobs: int | None = None, heights: int = SWEEP_HEIGHTS
) -> Iterator[SeedResult]:
    """Each seed's result, in seed order, from `jobs` processes (default: one per CPU)."""
    seeds = list(seeds)
    workers = max(1, min(jobs or os.cpu_count() or 1, len(seeds) or 1))
    if workers == 1:
        yield from (run_seed(seed, heights) for seed in seeds)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(run_seed, seeds, [heights] * len(seeds))
