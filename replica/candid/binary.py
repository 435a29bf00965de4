"""Encoding and decoding Candid values, with encoders and decoders compiled per type.

`encode(types, values)` writes the header (type table and argument types, see
`replica.candid.wire`) and each value. `decode(data, types)` reads the sender's
types and decodes each value *at the expected type* with the specification's
coercion rules:
- extra record fields are skipped; a missing record field or argument reads as
  null when its type is an opt or reserved (and is an error otherwise); extra
  arguments are skipped;
- `nat` reads as `int`; anything reads as `reserved` (and is skipped);
- at an `opt t` type: null, reserved and an absent opt read as null; a present
  value (or a bare value, when t does not itself accept null) reads as present
  when it coerces to t, and as null when it does not (so a value whose type
  changed incompatibly becomes null instead of an error; the test suite's
  "recovered coercion error" rule); when t accepts null (null, reserved, opt) a
  bare value reads as null;
- a variant value must carry a tag the expected variant knows;
- func and service references must have a subtype of the expected type.

Speed: an encoder or decoder is a closure built once per type (per pair of
sender type and expected type when decoding) and cached, so encoding a value
is a walk over prepared closures. Sender headers seen before (same bytes, same
expected types) reuse their compiled decoders.

Limits against hostile input: the input must be consumed exactly; nesting is
bounded by the interpreter's recursion limit (reported as a CandidError); and
every vector charges its length times the static size of its element type to a
budget proportional to the message size, so vectors of zero-sized values
(`vec null` with a billion elements, nested empty records) are refused before
any work is done.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any, Final

from replica.candid.types import (
    FIXED_WIDTH,
    PRIMITIVES,
    Bool,
    CandidError,
    CandidType,
    CandidTypeMismatch,
    Empty,
    Float32,
    Float64,
    Func,
    FutureType,
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
from replica.candid.wire import (
    MAGIC,
    accepts_null,
    build_types,
    encode_header,
    is_subtype,
    may_be_missing,
    read_header,
    read_leb,
    read_sleb,
    reference_type,
    write_leb,
    write_sleb,
)
from replica.types import Principal, PrincipalError

BUDGET_BASE: Final = 2_000_000
BUDGET_PER_BYTE: Final = 4
CACHE_LIMIT: Final = 4_096
MAX_PRINCIPAL_BYTES: Final = 29

Encoder = Callable[[Any, bytearray], None]


class _Budget:
    __slots__ = ("remaining",)

    def __init__(self, remaining: int) -> None:
        self.remaining = remaining


Decoder = Callable[[bytes, int, _Budget], tuple[Any, int]]


class _EncodeFailure(CandidError):
    """An encoding error on its way up, collecting the path to the faulty value."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path: list[str] = []

    def at(self, segment: str) -> _EncodeFailure:
        self.path.append(segment)
        return self


def _describe(candid_type: CandidType) -> str:
    text = repr(candid_type)
    return text if len(text) <= 120 else text[:117] + "..."


# -- encoding ----------------------------------------------------------------------------------

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
            raise CandidError(f"argument {index}{'.' + path if path else ''}: {failure.reason}") from None
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
    name = _describe(candid_type)
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
            if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], Principal)):
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
                raise _EncodeFailure(f"a present {_describe(candid_type)} is written Some(value)")
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
    fields = [(field_name, encoder_for(field), may_be_missing(field) or resolve(field) is Null)
              for _, field_name, field in candid_type.fields]

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
    tags = {field_name: (index, encoder_for(field)) for index, (_, field_name, field) in enumerate(candid_type.fields)}

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


# -- decoding ----------------------------------------------------------------------------------


class _Plan:
    """Compiled decoders for one sender header and one list of expected types."""

    __slots__ = ("arguments", "expected", "extra")

    def __init__(self, expected: tuple[CandidType, ...], arguments: list[Decoder], extra: list[Decoder]) -> None:
        self.expected = expected
        self.arguments = arguments
        self.extra = extra


_plans: dict[tuple[bytes, tuple[int, ...]], _Plan] = {}


def decode(data: bytes, types: Sequence[CandidType]) -> list[Any]:
    """Decode a Candid message at the expected argument types."""
    data = bytes(data)
    expected = tuple(types)
    try:
        entries, references, start = read_header(data)
        key = (data[4:start], tuple(map(id, expected)))
        plan = _plans.get(key)
        if plan is None or plan.expected != expected:
            plan = _compile_plan(entries, references, expected)
            if len(_plans) >= CACHE_LIMIT:
                _plans.clear()
            _plans[key] = plan
        budget = _Budget(BUDGET_BASE + BUDGET_PER_BYTE * len(data))
        position = start
        values = []
        for decoder in plan.arguments:
            value, position = decoder(data, position, budget)
            values.append(value)
        for skipper in plan.extra:
            _, position = skipper(data, position, budget)
    except (IndexError, struct.error):
        raise CandidError("unexpected end of input") from None
    except UnicodeDecodeError:
        raise CandidError("text is not valid UTF-8") from None
    except RecursionError:
        raise CandidError("values nest too deeply") from None
    if position != len(data):
        raise CandidError(f"{len(data) - position} trailing bytes after the arguments")
    return values


def decode_untyped(data: bytes) -> tuple[list[CandidType], list[Any]]:
    """Decode a message at its own types (no interface at hand): the sender's types and the values.

    Record fields and variant tags are known only by their ids and are named "_<id>_"
    (tuple records keep "0", "1", ...); print them with `to_text(values, types)`.
    """
    data = bytes(data)
    try:
        entries, references, _ = read_header(data)
    except (IndexError, struct.error):
        raise CandidError("unexpected end of input") from None
    except UnicodeDecodeError:
        raise CandidError("text is not valid UTF-8") from None
    slots = build_types(entries)
    types = [reference_type(reference, slots) for reference in references]
    return types, decode(data, types)


def _compile_plan(entries: list[Any], references: list[int], expected: tuple[CandidType, ...]) -> _Plan:
    slots = build_types(entries)
    compiler = _Compiler()
    wire = [reference_type(reference, slots) for reference in references]
    arguments: list[Decoder] = []
    for index, wanted in enumerate(expected):
        if index < len(wire):
            arguments.append(compiler.decoder(wire[index], wanted))
        elif may_be_missing(wanted):
            arguments.append(_constant_none)
        else:
            arguments.append(_mismatch(f"argument {index} is missing"))
    extra = [compiler.skipper(candid_type) for candid_type in wire[len(expected):]]
    return _Plan(expected, arguments, extra)


def _constant_none(data: bytes, position: int, budget: _Budget) -> tuple[Any, int]:
    return None, position


def _mismatch(message: str) -> Decoder:
    def fail(data: bytes, position: int, budget: _Budget) -> tuple[Any, int]:
        raise CandidTypeMismatch(message)

    return fail


def _read_principal(data: bytes, position: int) -> tuple[Principal, int]:
    if data[position] != 1:
        raise CandidError("opaque references are not supported")
    length, position = read_leb(data, position + 1)
    end = position + length
    if end > len(data):
        raise IndexError(end)
    try:
        return Principal(data[position:end]), end
    except PrincipalError as error:
        raise CandidError(str(error)) from None


def _read_text(data: bytes, position: int) -> tuple[str, int]:
    length, position = read_leb(data, position)
    end = position + length
    if end > len(data):
        raise IndexError(end)
    return data[position:end].decode(), end


def _primitive_decoder(opcode: int) -> Decoder:
    if opcode == Nat.opcode:
        return lambda data, position, budget: read_leb(data, position)
    if opcode == Int.opcode:
        return lambda data, position, budget: read_sleb(data, position)
    if opcode in FIXED_WIDTH:
        width, signed = FIXED_WIDTH[opcode]
        from_bytes = int.from_bytes

        def fixed(data: bytes, position: int, budget: _Budget) -> tuple[Any, int]:
            end = position + width
            if end > len(data):
                raise IndexError(end)
            return from_bytes(data[position:end], "little", signed=signed), end

        return fixed
    if opcode == Text.opcode:
        return lambda data, position, budget: _read_text(data, position)
    if opcode == Bool.opcode:

        def boolean(data: bytes, position: int, budget: _Budget) -> tuple[Any, int]:
            byte = data[position]
            if byte > 1:
                raise CandidError(f"bool out of range: {byte}")
            return byte == 1, position + 1

        return boolean
    if opcode in (Null.opcode, Reserved.opcode):
        return _constant_none
    if opcode in (Float32.opcode, Float64.opcode):
        unpacker = struct.Struct("<f" if opcode == Float32.opcode else "<d")
        size = unpacker.size

        def floating(data: bytes, position: int, budget: _Budget) -> tuple[Any, int]:
            return unpacker.unpack_from(data, position)[0], position + size

        return floating
    if opcode == PrincipalType.opcode:
        return lambda data, position, budget: _read_principal(data, position)
    return _mismatch("no value has type empty")


_PRIMITIVE_DECODERS: Final = {opcode: _primitive_decoder(opcode) for opcode in PRIMITIVES}


class _Compiler:
    """Builds decoders for pairs (sender type, expected type) and skippers for sender types."""

    def __init__(self) -> None:
        self.decoders: dict[tuple[int, int], Decoder] = {}
        self.skippers: dict[int, Decoder] = {}
        self.costs: dict[int, int] = {}
        self.keep: list[CandidType] = []

    def decoder(self, wire: CandidType, expected: CandidType) -> Decoder:
        wire, expected = resolve(wire), resolve(expected)
        key = (id(wire), id(expected))
        found = self.decoders.get(key)
        if found is not None:
            return found
        self.keep += (wire, expected)
        cell: list[Decoder] = []
        self.decoders[key] = lambda data, position, budget: cell[0](data, position, budget)
        built = self._build(wire, expected)
        cell.append(built)
        self.decoders[key] = built
        return built

    def _build(self, wire: CandidType, expected: CandidType) -> Decoder:
        if expected is Reserved:
            skip = self.skipper(wire)
            return lambda data, position, budget: (None, skip(data, position, budget)[1])
        if isinstance(expected, Opt):
            return self._opt(wire, expected)
        if wire is Empty:
            return _mismatch("no value has type empty")
        if wire.opcode in PRIMITIVES:
            if wire is expected or (wire is Nat and expected is Int):
                return _PRIMITIVE_DECODERS[wire.opcode]
        elif isinstance(wire, Vec) and isinstance(expected, Vec):
            return self._vec(wire, expected)
        elif isinstance(wire, Record) and isinstance(expected, Record):
            return self._record(wire, expected)
        elif isinstance(wire, Variant) and isinstance(expected, Variant):
            return self._variant(wire, expected)
        elif isinstance(wire, Func) and isinstance(expected, Func):
            if is_subtype(wire, expected):
                return _read_function
            return _mismatch(f"function type {_describe(wire)} is not a subtype of {_describe(expected)}")
        elif isinstance(wire, Service) and isinstance(expected, Service):
            if is_subtype(wire, expected):
                return lambda data, position, budget: _read_principal(data, position)
            return _mismatch(f"service type {_describe(wire)} is not a subtype of {_describe(expected)}")
        return _mismatch(f"cannot read a value of type {_describe(wire)} as {_describe(expected)}")

    def _opt(self, wire: CandidType, expected: Opt) -> Decoder:
        if wire is Null or wire is Reserved:
            return _constant_none
        if isinstance(wire, Opt):
            attempt = self._attempt(wire.inner, expected.inner, wraps=expected.wraps)

            def present(data: bytes, position: int, budget: _Budget) -> tuple[Any, int]:
                flag = data[position]
                if flag == 0:
                    return None, position + 1
                if flag != 1:
                    raise CandidError(f"opt flag out of range: {flag}")
                return attempt(data, position + 1, budget)

            return present
        if accepts_null(expected.inner):
            skip = self.skipper(wire)
            return lambda data, position, budget: (None, skip(data, position, budget)[1])
        return self._attempt(wire, expected.inner, wraps=False)

    def _attempt(self, wire: CandidType, target: CandidType, *, wraps: bool) -> Decoder:
        """Decode at `target`, or read past the value and give null if it does not coerce."""
        inner = self.decoder(wire, target)
        skip = self.skipper(wire)

        def attempt(data: bytes, position: int, budget: _Budget) -> tuple[Any, int]:
            try:
                value, end = inner(data, position, budget)
            except CandidTypeMismatch:
                return None, skip(data, position, budget)[1]
            return (Some(value) if wraps else value), end

        return attempt

    def _vec(self, wire: Vec, expected: Vec) -> Decoder:
        wire_inner = resolve(wire.inner)
        if wire_inner is Nat8 and resolve(expected.inner) is Nat8:
            return _read_blob
        inner = self.decoder(wire_inner, expected.inner)
        cost = self.cost(wire_inner)

        def vec(data: bytes, position: int, budget: _Budget) -> tuple[Any, int]:
            count, position = read_leb(data, position)
            budget.remaining -= count * cost
            if budget.remaining < 0:
                raise CandidError("the message decodes to too many values")
            items: list[Any] = []
            append = items.append
            for _ in range(count):
                item, position = inner(data, position, budget)
                append(item)
            return items, position

        return vec

    def _record(self, wire: Record, expected: Record) -> Decoder:
        plan: list[tuple[str | None, Decoder]] = []
        for identifier, _name, field in wire.fields:
            known = expected.by_id.get(identifier)
            if known is None:
                plan.append((None, self.skipper(field)))
            else:
                plan.append((known[1], self.decoder(field, known[2])))
        missing = [(name, field) for identifier, name, field in expected.fields if identifier not in wire.by_id]
        required = [name for name, field in missing if not may_be_missing(field)]
        if required:
            return _mismatch(f"record field {required[0]!r} is missing")
        defaults = {name: None for name, _ in missing}

        def record(data: bytes, position: int, budget: _Budget) -> tuple[Any, int]:
            result = dict(defaults)
            for name, field_decoder in plan:
                value, position = field_decoder(data, position, budget)
                if name is not None:
                    result[name] = value
            return result, position

        return record

    def _variant(self, wire: Variant, expected: Variant) -> Decoder:
        table: list[tuple[str, Decoder] | int] = []
        for identifier, _name, field in wire.fields:
            known = expected.by_id.get(identifier)
            table.append(identifier if known is None else (known[1], self.decoder(field, known[2])))
        size = len(table)

        def variant(data: bytes, position: int, budget: _Budget) -> tuple[Any, int]:
            index, position = read_leb(data, position)
            if index >= size:
                raise CandidError(f"variant index {index} out of range")
            entry = table[index]
            if isinstance(entry, int):
                raise CandidTypeMismatch(f"variant tag {entry} is not expected")
            value, position = entry[1](data, position, budget)
            return {entry[0]: value}, position

        return variant

    # -- skipping values of sender types --------------------------------------------------

    def skipper(self, wire: CandidType) -> Decoder:
        """A decoder that reads past (and checks) a value of a sender type, returning None."""
        wire = resolve(wire)
        found = self.skippers.get(id(wire))
        if found is not None:
            return found
        self.keep.append(wire)
        cell: list[Decoder] = []
        self.skippers[id(wire)] = lambda data, position, budget: cell[0](data, position, budget)
        built = self._build_skipper(wire)
        cell.append(built)
        self.skippers[id(wire)] = built
        return built

    def _build_skipper(self, wire: CandidType) -> Decoder:
        if wire.opcode in PRIMITIVES:
            return _PRIMITIVE_DECODERS[wire.opcode]
        if isinstance(wire, Opt):
            inner = self.skipper(wire.inner)

            def opt(data: bytes, position: int, budget: _Budget) -> tuple[Any, int]:
                flag = data[position]
                if flag == 0:
                    return None, position + 1
                if flag != 1:
                    raise CandidError(f"opt flag out of range: {flag}")
                return inner(data, position + 1, budget)

            return opt
        if isinstance(wire, Vec):
            return self._vec(wire, Vec(Reserved))
        if isinstance(wire, Record):
            return self._record(wire, Record({}))
        if isinstance(wire, Variant):
            return self._variant(wire, Variant({name: Reserved for _, name, _ in wire.fields}))
        if isinstance(wire, Func):
            return _read_function
        if isinstance(wire, Service):
            return lambda data, position, budget: _read_principal(data, position)
        if isinstance(wire, FutureType):
            return _skip_future
        raise CandidError(f"cannot skip a value of type {_describe(wire)}")

    def cost(self, wire: CandidType) -> int:
        """The least work a value of this sender type takes, charged per vector element."""
        wire = resolve(wire)
        key = id(wire)
        if key in self.costs:
            return self.costs[key]
        self.costs[key] = 1
        if isinstance(wire, Record):
            total = 1 + sum(self.cost(field) for _, _, field in wire.fields)
        elif isinstance(wire, Opt):
            total = 1 + self.cost(wire.inner)
        elif isinstance(wire, Variant):
            total = 1 + max((self.cost(field) for _, _, field in wire.fields), default=0)
        else:
            total = 1
        self.costs[key] = total
        return total


def _read_blob(data: bytes, position: int, budget: _Budget) -> tuple[Any, int]:
    count, position = read_leb(data, position)
    end = position + count
    if end > len(data):
        raise IndexError(end)
    return data[position:end], end


def _read_function(data: bytes, position: int, budget: _Budget) -> tuple[Any, int]:
    if data[position] != 1:
        raise CandidError("opaque references are not supported")
    canister, position = _read_principal(data, position + 1)
    method, position = _read_text(data, position)
    return (canister, method), position


def _skip_future(data: bytes, position: int, budget: _Budget) -> tuple[Any, int]:
    length, position = read_leb(data, position)
    references, position = read_leb(data, position)
    if references:
        raise CandidError("references inside a future type are not supported")
    end = position + length
    if end > len(data):
        raise IndexError(end)
    return None, end


__all__ = ["MAGIC", "decode", "decode_untyped", "encode", "encoder_for"]
