"""The dashboard driven by Pilot over a fake backend: the Network screen (sparklines, health,
placement, time travel, the registry and orchestrator feeds, kill/restart), the palette,
themes, an unreachable network."""

from __future__ import annotations

import inspect
import socket
from pathlib import Path

import pytest
from textual.widgets import RichLog, Sparkline

from replica.orchestrator.events import EVENTS_FILE, EventLog
from tests.tui.fake_backend import NODES, SUBNET, FakeBackend, decision
from tests.tui.pilot import SIZE, cells, recorded_notifications, settle, text
from tui.app import IcboxApp
from tui.backend import OpsBackend
from tui.ops.dashboard import describe_diff, node_health
from tui.ops.orchestrator_feed import EventCursor, describe_event, feed_lines, read_new_events
from tui.widgets.status_line import StatusLine


def test_node_health_rule() -> None:
    assert node_health(None, 5, 5) == "unknown"
    assert node_health(False, None, 9) == "down"
    assert node_health(True, None, 9) == "starting"
    assert node_health(True, 3, 9) == "behind"
    assert node_health(True, 4, 9) == "ok"


def test_describe_diff_says_what_changed() -> None:
    diff = {
        "from_version": 1,
        "to_version": 2,
        "subnets_created": ["aaaaa-aa"],
        "subnets_removed": [],
        "subnets_changed": [
            {
                "id": SUBNET,
                "nodes_added": [NODES[2]],
                "nodes_removed": [NODES[1]],
                "replica_version": {"from": "0.9.0", "to": "0.9.1"},
            }
        ],
        "nodes_added": [],
        "nodes_removed": [],
        "elected_replica_versions": {"added": ["0.9.1"], "removed": []},
    }
    assert describe_diff(diff, {SUBNET: 40}) == [
        "subnet aaaaa created",
        "node mxngn joined subnet tdb26 at height 40",
        "node 2k4oy left subnet tdb26 at height 40",
        "subnet tdb26 upgraded from 0.9.0 to 0.9.1",
        "replica version 0.9.1 elected",
    ]


@pytest.mark.asyncio
async def test_network_screen_shows_subnets_nodes_health_placement_and_rates() -> None:
    app = IcboxApp(FakeBackend(), interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "registry version 7" in text(app, "#registry-version")
        assert "(1 unassigned)" in text(app, "#registry-version")
        assert cells(app, "#subnets") == [[SUBNET, "system", "2", "0.9.0", "412", ""]]
        nodes = {row[0]: row for row in cells(app, "#nodes")}
        assert nodes[NODES[0]][1:6] == ["tdb26", "412", "ok", "rrkah", "zh1"]
        assert nodes[NODES[2]][1:4] == ["unassigned", "-", "unknown"]
        sparkline = app.screen.query_one(Sparkline)
        assert list(sparkline.data or ()) == [1.5]
        assert app.connection == "connected"
        assert "identity alice" in str(app.screen.query_one(StatusLine).render())


@pytest.mark.asyncio
async def test_event_feed_shows_registry_changes_as_they_appear() -> None:
    backend = FakeBackend()
    backend.latest = 6
    app = IcboxApp(backend, interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        feed = app.screen.query_one("#events", RichLog)
        before = len(feed.lines)
        backend.latest = 7
        app.screen.poll()  # type: ignore[attr-defined]
        await settle(app, pilot)
        new = "".join(line.text for line in feed.lines[before:])
        assert "v7 node 2k4oy joined subnet tdb26 at height 412" in new
        assert "registry version 7" in text(app, "#registry-version")


@pytest.mark.asyncio
async def test_orchestrator_feed_shows_each_decision_as_it_is_made() -> None:
    backend = FakeBackend()
    app = IcboxApp(backend, interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        feed = app.screen.query_one("#orchestrator", RichLog)
        shown = [line.text for line in feed.lines]
        assert shown == [
            "v7 node 3tt37: orchestrator started",
            "v7 node 3tt37 joined subnet tdb26 at height 400",
        ]
        backend.decisions += [
            decision(NODES[2], "run", 415),
            decision(NODES[1], "left subnet", 416),
        ]
        app.screen.poll()  # type: ignore[attr-defined]
        await settle(app, pilot)
        new = [line.text for line in feed.lines[len(shown) :]]
        assert new == [
            "v7 node mxngn joined subnet tdb26 at height 415",
            "v7 node 2k4oy left subnet tdb26 at height 416; its state is wiped",
        ]
        app.screen.poll()  # type: ignore[attr-defined]
        await settle(app, pilot)
        assert len(feed.lines) == 4, "each decision is shown once"


def test_orchestrator_events_are_read_as_their_files_grow(tmp_path: Path) -> None:
    nodes = [tmp_path / "node-00", tmp_path / "node-01"]
    for node in nodes:
        node.mkdir()
    EventLog(nodes[0]).append(decision(NODES[0], "run", 10))
    events, cursor = read_new_events(nodes, EventCursor())
    assert [e.what for e in events] == ["run"]
    with (nodes[1] / EVENTS_FILE).open("a") as partial:
        partial.write('{"time_ns": 1, "node"')  # a line being written is not read yet
    assert read_new_events(nodes, cursor)[0] == []
    EventLog(nodes[0]).append(decision(NODES[0], "registry replicated", -1))
    events, cursor = read_new_events(nodes, cursor)
    assert [e.what for e in events] == ["registry replicated"]
    assert feed_lines(events) == [], "the registry feed says what each version changed"
    (nodes[0] / EVENTS_FILE).write_text("")  # the node was wiped: its file starts again
    EventLog(nodes[0]).append(decision(NODES[0], "unassigned", -1))
    events, _ = read_new_events(nodes, cursor)
    assert [describe_event(e) for e in events] == ["node 3tt37 is unassigned"]


@pytest.mark.asyncio
async def test_time_travel_steps_through_versions_with_their_diffs() -> None:
    app = IcboxApp(FakeBackend(), interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("left_square_bracket")
        await settle(app, pilot)
        assert "registry version 6 of 7 (time travel)" in text(app, "#registry-version")
        assert "(2 unassigned)" in text(app, "#registry-version")
        assert "a record changed" in text(app, "#travel")
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert "version 7 of 7" in text(app, "#travel")
        assert "node 2k4oy joined subnet tdb26" in text(app, "#travel")
        await pilot.press("l")
        await settle(app, pilot)
        assert "time travel" not in text(app, "#registry-version")
        assert not app.screen.query_one("#travel").display


@pytest.mark.asyncio
async def test_kill_and_restart_the_selected_node() -> None:
    backend = FakeBackend()
    app = IcboxApp(backend, interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#nodes").focus()  # its first row: 2k4oy (sorted by id)
        await pilot.press("k")
        await pilot.pause()
        assert "Kill node" in text(app, "#question")
        await pilot.press("enter")
        await settle(app, pilot)
        assert backend.calls == [("kill_node", NODES[1])]
        assert {row[0]: row[3] for row in cells(app, "#nodes")}[NODES[1]] == "down"
        await pilot.press("r")
        await settle(app, pilot)
        assert backend.calls[-1] == ("restart_node", NODES[1])
        assert {row[0]: row[3] for row in cells(app, "#nodes")}[NODES[1]] == "ok"


@pytest.mark.asyncio
async def test_theme_toggles_between_dark_and_light() -> None:
    app = IcboxApp(FakeBackend(), interval=60)
    async with app.run_test(size=SIZE) as pilot:
        first = app.theme
        await pilot.press("t")
        assert app.theme != first
        await pilot.press("t")
        assert app.theme == first


@pytest.mark.asyncio
async def test_the_palette_offers_every_action_of_the_current_screen() -> None:
    app = IcboxApp(FakeBackend(), interval=60)
    async with app.run_test(size=SIZE) as pilot:
        for key in ("1", "2", "3", "4"):
            await pilot.press(key)
            await settle(app, pilot)
            titles = {command.title for command in app.get_system_commands(app.screen)}
            actions = getattr(app.screen, "ACTIONS", ())
            assert actions
            assert {label for label, _, _ in actions} <= titles
            assert {"Show Network", "Show Wallet", "Toggle light/dark"} <= titles


@pytest.mark.asyncio
async def test_a_palette_command_runs_its_action() -> None:
    backend = FakeBackend()
    app = IcboxApp(backend, interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        command = next(
            c for c in app.get_system_commands(app.screen) if c.title == "Registry: older version"
        )
        result = command.callback()
        if inspect.isawaitable(result):
            await result
        await settle(app, pilot)
        assert "time travel" in text(app, "#registry-version")


@pytest.mark.asyncio
async def test_unreachable_network_is_shown_without_crashing_and_recovers() -> None:
    backend = FakeBackend(reachable=False)
    app = IcboxApp(backend, interval=60)
    shown = recorded_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        for key in ("1", "2", "3", "4"):
            await pilot.press(key)
            await settle(app, pilot)
            assert app.connection == "unreachable"
            assert "unreachable" in str(app.screen.query_one(StatusLine).render())
        await pilot.press("s", "tab", "1", "ctrl+s")  # a transfer form, then its confirmation
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.is_running
        assert sum("unreachable" in message for message in shown) == 1
        backend.reachable = True
        await pilot.press("1")
        await settle(app, pilot)
        assert app.connection == "connected"
        assert "registry version 7" in text(app, "#registry-version")


@pytest.mark.asyncio
async def test_the_poll_refreshes_a_screen_by_itself() -> None:
    backend = FakeBackend(reachable=False)
    app = IcboxApp(backend, interval=0.01)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        backend.reachable = True
        for _ in range(1000):
            if app.connection == "connected":
                break
            await pilot.pause(0.01)
        await settle(app, pilot)
        assert "registry version 7" in text(app, "#registry-version")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.asyncio
@pytest.mark.parametrize("network", ["local", "url"])
async def test_the_real_backend_with_no_network_shows_unreachable(
    network: str, tmp_path: Path
) -> None:
    """The operations layer itself, with no `.icbox` here or nothing listening on the port."""
    name = None if network == "local" else f"http://127.0.0.1:{free_port()}"
    backend = OpsBackend(name, directory=tmp_path)
    app = IcboxApp(backend, interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for key in ("2", "3", "4"):
            await pilot.press(key)
            await settle(app, pilot)
            assert app.connection == "unreachable"
        assert app.is_running
    backend.close()
