"""The Neurons and Wallet screens by Pilot over the fake backend: every action."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select, SelectionList, Tree

from tests.tui.fake_backend import FakeBackend
from tests.tui.pilot import SIZE, cells, recorded_notifications, settle, text
from tui.app import IcboxApp
from tui.screens.neurons import NeuronsScreen
from tui.screens.who_decides import WhoDecidesScreen


async def neurons_screen(app: IcboxApp, pilot: object) -> None:
    await pilot.press("3")  # type: ignore[attr-defined]
    await settle(app, pilot)  # type: ignore[arg-type]


def fill(app: IcboxApp, **values: str) -> None:
    for name, value in values.items():
        app.screen.query_one(f"#field-{name}", Input).value = value


@pytest.mark.asyncio
async def test_neurons_screen_lists_stake_state_age_power_maturity_and_following() -> None:
    app = IcboxApp(FakeBackend(), interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await neurons_screen(app, pilot)
        assert cells(app) == [
            ["1", "2", "not-dissolving", "182d 15h", "0h 0m", "2", "0", "-"],
            ["2", "1", "not-dissolving", "182d 15h", "0h 0m", "1", "0", "governance: 1"],
        ]


@pytest.mark.asyncio
async def test_stake_a_neuron_from_the_wallet() -> None:
    backend = FakeBackend()
    app = IcboxApp(backend, interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await neurons_screen(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        fill(app, amount="1.5", days="30")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Stake 1.5 ICP in a new neuron, dissolve delay 30d 0h?" in text(app, "#question")
        await pilot.press("enter")
        await settle(app, pilot)
        assert backend.calls == [("stake", 150_000_000, 30 * 86_400)]
        assert cells(app)[2][:4] == ["3", "1.5", "not-dissolving", "30d 0h"]


@pytest.mark.asyncio
async def test_a_malformed_amount_is_a_notification() -> None:
    backend = FakeBackend()
    app = IcboxApp(backend, interval=60)
    shown = recorded_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await neurons_screen(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        fill(app, amount="lots")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert any("is not an amount of ICP" in message for message in shown)
        assert backend.calls == []


@pytest.mark.asyncio
async def test_increase_dissolve_delay_and_start_stop_dissolving() -> None:
    backend = FakeBackend()
    app = IcboxApp(backend, interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await neurons_screen(app, pilot)
        await pilot.press("d")
        await pilot.pause()
        fill(app, days="1")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert cells(app)[0][3] == "183d 15h"
        await pilot.press("x")
        await pilot.pause()
        assert "Start dissolving neuron 1?" in text(app, "#question")
        await pilot.press("enter")
        await settle(app, pilot)
        assert cells(app)[0][2] == "dissolving"
        await pilot.press("x", "enter")
        await settle(app, pilot)
        assert backend.calls == [
            ("increase_dissolve_delay", 1, 86_400),
            ("set_dissolving", 1, True),
            ("set_dissolving", 1, False),
        ]


@pytest.mark.asyncio
async def test_follow_a_known_neuron_on_a_topic() -> None:
    backend = FakeBackend()
    app = IcboxApp(backend, interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await neurons_screen(app, pilot)
        await pilot.press("down", "f")
        await pilot.pause()
        app.screen.query_one("#field-topic", Select).value = "7"
        app.screen.query_one("#field-known", SelectionList).select("1")
        fill(app, ids="5")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert backend.calls == [("follow", 2, 7, (1, 5))]
        assert cells(app)[1][7] == "governance: 1; subnet-management: 1, 5"


@pytest.mark.asyncio
async def test_spawn_refused_and_disburse() -> None:
    backend = FakeBackend()
    app = IcboxApp(backend, interval=60)
    shown = recorded_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await neurons_screen(app, pilot)
        await pilot.press("p", "enter")
        await settle(app, pilot)
        assert any("enough maturity" in message for message in shown)
        await pilot.press("b")
        await pilot.pause()
        assert "Disburse neuron 1's stake (2 ICP)" in text(app, "#question")
        await pilot.press("enter")
        await settle(app, pilot)
        assert backend.calls == [("spawn", 1), ("disburse", 1)]
        assert any("disbursed (block 9)" in message for message in shown)
        assert isinstance(app.screen, NeuronsScreen)


@pytest.mark.asyncio
async def test_who_decides_my_vote_graph() -> None:
    app = IcboxApp(FakeBackend(), interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await neurons_screen(app, pilot)
        await pilot.press("down", "w")
        await pilot.pause()
        await pilot.press("ctrl+s")  # the governance topic
        await settle(app, pilot)
        assert isinstance(app.screen, WhoDecidesScreen)
        tree = app.screen.query_one(Tree)
        assert "neuron 2" in str(tree.root.label)
        assert [str(child.label).split("  ")[0] for child in tree.root.children] == [
            "neuron 1 (alpha)"
        ]
        assert "neuron 1 (alpha): 3 ICP behind  decides alone" in text(app, "#deciders")
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, NeuronsScreen)


@pytest.mark.asyncio
async def test_wallet_shows_balance_account_history_and_transfers() -> None:
    backend = FakeBackend()
    app = IcboxApp(backend, interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await settle(app, pilot)
        assert "12.345 ICP" in text(app, "#balance")
        assert "ab" * 32 in text(app, "#account")
        assert cells(app, "#history") == [
            ["0", "2023-11-14 22:13:20", "Mint", "in", "minted", "12.345", "0"]
        ]
        await pilot.press("s")
        await pilot.pause()
        fill(app, to="cd" * 32, amount="2")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Send 2 ICP to" in text(app, "#question")
        await pilot.press("enter")
        await settle(app, pilot)
        assert backend.calls == [("transfer", "cd" * 32, 200_000_000)]
        assert "10.3449 ICP" in text(app, "#balance")
