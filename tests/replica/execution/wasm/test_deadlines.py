"""Best-effort calls: the callee and the caller's callbacks see the call's deadline, and a call
whose deadline passes before its answer gets SYS_UNKNOWN while the late answer is dropped
(rs/replicated_state/src/canister_state/system_state/call_context_manager.rs, expire_callbacks)."""

from __future__ import annotations

from pathlib import Path

from replica.environment import RejectCode
from replica.execution.messages import Request, Status
from replica.execution.wasm.deadlines import EXPIRED
from tests.replica.execution.wasm.helpers import ALICE, call_arg, deploy, fixture, subnet, u64

TIMEOUT_NS = 10 * 1_000_000_000  # canister.c's call_best_effort asks for 10 seconds


def test_the_callee_sees_the_deadline_of_a_best_effort_call_and_none_otherwise(
    tmp_path: Path,
) -> None:
    harness, ops = subnet(tmp_path)
    module = fixture("c_canister_wasm32.wasm")
    caller, callee = deploy(ops, module), deploy(ops, module)
    before = harness.time_ns
    answer = ops.call(caller, "call_best_effort", call_arg(callee, "facts"))
    deadline = u64(answer[17:], 2)
    assert before < deadline - TIMEOUT_NS <= harness.time_ns  # the call's time plus 10 s
    guaranteed = ops.call(caller, "call", call_arg(callee, "facts"))
    assert u64(guaranteed[17:], 2) == 0


def test_a_call_past_its_deadline_gets_sys_unknown_and_the_late_answer_is_dropped(
    tmp_path: Path,
) -> None:
    harness, ops = subnet(tmp_path)
    harness.engine.wasm.slice_instructions = 2_000_000
    module = fixture("c_canister_wasm32.wasm")
    caller, callee = deploy(ops, module), deploy(ops, module)
    message = harness.submit(
        ALICE, caller, "call_best_effort", call_arg(callee, "long", (600_000).to_bytes(8, "little"))
    )
    harness.run_round()  # the callee starts its long update
    assert harness.engine.wasm.busy(callee)
    harness.advance(11)  # past the deadline
    harness.run_round()
    status = harness.status(message)
    assert status is not None and status.status == Status.REPLIED
    reply = status.reply or b""
    assert reply[:2] == bytes([b"J"[0], RejectCode.SYS_UNKNOWN]) and reply[18:] == EXPIRED.encode()
    while harness.engine.wasm.busy(callee):  # the callee finishes; its answer goes nowhere
        harness.run_round()
    harness.run_round()
    assert u64(ops.query(callee, "state")) == 1  # the callee's update did run
    assert u64(ops.query(caller, "state")) == 0  # no callback ran a second time, no cleanup
    assert not [c for c in harness.engine.call_contexts.values() if c.canister_id == caller]
    assert harness.status(message) == status


def test_an_answer_queued_before_the_deadline_is_delivered_after_it(tmp_path: Path) -> None:
    harness, ops = subnet(tmp_path)
    harness.engine.wasm.slice_instructions = 2_000_000
    module = fixture("c_canister_wasm32.wasm")
    caller, callee = deploy(ops, module), deploy(ops, module)
    message = harness.submit(ALICE, caller, "call_best_effort", call_arg(callee, "echo", b"ok"))
    long = harness.submit(ALICE, caller, "long", (600_000).to_bytes(8, "little"))
    harness.run_round()  # the call is made and answered; the caller is busy with its long update
    assert harness.engine.wasm.busy(caller)
    assert harness.status(message).status != Status.REPLIED  # type: ignore[union-attr]
    assert any(harness.engine.queues[caller])  # the answer waits in the caller's queue
    harness.advance(60)
    status = harness.await_status(message)
    assert (status.reply or b"")[:1] == b"R" and (status.reply or b"")[17:] == b"ok"
    assert harness.await_status(long).status == Status.REPLIED


def test_a_request_still_queued_at_its_deadline_is_dropped_and_its_cycles_refunded(
    tmp_path: Path,
) -> None:
    """The IC drops an expired best-effort request from the callee's queue and refunds the cycles
    it carries (rs/replicated_state/src/canister_state/queues.rs, `time_out_messages`)."""
    harness, ops = subnet(tmp_path)
    harness.engine.wasm.slice_instructions = 2_000_000
    module = fixture("c_canister_wasm32.wasm")
    caller, callee = deploy(ops, module), deploy(ops, module)
    attached = 10**12
    busy = harness.submit(ALICE, callee, "long", (600_000).to_bytes(8, "little"))
    harness.run_round()  # the callee is busy with a long update: the request will wait
    assert harness.engine.wasm.busy(callee)
    message = harness.submit(
        ALICE, caller, "call_best_effort", call_arg(callee, "accept_half", cycles=attached)
    )
    harness.run_round()  # the caller sends the call, with its cycles
    assert any(isinstance(item, Request) for item in harness.engine.queues[callee])
    engine = harness.engine
    sent = engine.canisters[caller].cycles
    callee_before = engine.canisters[callee].cycles
    harness.advance(11)
    harness.run_round()
    status = harness.status(message)
    assert status is not None and status.status == Status.REPLIED
    reply = status.reply or b""
    assert reply[:2] == bytes([b"J"[0], RejectCode.SYS_UNKNOWN])
    assert int.from_bytes(reply[2:18], "little") == 0  # the timeout's reject refunds nothing itself
    assert not any(isinstance(item, Request) for item in engine.queues[callee])
    assert engine.canisters[caller].cycles - sent > attached * 9 // 10  # the cycles came back
    harness.await_status(busy)
    for _ in range(3):
        harness.run_round()
    # the callee accepted nothing (its prepaid fee for the long update came back meanwhile)
    assert engine.canisters[callee].cycles < callee_before + attached // 4
