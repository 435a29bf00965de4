"""A real terminal for the end-to-end tests: a program run in a private tmux server.

`terminal(command)` starts a detached tmux session on its own socket (so it never
touches a user's sessions), yields a `Terminal` that sends keys and reads the
screen with `capture-pane -p`, and on exit kills the server and checks by pid
that the program is gone.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from replica.live.pidfile import process_start_ticks


class Terminal:
    def __init__(self, socket: str, session: str) -> None:
        self.socket = socket
        self.session = session

    def tmux(self, *arguments: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *arguments],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return result.stdout

    def send(self, *keys: str) -> None:
        """Each key as tmux names it (`2`, `y`, `Enter`, `Down`, `Space`), one at a time."""
        for key in keys:
            self.tmux("send-keys", "-t", self.session, key)
            time.sleep(0.3)  # a person's pace: each key is read before the next arrives

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session)

    def wait_for(self, text: str, *, timeout_s: float) -> str:
        """The screen once it shows `text`."""
        deadline = time.monotonic() + timeout_s
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not on the screen after {timeout_s} s:\n{screen}")
            time.sleep(0.3)

    def wait_for_line(self, matches: Callable[[str], bool], *, timeout_s: float) -> str:
        """The first line of the screen that `matches`, once one does."""
        deadline = time.monotonic() + timeout_s
        while True:
            screen = self.screen()
            found = [line for line in screen.splitlines() if matches(line)]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching line after {timeout_s} s:\n{screen}")
            time.sleep(0.3)

    def pane_pid(self) -> int:
        return int(self.tmux("display-message", "-p", "-t", self.session, "#{pane_pid}").strip())


@contextlib.contextmanager
def terminal(
    command: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    width: int = 200,
    height: int = 50,
) -> Iterator[Terminal]:
    socket = f"icbox-test-{os.getpid()}-{time.monotonic_ns()}"
    session = "icbox"
    environment = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
    # The terminal gives the size: COLUMNS and LINES inherited from a test run would override it.
    unset = "-u COLUMNS -u LINES"
    shell = f"cd {shlex.quote(str(cwd))} && exec env {unset} {environment} {shlex.join(command)}"
    size = ("-x", str(width), "-y", str(height))
    subprocess.run(
        ["tmux", "-L", socket, "new-session", "-d", "-s", session, *size, shell],
        check=True,
        timeout=30,
    )
    window = Terminal(socket, session)
    pid: int | None = None
    try:
        pid = window.pane_pid()
        yield window
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, timeout=30)
        if pid is not None:
            deadline = time.monotonic() + 10
            while process_start_ticks(pid) is not None and time.monotonic() < deadline:
                time.sleep(0.1)
            if process_start_ticks(pid) is not None:
                os.kill(pid, 9)
            assert process_start_ticks(pid) is None, f"the program {pid} outlived its terminal"
