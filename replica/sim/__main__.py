"""Run (or replay) one simulation: `python -m replica.sim --seed 1234 --nodes 4 --faults crash:1 --heights 60`.

Builds the world from its seed (with the counter canister on every subnet),
submits a few ingress messages, runs until every honest replica has finalized
the given height and every message is answered and certified, checks the
safety properties all along and ingress exactly-once at the end, and prints
what happened. A failed property prints its message and the command that
replays the run, and exits with status 1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time

from replica.presets import get_preset
from replica.sim.canister import COUNTER_FACTORIES, install_counter
from replica.sim.checks import PropertyViolation
from replica.sim.consensus import ConsensusReplicas
from replica.sim.faults import FaultPlan
from replica.sim.workload import CounterWorkload
from replica.sim.world import SECOND_NS, World, WorldConfig


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m replica.sim", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--nodes", default="4", help="subnet sizes, comma separated (the first is the NNS subnet)"
    )
    parser.add_argument(
        "--faults",
        default="none",
        help="e.g. crash:1,equivocate:1,partition:1-3,drop:10; `mixed`: the seed sweep's plan for this seed",
    )
    parser.add_argument(
        "--heights",
        type=int,
        default=20,
        help="run until every honest replica finalized this height",
    )
    parser.add_argument("--preset", default="test")
    parser.add_argument(
        "--fault-horizon", type=float, default=None, help="seconds within which faults strike"
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="virtual seconds before liveness fails"
    )
    parser.add_argument(
        "--ingress",
        type=int,
        default=3,
        help="add(1) messages to the counter canister, checked exactly-once",
    )
    parser.add_argument("--json", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    sizes = tuple(int(size) for size in arguments.nodes.split(","))
    preset = get_preset(arguments.preset)
    horizon = arguments.fault_horizon
    if horizon is None:
        horizon = default_fault_horizon_s(arguments.heights, preset.initial_notary_delay_ms)
    config = WorldConfig(
        seed=arguments.seed,
        subnet_sizes=sizes,
        faults=(
            FaultPlan.mixed_for_seed(arguments.seed, sizes[0])
            if arguments.faults == "mixed"
            else FaultPlan.parse(arguments.faults)
        ),
        preset=preset,
        fault_horizon_s=horizon,
        heights=arguments.heights,
    )
    began = time.process_time()
    try:
        world = World(
            config,
            ConsensusReplicas(),
            factories=COUNTER_FACTORIES,
            install_genesis=install_counter,
        )
        with world:
            workloads = [CounterWorkload(world, subnet=subnet) for subnet in range(len(sizes))]
            for subnet, workload in enumerate(workloads):
                world.run_until_height(1, subnet=subnet, timeout_s=arguments.timeout)
                workload.submit(arguments.ingress)
            for subnet, workload in enumerate(workloads):
                world.run_until_height(
                    arguments.heights, subnet=subnet, timeout_s=arguments.timeout
                )
                world.run_until(
                    workload.is_done,
                    timeout_s=arguments.timeout,
                    what="ingress replied and certified",
                )
                workload.check()
            summary = {
                "seed": arguments.seed,
                "finalized_height": [
                    subnet.checker.top_finalized_height for subnet in world.subnets
                ],
                "virtual_s": round(world.now_ns / SECOND_NS, 3),
                "events": world.scheduler.events_run,
                "messages": world.network.stats.delivered,
                "certifications_checked": sum(
                    s.checker.certifications_checked for s in world.subnets
                ),
                "ingress_checked": sum(len(workload.messages) for workload in workloads),
                "digest": hashlib.sha256(
                    b"".join(s.checker.digest() for s in world.subnets)
                ).hexdigest()[:32],
                "cpu_s": round(time.process_time() - began, 3),
            }
    except PropertyViolation as violation:
        print(f"FAILED: {violation}", file=sys.stderr)
        return 1
    if arguments.json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            print(f"{key:<24} {value}")
    return 0


def default_fault_horizon_s(heights: int, initial_notary_delay_ms: int) -> float:
    """Faults strike within the time the run should take (a few notary delays per height)."""
    return max(1.0, heights * 3 * initial_notary_delay_ms / 1_000)


if __name__ == "__main__":
    sys.exit(main())
