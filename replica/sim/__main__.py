"""Run (or replay) one simulation: `python -m replica.sim --seed 1234 --nodes 4 --faults crash:1
--heights 60`.

Builds the world from its seed (with the counter canister on every subnet),
submits a few ingress messages, runs until every honest replica has finalized
the given height, every planned fault struck and every message is answered and
certified, checks the safety properties and the audit all along and ingress
exactly-once and the rate bound at the end, and prints what happened. A failed
property prints its message and the command that replays the run, and exits
with status 1. `--seeds N` instead runs N seeds of the default sweep (the mixed
fault plan of each seed) across the CPUs and prints the failures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from typing import Any

from replica.presets import PRESETS, get_preset
from replica.sim.canister import COUNTER_FACTORIES, install_counter
from replica.sim.checks import PropertyViolation
from replica.sim.consensus import ConsensusReplicas
from replica.sim.faults import FAULT_KINDS, FaultPlan, exact
from replica.sim.sweep import SWEEP_HEIGHTS, default_fault_horizon_s, run_seeds
from replica.sim.workload import CounterWorkload
from replica.sim.world import SECOND_NS, World, WorldConfig

DEFAULT_HEIGHTS = 20
FAULTS_HELP = (
    "comma separated KIND:COUNT (partition:START-HEAL seconds, drop:PERCENT); Byzantine kinds join "
    "with + "
    "to give one replica several (equivocate+double-notarize:1); `mixed`: the sweep's plan for "
    "this seed. "
    f"Kinds: {', '.join(FAULT_KINDS)} (outside-committee needs a subnet of more than 3f + 1 "
    "replicas, e.g. 5 or 6)"
)


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Names each option's default, where it has one worth naming."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m replica.sim",
        description=__doc__.splitlines()[0],
        formatter_class=_HelpFormatter,
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="the seed (of the first run with --seeds)"
    )
    parser.add_argument(
        "--nodes", default="4", help="subnet sizes, comma separated (the first is the NNS subnet)"
    )
    parser.add_argument("--faults", default="none", help=FAULTS_HELP)
    parser.add_argument(
        "--fault-subnet",
        type=int,
        default=0,
        help="the subnet (index in --nodes) the faults strike",
    )
    parser.add_argument(
        "--allow-unsafe", action="store_true", help="allow more faulty replicas than f"
    )
    parser.add_argument(
        "--heights",
        type=int,
        default=None,
        help=(
            "run until every honest replica finalized this height "
            f"(default: {DEFAULT_HEIGHTS}; {SWEEP_HEIGHTS} with --seeds)"
        ),
    )
    parser.add_argument(
        "--preset", default="test", choices=sorted(PRESETS), help="delays and DKG interval"
    )
    parser.add_argument(
        "--spare-nodes", type=int, default=0, help="unassigned nodes in the registry"
    )
    parser.add_argument(
        "--fault-horizon",
        type=float,
        default=None,
        help="seconds within which crashes strike (default: from --heights)",
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
    parser.add_argument(
        "--seeds", type=int, default=None, help="run this many seeds of the default sweep instead"
    )
    parser.add_argument(
        "--jobs", type=int, default=None, help="processes for --seeds (default: one per CPU)"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    return parser


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        validate(arguments)
    except ValueError as error:
        parser.error(str(error))
    return arguments


def validate(arguments: argparse.Namespace) -> None:
    """Refuse arguments that would make a meaningless run (raises ValueError with one line)."""
    try:
        sizes = tuple(int(size) for size in arguments.nodes.split(","))
    except ValueError:
        raise ValueError(
            f"--nodes takes whole numbers, comma separated (got {arguments.nodes!r})"
        ) from None
    for size in sizes:
        if size < 1:
            raise ValueError(f"a subnet needs at least one replica (got --nodes {arguments.nodes})")
        if size in (2, 3):
            raise ValueError(
                f"a subnet of {size} replicas tolerates no fault and needs all of them: use 1 or "
                "at least 4"
            )
    arguments.sizes = sizes
    if arguments.heights is None:
        arguments.heights = SWEEP_HEIGHTS if arguments.seeds is not None else DEFAULT_HEIGHTS
    for name in ("heights", "ingress", "spare_nodes"):
        if getattr(arguments, name) < 0:
            raise ValueError(f"--{name.replace('_', '-')} cannot be negative")
    if arguments.heights < 1:
        raise ValueError("--heights must be at least 1")
    if arguments.timeout <= 0 or (
        arguments.fault_horizon is not None and arguments.fault_horizon <= 0
    ):
        raise ValueError("--timeout and --fault-horizon must be positive")
    if arguments.seeds is not None and arguments.seeds < 1:
        raise ValueError("--seeds must be at least 1")
    if not 0 <= arguments.fault_subnet < len(sizes):
        raise ValueError(f"--fault-subnet {arguments.fault_subnet}: there are {len(sizes)} subnets")
    target = sizes[arguments.fault_subnet]
    if arguments.faults == "mixed":
        arguments.plan = FaultPlan.mixed_for_seed(arguments.seed, target)
    else:
        arguments.plan = FaultPlan.parse(arguments.faults)
    arguments.plan.check_subnet(target)
    f = (target - 1) // 3
    if arguments.plan.faulty_nodes > f and not arguments.allow_unsafe:
        raise ValueError(
            f"{arguments.plan.faulty_nodes} faulty replicas in a subnet of {target} exceed f = {f} "
            "(pass --allow-unsafe to run it anyway)"
        )
    if arguments.plan.faulty_nodes > target:
        raise ValueError(
            f"{arguments.plan.faulty_nodes} faulty replicas in a subnet of only {target}"
        )


def replay_options(arguments: argparse.Namespace) -> tuple[str, ...]:
    """The options beyond `WorldConfig` that shaped the run, as the replay command repeats them."""
    options = [f"--timeout {exact(arguments.timeout)}", f"--ingress {arguments.ingress}"]
    if arguments.allow_unsafe:
        options.append("--allow-unsafe")
    return tuple(options)


def world_config(arguments: argparse.Namespace) -> WorldConfig:
    """The world the arguments describe (its replay command repeats every option that shaped it)."""
    preset = get_preset(arguments.preset)
    horizon = arguments.fault_horizon
    if horizon is None:
        horizon = default_fault_horizon_s(arguments.heights, preset.initial_notary_delay_ms)
    return WorldConfig(
        seed=arguments.seed,
        subnet_sizes=arguments.sizes,
        spare_nodes=arguments.spare_nodes,
        faults=arguments.plan,
        preset=preset,
        fault_horizon_s=horizon,
        heights=arguments.heights,
        fault_subnet=arguments.fault_subnet,
        replay_options=replay_options(arguments),
    )


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    sizes = arguments.sizes
    config = world_config(arguments)
    began = time.process_time()
    world = World(
        config, ConsensusReplicas(), factories=COUNTER_FACTORIES, install_genesis=install_counter
    )
    with world:
        workloads = [CounterWorkload(world, subnet=subnet) for subnet in range(len(sizes))]
        for subnet, workload in enumerate(workloads):
            world.run_until_height(1, subnet=subnet, timeout_s=arguments.timeout)
            workload.submit(arguments.ingress)
        for subnet in range(len(sizes)):
            world.run_until_height(arguments.heights, subnet=subnet, timeout_s=arguments.timeout)
            if not arguments.allow_unsafe:
                world.check_rate(subnet)
        world.run_until(
            lambda: not world.unstruck_faults(),
            timeout_s=arguments.timeout,
            what="every planned fault struck",
        )
        for workload in workloads:
            world.run_until(
                workload.is_done, timeout_s=arguments.timeout, what="ingress replied and certified"
            )
            workload.check()
        return {
            "seed": arguments.seed,
            "faults": arguments.plan.to_text(),
            "finalized_height": [subnet.checker.top_finalized_height for subnet in world.subnets],
            "virtual_s": round(world.now_ns / SECOND_NS, 3),
            "events": world.scheduler.events_run,
            "messages": world.network.stats.delivered,
            "certifications_checked": sum(s.checker.certifications_checked for s in world.subnets),
            "heights_audited": sum(
                getattr(s.checker.auditor, "heights_audited", 0) for s in world.subnets
            ),
            "ingress_checked": sum(len(workload.messages) for workload in workloads),
            "digest": hashlib.sha256(
                b"".join(s.checker.digest() for s in world.subnets)
            ).hexdigest()[:32],
            "cpu_s": round(time.process_time() - began, 3),
        }


def sweep(arguments: argparse.Namespace) -> int:
    seeds = range(arguments.seed, arguments.seed + arguments.seeds)
    failures = 0
    for result in run_seeds(seeds, jobs=arguments.jobs, heights=arguments.heights):
        if result.failure is not None:
            failures += 1
            print(f"seed {result.seed} ({result.plan}) FAILED: {result.failure}", file=sys.stderr)
    print(f"{len(seeds) - failures} of {len(seeds)} seeds passed")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if arguments.seeds is not None:
        return sweep(arguments)
    try:
        summary = run(arguments)
    except PropertyViolation as violation:
        print(f"FAILED: {violation}", file=sys.stderr)
        return 1
    if arguments.json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            print(f"{key:<24} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
