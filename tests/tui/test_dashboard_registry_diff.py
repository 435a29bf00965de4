"""The proposal detail view's registry diff, by Pilot: for an executed proposal the version(s) it
wrote and what they changed (`tui.ops.registry_change`), for an open one what adopting it would
change (`tui.ops.preview`, the CLI's dry-run preview). The backend answers the detail as
`tui.ops.dashboard.proposal_detail` does, with the real operations over an in-process
registry whose proposal was executed as governance executes one (its registry method)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from textual.pilot import Pilot

from registry.store import RegistryDelta
from tests.registry.world import RegistryWorld, make_registry
from tests.tui.fake_backend import FakeBackend, proposal
from tests.tui.pilot import SIZE, settle, text
from tests.tui.registry_log import execute, whole_log
from tui.app import IcboxApp
from tui.ops import actions
from tui.ops.actions import ProposalAction
from tui.ops.dashboard import ProposalDetail, short
from tui.ops.preview import preview_registry_call
from tui.ops.registry_change import executed_change
from tui.screens.proposal_detail import ProposalDetailScreen

EXECUTED = 10
OPEN = 11


class RegistryBackend(FakeBackend):
    """The fake backend with two registry proposals: one executed on `world`, one open."""

    def __init__(self, world: RegistryWorld, made: ProposalAction, pending: ProposalAction):
        super().__init__()
        self.world = world
        self.actions = {EXECUTED: made, OPEN: pending}
        self.written = execute(world, made)
        for proposal_id, status in ((EXECUTED, "executed"), (OPEN, "open")):
            self._proposals[proposal_id] = dataclasses.replace(
                proposal(proposal_id, f"Registry proposal {proposal_id}", status=status),
                action="ExecuteNnsFunction",
                topic="subnet-management",
            )

    def proposal_detail(self, proposal_id: int, my_neurons: tuple[int, ...]) -> ProposalDetail:
        detail = super().proposal_detail(proposal_id, my_neurons)
        action = self.actions.get(proposal_id)
        if action is None:
            return detail
        assert action.nns_function is not None and action.payload is not None
        deltas: list[RegistryDelta] = whole_log(self.world)
        client = self.world.client()
        if detail.view.status == "open":
            registry = preview_registry_call(client, deltas, action.nns_function, action.payload)
            return dataclasses.replace(detail, registry=registry)
        executed = executed_change(client, deltas, action.nns_function, action.payload)
        return dataclasses.replace(detail, executed=executed)


@pytest.fixture(scope="module")
def world_and_actions() -> tuple[RegistryWorld, ProposalAction, ProposalAction]:
    world = make_registry(unassigned=2, app_size=1)
    app = world.app_subnet.to_text()
    made = actions.update_subnet(app, is_halted=True)
    pending = actions.elect_replica_version(
        "0.9.7", urls=["http://example.org/p"], sha256_hex="ef" * 32
    )
    return world, made, pending


async def detail_of(app: IcboxApp, pilot: Pilot[None], proposal_id: int) -> str:
    app.push_screen(ProposalDetailScreen(proposal_id, (1, 2)))
    await settle(app, pilot)
    assert isinstance(app.screen, ProposalDetailScreen)
    return text(app, "#detail")


@pytest.mark.asyncio
async def test_the_detail_shows_the_registry_diff_an_executed_proposal_made_and_an_open_one_would(
    world_and_actions: Any,
) -> None:
    world, made, pending = world_and_actions
    backend = RegistryBackend(world, made, pending)
    app = IcboxApp(backend, interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(app, pilot)

        shown = await detail_of(app, pilot, EXECUTED)
        assert f"registry diff it made (registry version {backend.written})" in shown
        assert f"subnet {short(world.app_subnet.to_text())} halted" in shown
        assert "if adopted" not in shown
        await pilot.press("escape")
        await settle(app, pilot)

        shown = await detail_of(app, pilot, OPEN)
        assert "registry diff if adopted" in shown
        assert "replica version 0.9.7 elected" in shown
        assert "it made" not in shown
