"""Vectors of the public Candid test suite (prim, construct, subtype), rewritten as tables.

Each row: the message in the suite's escaped notation, the expected argument
types, and either the decoded values or None when decoding must fail.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from replica.candid import CandidError, decode, encode
from replica.candid.types import (
    Bool,
    CandidType,
    Empty,
    Float32,
    Float64,
    Int,
    Int8,
    Int16,
    Int32,
    Int64,
    Nat,
    Nat8,
    Nat16,
    Nat32,
    Nat64,
    Null,
    Opt,
    PrincipalType,
    Record,
    Reserved,
    Some,
    Text,
    Variant,
    Vec,
)
from replica.types import Principal

FAIL = object()


def blob(notation: str) -> bytes:
    """The suite's `blob "DIDL\\00\\01\\7d"` notation: text with \\xx hex escapes."""
    out, index = bytearray(), 0
    while index < len(notation):
        if notation[index] == "\\":
            out.append(int(notation[index + 1 : index + 3], 16))
            index += 3
        else:
            out.extend(notation[index].encode())
            index += 1
    return bytes(out)


PRIM: list[tuple[str, list[CandidType], Any]] = [
    ("", [], FAIL),
    ("\\00\\00", [], FAIL),
    ("DADL", [], FAIL),
    ("DADL\\00\\00", [], FAIL),
    ("DIDL\\80\\00\\00", [], []),
    ("DIDL\\00\\80\\00", [], []),
    ("DIDL\\00\\00", [], []),
    ("DIDL\\00\\00\\00", [], FAIL),
    ("DIDL\\00\\01\\7f", [], []),
    ("DIDL\\00\\01\\6e", [], FAIL),
    ("DIDL\\00\\01\\5e", [], FAIL),
    ("DIDL\\00\\01\\7f", [Null], [None]),
    ("DIDL\\00\\01\\7e", [Null], FAIL),
    ("DIDL\\00\\01\\7f\\00", [Null], FAIL),
    ("DIDL\\00\\00", [Null], [None]),
    ("DIDL\\00\\01\\7e\\00", [Bool], [False]),
    ("DIDL\\00\\01\\7e\\01", [Bool], [True]),
    ("DIDL\\00\\01\\7e", [Bool], FAIL),
    ("DIDL\\00\\01\\7e\\02", [Bool], FAIL),
    ("DIDL\\00\\01\\7e\\ff", [Bool], FAIL),
    ("DIDL\\00\\01\\7d\\00", [Nat], [0]),
    ("DIDL\\00\\01\\7d\\7f", [Nat], [127]),
    ("DIDL\\00\\01\\7d\\80\\01", [Nat], [128]),
    ("DIDL\\00\\01\\7d\\ff\\7f", [Nat], [16383]),
    ("DIDL\\00\\01\\7d\\80", [Nat], FAIL),
    ("DIDL\\00\\01\\7d\\80\\00", [Nat], [0]),
    ("DIDL\\00\\01\\7d\\ff\\00", [Nat], [127]),
    ("DIDL\\00\\01\\7d\\80\\80\\98\\f4\\e9\\b5\\ca\\6a", [Nat], [60000000000000000]),
    ("DIDL\\00\\01\\7c\\7f", [Int], [-1]),
    ("DIDL\\00\\01\\7c\\40", [Int], [-64]),
    ("DIDL\\00\\01\\7c\\80\\01", [Int], [128]),
    ("DIDL\\00\\01\\7c\\ff\\7f", [Int], [-1]),
    ("DIDL\\00\\01\\7c\\ff\\00", [Int], [127]),
    ("DIDL\\00\\01\\7c\\80\\7f", [Int], [-128]),
    ("DIDL\\00\\01\\7c\\80\\80\\98\\f4\\e9\\b5\\ca\\ea\\00", [Int], [60000000000000000]),
    ("DIDL\\00\\01\\7c\\80\\80\\e8\\8b\\96\\ca\\b5\\95\\7f", [Int], [-60000000000000000]),
    ("DIDL\\00\\01\\7b\\ff", [Nat8], [255]),
    ("DIDL\\00\\01\\7b", [Nat8], FAIL),
    ("DIDL\\00\\01\\7b\\00\\00", [Nat8], FAIL),
    ("DIDL\\00\\01\\7a\\00\\01", [Nat16], [256]),
    ("DIDL\\00\\01\\7a\\00", [Nat16], FAIL),
    ("DIDL\\00\\01\\79\\ff\\ff\\ff\\ff", [Nat32], [4294967295]),
    ("DIDL\\00\\01\\79\\00\\00\\00", [Nat32], FAIL),
    ("DIDL\\00\\01\\78\\ff\\ff\\ff\\ff\\ff\\ff\\ff\\ff", [Nat64], [18446744073709551615]),
    ("DIDL\\00\\01\\78\\00\\00\\00\\00\\00\\00\\00\\00\\00", [Nat64], FAIL),
    ("DIDL\\00\\01\\77\\ff", [Int8], [-1]),
    ("DIDL\\00\\01\\76\\ff\\ff", [Int16], [-1]),
    ("DIDL\\00\\01\\75\\ff\\ff\\ff\\ff", [Int32], [-1]),
    ("DIDL\\00\\01\\74\\ff\\ff\\ff\\ff\\00\\00\\00\\00", [Int64], [4294967295]),
    ("DIDL\\00\\01\\74\\ff\\ff\\ff\\ff\\ff\\ff\\ff\\ff", [Int64], [-1]),
    ("DIDL\\00\\01\\73\\00\\00\\40\\40", [Float32], [3.0]),
    ("DIDL\\00\\01\\73\\00\\00\\00\\bf", [Float32], [-0.5]),
    ("DIDL\\00\\01\\73\\00\\00", [Float32], FAIL),
    ("DIDL\\00\\01\\72\\00\\00\\00\\00\\00\\00\\e0\\3f", [Float64], [0.5]),
    ("DIDL\\00\\01\\72\\00\\00\\00\\00", [Float64], FAIL),
    ("DIDL\\00\\01\\71\\00", [Text], [""]),
    ("DIDL\\00\\01\\71\\06Motoko", [Text], ["Motoko"]),
    ("DIDL\\00\\01\\71\\05Motoko", [Text], FAIL),
    ("DIDL\\00\\01\\71\\07Motoko", [Text], FAIL),
    ("DIDL\\00\\01\\71\\86\\00Motoko", [Text], ["Motoko"]),
    ("DIDL\\00\\01\\71\\03\\e2\\98\\83", [Text], ["☃"]),
    ("DIDL\\00\\01\\71\\03\\e2\\28\\a1", [Text], FAIL),
    ("DIDL\\00\\01\\71\\02\\e2\\98\\83", [Text], FAIL),
    ("DIDL\\00\\01\\71\\06\\09\\0A\\0D\\22\\27\\5C", [Text], ["\t\n\r\"'\\"]),
    ("DIDL\\00\\01\\7f", [Reserved], [None]),
    ("DIDL\\00\\01\\7e\\01", [Reserved], [None]),
    ("DIDL\\00\\01\\7d\\80\\01", [Reserved], [None]),
    ("DIDL\\00\\01\\71\\06Motoko", [Reserved], [None]),
    ("DIDL\\00\\01\\71\\05Motoko", [Reserved], FAIL),
    ("DIDL\\00\\01\\71\\03\\e2\\28\\a1", [Reserved], FAIL),
    ("DIDL\\00\\01\\6f", [Empty], FAIL),
    ("DIDL\\01\\6e\\6f\\01\\00\\00", [Opt(Empty)], [None]),
    (
        "DIDL\\00\\0a\\7f\\7e\\7d\\7c\\7f\\70\\7f\\7b\\7a\\79\\01\\2a\\2a\\2a\\2a\\00\\2a\\00\\00\\00",
        [Null, Bool, Nat, Int, Null, Reserved, Null, Nat8, Nat16, Nat32],
        [None, True, 42, 42, None, None, None, 42, 42, 42],
    ),
]

CONSTRUCT: list[tuple[str, list[CandidType], Any]] = [
    # opt
    ("DIDL\\01\\6e\\7c\\01\\00\\00", [Opt(Int)], [None]),
    ("DIDL\\01\\6e\\7c\\01\\00\\01\\2a", [Opt(Int)], [42]),
    ("DIDL\\01\\6e\\7c\\01\\00\\02\\2a", [Opt(Int)], FAIL),
    ("DIDL\\01\\6e\\7c\\01\\00", [Opt(Int)], FAIL),
    ("DIDL\\00\\01\\7f", [Opt(Int)], [None]),
    ("DIDL\\00\\01\\70", [Opt(Int)], [None]),
    ("DIDL\\00\\00", [Opt(Int)], [None]),
    # nested opt
    ("DIDL\\02\\6e\\01\\6e\\7c\\01\\00\\01\\01\\2a", [Opt(Opt(Int))], [Some(42)]),
    ("DIDL\\02\\6e\\01\\6e\\7c\\01\\00\\01\\00", [Opt(Opt(Int))], [Some(None)]),
    # vec
    ("DIDL\\01\\6d\\7c\\01\\00\\00", [Vec(Int)], [[]]),
    ("DIDL\\01\\6d\\7c\\01\\00\\02\\01\\02", [Vec(Int)], [[1, 2]]),
    ("DIDL\\01\\6d\\7b\\01\\00\\02\\01\\02", [Vec(Nat8)], [b"\x01\x02"]),
    ("DIDL\\01\\6d\\7c\\01\\00\\03\\01\\02", [Vec(Int)], FAIL),
    # record
    ("DIDL\\01\\6c\\00\\01\\00", [Record({})], [{}]),
    ("DIDL\\01\\6c\\02\\00\\7c\\01\\7e\\01\\00\\2a\\01", [Record([Int, Bool])], [{"0": 42, "1": True}]),
    ("DIDL\\01\\6c\\02\\01\\7c\\00\\7e\\01\\00\\2a\\01", [Record([Int, Bool])], FAIL),
    ("DIDL\\01\\6c\\01\\00\\7c\\01\\00\\2a", [Record({"0": Int, "5": Opt(Nat)})], [{"0": 42, "5": None}]),
    ("DIDL\\01\\6c\\01\\00\\7c\\01\\00\\2a", [Record({"0": Int, "5": Nat})], FAIL),
    ("DIDL\\01\\6c\\02\\00\\7c\\01\\7e\\01\\00\\2a\\01", [Record([Int])], [{"0": 42}]),
    # variant
    ("DIDL\\01\\6b\\01\\00\\7f\\01\\00\\00", [Variant({"0": Null})], [{"0": None}]),
    ("DIDL\\01\\6b\\01\\00\\7f\\01\\00\\01", [Variant({"0": Null})], FAIL),
    ("DIDL\\01\\6b\\02\\00\\7f\\01\\7c\\01\\00\\01\\2a", [Variant({"0": Null, "1": Int})], [{"1": 42}]),
    ("DIDL\\01\\6b\\02\\00\\7f\\01\\7c\\01\\00\\01\\2a", [Variant({"0": Null})], FAIL),
    ("DIDL\\01\\6b\\02\\01\\7f\\00\\7c\\01\\00\\00\\2a", [Variant({"0": Int, "1": Null})], FAIL),
    # principal
    ("DIDL\\00\\01\\68\\01\\00", [PrincipalType], [Principal(b"")]),
    ("DIDL\\00\\01\\68\\01\\03\\ca\\ff\\ee", [PrincipalType], [Principal(b"\xca\xff\xee")]),
    ("DIDL\\00\\01\\68\\00", [PrincipalType], FAIL),
    ("DIDL\\00\\01\\68\\01\\03\\ca\\ff", [PrincipalType], FAIL),
]

SUBTYPE: list[tuple[str, list[CandidType], Any]] = [
    ("DIDL\\00\\01\\7d\\2a", [Int], [42]),
    ("DIDL\\00\\01\\7c\\2a", [Nat], FAIL),
    # a value that does not fit an opt becomes null
    ("DIDL\\00\\01\\71\\03abc", [Opt(Nat)], [None]),
    ("DIDL\\00\\01\\7d\\2a", [Opt(Nat)], [42]),
    ("DIDL\\01\\6e\\71\\01\\00\\01\\03abc", [Opt(Nat)], [None]),
    ("DIDL\\00\\01\\7d\\2a", [Opt(Opt(Nat))], [None]),
    ("DIDL\\00\\01\\7d\\2a", [Opt(Null)], [None]),
    # extra arguments are ignored; missing optional arguments read as null
    ("DIDL\\00\\02\\7d\\7e\\2a\\01", [Nat], [42]),
    ("DIDL\\00\\01\\7d\\2a", [Nat, Opt(Text), Null, Reserved], [42, None, None, None]),
    ("DIDL\\00\\01\\7d\\2a", [Nat, Text], FAIL),
]


def check(notation: str, types: list[CandidType], expected: Any) -> None:
    data = blob(notation)
    if expected is FAIL:
        with pytest.raises(CandidError):
            decode(data, types)
        return
    values = decode(data, types)
    assert values == expected


@pytest.mark.parametrize(("notation", "types", "expected"), PRIM)
def test_prim(notation: str, types: list[CandidType], expected: Any) -> None:
    check(notation, types, expected)


@pytest.mark.parametrize(("notation", "types", "expected"), CONSTRUCT)
def test_construct(notation: str, types: list[CandidType], expected: Any) -> None:
    check(notation, types, expected)


@pytest.mark.parametrize(("notation", "types", "expected"), SUBTYPE)
def test_subtype(notation: str, types: list[CandidType], expected: Any) -> None:
    check(notation, types, expected)


def test_nan_and_max_float() -> None:
    assert math.isnan(decode(blob("DIDL\\00\\01\\72\\01\\00\\00\\00\\00\\00\\f0\\7f"), [Float64])[0])
    assert decode(blob("DIDL\\00\\01\\72\\ff\\ff\\ff\\ff\\ff\\ff\\ef\\7f"), [Float64])[0] == 1.7976931348623157e308


def test_encoding_matches_the_vectors() -> None:
    assert encode([Nat], [128]) == blob("DIDL\\00\\01\\7d\\80\\01")
    assert encode([Int], [-128]) == blob("DIDL\\00\\01\\7c\\80\\7f")
    assert encode([Opt(Int)], [42]) == blob("DIDL\\01\\6e\\7c\\01\\00\\01\\2a")
    assert encode([Text], ["Motoko"]) == blob("DIDL\\00\\01\\71\\06Motoko")
    assert encode([Record([Int, Bool])], [{"0": 42, "1": True}]) == blob("DIDL\\01\\6c\\02\\00\\7c\\01\\7e\\01\\00\\2a\\01")
