"""NNS root's methods for governance and for everyone (rs/nns/handlers/root/impl/canister/root.did):
canister_status, update_canister_settings, stop_or_start_nns_canister,
change_canister_controllers."""

from __future__ import annotations

from pathlib import Path

import pytest

from replica.canister.errors import CallRejected
from replica.canister.nns_ids import (
    CYCLES_MINTING_CANISTER_ID,
    GOVERNANCE_CANISTER_ID,
    LEDGER_CANISTER_ID,
    ROOT_CANISTER_ID,
)
from tests.nns.test_nns_on_a_subnet import ALICE, make_nns


def test_anyone_reads_an_nns_canisters_status_through_root(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    (status,) = harness.call(
        ALICE, ROOT_CANISTER_ID, "canister_status", {"canister_id": LEDGER_CANISTER_ID}
    )
    record = harness.engine.canisters[LEDGER_CANISTER_ID]
    assert status["status"] == {"running": None}
    assert status["settings"]["controllers"] == [ROOT_CANISTER_ID]
    assert status["module_hash"] == record.module_hash and status["cycles"] == record.cycles


def test_governance_stops_and_starts_an_nns_canister(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    with pytest.raises(CallRejected, match="only NNS governance"):
        harness.call(
            ALICE,
            ROOT_CANISTER_ID,
            "stop_or_start_nns_canister",
            {"action": {"Stop": None}, "canister_id": CYCLES_MINTING_CANISTER_ID},
        )
    harness.call(
        GOVERNANCE_CANISTER_ID,
        ROOT_CANISTER_ID,
        "stop_or_start_nns_canister",
        {"action": {"Stop": None}, "canister_id": CYCLES_MINTING_CANISTER_ID},
    )
    assert harness.engine.canisters[CYCLES_MINTING_CANISTER_ID].status == "stopped"
    harness.call(
        GOVERNANCE_CANISTER_ID,
        ROOT_CANISTER_ID,
        "stop_or_start_nns_canister",
        {"action": {"Start": None}, "canister_id": CYCLES_MINTING_CANISTER_ID},
    )
    assert harness.engine.canisters[CYCLES_MINTING_CANISTER_ID].status == "running"


def test_governance_updates_settings_and_unsupported_settings_are_refused(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    settings = {
        "freezing_threshold": None,
        "controllers": [ROOT_CANISTER_ID, ALICE],
        "reserved_cycles_limit": None,
        "log_visibility": None,
        "wasm_memory_limit": None,
        "memory_allocation": None,
        "compute_allocation": None,
        "wasm_memory_threshold": None,
    }
    request = {"canister_id": CYCLES_MINTING_CANISTER_ID, "settings": settings}
    assert harness.call(
        GOVERNANCE_CANISTER_ID, ROOT_CANISTER_ID, "update_canister_settings", request
    ) == [{"Ok": None}]
    assert harness.engine.canisters[CYCLES_MINTING_CANISTER_ID].controllers == (
        ROOT_CANISTER_ID,
        ALICE,
    )
    (refused,) = harness.call(
        GOVERNANCE_CANISTER_ID,
        ROOT_CANISTER_ID,
        "update_canister_settings",
        dict(request, settings=dict(settings, freezing_threshold=100)),
    )
    assert "freezing_threshold" in refused["Err"]["description"]
    with pytest.raises(CallRejected, match="only NNS governance"):
        harness.call(ALICE, ROOT_CANISTER_ID, "update_canister_settings", request)


def test_only_sns_w_changes_controllers_through_root(tmp_path: Path) -> None:
    harness = make_nns(tmp_path)
    (reply,) = harness.call(
        ALICE,
        ROOT_CANISTER_ID,
        "change_canister_controllers",
        {"target_canister_id": LEDGER_CANISTER_ID, "new_controllers": [ALICE]},
    )
    assert (
        "only the SNS-W canister"
        in reply["change_canister_controllers_result"]["Err"]["description"]
    )
    assert harness.engine.canisters[LEDGER_CANISTER_ID].controllers == (ROOT_CANISTER_ID,)
