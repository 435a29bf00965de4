"""The execution engine: statuses, replies and rejects, traps, calls, cycles, checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from replica.candid import decode, encode
from replica.candid.types import Nat
from replica.canister.errors import CallRejected
from replica.environment import ErrorCode, RejectCode
from replica.execution.engine import (
    DEFAULT_CANISTER_CYCLES,
    MANAGEMENT_CANISTER_ID,
    ExecutionEngine,
)
from replica.execution.harness import SubnetHarness
from replica.execution.management import CANISTER_ID_RECORD, CREATE_CANISTER_ARGS, INSTALL_CODE_ARGS
from replica.execution.messages import Status
from replica.execution.wasm.pending import ManagementCall
from replica.types import Principal
from tests.replica.execution.toys import FACTORIES, Counter

ALICE = Principal.self_authenticating(b"alice")
ROOT = Principal.from_canister_id(3)


def make(
    tmp_path: Path, name: str = "s", **options: object
) -> tuple[SubnetHarness, Principal, Principal]:
    harness = SubnetHarness(tmp_path / name, FACTORIES, system_installers=[ROOT], **options)  # type: ignore[arg-type]
    counter = harness.engine.create_canister([ALICE, ROOT])
    harness.engine.install(counter, "counter", None)
    relay = harness.engine.create_canister([ALICE, ROOT])
    harness.engine.install(relay, "relay", None)
    return harness, counter, relay


def test_ingress_goes_from_received_to_replied(tmp_path: Path) -> None:
    harness, counter, _ = make(tmp_path)
    message = harness.submit(ALICE, counter, "add", encode([Nat], [5]))
    assert harness.status(message) is None
    result = harness.run_round()
    status = harness.status(message)
    assert status is not None and status.status == Status.REPLIED
    assert decode(status.reply or b"", [Nat]) == [5]
    assert message in result.completed
    assert harness.query(ALICE, counter, "get") == [5]
    assert harness.query(ALICE, counter, "whoami") == [ALICE]
    assert harness.engine.canisters[counter].certified_data == (5).to_bytes(8, "big")
    # pruned five minutes after it was answered (MAX_INGRESS_TTL), see test_ingress_history.py
    harness.advance(400)
    harness.run_round()
    assert harness.status(message) is None


def test_rejects_carry_the_right_codes(tmp_path: Path) -> None:
    harness, counter, _ = make(tmp_path)
    cases = [
        (Principal.from_canister_id(77), "add", encode([Nat], [1]), ErrorCode.CANISTER_NOT_FOUND),
        (counter, "nope", encode([Nat], [1]), ErrorCode.CANISTER_METHOD_NOT_FOUND),
        (counter, "get", b"DIDL\x00\x00", ErrorCode.CANISTER_METHOD_NOT_FOUND),
        (counter, "add", b"not candid", ErrorCode.CANISTER_CALLED_TRAP),
        (counter, "refuse", encode([Nat], [3]), ErrorCode.CANISTER_REJECTED_MESSAGE),
        (counter, "add_then_trap", encode([Nat], [3]), ErrorCode.CANISTER_CALLED_TRAP),
    ]
    for canister, method, arg, error_code in cases:
        with pytest.raises(CallRejected) as rejected:
            harness.update(ALICE, canister, method, arg)
        reject = rejected.value.reject
        assert (reject.code, reject.error_code) == (error_code.reject_code, error_code), (
            method,
            reject,
        )
    assert [
        code.reject_code
        for code in (ErrorCode.CANISTER_NOT_FOUND, ErrorCode.CANISTER_REJECTED_MESSAGE)
    ] == [
        RejectCode.DESTINATION_INVALID,
        RejectCode.CANISTER_REJECT,
    ]
    assert harness.engine.call_contexts == {}  # a refused message closes its call context


def test_a_trap_leaves_no_trace(tmp_path: Path) -> None:
    harness, counter, _ = make(tmp_path)
    harness.call(ALICE, counter, "add", 2)
    store = harness.engine.canisters[counter].store
    assert store is not None
    before = store.state_hash()
    with pytest.raises(CallRejected, match="boom"):
        harness.call(ALICE, counter, "add_then_trap", 40)
    assert store.state_hash() == before
    assert harness.engine.canisters[counter].certified_data == (2).to_bytes(8, "big")
    assert harness.query(ALICE, counter, "get") == [2]
    # its outgoing call was never sent: no call context waits, no message is queued
    assert harness.engine.call_contexts == {}
    assert all(not queue for queue in harness.engine.queues.values())


def test_calls_between_canisters_answer_from_the_callback(tmp_path: Path) -> None:
    harness, counter, relay = make(tmp_path)
    assert harness.call(ALICE, relay, "relay", counter, 7) == ["added 7, now 7"]
    assert harness.call(ALICE, relay, "relay", Principal.from_canister_id(99), 1)[0].startswith(
        "refused:"
    )
    random = harness.call(ALICE, relay, "random", counter)[0]
    assert len(bytes.fromhex(random)) == 32


def test_time_is_the_batch_time(tmp_path: Path) -> None:
    harness, counter, _ = make(tmp_path)
    harness.advance(10)
    (now,) = harness.call(ALICE, counter, "now")
    assert now == harness.time_ns


def test_heartbeat_runs_every_round(tmp_path: Path) -> None:
    harness, _, _ = make(tmp_path)
    ticker = harness.engine.create_canister([ALICE])
    harness.engine.install(ticker, "ticker", None)
    for _ in range(3):
        harness.run_round()
    assert harness.query(ALICE, ticker, "ticks") == [3]


def test_instruction_budget_carries_messages_to_the_next_round(tmp_path: Path) -> None:
    harness, counter, _ = make(tmp_path, instruction_limit_per_round=1_000_000)
    messages = [harness.submit(ALICE, counter, "add", encode([Nat], [1])) for _ in range(12)]
    first = harness.run_round()
    assert 0 < len(first.completed) < 12
    for _ in range(5):
        harness.run_round()
    assert all(harness.status(m).status == Status.REPLIED for m in messages)  # type: ignore[union-attr]
    assert harness.query(ALICE, counter, "get") == [12]


def test_cycles_are_charged_on_application_subnets_only(tmp_path: Path) -> None:
    system, counter, _ = make(tmp_path, "system")
    system.call(ALICE, counter, "add", 1)
    assert system.engine.canisters[counter].cycles == DEFAULT_CANISTER_CYCLES
    application, app_counter, _ = make(tmp_path, "app", subnet_type="application")
    application.call(ALICE, app_counter, "add", 1)
    assert application.engine.canisters[app_counter].cycles < DEFAULT_CANISTER_CYCLES
    application.engine.canisters[app_counter].cycles = 10
    with pytest.raises(CallRejected, match="out of cycles"):
        application.call(ALICE, app_counter, "add", 1)


def test_management_canister_flows(tmp_path: Path) -> None:
    harness, counter, _ = make(tmp_path)
    management = Principal.management_canister()
    created = decode(
        harness.update(
            ROOT,
            management,
            "create_canister",
            encode([CREATE_CANISTER_ARGS], [{"settings": None}]),
        ),
        [CANISTER_ID_RECORD],
    )
    new_id = created[0]["canister_id"]
    install = {
        "mode": {"install": None},
        "canister_id": new_id,
        "wasm_module": b"icbox:counter",
        "arg": encode([], []),
    }
    with pytest.raises(CallRejected, match="only NNS root"):
        harness.update(
            ALICE,
            management,
            "install_code",
            encode([INSTALL_CODE_ARGS], [{**install, "canister_id": counter}]),
        )
    harness.update(ROOT, management, "install_code", encode([INSTALL_CODE_ARGS], [install]))
    assert harness.call(ALICE, new_id, "add", 4) == [4]
    with pytest.raises(CallRejected, match="controllers"):
        harness.update(
            ALICE,
            management,
            "stop_canister",
            encode([CANISTER_ID_RECORD], [{"canister_id": new_id}]),
        )
    harness.update(
        ROOT, management, "stop_canister", encode([CANISTER_ID_RECORD], [{"canister_id": new_id}])
    )
    with pytest.raises(CallRejected, match="stopped"):
        harness.call(ALICE, new_id, "add", 1)
    harness.update(
        ROOT, management, "start_canister", encode([CANISTER_ID_RECORD], [{"canister_id": new_id}])
    )
    upgrade = {**install, "mode": {"upgrade": None}}
    harness.update(ROOT, management, "install_code", encode([INSTALL_CODE_ARGS], [upgrade]))
    assert harness.query(ALICE, new_id, "get") == [4]
    instance = harness.engine.canisters[new_id].instance
    assert isinstance(instance, Counter) and instance.upgrades == 1
    reinstall = {**install, "mode": {"reinstall": None}}
    harness.update(ROOT, management, "install_code", encode([INSTALL_CODE_ARGS], [reinstall]))
    assert harness.query(ALICE, new_id, "get") == [0]


def test_two_engines_fed_the_same_batches_agree(tmp_path: Path) -> None:
    hashes = []
    for name in ("one", "two"):
        harness, counter, relay = make(tmp_path, name)
        harness.call(ALICE, counter, "add", 3)
        harness.call(ALICE, relay, "relay", counter, 4)
        hashes.append(harness.engine.state_hash())
    assert hashes[0] == hashes[1]


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    harness, counter, _ = make(tmp_path)
    harness.call(ALICE, counter, "add", 9)
    harness.engine.write_checkpoint(tmp_path / "checkpoint")
    restored = ExecutionEngine.from_checkpoint(
        tmp_path / "checkpoint",
        state_dir=tmp_path / "restored",
        subnet_id=harness.engine.subnet_id,
        factories=FACTORIES,
        system_installers=[ROOT],
    )
    assert restored.state_hash() == harness.engine.state_hash()
    answer = restored.query(counter, "get", encode([], []), ALICE)
    assert isinstance(answer, bytes) and decode(answer, [Nat]) == [9]


def test_expired_ingress_is_not_inducted(tmp_path: Path) -> None:
    harness, counter, _ = make(tmp_path)
    message = harness.submit(ALICE, counter, "add", encode([Nat], [1]), expiry_seconds=0)
    harness.advance(5)
    harness.run_round()
    assert harness.status(message) is None


def test_held_names_every_canister_busy_holds(tmp_path: Path) -> None:
    """The scheduler asks once per pass which canisters are held (`held`) instead of asking
    `busy` of each queue: the two agree for paused executions, aborted tasks and waiting
    management calls."""
    harness, counter, relay = make(tmp_path)
    wasm = harness.engine.wasm
    others = [Principal.from_canister_id(n) for n in range(20, 25)]
    everyone = [counter, relay, *others, MANAGEMENT_CANISTER_ID]

    def agree() -> None:
        assert wasm.held() == {c for c in everyone if wasm.busy(c)}

    agree()
    wasm.state(others[0]).aborted_task = "canister_heartbeat"
    wasm.state(others[1]).paused = cast(Any, object())  # busy asks only whether one is there
    wasm.state(others[2])  # a state with nothing held
    wasm.waiting.append(ManagementCall(method="stop_canister", caller=ALICE, argument={}))
    wasm.waiting.append(
        ManagementCall(method="start_canister", caller=ALICE, argument={"canister_id": others[3]})
    )
    wasm.waiting.append(
        ManagementCall(
            method="install_chunked_code", caller=ALICE, argument={"target_canister": counter}
        )
    )
    agree()
    assert wasm.held() == {others[0], others[1], others[3], counter}
