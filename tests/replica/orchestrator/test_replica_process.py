"""The warm start of `ReplicaProcess`: an unassigned node keeps a standby process of the command
it would run, and starting that command hands the node to it (`--standby`, then `start`)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from replica.live.layout import NodeSettings, read_settings, write_settings
from replica.orchestrator.replica_process import LaunchCommand, ReplicaProcess, ReplicaTarget

# Stands in for `python -m replica.live`: a standby waits for its line, then both write how they
# started (and the settings' subnet they found) and wait to be stopped.
SCRIPT = """
import json, sys, time
from pathlib import Path
directory = Path(sys.argv[1])
how = "cold"
if "--standby" in sys.argv:
    if {refuse}:
        sys.exit(2)
    if sys.stdin.readline().strip() != "start":
        sys.exit(0)
    how = "warm"
subnet = json.loads((directory / "node.json").read_text()).get("subnet_id")
(directory / "started").write_text(how + " " + str(subnet))
time.sleep(60)
"""


class ScriptLauncher:
    def __init__(self, *, refuse: bool) -> None:
        self.script = SCRIPT.format(refuse=refuse)
        self.commands = 0

    def command(self, directory: Path, target: ReplicaTarget) -> LaunchCommand:
        self.commands += 1
        argv = (sys.executable, "-c", self.script, str(directory))
        return LaunchCommand(argv=argv, cwd=directory)


def started(directory: Path) -> str:
    marker = directory / "started"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text():
            return marker.read_text()
        time.sleep(0.05)
    raise TimeoutError("the replica did not start")


def make_node(tmp_path: Path) -> Path:
    write_settings(
        tmp_path,
        NodeSettings(
            node_id="aaaaa-aa",
            node_index=0,
            subnet_id=None,
            p2p_host="127.0.0.1",
            p2p_port=1,
            http_host="127.0.0.1",
            http_port=2,
            log_file=str(tmp_path / "log"),
        ),
    )
    return tmp_path


def test_a_standby_process_becomes_the_replica_once_the_node_joins_a_subnet(
    tmp_path: Path,
) -> None:
    directory = make_node(tmp_path)
    process = ReplicaProcess(
        directory, log_file=tmp_path / "log", launcher=ScriptLauncher(refuse=False)
    )
    try:
        assert process.prepare(ReplicaTarget(subnet_id="", replica_version="1")), "a standby"
        assert not process.prepare(ReplicaTarget(subnet_id="", replica_version="1")), "kept"
        standby = process.standby
        assert standby is not None and standby.poll() is None
        assert not (directory / "started").exists(), "it waits for its start"
        target = ReplicaTarget(subnet_id="subnet-a", replica_version="1")
        assert process.ensure_replica(target) == "started"
        assert process.pid == standby.pid and process.standby is None
        assert started(directory) == "warm subnet-a", "it read the settings written for it"
        assert read_settings(directory).subnet_id == "subnet-a"
        assert not process.prepare(ReplicaTarget(subnet_id="", replica_version="1")), (
            "no standby while a replica runs"
        )
    finally:
        process.stop()
        process.drop_standby()


def test_a_standby_that_ends_by_itself_is_not_made_again_and_the_replica_starts_cold(
    tmp_path: Path,
) -> None:
    directory = make_node(tmp_path)
    process = ReplicaProcess(
        directory, log_file=tmp_path / "log", launcher=ScriptLauncher(refuse=True)
    )
    try:
        assert process.prepare(ReplicaTarget(subnet_id="", replica_version="1"))
        standby = process.standby
        assert standby is not None
        standby.wait(30)
        assert not process.prepare(ReplicaTarget(subnet_id="", replica_version="1"))
        assert process.standby is None, "not made again for that command"
        process.ensure_replica(ReplicaTarget(subnet_id="subnet-b", replica_version="1"))
        assert started(directory) == "cold subnet-b"
    finally:
        process.stop()
        process.drop_standby()


def test_stopping_the_orchestrator_ends_the_standby(tmp_path: Path) -> None:
    directory = make_node(tmp_path)
    process = ReplicaProcess(
        directory, log_file=tmp_path / "log", launcher=ScriptLauncher(refuse=False)
    )
    process.prepare(ReplicaTarget(subnet_id="", replica_version="1"))
    standby = process.standby
    assert standby is not None
    process.drop_standby()
    assert standby.poll() is not None and process.standby is None


def test_the_replica_waits_in_standby_and_ends_without_a_start(tmp_path: Path) -> None:
    """`python -m replica.live --standby` loads its code, reads nothing of the node directory
    and ends when its stdin ends without `start` (an orchestrator that went away)."""
    result = subprocess.run(
        [sys.executable, "-m", "replica.live", "--node-dir", str(tmp_path / "none"), "--standby"],
        input=b"",
        capture_output=True,
        timeout=120,
        cwd=str(Path(__file__).resolve().parents[3]),
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert not (tmp_path / "none").exists()
