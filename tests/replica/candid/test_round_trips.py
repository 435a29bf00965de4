"""Random values of random types encode and decode to themselves, in binary and in text."""

from __future__ import annotations

import contextlib
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replica.candid import CandidError, decode, decode_untyped, encode
from replica.candid import types as candid_types_module
from replica.candid.did import parse_did
from replica.candid.text import parse_text, to_text
from replica.candid.types import (
    FIXED_WIDTH,
    Blob,
    Bool,
    CandidType,
    Float32,
    Float64,
    Func,
    Int,
    Nat,
    Nat8,
    Null,
    Opt,
    PrincipalType,
    Rec,
    Record,
    Reserved,
    Service,
    Some,
    Text,
    Variant,
    Vec,
    idl_hash,
    resolve,
)
from replica.candid.types import (
    Int8 as _Int8,
)
from replica.candid.types import Int16 as _Int16
from replica.candid.types import Int32 as _Int32
from replica.candid.types import Int64 as _Int64
from replica.candid.types import Nat16 as _Nat16
from replica.candid.types import Nat32 as _Nat32
from replica.candid.types import (
    Nat64 as _Nat64,
)
from replica.candid.wire import build_types, encode_header, is_subtype, read_header, reference_type
from replica.types import Principal

TREE = Rec("Tree")
TREE.define(Variant({"leaf": Int, "node": Vec(TREE)}))
CALLBACK = Func([Nat], [Opt(Text)], ["query"])
LEAVES = [
    Null,
    Bool,
    Nat,
    Int,
    Nat8,
    _Nat16,
    _Nat32,
    _Nat64,
    _Int8,
    _Int16,
    _Int32,
    _Int64,
    Text,
    PrincipalType,
    Float32,
    Float64,
    Reserved,
    TREE,
    CALLBACK,
    Service({"m": CALLBACK}),
]
PRINCIPALS = st.binary(max_size=29).map(Principal)
NAMES = st.sampled_from(["amount", "to", "memo", "fee", "owner", "a", "b", "c", "id", "kind"])


def candid_types() -> st.SearchStrategy[CandidType]:
    return st.recursive(
        st.sampled_from(LEAVES),
        lambda children: st.one_of(
            children.map(Opt),
            children.map(Vec),
            st.dictionaries(NAMES, children, max_size=4).map(Record),
            st.dictionaries(NAMES, children, min_size=1, max_size=4).map(Variant),
        ),
        max_leaves=8,
    )


def values_of(candid_type: CandidType) -> st.SearchStrategy[Any]:
    candid_type = resolve(candid_type)
    if candid_type is Null:
        return st.none()
    if candid_type is Bool:
        return st.booleans()
    if candid_type is Nat:
        return st.integers(0, 2**80)
    if candid_type is Int:
        return st.integers(-(2**80), 2**80)
    if candid_type.opcode in FIXED_WIDTH:
        width, signed = FIXED_WIDTH[candid_type.opcode]
        bound = 1 << (8 * width - (1 if signed else 0))
        return st.integers(-bound if signed else 0, bound - 1)
    if candid_type is Text:
        return st.text(max_size=10)
    if candid_type is Float64:
        return st.floats(allow_nan=False)
    if candid_type is Float32:
        return st.floats(allow_nan=False, width=32)
    if candid_type is Reserved:
        return st.none()
    if candid_type is TREE.target:
        return st.recursive(
            st.integers(-5, 5).map(lambda leaf: {"leaf": leaf}),
            lambda trees: st.lists(trees, max_size=3).map(lambda children: {"node": children}),
            max_leaves=6,
        )
    if isinstance(candid_type, Func):
        return st.tuples(PRINCIPALS, st.sampled_from(["m", "notify", "🐂"]))
    if isinstance(candid_type, Service):
        return PRINCIPALS
    if candid_type is PrincipalType:
        return PRINCIPALS
    if isinstance(candid_type, Opt):
        inner = values_of(candid_type.inner)
        return st.one_of(st.none(), inner.map(Some) if candid_type.wraps else inner)
    if isinstance(candid_type, Vec):
        if resolve(candid_type.inner) is Nat8:
            return st.binary(max_size=8)
        return st.lists(values_of(candid_type.inner), max_size=3)
    if isinstance(candid_type, Record):
        return st.fixed_dictionaries({name: values_of(t) for _, name, t in candid_type.fields})
    if isinstance(candid_type, Variant):
        return st.sampled_from(candid_type.fields).flatmap(
            lambda f: values_of(f[2]).map(lambda v: {f[1]: v})
        )
    raise AssertionError(candid_type)


typed_values = candid_types().flatmap(lambda t: st.tuples(st.just(t), values_of(t)))


@settings(max_examples=150, deadline=None)
@given(typed_values)
def test_binary_round_trip(pair: tuple[CandidType, Any]) -> None:
    candid_type, value = pair
    assert decode(encode([candid_type], [value]), [candid_type]) == [value]


@settings(max_examples=100, deadline=None)
@given(typed_values)
def test_text_round_trip(pair: tuple[CandidType, Any]) -> None:
    candid_type, value = pair
    text = to_text([value], [candid_type])
    parsed = parse_text(text, [candid_type])
    assert encode([candid_type], parsed) == encode([candid_type], [value])


@settings(max_examples=100, deadline=None)
@given(candid_types())
def test_types_survive_the_type_table(candid_type: CandidType) -> None:
    entries, references, _ = read_header(encode_header([candid_type, Opt(candid_type)]))
    wire = reference_type(references[0], build_types(entries))
    assert is_subtype(candid_type, candid_type)
    assert is_subtype(wire, candid_type) and is_subtype(candid_type, wire)
    assert is_subtype(candid_type, Opt(candid_type)) and is_subtype(candid_type, Reserved)


@settings(max_examples=100, deadline=None)
@given(typed_values)
def test_a_value_reads_at_a_wider_record(pair: tuple[CandidType, Any]) -> None:
    candid_type, value = pair
    wider = Record({"value": candid_type, "added": Opt(Text)})
    message = encode(
        [Record({"value": candid_type, "dropped": Nat})], [{"value": value, "dropped": 1}]
    )
    assert decode(message, [wider]) == [{"value": value, "added": None}]


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=40))
def test_random_bytes_never_crash_the_decoder(data: bytes) -> None:
    with contextlib.suppress(CandidError):
        decode(b"DIDL" + data, [Opt(Record({"a": Nat, "b": Vec(Text)}))])


def test_field_hash_matches_the_spec() -> None:
    assert idl_hash("") == 0
    assert idl_hash("a") == 97
    assert idl_hash("amount") == 3_573_748_184
    assert idl_hash("e8s") == 5_035_232


def test_text_form_of_common_values() -> None:
    account = Record({"owner": PrincipalType, "subaccount": Opt(Vec(Nat8))})
    text = to_text(
        [{"owner": Principal.from_canister_id(1), "subaccount": None}, 5], [account, _Nat64]
    )
    assert (
        text == '(record { owner = principal "rrkah-fqaaa-aaaaa-aaaaq-cai"; '
        "subaccount = null }, 5 : nat64)"
    )
    assert parse_text("(1_000 : nat64)", [_Nat64]) == [1000]
    assert parse_text('("\\u{2603}")', [Text]) == ["☃"]
    with pytest.raises(CandidError):
        parse_text('("\\u{2603")', [Text])
    with pytest.raises(CandidError):
        parse_text("(300)", [Nat8])
    with pytest.raises(CandidError):
        parse_text("(-1)", [Nat])


def test_nan_prints() -> None:
    assert math.isnan(decode(encode([Float64], [math.nan]), [Float64])[0])


def test_did_interface_with_recursion_and_a_service() -> None:
    interface = parse_did(
        """
        type Tokens = record { e8s : nat64 };
        type Tree = variant { leaf : int; node : record { left : Tree; right : Tree } };
        service : {
          account_balance : (record { account : blob }) -> (Tokens) query;
          transfer : (record { to : blob; amount : Tokens }) -> (variant { Ok : nat64; Err : text
            });
        }
        """
    )
    balance = interface.method("account_balance")
    assert balance.modes == ["query"]
    tree = interface.types["Tree"]
    value = {
        "node": {
            "left": {"leaf": 1},
            "right": {"node": {"left": {"leaf": -2}, "right": {"leaf": 3}}},
        }
    }
    assert decode(encode([tree], [value]), [tree]) == [value]
    reply = encode(balance.results, [{"e8s": 7}])
    assert decode(reply, [Record({"e8s": _Nat64, "note": Opt(Text)})]) == [{"e8s": 7, "note": None}]
    with pytest.raises(CandidError):
        interface.method("missing")
    with pytest.raises(CandidError):
        parse_did("type A = B;")


def test_references_blob_and_principal_types_round_trip() -> None:
    assert Blob() is Blob
    assert candid_types_module.Principal is PrincipalType
    callback = Func([Nat], [], ["query"])
    ledger = Service({"transfer": Func([Blob], [Nat])})
    values = [
        (Principal.from_canister_id(2), "notify"),
        Principal.from_canister_id(2),
        b"\x00\xff",
        Principal.anonymous(),
    ]
    types = [callback, ledger, Blob, PrincipalType]
    assert decode(encode(types, values), types) == values
    assert parse_text(to_text(values, types), types) == values


def test_tuple_records_accept_a_tuple_when_encoding() -> None:
    pair = Record([Nat, Text])
    assert decode(encode([pair], [(1, "a")]), [pair]) == [{"0": 1, "1": "a"}]


def test_encoding_errors_name_the_faulty_value() -> None:
    ballots = Record({"ballots": Vec(Record({"vote": _Int8}))})
    with pytest.raises(CandidError, match=r"argument 0\.ballots\[1\]\.vote: .*integer"):
        encode([ballots], [{"ballots": [{"vote": 1}, {"vote": "yes"}]}])
    with pytest.raises(CandidError, match="missing"):
        encode([ballots], [{}])
    with pytest.raises(CandidError, match="does not fit"):
        encode([_Int8], [300])
    with pytest.raises(CandidError, match="Some"):
        encode([Opt(Opt(Nat))], [3])


def test_identical_table_entries_are_written_once() -> None:
    first, second = Record({"id": _Nat64}), Record({"id": _Nat64})
    message = encode([first, second, Opt(first)], [{"id": 1}, {"id": 2}, {"id": 3}])
    assert message[4] == 2  # one record entry and one opt entry


def test_deep_nesting_is_a_candid_error() -> None:
    interface = parse_did("type List = opt record { head : nat; tail : List };")
    list_type = interface.types["List"]
    value: Any = None
    for index in range(50):
        value = {"head": index, "tail": value}
    assert decode(encode([list_type], [value]), [list_type]) == [value]
    deep = b"DIDL\x02\x6e\x01\x6c\x02\x00\x7d\x01\x00\x01\x00" + b"\x01\x00" * 5_000 + b"\x00"
    with pytest.raises(CandidError, match="deep"):
        decode(deep, [list_type])


def test_did_service_with_init_arguments_comments_and_modes() -> None:
    interface = parse_did(
        """
        // the ledger, trimmed
        type InitArgs = record { minting_account : text; /* block comment */ fee : opt nat };
        service : (InitArgs) -> {
          "name" : () -> (text) query;
          notify : (nat) -> () oneway;
          peek : () -> (nat) composite_query;
        }
        """
    )
    assert [repr(t) for t in interface.init] == ["InitArgs"]
    assert interface.method("name").modes == ["query"]
    assert interface.method("notify").modes == ["oneway"]
    assert interface.method("peek").modes == ["composite_query"]
    assert decode(encode(interface.init, [{"minting_account": "m"}]), interface.init) == [
        {"minting_account": "m", "fee": None}
    ]


def test_text_form_of_variants_and_numbered_fields() -> None:
    result = Variant({"Ok": Nat, "Err": Variant({"InsufficientFunds": Record({"balance": Nat})})})
    value = {"Err": {"InsufficientFunds": {"balance": 5}}}
    text = to_text([value], [result])
    assert (
        text == "(variant { Err = variant { InsufficientFunds = record { balance = 5 : nat } } })"
    )
    assert parse_text(text, [result]) == [value]
    assert parse_text('(record { 0 = 1; 1 = "x" })', [Record([Nat, Text])]) == [{"0": 1, "1": "x"}]
    assert parse_text('(record { 1; "x" })', [Record([Nat, Text])]) == [{"0": 1, "1": "x"}]
    with pytest.raises(CandidError):
        parse_text("(variant { Maybe })", [result])
    floats = [Float64, Float64, Float64]
    printed = to_text([-math.inf, 0.25, 1e300], floats)
    assert printed == "(-inf : float64, 0.25 : float64, 1e+300 : float64)"
    assert parse_text(printed, floats) == [-math.inf, 0.25, 1e300]
    assert math.isnan(parse_text("(nan : float64)", [Float64])[0])


def test_untyped_decoding_names_fields_by_id() -> None:
    account = Record({"owner": PrincipalType, "subaccount": Opt(Vec(Nat8))})
    result = Variant({"Ok": Nat, "Err": Text})
    owner = Principal.from_canister_id(1)
    message = encode(
        [account, result, Record([Nat, Text])],
        [{"owner": owner, "subaccount": None}, {"Ok": 5}, (1, "x")],
    )
    types, values = decode_untyped(message)
    owner_id, subaccount_id, ok_id = idl_hash("owner"), idl_hash("subaccount"), idl_hash("Ok")
    assert values == [
        {f"_{owner_id}_": owner, f"_{subaccount_id}_": None},
        {f"_{ok_id}_": 5},
        {"0": 1, "1": "x"},
    ]
    text = to_text(values, types)
    assert text.startswith(f'(record {{ _{owner_id}_ = principal "{owner.to_text()}"')
    assert decode(encode(types, parse_text(text, types)), [account, result]) == [
        {"owner": owner, "subaccount": None},
        {"Ok": 5},
    ]


def test_large_honest_vectors_fit_the_budget() -> None:
    numbers = list(range(300_000))
    assert decode(encode([Vec(_Nat64)], [numbers]), [Vec(_Nat64)]) == [numbers]
    empties: list[dict[str, Any]] = [{}] * 100_000
    assert decode(encode([Vec(Record({}))], [empties]), [Vec(Record({}))]) == [empties]


def test_one_message_decodes_at_different_expected_types() -> None:
    message = encode([Record({"a": Nat, "b": Text})], [{"a": 1, "b": "x"}])
    assert decode(message, [Record({"a": Nat})]) == [{"a": 1}]
    assert decode(message, [Record({"b": Text, "c": Opt(Nat)})]) == [{"b": "x", "c": None}]
    assert decode(message, [Record({"a": Int})]) == [{"a": 1}]
    with pytest.raises(CandidError, match="missing"):
        decode(message, [Record({"z": Nat})])
    assert decode(message, [Opt(Record({"z": Nat}))]) == [None]
