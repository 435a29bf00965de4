"""Composite queries: a query that calls other canisters' queries on its subnet, depth first,
its state carried across its callbacks and rolled back at the end, within the IC's limits
(rs/execution_environment/src/query_handler/query_context.rs; depth 6, loops refused)."""

from __future__ import annotations

from pathlib import Path

import pytest

from replica.canister.errors import CallRejected
from replica.environment import ErrorCode, RejectCode
from replica.execution.messages import Status
from replica.execution.wasm.operations import CanisterOperations
from replica.types import Principal
from tests.replica.execution.wasm.helpers import ALICE, deploy, fixture, subnet, u64


def composite_arg(callee: Principal, method: str, payload: bytes = b"") -> bytes:
    """The argument of canister.c's `composite`: whom to call, which method, with what."""
    return bytes([len(callee.raw)]) + callee.raw + bytes([len(method)]) + method.encode() + payload


def _canisters(tmp_path: Path, count: int) -> tuple[CanisterOperations, list[Principal]]:
    _, ops = subnet(tmp_path)
    module = fixture("c_canister_wasm32.wasm")
    return ops, [deploy(ops, module) for _ in range(count)]


def test_a_composite_query_calls_a_query_and_leaves_no_trace(tmp_path: Path) -> None:
    ops, (a, b) = _canisters(tmp_path, 2)
    before = ops.query(a, "state")
    reply = ops.query(a, "composite", composite_arg(b, "caller"))
    assert reply[:1] == b"Q"
    assert u64(reply[1:9]) == u64(before) + 101  # the entry point's change seen by the callback
    assert reply[9:] == a.raw  # the callee saw the caller canister
    assert ops.query(a, "state") == before  # and nothing stayed


@pytest.mark.parametrize("target", ["wasm32", "wasm64"])
def test_composite_queries_nest_depth_first(tmp_path: Path, target: str) -> None:
    _, ops = subnet(tmp_path)
    module = fixture(f"c_canister_{target}.wasm")
    a, b, c = (deploy(ops, module) for _ in range(3))
    reply = ops.query(a, "composite", composite_arg(b, "composite", composite_arg(c, "caller")))
    assert reply[:1] == b"Q" and reply[9:10] == b"Q"
    assert reply[18:] == b.raw


def test_a_call_graph_deeper_than_six_is_refused(tmp_path: Path) -> None:
    ops, chain = _canisters(tmp_path, 7)
    payload = b""
    for callee in reversed(chain[1:]):
        payload = composite_arg(callee, "composite" if payload else "caller", payload)
    reply = ops.query(chain[0], "composite", payload)
    # six composite queries deep, the sixth's call is refused and its reject callback answers
    deepest = reply[9 * 5 :]
    assert deepest[:1] == b"X" and deepest[1] == RejectCode.CANISTER_ERROR
    assert b"maximum call depth" in deepest[2:]
    assert ErrorCode.QUERY_CALL_GRAPH_TOO_DEEP.reject_code == RejectCode.CANISTER_ERROR


def test_a_loop_in_the_call_graph_is_refused(tmp_path: Path) -> None:
    ops, (a, b) = _canisters(tmp_path, 2)
    reply = ops.query(a, "composite", composite_arg(b, "composite", composite_arg(a, "caller")))
    inner = reply[9:]
    assert inner[:1] == b"X" and b"Loop detected" in inner[2:]


def test_only_query_methods_can_be_called_and_a_trap_is_a_reject(tmp_path: Path) -> None:
    ops, (a, b) = _canisters(tmp_path, 2)
    update = ops.query(a, "composite", composite_arg(b, "echo"))
    assert update[:1] == b"X" and b"no query method" in update[2:]
    trapped = ops.query(a, "composite", composite_arg(b, "read_arg_out_of_bounds"))
    assert trapped[:1] == b"X" and trapped[1] == RejectCode.CANISTER_ERROR
    outside = ops.query(a, "composite", composite_arg(Principal.management_canister(), "x"))
    assert outside[:1] == b"X" and outside[1] == RejectCode.DESTINATION_INVALID


def test_a_composite_query_cannot_be_called_as_an_update(tmp_path: Path) -> None:
    harness, ops = subnet(tmp_path)
    a = deploy(ops, fixture("c_canister_wasm32.wasm"))
    status = harness.await_status(harness.submit(ALICE, a, "composite", composite_arg(a, "x")))
    assert status.status == Status.REJECTED and status.reject is not None
    assert status.reject.error_code == ErrorCode.COMPOSITE_QUERY_CALLED_IN_REPLICATED_MODE
    with pytest.raises(CallRejected):
        ops.call(a, "composite", composite_arg(a, "x"))
