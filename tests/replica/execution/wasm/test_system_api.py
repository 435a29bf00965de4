"""Every ic0 function, called by the C fixture on wasm32 and wasm64 through a subnet's engine.

Where the spec gives a rule, it is cited from the interface spec's System API section and
rs/embedders/src/wasmtime_embedder/system_api.rs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from replica.canister.errors import CallRejected
from replica.environment import RejectCode
from replica.execution.messages import Status
from replica.types import Principal
from tests.replica.execution.wasm.helpers import (
    ALICE,
    BOB,
    TARGETS,
    call_arg,
    deploy,
    fixture,
    subnet,
    u64,
)


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_message_data_caller_self_and_replies(tmp_path: Path, target: str) -> None:
    harness, ops = subnet(tmp_path)
    canister = deploy(ops, fixture(f"c_canister_{target}.wasm"), (41).to_bytes(8, "little"))
    assert ops.call(canister, "echo", b"hello") == b"hello"
    assert ops.query(canister, "caller") == ALICE.raw
    assert ops.query(canister, "self") == canister.raw
    assert u64(ops.query(canister, "state")) == 41  # canister_init read its argument
    assert u64(ops.query(canister, "time")) == harness.engine.time_ns
    with pytest.raises(CallRejected) as rejected:
        ops.call(canister, "reject")
    assert (
        rejected.value.reject.code == RejectCode.CANISTER_REJECT
        and rejected.value.reject.message == "no thanks"
    )


def test_traps_and_misuse_reject_with_canister_error(tmp_path: Path, target: str) -> None:
    _, ops = subnet(tmp_path)
    canister = deploy(ops, fixture(f"c_canister_{target}.wasm"))
    cases = {
        "trap": "Canister called `ic0.trap` with message: 'it's a trap'",
        "unreachable": "unreachable",
        "reply_twice": "already replied",
        "no_reply": "did not reply",
    }
    for method, text in cases.items():
        with pytest.raises(CallRejected) as rejected:
            ops.call(canister, method)
        assert rejected.value.reject.code == RejectCode.CANISTER_ERROR
        assert text in rejected.value.reject.message
    with pytest.raises(CallRejected, match="cannot be executed in non-replicated query mode"):
        ops.query(canister, "query_calls")
    with pytest.raises(CallRejected, match="msg_arg_data_copy"):
        ops.query(canister, "read_arg_out_of_bounds")
    with pytest.raises(CallRejected) as missing:
        ops.call(canister, "no_such_method")
    assert missing.value.reject.code == RejectCode.CANISTER_ERROR


def test_status_version_deadline_replicated_and_performance_counters(
    tmp_path: Path, target: str
) -> None:
    _, ops = subnet(tmp_path)
    canister = deploy(ops, fixture(f"c_canister_{target}.wasm"))
    facts = ops.call(canister, "facts")
    status, version, deadline, replicated, counter0, counter1 = (u64(facts, i) for i in range(6))
    assert status == 1 and version == 1 and deadline == 0 and replicated == 1
    assert 0 < counter0 <= counter1


def test_is_controller_debug_print_and_stable_memory(tmp_path: Path, target: str) -> None:
    harness, ops = subnet(tmp_path)
    canister = deploy(ops, fixture(f"c_canister_{target}.wasm"))
    assert u64(ops.call(canister, "is_controller", ALICE.raw)) == 1
    assert u64(ops.call(canister, "is_controller", BOB.raw)) == 0
    ops.call(canister, "debug", b"printed")
    assert "printed" in harness.engine.wasm.states[canister].debug
    answer = ops.call(canister, "stable", bytes([2]) + b"stable bytes")
    assert (
        answer[:12] == b"stable bytes" and u64(answer[12:]) == 0
    )  # stable64_grow answered the old size
    answer = ops.call(canister, "stable", bytes([1]) + b"more")
    assert u64(answer[4:]) == 2
    assert len(harness.engine.wasm.states[canister].canister.stable.data) == 3 * 65536  # type: ignore[union-attr]


def test_certified_data_and_the_certificate_in_queries(tmp_path: Path, target: str) -> None:
    harness, ops = subnet(tmp_path)
    canister = deploy(ops, fixture(f"c_canister_{target}.wasm"))
    ops.call(canister, "set_certified", b"x" * 32)
    assert harness.engine.canisters[canister].certified_data == b"x" * 32
    assert harness.engine.certified_state()["canister"][canister.raw]["certified_data"] == b"x" * 32
    with pytest.raises(CallRejected, match="certified_data_set"):
        ops.call(canister, "set_certified", b"x" * 33)
    assert ops.query(canister, "certificate") == b""  # no certificate without a certifying replica
    answer = harness.engine.wasm.query(
        canister, "certificate", b"", ALICE, data_certificate=b"certificate of " + canister.raw
    )
    assert answer == b"certificate of " + canister.raw


def test_the_global_timer_fires_once_when_due(tmp_path: Path, target: str) -> None:
    harness, ops = subnet(tmp_path)
    canister = deploy(ops, fixture(f"c_canister_{target}.wasm"))
    due = harness.time_ns + 3_000_000_000
    assert u64(ops.call(canister, "set_timer", due.to_bytes(8, "little"))) == 0
    assert u64(ops.query(canister, "timer_fired")) == 0
    for _ in range(10):
        harness.run_round()
    assert u64(ops.query(canister, "timer_fired")) == 1
    assert (
        u64(ops.call(canister, "set_timer", (0).to_bytes(8, "little"))) == 0
    )  # fired timers are reset to 0


def test_inspect_message_filters_ingress(tmp_path: Path, target: str) -> None:
    harness, ops = subnet(tmp_path)
    canister = deploy(ops, fixture(f"c_canister_{target}.wasm"))
    status = harness.await_status(harness.submit(ALICE, canister, "blocked", b""))
    assert status.status == Status.REJECTED and status.reject is not None
    assert status.reject.code == RejectCode.CANISTER_REJECT and "inspect" in status.reject.message
    assert ops.call(canister, "echo", b"ok") == b"ok"


def test_calls_reply_reject_and_trap_in_the_callee(tmp_path: Path, target: str) -> None:
    _, ops = subnet(tmp_path)
    caller = deploy(ops, fixture(f"c_canister_{target}.wasm"))
    callee = deploy(ops, fixture(f"c_canister_{target}.wasm"))
    answer = ops.call(caller, "call", call_arg(callee, "echo", b"ping"))
    assert answer[:1] == b"R" and answer[17:] == b"ping"
    answer = ops.call(caller, "call", call_arg(callee, "reject"))
    assert (
        answer[:2] == bytes([b"J"[0], RejectCode.CANISTER_REJECT]) and answer[18:] == b"no thanks"
    )
    answer = ops.call(caller, "call", call_arg(callee, "trap"))
    assert answer[1] == RejectCode.CANISTER_ERROR and b"it's a trap" in answer[18:]
    answer = ops.call(caller, "call", call_arg(Principal.from_canister_id(999), "echo"))
    assert answer[1] == RejectCode.DESTINATION_INVALID
    answer = ops.call(caller, "call_best_effort", call_arg(callee, "echo", b"soon"))
    assert answer[17:] == b"soon"


def test_a_trap_in_the_reply_callback_runs_the_cleanup(tmp_path: Path, target: str) -> None:
    _, ops = subnet(tmp_path)
    caller = deploy(ops, fixture(f"c_canister_{target}.wasm"))
    callee = deploy(ops, fixture(f"c_canister_{target}.wasm"))
    with pytest.raises(CallRejected, match="trap in the reply callback"):
        ops.call(caller, "call_trap_in_reply", call_arg(callee, "echo"))
    assert u64(ops.query(caller, "state")) == 1000  # on_cleanup added 1000 and was kept


def test_raw_rand_through_the_management_canister(tmp_path: Path, target: str) -> None:
    _, ops = subnet(tmp_path)
    caller = deploy(ops, fixture(f"c_canister_{target}.wasm"))
    first = ops.call(
        caller, "call", call_arg(Principal.management_canister(), "raw_rand", b"DIDL\x00\x00")
    )
    second = ops.call(
        caller, "call", call_arg(Principal.management_canister(), "raw_rand", b"DIDL\x00\x00")
    )
    assert first[:1] == b"R" and first[17:21] == b"DIDL" and first[17:] != second[17:]


def test_cycles_sent_accepted_and_refunded(tmp_path: Path, target: str) -> None:
    harness, ops = subnet(tmp_path, subnet_type="system")  # no fees: cycles add up exactly
    caller = deploy(ops, fixture(f"c_canister_{target}.wasm"))
    callee = deploy(ops, fixture(f"c_canister_{target}.wasm"))
    before = harness.engine.canisters[caller].cycles, harness.engine.canisters[callee].cycles
    answer = ops.call(caller, "call", call_arg(callee, "accept_half", cycles=1_000_000))
    assert int.from_bytes(answer[17:33], "little") == 500_000  # what the callee accepted
    assert (
        int.from_bytes(answer[1:17], "little") == 500_000
    )  # msg_cycles_refunded128 in the callback
    assert harness.engine.canisters[caller].cycles == before[0] - 500_000
    assert harness.engine.canisters[callee].cycles == before[1] + 500_000
    answer = ops.call(caller, "call", call_arg(callee, "reject", cycles=70))
    assert int.from_bytes(answer[2:18], "little") == 70  # a reject refunds everything
    balance = ops.call(caller, "balance")
    assert int.from_bytes(balance[:16], "little") == harness.engine.canisters[caller].cycles
    burned = ops.call(caller, "burn", (1234).to_bytes(8, "little"))
    assert int.from_bytes(burned, "little") == 1234
    assert harness.engine.canisters[caller].cycles == int.from_bytes(balance[:16], "little") - 1234


def test_the_heartbeat_runs_every_round_and_its_traps_change_nothing(tmp_path: Path) -> None:
    import wasmtime

    wat = """
    (module
      (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
      (import "ic0" "msg_reply" (func $reply))
      (import "ic0" "trap" (func $trap (param i32 i32)))
      (memory 1)
      (global $beats (mut i32) (i32.const 0))
      (func (export "canister_heartbeat")
        (global.set $beats (i32.add (global.get $beats) (i32.const 1)))
        (if (i32.eq (global.get $beats) (i32.const 3))
          (then (call $trap (i32.const 0) (i32.const 0)))))
      (func (export "canister_query beats")
        (i32.store (i32.const 0) (global.get $beats))
        (call $append (i32.const 0) (i32.const 4))
        (call $reply)))
    """
    harness, ops = subnet(tmp_path)
    canister = deploy(ops, bytes(wasmtime.wat2wasm(wat)))
    for _ in range(5):
        harness.run_round()
    # every heartbeat counts, until the one that would reach 3 traps: rolled back, again and again
    assert int.from_bytes(ops.query(canister, "beats"), "little") == 2


def test_the_c_fixture_imports_every_ic0_function(target: str) -> None:
    import wasmtime

    from replica.execution.wasm.system_api import SIGNATURES

    module = wasmtime.Module(wasmtime.Engine(), fixture(f"c_canister_{target}.wasm"))
    imported = {entry.name for entry in module.imports if entry.module == "ic0"}
    assert imported == set(SIGNATURES)


def test_the_legacy_cycles_and_stable_memory_forms(tmp_path: Path, target: str) -> None:
    """The 64-bit cycles functions and the 32-bit stable memory API the spec keeps for old
    modules: the same amounts and bytes as their newer forms."""
    harness, ops = subnet(tmp_path, subnet_type="system")  # no fees: cycles add up exactly
    caller = deploy(ops, fixture(f"c_canister_{target}.wasm"))
    callee = deploy(ops, fixture(f"c_canister_{target}.wasm"))
    stable = ops.call(caller, "legacy_stable", b"hello")
    assert (u64(stable) & 0xFFFFFFFF, u64(stable) >> 32, stable[8:]) == (0, 1, b"hello")
    before = harness.engine.canisters[callee].cycles
    answer = ops.call(caller, "call_legacy_cycles", call_arg(callee, "legacy_cycles", b"", 1000))
    assert answer[:1] == b"R"
    assert int.from_bytes(answer[1:17], "little") == 500  # msg_cycles_refunded
    assert [u64(answer[17:], i) for i in range(3)] == [before, 1000, 500]
    assert harness.engine.canisters[callee].cycles == before + 500
    answer = ops.call(caller, "call_legacy_cycles", call_arg(callee, "reject", b"", 70))
    assert answer[:1] == b"J" and int.from_bytes(answer[2:18], "little") == 70
