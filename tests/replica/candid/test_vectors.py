"""Vectors of the public Candid test suite (prim, construct, reference, subtypes, spacebomb).

Each row: a label, the message in the suite's escaped notation (`\\xx` is one
byte in hex, other characters stand for themselves), the expected argument
types as `.did` text, and either the decoded values or FAIL when decoding must
be refused.
"""

from __future__ import annotations

import math
from typing import Any, Final

import pytest

from replica.candid import CandidError, Some, decode, encode
from replica.candid.did import parse_types
from replica.types import Principal

FAIL: Final = object()
DEFINITIONS: Final = """
type Opt = opt Opt;
type Vec = vec Vec;
type EmptyRecord = record { EmptyRecord };
type OptRec = opt record { OptRec };
type List = opt record { head : int; tail : List };
type List1 = opt List2;
type List2 = record { head : int; tail : List1 };
type EmptyVariant = variant { 0 : EmptyVariant };
type VariantList = variant { nil; cons : record { head : int; tail : VariantList } };
type MuRecordOpt = record { 0 : opt MuRecordOpt };
type A1 = record { foo : int32; bar : bool };
type A2 = record { foo : int32; bar : bool; bat : VariantList; baz : A1; bbb : List; bib : variant
  { foo; bar }; bab : A1 };
"""
CAFFEE: Final = Principal(b"\xca\xff\xee")
AAAAA: Final = Principal(b"")


def blob(notation: str) -> bytes:
    out, index = bytearray(), 0
    while index < len(notation):
        if notation[index] == "\\":
            out.append(int(notation[index + 1 : index + 3], 16))
            index += 3
        else:
            out.extend(notation[index].encode())
            index += 1
    return bytes(out)


Row = tuple[str, str, str, Any]

PRIM: Final[list[Row]] = [
    ("empty", "", "()", FAIL),
    ("no magic bytes", "\\00\\00", "()", FAIL),
    ("wrong magic bytes", "DADL\\00\\00", "()", FAIL),
    ("overlong type table length", "DIDL\\80\\00\\00", "()", []),
    ("overlong argument length", "DIDL\\00\\80\\00", "()", []),
    ("nullary", "DIDL\\00\\00", "()", []),
    ("nullary: too long", "DIDL\\00\\00\\00", "()", FAIL),
    ("additional parameters are ignored", "DIDL\\00\\01\\7f", "()", []),
    ("not a primitive type", "DIDL\\00\\01\\6e", "()", FAIL),
    ("out of range type", "DIDL\\00\\01\\5e", "()", FAIL),
    ("null", "DIDL\\00\\01\\7f", "(null)", [None]),
    ("null: wrong type", "DIDL\\00\\01\\7e", "(null)", FAIL),
    ("null: too long", "DIDL\\00\\01\\7f\\00", "(null)", FAIL),
    ("null: missing", "DIDL\\00\\00", "(null)", FAIL),
    ("bool: false", "DIDL\\00\\01\\7e\\00", "(bool)", [False]),
    ("bool: true", "DIDL\\00\\01\\7e\\01", "(bool)", [True]),
    ("bool: missing", "DIDL\\00\\01\\7e", "(bool)", FAIL),
    ("bool: out of range", "DIDL\\00\\01\\7e\\02", "(bool)", FAIL),
    ("bool: out of range ff", "DIDL\\00\\01\\7e\\ff", "(bool)", FAIL),
    ("nat: 0", "DIDL\\00\\01\\7d\\00", "(nat)", [0]),
    ("nat: 0x7f", "DIDL\\00\\01\\7d\\7f", "(nat)", [127]),
    ("nat: two bytes", "DIDL\\00\\01\\7d\\80\\01", "(nat)", [128]),
    ("nat: two bytes, all bits", "DIDL\\00\\01\\7d\\ff\\7f", "(nat)", [16383]),
    ("nat: leb too short", "DIDL\\00\\01\\7d\\80", "(nat)", FAIL),
    ("nat: leb overlong", "DIDL\\00\\01\\7d\\80\\00", "(nat)", [0]),
    ("nat: leb overlong 127", "DIDL\\00\\01\\7d\\ff\\00", "(nat)", [127]),
    (
        "nat: big number",
        "DIDL\\00\\01\\7d\\80\\80\\98\\f4\\e9\\b5\\ca\\6a",
        "(nat)",
        [60000000000000000],
    ),
    ("int: 0", "DIDL\\00\\01\\7c\\00", "(int)", [0]),
    ("int: -1", "DIDL\\00\\01\\7c\\7f", "(int)", [-1]),
    ("int: -64", "DIDL\\00\\01\\7c\\40", "(int)", [-64]),
    ("int: two bytes", "DIDL\\00\\01\\7c\\80\\01", "(int)", [128]),
    ("int: leb too short", "DIDL\\00\\01\\7c\\80", "(int)", FAIL),
    ("int: overlong 0s", "DIDL\\00\\01\\7c\\80\\00", "(int)", [0]),
    ("int: overlong 1s", "DIDL\\00\\01\\7c\\ff\\7f", "(int)", [-1]),
    ("int: not overlong when signed", "DIDL\\00\\01\\7c\\ff\\00", "(int)", [127]),
    ("int: -128", "DIDL\\00\\01\\7c\\80\\7f", "(int)", [-128]),
    (
        "int: big",
        "DIDL\\00\\01\\7c\\80\\80\\98\\f4\\e9\\b5\\ca\\ea\\00",
        "(int)",
        [60000000000000000],
    ),
    (
        "int: negative big",
        "DIDL\\00\\01\\7c\\80\\80\\e8\\8b\\96\\ca\\b5\\95\\7f",
        "(int)",
        [-60000000000000000],
    ),
    ("nat8: 255", "DIDL\\00\\01\\7b\\ff", "(nat8)", [255]),
    ("nat8: too short", "DIDL\\00\\01\\7b", "(nat8)", FAIL),
    ("nat8: too long", "DIDL\\00\\01\\7b\\00\\00", "(nat8)", FAIL),
    ("nat16: 256", "DIDL\\00\\01\\7a\\00\\01", "(nat16)", [256]),
    ("nat16: too short", "DIDL\\00\\01\\7a\\00", "(nat16)", FAIL),
    ("nat16: too long", "DIDL\\00\\01\\7a\\00\\00\\00", "(nat16)", FAIL),
    ("nat32: max", "DIDL\\00\\01\\79\\ff\\ff\\ff\\ff", "(nat32)", [4294967295]),
    ("nat32: too short", "DIDL\\00\\01\\79\\00\\00\\00", "(nat32)", FAIL),
    (
        "nat64: max",
        "DIDL\\00\\01\\78\\ff\\ff\\ff\\ff\\ff\\ff\\ff\\ff",
        "(nat64)",
        [18446744073709551615],
    ),
    ("nat64: 2^32-1", "DIDL\\00\\01\\78\\ff\\ff\\ff\\ff\\00\\00\\00\\00", "(nat64)", [4294967295]),
    ("nat64: too short", "DIDL\\00\\01\\78\\00\\00\\00\\00\\00\\00\\00", "(nat64)", FAIL),
    ("nat64: too long", "DIDL\\00\\01\\78\\00\\00\\00\\00\\00\\00\\00\\00\\00", "(nat64)", FAIL),
    ("int8: -1", "DIDL\\00\\01\\77\\ff", "(int8)", [-1]),
    ("int8: too long", "DIDL\\00\\01\\77\\00\\00", "(int8)", FAIL),
    ("int16: 255", "DIDL\\00\\01\\76\\ff\\00", "(int16)", [255]),
    ("int16: -1", "DIDL\\00\\01\\76\\ff\\ff", "(int16)", [-1]),
    ("int32: 65535", "DIDL\\00\\01\\75\\ff\\ff\\00\\00", "(int32)", [65535]),
    ("int32: -1", "DIDL\\00\\01\\75\\ff\\ff\\ff\\ff", "(int32)", [-1]),
    ("int32: too short", "DIDL\\00\\01\\75\\00\\00\\00", "(int32)", FAIL),
    ("int64: 2^32-1", "DIDL\\00\\01\\74\\ff\\ff\\ff\\ff\\00\\00\\00\\00", "(int64)", [4294967295]),
    ("int64: -1", "DIDL\\00\\01\\74\\ff\\ff\\ff\\ff\\ff\\ff\\ff\\ff", "(int64)", [-1]),
    ("int64: too long", "DIDL\\00\\01\\74\\00\\00\\00\\00\\00\\00\\00\\00\\00", "(int64)", FAIL),
    ("float32: 3", "DIDL\\00\\01\\73\\00\\00\\40\\40", "(float32)", [3.0]),
    ("float32: 0.5", "DIDL\\00\\01\\73\\00\\00\\00\\3f", "(float32)", [0.5]),
    ("float32: -0.5", "DIDL\\00\\01\\73\\00\\00\\00\\bf", "(float32)", [-0.5]),
    ("float32: too short", "DIDL\\00\\01\\73\\00\\00", "(float32)", FAIL),
    ("float32: too long", "DIDL\\00\\01\\73\\00\\00\\00\\00\\00", "(float32)", FAIL),
    ("float64: 3", "DIDL\\00\\01\\72\\00\\00\\00\\00\\00\\00\\08\\40", "(float64)", [3.0]),
    ("float64: -0.5", "DIDL\\00\\01\\72\\00\\00\\00\\00\\00\\00\\e0\\bf", "(float64)", [-0.5]),
    (
        "float64: max",
        "DIDL\\00\\01\\72\\ff\\ff\\ff\\ff\\ff\\ff\\ef\\7f",
        "(float64)",
        [1.7976931348623157e308],
    ),
    ("float64: too short", "DIDL\\00\\01\\72\\00\\00\\00\\00", "(float64)", FAIL),
    ("text: empty", "DIDL\\00\\01\\71\\00", "(text)", [""]),
    ("text: Motoko", "DIDL\\00\\01\\71\\06Motoko", "(text)", ["Motoko"]),
    ("text: too long", "DIDL\\00\\01\\71\\05Motoko", "(text)", FAIL),
    ("text: too short", "DIDL\\00\\01\\71\\07Motoko", "(text)", FAIL),
    ("text: overlong length", "DIDL\\00\\01\\71\\86\\00Motoko", "(text)", ["Motoko"]),
    ("text: unicode", "DIDL\\00\\01\\71\\03\\e2\\98\\83", "(text)", ["☃"]),
    ("text: invalid utf8", "DIDL\\00\\01\\71\\03\\e2\\28\\a1", "(text)", FAIL),
    ("text: unicode overshoots", "DIDL\\00\\01\\71\\02\\e2\\98\\83", "(text)", FAIL),
    ("text: escapes", "DIDL\\00\\01\\71\\06\\09\\0A\\0D\\22\\27\\5C", "(text)", ["\t\n\r\"'\\"]),
    ("reserved from null", "DIDL\\00\\01\\7f", "(reserved)", [None]),
    ("reserved from bool", "DIDL\\00\\01\\7e\\01", "(reserved)", [None]),
    ("reserved from nat", "DIDL\\00\\01\\7d\\80\\01", "(reserved)", [None]),
    ("reserved from text", "DIDL\\00\\01\\71\\06Motoko", "(reserved)", [None]),
    ("reserved from too short text", "DIDL\\00\\01\\71\\05Motoko", "(reserved)", FAIL),
    ("reserved from invalid utf8", "DIDL\\00\\01\\71\\03\\e2\\28\\a1", "(reserved)", FAIL),
    ("cannot decode empty", "DIDL\\00\\01\\6f", "(empty)", FAIL),
    ("opt empty from null opt", "DIDL\\01\\6e\\6f\\01\\00\\00", "(opt empty)", [None]),
    (
        "multiple arguments",
        "DIDL\\00\\0a\\7f\\7e\\7d\\7c\\7f\\70\\7f\\7b\\7a\\79\\01\\2a\\2a\\2a\\2a\\00\\2a\\00\\00\\00",
        "(null, bool, nat, int, null, reserved, null, nat8, nat16, nat32)",
        [None, True, 42, 42, None, None, None, 42, 42, 42],
    ),
]

LIST_MESSAGE: Final = (
    "DIDL\\02\\6e\\01\\6c\\02\\a0\\d2\\ac\\a8\\04\\7c\\90\\ed\\da\\e7\\04\\00\\01\\00"
)
VARIANT_LIST: Final = (
    "DIDL\\02\\6b\\02\\d1\\a7\\cf\\02\\7f\\f1\\f3\\92\\8e\\04\\01\\6c\\02"
    "\\a0\\d2\\ac\\a8\\04\\7c\\90\\ed\\da\\e7\\04\\00\\01\\00"
)
SKIP_FIELDS: Final = (
    "DIDL\\07\\6c\\07\\c3\\e3\\aa\\02\\01\\d3\\e3\\aa\\02\\7e\\d5\\e3\\aa\\02\\02\\db\\e3\\aa\\02\\01\\a2\\e5\\aa\\02\\04"
    "\\bb\\f1\\aa\\02\\06\\86\\8e\\b7\\02\\75\\6c\\02\\d3\\e3\\aa\\02\\7e\\86\\8e\\b7\\02\\75\\6b\\02\\d1\\a7\\cf\\02\\7f"
    "\\f1\\f3\\92\\8e\\04\\03\\6c\\02\\a0\\d2\\ac\\a8\\04\\7c\\90\\ed\\da\\e7\\04\\02\\6e\\05\\6c\\02\\a0\\d2\\ac\\a8\\04"
    "\\7c\\90\\ed\\da\\e7\\04\\04\\6b\\02\\d3\\e3\\aa\\02\\7f\\86\\8e\\b7\\02\\7f\\01\\00\\01\\0b\\00\\00\\00\\01\\00\\00"
    "\\0a\\00\\00\\00\\01\\14\\00\\00\\2a\\00\\00\\00"
)


def cons(head: int, tail: Any) -> dict[str, Any]:
    return {"head": head, "tail": tail}


CONSTRUCT: Final[list[Row]] = [
    # type table
    ("empty table", "DIDL\\00\\00", "()", []),
    ("unused type", "DIDL\\01\\6e\\6f\\00", "()", []),
    ("repeated types", "DIDL\\02\\6e\\6f\\6e\\6f\\00", "()", []),
    ("recursive type", "DIDL\\01\\6e\\00\\00", "()", []),
    ("type too short", "DIDL\\01\\6e\\00", "()", FAIL),
    ("vacuous type", "DIDL\\01\\00\\00", "()", FAIL),
    ("vacuous type through another", "DIDL\\02\\6e\\01\\00\\00", "()", FAIL),
    ("table entry out of range", "DIDL\\01\\6e\\01\\00", "()", FAIL),
    ("argument entry out of range", "DIDL\\00\\01\\00", "()", FAIL),
    ("argument too short", "DIDL\\00\\03\\7f\\7f", "()", FAIL),
    ("argument too long", "DIDL\\00\\02\\7f\\7f\\7f", "()", FAIL),
    ("non-primitive in argument list", "DIDL\\00\\01\\6e\\7f\\00", "()", FAIL),
    ("primitive type in the table", "DIDL\\01\\7f\\00", "()", FAIL),
    ("principal in the table", "DIDL\\01\\68\\00", "()", FAIL),
    ("table entry in the table", "DIDL\\02\\6d\\7f\\00\\00", "()", FAIL),
    ("table too long", "DIDL\\01\\6e\\6f\\6e\\6f\\00", "()", FAIL),
    # opt
    ("opt: null", "DIDL\\01\\6e\\7c\\01\\00\\00", "(opt int)", [None]),
    ("opt: type out of range", "DIDL\\01\\6e\\02\\01\\00\\00", "(opt int)", FAIL),
    ("opt: 42", "DIDL\\01\\6e\\7c\\01\\00\\01\\2a", "(opt int)", [42]),
    ("opt: flag out of range", "DIDL\\01\\6e\\7c\\01\\00\\02\\2a", "(opt int)", FAIL),
    ("opt: flag ff", "DIDL\\01\\6e\\7c\\01\\00\\ff", "(opt int)", FAIL),
    ("opt: too short", "DIDL\\01\\6e\\7c\\01\\00\\01", "(opt int)", FAIL),
    ("opt: too long", "DIDL\\01\\6e\\7c\\01\\00\\00\\2a", "(opt int)", FAIL),
    ("opt: nested", "DIDL\\02\\6e\\01\\6e\\7c\\01\\00\\01\\01\\2a", "(opt opt int)", [Some(42)]),
    ("opt: recursion", "DIDL\\01\\6e\\00\\01\\00\\01\\01\\00", "(Opt)", [Some(Some(None))]),
    (
        "opt: non-recursive type",
        "DIDL\\01\\6e\\00\\01\\00\\01\\01\\00",
        "(opt opt opt empty)",
        [Some(Some(None))],
    ),
    (
        "opt: mutual recursion",
        "DIDL\\02\\6e\\01\\6e\\00\\01\\00\\01\\01\\00",
        "(Opt)",
        [Some(Some(None))],
    ),
    ("opt: extra argument", "DIDL\\00\\00", "(Opt)", [None]),
    # vec
    ("vec: empty", "DIDL\\01\\6d\\7c\\01\\00\\00", "(vec int)", [[]]),
    ("vec: non subtype empty", "DIDL\\01\\6d\\7c\\01\\00\\00", "(vec int8)", [[]]),
    ("vec", "DIDL\\01\\6d\\7c\\01\\00\\02\\01\\02", "(vec int)", [[1, 2]]),
    ("vec: blob", "DIDL\\01\\6d\\7b\\01\\00\\02\\01\\02", "(vec nat8)", [b"\x01\x02"]),
    ("vec: recursive vector", "DIDL\\01\\6d\\00\\01\\00\\00", "(Vec)", [[]]),
    ("vec: tree", "DIDL\\01\\6d\\00\\01\\00\\02\\00\\00", "(Vec)", [[[], []]]),
    (
        "vec: non-recursive tree",
        "DIDL\\01\\6d\\00\\01\\00\\02\\00\\00",
        "(vec vec opt empty)",
        [[[], []]],
    ),
    ("vec: space bomb", "DIDL\\01\\6d\\7f\\01\\00\\e8\\07", "(vec null)", [[None] * 1000]),
    ("vec: too short", "DIDL\\01\\6d\\7c\\01\\00", "(vec int)", FAIL),
    ("vec: too short element", "DIDL\\01\\6d\\7c\\01\\00\\02\\01", "(vec int)", FAIL),
    ("vec: too long", "DIDL\\01\\6d\\7c\\01\\00\\01\\01\\02", "(vec int)", FAIL),
    ("vec of records", "DIDL\\02\\6d\\01\\6c\\00\\01\\00\\05", "(vec record {})", [[{}] * 5]),
    # record
    ("record: empty", "DIDL\\01\\6c\\00\\01\\00", "(record {})", [{}]),
    (
        "record: multiple",
        "DIDL\\01\\6c\\00\\03\\00\\00\\00",
        "(record {}, record {}, record {})",
        [{}, {}, {}],
    ),
    ("record", "DIDL\\01\\6c\\01\\01\\7c\\01\\00\\2a", "(record { 1 : int })", [{"1": 42}]),
    (
        "record: opt",
        "DIDL\\01\\6c\\01\\01\\7c\\01\\00\\2a",
        "(record { 1 : opt int })",
        [{"1": 42}],
    ),
    (
        "record: reserved",
        "DIDL\\01\\6c\\01\\01\\7c\\01\\00\\2a",
        "(record { 1 : reserved })",
        [{"1": None}],
    ),
    ("record: ignore fields", "DIDL\\01\\6c\\01\\01\\7c\\01\\00\\2a", "(record {})", [{}]),
    ("record: missing field", "DIDL\\01\\6c\\01\\01\\7c\\01\\00\\2a", "(record { 2 : int })", FAIL),
    (
        "record: missing opt field",
        "DIDL\\01\\6c\\01\\01\\7c\\01\\00\\2a",
        "(record { 2 : opt int })",
        [{"2": None}],
    ),
    (
        "record: tuple",
        "DIDL\\01\\6c\\02\\00\\7c\\01\\7e\\01\\00\\2a\\01",
        "(record { int; bool })",
        [{"0": 42, "1": True}],
    ),
    (
        "record: ignore a field",
        "DIDL\\01\\6c\\02\\00\\7c\\01\\7e\\01\\00\\2a\\01",
        "(record { 1 : bool })",
        [{"1": True}],
    ),
    (
        "record: type mismatch",
        "DIDL\\01\\6c\\02\\00\\7c\\01\\7e\\01\\00\\2a\\01",
        "(record { bool; int })",
        FAIL,
    ),
    (
        "record: duplicate fields",
        "DIDL\\01\\6c\\02\\00\\7c\\00\\7e\\01\\00\\2a\\01",
        "(record { int; bool })",
        FAIL,
    ),
    (
        "record: unsorted",
        "DIDL\\01\\6c\\02\\01\\7c\\00\\7e\\01\\00\\2a\\01",
        "(record { 1 : int; 0 : bool })",
        FAIL,
    ),
    (
        "record: named fields",
        "DIDL\\01\\6c\\02\\d3\\e3\\aa\\02\\7e\\86\\8e\\b7\\02\\7c\\01\\00\\01\\2a",
        "(record { foo : int; bar : bool })",
        [{"foo": 42, "bar": True}],
    ),
    (
        "record: unicode field",
        "DIDL\\01\\6c\\01\\cd\\84\\b0\\05\\7f\\01\\00",
        '(record { "☃" : null })',
        [{"☃": None}],
    ),
    (
        "record: field hash larger than u32",
        "DIDL\\01\\6c\\01\\80\\e4\\97\\d0\\12\\7c\\01\\00\\2a",
        "(record {})",
        FAIL,
    ),
    (
        "record: nested",
        "DIDL\\04\\6c\\01\\00\\01\\6c\\01\\00\\02\\6c\\01\\00\\03\\6c\\00\\01\\00",
        "(record { record { record { record {} } } })",
        [{"0": {"0": {"0": {}}}}],
    ),
    ("record: empty recursion", "DIDL\\01\\6c\\01\\00\\00\\01\\00", "(EmptyRecord)", FAIL),
    (
        "vec of empty records",
        "DIDL\\02\\6d\\01\\6c\\01\\00\\01\\01\\00\\01",
        "(vec EmptyRecord)",
        FAIL,
    ),
    (
        "record: value too short",
        "DIDL\\01\\6c\\02\\00\\7c\\01\\7e\\01\\00\\2a",
        "(record { int })",
        FAIL,
    ),
    (
        "record: value too long",
        "DIDL\\01\\6c\\02\\00\\7c\\01\\7e\\01\\00\\2a\\01\\00",
        "(record { int })",
        FAIL,
    ),
    ("record: type too short", "DIDL\\01\\6c\\02\\00\\7c\\01\\01\\00\\2a\\01", "(record {})", FAIL),
    ("record: type too short 2", "DIDL\\01\\6c\\02\\00\\7c\\01\\00\\2a\\01", "(record {})", FAIL),
    (
        "record: type too long",
        "DIDL\\01\\6c\\02\\00\\7c\\01\\7e\\02\\7e\\01\\00\\2a\\01\\00",
        "(record {})",
        FAIL,
    ),
    (
        "record: type out of range",
        "DIDL\\01\\6c\\02\\00\\01\\01\\7e\\01\\00\\00\\00",
        "(record {})",
        FAIL,
    ),
    (
        "record: type out of range at reserved",
        "DIDL\\01\\6c\\02\\00\\01\\01\\7e\\01\\7c\\2a",
        "(reserved)",
        FAIL,
    ),
    # opt
    ("opt: null : null", "DIDL\\00\\01\\7f", "(opt empty)", [None]),
    ("opt: null : opt empty", "DIDL\\01\\6e\\6f\\01\\00\\00", "(opt empty)", [None]),
    ("opt: null : opt bool", "DIDL\\01\\6e\\7e\\01\\00\\00", "(opt bool)", [None]),
    ("opt: opt false", "DIDL\\01\\6e\\7e\\01\\00\\01\\00", "(opt bool)", [False]),
    ("opt: opt true", "DIDL\\01\\6e\\7e\\01\\00\\01\\01", "(opt bool)", [True]),
    ("opt: invalid bool", "DIDL\\01\\6e\\7e\\01\\00\\01\\02", "(opt bool)", FAIL),
    ("opt: extra value", "DIDL\\00\\00", "(opt bool)", [None]),
    ("opt: null : opt opt bool", "DIDL\\02\\6e\\01\\6e\\7e\\01\\00\\00", "(opt opt bool)", [None]),
    (
        "opt: opt null : opt opt bool",
        "DIDL\\02\\6e\\01\\6e\\7e\\01\\00\\01\\00",
        "(opt opt bool)",
        [Some(None)],
    ),
    (
        "opt: opt opt false",
        "DIDL\\02\\6e\\01\\6e\\7e\\01\\00\\01\\01\\00",
        "(opt opt bool)",
        [Some(False)],
    ),
    ("opt: false : opt bool", "DIDL\\00\\01\\7e\\00", "(opt bool)", [False]),
    ("opt: true : opt bool", "DIDL\\00\\01\\7e\\01", "(opt bool)", [True]),
    ("opt: invalid bool at opt bool", "DIDL\\00\\01\\7e\\02", "(opt bool)", FAIL),
    (
        "opt: null : opt null at opt opt null",
        "DIDL\\01\\6e\\7f\\01\\00\\00",
        "(opt opt null)",
        [None],
    ),
    ("opt: true at opt opt bool", "DIDL\\00\\01\\7e\\01", "(opt opt bool)", [None]),
    ("opt: true at fix opt", "DIDL\\00\\01\\7e\\01", "(Opt)", [None]),
    ("opt: fix record at fix record opt", "DIDL\\01\\6c\\01\\00\\00\\01\\00", "(OptRec)", FAIL),
    ("reserved <: opt nat", "DIDL\\00\\01\\70", "(opt nat)", [None]),
    ("null : opt bool <: opt nat", "DIDL\\01\\6e\\7e\\01\\00\\00", "(opt nat)", [None]),
    ("opt true : opt bool <: opt nat", "DIDL\\01\\6e\\7e\\01\\00\\01\\01", "(opt nat)", [None]),
    ("opt bool <: opt nat, invalid bool", "DIDL\\01\\6e\\7e\\01\\00\\01\\02", "(opt nat)", FAIL),
    (
        "opt opt true <: opt nat",
        "DIDL\\02\\6e\\01\\6e\\7e\\01\\00\\01\\01\\01",
        "(opt nat)",
        [None],
    ),
    (
        "opt opt true <: opt opt nat",
        "DIDL\\02\\6e\\01\\6e\\7e\\01\\00\\01\\01\\01",
        "(opt opt nat)",
        [Some(None)],
    ),
    (
        "opt: recovered coercion error under variant",
        "DIDL\\02\\6e\\01\\6b\\01\\00\\7e\\01\\00\\01\\00\\01",
        "(opt variant { 0 : int })",
        [None],
    ),
    (
        "missing optional field",
        "DIDL\\01\\6c\\00\\01\\00",
        "(record { foo : opt bool })",
        [{"foo": None}],
    ),
    (
        "missing reserved field",
        "DIDL\\01\\6c\\00\\01\\00",
        "(record { foo : reserved })",
        [{"foo": None}],
    ),
    # variant
    ("variant: no empty value", "DIDL\\01\\6b\\00\\01\\00", "(variant {})", FAIL),
    (
        "variant: numbered field",
        "DIDL\\01\\6b\\01\\00\\7f\\01\\00\\00",
        "(variant { 0 })",
        [{"0": None}],
    ),
    (
        "variant: type mismatch",
        "DIDL\\01\\6b\\01\\00\\7f\\01\\00\\00\\2a",
        "(variant { 0 : int })",
        FAIL,
    ),
    (
        "variant: type mismatch in unused tag",
        "DIDL\\01\\6b\\02\\00\\7f\\01\\7c\\01\\00\\01\\2a",
        "(variant { 0 : int; 1 : int })",
        [{"1": 42}],
    ),
    (
        "variant: ignore field",
        "DIDL\\01\\6b\\01\\00\\7f\\01\\00\\00",
        "(variant { 0; 1 })",
        [{"0": None}],
    ),
    (
        "variant {0;1} <: variant {0}",
        "DIDL\\01\\6b\\02\\00\\7f\\01\\7f\\01\\00\\00",
        "(variant { 0 })",
        [{"0": None}],
    ),
    (
        "variant {0;1} <: opt variant {0}",
        "DIDL\\01\\6b\\02\\00\\7f\\01\\7f\\01\\00\\00",
        "(opt variant { 0 })",
        [{"0": None}],
    ),
    (
        "variant: change index",
        "DIDL\\01\\6b\\02\\00\\7f\\01\\7f\\01\\00\\01",
        "(variant { 0; 1; 2 })",
        [{"1": None}],
    ),
    ("variant: missing field", "DIDL\\01\\6b\\01\\00\\7f\\01\\00\\00", "(variant { 1 })", FAIL),
    (
        "variant: index out of range",
        "DIDL\\01\\6b\\01\\00\\7f\\01\\00\\01",
        "(variant { 0 })",
        FAIL,
    ),
    (
        "variant: duplicate fields",
        "DIDL\\01\\6b\\02\\00\\7f\\00\\7f\\01\\00\\00",
        "(variant { 0 })",
        FAIL,
    ),
    (
        "variant: unsorted",
        "DIDL\\01\\6b\\02\\01\\7f\\00\\7f\\01\\00\\00",
        "(variant { 0; 1 })",
        FAIL,
    ),
    (
        "variant: ok with maxInt",
        "DIDL\\01\\6b\\03\\00\\7f\\01\\7f\\ff\\ff\\ff\\ff\\0f\\7f\\01\\00\\00",
        "(variant { 0; 1; 4294967295 })",
        [{"0": None}],
    ),
    (
        "variant: unsorted with maxInt",
        "DIDL\\01\\6b\\03\\00\\7f\\ff\\ff\\ff\\ff\\0f\\7f\\01\\7f\\01\\00\\00",
        "(variant { 0; 1; 4294967295 })",
        FAIL,
    ),
    (
        "variant: enum",
        "DIDL\\01\\6b\\02\\b3\\d3\\c9\\01\\7f\\e6\\fd\\d5\\01\\7f\\01\\00\\00",
        "(variant { Foo; Bar })",
        [{"Bar": None}],
    ),
    (
        "variant: unicode field",
        "DIDL\\01\\6b\\01\\cd\\84\\b0\\05\\7f\\01\\00\\00",
        '(variant { "☃" })',
        [{"☃": None}],
    ),
    (
        "variant: result",
        "DIDL\\01\\6b\\02\\bc\\8a\\01\\71\\c5\\fe\\d2\\01\\71\\01\\00\\00\\04\\67\\6f\\6f\\64",
        "(variant { Ok : text; Err : text })",
        [{"Ok": "good"}],
    ),
    (
        "variant: with empty",
        "DIDL\\01\\6b\\02\\9c\\c2\\01\\71\\e5\\8e\\b4\\02\\6f\\01\\00\\00\\04\\67\\6f\\6f\\64",
        "(variant { ok : text; err : empty })",
        [{"ok": "good"}],
    ),
    (
        "variant: with EmptyRecord",
        "DIDL\\02\\6b\\02\\9c\\c2\\01\\71\\e5\\8e\\b4\\02\\01\\6c\\01\\00\\01\\01\\00\\00\\04\\67\\6f\\6f\\64",
        "(variant { ok : text; err : EmptyRecord })",
        [{"ok": "good"}],
    ),
    (
        "variant: record payload",
        "DIDL\\03\\6b\\03\\b3\\d3\\c9\\01\\01\\bb\\d3\\c9\\01\\02\\e6\\fd\\d5\\01\\7f\\6c\\02\\00\\7e\\01\\7c\\6c\\02\\61\\7c\\62\\7d\\01\\00\\00\\01\\2a",
        "(variant { Foo; Bar : record { bool; int }; Baz : record { a : int; b : nat } })",
        [{"Bar": {"0": True, "1": 42}}],
    ),
    (
        "variant: empty recursion",
        "DIDL\\01\\6b\\01\\00\\00\\01\\00" + "\\00" * 12,
        "(EmptyVariant)",
        FAIL,
    ),
    (
        "variant: field hash larger than u32",
        "DIDL\\01\\6b\\01\\80\\e4\\97\\d0\\12\\7c\\01\\00\\00\\2a",
        "(reserved)",
        FAIL,
    ),
    (
        "variant: value too short",
        "DIDL\\01\\6b\\02\\00\\7f\\01\\7c\\01\\00\\01",
        "(variant { 0; 1 : int })",
        FAIL,
    ),
    (
        "variant: value too long",
        "DIDL\\01\\6b\\02\\00\\7f\\01\\7c\\01\\00\\01\\2a\\00",
        "(variant { 0; 1 : int })",
        FAIL,
    ),
    (
        "variant: type out of range",
        "DIDL\\01\\6b\\02\\00\\01\\01\\7c\\01\\00\\01\\2a",
        "(variant { 0 : reserved; 1 : int })",
        FAIL,
    ),
    ("variant: type too short", "DIDL\\01\\6b\\02\\00\\7f\\01\\00\\00", "(variant { 0; 1 })", FAIL),
    (
        "variant: type too long",
        "DIDL\\01\\6b\\03\\00\\7f\\01\\7f\\01\\00\\00",
        "(variant { 0; 1 })",
        FAIL,
    ),
    # lists
    ("record: empty list", LIST_MESSAGE + "\\00", "(List)", [None]),
    (
        "record: list",
        LIST_MESSAGE + "\\01\\01\\01\\02\\01\\03\\01\\04\\00",
        "(List)",
        [cons(1, cons(2, cons(3, cons(4, None))))],
    ),
    (
        "record: reorder type table",
        "DIDL\\02\\6c\\02\\a0\\d2\\ac\\a8\\04\\7c\\90\\ed\\da\\e7\\04\\01\\6e\\00\\01\\01\\01\\01\\01\\02\\00",
        "(List)",
        [cons(1, cons(2, None))],
    ),
    (
        "record: mutual recursive list",
        LIST_MESSAGE + "\\01\\01\\01\\02\\00",
        "(List1)",
        [cons(1, cons(2, None))],
    ),
    ("variant: empty list", VARIANT_LIST + "\\00", "(VariantList)", [{"nil": None}]),
    (
        "variant: list",
        VARIANT_LIST + "\\01\\01\\01\\02\\00",
        "(VariantList)",
        [{"cons": cons(1, {"cons": cons(2, {"nil": None})})}],
    ),
    (
        "variant: extra arguments",
        VARIANT_LIST + "\\00",
        "(VariantList, opt VariantList, opt empty, reserved, opt int)",
        [{"nil": None}, None, None, None, None],
    ),
    ("non-null extra arguments", VARIANT_LIST + "\\00", "(VariantList, opt int, vec int)", FAIL),
    # skipping fields
    (
        "skip fields: all of A2",
        SKIP_FIELDS,
        "(A2)",
        [
            {
                "foo": 42,
                "bar": True,
                "bat": {"nil": None},
                "baz": {"foo": 10, "bar": False},
                "bbb": cons(20, None),
                "bib": {"bar": None},
                "bab": {"foo": 11, "bar": True},
            }
        ],
    ),
    ("skip fields: A1", SKIP_FIELDS, "(A1)", [{"foo": 42, "bar": True}]),
    (
        "skip fields: nested",
        SKIP_FIELDS,
        "(record { bar : bool; baz : record { bar : bool }; bbb : opt record { head : int } })",
        [{"bar": True, "baz": {"bar": False}, "bbb": {"head": 20}}],
    ),
    (
        "new variant field",
        SKIP_FIELDS,
        "(record { bat : variant { nil; cons : record { head : int; tail : VariantList }; "
        "new_field : empty } })",
        [{"bat": {"nil": None}}],
    ),
    ("new record field", SKIP_FIELDS, "(record { foo : int; new_field : bool })", FAIL),
    # future types
    (
        "skipping minimal future type",
        "DIDL\\01\\67\\00\\02\\00\\7e\\00\\00\\01",
        "(opt empty, bool)",
        [None, True],
    ),
    (
        "skipping future type with data",
        "DIDL\\01\\67\\03ABC\\02\\00\\7e\\05\\00hello\\01",
        "(opt empty, bool)",
        [None, True],
    ),
]

REFERENCE: Final[list[Row]] = [
    ("principal: ic0", "DIDL\\00\\01\\68\\01\\00", "(principal)", [AAAAA]),
    ("principal", "DIDL\\00\\01\\68\\01\\03\\ca\\ff\\ee", "(principal)", [CAFFEE]),
    (
        "principal: nine bytes",
        "DIDL\\00\\01\\68\\01\\09\\ef\\cd\\ab\\00\\00\\00\\00\\00\\01",
        "(principal)",
        [Principal.from_text("2chl6-4hpzw-vqaaa-aaaaa-c")],
    ),
    ("principal: no tag", "DIDL\\00\\01\\68\\03\\ca\\ff\\ee", "(principal)", FAIL),
    ("principal: too short", "DIDL\\00\\01\\68\\01\\03\\ca\\ff", "(principal)", FAIL),
    ("principal: too long", "DIDL\\00\\01\\68\\01\\03\\ca\\ff\\ee\\ee", "(principal)", FAIL),
    ("principal: not construct", "DIDL\\01\\68\\01\\00\\01\\03\\ca\\ff\\ee", "(principal)", FAIL),
    ("service: not principal", "DIDL\\00\\01\\68\\01\\03\\ca\\ff\\ee", "(service {})", FAIL),
    ("service: not primitive type", "DIDL\\00\\01\\69\\01\\03\\ca\\ff\\ee", "(service {})", FAIL),
    ("service", "DIDL\\01\\69\\00\\01\\00\\01\\03\\ca\\ff\\ee", "(service {})", [CAFFEE]),
    (
        "service: one method",
        "DIDL\\02\\6a\\01\\71\\01\\7d\\00\\69\\01\\03foo\\00\\01\\01\\01\\03\\ca\\ff\\ee",
        "(service { foo : (text) -> (nat) })",
        [CAFFEE],
    ),
    (
        "service: two methods",
        "DIDL\\02\\6a\\01\\71\\01\\7d\\00\\69\\02\\03foo\\00\\04foo\\32\\00\\01\\01\\01\\03\\ca\\ff\\ee",
        "(service { foo : (text) -> (nat); foo2 : (text) -> (nat) })",
        [CAFFEE],
    ),
    (
        "service: too long",
        "DIDL\\02\\6a\\01\\71\\01\\7d\\00\\69\\03\\03foo\\00\\04foo\\32\\00\\01\\01\\01\\03\\ca\\ff\\ee",
        "(service { foo : (text) -> (nat); foo2 : (text) -> (nat) })",
        FAIL,
    ),
    (
        "service: too short",
        "DIDL\\02\\6a\\01\\71\\01\\7d\\00\\69\\01\\03foo\\00\\04foo\\32\\00\\01\\01\\01\\03\\ca\\ff\\ee",
        "(service { foo : (text) -> (nat); foo2 : (text) -> (nat) })",
        FAIL,
    ),
    (
        "service: unsorted",
        "DIDL\\02\\6a\\01\\71\\01\\7d\\00\\69\\02\\04foo\\32\\00\\03foo\\00\\01\\01\\01\\03\\ca\\ff\\ee",
        "(service { foo : (text) -> (nat); foo2 : (text) -> (nat) })",
        FAIL,
    ),
    (
        "service: unsorted, though sorted by hash",
        "DIDL\\02\\6a\\01\\71\\01\\7d\\00\\69\\02\\09foobarbaz\\00\\06foobar\\00\\01\\01\\01\\03\\ca\\ff\\ee",
        "(service { foobar : (text) -> (nat); foobarbaz : (text) -> (nat) })",
        FAIL,
    ),
    (
        "service: invalid unicode",
        "DIDL\\02\\6a\\01\\71\\01\\7d\\00\\69\\01\\03\\e2\\28\\a1\\00\\01\\01\\01\\03\\ca\\ff\\ee",
        "(reserved)",
        FAIL,
    ),
    (
        "service: duplicate",
        "DIDL\\02\\6a\\01\\71\\01\\7d\\00\\69\\02\\03foo\\00\\03foo\\00\\01\\01\\01\\03\\ca\\ff\\ee",
        "(service { foo : (text) -> (nat) })",
        FAIL,
    ),
    (
        "service: unicode",
        "DIDL\\05i\\02\\03foo\\01\\04\\f0\\9f\\90\\82\\02j\\00\\00\\01\\02j\\01\\03\\01\\04\\01\\01n|l\\00\\01\\00\\01\\00",
        '(service { "🐂" : (opt int) -> (record {}) query; foo : () -> () oneway })',
        [AAAAA],
    ),
    (
        "service { foo : principal }",
        "DIDL\\02\\6a\\01\\71\\01\\7d\\00\\69\\01\\03foo\\68\\01\\01\\01\\03\\ca\\ff\\ee",
        "(service { foo : () -> () })",
        FAIL,
    ),
    (
        "service { foo : opt bool }",
        "DIDL\\02\\6e\\7e\\69\\01\\03foo\\00\\01\\01\\01\\03\\ca\\ff\\ee",
        "(service { foo : () -> () })",
        FAIL,
    ),
    (
        "func: name",
        "DIDL\\01\\6a\\00\\00\\00\\01\\00\\01\\01\\03\\ca\\ff\\ee\\01\\61",
        "(func () -> ())",
        [(CAFFEE, "a")],
    ),
    (
        "func: wrong tag",
        "DIDL\\01\\6a\\00\\00\\00\\01\\00\\01\\00\\03\\ca\\ff\\ee\\01\\61",
        "(func () -> ())",
        FAIL,
    ),
    (
        "func: unicode",
        "DIDL\\02j\\02|}\\01\\01\\01\\01i\\00\\01\\00\\01\\01\\00\\04\\f0\\9f\\90\\82",
        "(func (int, nat) -> (service {}) query)",
        [(AAAAA, "🐂")],
    ),
    (
        "func",
        "DIDL\\01\\6a\\01\\68\\01\\7d\\00\\01\\00\\01\\01\\03\\ca\\ff\\ee\\03foo",
        "(func (principal) -> (nat))",
        [(CAFFEE, "foo")],
    ),
    (
        "func: query",
        "DIDL\\01\\6a\\01\\71\\01\\7d\\01\\01\\01\\00\\01\\01\\03\\ca\\ff\\ee\\03foo",
        "(func (text) -> (nat) query)",
        [(CAFFEE, "foo")],
    ),
    (
        "func: unknown annotation",
        "DIDL\\01\\6a\\01\\71\\01\\7d\\01\\80\\01\\01\\00\\01\\01\\03\\ca\\ff\\ee\\03foo",
        "(func (text) -> (nat) query)",
        FAIL,
    ),
    (
        "func: not primitive",
        "DIDL\\00\\01\\6a\\01\\01\\03\\ca\\ff\\ee\\01\\61",
        "(func () -> ())",
        FAIL,
    ),
    ("func: no tag", "DIDL\\00\\01\\6a\\01\\03\\ca\\ff\\ee\\01\\61", "(func () -> ())", FAIL),
    (
        "func: service not in type table",
        "DIDL\\01\\6a\\01\\69\\01\\7d\\00\\01\\00\\01\\01\\03\\ca\\ff\\ee\\03foo",
        "(func (service {}) -> (nat))",
        FAIL,
    ),
    (
        "func: invalid annotation",
        "DIDL\\01\\6a\\01\\71\\01\\7d\\01\\03\\01\\00\\01\\01\\03\\ca\\ff\\ee\\03foo",
        "(func (text) -> (nat))",
        FAIL,
    ),
    (
        "service {} is not a subtype of a service with a method",
        "DIDL\\01\\69\\00\\01\\00\\01\\03\\ca\\ff\\ee",
        "(service { foo : (text) -> (nat) })",
        FAIL,
    ),
    (
        "query method is not a subtype of an update method",
        "DIDL\\02\\6a\\01\\71\\01\\7d\\01\\01\\69\\01\\03foo\\00\\01\\01\\01\\03\\ca\\ff\\ee",
        "(service { foo : (text) -> (nat) })",
        FAIL,
    ),
    (
        "update method is not a subtype of a query method",
        "DIDL\\02\\6a\\01\\71\\01\\7d\\00\\69\\01\\03foo\\00\\01\\01\\01\\03\\ca\\ff\\ee",
        "(service { foo : (text) -> (nat) query })",
        FAIL,
    ),
    (
        "a service decodes at service {}",
        "DIDL\\02\\6a\\01\\71\\01\\7d\\00\\69\\01\\03foo\\00\\01\\01\\01\\03\\ca\\ff\\ee",
        "(service {})",
        [CAFFEE],
    ),
    (
        "func () -> () is not a subtype of func (text) -> (nat)",
        "DIDL\\01\\6a\\00\\00\\00\\01\\00\\01\\01\\03\\ca\\ff\\ee\\03foo",
        "(func (text) -> (nat))",
        FAIL,
    ),
    (
        "func (text) -> (nat) decodes at func (text, opt text) -> ()",
        "DIDL\\01\\6a\\01\\71\\01\\7d\\00\\01\\00\\01\\01\\03\\ca\\ff\\ee\\03foo",
        "(func (text, opt text) -> ())",
        [(CAFFEE, "foo")],
    ),
]


def subtype_row(label: str, table: str, result: str, holds: bool) -> Row:
    """The suite's idiom: `func () -> (t1)` decoded at `opt func () -> (t2)` is present iff t1 <:
    t2."""
    single = table.startswith("\\") and table.count("\\") == 1
    if single:
        message = f"DIDL\\01\\6a\\00\\01{table}\\00\\01\\00\\01\\01\\00\\01m"
    else:
        count, entries = table.split("|")
        message = f"DIDL{count}\\6a\\00\\01\\01\\00{entries}\\01\\00\\01\\01\\00\\01m"
    return (label, message, f"(opt func () -> ({result}))", [(AAAAA, "m")] if holds else [None])


SUBTYPES: Final[list[Row]] = [
    subtype_row("null <: null", "\\7f", "null", True),
    subtype_row("bool <: bool", "\\7e", "bool", True),
    subtype_row("nat <: nat", "\\7d", "nat", True),
    subtype_row("int <: int", "\\7c", "int", True),
    subtype_row("nat <: int", "\\7d", "int", True),
    subtype_row("null </: nat", "\\7f", "nat", False),
    subtype_row("nat </: nat8", "\\7d", "nat8", False),
    subtype_row("nat8 </: nat", "\\7b", "nat", False),
    subtype_row("nat <: opt bool", "\\7d", "opt bool", True),
    subtype_row("opt bool <: opt bool", "\\02|\\6e\\7e", "opt bool", True),
    subtype_row("bool <: opt bool", "\\7e", "opt bool", True),
    subtype_row("µ opt <: opt opt nat", "\\02|\\6e\\01", "opt opt nat", True),
    subtype_row("record {} <: record {}", "\\02|\\6c\\00", "record {}", True),
    subtype_row(
        "record {} <: record { a : opt empty }", "\\02|\\6c\\00", "record { a : opt empty }", True
    ),
    subtype_row(
        "record {} <: record { a : opt null }", "\\02|\\6c\\00", "record { a : opt null }", True
    ),
    subtype_row(
        "record {} <: record { a : reserved }", "\\02|\\6c\\00", "record { a : reserved }", True
    ),
    subtype_row(
        "record {} </: record { a : empty }", "\\02|\\6c\\00", "record { a : empty }", False
    ),
    subtype_row("record {} </: record { a : nat }", "\\02|\\6c\\00", "record { a : nat }", False),
    subtype_row("record {} </: record { a : null }", "\\02|\\6c\\00", "record { a : null }", False),
    subtype_row("func () -> () <: func () -> ()", "\\02|\\6a\\00\\00\\00", "func () -> ()", True),
    subtype_row(
        "func () -> () <: func () -> (opt empty)",
        "\\02|\\6a\\00\\00\\00",
        "func () -> (opt empty)",
        True,
    ),
    subtype_row(
        "func () -> () <: func () -> (reserved)",
        "\\02|\\6a\\00\\00\\00",
        "func () -> (reserved)",
        True,
    ),
    subtype_row(
        "func () -> () </: func () -> (empty)", "\\02|\\6a\\00\\00\\00", "func () -> (empty)", False
    ),
    subtype_row(
        "func () -> () </: func () -> (nat)", "\\02|\\6a\\00\\00\\00", "func () -> (nat)", False
    ),
    subtype_row(
        "func () -> () </: func () -> (null)", "\\02|\\6a\\00\\00\\00", "func () -> (null)", False
    ),
    subtype_row(
        "func (opt empty) -> () <: func () -> ()",
        "\\03|\\6a\\01\\02\\00\\00\\6e\\6f",
        "func () -> ()",
        True,
    ),
    subtype_row(
        "func (opt null) -> () <: func () -> ()",
        "\\03|\\6a\\01\\02\\00\\00\\6e\\7f",
        "func () -> ()",
        True,
    ),
    subtype_row(
        "func (reserved) -> () <: func () -> ()", "\\02|\\6a\\01\\70\\00\\00", "func () -> ()", True
    ),
    subtype_row(
        "func (empty) -> () </: func () -> ()", "\\02|\\6a\\01\\6f\\00\\00", "func () -> ()", False
    ),
    subtype_row(
        "func (nat) -> () </: func () -> ()", "\\02|\\6a\\01\\7d\\00\\00", "func () -> ()", False
    ),
    subtype_row(
        "func (null) -> () </: func () -> ()", "\\02|\\6a\\01\\7f\\00\\00", "func () -> ()", False
    ),
    subtype_row("variant {} <: variant {}", "\\02|\\6b\\00", "variant {}", True),
    subtype_row("variant {} <: variant { 0 : nat }", "\\02|\\6b\\00", "variant { 0 : nat }", True),
    subtype_row(
        "variant { 0 : nat } <: variant { 0 : nat }",
        "\\02|\\6b\\01\\00\\7d",
        "variant { 0 : nat }",
        True,
    ),
    subtype_row(
        "variant { 0 : bool } </: variant { 0 : nat }",
        "\\02|\\6b\\01\\00\\7e",
        "variant { 0 : nat }",
        False,
    ),
    subtype_row(
        "variant { 0 : bool } </: variant { 1 : bool }",
        "\\02|\\6b\\01\\00\\7e",
        "variant { 1 : bool }",
        False,
    ),
    subtype_row("µ record <: µ record", "\\02|\\6c\\01\\00\\01", "EmptyRecord", True),
    subtype_row("µ record </: empty", "\\02|\\6c\\01\\00\\01", "empty", False),
    subtype_row("empty <: µ record", "\\6f", "EmptyRecord", True),
    subtype_row(
        "µ record <: record { µ record }", "\\02|\\6c\\01\\00\\01", "record { EmptyRecord }", True
    ),
    subtype_row(
        "record { µ record } <: µ record",
        "\\03|\\6c\\01\\00\\02\\6c\\01\\00\\02",
        "EmptyRecord",
        True,
    ),
    subtype_row("µ record <: µ record opt", "\\02|\\6c\\01\\00\\01", "MuRecordOpt", True),
    subtype_row("µ variant <: µ variant", "\\02|\\6b\\01\\00\\01", "EmptyVariant", True),
    subtype_row("µ variant </: empty", "\\02|\\6b\\01\\00\\01", "empty", False),
    subtype_row(
        "µ variant <: variant { µ variant }",
        "\\02|\\6b\\01\\00\\01",
        "variant { 0 : EmptyVariant }",
        True,
    ),
    subtype_row(
        "variant { µ variant } <: µ variant",
        "\\03|\\6b\\01\\00\\02\\6b\\01\\00\\02",
        "EmptyVariant",
        True,
    ),
    subtype_row("µ vec <: µ vec", "\\02|\\6d\\01", "Vec", True),
    subtype_row("µ vec </: empty", "\\02|\\6d\\01", "empty", False),
    subtype_row("empty <: µ vec", "\\6f", "Vec", True),
    subtype_row("µ vec <: vec µ vec", "\\02|\\6d\\01", "vec Vec", True),
    subtype_row("vec µ vec <: µ vec", "\\03|\\6d\\02\\6d\\02", "Vec", True),
    subtype_row("future type <: opt empty", "\\02|\\67\\00", "opt empty", True),
    subtype_row("future type </: nat", "\\02|\\67\\00", "nat", False),
]

# 23 table entries: two records of nulls, then records of two copies of the previous entry, 2^20
# nulls deep
NESTED_RECORDS: Final = (
    "DIDL\\17\\6c\\02\\01\\7f\\02\\7f\\6c\\02\\01\\00\\02\\00"
    + "".join(f"\\6c\\02\\00\\{entry - 1:02x}\\01\\{entry - 1:02x}" for entry in range(2, 21))
    + "\\6e\\14\\6d\\15\\01\\16"
)
SPACEBOMB: Final[list[Row]] = [
    ("vec null, extra argument", "DIDL\\01\\6d\\7f\\01\\00\\80\\94\\eb\\dc\\03", "()", FAIL),
    ("vec reserved, extra argument", "DIDL\\01\\6d\\70\\01\\00\\80\\94\\eb\\dc\\03", "()", FAIL),
    (
        "zero-sized record, extra argument",
        "DIDL\\04\\6c\\03\\01\\7f\\02\\01\\03\\02\\6c\\01\\01\\70\\6c\\00\\6d\\00\\01\\03\\80\\94\\eb\\dc\\03",
        "()",
        FAIL,
    ),
    (
        "vec vec null, extra argument",
        "DIDL\\02\\6d\\01\\6d\\7f\\01\\00\\05" + "\\ff\\ff\\3f" * 5,
        "()",
        FAIL,
    ),
    ("vec opt record with 2^20 null, extra argument", NESTED_RECORDS + "\\02\\01\\01", "()", FAIL),
    (
        "vec record {}, extra argument",
        "DIDL\\03\\6c\\01\\d6\\fc\\a7\\02\\01\\6d\\02\\6c\\00\\01\\00\\80\\ad\\e2\\04",
        "()",
        FAIL,
    ),
    (
        "vec null, not ignored",
        "DIDL\\01\\6d\\7f\\01\\00\\80\\94\\eb\\dc\\03",
        "(vec opt nat)",
        FAIL,
    ),
    (
        "vec reserved, not ignored",
        "DIDL\\01\\6d\\70\\01\\00\\80\\94\\eb\\dc\\03",
        "(vec reserved)",
        FAIL,
    ),
    (
        "vec vec null, not ignored",
        "DIDL\\02\\6d\\01\\6d\\7f\\01\\00\\05" + "\\ff\\ff\\3f" * 5,
        "(vec vec null)",
        FAIL,
    ),
    (
        "vec record {}, not ignored",
        "DIDL\\02\\6d\\01\\6c\\00\\01\\00\\80\\ad\\e2\\04",
        "(vec record {})",
        FAIL,
    ),
    ("vec null, under opt", "DIDL\\01\\6d\\7f\\01\\00\\80\\94\\eb\\dc\\03", "(opt nat)", FAIL),
    (
        "vec vec null, under opt",
        "DIDL\\02\\6d\\01\\6d\\7f\\01\\00\\05" + "\\ff\\ff\\3f" * 5,
        "(vec opt nat)",
        FAIL,
    ),
    (
        "vec opt record with 2^20 null",
        NESTED_RECORDS + "\\05\\01\\01\\01\\01\\01",
        "(vec opt record {})",
        FAIL,
    ),
]


def check(message: str, types_text: str, expected: Any) -> None:
    data = blob(message)
    types = parse_types(types_text, DEFINITIONS)
    if expected is FAIL:
        with pytest.raises(CandidError):
            decode(data, types)
    else:
        assert decode(data, types) == expected


def rows(table: list[Row]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize(
        ("message", "types_text", "expected"),
        [row[1:] for row in table],
        ids=[row[0] for row in table],
    )


@rows(PRIM)
def test_primitive_vectors(message: str, types_text: str, expected: Any) -> None:
    check(message, types_text, expected)


@rows(CONSTRUCT)
def test_constructed_vectors(message: str, types_text: str, expected: Any) -> None:
    check(message, types_text, expected)


@rows(REFERENCE)
def test_reference_vectors(message: str, types_text: str, expected: Any) -> None:
    check(message, types_text, expected)


@rows(SUBTYPES)
def test_subtype_vectors(message: str, types_text: str, expected: Any) -> None:
    check(message, types_text, expected)


@rows(SPACEBOMB)
def test_space_bombs_are_refused(message: str, types_text: str, expected: Any) -> None:
    check(message, types_text, expected)


def test_nan_decodes() -> None:
    assert math.isnan(
        decode(blob("DIDL\\00\\01\\72\\01\\00\\00\\00\\00\\00\\f0\\7f"), parse_types("(float64)"))[
            0
        ]
    )


def test_encoding_reproduces_the_vectors() -> None:
    def same(types_text: str, values: list[Any], message: str) -> None:
        assert encode(parse_types(types_text, DEFINITIONS), values) == blob(message)

    same("(nat)", [128], "DIDL\\00\\01\\7d\\80\\01")
    same("(int)", [-128], "DIDL\\00\\01\\7c\\80\\7f")
    same("(int)", [60000000000000000], "DIDL\\00\\01\\7c\\80\\80\\98\\f4\\e9\\b5\\ca\\ea\\00")
    same("(opt int)", [42], "DIDL\\01\\6e\\7c\\01\\00\\01\\2a")
    same("(text)", ["Motoko"], "DIDL\\00\\01\\71\\06Motoko")
    same(
        "(record { int; bool })",
        [{"0": 42, "1": True}],
        "DIDL\\01\\6c\\02\\00\\7c\\01\\7e\\01\\00\\2a\\01",
    )
    same(
        "(record { foo : int; bar : bool })",
        [{"foo": 42, "bar": True}],
        "DIDL\\01\\6c\\02\\d3\\e3\\aa\\02\\7e\\86\\8e\\b7\\02\\7c\\01\\00\\01\\2a",
    )
    same("(Opt)", [Some(Some(None))], "DIDL\\01\\6e\\00\\01\\00\\01\\01\\00")
    same("(principal)", [CAFFEE], "DIDL\\00\\01\\68\\01\\03\\ca\\ff\\ee")
    same(
        "(func (principal) -> (nat))",
        [(CAFFEE, "foo")],
        "DIDL\\01\\6a\\01\\68\\01\\7d\\00\\01\\00\\01\\01\\03\\ca\\ff\\ee\\03foo",
    )
    same(
        "(record { 0 : record {}; 1 : record {} })",
        [{"0": {}, "1": {}}],
        "DIDL\\02\\6c\\02\\00\\01\\01\\01\\6c\\00\\01\\00",
    )
