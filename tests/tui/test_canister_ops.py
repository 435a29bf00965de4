"""The pieces of `icbox canister` that need no network: amounts of cycles, Candid text arguments
typed by a module's `candid:service`, replies printed at the method's types, and the interfaces
remembered by module hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from replica.candid import encode
from replica.candid.did import parse_did
from replica.candid.types import Nat, Nat64, Text
from tests.replica.execution.wasm.helpers import fixture
from tui.ops.canisters import (
    EMPTY_ARGUMENT,
    encode_argument,
    format_reply_at,
    parse_cycles,
    read_module,
    service_text,
)
from tui.ops.errors import UsageError


def test_cycles_read_with_units_and_separators() -> None:
    assert parse_cycles("2T") == 2 * 10**12
    assert parse_cycles("1.5t") == 1_500_000_000_000
    assert parse_cycles("500B") == 500 * 10**9
    assert parse_cycles("1_000") == 1000
    with pytest.raises(UsageError):
        parse_cycles("-1T")
    with pytest.raises(UsageError):
        parse_cycles("lots")


def test_arguments_are_typed_by_the_interface_and_refused_without_one() -> None:
    method = parse_did("service : { put : (nat, text) -> (nat64) }").method("put")
    assert encode_argument('(5, "x")', list(method.arguments), "put") == encode(
        [Nat, Text], [5, "x"]
    )
    with pytest.raises(UsageError, match="does not parse"):
        encode_argument("(5)", list(method.arguments), "put")
    assert encode_argument(None, None, "get") == EMPTY_ARGUMENT
    assert encode_argument(" ( ) ", None, "get") == EMPTY_ARGUMENT
    with pytest.raises(UsageError, match="--candid"):
        encode_argument("(5)", None, "get")


def test_replies_print_at_the_method_types_or_their_own() -> None:
    reply = encode([Nat64], [7])
    assert format_reply_at(reply, [Nat64]) == "(7 : nat64)"
    assert format_reply_at(reply, None) == "(7)"
    assert format_reply_at(b"\x01\x02", None) == 'blob "\\01\\02"'


def test_a_module_carries_its_service_and_a_bad_file_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "counter.wasm"
    path.write_bytes(fixture("motoko_counter_eop.wasm"))
    _, prepared = read_module(path)
    service = service_text(prepared)
    assert service is not None and "inc" in service
    assert parse_did(service).method("get").modes == ["query"]
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"not wasm")
    with pytest.raises(UsageError):
        read_module(bad)
