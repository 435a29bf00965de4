"""Processes that die with the process they belong to.

A replica process belongs to its node's supervisor, and a supervisor started
for a test belongs to the test run: when the owner dies, even by `kill -9`,
what it started must not live on. Two mechanisms, because each has a gap:

- `die_with_parent` asks Linux (`prctl(PR_SET_PDEATHSIG)`) to send a signal
  when the parent exits. It covers the direct parent only, and it is lost if
  the parent died before the call (then the process was already re-parented).
- `watch` runs a daemon thread that checks, twice a second, that a given pid
  is still the process it was (its start time is unchanged) and that this
  process still has the parent it started with; when either is gone it calls
  the handler (by default: exit at once).

A supervisor is started detached (it outlives `icbox up`), so it is bound to
nothing unless its environment names an owner: `ICBOX_OWNER_PID` (a pid,
inherited by every process started from it) makes the supervisor stop its
replica and exit when that process dies; the e2e tests set it to the test
run's pid.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Final

from replica.live.pidfile import process_start_ticks

OWNER_VARIABLE: Final = "ICBOX_OWNER_PID"
PR_SET_PDEATHSIG: Final = 1
WATCH_PERIOD_S: Final = 0.5


def die_with_parent(signal_number: int = signal.SIGKILL) -> bool:
    """Have the kernel send `signal_number` to this process when its parent exits (Linux only).

    Returns whether the request is in force; also False when the parent is
    already gone (this process was re-parented before the call).
    """
    if not sys.platform.startswith("linux"):
        return False
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal_number, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    return parent != 1 and os.getppid() == parent


def owner_from_environment() -> int | None:
    """The pid `ICBOX_OWNER_PID` names, or None."""
    value = os.environ.get(OWNER_VARIABLE, "")
    return int(value) if value.isdigit() and int(value) > 1 else None


def is_same_process(pid: int, started: int | None) -> bool:
    """Whether `pid` runs (not a zombie) and is the process that started at `started` (None: any)."""
    ticks = process_start_ticks(pid)
    return ticks is not None and (started is None or ticks == started)


def watch(
    *,
    owner: int | None = None,
    parent: bool = True,
    on_gone: Callable[[str], None] | None = None,
) -> threading.Thread:
    """Call `on_gone(reason)` once when `owner` dies or (with `parent`) this process's parent does.

    The default handler ends the process at once (`os._exit`): no cleanup runs,
    as after `kill -9`, which a replica is built to survive.
    """
    original_parent = os.getppid()
    owner_started = None if owner is None else process_start_ticks(owner)

    def gone(reason: str) -> None:
        if on_gone is not None:
            on_gone(reason)
        else:
            os._exit(1)

    def run() -> None:
        event = threading.Event()
        while not event.wait(WATCH_PERIOD_S):
            if parent and os.getppid() != original_parent:
                gone(f"parent process {original_parent} is gone")
                return
            if owner is not None and (
                owner_started is None or not is_same_process(owner, owner_started)
            ):
                gone(f"owner process {owner} is gone")
                return

    thread = threading.Thread(target=run, name="lifeline", daemon=True)
    thread.start()
    return thread
