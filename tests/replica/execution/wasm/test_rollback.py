"""A trapped message and every query leave no trace (replica/execution/wasm/canister.py says
how)."""

from __future__ import annotations

from pathlib import Path

import pytest

from replica.canister.errors import CallRejected
from replica.execution.wasm import canister as wasm_canister
from tests.replica.execution.wasm.helpers import TARGETS, deploy, fixture, subnet, u64

MEMORY = ("copied", "page-tracked")


@pytest.fixture(params=MEMORY)
def memory(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Roll back main memory from a copy, or by page tracking (pages.py), whatever its size."""
    tracked = request.param == "page-tracked"
    monkeypatch.setattr(wasm_canister, "PAGE_TRACKING_MIN_BYTES", 0 if tracked else 1 << 40)
    return str(request.param)


@pytest.mark.parametrize("target", TARGETS)
def test_a_trap_rolls_back_memory_stable_memory_globals_certified_data_timer_and_calls(
    tmp_path: Path, target: str, memory: str
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
    assert (wasm._pages is not None) == (memory == "page-tracked")


@pytest.mark.parametrize("target", TARGETS)
def test_queries_leave_no_trace(tmp_path: Path, target: str, memory: str) -> None:
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


def test_a_tracked_memory_commits_the_pages_a_message_wrote_to_its_file(tmp_path: Path) -> None:
    """The Motoko counter's 5.3 MiB are tracked by pages: after each message the memory file
    holds exactly the memory, and nothing private is left."""
    import os

    harness, ops = subnet(tmp_path)
    canister = deploy(ops, fixture("motoko_counter_eop.wasm"))
    for _ in range(3):
        ops.call(canister, "inc", b"DIDL\x00\x00")
        wasm = harness.engine.wasm.states[canister].canister
        assert wasm is not None and wasm._pages is not None
        pages, size = wasm._pages, wasm.memory_bytes()
        assert pages.dirty() == [] and pages.size == size
        assert os.pread(pages.fd, size, 0) == wasm.read_memory(0, size)
    with pytest.raises(CallRejected):
        ops.call(canister, "no_such_method", b"DIDL\x00\x00")
    digest = harness.engine.wasm.state_digest(canister)
    ops.query(canister, "get", b"DIDL\x00\x00")
    assert harness.engine.wasm.state_digest(canister) == digest
