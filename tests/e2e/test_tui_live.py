"""The dashboard on a real network: Pilot drives `IcboxApp` over `OpsBackend`; tmux runs
`icbox tui`.

One small network for the module (an NNS subnet of one node, an application
subnet of one node, two unassigned nodes: the fewest processes that still show
a topology and leave spare nodes for the demo's steps). In the dashboard a
person stakes a neuron, makes it follow neuron 1, makes a proposal with it
that halts the application subnet (the registry change the Network screen
shows fastest: no replica starts or stops), votes Yes with
all their neurons (the proposer's ballot is already cast, so only neuron 1
votes), sees the proposal executed, the registry version it wrote in its
detail view, and the subnet halted on the Network
screen, its registry version in the event feed. In a real terminal, `icbox tui`
votes on the proposal that unhalts it and shows the change. The steps of `icbox
demo` run (a subnet created, a node killed and replaced, an upgrade) while the
Network screen shows the orchestrators' decisions. Last, the NNS node
is killed from the dashboard: the network is unreachable, a notification says
so and the app keeps running; restarted, the dashboard reconnects.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, RichLog, Select

from tests.e2e.conftest import REPOSITORY, LiveNetwork, icbox, running_network
from tests.e2e.terminal import terminal
from tests.tui.pilot import SIZE, cells, recorded_notifications, text
from tui.app import IcboxApp
from tui.backend import OpsBackend
from tui.demo import STEP_TIMEOUT_S, STEPS, Story
from tui.ops.dashboard import short
from tui.screens.proposal_detail import ProposalDetailScreen
from tui.screens.proposals import ProposalsScreen

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]

WAIT_S = 120.0
"""The longest any step may take on a loaded machine before the test fails."""


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNetwork]:
    with running_network(
        tmp_path_factory.mktemp("dashboard"),
        unassigned=2,
        options=("--nns-nodes", "1", "--app-subnets", "1"),
    ) as network:
        yield network


@pytest.fixture(scope="module")
def story() -> dict[str, Any]:
    """What one step of the module leaves for the next (the staked neuron)."""
    return {}


def app_subnet(network: LiveNetwork) -> str:
    return str(network.network["subnets"][1]["subnet_id"])


async def until(
    app: IcboxApp,
    pilot: Pilot[None],
    condition: Callable[[], Any],
    *,
    what: str,
    timeout_s: float = WAIT_S,
) -> Any:
    """Lets the app run (its own refresh polls meanwhile) until `condition()` is true.

    (Not `settle`: a live refresh re-arms every interval, so a poll is always pending and
    the exclusive poll worker being waited on may be replaced by the next.)"""
    deadline = time.monotonic() + timeout_s
    while True:
        await pilot.pause(0.2)
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")


def row_of(app: IcboxApp, key: str, selector: str = "DataTable") -> list[str] | None:
    table: DataTable[Any] = app.screen.query_one(selector, DataTable)
    for index, row in enumerate(table.rows):
        if str(row.value) == key:
            return [str(cell) for cell in table.get_row_at(index)]
    return None


def select_row(app: IcboxApp, key: str, selector: str = "DataTable") -> None:
    table: DataTable[Any] = app.screen.query_one(selector, DataTable)
    keys = [str(row.value) for row in table.rows]
    table.move_cursor(row=keys.index(key), animate=False)


def feed(app: IcboxApp, selector: str = "#events") -> str:
    return "\n".join(line.text for line in app.screen.query_one(selector, RichLog).lines)


async def in_dashboard(
    network: LiveNetwork, steps: Callable[[IcboxApp, Pilot[None]], Awaitable[None]]
) -> None:
    backend = OpsBackend(directory=network.directory)
    app = IcboxApp(backend, interval=1.0)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(app, pilot, lambda: app.connection != "connecting", what="the first poll")
            await steps(app, pilot)
    finally:
        backend.close()


@pytest.mark.asyncio
async def test_stake_follow_propose_vote_and_see_the_subnet_halt(
    network: LiveNetwork, story: dict[str, Any]
) -> None:
    subnet = app_subnet(network)

    async def steps(app: IcboxApp, pilot: Pilot[None]) -> None:
        # Neurons: stake 10 ICP with a year of dissolve delay (governance days).
        await pilot.press("3")
        await until(app, pilot, lambda: row_of(app, "1"), what="neuron 1 listed")
        await pilot.press("s")
        await pilot.pause()
        app.screen.query_one("#field-amount", Input).value = "10"
        app.screen.query_one("#field-days", Input).value = "365"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("enter")  # the confirmation
        rows = await until(
            app, pilot, lambda: [r for r in cells(app) if r[0] != "1"], what="the new neuron"
        )
        staked = rows[0][0]
        assert rows[0][1] == "10" and rows[0][2] == "not-dissolving", rows
        # In governance days: a claimed neuron starts with 7 days (INITIAL_NEURON_DISSOLVE_DELAY,
        # rs/nns/governance/src/governance.rs), the 365 typed are added.
        assert rows[0][3].startswith("372d"), rows[0]
        story["neuron"] = int(staked)

        # Follow neuron 1 on governance.
        select_row(app, staked)
        await pilot.press("f")
        await pilot.pause()
        app.screen.query_one("#field-ids", Input).value = "1"
        await pilot.press("ctrl+s")
        await until(
            app, pilot, lambda: "governance: 1" in (row_of(app, staked) or [""])[-1], what="follow"
        )

        # Proposals: halt the application subnet, proposed by the new neuron.
        await pilot.press("2")
        await until(app, pilot, lambda: isinstance(app.screen, ProposalsScreen), what="Proposals")
        await app.run_action("make_kind('update-subnet')", app.screen)
        await pilot.pause()
        app.screen.query_one("#field-neuron", Input).value = staked
        app.screen.query_one("#field-subnet", Input).value = subnet
        app.screen.query_one("#field-halt", Select).value = "halt"
        await pilot.press("ctrl+r")
        await until(app, pilot, lambda: "needs more votes" in text(app, "#preview"), what="preview")
        assert "is_halted" in text(app, "#preview")
        await pilot.press("ctrl+s")
        await until(app, pilot, lambda: isinstance(app.screen, ProposalsScreen), what="submitted")
        made = await until(
            app, pilot, lambda: [r for r in cells(app) if r[1] == "open"], what="the open proposal"
        )
        proposal = made[0][0]

        # Vote Yes with all my neurons: the proposer has voted, neuron 1's ballot adopts it.
        select_row(app, proposal)
        await pilot.press("y")
        await pilot.pause()
        assert f"neurons 1, {staked}" in text(app, "#question")
        await pilot.press("enter")
        executed = await until(
            app,
            pilot,
            lambda: (row := row_of(app, proposal)) and row[1] == "executed" and row,
            what="the proposal executed",
        )
        assert "100.0% yes" in executed[4]

        # Its detail: the registry version the proposal wrote, and what it changed.
        select_row(app, proposal)
        await pilot.press("enter")
        shown = await until(
            app,
            pilot,
            lambda: (
                isinstance(app.screen, ProposalDetailScreen)
                and "registry diff it made" in text(app, "#detail")
                and text(app, "#detail")
            ),
            what="the registry diff the proposal made",
        )
        assert f"subnet {short(subnet)} halted" in shown, shown
        await pilot.press("escape")

        # Network: the subnet is halted, and the event feed says which version did it.
        await pilot.press("1")
        halted = await until(
            app,
            pilot,
            lambda: (row := row_of(app, subnet, "#subnets")) and row[-1] == "halted" and row,
            what="the subnet halted on the Network screen",
        )
        assert halted[1] == "application"
        assert f"subnet {short(subnet)} halted" in feed(app)

    await in_dashboard(network, steps)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_a_vote_in_a_real_terminal_lands_and_the_topology_updates(
    network: LiveNetwork, story: dict[str, Any]
) -> None:
    """`icbox tui` under tmux: the keys a person presses, the screen they read."""
    neuron = story.get("neuron")
    if neuron is None:  # this test run alone: stake the proposing neuron here
        staked = icbox(
            network.directory, "neuron", "stake", "10", "--dissolve-delay", "1y", "--json"
        )
        assert staked.returncode == 0, staked.stderr
        neuron = json.loads(staked.stdout)["neuron_id"]
    subnet = app_subnet(network)
    made = icbox(
        network.directory,
        "proposal",
        "make",
        "update-subnet",
        "--neuron",
        str(neuron),
        "--subnet",
        subnet,
        "--unhalt",
        "--title",
        "Unhalt the application subnet",
        "--yes",
        "--json",
    )
    assert made.returncode == 0, made.stdout + made.stderr
    proposal = json.loads(made.stdout)["proposal_id"]
    command = [sys.executable, "-m", "tui.cli", "--directory", str(network.directory), "tui"]
    environment = {"PYTHONPATH": str(REPOSITORY), "TERM": "xterm-256color"}
    environment.update({k: v for k, v in os.environ.items() if k.startswith("ICBOX_")})
    with terminal(command, cwd=REPOSITORY, env=environment) as window:
        window.wait_for("registry version", timeout_s=WAIT_S)
        window.send("2")
        line = window.wait_for_line(
            lambda line: "Unhalt the application subnet" in line, timeout_s=WAIT_S
        )
        assert line.split()[:2] == [str(proposal), "open"], line
        window.send("y")
        window.wait_for(f"Vote Yes on proposal {proposal}", timeout_s=WAIT_S)
        window.send("Enter")
        # A capture may catch a frame half drawn: wait for the whole row.
        window.wait_for_line(
            lambda line: line.split()[:2] == [str(proposal), "executed"] and "100.0% yes" in line,
            timeout_s=WAIT_S,
        )
        window.send("1")
        screen = window.wait_for(f"subnet {short(subnet)} unhalted", timeout_s=WAIT_S)
        assert "registry version" in screen


@pytest.mark.asyncio
async def test_the_demo_story_runs_while_the_dashboard_shows_each_decision(
    network: LiveNetwork,
) -> None:
    """`icbox demo`'s steps on this network (one-node subnets: the smoke form of the story),
    with the Network screen open: the orchestrators' decisions appear in its feed."""
    said: list[str] = []

    async def steps(app: IcboxApp, pilot: Pilot[None]) -> None:
        story = asyncio.create_task(
            asyncio.to_thread(Story(network.directory, say=said.append).run)
        )
        # Each step has its own time limit (`tui.demo.STEP_TIMEOUT_S`); the story, all of them.
        results = await until(
            app,
            pilot,
            lambda: story.done() and story.result(),
            what="the story",
            timeout_s=len(STEPS) * STEP_TIMEOUT_S,
        )
        assert [result.step for result in results] == list(STEPS)
        created, replaced, upgraded = results
        assert len(created.proposal_ids) == 1 and len(upgraded.proposal_ids) == 2
        joined = [line for line in said if "created on node" in line]
        assert joined, said
        node = joined[0].split("created on node ")[1].split(",")[0]
        subnet = joined[0].split("subnet ")[1].split(" ")[0]
        await until(
            app,
            pilot,
            lambda: f"node {node} joined subnet {subnet}" in feed(app, "#orchestrator"),
            what="the new subnet's node joining, in the orchestrator feed",
        )
        await until(
            app,
            pilot,
            lambda: f"subnet {subnet} created" in feed(app),
            what="the new subnet in the registry feed",
        )
        assert "replaced by" in replaced.text and "runs replica version" in upgraded.text

    await in_dashboard(network, steps)


@pytest.mark.asyncio
async def test_the_network_unreachable_is_a_notification_and_the_dashboard_reconnects(
    network: LiveNetwork,
) -> None:
    """The NNS subnet's only node is killed from the Network screen, then started again."""
    nns_node = str(network.subnet_nodes(0)[0]["node_id"])

    async def steps(app: IcboxApp, pilot: Pilot[None]) -> None:
        shown = recorded_notifications(app)
        await until(app, pilot, lambda: row_of(app, nns_node, "#nodes"), what="the NNS node")
        select_row(app, nns_node, "#nodes")
        await pilot.press("k")
        await pilot.pause()
        await pilot.press("enter")
        await until(app, pilot, lambda: app.connection == "unreachable", what="unreachable")
        assert any("unreachable" in message or "HTTP" in message for message in shown), shown
        for key in ("2", "3", "4", "1"):
            await pilot.press(key)
            await pilot.pause(0.5)
            assert app.is_running
        select_row(app, nns_node, "#nodes")
        await pilot.press("r")
        await until(app, pilot, lambda: app.connection == "connected", what="reconnected")
        await until(
            app,
            pilot,
            lambda: (row := row_of(app, nns_node, "#nodes")) and row[3] == "ok",
            what="the NNS node healthy again",
        )

    await in_dashboard(network, steps)
