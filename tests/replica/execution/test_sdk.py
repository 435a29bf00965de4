"""What a canister written on the SDK sees: its init argument, certified data, cycles, and the
request statuses of the interface spec along the way."""

from __future__ import annotations

from pathlib import Path

import pytest

from replica.candid import encode
from replica.candid.types import Nat, PrincipalType, Text
from replica.canister.errors import CallRejected
from replica.execution.engine import DEFAULT_CANISTER_CYCLES, INSTRUCTIONS_PER_MESSAGE
from replica.execution.harness import SubnetHarness
from replica.execution.management import (
    CANISTER_ID_RECORD,
    CANISTER_STATUS_RESULT,
    CREATE_CANISTER_ARGS,
    INSTALL_CODE_ARGS,
    UPDATE_SETTINGS_ARGS,
)
from replica.execution.messages import Status
from replica.types import Principal
from tests.replica.execution.test_engine import ALICE, ROOT, make

MANAGEMENT = Principal.management_canister()


def install_greeter(harness: SubnetHarness, greeting: str) -> Principal:
    from replica.candid import decode

    created = harness.update(
        ROOT, MANAGEMENT, "create_canister", encode([CREATE_CANISTER_ARGS], [{"settings": None}])
    )
    (record,) = decode(created, [CANISTER_ID_RECORD])
    install = {
        "mode": {"install": None},
        "canister_id": record["canister_id"],
        "wasm_module": b"icbox:greeter",
        "arg": encode([Text], [greeting]),
    }
    harness.update(ROOT, MANAGEMENT, "install_code", encode([INSTALL_CODE_ARGS], [install]))
    canister_id: Principal = record["canister_id"]
    return canister_id


def test_the_init_hook_receives_the_install_argument(tmp_path: Path) -> None:
    harness, _, _ = make(tmp_path)
    greeter = install_greeter(harness, "hello")
    assert harness.query(ALICE, greeter, "greeting_text") == ["hello"]


def test_certified_data_has_at_most_32_bytes(tmp_path: Path) -> None:
    harness, _, _ = make(tmp_path)
    greeter = install_greeter(harness, "")
    harness.call(ALICE, greeter, "certify", b"\x01" * 32)
    assert harness.engine.canisters[greeter].certified_data == b"\x01" * 32
    with pytest.raises(CallRejected, match="at most 32 bytes"):
        harness.call(ALICE, greeter, "certify", b"\x02" * 33)
    assert harness.engine.canisters[greeter].certified_data == b"\x01" * 32


def test_attached_cycles_are_accepted_in_part_and_the_rest_refunded(tmp_path: Path) -> None:
    harness, _, _ = make(tmp_path)
    payer, payee = install_greeter(harness, "payer"), install_greeter(harness, "payee")
    assert harness.call(ALICE, payer, "pay", payee, 1_000) == [500]
    assert (
        harness.engine.canisters[payer].cycles == DEFAULT_CANISTER_CYCLES - 500
    )  # a system subnet charges nothing
    assert harness.engine.canisters[payee].cycles == DEFAULT_CANISTER_CYCLES + 500


def test_canister_status_and_update_settings(tmp_path: Path) -> None:
    from replica.candid import decode

    harness, counter, _ = make(tmp_path)
    (status,) = decode(
        harness.update(
            ROOT,
            MANAGEMENT,
            "canister_status",
            encode([CANISTER_ID_RECORD], [{"canister_id": counter}]),
        ),
        [CANISTER_STATUS_RESULT],
    )
    assert status["status"] == {"running": None} and set(status["settings"]["controllers"]) == {
        ALICE,
        ROOT,
    }
    assert status["module_hash"] is not None
    bob = Principal.self_authenticating(b"bob")
    settings = {"canister_id": counter, "settings": {"controllers": [bob]}}
    harness.update(ALICE, MANAGEMENT, "update_settings", encode([UPDATE_SETTINGS_ARGS], [settings]))
    assert harness.engine.canisters[counter].controllers == (bob,)
    with pytest.raises(CallRejected, match="controllers"):
        harness.update(
            ALICE, MANAGEMENT, "update_settings", encode([UPDATE_SETTINGS_ARGS], [settings])
        )


def test_request_statuses_received_processing_replied_then_pruned(tmp_path: Path) -> None:
    """One message per round: a relay waits in `processing` while its call is answered."""
    harness, counter, relay = make(tmp_path, instruction_limit_per_round=INSTRUCTIONS_PER_MESSAGE)
    first = harness.submit(ALICE, relay, "relay", encode([PrincipalType, Nat], [counter, 2]))
    second = harness.submit(ALICE, counter, "add", encode([Nat], [1]))
    seen = {first: [], second: []}  # type: dict[bytes, list[Status]]
    for _ in range(6):
        harness.run_round()
        for message, statuses in seen.items():
            status = harness.status(message)
            assert status is not None
            if not statuses or statuses[-1] != status.status:
                statuses.append(status.status)
    assert seen[first] == [Status.PROCESSING, Status.REPLIED]
    assert seen[second] == [Status.RECEIVED, Status.REPLIED]
    harness.advance(400)
    harness.run_round()
    assert harness.status(first) is None
