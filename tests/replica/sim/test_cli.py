"""The command line as a tool for reproducing failures: one clear line for a bad argument,
every fault kind in `--help`, a replay command that names every option, faults on any subnet,
and a sweep of seeds."""

from __future__ import annotations

import pytest

from replica.sim.__main__ import build_parser, main, parse_arguments, world_config
from replica.sim.faults import FAULT_KINDS, FaultPlan
from replica.sim.world import World, WorldConfig
from tests.replica.sim.doubles import ToyFactory


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--faults", "bogus:1"], "unknown fault 'bogus'"),
        (["--nodes", "0"], "at least one replica"),
        (["--nodes", "3"], "use 1 or at least 4"),
        (["--nodes", "four"], "whole numbers"),
        (["--heights", "-1"], "--heights cannot be negative"),
        (["--faults", "crash:2"], "exceed f = 1"),
        (["--faults", "partition:3-1"], "heal after it starts"),
        (["--faults", "drop:150"], "percentage"),
        (["--nodes", "4,4", "--fault-subnet", "2"], "there are 2 subnets"),
        (["--seeds", "0"], "--seeds must be at least 1"),
        (["--faults", "outside-committee:1"], "needs a member outside the committee"),
        (
            ["--nodes", "4,7", "--faults", "outside-committee:1", "--fault-subnet", "1"],
            "use 5 or 6",
        ),
    ],
)
def test_a_bad_argument_gets_one_clear_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_arguments(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert message in error[-1] and "Traceback" not in "\n".join(error)


def test_more_faults_than_f_run_when_asked_for() -> None:
    arguments = parse_arguments(["--faults", "crash:2", "--allow-unsafe"])
    assert arguments.plan.faulty_nodes == 2


def test_help_names_every_fault_kind_and_the_defaults() -> None:
    text = " ".join(build_parser().format_help().split()).replace("- ", "-")
    for kind in FAULT_KINDS:
        assert kind in text
    assert "(default: 4)" in text and "(default: 3)" in text


def test_the_replay_command_names_every_option_that_shaped_the_run() -> None:
    config = WorldConfig(
        seed=9,
        subnet_sizes=(4, 4),
        spare_nodes=1,
        fault_subnet=1,
        heights=7,
        fault_horizon_s=2.5,
        replay_options=("--timeout 30", "--ingress 2"),
    )
    with World(config, ToyFactory()) as world:
        command = world.replay_command()
    assert command.split() == [
        "python",
        "-m",
        "replica.sim",
        "--seed",
        "9",
        "--nodes",
        "4,4",
        "--faults",
        "none",
        "--heights",
        "7",
        "--preset",
        "test",
        "--fault-horizon",
        "2.5",
        "--fault-subnet",
        "1",
        "--spare-nodes",
        "1",
        "--timeout",
        "30",
        "--ingress",
        "2",
    ]
    assert parse_arguments(command.split()[3:]).fault_subnet == 1


def test_the_replay_command_of_a_run_from_the_command_line_repeats_that_run() -> None:
    """Every option that shapes a run, each away from its default (numbers that `%g` would round
    among them), survives the trip through the printed replay command."""
    argv = [
        "--seed",
        "77",
        "--nodes",
        "4,5",
        "--faults",
        "crash:2,partition:0.125-1.0000001,drop:7",
        "--fault-subnet",
        "1",
        "--allow-unsafe",
        "--heights",
        "9",
        "--preset",
        "local",
        "--spare-nodes",
        "2",
        "--fault-horizon",
        "2.123456789",
        "--timeout",
        "45.0000001",
        "--ingress",
        "5",
    ]
    original = parse_arguments(argv)
    config = world_config(original)
    with World(config, ToyFactory()) as world:
        command = world.replay_command()
    replayed = parse_arguments(command.split()[3:])
    assert world_config(replayed) == config
    for name in ("timeout", "ingress", "allow_unsafe"):
        assert getattr(replayed, name) == getattr(original, name)


def test_faults_strike_the_subnet_named() -> None:
    config = WorldConfig(
        seed=4, subnet_sizes=(4, 4), fault_subnet=1, faults=FaultPlan.parse("stop-signing:1")
    )
    with World(config, ToyFactory()) as world:
        byzantine = [node for node in world.nodes.values() if not node.honest]
        assert len(byzantine) == 1 and byzantine[0].spec.subnet_id == world.subnets[1].subnet_id


def test_a_sweep_of_seeds_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--seeds", "2", "--seed", "40", "--heights", "6", "--jobs", "1"]) == 0
    assert "2 of 2 seeds passed" in capsys.readouterr().out
