"""Canisters built by the official Motoko compiler: enhanced orthogonal persistence (moc 4.10,
memory64)
and classic persistence (moc 3.9, wasm32)."""

from __future__ import annotations

from pathlib import Path

import pytest

from replica.candid import decode, encode
from replica.candid.types import Blob, Nat, Opt, Text
from replica.canister.errors import CallRejected
from replica.execution.messages import Status
from tests.replica.execution.wasm.helpers import ALICE, deploy, fixture, subnet

EMPTY = encode([], [])


def nat(reply: bytes) -> int:
    (value,) = decode(reply, [Nat])
    return int(value)


def test_the_enhanced_persistence_counter_keeps_its_state_across_an_upgrade(tmp_path: Path) -> None:
    _, ops = subnet(tmp_path)
    canister = deploy(ops, fixture("motoko_counter_eop.wasm"))
    assert [nat(ops.call(canister, "inc", EMPTY)) for _ in range(3)] == [1, 2, 3]
    assert nat(ops.query(canister, "get", EMPTY)) == 3
    with pytest.raises(CallRejected, match="wasm_memory_persistence"):
        ops.upgrade(canister, fixture("motoko_counter_eop.wasm"))
    ops.upgrade(canister, fixture("motoko_counter_eop.wasm"), keep_memory=True)
    assert nat(ops.query(canister, "get", EMPTY)) == 3
    assert nat(ops.query(canister, "session_count", EMPTY)) == 0  # transient variables start afresh
    assert nat(ops.call(canister, "inc", EMPTY)) == 4


def test_the_classic_counter_keeps_stable_variables_across_an_upgrade(tmp_path: Path) -> None:
    _, ops = subnet(tmp_path)
    canister = deploy(ops, fixture("motoko_counter_classic.wasm"))
    assert not ops.subnet.engine.wasm.states[canister].canister.module.memory64
    assert [nat(ops.call(canister, "inc", EMPTY)) for _ in range(2)] == [1, 2]
    ops.upgrade(canister, fixture("motoko_counter_classic.wasm"))
    assert nat(ops.query(canister, "get", EMPTY)) == 2
    assert nat(ops.query(canister, "session_count", EMPTY)) == 0
    with pytest.raises(
        CallRejected, match="requires a module with enhanced orthogonal persistence"
    ):
        ops.upgrade(canister, fixture("motoko_counter_classic.wasm"), keep_memory=True)


def test_inter_canister_calls_reply_reject_and_trap(tmp_path: Path) -> None:
    _, ops = subnet(tmp_path)
    callee = deploy(ops, fixture("motoko_callee.wasm"))
    caller = deploy(ops, fixture("motoko_features.wasm"))
    text = str(callee)
    assert decode(ops.call(caller, "call_double", encode([Text, Nat], [text, 21])), [Text]) == [
        "42"
    ]
    assert decode(ops.call(caller, "call_refuse", encode([Text], [text])), [Text]) == [
        "rejected: refused by the callee"
    ]
    (crashed,) = decode(ops.call(caller, "call_crash", encode([Text], [text])), [Text])
    assert crashed.startswith("rejected: ") and "assertion failed" in crashed


def test_raw_rand_certified_data_and_the_certificate(tmp_path: Path) -> None:
    harness, ops = subnet(tmp_path)
    canister = deploy(ops, fixture("motoko_features.wasm"))
    first = decode(ops.call(canister, "random", EMPTY), [Blob])[0]
    second = decode(ops.call(canister, "random", EMPTY), [Blob])[0]
    assert len(first) == 32 and first != second
    ops.call(canister, "certify", encode([Blob], [b"motoko"]))
    assert harness.engine.canisters[canister].certified_data == b"motoko"
    assert decode(ops.query(canister, "certificate", EMPTY), [Opt(Blob)]) == [None]
    answer = harness.engine.wasm.query(
        canister, "certificate", EMPTY, ALICE, data_certificate=b"a certificate"
    )
    assert isinstance(answer, bytes)
    assert decode(answer, [Opt(Blob)]) == [b"a certificate"]


def test_the_timer_fires_every_second(tmp_path: Path) -> None:
    harness, ops = subnet(tmp_path)
    canister = deploy(ops, fixture("motoko_features.wasm"))
    for _ in range(8):
        harness.run_round()  # half a second each
    fired = nat(ops.query(canister, "timer_fired", EMPTY))
    assert 3 <= fired <= 5


def test_inspect_message_refuses_large_arguments(tmp_path: Path) -> None:
    harness, ops = subnet(tmp_path)
    canister = deploy(ops, fixture("motoko_features.wasm"))
    status = harness.await_status(
        harness.submit(ALICE, canister, "certify", encode([Blob], [b"x" * 100]))
    )
    assert status.status == Status.REJECTED
    ops.call(canister, "certify", encode([Blob], [b"small"]))


def test_a_long_update_runs_over_several_rounds(tmp_path: Path) -> None:
    harness, ops = subnet(tmp_path)
    canister = deploy(ops, fixture("motoko_features.wasm"))
    harness.engine.wasm.slice_instructions = 5_000_000
    message = harness.submit(ALICE, canister, "spin", encode([Nat], [300_000]))
    rounds = 0
    while harness.status(message) is None or harness.status(message).status != Status.REPLIED:  # type: ignore[union-attr]
        harness.run_round()
        rounds += 1
        assert rounds < 100
        if rounds == 1:
            assert (
                nat(ops.query(canister, "timer_fired", EMPTY)) >= 0
            )  # queries see the state before the update
    assert rounds >= 3
    assert decode(harness.status(message).reply or b"", [Nat]) == [1]  # type: ignore[union-attr]
