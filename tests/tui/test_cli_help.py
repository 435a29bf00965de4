"""The help text of every icbox command, against the snapshots in tests/tui/help/.

Regenerate after a deliberate change with `ICBOX_UPDATE_SNAPSHOTS=1 pytest
tests/tui/test_cli_help.py`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tui.cli import COMMANDS, main

SNAPSHOTS = Path(__file__).parent / "help"
REPOSITORY = Path(__file__).resolve().parents[2]


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, (*prefix, name)))
        elif command is not None:
            paths.append((*prefix, name))
    return paths


PATHS = command_paths(main)


def snapshot_name(path: tuple[str, ...]) -> str:
    return ("icbox " + " ".join(path)).strip().replace(" ", "_") + ".txt"


def test_every_group_of_the_issue_is_there() -> None:
    names = {" ".join(path) for path in PATHS}
    for expected in (
        "identity new",
        "ledger transfer",
        "neuron who-decides",
        "neuron hotkey add",
        "proposal make create-subnet",
        "proposal make update-subnet",
        "proposal watch",
        "topology",
    ):
        assert expected in names


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) or "icbox" for p in PATHS])
def test_help_text_matches_its_snapshot(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"], terminal_width=100, prog_name="icbox")
    assert result.exit_code == 0, result.output
    snapshot = SNAPSHOTS / snapshot_name(path)
    if os.environ.get("ICBOX_UPDATE_SNAPSHOTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        snapshot.write_text(result.output)
    assert result.output == snapshot.read_text()


def test_help_of_a_command_with_examples_shows_them() -> None:
    assert "Examples:" in (SNAPSHOTS / snapshot_name(("neuron",))).read_text()
    assert "Exit codes: 0 done, 1 bad usage" in (SNAPSHOTS / snapshot_name(())).read_text()


HEAVY = (
    "replica.agent",
    "replica.candid",
    "replica.crypto",
    "replica.execution",
    "cryptography",
    "nns",
    "registry",
    "tui.ops.session",
    "tui.network.",
    "rich",
    "httpx",
    "textual",
)


@pytest.mark.parametrize(
    "path",
    [
        pytest.param((), id="icbox"),
        *(pytest.param((name,), id=name) for name in COMMANDS),
        pytest.param(("proposal", "make"), id="proposal make"),
        pytest.param(("neuron", "stake"), id="neuron stake"),
    ],
)
def test_help_imports_neither_the_agent_nor_the_operations(path: tuple[str, ...]) -> None:
    # Commands import what they run on lazily (tui/cli/lazy.py), so help stays fast.
    probe = (
        f"import sys\nfrom tui.cli import main\ntry:\n    main([*{list(path)!r}, '--help'])\n"
        "except SystemExit:\n    pass\n"
        "loaded = [m for m, module in sys.modules.items() if type(module).__name__ != "
        "'_LazyModule']\n"
        f"print(sorted(m for m in loaded if m.startswith({HEAVY!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_a_lazily_imported_operation_still_runs_and_refuses_bad_input() -> None:
    result = CliRunner().invoke(main, ["ledger", "account-id", "--of", "nope"], prog_name="icbox")
    assert result.exit_code == 1 and "'nope' is not a principal" in result.output
    result = CliRunner().invoke(
        main, ["ledger", "account-id", "--of", "aaaaa-aa", "--json"], prog_name="icbox"
    )
    assert result.exit_code == 0 and '"account_id": "2d0e897f' in result.output


def test_an_unknown_option_is_bad_usage_with_exit_code_1() -> None:
    result = CliRunner().invoke(main, ["ledger", "balance", "--no-such-option"], prog_name="icbox")
    assert result.exit_code == 1 and "No such option" in result.output


def test_the_completion_script_names_the_icbox_command() -> None:
    result = CliRunner().invoke(main, ["completion", "bash"], prog_name="icbox")
    assert result.exit_code == 0 and "_ICBOX_COMPLETE" in result.output


@pytest.mark.parametrize(
    ("words", "cword", "expected"),
    [
        ("icbox prop", 1, "plain,proposal"),
        ("icbox neuron who", 2, "plain,who-decides"),
        ("icbox proposal make retire", 3, "plain,retire-version"),
    ],
)
def test_the_shell_completes_commands_in_a_new_process(
    words: str, cword: int, expected: str
) -> None:
    # What bash runs on <TAB> once `eval "$(icbox completion bash)"` is in ~/.bashrc.
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli"],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        env={
            **os.environ,
            "PYTHONPATH": str(REPOSITORY),
            "_ICBOX_COMPLETE": "bash_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(cword),
        },
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [expected]
