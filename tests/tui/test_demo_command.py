"""`icbox demo`'s own work around the story: the fresh network it brings up (one spare node per
step that needs one), the steps it runs, and the network brought down whatever happens.

The story's steps themselves run on a live network in tests/e2e/test_tui_live.py
(`test_the_demo_story_runs_while_the_dashboard_shows_each_decision`); here the network
operations and the story are recorded instead, so the command's choices are checked alone."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from replica.live.lifeline import OWNER_VARIABLE
from tui.cli import main
from tui.network.create import NetworkOptions


def demo_module() -> Any:
    return importlib.import_module("tui.demo")


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.fail = fail

    def story(self, directory: Path, **options: Any) -> Any:
        recorder = self

        class Story:
            def run(self, steps: tuple[str, ...]) -> list[Any]:
                recorder.calls.append(("story", directory, steps))
                if recorder.fail:
                    raise demo_module().DemoError("the proposal failed")
                return []

        return Story()


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    # the command marks the network as its own in the environment: restored after the test
    monkeypatch.delenv(OWNER_VARIABLE, raising=False)
    # the modules the command imports when it runs (`tui/cli/lazy.py` may have put lazy ones in
    # sys.modules, which their package does not hold as attributes)
    operations = importlib.import_module("tui.network.operations")
    monkeypatch.setattr(
        operations,
        "bring_up",
        lambda directory, options: recorder.calls.append(("up", directory, options)),
    )
    monkeypatch.setattr(
        operations,
        "bring_down",
        lambda directory: recorder.calls.append(("down", directory)),
    )
    monkeypatch.setattr(demo_module(), "Story", recorder.story)
    return recorder


def test_the_demo_brings_up_a_fresh_network_runs_every_step_and_brings_it_down(
    recorder: Recorder, tmp_path: Path
) -> None:
    result = CliRunner().invoke(main, ["--directory", str(tmp_path), "demo", "--plain"])
    assert result.exit_code == 0, result.output
    assert recorder.calls == [
        (
            "up",
            tmp_path,
            NetworkOptions(nns_nodes=1, application_subnets=(4,), unassigned_nodes=2),
        ),
        ("story", tmp_path, demo_module().STEPS),
        ("down", tmp_path),
    ]


def test_one_step_needs_one_spare_node_and_keep_leaves_the_network(
    recorder: Recorder, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        main,
        ["--directory", str(tmp_path), "demo", "--plain", "--step", "upgrade", "--keep"],
    )
    assert result.exit_code == 0, result.output
    assert recorder.calls == [
        (
            "up",
            tmp_path,
            NetworkOptions(nns_nodes=1, application_subnets=(4,), unassigned_nodes=0),
        ),
        ("story", tmp_path, ("upgrade",)),
    ]
    assert "keeps running" in result.output


def test_a_failed_step_is_an_error_and_the_network_still_comes_down(
    recorder: Recorder, tmp_path: Path
) -> None:
    recorder.fail = True
    result = CliRunner().invoke(main, ["--directory", str(tmp_path), "demo", "--plain"])
    assert result.exit_code == 1
    assert "the proposal failed" in result.output
    assert recorder.calls[-1] == ("down", tmp_path)
