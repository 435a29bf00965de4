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

from replica.live.lifeline import OWNER_VARIABLE, die_with_parent
from replica.live.pidfile import process_start_ticks

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


def test_a_process_bound_to_an_owner_exits_when_the_owner_is_killed() -> None:
    """How a detached supervisor (started by `icbox up`, so not a child of the test run) is bound
    to the run by ICBOX_OWNER_PID."""
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    bound = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\n"
            "from replica.live.lifeline import owner_from_environment, watch\n"
            "watch(owner=owner_from_environment(), parent=False)\n"
            "print('ready', flush=True)\n"
            "time.sleep(120)\n",
        ],
        env=environment(**{OWNER_VARIABLE: str(owner.pid)}),
        cwd=str(REPOSITORY),
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert bound.stdout is not None and bound.stdout.readline().strip() == b"ready"
        time.sleep(1.2)  # more than two watchdog periods: the owner lives, so does the process
        assert bound.poll() is None
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        assert bound.wait(30) == 1
    finally:
        owner.kill()
        owner.wait()
        if bound.poll() is None:
            bound.kill()
        bound.wait()


def test_the_owner_variable_is_read_strictly(monkeypatch: pytest.MonkeyPatch) -> None:
    from replica.live.lifeline import owner_from_environment

    for value, expected in (("", None), ("x", None), ("1", None), ("-5", None), ("4242", 4242)):
        monkeypatch.setenv(OWNER_VARIABLE, value)
        assert owner_from_environment() == expected
