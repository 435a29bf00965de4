"""A trapped message and every query leave no trace (replica/execution/wasm/canister.py says
how)."""

from __future__ import annotations

from pathlib import Path

import pytest

from replica.canister.errors import CallRejected
from tests.replica.execution.wasm.helpers import TARGETS, deploy, fixture, subnet, u64


@pytest.mark.parametrize("target", TARGETS)
def test_a_trap_rolls_back_memory_stable_memory_globals_certified_data_timer_and_calls(
    tmp_path: Path, target: str
) -> None:
    harness, ops = subnet(tmp_path)
    canister = deploy(ops, fixture(f"c_canister_{target}.wasm"))
    assert u64(ops.call(canister, "touch")) == 1
    engine = harness.engine
    wasm = engine.wasm.states[canister].canister
    assert wasm is not None
    before = (
        ops.query(canister, "state"),
        engine.canisters[canister].certified_data,
        wasm.global_timer,
        wasm.memory_bytes(),
        len(wasm.stable.data),
        engine.next_call_context,
    )
    hash_before = engine.wasm.state_digest(canister)
    with pytest.raises(CallRejected, match="after touching"):
        ops.call(canister, "touch_then_trap")
    wasm = engine.wasm.states[canister].canister
    assert wasm is not None
    after = (
        ops.query(canister, "state"),
        engine.canisters[canister].certified_data,
        wasm.global_timer,
        wasm.memory_bytes(),
        len(wasm.stable.data),
    )
    assert after == before[:5]
    assert engine.wasm.state_digest(canister) == hash_before
    # the call made before the trap was never sent: only the trapped message's own context was used
    assert not engine.call_contexts
    assert u64(ops.call(canister, "touch")) == 2  # and the canister goes on from where it was


@pytest.mark.parametrize("target", TARGETS)
def test_queries_leave_no_trace(tmp_path: Path, target: str) -> None:
    harness, ops = subnet(tmp_path)
    canister = deploy(ops, fixture(f"c_canister_{target}.wasm"))
    ops.call(canister, "touch")
    digest = harness.engine.wasm.state_digest(canister)
    assert u64(ops.query(canister, "touch_in_query")) == 101
    assert u64(ops.query(canister, "touch_in_query")) == 101
    assert harness.engine.wasm.state_digest(canister) == digest
    # a query method called as an update (replicated query) is rolled back too
    assert u64(ops.call(canister, "touch_in_query")) == 101
    assert u64(ops.query(canister, "state")) == 1


def test_a_trap_after_call_perform_sends_nothing(tmp_path: Path) -> None:
    from tests.replica.execution.wasm.helpers import call_arg

    harness, ops = subnet(tmp_path)
    caller = deploy(ops, fixture("c_canister_wasm32.wasm"))
    callee = deploy(ops, fixture("c_canister_wasm32.wasm"))
    with pytest.raises(CallRejected, match="trap after call_perform"):
        ops.call(caller, "call_then_trap", call_arg(callee, "touch"))
    assert u64(ops.query(callee, "state")) == 0
    assert not harness.engine.call_contexts
