"""Limits, cycles and time slicing: malicious modules, the cost schedule, frozen canisters, long
messages."""

from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime

from replica.canister.errors import CallRejected
from replica.environment import RejectCode
from replica.execution.messages import Status
from replica.execution.wasm.costs import CostSchedule
from tests.replica.execution.wasm.helpers import ALICE, TARGETS, deploy, fixture, subnet, u64


@pytest.mark.parametrize("target", TARGETS)
def test_malicious_messages_are_stopped_and_other_canisters_keep_running(
    tmp_path: Path, target: str
) -> None:
    harness, ops = subnet(tmp_path)
    harness.engine.wasm.message_limit = 50_000_000
    bad = deploy(ops, fixture(f"c_canister_{target}.wasm"), wasm_memory_limit=256 * 1024 * 1024)
    good = deploy(ops, fixture(f"c_counter_{target}.wasm"))
    expectations = {
        "infinite": "exceeded the limit of 50000000 instructions",
        "memory_bomb": "memory exhausted",
        "deep_recursion": "Canister trapped",
    }
    for method, text in expectations.items():
        message = harness.submit(ALICE, bad, method, b"")
        other = harness.submit(ALICE, good, "inc", b"DIDL\x00\x00")
        status = harness.await_status(message)
        assert status.status == Status.REJECTED and status.reject is not None
        assert status.reject.code == RejectCode.CANISTER_ERROR and text in status.reject.message, (
            status.reject.message
        )
        assert harness.await_status(other).status == Status.REPLIED
    assert (
        u64(ops.call(bad, "stable_bomb")) == (1 << 64) - 1
    )  # stable64_grow past the limit answers -1
    assert u64(ops.query(bad, "state")) == 0  # nothing of the stopped messages stayed


def test_a_huge_table_and_an_invalid_module_are_refused_at_install(tmp_path: Path) -> None:
    _, ops = subnet(tmp_path)
    huge_table = bytes(wasmtime.wat2wasm("(module (table 10000000 funcref))"))
    canister = ops.create()
    with pytest.raises(CallRejected, match="not valid"):
        ops.install(canister, huge_table)
    with pytest.raises(CallRejected, match="not valid"):
        ops.install(canister, b"\x00asm\x01\x00\x00\x00\x0a\x02\x01\x00")
    ops.install(
        canister, fixture("c_counter_wasm32.wasm")
    )  # the canister is still empty and usable


def test_updates_pay_the_application_subnet_schedule(tmp_path: Path) -> None:
    harness, ops = subnet(tmp_path)
    canister = deploy(ops, fixture("c_canister_wasm32.wasm"))
    record = harness.engine.canisters[canister]
    schedule = harness.engine.wasm.schedule
    before = record.cycles
    message = harness.submit(ALICE, canister, "echo", b"12345")
    harness.run_round()
    assert harness.status(message).status == Status.REPLIED  # type: ignore[union-attr]
    spent = before - record.cycles
    induction = schedule.ingress_induction_cost(len(b"12345") + len("echo"))
    assert spent >= induction + schedule.update_message_execution_fee
    assert (
        spent < induction + schedule.update_message_execution_fee + 1_000_000
    )  # plus a few instructions
    assert CostSchedule.for_subnet("system").execution_cost(10**9) == 0
    assert (
        CostSchedule(subnet_size=26).execution_cost(0) == 2 * schedule.update_message_execution_fee
    )


def test_a_canister_below_its_freezing_threshold_refuses_messages(tmp_path: Path) -> None:
    harness, ops = subnet(tmp_path)
    canister = deploy(ops, fixture("c_counter_wasm32.wasm"))
    harness.engine.canisters[canister].cycles = 10**9
    ops.manage(
        "update_settings", {"canister_id": canister, "settings": {"freezing_threshold": 10**10}}
    )
    with pytest.raises(CallRejected) as frozen:
        ops.call(canister, "inc", b"DIDL\x00\x00")
    assert (
        frozen.value.reject.code == RejectCode.SYS_TRANSIENT
        and "out of cycles" in frozen.value.reject.message
    )
    ops.deposit_cycles(canister, 10**15)
    ops.call(canister, "inc", b"DIDL\x00\x00")


def test_storage_is_charged_every_round(tmp_path: Path) -> None:
    harness, ops = subnet(tmp_path)
    canister = deploy(ops, fixture("c_counter_wasm32.wasm"))
    record = harness.engine.canisters[canister]
    before = record.cycles
    harness.advance(3600)
    harness.run_round()
    memory = harness.engine.wasm.memory_size(canister)
    assert before - record.cycles == harness.engine.wasm.schedule.storage_cost(memory * 3600)


def _long_run(tmp_path: Path, checkpoint_at: int | None) -> tuple[bytes, bytes, int]:
    harness, ops = subnet(tmp_path)
    harness.engine.wasm.slice_instructions = 2_000_000
    canister = deploy(ops, fixture("c_canister_wasm32.wasm"))
    other = deploy(ops, fixture("c_counter_wasm32.wasm"))
    message = harness.submit(ALICE, canister, "long", (1_000_000).to_bytes(8, "little"))
    rounds = 0
    while (status := harness.status(message)) is None or status.status != Status.REPLIED:
        harness.submit(ALICE, other, "inc", b"DIDL\x00\x00")
        harness.run_round()
        rounds += 1
        if rounds == 1:
            assert harness.engine.wasm.busy(canister)
            assert u64(ops.query(canister, "state")) == 0  # the long update is not visible yet
        if rounds == checkpoint_at:
            harness.engine.write_checkpoint(tmp_path / "checkpoint")
        assert rounds < 200
    return status.reply or b"", harness.engine.wasm.state_digest(canister), rounds


def test_a_long_update_spans_rounds_and_a_checkpoint_restarts_it_with_the_same_result(
    tmp_path: Path,
) -> None:
    reply, digest, rounds = _long_run(tmp_path / "a", None)
    assert rounds >= 3
    again, digest_again, rounds_again = _long_run(tmp_path / "b", 2)
    assert (again, digest_again) == (reply, digest)
    assert rounds_again > rounds  # the aborted slices ran again
