"""The Candid binary format: `DIDL`, a type table, the argument types, the values.

Encoding writes the type table for the given types (one entry per constructed
type, recursive types through their table index) and the values. Decoding reads
the sender's types from the table and decodes each value *at the expected
type*, with the subtyping rules of the Candid specification: extra record
fields are skipped, missing optional fields read as null, a value that does not
fit an `opt` becomes null, `nat` fits `int`, extra arguments are ignored and
missing optional arguments read as null. Decoding is bounded: nesting depth and
the number of decoded elements are limited, and the whole input must be
consumed.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any, Final

from replica.candid.types import (
    FIXED_WIDTH,
    FUNC,
    FUNC_MODES,
    OPT,
    PRIMITIVES,
    RECORD,
    SERVICE,
    VARIANT,
    VEC,
    Bool,
    CandidError,
    CandidType,
    CandidTypeMismatch,
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
    Record,
    Reserved,
    Service,
    Some,
    Text,
    Variant,
    Vec,
    resolve,
)
from replica.types import Principal, PrincipalError

MAGIC: Final = b"DIDL"
MAX_DEPTH: Final = 200
MAX_PRINCIPAL_BYTES: Final = 29


# -- LEB128 ------------------------------------------------------------------------------------


def write_leb(value: int, out: bytearray) -> None:
    if value < 0:
        raise CandidError(f"cannot encode {value} as an unsigned LEB128 number")
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


def write_sleb(value: int, out: bytearray) -> None:
    while True:
        byte = value & 0x7F
        value >>= 7
        if (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40):
            out.append(byte)
            return
        out.append(byte | 0x80)


class _Reader:
    __slots__ = ("budget", "data", "position")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0
        self.budget = 16 * len(data) + 100_000

    def take(self, count: int) -> bytes:
        end = self.position + count
        if count < 0 or end > len(self.data):
            raise CandidError("unexpected end of input")
        chunk = self.data[self.position : end]
        self.position = end
        return chunk

    def byte(self) -> int:
        if self.position >= len(self.data):
            raise CandidError("unexpected end of input")
        value = self.data[self.position]
        self.position += 1
        return value

    def leb(self) -> int:
        result = shift = 0
        while True:
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result
            if shift > 7 * 1_000:
                raise CandidError("LEB128 number too long")

    def sleb(self) -> int:
        result = shift = 0
        while True:
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                if byte & 0x40:
                    result -= 1 << shift
                return result
            if shift > 7 * 1_000:
                raise CandidError("SLEB128 number too long")

    def spend(self, amount: int = 1) -> None:
        self.budget -= amount
        if self.budget < 0:
            raise CandidError("decoding exceeds its budget (too many elements)")


# -- encoding ----------------------------------------------------------------------------------


class _TypeTable:
    def __init__(self) -> None:
        self.entries: list[bytes] = []
        self.indices: dict[int, int] = {}
        self.keep: list[CandidType] = []

    def reference(self, candid_type: CandidType) -> int:
        candid_type = resolve(candid_type)
        if candid_type.opcode in PRIMITIVES:
            return candid_type.opcode
        key = id(candid_type)
        if key in self.indices:
            return self.indices[key]
        index = len(self.entries)
        self.indices[key] = index
        self.keep.append(candid_type)
        self.entries.append(b"")
        entry = bytearray()
        write_sleb(candid_type.opcode, entry)
        if isinstance(candid_type, Opt | Vec):
            write_sleb(self.reference(candid_type.inner), entry)
        elif isinstance(candid_type, Record | Variant):
            write_leb(len(candid_type.fields), entry)
            for field_id, _name, field_type in candid_type.fields:
                write_leb(field_id, entry)
                write_sleb(self.reference(field_type), entry)
        elif isinstance(candid_type, Func):
            for group in (candid_type.arguments, candid_type.results):
                write_leb(len(group), entry)
                for item in group:
                    write_sleb(self.reference(item), entry)
            write_leb(len(candid_type.modes), entry)
            entry.extend(FUNC_MODES[mode] for mode in candid_type.modes)
        elif isinstance(candid_type, Service):
            write_leb(len(candid_type.methods), entry)
            for method, method_type in candid_type.methods.items():
                encoded = method.encode()
                write_leb(len(encoded), entry)
                entry.extend(encoded)
                write_sleb(self.reference(method_type), entry)
        else:
            raise CandidError(f"cannot encode type {candid_type!r}")
        self.entries[index] = bytes(entry)
        return index


def encode(types: Sequence[CandidType], values: Sequence[Any]) -> bytes:
    """Encode argument values of the given types as one Candid message."""
    if len(types) != len(values):
        raise CandidError(f"{len(types)} types but {len(values)} values")
    table = _TypeTable()
    references = [table.reference(candid_type) for candid_type in types]
    out = bytearray(MAGIC)
    write_leb(len(table.entries), out)
    for entry in table.entries:
        out.extend(entry)
    write_leb(len(references), out)
    for reference in references:
        write_sleb(reference, out)
    for candid_type, value in zip(types, values, strict=True):
        _encode_value(candid_type, value, out, "")
    return bytes(out)


def _fail(path: str, message: str) -> CandidError:
    return CandidError(f"{path or 'value'}: {message}")


def _encode_value(candid_type: CandidType, value: Any, out: bytearray, path: str) -> None:
    candid_type = resolve(candid_type)
    opcode = candid_type.opcode
    if opcode in FIXED_WIDTH:
        width, signed = FIXED_WIDTH[opcode]
        if not isinstance(value, int) or isinstance(value, bool):
            raise _fail(path, f"expected an integer for {candid_type!r}")
        try:
            out.extend(value.to_bytes(width, "little", signed=signed))
        except OverflowError as error:
            raise _fail(path, f"{value} does not fit {candid_type!r}") from error
    elif candid_type is Nat or candid_type is Int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _fail(path, f"expected an integer for {candid_type!r}")
        if candid_type is Nat:
            if value < 0:
                raise _fail(path, f"nat cannot be negative: {value}")
            write_leb(value, out)
        else:
            write_sleb(value, out)
    elif candid_type is Text:
        if not isinstance(value, str):
            raise _fail(path, "expected text")
        encoded = value.encode()
        write_leb(len(encoded), out)
        out.extend(encoded)
    elif candid_type is Bool:
        if not isinstance(value, bool):
            raise _fail(path, "expected a bool")
        out.append(1 if value else 0)
    elif candid_type is Null or candid_type is Reserved:
        if candid_type is Null and value is not None:
            raise _fail(path, "expected null")
    elif candid_type is Float32 or candid_type is Float64:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise _fail(path, "expected a float")
        out.extend(struct.pack("<f" if candid_type is Float32 else "<d", value))
    elif candid_type is PrincipalType:
        if not isinstance(value, Principal):
            raise _fail(path, "expected a principal")
        out.append(1)
        write_leb(len(value.raw), out)
        out.extend(value.raw)
    elif candid_type is Empty:
        raise _fail(path, "no value has type empty")
    elif isinstance(candid_type, Opt):
        if value is None:
            out.append(0)
            return
        out.append(1)
        if candid_type.wraps:
            if not isinstance(value, Some):
                raise _fail(path, f"a present {candid_type!r} needs Some(value)")
            value = value.value
        _encode_value(candid_type.inner, value, out, path)
    elif isinstance(candid_type, Vec):
        if resolve(candid_type.inner) is Nat8 and isinstance(value, bytes | bytearray):
            write_leb(len(value), out)
            out.extend(value)
            return
        if not isinstance(value, list | tuple):
            raise _fail(path, f"expected a list for {candid_type!r}")
        write_leb(len(value), out)
        for index, item in enumerate(value):
            _encode_value(candid_type.inner, item, out, f"{path}[{index}]")
    elif isinstance(candid_type, Record):
        if not isinstance(value, dict):
            raise _fail(path, f"expected a dict for {candid_type!r}")
        for _field_id, name, field_type in candid_type.fields:
            if name in value:
                _encode_value(field_type, value[name], out, f"{path}.{name}")
            elif isinstance(resolve(field_type), Opt) or resolve(field_type) in (Null, Reserved):
                _encode_value(field_type, None, out, f"{path}.{name}")
            else:
                raise _fail(path, f"record field {name!r} is missing")
    elif isinstance(candid_type, Variant):
        if not isinstance(value, dict) or len(value) != 1:
            raise _fail(path, "a variant value is a dict with exactly one entry")
        ((tag, inner),) = value.items()
        entry = candid_type.by_name.get(tag)
        if entry is None:
            raise _fail(path, f"unknown variant tag {tag!r}")
        write_leb(candid_type.fields.index(entry), out)
        _encode_value(entry[2], inner, out, f"{path}.{tag}")
    elif isinstance(candid_type, Func):
        principal, method = value
        out.append(1)
        out.append(1)
        write_leb(len(principal.raw), out)
        out.extend(principal.raw)
        encoded = method.encode()
        write_leb(len(encoded), out)
        out.extend(encoded)
    elif isinstance(candid_type, Service):
        if not isinstance(value, Principal):
            raise _fail(path, "a service reference is a principal")
        out.append(1)
        write_leb(len(value.raw), out)
        out.extend(value.raw)
    else:
        raise _fail(path, f"cannot encode type {candid_type!r}")


# -- decoding ----------------------------------------------------------------------------------

_Entry = tuple[Any, ...]


class _Decoder:
    def __init__(self, data: bytes) -> None:
        self.reader = _Reader(data)
        if len(data) < 4 or self.reader.take(4) != MAGIC:
            raise CandidError("missing DIDL magic bytes")
        self.table: list[_Entry] = []
        self._read_table()

    def _type_reference(self, table_size: int) -> int:
        reference = self.reader.sleb()
        if reference >= 0:
            if reference >= table_size:
                raise CandidError(f"type index {reference} out of range")
        elif reference not in PRIMITIVES:
            raise CandidError(f"{reference} is not a primitive type")
        return reference

    def _read_table(self) -> None:
        reader = self.reader
        size = reader.leb()
        if size > len(reader.data):
            raise CandidError("type table too long")
        for _ in range(size):
            opcode = reader.sleb()
            if opcode in (OPT, VEC):
                self.table.append((opcode, self._type_reference(size)))
            elif opcode in (RECORD, VARIANT):
                count = reader.leb()
                fields, previous = [], -1
                for _ in range(count):
                    identifier = reader.leb()
                    if identifier <= previous or identifier > 0xFFFFFFFF:
                        raise CandidError("record or variant field ids out of order")
                    previous = identifier
                    fields.append((identifier, self._type_reference(size)))
                self.table.append((opcode, fields))
            elif opcode == FUNC:
                arguments = [self._type_reference(size) for _ in range(reader.leb())]
                results = [self._type_reference(size) for _ in range(reader.leb())]
                modes = list(reader.take(reader.leb()))
                self.table.append((opcode, arguments, results, modes))
            elif opcode == SERVICE:
                methods = []
                for _ in range(reader.leb()):
                    name = _utf8(reader.take(reader.leb()))
                    methods.append((name, self._type_reference(size)))
                self.table.append((opcode, methods))
            else:
                raise CandidError(f"type table entry with opcode {opcode} is not a constructed type")
        for index, entry in enumerate(self.table):
            if entry[0] in (OPT, VEC) and entry[1] == index:
                raise CandidError("a type refers only to itself")

    def decode_arguments(self, types: Sequence[CandidType]) -> list[Any]:
        reader = self.reader
        count = reader.leb()
        if count > len(reader.data):
            raise CandidError("too many arguments")
        wire = [self._type_reference(len(self.table)) for _ in range(count)]
        values = []
        for index, expected in enumerate(types):
            if index < len(wire):
                values.append(self.value(wire[index], expected, 0))
            elif _accepts_missing(expected):
                values.append(None)
            else:
                raise CandidTypeMismatch(f"argument {index} is missing")
        for reference in wire[len(types):]:
            self.skip(reference, 0)
        if reader.position != len(reader.data):
            raise CandidError("trailing bytes after the arguments")
        return values

    def _kind(self, reference: int) -> int:
        return reference if reference < 0 else self.table[reference][0]

    # -- values -----------------------------------------------------------------------------

    def value(self, reference: int, expected: CandidType, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise CandidError("values nest too deeply")
        self.reader.spend()
        expected = resolve(expected)
        if expected is Reserved:
            self.skip(reference, depth)
            return None
        if isinstance(expected, Opt):
            return self._opt(reference, expected, depth)
        kind = self._kind(reference)
        if reference < 0:
            return self._primitive(kind, expected)
        entry = self.table[reference]
        if kind == VEC and isinstance(expected, Vec):
            count = self.reader.leb()
            inner = resolve(expected.inner)
            if inner is Nat8 and entry[1] == Nat8.opcode:
                return self.reader.take(count)
            if count > len(self.reader.data) and self._kind(entry[1]) not in (Null.opcode, Reserved.opcode):
                raise CandidError("vector longer than the input")
            return [self.value(entry[1], expected.inner, depth + 1) for _ in range(count)]
        if kind == RECORD and isinstance(expected, Record):
            return self._record(entry[1], expected, depth)
        if kind == VARIANT and isinstance(expected, Variant):
            fields = entry[1]
            index = self.reader.leb()
            if index >= len(fields):
                raise CandidError(f"variant index {index} out of range")
            identifier, field_reference = fields[index]
            known = expected.by_id.get(identifier)
            if known is None:
                raise CandidTypeMismatch(f"variant field {identifier} is not expected")
            return {known[1]: self.value(field_reference, known[2], depth + 1)}
        if kind == FUNC and isinstance(expected, Func):
            return self._func_reference()
        if kind == SERVICE and isinstance(expected, Service):
            return self._principal_reference()
        raise CandidTypeMismatch(f"cannot read a wire value of kind {kind} as {expected!r}")

    def _opt(self, reference: int, expected: Opt, depth: int) -> Any:
        kind = self._kind(reference)
        if kind in (Null.opcode, Reserved.opcode):
            return None
        if kind == OPT:
            if not self._opt_flag():
                return None
            inner_reference = self.table[reference][1]
            return self._opt_inner(inner_reference, expected, depth)
        inner = resolve(expected.inner)
        if inner is Null or inner is Reserved or isinstance(inner, Opt):
            self.skip(reference, depth)
            return None
        return self._opt_inner(reference, expected, depth)

    def _opt_inner(self, reference: int, expected: Opt, depth: int) -> Any:
        start = self.reader.position
        try:
            value = self.value(reference, expected.inner, depth + 1)
        except CandidTypeMismatch:
            self.reader.position = start
            self.skip(reference, depth)
            return None
        return Some(value) if expected.wraps else value

    def _opt_flag(self) -> bool:
        flag = self.reader.byte()
        if flag > 1:
            raise CandidError(f"opt flag out of range: {flag}")
        return flag == 1

    def _record(self, wire_fields: list[tuple[int, int]], expected: Record, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for identifier, field_reference in wire_fields:
            known = expected.by_id.get(identifier)
            if known is None:
                self.skip(field_reference, depth)
            else:
                result[known[1]] = self.value(field_reference, known[2], depth + 1)
        for _identifier, name, field_type in expected.fields:
            if name not in result:
                if not _accepts_missing(field_type):
                    raise CandidTypeMismatch(f"record field {name!r} is missing")
                result[name] = None
        return result

    def _primitive(self, kind: int, expected: CandidType) -> Any:
        reader = self.reader
        if kind != expected.opcode and not (kind == Nat.opcode and expected is Int):
            raise CandidTypeMismatch(f"cannot read {PRIMITIVES[kind]!r} as {expected!r}")
        if kind == Nat.opcode:
            return reader.leb()
        if kind == Int.opcode:
            return reader.sleb()
        if kind in FIXED_WIDTH:
            width, signed = FIXED_WIDTH[kind]
            return int.from_bytes(reader.take(width), "little", signed=signed)
        if kind == Text.opcode:
            return _utf8(reader.take(reader.leb()))
        if kind == Bool.opcode:
            value = reader.byte()
            if value > 1:
                raise CandidError(f"bool out of range: {value}")
            return value == 1
        if kind == Null.opcode:
            return None
        if kind == Float32.opcode:
            return struct.unpack("<f", reader.take(4))[0]
        if kind == Float64.opcode:
            return struct.unpack("<d", reader.take(8))[0]
        if kind == PrincipalType.opcode:
            return self._principal_reference()
        if kind == Empty.opcode:
            raise CandidError("no value has type empty")
        raise CandidTypeMismatch(f"cannot read type {kind}")

    def _principal_reference(self) -> Principal:
        if self.reader.byte() != 1:
            raise CandidError("opaque references are not supported")
        raw = self.reader.take(self.reader.leb())
        try:
            return Principal(raw)
        except PrincipalError as error:
            raise CandidError(str(error)) from error

    def _func_reference(self) -> tuple[Principal, str]:
        if self.reader.byte() != 1:
            raise CandidError("opaque references are not supported")
        principal = self._principal_reference()
        return principal, _utf8(self.reader.take(self.reader.leb()))

    # -- skipping ---------------------------------------------------------------------------

    def skip(self, reference: int, depth: int) -> None:
        """Read past a value of a wire type, checking that it is well formed."""
        if depth > MAX_DEPTH:
            raise CandidError("values nest too deeply")
        self.reader.spend()
        if reference < 0:
            if reference == Reserved.opcode:
                return
            self._primitive(reference, PRIMITIVES[reference])
            return
        entry = self.table[reference]
        kind = entry[0]
        if kind == OPT:
            if self._opt_flag():
                self.skip(entry[1], depth + 1)
        elif kind == VEC:
            for _ in range(self.reader.leb()):
                self.skip(entry[1], depth + 1)
        elif kind == RECORD:
            for _identifier, field_reference in entry[1]:
                self.skip(field_reference, depth + 1)
        elif kind == VARIANT:
            index = self.reader.leb()
            if index >= len(entry[1]):
                raise CandidError(f"variant index {index} out of range")
            self.skip(entry[1][index][1], depth + 1)
        elif kind == FUNC:
            self._func_reference()
        elif kind == SERVICE:
            self._principal_reference()


def _accepts_missing(candid_type: CandidType) -> bool:
    resolved = resolve(candid_type)
    return isinstance(resolved, Opt) or resolved is Null or resolved is Reserved


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode()
    except UnicodeDecodeError as error:
        raise CandidError("text is not valid UTF-8") from error


def decode(data: bytes, types: Sequence[CandidType]) -> list[Any]:
    """Decode a Candid message at the expected argument types."""
    return _Decoder(bytes(data)).decode_arguments(types)
