"""The fast paths of the stable codec and the store hash agree with their plain definitions.

`codec.check_encodable` must refuse exactly what `codec.encode` refuses (the engine checks a
call's argument with it); `stable._value_bytes` must give the bytes the store hash fed value by
value with its type tag and length.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Field, SQLModel

from replica.canister import codec
from replica.canister.stable import StableStore, _update_with_value, _value_bytes
from replica.types import Principal


class Color(IntEnum):
    RED = 1


class Shape(Enum):
    ODD = object()


@dataclass(frozen=True, slots=True)
class Pair:
    left: Any
    right: Any = None
    hidden: Any = field(default=None, metadata={"stored_apart": True})


class Opaque:
    """Not something CBOR can write."""


@dataclass(frozen=True, slots=True)
class One:
    only: Any


@dataclass(frozen=True, slots=True)
class Nothing:
    pass


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.binary(max_size=8),
    st.just(Color.RED),
    st.just(Principal.anonymous()),
    st.just(Opaque()),
    st.just(Shape.ODD),
    st.just(frozenset({1})),
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=3) | st.integers(0, 3), inner, max_size=3),
        st.builds(Pair, inner, inner, inner),
        st.builds(One, inner),
        st.just(Nothing()),
    ),
    max_leaves=8,
)


def refuses(check: Any, value: object) -> bool:
    try:
        check(value)
    except Exception:
        return True
    return False


@given(values)
def test_check_encodable_refuses_exactly_what_encode_refuses(value: object) -> None:
    assert refuses(codec.check_encodable, value) == refuses(codec.encode, value)


def test_check_encodable_looks_inside_records_lists_and_keys() -> None:
    for _ in range(2):  # a record type met again is walked the remembered way
        codec.check_encodable(Pair([1, b"x", {"a": Principal.anonymous()}], hidden=Opaque()))
        codec.check_encodable(One(Nothing()))
        for bad in (
            Pair(Opaque()),
            Pair(1, One(Opaque())),
            [1, (2, Opaque())],
            {"k": Opaque()},
            {(1, Opaque()): 1},
        ):
            with pytest.raises(Exception):  # noqa: B017 (whatever encode raises)
                codec.encode(bad)
            with pytest.raises(Exception):  # noqa: B017
                codec.check_encodable(bad)


def reference_update(digest: Any, value: object) -> None:
    """The store hash's definition of one value, as first written."""
    if value is None:
        digest.update(b"N")
    elif isinstance(value, bool):
        digest.update(b"T" if value else b"F")
    elif isinstance(value, int):
        encoded = str(value).encode()
        digest.update(b"I" + struct.pack(">I", len(encoded)) + encoded)
    elif isinstance(value, float):
        digest.update(b"R" + struct.pack(">d", value))
    elif isinstance(value, str):
        encoded = value.encode()
        digest.update(b"S" + struct.pack(">I", len(encoded)) + encoded)
    elif isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        digest.update(b"B" + struct.pack(">I", len(raw)) + raw)
    else:
        encoded = repr(value).encode()
        digest.update(b"O" + struct.pack(">I", len(encoded)) + encoded)


@given(st.lists(leaves | st.binary().map(bytearray), max_size=6))
def test_value_bytes_feed_the_digest_what_the_definition_feeds(row: list[object]) -> None:
    reference, joined, stepwise = hashlib.sha256(), hashlib.sha256(), hashlib.sha256()
    for value in row:
        reference_update(reference, value)
        _update_with_value(stepwise, value)
    joined.update(b"".join(_value_bytes(value) for value in row))
    assert joined.digest() == stepwise.digest() == reference.digest()


def test_a_store_hash_does_not_depend_on_write_order() -> None:
    class FastPathRow(SQLModel, table=True):
        __tablename__ = "fast_path_row"
        key: int = Field(primary_key=True)
        data: bytes
        note: str | None = None

    def filled(order: list[int]) -> bytes:
        store = StableStore([FastPathRow])
        with store.transaction() as session:
            for key in order:
                session.add(FastPathRow(key=key, data=bytes([key]) * key, note=str(key)))
        return store.state_hash()

    assert filled([3, 1, 2]) == filled([1, 2, 3])
    assert filled([1, 2]) != filled([1, 2, 3])
