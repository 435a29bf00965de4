"""A message's changes to the funcref table are gone when it ends, trapped or not, in an update
or a query, as on the IC where every message gets a new instance
(rs/embedders/src/wasmtime_embedder.rs, `new_instance`); wat/table.wat is the module."""

from __future__ import annotations

from pathlib import Path

import pytest

from replica.canister.errors import CallRejected
from replica.execution.wasm.code import CodeFacts, scan_code
from replica.execution.wasm.module import decompress
from tests.replica.execution.wasm.helpers import deploy, fixture, subnet

PRISTINE = bytes([2, 1, 2])  # table size 2, entry 0 returns 1, entry 1 returns 2


def test_the_scan_finds_table_writes_only_where_they_are() -> None:
    assert scan_code(fixture("wat_table.wasm")).writes_table
    for name in ("c_canister_wasm32.wasm", "c_canister_wasm64.wasm", "motoko_counter_eop.wasm"):
        assert scan_code(decompress(fixture(name))) == CodeFacts()


def test_an_update_sees_its_table_changes_and_the_next_message_does_not(tmp_path: Path) -> None:
    _, ops = subnet(tmp_path)
    canister = deploy(ops, fixture("wat_table.wasm"))
    assert ops.query(canister, "read") == PRISTINE + b"\x00"
    assert ops.call(canister, "change") == bytes([5, 2, 2, 1])  # grown to 5, entry 0 is $two
    # the global the update changed is kept; the table is back as the module gives it
    assert ops.query(canister, "read") == PRISTINE + b"\x01"
    assert ops.call(canister, "set_only") == bytes([2, 1, 1, 1])
    assert ops.call(canister, "fill") == bytes([2, 2, 2, 1])
    assert ops.call(canister, "copy") == bytes([2, 1, 1, 1])
    assert ops.query(canister, "read") == PRISTINE + b"\x01"


def test_a_trapped_message_and_a_query_leave_the_table_as_it_was(tmp_path: Path) -> None:
    harness, ops = subnet(tmp_path)
    canister = deploy(ops, fixture("wat_table.wasm"))
    digest = harness.engine.wasm.state_digest(canister)
    with pytest.raises(CallRejected, match="changed the table, then trapped"):
        ops.call(canister, "change_then_trap")
    assert ops.query(canister, "read") == PRISTINE + b"\x00"
    assert ops.query(canister, "change_in_query") == bytes([5, 2, 2, 1])
    assert ops.query(canister, "read") == PRISTINE + b"\x00"
    assert harness.engine.wasm.state_digest(canister) == digest
