"""Decoding Candid values at expected types, with decoders compiled per pair of types.

`decode(data, types)` reads the sender's types (`replica.candid.wire`) and
decodes each value *at the expected type* with the specification's coercion
rules:
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

Speed: a decoder is a closure built once per pair (sender type, expected
type); sender headers seen before (same bytes, same expected types) reuse
their compiled decoders, so decoding is a walk over prepared closures that
slice bytes.

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

from replica.candid.encoding import describe
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
    Service,
    Some,
    Text,
    Variant,
    Vec,
    resolve,
)
from replica.candid.wire import (
    accepts_null,
    build_types,
    is_subtype,
    may_be_missing,
    read_header,
    read_leb,
    read_sleb,
    reference_type,
)
from replica.types import Principal, PrincipalError

BUDGET_BASE: Final = 2_000_000
BUDGET_PER_BYTE: Final = 4
CACHE_LIMIT: Final = 4_096


class _Budget:
    __slots__ = ("remaining",)

    def __init__(self, remaining: int) -> None:
        self.remaining = remaining


Decoder = Callable[[bytes, int, _Budget], tuple[Any, int]]


class _Plan:
    """Compiled decoders for one sender header and one list of expected types."""

    __slots__ = ("arguments", "expected", "extra")

    def __init__(
        self, expected: tuple[CandidType, ...], arguments: list[Decoder], extra: list[Decoder]
    ) -> None:
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


def _compile_plan(
    entries: list[Any], references: list[int], expected: tuple[CandidType, ...]
) -> _Plan:
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
    extra = [compiler.skipper(candid_type) for candid_type in wire[len(expected) :]]
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


_STRUCT_CODES: Final = {
    Nat8.opcode: "B",
    Nat16.opcode: "H",
    Nat32.opcode: "I",
    Nat64.opcode: "Q",
    Int8.opcode: "b",
    Int16.opcode: "h",
    Int32.opcode: "i",
    Int64.opcode: "q",
    Float32.opcode: "f",
    Float64.opcode: "d",
}


def _primitive_decoder(opcode: int) -> Decoder:
    if opcode == Nat.opcode:
        return lambda data, position, budget: read_leb(data, position)
    if opcode == Int.opcode:
        return lambda data, position, budget: read_sleb(data, position)
    if opcode in FIXED_WIDTH:
        unpacker = struct.Struct("<" + _STRUCT_CODES[opcode])
        width = unpacker.size
        unpack_from = unpacker.unpack_from

        def fixed(data: bytes, position: int, budget: _Budget) -> tuple[Any, int]:
            return unpack_from(data, position)[0], position + width

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
            return _mismatch(
                f"function type {describe(wire)} is not a subtype of {describe(expected)}"
            )
        elif isinstance(wire, Service) and isinstance(expected, Service):
            if is_subtype(wire, expected):
                return lambda data, position, budget: _read_principal(data, position)
            return _mismatch(
                f"service type {describe(wire)} is not a subtype of {describe(expected)}"
            )
        return _mismatch(f"cannot read a value of type {describe(wire)} as {describe(expected)}")

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
        missing = [
            (name, field)
            for identifier, name, field in expected.fields
            if identifier not in wire.by_id
        ]
        required = [name for name, field in missing if not may_be_missing(field)]
        if required:
            return _mismatch(f"record field {required[0]!r} is missing")
        defaults = {name: None for name, _ in missing}
        packed = _packed_record(wire, expected)
        if packed is not None:
            packer, names = packed
            size = packer.size
            unpack_from = packer.unpack_from

            def fixed_record(data: bytes, position: int, budget: _Budget) -> tuple[Any, int]:
                result = dict(zip(names, unpack_from(data, position), strict=False))
                if defaults:
                    result.update(defaults)
                return result, position + size

            return fixed_record

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
        raise CandidError(f"cannot skip a value of type {describe(wire)}")

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


def _packed_record(wire: Record, expected: Record) -> tuple[struct.Struct, tuple[str, ...]] | None:
    """A record of fixed-width numbers read at the same types: one `struct` format reads it
    whole."""
    codes, names = [], []
    for identifier, _name, field in wire.fields:
        field = resolve(field)
        code = _STRUCT_CODES.get(field.opcode) if field.opcode in PRIMITIVES else None
        if code is None:
            return None
        known = expected.by_id.get(identifier)
        if known is None:
            codes.append(f"{struct.calcsize(code)}x")
        elif resolve(known[2]) is field:
            codes.append(code)
            names.append(known[1])
        else:
            return None
    if not names:
        return None
    return struct.Struct("<" + "".join(codes)), tuple(names)


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
