"""Deterministic time slicing: a long update continues on its own thread across rounds, lands in
the round its instructions decide, leaves other canisters running, and is aborted and run again
by a checkpoint (rs/execution_environment/src/scheduler.rs, abort_paused_executions_at_checkpoint)
with the same result.
"""

from __future__ import annotations

import threading
from pathlib import Path

from replica.candid import decode
from replica.candid.types import Nat64
from replica.execution.harness import SubnetHarness
from replica.execution.messages import Status
from replica.execution.wasm.operations import CanisterOperations
from replica.types import Principal
from tests.replica.execution.wasm.helpers import ALICE, deploy, fixture, subnet, u64

EMPTY = b"DIDL\x00\x00"
SLICE = 2_000_000


def _world(tmp_path: Path) -> tuple[SubnetHarness, CanisterOperations, Principal, Principal]:
    harness, ops = subnet(tmp_path)
    harness.engine.wasm.slice_instructions = SLICE
    worker = deploy(ops, fixture("c_canister_wasm32.wasm"))
    counter = deploy(ops, fixture("c_counter_wasm32.wasm"))
    return harness, ops, worker, counter


def _rounds_until_answered(
    harness: SubnetHarness, message: bytes, counter: Principal, *, checkpoint: Path | None = None
) -> tuple[int, list[int]]:
    """Rounds until `message` is answered; the counter gets an increment each round."""
    rounds, counts = 0, []
    while (status := harness.status(message)) is None or status.status not in (
        Status.REPLIED,
        Status.REJECTED,
    ):
        increment = harness.submit(ALICE, counter, "inc", EMPTY)
        harness.run_round()
        rounds += 1
        reply = harness.status(increment)
        assert reply is not None and reply.status == Status.REPLIED  # the other canister ran
        counts.append(decode(reply.reply or b"", [Nat64])[0])
        if rounds == 2 and checkpoint is not None:
            harness.engine.write_checkpoint(checkpoint)
        assert rounds < 100
    return rounds, counts


def test_a_long_update_pauses_between_rounds_while_another_canister_runs(tmp_path: Path) -> None:
    harness, ops, worker, counter = _world(tmp_path)
    message = harness.submit(ALICE, worker, "long", (1_000_000).to_bytes(8, "little"))
    harness.run_round()
    paused = harness.engine.wasm.states[worker].paused
    assert paused is not None and paused.job is not None  # on its own thread, not finished here
    assert u64(ops.query(worker, "state")) == 0  # queries see the state before the update
    rounds, counts = _rounds_until_answered(harness, message, counter)
    assert rounds >= 2
    assert counts == list(range(1, rounds + 1))  # the counter executed in every round
    status = harness.status(message)
    assert status is not None and u64(status.reply or b"") == sum(range(1_000_000))
    assert harness.engine.wasm.states[worker].paused is None


def test_the_round_a_long_update_lands_in_is_decided_by_its_instructions(tmp_path: Path) -> None:
    # an endless loop uses exactly the message limit: 20 slices, so its reject lands in round 10
    # when the limit is 10 slices of 2 million
    harness, _, worker, counter = _world(tmp_path)
    harness.engine.wasm.message_limit = 10 * SLICE
    message = harness.submit(ALICE, worker, "infinite", EMPTY)
    rounds, _ = _rounds_until_answered(harness, message, counter)
    assert rounds == 10
    status = harness.status(message)
    assert status is not None and status.status == Status.REJECTED
    assert status.reject is not None and "20000000 instructions" in status.reject.message


def test_a_checkpoint_in_the_middle_restarts_it_and_the_state_is_the_same(tmp_path: Path) -> None:
    def run(directory: Path, checkpoint: bool) -> tuple[bytes, bytes, int]:
        harness, _, worker, counter = _world(directory)
        message = harness.submit(ALICE, worker, "long", (600_000).to_bytes(8, "little"))
        rounds, _ = _rounds_until_answered(
            harness, message, counter, checkpoint=directory / "checkpoint" if checkpoint else None
        )
        status = harness.status(message)
        assert status is not None
        return status.reply or b"", harness.engine.wasm.state_digest(worker), rounds

    reply, digest, rounds = run(tmp_path / "plain", False)
    again, digest_again, rounds_again = run(tmp_path / "checkpointed", True)
    assert (again, digest_again) == (reply, digest)
    assert rounds_again == rounds + 2  # the two slices before the checkpoint ran again


def test_another_engine_checkpointing_does_not_change_a_long_execution(tmp_path: Path) -> None:
    # every engine of the process shares the wasmtime engine, whose epoch tick stops long
    # executions: one not meant to stop runs again, unseen
    alone, _, worker, counter = _world(tmp_path / "alone")
    message = alone.submit(ALICE, worker, "long", (800_000).to_bytes(8, "little"))
    expected = _rounds_until_answered(alone, message, counter)
    expected_digest = alone.engine.wasm.state_digest(worker)

    disturbed, _, worker, counter = _world(tmp_path / "disturbed")
    other, _, other_worker, _ = _world(tmp_path / "other")
    message = disturbed.submit(ALICE, worker, "long", (800_000).to_bytes(8, "little"))
    other.submit(ALICE, other_worker, "long", (800_000).to_bytes(8, "little"))
    disturbed.run_round()
    other.run_round()
    other.engine.write_checkpoint(tmp_path / "other-checkpoint")  # aborts its own: a tick
    rounds, counts = _rounds_until_answered(disturbed, message, counter)
    assert (rounds + 1, [1, *[c + 1 for c in counts]]) == expected
    assert disturbed.engine.wasm.state_digest(worker) == expected_digest


def test_no_thread_outlives_the_executions(tmp_path: Path) -> None:
    before = {t for t in threading.enumerate() if t.name == "wasm-long"}
    harness, _, worker, counter = _world(tmp_path)
    message = harness.submit(ALICE, worker, "long", (300_000).to_bytes(8, "little"))
    harness.run_round()
    harness.engine.write_checkpoint(tmp_path / "checkpoint")
    _rounds_until_answered(harness, message, counter)
    assert {t for t in threading.enumerate() if t.name == "wasm-long"} <= before


def test_a_long_callback_runs_across_rounds_and_survives_a_checkpoint(tmp_path: Path) -> None:
    """A reply callback that needs several slices pauses between rounds like an update
    (rs/execution_environment/src/execution/response.rs); a checkpoint aborts it, the response
    goes back to the queue with the caller's call context still open, and it runs again with the
    same result. wat/long_callback.wat's callback loops as many times as `start` is told."""
    answers = []
    for checkpoint in (None, tmp_path / "checkpoint"):
        harness, ops = subnet(tmp_path / ("with" if checkpoint else "without"))
        harness.engine.wasm.slice_instructions = SLICE
        caller = deploy(ops, fixture("wat_long_callback.wasm"))
        counter = deploy(ops, fixture("c_counter_wasm32.wasm"))
        message = harness.submit(ALICE, caller, "start", (1_000_000).to_bytes(4, "little"))
        harness.run_round()  # the call and its reply are queued; the callback runs next round
        harness.run_round()
        paused = harness.engine.wasm.states[caller].paused
        assert paused is not None and paused.job is not None  # the callback runs on its own
        assert u64(ops.query(caller, "done")) == 0  # queries see the state before the callback
        rounds, counts = _rounds_until_answered(harness, message, counter, checkpoint=checkpoint)
        assert rounds >= 2 and counts == sorted(counts)  # the counter ran every round
        status = harness.status(message)
        assert status is not None and status.status == Status.REPLIED
        assert u64(status.reply or b"") == 1 and u64(ops.query(caller, "done")) == 1
        assert not harness.engine.call_contexts
        answers.append((status.reply, harness.engine.canisters[caller].cycles))
    assert answers[0] == answers[1]  # aborted and run again: the same outcome, the same cycles
