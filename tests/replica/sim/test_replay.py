"""A run is a function of its seed: replayed in another process, with another hash seed,
it finalizes the same blocks at the same virtual times and computes the same states."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from replica.sim.__main__ import main

COMMAND = [
    "--seed",
    "77",
    "--nodes",
    "4",
    "--faults",
    "crash:1,drop:10",
    "--heights",
    "10",
    "--json",
]


def run_in_a_process(hash_seed: str) -> dict[str, object]:
    environment = {**os.environ, "PYTHONHASHSEED": hash_seed}
    result = subprocess.run(
        [sys.executable, "-m", "replica.sim", *COMMAND],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    summary: dict[str, object] = json.loads(result.stdout)
    summary.pop("cpu_s")
    return summary


def test_the_same_seed_replays_the_same_run_in_another_process() -> None:
    first, second = run_in_a_process("1"), run_in_a_process("2")
    assert first == second
    assert first["finalized_height"] == [10]


def test_the_command_line_reports_a_run(capsys: object) -> None:
    assert main(["--seed", "5", "--nodes", "4", "--heights", "6", "--ingress", "2", "--json"]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    summary = json.loads(out)
    assert summary["finalized_height"] == [6] and summary["ingress_checked"] == 2
