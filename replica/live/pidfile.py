"""Pid files that can tell a live process from a stale record.

A pid file holds the pid and the process's start time as the kernel reports
it. After a crash (or a reboot) the pid may belong to another process; the
start time tells them apart, so a stale file is detected and never trusted
(nobody signals a stranger's process).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from replica.live.layout import read_json, write_json_atomically


@dataclass(frozen=True, slots=True, kw_only=True)
class PidRecord:
    pid: int
    start_ticks: int
    """Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot."""


def process_start_ticks(pid: int) -> int | None:
    """The kernel's start time of `pid`, or None if there is no such process (or it is a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    after_name = stat[stat.rfind(")") + 2 :].split()
    if after_name[0] == "Z":
        return None
    return int(after_name[19])


def write_pid_file(path: Path, pid: int) -> PidRecord:
    ticks = process_start_ticks(pid)
    record = PidRecord(pid=pid, start_ticks=-1 if ticks is None else ticks)
    write_json_atomically(path, {"pid": record.pid, "start_ticks": record.start_ticks})
    return record


def read_pid_file(path: Path) -> PidRecord | None:
    value = read_json(path)
    if not isinstance(value, dict):
        return None
    try:
        return PidRecord(pid=int(value["pid"]), start_ticks=int(value["start_ticks"]))
    except (KeyError, TypeError, ValueError):
        return None


def is_alive(record: PidRecord | None) -> bool:
    """Whether the recorded process is still the one running under that pid."""
    if record is None:
        return False
    return process_start_ticks(record.pid) == record.start_ticks


def live_pid(path: Path) -> int | None:
    """The pid in `path` if its process is alive; a stale file is removed."""
    record = read_pid_file(path)
    if record is None:
        return None
    if is_alive(record):
        return record.pid
    with contextlib.suppress(OSError):
        path.unlink()
    return None


def remove_pid_file(path: Path, pid: int) -> None:
    """Remove `path` if it still names `pid` (another process may have replaced it)."""
    record = read_pid_file(path)
    if record is not None and record.pid == pid:
        with contextlib.suppress(OSError):
            path.unlink()
