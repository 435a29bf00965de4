"""Processes die with their owner: `kill -9` of the parent leaves no child behind.

Real processes: a stand-in parent starts a child the way the supervisor starts
a replica (or the e2e tests start supervisors), the parent is killed with
SIGKILL, and the child must be gone shortly after.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from replica.live.layout import SUPERVISOR_PID_FILE, NodeSettings, write_settings
from replica.live.lifeline import OWNER_VARIABLE, die_with_parent
from replica.live.pidfile import live_pid, process_start_ticks

REPOSITORY = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux prctl")

CHILD = """
import sys, time
from replica.live.lifeline import die_with_parent, watch
mode = sys.argv[1]
if mode in ("pdeathsig", "both"):
    assert die_with_parent()
if mode in ("watchdog", "both"):
    watch(parent=True)
print("ready", flush=True)
time.sleep(120)
"""

PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]], stdout=subprocess.PIPE)
assert child.stdout is not None and child.stdout.readline().strip() == b"ready"
print(child.pid, flush=True)
time.sleep(120)
"""


def gone_within(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process_start_ticks(pid) is None:  # exited (a zombie counts as gone)
            return True
        time.sleep(0.05)
    return False


def environment(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPOSITORY), **extra}


def start_parent(mode: str) -> tuple[subprocess.Popen[bytes], int]:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, CHILD, mode],
        stdout=subprocess.PIPE,
        env=environment(),
        cwd=str(REPOSITORY),
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    return parent, child


@pytest.mark.parametrize("mode", ["pdeathsig", "watchdog", "both"])
def test_a_child_dies_when_its_parent_is_killed(mode: str) -> None:
    parent, child = start_parent(mode)
    try:
        assert process_start_ticks(child) is not None
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert gone_within(child, 5.0), f"child {child} outlived its parent ({mode})"
    finally:
        parent.kill()
        parent.wait()
        if process_start_ticks(child) is not None:
            os.kill(child, signal.SIGKILL)


def test_a_child_lives_while_its_parent_does() -> None:
    parent, child = start_parent("both")
    try:
        time.sleep(1.2)  # more than two watchdog periods
        assert process_start_ticks(child) is not None
    finally:
        parent.kill()
        parent.wait()
        assert gone_within(child, 5.0)


def test_die_with_parent_reports_whether_it_is_in_force() -> None:
    # This test process has a live parent (pytest's runner or a shell): the request holds.
    # It is undone at once, so that the test run is not bound to its parent.
    assert die_with_parent(signal.SIGKILL)
    assert die_with_parent(0)


def test_an_orchestrator_stops_when_its_owner_is_killed(tmp_path: Path) -> None:
    """A detached orchestrator (as `icbox up` starts it) bound by ICBOX_OWNER_PID to another process."""
    directory = tmp_path / "node"
    directory.mkdir()
    write_settings(
        directory,
        NodeSettings(
            node_id="aaaaa-aa",
            node_index=0,
            subnet_id=None,
            p2p_host="127.0.0.1",
            p2p_port=0,
            http_host="127.0.0.1",
            http_port=0,
            log_file=str(tmp_path / "node.log"),
            root_key_hex="00" * 8,
            nns_subnet_id="aaaaa-aa",
        ),
    )
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    with open(tmp_path / "node.log", "ab") as log:
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "replica.orchestrator", "--node-dir", str(directory)],
            env=environment(**{OWNER_VARIABLE: str(owner.pid)}),
            cwd=str(REPOSITORY),
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 20
        while live_pid(directory / SUPERVISOR_PID_FILE) is None:
            assert supervisor.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.2)
        assert supervisor.poll() is None, "the orchestrator stopped while its owner lives"
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        assert supervisor.wait(60) == 0
        written = (tmp_path / "node.log").read_text()
        assert f"owner process {owner.pid} is gone" in written
        assert live_pid(directory / SUPERVISOR_PID_FILE) is None
    finally:
        owner.kill()
        owner.wait()
        if supervisor.poll() is None:
            supervisor.kill()
        supervisor.wait()


def test_the_owner_variable_is_read_strictly(monkeypatch: pytest.MonkeyPatch) -> None:
    from replica.live.lifeline import owner_from_environment

    for value, expected in (("", None), ("x", None), ("1", None), ("-5", None), ("4242", 4242)):
        monkeypatch.setenv(OWNER_VARIABLE, value)
        assert owner_from_environment() == expected
