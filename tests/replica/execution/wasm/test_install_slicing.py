"""Deterministic time slicing of install_code, heartbeats and global timers.

An install whose entry points need more than one slice goes on across rounds (the IC's
`PausedInstallCode`, rs/execution_environment/src/execution/install.rs and upgrade.rs): the
canister takes nothing else meanwhile, the management calls naming it wait, installs run one at a
time (scheduler.rs, `can_execute_msg`), other canisters run, and a checkpoint aborts it and it runs
again from its start (`AbortedInstallCode`). Heartbeats and timers are sliced the same way; an
aborted one is kept and runs again from its start (`AbortedExecution` of a `CanisterTask`), with
the timer still armed until it does. c/tasks.c loops in each entry point as told.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from replica.candid import decode, encode
from replica.execution.engine import ExecutionEngine
from replica.execution.harness import SubnetHarness
from replica.execution.messages import Request, Status
from replica.execution.wasm.interface import SIGNATURES
from replica.execution.wasm.operations import CanisterOperations
from replica.types import Principal
from tests.replica.execution.wasm.helpers import ALICE, call_arg, deploy, fixture, subnet, u64

EMPTY = b"DIDL\x00\x00"
SLICE = 2_000_000
MANAGEMENT = Principal.management_canister()
TASKS = fixture("c_tasks_wasm32.wasm")
FINAL = (Status.REPLIED, Status.REJECTED)


def _world(tmp_path: Path) -> tuple[SubnetHarness, CanisterOperations, Principal]:
    harness, ops = subnet(tmp_path)
    harness.engine.wasm.slice_instructions = SLICE
    counter = deploy(ops, fixture("c_counter_wasm32.wasm"))
    return harness, ops, counter


def _manage(harness: SubnetHarness, method: str, argument: Any) -> bytes:
    arguments, _ = SIGNATURES[method]
    return harness.submit(ALICE, MANAGEMENT, method, encode(arguments, [argument]))


def _install(
    harness: SubnetHarness, canister: Principal, loops: int, mode: dict[str, Any] | None = None
) -> bytes:
    return _manage(
        harness,
        "install_code",
        {
            "mode": mode or {"install": None},
            "canister_id": canister,
            "wasm_module": TASKS,
            "arg": loops.to_bytes(8, "little"),
        },
    )


def _state(ops: CanisterOperations, canister: Principal) -> tuple[int, int, int, int]:
    reply = ops.query(canister, "state")
    return u64(reply, 0), u64(reply, 1), u64(reply, 2), u64(reply, 3)


def _round_with_counter(harness: SubnetHarness, counter: Principal) -> None:
    """A round in which the counter takes an increment: other canisters keep running."""
    increment = harness.submit(ALICE, counter, "inc", EMPTY)
    harness.run_round()
    status = harness.status(increment)
    assert status is not None and status.status == Status.REPLIED


def _rounds_until(
    harness: SubnetHarness,
    message: bytes,
    counter: Principal,
    *,
    checkpoint: Path | None = None,
) -> int:
    rounds = 0
    while (status := harness.status(message)) is None or status.status not in FINAL:
        _round_with_counter(harness, counter)
        rounds += 1
        if rounds == 2 and checkpoint is not None:
            harness.engine.write_checkpoint(checkpoint)
        assert rounds < 100
    return rounds


def test_a_long_install_goes_on_across_rounds_and_holds_its_canister(tmp_path: Path) -> None:
    harness, ops, counter = _world(tmp_path)
    target = ops.create()
    install = _install(harness, target, 1_500_000)
    harness.run_round()
    paused = harness.engine.wasm.states[target].paused
    assert paused is not None and paused.job is not None  # on its own thread
    # the canister is held: a call to it and a management call naming it wait for the install
    status_call = _manage(harness, "canister_status", {"canister_id": target})
    update = harness.submit(ALICE, target, "configure", bytes(24))
    _round_with_counter(harness, counter)
    for waiting in (status_call, update):
        status = harness.status(waiting)
        assert status is None or status.status not in FINAL
    assert harness.engine.canisters[target].module_hash is None
    assert _rounds_until(harness, install, counter) >= 3  # about 14 million instructions
    status = harness.status(install)
    assert status is not None and status.status == Status.REPLIED
    assert _state(ops, target)[0] == sum(range(1_500_000))
    answered = harness.await_status(status_call)
    _, results = SIGNATURES["canister_status"]
    assert decode(answered.reply or b"", results)[0]["module_hash"] is not None
    assert harness.await_status(update).status == Status.REPLIED  # it ran after the install


def test_a_canister_that_installs_code_gets_its_answer_when_the_install_lands(
    tmp_path: Path,
) -> None:
    # a Wasm canister's call to aaaaa-aa: its reply callback runs once the long install is done
    harness, ops, counter = _world(tmp_path)
    installer = deploy(ops, fixture("c_canister_wasm32.wasm"))
    target = ops.create(controllers=[installer])
    arguments, _ = SIGNATURES["install_code"]
    payload = encode(
        arguments,
        [
            {
                "mode": {"install": None},
                "canister_id": target,
                "wasm_module": TASKS,
                "arg": (1_000_000).to_bytes(8, "little"),
            }
        ],
    )
    message = harness.submit(
        ALICE, installer, "call", call_arg(MANAGEMENT, "install_code", payload)
    )
    harness.run_round()
    assert harness.engine.wasm.states[target].paused is not None
    assert _rounds_until(harness, message, counter) >= 2
    status = harness.status(message)
    assert status is not None and status.status == Status.REPLIED
    assert (status.reply or b"")[:1] == b"R" and (status.reply or b"")[17:] == EMPTY
    assert _state(ops, target)[0] == sum(range(1_000_000))


def test_the_round_a_long_install_lands_in_is_decided_by_its_instructions(tmp_path: Path) -> None:
    # an init that never ends uses the whole install limit, 10 slices: started in round 1, its
    # reject lands in round 10, and the canister stays empty
    harness, ops, counter = _world(tmp_path)
    harness.engine.wasm.install_limit = 10 * SLICE
    target = ops.create()
    install = _install(harness, target, 1 << 62)
    assert _rounds_until(harness, install, counter) == 10
    status = harness.status(install)
    assert status is not None and status.status == Status.REJECTED
    assert status.reject is not None and "20000000 instructions" in status.reject.message
    assert "init and trapped" in status.reject.message
    assert harness.engine.canisters[target].module_hash is None
    assert harness.engine.wasm.states[target].canister is None


def test_installs_run_one_at_a_time(tmp_path: Path) -> None:
    harness, ops, counter = _world(tmp_path)
    first, second = ops.create(), ops.create()
    install_first = _install(harness, first, 1_000_000)
    install_second = _install(harness, second, 1_000_000)
    harness.run_round()
    wasm = harness.engine.wasm
    assert wasm.states[first].paused is not None
    assert wasm.states[second].paused is None  # it waits for the first one
    assert [call.canister_id for call in wasm.waiting] == [second]
    _rounds_until(harness, install_first, counter)
    _rounds_until(harness, install_second, counter)
    for canister in (first, second):
        assert _state(ops, canister)[0] == sum(range(1_000_000))


def _upgrade_world(
    tmp_path: Path,
) -> tuple[SubnetHarness, CanisterOperations, Principal, Principal]:
    harness, ops, counter = _world(tmp_path)
    target = deploy(ops, TASKS, (1000).to_bytes(8, "little"))
    ops.call(target, "configure", (700_000).to_bytes(8, "little") + bytes(16))  # a long pre_upgrade
    return harness, ops, counter, target


UPGRADE: dict[str, Any] = {"upgrade": {"skip_pre_upgrade": None, "wasm_memory_persistence": None}}


def test_a_long_upgrade_keeps_the_old_state_visible_until_it_lands(tmp_path: Path) -> None:
    harness, ops, counter, target = _upgrade_world(tmp_path)
    before = harness.engine.wasm.state_digest(target)
    upgrade = _install(harness, target, 300_000, UPGRADE)
    harness.run_round()
    assert harness.engine.wasm.states[target].paused is not None
    assert _state(ops, target) == (sum(range(1000)), 0, 0, 0)  # queries see the old state
    assert harness.engine.wasm.state_digest(target) == before
    _rounds_until(harness, upgrade, counter)
    status = harness.status(upgrade)
    assert status is not None and status.status == Status.REPLIED
    assert _state(ops, target) == (sum(range(1000)) + sum(range(300_000)), 1, 0, 0)


def test_a_checkpoint_aborts_a_long_upgrade_and_it_runs_again_to_the_same_state(
    tmp_path: Path,
) -> None:
    outcomes = []
    for checkpoint in (None, tmp_path / "checkpoint"):
        harness, _, counter, target = _upgrade_world(tmp_path / str(checkpoint is not None))
        upgrade = _install(harness, target, 300_000, UPGRADE)
        rounds = _rounds_until(harness, upgrade, counter, checkpoint=checkpoint)
        status = harness.status(upgrade)
        assert status is not None and status.status == Status.REPLIED
        outcomes.append(
            (rounds, harness.engine.wasm.state_digest(target), harness.engine.canisters[target])
        )
    (rounds, digest, record), (rounds_again, digest_again, record_again) = outcomes
    assert rounds_again == rounds + 2  # the two slices before the checkpoint ran again
    assert digest_again == digest
    assert record_again.cycles == record.cycles and record_again.module_hash == record.module_hash


def _restarted(harness: SubnetHarness, checkpoint: Path, directory: Path) -> SubnetHarness:
    """A replica started from `checkpoint`, at the same height, time and nonce as `harness`."""
    engine = harness.engine
    restored = copy.copy(harness)
    restored.engine = ExecutionEngine.from_checkpoint(
        checkpoint,
        state_dir=directory,
        subnet_id=engine.subnet_id,
        factories={},
        subnet_type="application",
    )
    restored.engine.wasm.slice_instructions = SLICE
    restored.pending = []
    return restored


def test_a_replica_restarted_from_the_checkpoint_finishes_the_install_the_same_way(
    tmp_path: Path,
) -> None:
    harness, _, counter = _world(tmp_path / "live")
    ops = CanisterOperations(harness, ALICE)
    target = ops.create()
    install = _install(harness, target, 1_500_000)
    harness.run_round()
    harness.engine.write_checkpoint(tmp_path / "checkpoint")
    waiting = harness.engine.wasm.waiting
    assert [(call.method, call.aborted) for call in waiting] == [("install_code", True)]
    assert harness.engine.canisters[target].module_hash is None  # the canister as it was
    restarted = _restarted(harness, tmp_path / "checkpoint", tmp_path / "restarted")
    assert restarted.engine.state_hash() == harness.engine.state_hash()
    for replica in (harness, restarted):
        while (status := replica.status(install)) is None or status.status not in FINAL:
            replica.run_round()
            assert replica.height < 50
    assert restarted.height == harness.height
    assert restarted.engine.state_hash() == harness.engine.state_hash()
    assert restarted.status(install) == harness.status(install)
    assert counter in harness.engine.canisters


def _tasks_world(
    tmp_path: Path, *, heartbeat_loops: int = 0, timer_loops: int = 0
) -> tuple[SubnetHarness, CanisterOperations, Principal, Principal]:
    harness, ops, counter = _world(tmp_path)
    target = deploy(ops, TASKS, (0).to_bytes(8, "little"))
    arg = bytes(8) + heartbeat_loops.to_bytes(8, "little") + timer_loops.to_bytes(8, "little")
    ops.call(target, "configure", arg)
    return harness, ops, counter, target


def test_a_long_heartbeat_is_sliced_and_an_aborted_one_runs_again_from_its_start(
    tmp_path: Path,
) -> None:
    harness, ops, counter, target = _tasks_world(tmp_path, heartbeat_loops=600_000)
    wasm = harness.engine.wasm
    while (paused := wasm.states[target].paused) is None:
        _round_with_counter(harness, counter)
    assert isinstance(paused.message, Request) and paused.message.method == "canister_heartbeat"
    beats = _state(ops, target)[2]
    harness.engine.write_checkpoint(tmp_path / "checkpoint")
    state = wasm.states[target]
    assert state.paused is None and state.aborted_task == "canister_heartbeat"
    assert _state(ops, target)[2] == beats  # the aborted heartbeat left nothing
    assert wasm.busy(target)  # nothing runs on the canister before the heartbeat again
    restarted = _restarted(harness, tmp_path / "checkpoint", tmp_path / "restarted")
    assert restarted.engine.wasm.states[target].aborted_task == "canister_heartbeat"
    for replica in (harness, restarted):
        replica.run_round()  # the aborted heartbeat runs again, from its start, on its thread
        again = replica.engine.wasm.states[target].paused
        assert again is not None and isinstance(again.message, Request)
        assert again.message.method == "canister_heartbeat"
        assert replica.engine.wasm.states[target].aborted_task is None
        for _ in range(6):
            replica.run_round()
    assert restarted.engine.state_hash() == harness.engine.state_hash()
    assert _state(ops, target)[2] > beats


def test_an_aborted_global_timer_stays_armed_and_fires_once(tmp_path: Path) -> None:
    harness, ops, counter, target = _tasks_world(tmp_path, timer_loops=600_000)
    wasm = harness.engine.wasm
    deadline = harness.time_ns + 1
    ops.call(target, "set_timer", deadline.to_bytes(8, "little"))
    instance = wasm.states[target].canister
    assert instance is not None and instance.global_timer == deadline
    while (paused := wasm.states[target].paused) is None:
        _round_with_counter(harness, counter)
    assert isinstance(paused.message, Request)
    assert paused.message.method == "canister_global_timer"
    harness.engine.write_checkpoint(tmp_path / "checkpoint")
    assert wasm.states[target].aborted_task == "canister_global_timer"
    assert instance.global_timer == deadline  # armed as it was before the aborted run
    assert _state(ops, target)[3] == 0
    restarted = _restarted(harness, tmp_path / "checkpoint", tmp_path / "restarted")
    for replica in (harness, restarted):
        for _ in range(8):
            replica.run_round()
        restored = replica.engine.wasm.states[target]
        assert restored.paused is None and restored.aborted_task is None
        assert restored.canister is not None and restored.canister.global_timer == 0
    assert _state(ops, target)[3] == 1  # it ran to its end once
    assert restarted.engine.state_hash() == harness.engine.state_hash()
