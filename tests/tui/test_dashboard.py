"""The dashboard driven by Pilot over a fake backend: each screen, a vote, an unreachable network."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Static

from tests.tui.fake_backend import NODES, SUBNET, FakeBackend
from tui.app import IcboxApp
from tui.backend import OpsBackend
from tui.screens.proposals import ProposalsScreen
from tui.widgets.status_line import StatusLine

SIZE = (140, 40)


def cells(app: IcboxApp, selector: str = "DataTable") -> list[list[str]]:
    table: DataTable[Any] = app.screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def text(app: IcboxApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


@pytest.mark.asyncio
async def test_network_screen_shows_subnets_nodes_heights_and_registry_version() -> None:
    app = IcboxApp(FakeBackend(), interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "registry version 7" in text(app, "#registry-version")
        assert cells(app, "#subnets") == [[SUBNET, "system", "2", "0.9.0", ""]]
        nodes = {row[0]: row for row in cells(app, "#nodes")}
        assert nodes[NODES[0]][1:3] == ["tdb26", "412"]
        assert nodes[NODES[2]][1:3] == ["unassigned", "-"]
        assert app.connection == "connected"
        assert "identity alice" in str(app.screen.query_one(StatusLine).render())


@pytest.mark.asyncio
async def test_neurons_screen_lists_stake_state_power_and_following() -> None:
    app = IcboxApp(FakeBackend(), interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert cells(app) == [
            ["1", "2", "not-dissolving", "182d 15h", "2", "-"],
            ["2", "1", "not-dissolving", "182d 15h", "1", "governance: 1"],
        ]


@pytest.mark.asyncio
async def test_wallet_screen_shows_balance_and_account() -> None:
    app = IcboxApp(FakeBackend(), interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "12.345 ICP" in text(app, "#balance")
        assert "ab" * 32 in text(app, "#account")


@pytest.mark.asyncio
async def test_vote_yes_with_all_my_neurons_updates_the_tally() -> None:
    backend = FakeBackend()
    app = IcboxApp(backend, interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await app.workers.wait_for_complete()
        await pilot.pause()
        rows = cells(app)
        assert [row[:3] for row in rows] == [
            ["2", "executed", "governance"],
            ["1", "open", "governance"],
        ]
        assert "0.0% yes" in rows[1][4]
        await pilot.press("down", "y")
        await pilot.pause()
        assert "Vote Yes on proposal 1 with neurons 1, 2?" in str(
            app.screen.query_one("#question", Static).render()
        )
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ProposalsScreen)
        assert backend.votes == [(1, 1, True), (1, 2, True)]
        assert "100.0% yes" in cells(app)[1][4]


@pytest.mark.asyncio
async def test_a_refused_vote_is_a_notification_not_a_crash() -> None:
    backend = FakeBackend()
    backend.votes.append((1, 1, False))
    app = IcboxApp(backend, interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await app.workers.wait_for_complete()
        await pilot.press("down", "n", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("already voted" in message for message in messages)
        assert app.is_running


@pytest.mark.asyncio
async def test_cancelled_vote_sends_nothing() -> None:
    backend = FakeBackend()
    app = IcboxApp(backend, interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await app.workers.wait_for_complete()
        await pilot.press("y", "escape")
        await app.workers.wait_for_complete()
        assert backend.votes == []


async def settle(app: IcboxApp, pilot: Any) -> None:
    """Until no worker runs and every message posted is handled."""
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.asyncio
async def test_unreachable_network_is_shown_without_crashing_and_recovers() -> None:
    backend = FakeBackend(reachable=False)
    app = IcboxApp(backend, interval=60)
    # Toasts expire after a few seconds of wall time, so the test counts the calls instead.
    shown: list[str] = []
    notify = app.notify

    def record(message: str, **options: Any) -> None:
        shown.append(message)
        notify(message, **options)

    app.notify = record  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        for key in ("1", "2", "3", "4"):
            await pilot.press(key)
            await settle(app, pilot)
            assert app.connection == "unreachable"
            assert "unreachable" in str(app.screen.query_one(StatusLine).render())
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
        await pilot.press("2")
        await settle(app, pilot)
        assert app.connection == "unreachable"
        assert app.is_running
    backend.close()
