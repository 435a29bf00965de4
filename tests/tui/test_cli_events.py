"""`icbox events`: the orchestrators' event files of a local network, merged in time order."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from replica.orchestrator.events import EventLog, OrchestratorEvent
from tui.cli import main


def event(time_ns: int, node: str, what: str) -> OrchestratorEvent:
    return OrchestratorEvent(
        time_ns=time_ns,
        node=node,
        subnet=None,
        registry_version=3,
        height=-1,
        what=what,
        why="the registry says so",
    )


def network_with_events(directory: Path) -> None:
    root = directory / ".icbox"
    root.mkdir()
    (root / "network.json").write_text("{}")
    for index, (node, whats) in enumerate(
        (("aaaaa-node", ["start", "join"]), ("bbbbb-node", ["start"]))
    ):
        node_dir = root / "nodes" / f"node-{index}"
        node_dir.mkdir(parents=True)
        (node_dir / "node.json").write_text("{}")
        log = EventLog(node_dir)
        for offset, what in enumerate(whats):
            log.append(event(10 * offset + index, node, what))


def test_events_are_merged_in_time_order_and_json_is_one_document(tmp_path: Path) -> None:
    network_with_events(tmp_path)
    result = CliRunner().invoke(main, ["-C", str(tmp_path), "events", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert [(e["node"], e["what"]) for e in document] == [
        ("aaaaa-node", "start"),
        ("bbbbb-node", "start"),
        ("aaaaa-node", "join"),
    ]
    result = CliRunner().invoke(main, ["-C", str(tmp_path), "events", "--node", "bbbbb"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == 1 and "node bbbbb subnet - v3  start: the registry says so" in lines[0]


def test_events_without_a_network_is_bad_usage(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["-C", str(tmp_path), "events", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stderr)["error"]["message"].startswith("no local network in")
