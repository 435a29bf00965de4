"""Candid types as Python objects.

Primitive types are singletons (`Nat`, `Text`, ...); constructed types are
built by calling their constructor (`Opt(Nat)`, `Vec(Text)`, `Record({...})`,
`Variant({...})`, `Func(...)`, `Service({...})`). A recursive type is made
with `Rec()`, defined later with `.define(type)`.

Values (what encoding takes and decoding returns):
- nat, int and the fixed-width integers: `int`; float32/float64: `float`;
  bool: `bool`; text: `str`; null and reserved: `None`;
- principal: `replica.types.Principal`; `blob` (vec nat8): `bytes`;
- vec: `list`; opt: `None` or the value, except that an opt whose inner type
  is null, reserved or opt wraps its value in `Some`, so nested options stay
  unambiguous;
- record: `dict` keyed by field name (tuple records: "0", "1", ..., and a
  tuple or list of the right length is also accepted when encoding one; a
  field known only by its id, as in `decode_untyped`, is named "_<id>_");
- variant: a `dict` with exactly one entry `{tag: value}`;
- func reference: `(Principal, method name)`; service reference: `Principal`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final


class CandidError(ValueError):
    """Malformed Candid data, or a value that does not fit its type."""


class CandidTypeMismatch(CandidError):
    """The data is well formed but its type is not a subtype of the expected one."""


def idl_hash(name: str) -> int:
    """The field id of a name: fold bytes with h = h·223 + b mod 2³²."""
    value = 0
    for byte in name.encode():
        value = (value * 223 + byte) & 0xFFFFFFFF
    return value


def field_id(name: str) -> int:
    """Numeric names ("0", "42") and `_<id>_` names ("_5035232_") are their ids; others are
    hashed."""
    if name.isdigit():
        return int(name)
    if len(name) > 2 and name[0] == "_" and name[-1] == "_" and name[1:-1].isdigit():
        return int(name[1:-1])
    return idl_hash(name)


@dataclass(frozen=True, slots=True)
class Some:
    """An opt value present, for opt of null, reserved or opt."""

    value: Any


class CandidType:
    """Base of every Candid type."""

    opcode: int = 0
    name: str = "?"

    def __repr__(self) -> str:
        return self.name


class PrimitiveType(CandidType):
    def __init__(self, name: str, opcode: int) -> None:
        self.name = name
        self.opcode = opcode


Null: Final = PrimitiveType("null", -1)
Bool: Final = PrimitiveType("bool", -2)
Nat: Final = PrimitiveType("nat", -3)
Int: Final = PrimitiveType("int", -4)
Nat8: Final = PrimitiveType("nat8", -5)
Nat16: Final = PrimitiveType("nat16", -6)
Nat32: Final = PrimitiveType("nat32", -7)
Nat64: Final = PrimitiveType("nat64", -8)
Int8: Final = PrimitiveType("int8", -9)
Int16: Final = PrimitiveType("int16", -10)
Int32: Final = PrimitiveType("int32", -11)
Int64: Final = PrimitiveType("int64", -12)
Float32: Final = PrimitiveType("float32", -13)
Float64: Final = PrimitiveType("float64", -14)
Text: Final = PrimitiveType("text", -15)
Reserved: Final = PrimitiveType("reserved", -16)
Empty: Final = PrimitiveType("empty", -17)
PrincipalType: Final = PrimitiveType("principal", -24)
Principal: Final = PrincipalType
"""The principal type (its values are `replica.types.Principal`)."""

PRIMITIVES: Final[dict[int, PrimitiveType]] = {
    t.opcode: t
    for t in (
        Null,
        Bool,
        Nat,
        Int,
        Nat8,
        Nat16,
        Nat32,
        Nat64,
        Int8,
        Int16,
        Int32,
        Int64,
        Float32,
        Float64,
        Text,
        Reserved,
        Empty,
        PrincipalType,
    )
}
PRIMITIVES_BY_NAME: Final[dict[str, PrimitiveType]] = {t.name: t for t in PRIMITIVES.values()}

# (bytes, signed) of the fixed-width integers
FIXED_WIDTH: Final[dict[int, tuple[int, bool]]] = {
    -5: (1, False),
    -6: (2, False),
    -7: (4, False),
    -8: (8, False),
    -9: (1, True),
    -10: (2, True),
    -11: (4, True),
    -12: (8, True),
}

OPT, VEC, RECORD, VARIANT, FUNC, SERVICE = -18, -19, -20, -21, -22, -23


class Opt(CandidType):
    opcode = OPT

    def __init__(self, inner: CandidType) -> None:
        self.inner = inner

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"opt {self.inner!r}"

    @property
    def wraps(self) -> bool:
        """Whether present values are wrapped in `Some` (inner null, reserved or opt)."""
        inner = resolve(self.inner)
        return inner is Null or inner is Reserved or isinstance(inner, Opt)


class Vec(CandidType):
    opcode = VEC

    def __init__(self, inner: CandidType) -> None:
        self.inner = inner

    @property
    def name(self) -> str:  # type: ignore[override]
        return "blob" if resolve(self.inner) is Nat8 else f"vec {self.inner!r}"


class _BlobType(Vec):
    """`blob`, the same type as `vec nat8`; calling it returns itself, so `Blob` and `Blob()`
    agree."""

    def __init__(self) -> None:
        super().__init__(Nat8)

    def __call__(self) -> _BlobType:
        return self


Blob: Final = _BlobType()


class Record(CandidType):
    """Fields sorted by id; `fields` maps each name to its type."""

    opcode = RECORD

    def __init__(self, fields: Mapping[str, CandidType] | Sequence[CandidType]) -> None:
        if isinstance(fields, Mapping):
            named = dict(fields)
        else:
            named = {str(index): field for index, field in enumerate(fields)}
        self.fields: list[tuple[int, str, CandidType]] = sorted(
            ((field_id(name), name, field) for name, field in named.items()),
            key=lambda item: item[0],
        )
        ids = [item[0] for item in self.fields]
        if len(set(ids)) != len(ids):
            raise CandidError("two field names hash to the same id")
        self.by_id = {item[0]: item for item in self.fields}

    @property
    def is_tuple(self) -> bool:
        return all(name == str(index) for index, (_, name, _) in enumerate(self.fields))

    @property
    def name(self) -> str:  # type: ignore[override]
        if self.is_tuple and self.fields:
            return "record { " + "; ".join(repr(t) for _, _, t in self.fields) + " }"
        return "record { " + "; ".join(f"{n} : {t!r}" for _, n, t in self.fields) + " }"


class Variant(CandidType):
    opcode = VARIANT

    def __init__(self, fields: Mapping[str, CandidType]) -> None:
        self.fields: list[tuple[int, str, CandidType]] = sorted(
            ((field_id(name), name, field) for name, field in fields.items()),
            key=lambda item: item[0],
        )
        self.by_id = {item[0]: item for item in self.fields}
        self.by_name = {item[1]: item for item in self.fields}

    @property
    def name(self) -> str:  # type: ignore[override]
        return "variant { " + "; ".join(f"{n} : {t!r}" for _, n, t in self.fields) + " }"


class Func(CandidType):
    opcode = FUNC

    def __init__(
        self,
        arguments: Sequence[CandidType],
        results: Sequence[CandidType],
        modes: Sequence[str] = (),
    ) -> None:
        self.arguments = list(arguments)
        self.results = list(results)
        self.modes = list(modes)

    @property
    def name(self) -> str:  # type: ignore[override]
        arguments = ", ".join(repr(t) for t in self.arguments)
        results = ", ".join(repr(t) for t in self.results)
        modes = "".join(f" {mode}" for mode in self.modes)
        return f"func ({arguments}) -> ({results}){modes}"


FUNC_MODES: Final = {"query": 1, "oneway": 2, "composite_query": 3}


class Service(CandidType):
    opcode = SERVICE

    def __init__(self, methods: Mapping[str, CandidType]) -> None:
        self.methods = dict(sorted(methods.items()))

    @property
    def name(self) -> str:  # type: ignore[override]
        return "service { " + "; ".join(f"{n} : {t!r}" for n, t in self.methods.items()) + " }"


class FutureType(CandidType):
    """A type from a later version of Candid, met in a sender's type table: its values are
    skipped."""

    def __init__(self, opcode: int) -> None:
        self.opcode = opcode
        self.name = f"future type {opcode}"


class Rec(CandidType):
    """A named slot for a recursive type, defined after it is referenced."""

    def __init__(self, label: str = "rec") -> None:
        self.label = label
        self.target: CandidType | None = None

    def define(self, target: CandidType) -> Rec:
        self.target = target
        return self

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.label


def resolve(candid_type: CandidType) -> CandidType:
    """Follow `Rec` slots to the type they stand for."""
    seen = 0
    while isinstance(candid_type, Rec):
        if candid_type.target is None:
            raise CandidError(f"recursive type {candid_type.label} is not defined")
        candid_type = candid_type.target
        seen += 1
        if seen > 1_000:
            raise CandidError("a recursive type refers only to itself")
    return candid_type
