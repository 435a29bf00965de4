"""One message is one atomic outcome: every failure inside it is its reject, and nothing escapes a
round.

Each test drives one path by which a message can fail after doing work, and
checks the four parts of the outcome: the round completes, the message is
rejected with the IC's reject and error codes, its writes and certified data
are gone, and its calls were never sent (no cycles left the canister).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from replica.candid import encode
from replica.candid.types import Nat, PrincipalType, Text
from replica.canister.errors import CallRejected, SystemReject
from replica.environment import ErrorCode, RejectCode
from replica.execution.canisters import InstallMode
from replica.execution.harness import SubnetHarness
from replica.execution.management import INSTALL_CODE_ARGS
from replica.execution.messages import Status
from replica.types import Principal
from tests.replica.execution.toys import FACTORIES

ALICE = Principal.self_authenticating(b"alice")
ROOT = Principal.from_canister_id(3)
MANAGEMENT = Principal.management_canister()


def world(tmp_path: Path, **options: object) -> tuple[SubnetHarness, Principal, Principal]:
    harness = SubnetHarness(tmp_path / "subnet", FACTORIES, system_installers=[ROOT], **options)  # type: ignore[arg-type]
    payer = harness.engine.create_canister([ALICE, ROOT], cycles=1_000)
    harness.engine.install(payer, "payer", None)
    greeter = harness.engine.create_canister([ALICE, ROOT], cycles=0)
    harness.engine.install(greeter, "greeter", "hello")
    return harness, payer, greeter


def rejected(
    harness: SubnetHarness,
    canister: Principal,
    method: str,
    arg: bytes,
    error_code: ErrorCode,
    sender: Principal = ALICE,
) -> str:
    """Run one message to its end; it must be rejected with `error_code`; returns the message."""
    message_id = harness.submit(sender, canister, method, arg)
    status = harness.await_status(message_id)
    assert status.status is Status.REJECTED and status.reject is not None, status
    assert (status.reject.code, status.reject.error_code) == (error_code.reject_code, error_code), (
        status.reject
    )
    return status.reject.message


def store_hash(harness: SubnetHarness, canister: Principal) -> bytes:
    store = harness.engine.canisters[canister].store
    assert store is not None
    return store.state_hash()


def test_calls_attaching_more_cycles_than_the_canister_holds_reject_the_message(
    tmp_path: Path,
) -> None:
    harness, payer, greeter = world(tmp_path)
    assert harness.call(ALICE, payer, "pay", greeter, 600) == [
        300
    ]  # the greeter accepts half, half comes back
    assert harness.engine.canisters[payer].cycles == 700
    before, certified = store_hash(harness, payer), harness.engine.canisters[payer].certified_data
    message = rejected(
        harness,
        payer,
        "pay",
        encode([PrincipalType, Nat], [greeter, 701]),
        ErrorCode.INSUFFICIENT_CYCLES_IN_CALL,
    )
    assert "701" in message and "700" in message
    assert store_hash(harness, payer) == before  # the payment count it wrote is rolled back
    assert harness.engine.canisters[payer].certified_data == certified
    assert harness.engine.canisters[payer].cycles == 700
    assert harness.engine.call_contexts == {} and all(
        not queue for queue in harness.engine.queues.values()
    )
    assert harness.call(ALICE, payer, "pay", greeter, 700) == [350]  # the canister still works


def test_a_reply_that_does_not_fit_its_type_rolls_the_message_back(tmp_path: Path) -> None:
    harness, payer, _ = world(tmp_path)
    before = store_hash(harness, payer)
    message = rejected(
        harness, payer, "bad_reply", encode([Nat], [5]), ErrorCode.CANISTER_CONTRACT_VIOLATION
    )
    assert "does not fit its type" in message
    assert store_hash(harness, payer) == before
    assert harness.query(ALICE, payer, "get") == [0]


def test_a_call_naming_a_callback_that_is_not_a_method_is_never_sent(tmp_path: Path) -> None:
    harness, payer, greeter = world(tmp_path)
    rejected(
        harness,
        payer,
        "call_nowhere",
        encode([PrincipalType], [greeter]),
        ErrorCode.CANISTER_CONTRACT_VIOLATION,
    )
    assert harness.query(ALICE, payer, "get") == [0]
    assert all(not queue for queue in harness.engine.queues.values())


@pytest.mark.parametrize(
    ("kind", "error_code"),
    [
        ("argument", ErrorCode.CANISTER_CALLED_TRAP),
        ("cycles", ErrorCode.CANISTER_CONTRACT_VIOLATION),
    ],
)
def test_a_call_the_engine_cannot_keep_is_never_sent(
    tmp_path: Path, kind: str, error_code: ErrorCode
) -> None:
    harness, payer, greeter = world(tmp_path)
    rejected(harness, payer, "odd_call", encode([PrincipalType, Text], [greeter, kind]), error_code)
    assert harness.query(ALICE, payer, "get") == [0]
    assert harness.engine.canisters[payer].cycles == 1_000
    assert all(not queue for queue in harness.engine.queues.values())


def test_a_trapping_callback_rejects_the_original_message_and_keeps_only_the_first_part(
    tmp_path: Path,
) -> None:
    harness, payer, _ = world(tmp_path)
    counter = harness.engine.create_canister([ALICE])
    harness.engine.install(counter, "counter", None)
    message = rejected(
        harness,
        payer,
        "trap_in_callback",
        encode([PrincipalType], [counter]),
        ErrorCode.CANISTER_CALLED_TRAP,
    )
    assert "ZeroDivisionError" in message
    # the first message committed before its call was answered (as on the IC); the callback's +100
    # did not
    assert harness.query(ALICE, payer, "get") == [1]
    assert harness.query(ALICE, counter, "get") == [1]
    assert harness.engine.call_contexts == {}


def test_a_malformed_argument_to_the_management_canister_is_answered_with_a_reject(
    tmp_path: Path,
) -> None:
    harness, payer, _ = world(tmp_path)
    for method, expected in [
        ("canister_status", ErrorCode.INVALID_MANAGEMENT_PAYLOAD),
        ("install_code", ErrorCode.INVALID_MANAGEMENT_PAYLOAD),
        ("no_such_method", ErrorCode.UNKNOWN_MANAGEMENT_MESSAGE),
    ]:
        (answer,) = harness.call(ALICE, payer, "manage", method)
        assert answer.startswith(f"{expected.reject_code.name} {expected.text}"), answer


def test_a_trapping_heartbeat_leaves_no_trace_and_the_round_completes(tmp_path: Path) -> None:
    harness, _, _ = world(tmp_path)
    thumper = harness.engine.create_canister([ALICE])
    harness.engine.install(thumper, "thumper", None)
    for _ in range(4):
        harness.run_round()
    assert harness.query(ALICE, thumper, "beats") == [
        1
    ]  # every second beat traps and rolls back to 1
    assert harness.engine.call_contexts == {}


def install_argument(canister: Principal, mode: str, argument: str) -> bytes:
    mode_value = {"upgrade": None} if mode == "upgrade" else {mode: None}
    return encode(
        [INSTALL_CODE_ARGS],
        [
            {
                "mode": mode_value,
                "canister_id": canister,
                "wasm_module": b"icbox:fragile",
                "arg": encode([Text], [argument]),
            }
        ],
    )


def test_an_init_hook_that_traps_leaves_the_canister_empty(tmp_path: Path) -> None:
    harness, _, _ = world(tmp_path)
    canister = harness.engine.create_canister([ROOT])
    message = rejected(
        harness,
        MANAGEMENT,
        "install_code",
        install_argument(canister, "install", "trap"),
        ErrorCode.CANISTER_CALLED_TRAP,
        ROOT,
    )
    assert "ZeroDivisionError: init trapped" in message and "nothing changed" in message
    record = harness.engine.canisters[canister]
    assert record.instance is None and record.store is None and record.module_hash is None
    assert not list(
        (tmp_path / "subnet" / "canisters").glob(f"{canister.to_text()}*")
    )  # its database is gone
    harness.update(ROOT, MANAGEMENT, "install_code", install_argument(canister, "install", "fine"))
    assert harness.query(ALICE, canister, "get") == [0]


def test_a_reinstall_whose_init_traps_keeps_the_old_code_and_state(tmp_path: Path) -> None:
    harness, _, _ = world(tmp_path)
    canister = harness.engine.create_canister([ROOT])
    harness.update(ROOT, MANAGEMENT, "install_code", install_argument(canister, "install", "fine"))
    harness.call(ALICE, canister, "add", 7)
    instance, before = harness.engine.canisters[canister].instance, store_hash(harness, canister)
    rejected(
        harness,
        MANAGEMENT,
        "install_code",
        install_argument(canister, "reinstall", "trap"),
        ErrorCode.CANISTER_CALLED_TRAP,
        ROOT,
    )
    assert harness.engine.canisters[canister].instance is instance
    assert store_hash(harness, canister) == before
    assert harness.call(ALICE, canister, "add", 1) == [8]


def test_an_upgrade_whose_post_upgrade_traps_undoes_pre_upgrade(tmp_path: Path) -> None:
    harness, _, _ = world(tmp_path)
    canister = harness.engine.create_canister([ROOT])
    harness.update(ROOT, MANAGEMENT, "install_code", install_argument(canister, "install", "fine"))
    harness.call(ALICE, canister, "add", 3)
    before = store_hash(harness, canister)
    message = rejected(
        harness,
        MANAGEMENT,
        "install_code",
        install_argument(canister, "upgrade", "trap"),
        ErrorCode.CANISTER_CALLED_TRAP,
        ROOT,
    )
    assert "KeyError" in message
    assert store_hash(harness, canister) == before  # the pre_upgrade hook's write is undone
    assert harness.query(ALICE, canister, "upgrades_seen") == [0]
    harness.update(ROOT, MANAGEMENT, "install_code", install_argument(canister, "upgrade", "fine"))
    assert harness.query(ALICE, canister, "upgrades_seen") == [1]
    assert harness.query(ALICE, canister, "get") == [3]


def test_an_install_hook_that_traps_inside_a_canister_call_answers_the_caller(
    tmp_path: Path,
) -> None:
    """The engine's own `install` refuses with a typed error; genesis code sees it too."""
    harness, _, _ = world(tmp_path)
    canister = harness.engine.create_canister([ROOT])
    with pytest.raises(SystemReject) as refused:
        harness.engine.install(canister, "fragile", "trap", mode=InstallMode.INSTALL)
    assert refused.value.to_reject().code == RejectCode.CANISTER_ERROR
    with pytest.raises(SystemReject, match="has no code to upgrade"):
        harness.engine.install(canister, "fragile", "fine", mode=InstallMode.UPGRADE)
    harness.engine.install(canister, "fragile", "fine")
    with pytest.raises(SystemReject) as twice:
        harness.engine.install(canister, "fragile", "fine")
    assert twice.value.error_code is ErrorCode.CANISTER_NON_EMPTY


def test_an_ingress_message_rejected_carries_its_error_code_into_the_certified_state(
    tmp_path: Path,
) -> None:
    harness, payer, _ = world(tmp_path)
    message_id = harness.submit(ALICE, payer, "bad_reply", encode([Nat], [1]))
    harness.await_status(message_id)
    entry = harness.engine.certified_state()["request_status"][message_id]
    assert entry["status"] == "rejected" and entry["reject_code"] == int(RejectCode.CANISTER_ERROR)
    assert entry["error_code"] == "IC0504"


def test_a_rejected_call_between_canisters_refunds_its_cycles(tmp_path: Path) -> None:
    harness, payer, _ = world(tmp_path)
    nowhere = Principal.from_canister_id(999)
    (code,) = harness.call(ALICE, payer, "pay", nowhere, 400)
    assert code == int(RejectCode.DESTINATION_INVALID)
    assert harness.engine.canisters[payer].cycles == 1_000
    with pytest.raises(CallRejected) as too_much:
        harness.call(ALICE, payer, "pay", nowhere, 1_001)
    assert too_much.value.reject.error_code is ErrorCode.INSUFFICIENT_CYCLES_IN_CALL
