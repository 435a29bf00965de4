"""The Candid wire layer: LEB128 numbers, the type table, and subtyping.

A message is `DIDL`, a type table, the argument types, then the values. The
table lists every constructed type once (opt, vec, record, variant, func,
service); a type refers to primitives by their negative opcode and to table
entries by index, which is how recursive types are written. Encoding builds the
table from type objects and merges entries that are written identically.
Decoding reads the sender's table back into type objects (one `Rec` slot per
entry), so the receiver can compare them with the types it expects.

Subtyping (`is_subtype`) follows the Candid specification: `nat <: int`,
everything is a subtype of `reserved` and of any `opt`, `empty` is a subtype of
everything, a record may gain fields (the missing ones must be `opt` or
`reserved`), a variant may lose tags, functions are contravariant in their
arguments and covariant in their results with equal modes, and a service may
gain methods. The relation is coinductive, so recursive types compare by
assuming the pair under test holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from replica.candid.types import (
    FUNC,
    FUNC_MODES,
    OPT,
    PRIMITIVES,
    RECORD,
    SERVICE,
    VARIANT,
    VEC,
    CandidError,
    CandidType,
    Empty,
    Func,
    FutureType,
    Int,
    Nat,
    Null,
    Opt,
    Rec,
    Record,
    Reserved,
    Service,
    Variant,
    Vec,
    resolve,
)

MAGIC: Final = b"DIDL"
MAX_FIELD_ID: Final = 0xFFFF_FFFF
MAX_LEB_BITS: Final = 7 * 1_200
_MODE_NAMES: Final = {code: name for name, code in FUNC_MODES.items()}


# -- LEB128 ------------------------------------------------------------------------------------


def write_leb(value: int, out: bytearray) -> None:
    """Append `value` as unsigned LEB128: 7 bits a byte, low first, high bit = more."""
    if value < 0:
        raise CandidError(f"cannot encode {value} as an unsigned LEB128 number")
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def write_sleb(value: int, out: bytearray) -> None:
    """Append `value` as signed LEB128 (two's complement, sign in bit 6 of the last byte)."""
    while True:
        byte = value & 0x7F
        value >>= 7
        if (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40):
            out.append(byte)
            return
        out.append(byte | 0x80)


def leb128(value: int) -> bytes:
    """`value` as unsigned LEB128 bytes."""
    out = bytearray()
    write_leb(value, out)
    return bytes(out)


def sleb128(value: int) -> bytes:
    """`value` as signed LEB128 bytes."""
    out = bytearray()
    write_sleb(value, out)
    return bytes(out)


def read_leb(data: bytes, position: int) -> tuple[int, int]:
    """Read unsigned LEB128 at `position`; an IndexError means the input ended."""
    byte = data[position]
    if byte < 0x80:
        return byte, position + 1
    result, shift = byte & 0x7F, 7
    position += 1
    while True:
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, position
        shift += 7
        if shift > MAX_LEB_BITS:
            raise CandidError("LEB128 number too long")


def read_sleb(data: bytes, position: int) -> tuple[int, int]:
    """Read signed LEB128 at `position`."""
    result = shift = 0
    while True:
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return (result - (1 << shift) if byte & 0x40 else result), position
        if shift > MAX_LEB_BITS:
            raise CandidError("SLEB128 number too long")


# -- writing the type table --------------------------------------------------------------------

_Entry = tuple[Any, ...]


def encode_header(types: Sequence[CandidType]) -> bytes:
    """`DIDL`, the type table of `types` (identical entries merged) and the argument types."""
    entries: list[_Entry] = []
    indices: dict[int, int] = {}
    keep: list[CandidType] = []

    def reference(candid_type: CandidType) -> int:
        candid_type = resolve(candid_type)
        if candid_type.opcode in PRIMITIVES:
            return candid_type.opcode
        key = id(candid_type)
        if key in indices:
            return indices[key]
        index = len(entries)
        indices[key] = index
        keep.append(candid_type)
        entries.append(())
        entries[index] = _entry(candid_type, reference)
        return index

    arguments = [reference(candid_type) for candid_type in types]
    alias = _merge_identical(entries)
    survivors = sorted(set(alias))
    renumber = {old: new for new, old in enumerate(survivors)}

    def final(ref: int) -> int:
        return ref if ref < 0 else renumber[alias[ref]]

    out = bytearray(MAGIC)
    write_leb(len(survivors), out)
    for index in survivors:
        _write_entry(entries[index], final, out)
    write_leb(len(arguments), out)
    for ref in arguments:
        write_sleb(final(ref), out)
    return bytes(out)


def _entry(candid_type: CandidType, ref: Callable[[CandidType], int]) -> _Entry:
    if isinstance(candid_type, Opt | Vec):
        return (candid_type.opcode, ref(candid_type.inner))
    if isinstance(candid_type, Record | Variant):
        return (candid_type.opcode, tuple((i, ref(t)) for i, _, t in candid_type.fields))
    if isinstance(candid_type, Func):
        arguments = tuple(ref(t) for t in candid_type.arguments)
        results = tuple(ref(t) for t in candid_type.results)
        return (FUNC, arguments, results, tuple(FUNC_MODES[mode] for mode in candid_type.modes))
    if isinstance(candid_type, Service):
        return (SERVICE, tuple((name, ref(t)) for name, t in candid_type.methods.items()))
    raise CandidError(f"cannot encode type {candid_type!r}")


def _merge_identical(entries: list[_Entry]) -> list[int]:
    """For each entry, the first entry written identically (after earlier merges), to fixpoint."""
    alias = list(range(len(entries)))

    def canonical(entry: _Entry) -> _Entry:
        def ref(value: object) -> object:
            return alias[value] if isinstance(value, int) and value >= 0 else value

        opcode = entry[0]
        if opcode in (OPT, VEC):
            return (opcode, ref(entry[1]))
        if opcode in (RECORD, VARIANT, SERVICE):
            return (opcode, tuple((key, ref(t)) for key, t in entry[1]))
        return (opcode, tuple(map(ref, entry[1])), tuple(map(ref, entry[2])), entry[3])

    changed = True
    while changed:
        changed = False
        first: dict[_Entry, int] = {}
        for index, entry in enumerate(entries):
            if alias[index] != index:
                continue
            key = canonical(entry)
            if key in first:
                alias[index] = first[key]
                changed = True
            else:
                first[key] = index
        alias = [alias[alias[index]] for index in range(len(alias))]
    return alias


def _write_entry(entry: _Entry, ref: Callable[[int], int], out: bytearray) -> None:
    opcode = entry[0]
    write_sleb(opcode, out)
    if opcode in (OPT, VEC):
        write_sleb(ref(entry[1]), out)
    elif opcode in (RECORD, VARIANT):
        fields = entry[1]
        write_leb(len(fields), out)
        for identifier, field in fields:
            write_leb(identifier, out)
            write_sleb(ref(field), out)
    elif opcode == FUNC:
        for group in (entry[1], entry[2]):
            write_leb(len(group), out)
            for item in group:
                write_sleb(ref(item), out)
        modes = entry[3]
        write_leb(len(modes), out)
        out.extend(modes)
    else:
        methods = entry[1]
        write_leb(len(methods), out)
        for name, method in methods:
            encoded = name.encode()
            write_leb(len(encoded), out)
            out.extend(encoded)
            write_sleb(ref(method), out)


# -- reading the type table --------------------------------------------------------------------


def read_header(data: bytes) -> tuple[list[_Entry], list[int], int]:
    """Check the magic bytes; read the raw table entries and argument references."""
    if data[:4] != MAGIC:
        raise CandidError("missing DIDL magic bytes")
    size, position = read_leb(data, 4)
    if size > len(data):
        raise CandidError("type table longer than the message")
    entries: list[_Entry] = []
    for _ in range(size):
        opcode, position = read_sleb(data, position)
        if opcode in (OPT, VEC):
            inner, position = _read_reference(data, position, size)
            entries.append((opcode, inner))
        elif opcode in (RECORD, VARIANT):
            count, position = read_leb(data, position)
            if count > len(data):
                raise CandidError("record or variant longer than the message")
            fields, previous = [], -1
            for _ in range(count):
                identifier, position = read_leb(data, position)
                if identifier <= previous or identifier > MAX_FIELD_ID:
                    raise CandidError("field ids must be increasing 32-bit numbers")
                previous = identifier
                field, position = _read_reference(data, position, size)
                fields.append((identifier, field))
            entries.append((opcode, tuple(fields)))
        elif opcode == FUNC:
            groups = []
            for _ in range(2):
                count, position = read_leb(data, position)
                if count > len(data):
                    raise CandidError("function type longer than the message")
                group = []
                for _ in range(count):
                    item, position = _read_reference(data, position, size)
                    group.append(item)
                groups.append(tuple(group))
            count, position = read_leb(data, position)
            modes = data[position : position + count]
            if len(modes) != count:
                raise IndexError(position)
            if any(mode not in _MODE_NAMES for mode in modes):
                raise CandidError("unknown function annotation")
            position += count
            entries.append((FUNC, groups[0], groups[1], tuple(modes)))
        elif opcode == SERVICE:
            count, position = read_leb(data, position)
            if count > len(data):
                raise CandidError("service type longer than the message")
            methods, previous_name = [], None
            for _ in range(count):
                length, position = read_leb(data, position)
                raw = data[position : position + length]
                if len(raw) != length:
                    raise IndexError(position)
                position += length
                name = raw.decode()
                if previous_name is not None and name <= previous_name:
                    raise CandidError("service methods must be sorted and unique")
                previous_name = name
                method, position = _read_reference(data, position, size)
                methods.append((name, method))
            entries.append((SERVICE, tuple(methods)))
        elif opcode < -24:
            length, position = read_leb(data, position)
            if position + length > len(data):
                raise IndexError(position)
            position += length
            entries.append((opcode,))
        else:
            raise CandidError(f"type table entry with opcode {opcode} is not a constructed type")
    count, position = read_leb(data, position)
    if count > len(data):
        raise CandidError("more arguments than bytes")
    arguments = []
    for _ in range(count):
        argument, position = _read_reference(data, position, size)
        arguments.append(argument)
    for entry in entries:
        if entry[0] == SERVICE:
            for _name, method in entry[1]:
                if method < 0 or entries[method][0] != FUNC:
                    raise CandidError("a service method must have a function type")
    return entries, arguments, position


def _read_reference(data: bytes, position: int, table_size: int) -> tuple[int, int]:
    reference, position = read_sleb(data, position)
    if reference >= 0:
        if reference >= table_size:
            raise CandidError(f"type index {reference} out of range")
    elif reference not in PRIMITIVES:
        raise CandidError(f"{reference} is not a primitive type")
    return reference, position


def build_types(entries: list[_Entry]) -> list[Rec]:
    """Type objects for the raw table entries; entry i becomes the slot `table[i]`."""
    slots = [Rec(f"table{index}") for index in range(len(entries))]

    def of(reference: int) -> CandidType:
        return PRIMITIVES[reference] if reference < 0 else slots[reference]

    for slot, entry in zip(slots, entries, strict=True):
        opcode = entry[0]
        if opcode == OPT:
            slot.define(Opt(of(entry[1])))
        elif opcode == VEC:
            slot.define(Vec(of(entry[1])))
        elif opcode in (RECORD, VARIANT):
            identifiers = [identifier for identifier, _ in entry[1]]
            is_tuple = opcode == RECORD and identifiers == list(range(len(identifiers)))
            fields = {
                (str(identifier) if is_tuple else f"_{identifier}_"): of(field)
                for identifier, field in entry[1]
            }
            slot.define(Record(fields) if opcode == RECORD else Variant(fields))
        elif opcode == FUNC:
            modes = [_MODE_NAMES[mode] for mode in entry[3]]
            slot.define(Func([of(t) for t in entry[1]], [of(t) for t in entry[2]], modes))
        elif opcode == SERVICE:
            slot.define(Service({name: of(method) for name, method in entry[1]}))
        else:
            slot.define(FutureType(opcode))
    return slots


def reference_type(reference: int, slots: Sequence[Rec]) -> CandidType:
    return PRIMITIVES[reference] if reference < 0 else slots[reference]


# -- subtyping ---------------------------------------------------------------------------------


def accepts_null(candid_type: CandidType) -> bool:
    """`null <: t`: t is null, reserved or an opt."""
    resolved = resolve(candid_type)
    return resolved is Null or resolved is Reserved or isinstance(resolved, Opt)


def may_be_missing(candid_type: CandidType) -> bool:
    """A record field or argument of this type may be absent: it is an opt or reserved."""
    resolved = resolve(candid_type)
    return resolved is Reserved or isinstance(resolved, Opt)


def is_subtype(sub: CandidType, sup: CandidType) -> bool:
    """Whether every value of `sub` can be read at `sup` (the spec's `<:`)."""
    return _subtype(sub, sup, set())


def _subtype(sub: CandidType, sup: CandidType, assumed: set[tuple[int, int]]) -> bool:
    sub, sup = resolve(sub), resolve(sup)
    if sub is sup or sup is Reserved or sub is Empty or isinstance(sup, Opt):
        return True
    key = (id(sub), id(sup))
    if key in assumed:
        return True
    assumed.add(key)
    if isinstance(sub, Vec) and isinstance(sup, Vec):
        return _subtype(sub.inner, sup.inner, assumed)
    if isinstance(sub, Record) and isinstance(sup, Record):
        for identifier, _name, field in sup.fields:
            known = sub.by_id.get(identifier)
            if known is None:
                if not may_be_missing(field):
                    return False
            elif not _subtype(known[2], field, assumed):
                return False
        return True
    if isinstance(sub, Variant) and isinstance(sup, Variant):
        for identifier, _name, field in sub.fields:
            wanted = sup.by_id.get(identifier)
            if wanted is None or not _subtype(field, wanted[2], assumed):
                return False
        return True
    if isinstance(sub, Func) and isinstance(sup, Func):
        return (
            sorted(sub.modes) == sorted(sup.modes)
            and _tuple_subtype(sup.arguments, sub.arguments, assumed)
            and _tuple_subtype(sub.results, sup.results, assumed)
        )
    if isinstance(sub, Service) and isinstance(sup, Service):
        for name, method in sup.methods.items():
            if name not in sub.methods or not _subtype(sub.methods[name], method, assumed):
                return False
        return True
    return sub is Nat and sup is Int


def _tuple_subtype(
    sub: Sequence[CandidType], sup: Sequence[CandidType], assumed: set[tuple[int, int]]
) -> bool:
    for index, wanted in enumerate(sup):
        if index < len(sub):
            if not _subtype(sub[index], wanted, assumed):
                return False
        elif not may_be_missing(wanted):
            return False
    return True
