"""A module's start function at install: a step of the install like init, within the install's
instruction limit and sliced with it (install.rs, `PausedStartExecutionDuringInstall`), in the
spec's `(start)` context, where only the `* s` System API (stable memory, debug_print, trap,
performance_counter, is_controller, ...) is available and the rest traps."""

from __future__ import annotations

from pathlib import Path

import wasmtime

from replica.candid import encode
from replica.execution.harness import SubnetHarness
from replica.execution.messages import Status
from replica.execution.wasm.interface import SIGNATURES
from replica.types import Principal
from tests.replica.execution.wasm.helpers import ALICE, deploy, fixture, subnet, u64

SLICE = 2_000_000
MANAGEMENT = Principal.management_canister()
FINAL = (Status.REPLIED, Status.REJECTED)


def start_module(loops: int, *, extra: str = "") -> bytes:
    """A module whose start function counts to `loops`, grows stable memory by a page and keeps
    both in main memory; `get` answers them (16 bytes). `extra` runs first in the start."""
    return bytes(
        wasmtime.wat2wasm(
            f"""
(module
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (import "ic0" "stable64_grow" (func $grow (param i64) (result i64)))
  (import "ic0" "stable64_size" (func $stable_size (result i64)))
  (import "ic0" "time" (func $time (result i64)))
  (memory 1)
  (func $start (local $i i64)
    {extra}
    (drop (call $grow (i64.const 1)))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (i64.const {loops})))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (i64.store (i32.const 0) (local.get $i))
    (i64.store (i32.const 8) (call $stable_size)))
  (func $get (call $append (i32.const 0) (i32.const 16)) (call $reply))
  (start $start)
  (export "canister_query get" (func $get)))
"""
        )
    )


def install(harness: SubnetHarness, canister: Principal, module: bytes) -> bytes:
    arguments, _ = SIGNATURES["install_code"]
    payload = encode(
        arguments,
        [{"mode": {"install": None}, "canister_id": canister, "wasm_module": module, "arg": b""}],
    )
    return harness.submit(ALICE, MANAGEMENT, "install_code", payload)


def rounds_until_final(harness: SubnetHarness, message: bytes) -> int:
    rounds = 0
    while (status := harness.status(message)) is None or status.status not in FINAL:
        harness.run_round()
        rounds += 1
        assert rounds < 100
    return rounds


def test_a_short_start_function_runs_at_install(tmp_path: Path) -> None:
    _harness, ops = subnet(tmp_path)
    canister = deploy(ops, start_module(1000), b"")
    reply = ops.query(canister, "get")
    assert (u64(reply, 0), u64(reply, 1)) == (1000, 1), "its loop and its stable page stayed"


def test_a_long_start_function_is_sliced_with_the_install(tmp_path: Path) -> None:
    harness, ops = subnet(tmp_path)
    harness.engine.wasm.slice_instructions = SLICE
    counter = deploy(ops, fixture("c_counter_wasm32.wasm"))
    canister = ops.create()
    message = install(harness, canister, start_module(1_000_000))  # several million instructions
    harness.run_round()
    paused = harness.engine.wasm.states[canister].paused
    assert paused is not None, "the start function did not fit one slice: the install goes on"
    assert harness.engine.canisters[canister].module_hash is None
    increment = harness.submit(ALICE, counter, "inc", b"DIDL\x00\x00")
    assert rounds_until_final(harness, message) >= 2
    assert harness.await_status(increment).status == Status.REPLIED, "others ran meanwhile"
    status = harness.status(message)
    assert status is not None and status.status == Status.REPLIED
    reply = ops.query(canister, "get")
    assert (u64(reply, 0), u64(reply, 1)) == (1_000_000, 1)


def test_a_start_function_counts_against_the_install_limit(tmp_path: Path) -> None:
    # a start function that never ends uses the whole install limit (10 slices) and the install
    # fails there, as init would: the limit is the install's, not one of the start's own
    harness, ops = subnet(tmp_path)
    harness.engine.wasm.slice_instructions = SLICE
    harness.engine.wasm.install_limit = 10 * SLICE
    canister = ops.create()
    message = install(harness, canister, start_module(1 << 62))
    assert rounds_until_final(harness, message) == 10
    status = harness.status(message)
    assert status is not None and status.status == Status.REJECTED
    assert status.reject is not None
    assert "20000000 instructions" in status.reject.message
    assert "start and trapped" in status.reject.message
    assert harness.engine.canisters[canister].module_hash is None
    assert harness.engine.wasm.states[canister].canister is None


def test_the_system_api_outside_the_start_context_traps_there(tmp_path: Path) -> None:
    # ic0.time is `*` (everywhere but start): called from the start function, the install fails
    # and the canister stays empty
    harness, ops = subnet(tmp_path)
    canister = ops.create()
    message = install(harness, canister, start_module(10, extra="(drop (call $time))"))
    rounds_until_final(harness, message)
    status = harness.status(message)
    assert status is not None and status.status == Status.REJECTED
    assert status.reject is not None
    assert '"ic0.time" cannot be executed in start mode' in status.reject.message
    assert harness.engine.canisters[canister].module_hash is None
