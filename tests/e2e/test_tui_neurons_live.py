"""The Neurons and Wallet actions of the dashboard on a real network: Pilot drives `IcboxApp`
over `OpsBackend`.

One network for the module, an NNS subnet of one node on the `test` preset, where a
governance day lasts one second (`replica/presets.py`): a neuron's seven-day initial
dissolve delay passes in seconds, a proposal's four-day voting period too, and the daily
reward event comes every second. So a neuron dissolves and is disbursed, and the
network's neuron gains maturity the way every neuron does on the IC (it votes on a
proposal; once the proposal's deadline has passed, the next reward event mints the
voting rewards as maturity, `nns/governance/periodic.py`) and spawns a new neuron from it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Tree

from replica.agent.identity import Ed25519Identity
from tests.e2e.conftest import LiveNetwork, running_network
from tests.e2e.test_tui_live import in_dashboard, row_of, select_row, until
from tests.tui.pilot import cells, recorded_notifications, text
from tui.app import IcboxApp
from tui.ops import actions
from tui.ops.proposals import preview_proposal, submit_proposal
from tui.ops.session import Session
from tui.screens.who_decides import WhoDecidesScreen

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNetwork]:
    with running_network(
        tmp_path_factory.mktemp("neurons"),
        unassigned=0,
        options=("--nns-nodes", "1", "--app-subnets", "", "--preset", "test"),
    ) as network:
        yield network


def fill(app: IcboxApp, **values: str) -> None:
    from textual.widgets import Input

    for name, value in values.items():
        app.screen.query_one(f"#field-{name}", Input).value = value


async def stake(app: IcboxApp, pilot: Pilot[None], amount: str, days: str) -> str:
    """Stakes a neuron from the Neurons screen; its id."""
    before = {row[0] for row in cells(app)}
    await pilot.press("s")
    await pilot.pause()
    fill(app, amount=amount, days=days)
    await pilot.press("ctrl+s")
    await pilot.pause()
    await pilot.press("enter")  # the confirmation
    rows = await until(
        app,
        pilot,
        lambda: [row for row in cells(app) if row[0] not in before],
        what="the new neuron",
    )
    return str(rows[0][0])


def has_state(app: IcboxApp, neuron: str, state: str) -> bool:
    row = row_of(app, neuron)
    return row is not None and row[2] == state


def registry_version(app: IcboxApp) -> int | None:
    """The registry version the Network screen shows (live), if shown yet."""
    words = text(app, "#registry-version").split()
    return int(words[2]) if words[:2] == ["registry", "version"] and words[2].isdigit() else None


def balance(app: IcboxApp) -> Decimal | None:
    """The balance the Wallet screen shows, once read."""
    words = text(app, "#balance").split()
    return Decimal(words[1]) if len(words) == 3 and words[2] == "ICP" else None


def elect(directory: Any, version: str) -> None:
    """An elect-replica-version proposal by the network's neuron, adopted by its vote."""
    with Session.open(directory=directory) as session:
        neuron = session.target.neuron_id
        assert neuron is not None
        preview = preview_proposal(
            session,
            neuron_id=neuron,
            title=f"Elect {version}",
            summary="",
            url="",
            action=actions.elect_replica_version(
                version, urls=["http://example.org/release.tar.gz"], sha256_hex="ab" * 32
            ),
        )
        submit_proposal(session, preview)


def motion(directory: Any) -> int:
    """A motion by the network's neuron (which votes Yes on it as its proposer)."""
    with Session.open(directory=directory) as session:
        neuron = session.target.neuron_id
        assert neuron is not None
        preview = preview_proposal(
            session,
            neuron_id=neuron,
            title="Reward the voters",
            summary="",
            url="",
            action=actions.motion("A motion to vote on"),
        )
        return submit_proposal(session, preview)


@pytest.mark.asyncio
async def test_change_the_delay_start_and_stop_dissolving_then_disburse(
    network: LiveNetwork,
) -> None:
    async def steps(app: IcboxApp, pilot: Pilot[None]) -> None:
        shown = recorded_notifications(app)
        await pilot.press("3")
        await until(app, pilot, lambda: row_of(app, "1"), what="neuron 1 listed")
        # No delay typed: the claim gives the initial 7 days (INITIAL_NEURON_DISSOLVE_DELAY,
        # rs/nns/governance/src/governance.rs), 7 s on this preset.
        neuron = await stake(app, pilot, "2", "0")
        row = row_of(app, neuron)
        assert row is not None and row[1] == "2" and row[2] == "not-dissolving", row
        assert row[3] == "7d 0h", row

        # Dissolve delay: 3 days more.
        select_row(app, neuron)
        await pilot.press("d")
        await pilot.pause()
        assert "(now 7d 0h)" in text(app, "#question")
        fill(app, days="3")
        await pilot.press("ctrl+s")
        await until(
            app, pilot, lambda: (row_of(app, neuron) or [""] * 4)[3] == "10d 0h", what="the delay"
        )

        # Start dissolving, stop, start again.
        for state, word in (("dissolving", "Start"), ("not-dissolving", "Stop")):
            select_row(app, neuron)
            await pilot.press("x")
            await pilot.pause()
            assert f"{word} dissolving neuron {neuron}?" in text(app, "#question")
            await pilot.press("enter")
            await until(app, pilot, partial(has_state, app, neuron, state), what=state)
        select_row(app, neuron)
        await pilot.press("x", "enter")
        await until(
            app,
            pilot,
            partial(has_state, app, neuron, "dissolved"),
            what="the neuron dissolved",
        )

        # Disburse its stake to the wallet: the balance grows by the stake less the fee.
        await pilot.press("4")
        before = await until(app, pilot, partial(balance, app), what="the balance")
        await pilot.press("3")
        await until(app, pilot, lambda: row_of(app, neuron), what="the Neurons screen")
        select_row(app, neuron)
        await pilot.press("b")
        await pilot.pause()
        assert f"Disburse neuron {neuron}'s stake (2 ICP)" in text(app, "#question")
        await pilot.press("enter")
        await until(
            app, pilot, lambda: any("disbursed (block" in m for m in shown), what="disbursed"
        )
        await until(
            app, pilot, lambda: (row_of(app, neuron) or ["", ""])[1] == "0", what="the stake gone"
        )
        await pilot.press("4")
        after = await until(
            app,
            pilot,
            lambda: (shown := balance(app)) is not None and shown != before and shown,
            what="the balance after the disbursement",
        )
        assert after == before + Decimal("2") - Decimal("0.0001")

    await in_dashboard(network, steps)


@pytest.mark.asyncio
async def test_spawn_a_neuron_from_maturity_earned_by_voting(network: LiveNetwork) -> None:
    proposal = await asyncio.to_thread(motion, network.directory)

    async def steps(app: IcboxApp, pilot: Pilot[None]) -> None:
        shown = recorded_notifications(app)
        await pilot.press("2")
        await until(app, pilot, lambda: row_of(app, str(proposal)), what="the motion listed")
        await pilot.press("3")
        # Maturity (column 6) once the motion is settled by a reward event.
        row = await until(
            app,
            pilot,
            lambda: (r := row_of(app, "1")) and Decimal(r[6]) >= 1 and r,
            what="neuron 1's maturity from voting rewards",
        )
        before = {r[0] for r in cells(app)}
        select_row(app, "1")
        await pilot.press("p")
        await pilot.pause()
        assert "Spawn a new neuron from neuron 1's maturity" in text(app, "#question")
        await pilot.press("enter")
        spawned = await until(
            app,
            pilot,
            lambda: [r for r in cells(app) if r[0] not in before],
            what="the spawned neuron",
        )
        assert any(f"neuron {spawned[0][0]} spawned" in m for m in shown), shown
        # The spawned neuron holds the maturity until it spawns (NeuronState::Spawning, for
        # 7 days: 7 s on this preset); then the maturity, modulated, is minted as its stake
        # and it is dissolved. Neuron 1's maturity is spent.
        new = spawned[0]
        assert (new[2], Decimal(new[6]) > 0) == ("spawning", True) or (
            new[2],
            Decimal(new[1]) > 0,
        ) == ("dissolved", True), new
        after = row_of(app, "1")
        assert after is not None and Decimal(after[6]) < Decimal(row[6]), (row, after)

    await in_dashboard(network, steps)


@pytest.mark.asyncio
async def test_a_wallet_transfer_lands_in_the_balance_and_the_history(
    network: LiveNetwork,
) -> None:
    to = str(Ed25519Identity.from_seed(b"dashboard transfer".ljust(32, b".")).principal)

    async def steps(app: IcboxApp, pilot: Pilot[None]) -> None:
        shown = recorded_notifications(app)
        await pilot.press("4")
        before = await until(app, pilot, partial(balance, app), what="the balance")
        await pilot.press("s")
        await pilot.pause()
        fill(app, to=to, amount="1.5")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Send 1.5 ICP to" in text(app, "#question")
        await pilot.press("enter")
        await until(app, pilot, lambda: any("sent 1.5 ICP" in m for m in shown), what="sent")
        block = next(m for m in shown if "sent 1.5 ICP" in m).split("block ")[1].rstrip(")")
        row = await until(app, pilot, lambda: row_of(app, block, "#history"), what="the history")
        assert row[2:4] == ["Transfer", "out"] and row[5:] == ["1.5", "0.0001"], row
        after = await until(
            app,
            pilot,
            lambda: (shown := balance(app)) is not None and shown != before and shown,
            what="the balance after the transfer",
        )
        assert after == before - Decimal("1.5001")

    await in_dashboard(network, steps)


@pytest.mark.asyncio
async def test_who_decides_my_vote_and_time_travel_on_the_live_registry(
    network: LiveNetwork,
) -> None:
    async def steps(app: IcboxApp, pilot: Pilot[None]) -> None:
        # Network: a version elected by a proposal of the network's neuron (adopted by its
        # own vote) makes a registry version; one version back, then forward to it with the
        # diff it made, and back to live.
        first = await until(app, pilot, partial(registry_version, app), what="the registry")
        await asyncio.to_thread(elect, network.directory, "0.2.0")
        latest = await until(
            app,
            pilot,
            lambda: (version := registry_version(app)) and version > first and version,
            what="the new registry version",
        )
        await pilot.press("left_square_bracket")
        await until(
            app,
            pilot,
            lambda: (
                f"registry version {latest - 1} of {latest} (time travel)"
                in text(app, "#registry-version")
            ),
            what="time travel one version back",
        )
        assert app.screen.query_one("#travel").display
        await pilot.press("right_square_bracket")
        travel = await until(
            app,
            pilot,
            lambda: f"version {latest} of {latest}" in (panel := text(app, "#travel")) and panel,
            what="time travel to the newest version",
        )
        assert "replica version 0.2.0 elected" in travel, travel
        await pilot.press("l")
        await until(
            app,
            pilot,
            lambda: "time travel" not in text(app, "#registry-version"),
            what="back to live",
        )

        # Neurons: a new neuron follows neuron 1 on governance; neuron 1 decides its vote.
        await pilot.press("3")
        await until(app, pilot, lambda: row_of(app, "1"), what="neuron 1 listed")
        neuron = await stake(app, pilot, "1.5", "200")
        select_row(app, neuron)
        await pilot.press("f")
        await pilot.pause()
        fill(app, ids="1")
        await pilot.press("ctrl+s")
        await until(
            app,
            pilot,
            lambda: "governance: 1" in (row_of(app, neuron) or [""])[-1],
            what="following neuron 1",
        )
        select_row(app, neuron)
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("ctrl+s")  # the governance topic
        await until(
            app,
            pilot,
            lambda: isinstance(app.screen, WhoDecidesScreen) and text(app, "#deciders"),
            what="who decides",
        )
        tree = app.screen.query_one(Tree)
        assert f"neuron {neuron}" in str(tree.root.label)
        assert [str(child.label).split()[:2] for child in tree.root.children] == [["neuron", "1"]]
        deciders = text(app, "#deciders")
        assert [
            line.split(":")[0].split(" (")[0].strip() for line in deciders.splitlines()[1:]
        ] == ["neuron 1"], deciders
        assert "decides alone" in deciders, deciders

    await in_dashboard(network, steps)
