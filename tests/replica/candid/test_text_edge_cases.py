"""Candid text and .did edge cases of the Candid specification (dfinity/candid spec/Candid.md,
"Syntax"): numeric labels are ids whatever their notation, block comments nest, and definitions
are separated by `;`."""

from __future__ import annotations

from typing import cast

import pytest

from replica.candid import decode, encode, parse_text
from replica.candid.did import parse_did, parse_types
from replica.candid.types import CandidError, Record, Variant, resolve


def test_numeric_field_labels_in_hex_or_with_underscores_are_ids() -> None:
    interface = parse_did(
        "type A = record { 0x10 : nat; 1_000 : text; 0x1_F : bool }; type V = variant { 0x2; 3_0 : "
        "nat };"
    )
    record = resolve(interface.types["A"])
    variant = resolve(interface.types["V"])
    assert isinstance(record, Record) and isinstance(variant, Variant)
    assert [(identifier, name) for identifier, name, _ in record.fields] == [
        (16, "16"),
        (31, "31"),
        (1000, "1000"),
    ]
    assert sorted(variant.by_id) == [2, 30]
    # The same ids written in decimal denote the same type.
    assert (
        cast(
            Record,
            resolve(parse_did("type A = record { 16 : nat; 31 : bool; 1000 : text };").types["A"]),
        ).by_id.keys()
        == record.by_id.keys()
    )


def test_numeric_labels_in_values() -> None:
    (record_type,) = parse_types("(record { 16 : nat; 1000 : text })")
    values = parse_text('(record { 0x10 = 5; 1_000 = "x" })', [record_type])
    assert values == [{"16": 5, "1000": "x"}]
    assert decode(encode([record_type], values), [record_type]) == values
    (variant_type,) = parse_types("(variant { 42 : nat; b })")
    assert parse_text("(variant { 0x2a = 7 })", [variant_type]) == [{"42": 7}]
    assert parse_text("(variant { 4_2 = 7 })", [variant_type]) == [{"42": 7}]


def test_nested_block_comments_are_accepted() -> None:
    interface = parse_did(
        "/* outer /* inner */ still the outer comment */ type A = nat; /* a /* b /* c */ */ */ "
        "service : {}"
    )
    assert list(interface.types) == ["A"]
    with pytest.raises(CandidError, match="unclosed comment"):
        parse_did("/* outer /* inner */ type A = nat;")


def test_comment_markers_inside_strings_are_text() -> None:
    interface = parse_did('type A = record { "/*" : nat; "*/x" : text }; service : {}')
    assert {name for _, name, _ in resolve(interface.types["A"]).fields} == {"/*", "*/x"}  # type: ignore[attr-defined]


def test_a_missing_semicolon_between_definitions_is_refused() -> None:
    with pytest.raises(CandidError, match="expected ';' after the definition of A"):
        parse_did("type A = nat type B = text;")
    with pytest.raises(CandidError, match="expected ';'"):
        parse_did("type A = record { x : nat } type B = text; service : {}")
    # The last definition may run straight into the service, as the grammar's `<def>;*` allows.
    assert parse_did("type A = nat service : { f : (A) -> () }").service is not None
