"""Encoding Candid values: one encoder closure compiled per type.

`encode(types, values)` writes `DIDL`, the type table and argument types (see
`replica.candid.wire`, identical entries merged) and then each value. An
encoder is a closure built once per type and cached (`encoder_for`), so
encoding a value is a walk over prepared closures: records look their fields up
by name in a fixed order (sorted by field id), variants find their tag's index,
`opt` of null/reserved/opt expects `Some(value)`, and `vec nat8` takes bytes.
A value that does not fit its type is refused with a `CandidError` naming its
path (`argument 0.ballots[3].vote: expected an integer for int32`).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any, Final

from replica.candid.types import (
    FIXED_WIDTH,
    Bool,
    CandidError,
    CandidType,
    Empty,
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
    resolve,
)
from replica.candid.wire import encode_header, may_be_missing, write_leb, write_sleb
from replica.types import Principal

CACHE_LIMIT: Final = 4_096

Encoder = Callable[[Any, bytearray], None]


class _EncodeFailure(CandidError):
    """An encoding error on its way up, collecting the path to the faulty value."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path: list[str] = []

    def at(self, segment: str) -> _EncodeFailure:
        self.path.append(segment)
        return self


def describe(candid_type: CandidType) -> str:
    text = repr(candid_type)
    return text if len(text) <= 120 else text[:117] + "..."


_encoders: dict[CandidType, Encoder] = {}
_headers: dict[tuple[CandidType, ...], tuple[bytes, list[Encoder]]] = {}


def encode(types: Sequence[CandidType], values: Sequence[Any]) -> bytes:
    """Encode argument values of the given types as one Candid message."""
    if len(types) != len(values):
        raise CandidError(f"{len(types)} types but {len(values)} values")
    key = tuple(types)
    prepared = _headers.get(key)
    if prepared is None:
        if len(_headers) >= CACHE_LIMIT:
            _headers.clear()
        prepared = (encode_header(key), [encoder_for(candid_type) for candid_type in key])
        _headers[key] = prepared
    header, encoders = prepared
    out = bytearray(header)
    for index, (encoder, value) in enumerate(zip(encoders, values, strict=True)):
        try:
            encoder(value, out)
        except _EncodeFailure as failure:
            path = "".join(reversed(failure.path)).lstrip(".")
            raise CandidError(
                f"argument {index}{'.' + path if path else ''}: {failure.reason}"
            ) from None
        except RecursionError:
            raise CandidError(f"argument {index}: value nests too deeply") from None
    return bytes(out)


def encoder_for(candid_type: CandidType) -> Encoder:
    """The (cached) encoder of a type: appends a value's bytes to an output buffer."""
    encoder = _encoders.get(candid_type)
    if encoder is None:
        if len(_encoders) >= CACHE_LIMIT:
            _encoders.clear()
        if isinstance(candid_type, Rec):
            cell: list[Encoder] = []
            _encoders[candid_type] = lambda value, out: cell[0](value, out)
            cell.append(encoder_for(resolve(candid_type)))
            encoder = cell[0]
        else:
            encoder = _build_encoder(candid_type)
        _encoders[candid_type] = encoder
    return encoder


def _is_integer(value: object) -> bool:
    return value.__class__ is int or (isinstance(value, int) and not isinstance(value, bool))


def _build_encoder(candid_type: CandidType) -> Encoder:
    name = describe(candid_type)
    opcode = candid_type.opcode
    if opcode in FIXED_WIDTH:
        width, signed = FIXED_WIDTH[opcode]

        def fixed(value: Any, out: bytearray) -> None:
            if not _is_integer(value):
                raise _EncodeFailure(f"expected an integer for {name}, got {value!r}")
            try:
                out += value.to_bytes(width, "little", signed=signed)
            except OverflowError:
                raise _EncodeFailure(f"{value} does not fit {name}") from None

        return fixed
    if candid_type is Nat:

        def nat(value: Any, out: bytearray) -> None:
            if not _is_integer(value):
                raise _EncodeFailure(f"expected an integer for nat, got {value!r}")
            if 0 <= value < 0x80:
                out.append(value)
            elif value < 0:
                raise _EncodeFailure(f"nat cannot be negative: {value}")
            else:
                write_leb(value, out)

        return nat
    if candid_type is Int:

        def integer(value: Any, out: bytearray) -> None:
            if not _is_integer(value):
                raise _EncodeFailure(f"expected an integer for int, got {value!r}")
            write_sleb(value, out)

        return integer
    if candid_type is Text:

        def text(value: Any, out: bytearray) -> None:
            if value.__class__ is not str and not isinstance(value, str):
                raise _EncodeFailure(f"expected text, got {value!r}")
            encoded = value.encode()
            write_leb(len(encoded), out)
            out += encoded

        return text
    if candid_type is Bool:

        def boolean(value: Any, out: bytearray) -> None:
            if value is True:
                out.append(1)
            elif value is False:
                out.append(0)
            else:
                raise _EncodeFailure(f"expected a bool, got {value!r}")

        return boolean
    if candid_type is Null:

        def null(value: Any, out: bytearray) -> None:
            if value is not None:
                raise _EncodeFailure(f"expected null (None), got {value!r}")

        return null
    if candid_type is Reserved:
        return lambda value, out: None
    if candid_type is Float32 or candid_type is Float64:
        packer = struct.Struct("<f" if candid_type is Float32 else "<d")

        def floating(value: Any, out: bytearray) -> None:
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise _EncodeFailure(f"expected a float, got {value!r}")
            try:
                out += packer.pack(value)
            except OverflowError:
                raise _EncodeFailure(f"{value} does not fit {name}") from None

        return floating
    if candid_type is PrincipalType:

        def principal(value: Any, out: bytearray) -> None:
            if not isinstance(value, Principal):
                raise _EncodeFailure(f"expected a principal, got {value!r}")
            out.append(1)
            out.append(len(value.raw))
            out += value.raw

        return principal
    if candid_type is Empty:

        def empty(value: Any, out: bytearray) -> None:
            raise _EncodeFailure("no value has type empty")

        return empty
    if isinstance(candid_type, Opt):
        return _opt_encoder(candid_type)
    if isinstance(candid_type, Vec):
        return _vec_encoder(candid_type, name)
    if isinstance(candid_type, Record):
        return _record_encoder(candid_type, name)
    if isinstance(candid_type, Variant):
        return _variant_encoder(candid_type)
    if isinstance(candid_type, Func):

        def function(value: Any, out: bytearray) -> None:
            if not (
                isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], Principal)
            ):
                raise _EncodeFailure(f"a func reference is (Principal, method name), got {value!r}")
            canister, method = value
            out += b"\x01\x01"
            out.append(len(canister.raw))
            out += canister.raw
            encoded = str(method).encode()
            write_leb(len(encoded), out)
            out += encoded

        return function
    if isinstance(candid_type, Service):

        def service(value: Any, out: bytearray) -> None:
            if not isinstance(value, Principal):
                raise _EncodeFailure(f"a service reference is a principal, got {value!r}")
            out.append(1)
            out.append(len(value.raw))
            out += value.raw

        return service
    raise CandidError(f"cannot encode type {name}")


def _opt_encoder(candid_type: Opt) -> Encoder:
    inner_encoder: list[Encoder] = []
    wraps = candid_type.wraps

    def opt(value: Any, out: bytearray) -> None:
        if value is None:
            out.append(0)
            return
        if not inner_encoder:
            inner_encoder.append(encoder_for(candid_type.inner))
        if wraps:
            if not isinstance(value, Some):
                raise _EncodeFailure(f"a present {describe(candid_type)} is written Some(value)")
            value = value.value
        out.append(1)
        inner_encoder[0](value, out)

    return opt


def _vec_encoder(candid_type: Vec, name: str) -> Encoder:
    inner = encoder_for(candid_type.inner)
    is_blob = resolve(candid_type.inner) is Nat8

    def vec(value: Any, out: bytearray) -> None:
        if is_blob and isinstance(value, bytes | bytearray | memoryview):
            write_leb(len(value), out)
            out += value
            return
        if not isinstance(value, list | tuple):
            raise _EncodeFailure(f"expected a list for {name}, got {type(value).__name__}")
        write_leb(len(value), out)
        for index, item in enumerate(value):
            try:
                inner(item, out)
            except _EncodeFailure as failure:
                raise failure.at(f"[{index}]") from None

    return vec


def _record_encoder(candid_type: Record, name: str) -> Encoder:
    fields = [
        (field_name, encoder_for(field), may_be_missing(field) or resolve(field) is Null)
        for _, field_name, field in candid_type.fields
    ]

    is_tuple = candid_type.is_tuple

    def record(value: Any, out: bytearray) -> None:
        if not isinstance(value, dict):
            if not (is_tuple and isinstance(value, tuple | list) and len(value) == len(fields)):
                raise _EncodeFailure(f"expected a dict for {name}, got {type(value).__name__}")
            value = {str(index): item for index, item in enumerate(value)}
        for field_name, field_encoder, optional in fields:
            item = value.get(field_name, value)
            if item is value:
                if not optional:
                    raise _EncodeFailure(f"record field {field_name!r} is missing")
                item = None
            try:
                field_encoder(item, out)
            except _EncodeFailure as failure:
                raise failure.at(f".{field_name}") from None

    return record


def _variant_encoder(candid_type: Variant) -> Encoder:
    tags = {
        field_name: (index, encoder_for(field))
        for index, (_, field_name, field) in enumerate(candid_type.fields)
    }

    def variant(value: Any, out: bytearray) -> None:
        if not isinstance(value, dict) or len(value) != 1:
            raise _EncodeFailure(f"a variant value is a dict with exactly one entry, got {value!r}")
        ((tag, inner),) = value.items()
        entry = tags.get(tag)
        if entry is None:
            raise _EncodeFailure(f"unknown variant tag {tag!r}")
        write_leb(entry[0], out)
        try:
            entry[1](inner, out)
        except _EncodeFailure as failure:
            raise failure.at(f".{tag}") from None

    return variant
