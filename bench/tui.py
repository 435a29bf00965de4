"""The dashboard (`icbox tui`), headless: start-up, a vote to its tally, a topology change to the
screen, and input latency while large lists refresh.

- `startup_s`: from the app's start to the Network screen's first full paint (the registry
  version and every node listed) against a live local network this benchmark brings up.
- `vote_to_tally_s`: from confirming a vote in the proposal's detail view (a second neuron's
  Yes on an adopted motion) to the new tally on screen.
- `topology_update_s`: from the registry version of an executed proposal (elect a replica
  version) appearing on the registry canister to the Network screen showing that version,
  with the default refresh interval of 1 s.
- `input_latency_ms`: the 95th percentile of the time from a key press (cursor down, sent
  as the terminal driver sends it) to the first painted frame that shows the cursor moved,
  while the Proposals screen lists 1,000 proposals and the Neurons screen 10,000 neurons (an
  in-memory backend at that scale), both refreshed every 0.2 s; `input_max_ms` is the
  slowest, `input_loop_cpu_ms` the event loop's own CPU time per key (p95). Between those
  keys, `input_settled_ms` (p95) times Pilot's `press`, which returns once the whole process
  has been idle for 20 ms twice (its floor is 40 ms; it also waits for the poll's worker and
  for the machine's other load). The same keys over lists of one page (100 rows) are the
  baseline measured in the same run: `input_small_lists_ms` (p95) and `input_ratio` (full
  size over it).

`--smoke`: 100 proposals and 1,000 neurons, 20 presses per screen; the live figures are the same.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import print_figures

SIZE = (160, 48)


async def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> float:
    """Polls `condition` every 10 ms; the perf_counter time it first held."""
    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)
    return time.perf_counter()


def screen_text(app: Any, selector: str) -> str:
    from textual.widgets import Static

    try:
        return str(app.screen.query_one(selector, Static).render())
    except Exception:
        return ""


def table_rows(app: Any, selector: str = "DataTable") -> int:
    """The rows a table lists (all its pages: `tui.widgets.paged_table`)."""
    from tui.widgets.paged_table import PagedTable

    try:
        return int(app.screen.query_one(selector, PagedTable).total_rows)
    except Exception:
        return 0


def listed(app: Any, rows: int) -> bool:
    return table_rows(app) >= rows


def prepare(directory: Path) -> tuple[int, int, int]:
    """A second neuron (no vote yet) and a motion the network's neuron adopts: (leader, second,
    proposal id)."""
    from tui.ops import actions
    from tui.ops.neurons import stake
    from tui.ops.proposals import preview_proposal, submit_proposal
    from tui.ops.session import Session

    with Session.open(directory=directory) as session:
        leader = session.target.neuron_id
        assert leader is not None
        second = stake(session, 200_000_000, dissolve_delay_seconds=8 * 365 * 86_400).neuron_id
        preview = preview_proposal(
            session,
            neuron_id=leader,
            title="Benchmark motion",
            summary="",
            url="",
            action=actions.motion("Measure the dashboard"),
        )
        return leader, second, submit_proposal(session, preview)


def elect(directory: Path, leader: int) -> None:
    from tui.ops import actions
    from tui.ops.proposals import preview_proposal, submit_proposal
    from tui.ops.session import Session

    with Session.open(directory=directory) as session:
        preview = preview_proposal(
            session,
            neuron_id=leader,
            title="Elect a version",
            summary="",
            url="",
            action=actions.elect_replica_version(
                f"0.9.{int(time.time())}", urls=["http://example.org/p"], sha256_hex="ab" * 32
            ),
        )
        submit_proposal(session, preview)


class RegistryProbe:
    """The registry canister's latest version, over one session and an incrementally synced log."""

    def __init__(self, directory: Path) -> None:
        from tui.ops.session import Session
        from tui.ops.topology import fetch_registry

        self.session = Session.open(directory=directory)
        self.client = fetch_registry(self.session)

    def version(self) -> int:
        self.client.sync()
        return int(self.client.latest_version)


async def live_figures(directory: Path) -> dict[str, float]:
    from textual.widgets import SelectionList

    from tui.app import IcboxApp
    from tui.backend import OpsBackend

    leader, second, proposal_id = await asyncio.to_thread(prepare, directory)
    backend = OpsBackend(directory=directory)
    app = IcboxApp(backend, interval=1.0)
    figures: dict[str, float] = {}
    began = time.perf_counter()
    try:
        async with app.run_test(size=SIZE) as pilot:
            painted = await wait_for(
                lambda: (
                    "registry version" in screen_text(app, "#registry-version")
                    and table_rows(app, "#nodes") > 0
                ),
                60,
                "the first paint",
            )
            figures["startup_s"] = round(painted - began, 3)

            probe = await asyncio.to_thread(RegistryProbe, directory)
            version = await asyncio.to_thread(probe.version)
            await asyncio.to_thread(elect, directory, leader)
            seen_registry: float | None = None
            seen_screen: float | None = None
            deadline = time.perf_counter() + 120
            while seen_screen is None or seen_registry is None:
                if seen_registry is None:
                    latest = await asyncio.to_thread(probe.version)
                    if latest > version:
                        seen_registry, version = time.perf_counter(), latest
                if (
                    seen_screen is None
                    and seen_registry is not None
                    and f"registry version {version} " in screen_text(app, "#registry-version")
                ):
                    seen_screen = time.perf_counter()
                if time.perf_counter() > deadline:
                    raise SystemExit("the topology change did not appear")
                await asyncio.sleep(0.01)
            figures["topology_update_s"] = round(max(0.0, seen_screen - seen_registry), 3)
            probe.session.close()

            await pilot.press("2")
            await wait_for(lambda: table_rows(app) > 0, 60, "the proposals")
            from tui.screens.proposal_detail import ProposalDetailScreen

            app.push_screen(ProposalDetailScreen(proposal_id, (leader, second)))
            await wait_for(lambda: "my ballots" in screen_text(app, "#detail"), 60, "the detail")
            before = screen_text(app, "#detail")
            await pilot.press("y")
            await pilot.pause()
            app.screen.query_one(SelectionList).deselect(leader)
            sent = time.perf_counter()
            await pilot.press("enter")
            shown = await wait_for(
                lambda: (
                    f"neuron {second}: yes" in screen_text(app, "#detail")
                    and screen_text(app, "#detail") != before
                ),
                60,
                "the tally",
            )
            figures["vote_to_tally_s"] = round(shown - sent, 3)
    finally:
        backend.close()
    return figures


class FrameClock:
    """When each frame is painted, and where the cursor of the screen's table stood in it.

    Wraps the app's `_display` (which the headless driver calls with every compositor update
    and then discards): a key is handled when a frame shows its effect."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.frames: list[tuple[float, tuple[int, int] | None]] = []
        self._display = app._display
        app._display = self.display

    def cursor(self) -> tuple[int, int] | None:
        from tui.widgets.paged_table import PagedTable

        try:
            table = self.app.screen.query_one(PagedTable)
        except Exception:
            return None
        return table.page, table.cursor_row

    def display(self, screen: Any, renderable: Any) -> None:
        self._display(screen, renderable)
        if renderable is not None:
            self.frames.append((time.perf_counter(), self.cursor()))

    async def key_to_frame(self, key: str, timeout_s: float = 30) -> float:
        """Sends `key` as the terminal would and waits for the first frame where the cursor
        has moved: the seconds from the key to that frame."""
        from textual import events

        before = self.cursor()
        seen = len(self.frames)
        sent = time.perf_counter()
        self.app._driver.send_message(events.Key(key, None))
        while True:
            for painted, cursor in self.frames[seen:]:
                if cursor != before:
                    return painted - sent
            seen = len(self.frames)
            if time.perf_counter() - sent > timeout_s:
                raise SystemExit(f"no frame showed the key {key!r}")
            await asyncio.sleep(0.001)


def percentile(times: list[float], fraction: float) -> float:
    ordered = sorted(times)
    return ordered[int(fraction * (len(ordered) - 1))]


def direction(app: Any) -> str:
    """Down, or up on the list's last row (a short list's cursor goes back and forth)."""
    from tui.widgets.paged_table import PagedTable

    table = app.screen.query_one(PagedTable)
    last = table.page * table.page_rows + table.cursor_row >= table.total_rows - 1
    return "up" if last else "down"


async def key_times(proposals: int, neurons: int, presses: int) -> dict[str, list[float]]:
    """Cursor keys on the Proposals and the Neurons screens over an in-memory backend
    listing that many of each, refreshed every 0.2 s: key-to-frame seconds, the event loop's
    CPU seconds meanwhile, and Pilot's press-to-idle seconds."""
    from tests.tui.fake_backend import FakeBackend
    from tui.app import IcboxApp

    backend = FakeBackend(proposals=proposals, neurons=neurons)
    original = backend.proposals
    backend.proposals = lambda limit=50: original(limit=proposals + 2)  # type: ignore[method-assign]
    app = IcboxApp(backend, interval=0.2)
    times: dict[str, list[float]] = {"frame": [], "loop_cpu": [], "settled": []}
    async with app.run_test(size=SIZE) as pilot:
        clock = FrameClock(app)
        for key, rows in (("2", proposals + 2), ("3", neurons + 2)):
            await pilot.press(key)
            await wait_for(partial(listed, app, rows), 120, "the long list")
            for _ in range(presses):
                cpu = time.thread_time()
                times["frame"].append(await clock.key_to_frame(direction(app)))
                times["loop_cpu"].append(time.thread_time() - cpu)
                await asyncio.sleep(0.02)
                began = time.perf_counter()
                await pilot.press(direction(app))
                times["settled"].append(time.perf_counter() - began)
                await asyncio.sleep(0.02)
    return times


async def input_latency(proposals: int, neurons: int, presses: int) -> dict[str, float]:
    """The figures at full size, and the same keys over lists of one page (`PAGE_ROWS` of
    each) in the same run as the baseline: `input_ratio` is the p95 at full size over the p95
    there, the cost of the lists' length."""
    from tui.widgets.paged_table import PAGE_ROWS

    large = await key_times(proposals, neurons, presses)
    small = await key_times(PAGE_ROWS - 2, PAGE_ROWS - 2, presses)

    def ms(times: list[float], fraction: float = 0.95) -> float:
        return round(1000 * percentile(times, fraction), 1)

    return {
        "input_latency_ms": ms(large["frame"]),
        "input_median_ms": ms(large["frame"], 0.5),
        "input_max_ms": ms(large["frame"], 1.0),
        "input_loop_cpu_ms": ms(large["loop_cpu"]),
        "input_settled_ms": ms(large["settled"]),
        "input_settled_median_ms": ms(large["settled"], 0.5),
        "input_small_lists_ms": ms(small["frame"]),
        "input_ratio": round(
            percentile(large["frame"], 0.95) / percentile(small["frame"], 0.95), 2
        ),
        "listed_proposals": proposals,
        "listed_neurons": neurons,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--smoke", action="store_true", help="smaller lists, fewer presses")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from tui.network.create import NetworkOptions
    from tui.network.operations import bring_down, bring_up

    proposals, neurons, presses = (100, 1_000, 20) if args.smoke else (1_000, 10_000, 100)
    figures: dict[str, Any] = {}
    figures.update(asyncio.run(input_latency(proposals, neurons, presses)))
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        try:
            bring_up(directory, NetworkOptions(application_subnets=(), unassigned_nodes=1))
            figures.update(asyncio.run(live_figures(directory)))
        finally:
            bring_down(directory)
    order = ["startup_s", "vote_to_tally_s", "topology_update_s", "input_latency_ms"]
    print_figures(
        {**{k: figures[k] for k in order}, **{k: v for k, v in figures.items() if k not in order}},
        as_json=args.json,
    )


if __name__ == "__main__":
    main()
