"""The Proposals screen by Pilot over the fake backend: tally bars, deadlines with wait-for-quiet,
votes with all or one neuron, the detail view, and every proposal form with its preview."""

from __future__ import annotations

import dataclasses

import pytest
from textual.widgets import Button, Input, SelectionList

from tests.tui.fake_backend import NODES, NOW_S, VOTING_PERIOD_S, FakeBackend, proposal
from tests.tui.pilot import SIZE, cells, recorded_notifications, settle, text
from tui.app import IcboxApp
from tui.dialogs.proposal_form import FORMS, ProposalFormDialog
from tui.ops.dashboard import extension_s
from tui.screens.proposal_detail import ProposalDetailScreen
from tui.screens.proposals import ProposalsScreen, deadline_cell


def test_wait_for_quiet_extension_is_the_deadline_beyond_the_voting_period() -> None:
    view = dataclasses.replace(proposal(1, "x"), deadline_s=NOW_S + VOTING_PERIOD_S)
    assert extension_s(view, VOTING_PERIOD_S) == 0
    assert deadline_cell(view, NOW_S + 40, VOTING_PERIOD_S) == "0h 03m 20s"
    moved = dataclasses.replace(view, deadline_s=NOW_S + VOTING_PERIOD_S + 90)
    assert extension_s(moved, VOTING_PERIOD_S) == 90
    assert deadline_cell(moved, NOW_S + 40, VOTING_PERIOD_S) == "0h 04m 50s (+0h 01m 30s quiet)"
    assert deadline_cell(moved, NOW_S + 9999, VOTING_PERIOD_S).startswith("passed")
    assert deadline_cell(proposal(2, "y", status="executed"), NOW_S, VOTING_PERIOD_S) == "-"
    days = dataclasses.replace(view, deadline_s=NOW_S + 2 * 86_400 + 125)
    assert deadline_cell(days, NOW_S, VOTING_PERIOD_S).startswith("48h 02m (+")


async def open_proposals(app: IcboxApp, pilot: object) -> None:
    await pilot.press("2")  # type: ignore[attr-defined]
    await settle(app, pilot)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_vote_yes_with_all_my_neurons_updates_the_tally() -> None:
    backend = FakeBackend()
    app = IcboxApp(backend, interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await open_proposals(app, pilot)
        rows = cells(app)
        assert [row[:3] for row in rows] == [
            ["2", "executed", "governance"],
            ["1", "open", "governance"],
        ]
        assert "0.0% yes" in rows[1][4]
        await pilot.press("down", "y")
        await pilot.pause()
        assert "Vote Yes on proposal 1 with neurons 1, 2?" in text(app, "#question")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ProposalsScreen)
        assert backend.votes == [(1, 1, True), (1, 2, True)]
        assert "100.0% yes" in cells(app)[1][4]


@pytest.mark.asyncio
async def test_vote_no_with_one_neuron() -> None:
    backend = FakeBackend()
    app = IcboxApp(backend, interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await open_proposals(app, pilot)
        await pilot.press("down", "n")
        await pilot.pause()
        app.screen.query_one(SelectionList).deselect(2)
        await pilot.press("enter")
        await settle(app, pilot)
        assert backend.votes == [(1, 1, False)]
        assert "0.0% yes" in cells(app)[1][4]


@pytest.mark.asyncio
async def test_a_refused_vote_is_a_notification_not_a_crash() -> None:
    backend = FakeBackend()
    backend.votes += [(1, 1, False), (1, 2, False)]
    app = IcboxApp(backend, interval=60)
    shown = recorded_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await open_proposals(app, pilot)
        await pilot.press("down", "n", "enter")
        await settle(app, pilot)
        assert any("already voted" in message for message in shown)
        assert app.is_running


@pytest.mark.asyncio
async def test_a_vote_with_all_my_neurons_skips_those_that_voted_already() -> None:
    backend = FakeBackend()
    backend.votes.append((1, 1, True))
    app = IcboxApp(backend, interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await open_proposals(app, pilot)
        await pilot.press("down", "n", "enter")
        await settle(app, pilot)
        assert backend.votes == [(1, 1, True), (1, 2, False)]


@pytest.mark.asyncio
async def test_cancelled_vote_sends_nothing() -> None:
    backend = FakeBackend()
    app = IcboxApp(backend, interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await open_proposals(app, pilot)
        await pilot.press("y", "escape")
        await settle(app, pilot)
        assert backend.votes == []


@pytest.mark.asyncio
async def test_detail_view_shows_payload_ballots_and_votes() -> None:
    backend = FakeBackend()
    app = IcboxApp(backend, interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await open_proposals(app, pilot)
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ProposalDetailScreen)
        detail = text(app, "#detail")
        assert "#1 Adopt the roadmap" in detail
        assert '"motion_text": "Adopt the roadmap"' in detail
        assert "neuron 1: unspecified" in detail
        await pilot.press("y", "enter")
        await settle(app, pilot)
        assert "neuron 1: yes" in text(app, "#detail")
        assert "neuron 2: yes" in text(app, "#detail")
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, ProposalsScreen)


@pytest.mark.asyncio
async def test_make_a_motion_previews_then_submits() -> None:
    backend = FakeBackend()
    app = IcboxApp(backend, interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await open_proposals(app, pilot)
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("ctrl+s")  # the first kind: motion
        await pilot.pause()
        assert isinstance(app.screen, ProposalFormDialog)
        app.screen.query_one("#field-text", Input).value = "Be excellent"
        assert app.screen.query_one("#submit", Button).disabled
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        preview = text(app, "#preview")
        assert "motion by neuron 1" in preview
        assert "motion_text  Be excellent" in preview
        assert "adopted at once" in preview
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert backend.calls == [("preview", 1, "motion"), ("submit", "motion", "motion proposal")]
        assert isinstance(app.screen, ProposalsScreen)
        assert cells(app)[0][:2] == ["3", "open"]


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", sorted(FORMS))
async def test_every_proposal_form_builds_and_previews(kind: str, tmp_path: object) -> None:
    values = {
        "text": "t",
        "nodes": NODES[2],
        "version": "0.9.1",
        "subnet": "tdb26-jop6k-aogll-7ltgs-eruif-6kk7m-qpktf-gdiqx-mxtrf-vb5e6-eqe",
        "add": NODES[2] if kind != "data-centers" else "zh1:Europe:owner",
        "remove": "",
        "dkg": "20",
        "unit_delay": "",
        "sha256": "ab" * 32,
        "urls": "http://example.org/p.tar.zst",
        "versions": "0.8.0",
        "operator": "2vxsx-fae",
        "provider": "rrkah-fqaaa-aaaaa-aaaaq-cai",
        "dc": "zh1",
        "allowance": "1",
        "canister": "rrkah-fqaaa-aaaaa-aaaaq-cai",
        "wasm": __file__,
        "arg": "",
        "known": "1",
        "name": "alpha",
        "description": "",
    }
    backend = FakeBackend()
    app = IcboxApp(backend, interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await open_proposals(app, pilot)
        await app.run_action(f"make_kind('{kind}')", app.screen)
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ProposalFormDialog)
        for field in FORMS[kind].fields:
            if field.choices:
                continue
            dialog.query_one(f"#field-{field.name}", Input).value = values[field.name]
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert backend.calls == [("preview", 1, kind)], text(app, "#preview")
        assert f"{kind} by neuron 1" in text(app, "#preview")
        assert not dialog.query_one("#submit", Button).disabled


@pytest.mark.asyncio
async def test_a_form_that_does_not_build_is_a_notification() -> None:
    backend = FakeBackend()
    app = IcboxApp(backend, interval=60)
    shown = recorded_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await open_proposals(app, pilot)
        await app.run_action("make_kind('update-subnet')", app.screen)
        await pilot.pause()
        app.screen.query_one("#field-subnet", Input).value = "not a principal"
        await pilot.press("ctrl+r", "ctrl+s")
        await settle(app, pilot)
        assert any("is not a principal" in message for message in shown)
        assert any("preview the proposal first" in message for message in shown)
        assert backend.calls == []
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, ProposalsScreen)
