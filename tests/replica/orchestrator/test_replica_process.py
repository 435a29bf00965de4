"""The replica process door: a standby started ahead of a switch is the one the switch runs, and
the standby an unassigned node keeps becomes its replica once the node joins a subnet."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from replica.live.layout import REPLICA_PID_FILE, NodeSettings, read_settings, write_settings
from replica.orchestrator.replica_process import (
    LaunchCommand,
    ReplicaProcess,
    ReplicaTarget,
)

# A stand-in replica: in standby it says so and waits for `go` on its input; running, it writes
# its version and pid and sleeps until stopped. `die` versions exit at once (a broken release).
FAKE_REPLICA = """
import os, sys, time
from pathlib import Path
directory, version = Path(sys.argv[1]), sys.argv[2]
if version == "die":
    sys.exit(3)
if "--standby" in sys.argv:
    (directory / f"standby-{os.getpid()}").write_text(version)
    if sys.stdin.readline().strip() != "go":
        sys.exit(0)
(directory / f"running-{os.getpid()}").write_text(version)
time.sleep(60)
"""


class FakeLauncher:
    def __init__(self, script: Path) -> None:
        self.script = script

    def command(self, directory: Path, target: ReplicaTarget) -> LaunchCommand:
        return LaunchCommand(
            argv=(sys.executable, str(self.script), str(directory), str(target.replica_version)),
            cwd=directory,
        )


def wait_until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def make_process(tmp_path: Path) -> ReplicaProcess:
    script = tmp_path / "fake_replica.py"
    script.write_text(FAKE_REPLICA)
    node = tmp_path / "node"
    node.mkdir()
    write_settings(
        node,
        NodeSettings(
            node_id="n",
            node_index=0,
            subnet_id="s",
            p2p_host="127.0.0.1",
            p2p_port=1,
            http_host="127.0.0.1",
            http_port=2,
            log_file=str(tmp_path / "replica.log"),
            replica_version="0.1.0",
        ),
    )
    return ReplicaProcess(node, log_file=tmp_path / "replica.log", launcher=FakeLauncher(script))


def marks(process: ReplicaProcess, kind: str) -> dict[int, str]:
    return {
        int(path.name.split("-")[1]): path.read_text()
        for path in process.directory.glob(f"{kind}-*")
    }


def test_the_switch_runs_the_standby_started_ahead_of_it(tmp_path: Path) -> None:
    process = make_process(tmp_path)
    old = ReplicaTarget(subnet_id="s", replica_version="0.1.0")
    new = ReplicaTarget(subnet_id="s", replica_version="0.2.0")
    try:
        assert process.ensure_replica(old) == "started"
        wait_until(lambda: "0.1.0" in marks(process, "running").values())
        assert process.prepare(new)
        assert not process.prepare(new), "one standby per command"
        wait_until(lambda: "0.2.0" in marks(process, "standby").values())
        standby_pid = next(pid for pid, v in marks(process, "standby").items() if v == "0.2.0")
        assert "0.2.0" not in marks(process, "running").values(), "a standby waits for go"
        assert process.ensure_replica(new) == "switched"
        assert process.pid == standby_pid
        wait_until(lambda: marks(process, "running").get(standby_pid) == "0.2.0")
        assert (process.directory / "node.json").read_text().count("0.2.0") == 1
    finally:
        process.stop_all()
    assert process.pid is None


def test_a_standby_of_another_command_is_not_run_and_ends_when_dropped(tmp_path: Path) -> None:
    process = make_process(tmp_path)
    try:
        process.ensure_replica(ReplicaTarget(subnet_id="s", replica_version="0.1.0"))
        process.prepare(ReplicaTarget(subnet_id="s", replica_version="0.2.0"))
        wait_until(lambda: "0.2.0" in marks(process, "standby").values())
        process.ensure_replica(ReplicaTarget(subnet_id="s", replica_version="0.3.0"))
        wait_until(lambda: "0.3.0" in marks(process, "running").values())
        assert "0.3.0" not in marks(process, "standby").values()
        standby = process.standby
        process.forget_standby()
        assert standby is not None and standby.poll() is not None, "it is ended"
        assert process.standby is None and process.standby_command is None
        assert "0.2.0" not in marks(process, "running").values()
    finally:
        process.stop_all()


def test_a_standby_that_died_is_not_started_again_and_the_switch_starts_afresh(
    tmp_path: Path,
) -> None:
    process = make_process(tmp_path)
    broken = ReplicaTarget(subnet_id="s", replica_version="die")
    try:
        process.ensure_replica(ReplicaTarget(subnet_id="s", replica_version="0.1.0"))
        assert process.prepare(broken)
        standby = process.standby
        assert standby is not None
        standby.wait(30)
        assert not process.prepare(broken), "a release that died loading is not retried"
        process.ensure_replica(broken)
        child = process.child
        assert child is not None and child is not standby
        assert child.wait(30) == 3
        assert process.poll() is not None, "its death is seen and its restart backed off"
    finally:
        process.stop_all()


def test_a_replica_in_standby_exits_at_the_end_of_its_input_without_touching_the_node(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "replica.live", "--node-dir", str(tmp_path), "--standby"],
        input=b"",
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert b"standby: code loaded" in result.stderr
    assert not (tmp_path / REPLICA_PID_FILE).exists()
    assert list(tmp_path.iterdir()) == []


def make_unassigned_node(tmp_path: Path) -> ReplicaProcess:
    process = make_process(tmp_path)
    write_settings(process.directory, replace(read_settings(process.directory), subnet_id=None))
    return process


def test_an_unassigned_nodes_standby_becomes_its_replica_once_it_joins_a_subnet(
    tmp_path: Path,
) -> None:
    process = make_unassigned_node(tmp_path)
    waiting = ReplicaTarget(subnet_id="", replica_version="0.1.0")
    try:
        assert process.prepare(waiting), "a standby"
        assert not process.prepare(waiting), "kept"
        standby = process.standby
        assert standby is not None and standby.poll() is None
        wait_until(lambda: "0.1.0" in marks(process, "standby").values())
        assert not marks(process, "running"), "it waits for go"
        assert process.ensure_replica(ReplicaTarget(subnet_id="a", replica_version="0.1.0")) == (
            "started"
        )
        assert process.pid == standby.pid and process.standby is None
        wait_until(lambda: marks(process, "running").get(standby.pid) == "0.1.0")
        assert read_settings(process.directory).subnet_id == "a", "the settings written for it"
    finally:
        process.stop_all()
    assert process.pid is None


def test_an_unassigned_nodes_standby_that_ended_by_itself_is_not_made_again(
    tmp_path: Path,
) -> None:
    process = make_unassigned_node(tmp_path)
    broken = ReplicaTarget(subnet_id="", replica_version="die")
    try:
        assert process.prepare(broken)
        standby = process.standby
        assert standby is not None
        assert standby.wait(30) == 3
        assert not process.prepare(broken), "not made again for that command"
        process.ensure_replica(ReplicaTarget(subnet_id="b", replica_version="die"))
        child = process.child
        assert child is not None and child is not standby, "started the ordinary way"
    finally:
        process.stop_all()


def test_stopping_everything_ends_the_standby_and_a_later_prepare_makes_a_new_one(
    tmp_path: Path,
) -> None:
    process = make_unassigned_node(tmp_path)
    waiting = ReplicaTarget(subnet_id="", replica_version="0.1.0")
    process.prepare(waiting)
    standby = process.standby
    assert standby is not None
    try:
        process.stop_all()
        assert standby.poll() is not None and process.standby is None
        assert process.prepare(waiting), "a node unassigned again keeps a new standby"
    finally:
        process.stop_all()
