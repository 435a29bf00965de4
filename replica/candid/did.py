"""Parsing `.did` interface descriptions into Candid types.

Reads type definitions (`type Account = record { owner : principal; subaccount
: opt blob };`) and a service declaration (`service : { transfer : (TransferArgs)
-> (TransferResult); balance : (Account) -> (nat) query }`), possibly with
service arguments (`service : (InitArgs) -> { ... }`). Named types may refer
to each other in any order and recursively.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from replica.candid.text import _label, _Tokens
from replica.candid.types import (
    PRIMITIVES_BY_NAME,
    CandidError,
    CandidType,
    Func,
    Nat8,
    Null,
    Opt,
    Rec,
    Record,
    Service,
    Variant,
    Vec,
)

_MODES: Final = ("query", "oneway", "composite_query")


@dataclass
class Interface:
    """The named types of a .did file and its service, if it declares one."""

    types: dict[str, CandidType] = field(default_factory=dict)
    service: Service | None = None
    init: list[CandidType] = field(default_factory=list)

    def method(self, name: str) -> Func:
        if self.service is None or name not in self.service.methods:
            raise CandidError(f"the interface has no method {name!r}")
        method = self.service.methods[name]
        if not isinstance(method, Func):
            raise CandidError(f"{name} is not a method")
        return method


def parse_did(text: str) -> Interface:
    tokens = _Tokens(_strip_block_comments(text))
    interface = Interface()
    slots: dict[str, Rec] = {}

    def named(name: str) -> CandidType:
        if name not in slots:
            slots[name] = Rec(name)
        return slots[name]

    while tokens.peek()[0] != "end":
        keyword = tokens.next()[1]
        if keyword == "type":
            name = tokens.next()[1]
            tokens.expect("=")
            named(name)
            slots[name].define(_parse_type(tokens, named))
            # Definitions are separated by `;` (`<def>;*`): only the last one before the service may
            # omit it.
            if not tokens.accept(";") and tokens.peek()[1] not in ("service", ""):
                raise CandidError(
                    f"expected ';' after the definition of {name}, found {tokens.peek()[1]!r}"
                )
        elif keyword == "service":
            if tokens.peek()[0] == "word" and tokens.peek()[1] != "service":
                tokens.next()
            tokens.expect(":")
            if tokens.peek()[1] == "(":
                interface.init = _parse_tuple(tokens, named)
                tokens.expect("-")
                tokens.expect(">")
            service = _parse_service_body(tokens, named)
            interface.service = service
            tokens.accept(";")
        elif keyword == "import":
            raise CandidError("imports are not supported")
        else:
            raise CandidError(f"unexpected {keyword!r} at the top level")
    for name, slot in slots.items():
        if slot.target is None:
            raise CandidError(f"type {name} is used but not defined")
        interface.types[name] = slot
    return interface


def parse_types(text: str, definitions: str = "") -> list[CandidType]:
    """A tuple of types, `(nat, opt Tree)`, whose names refer to the `.did` type definitions
    given."""
    interface = parse_did(definitions)
    slots = dict(interface.types)

    def named(name: str) -> CandidType:
        if name not in slots:
            raise CandidError(f"type {name} is not defined")
        return slots[name]

    tokens = _Tokens(_strip_block_comments(text))
    types = _parse_tuple(tokens, named)
    if tokens.peek()[0] != "end":
        raise CandidError("text after the type tuple")
    return types


def _strip_block_comments(text: str) -> str:
    """Remove `/* ... */` comments, which nest (`/* a /* b */ c */` is one comment), outside
    strings."""
    out: list[str] = []
    index, depth, in_string = 0, 0, False
    while index < len(text):
        pair = text[index : index + 2]
        if depth == 0 and in_string:
            out.append(text[index])
            if text[index] == "\\":
                out.append(text[index + 1 : index + 2])
                index += 1
            elif text[index] == '"':
                in_string = False
            index += 1
        elif pair == "/*":
            depth += 1
            index += 2
        elif depth > 0 and pair == "*/":
            depth -= 1
            index += 2
            if depth == 0:
                out.append(" ")
        elif depth > 0:
            index += 1
        elif pair == "//":
            end = text.find("\n", index)
            index = len(text) if end < 0 else end
        else:
            if text[index] == '"':
                in_string = True
            out.append(text[index])
            index += 1
    if depth > 0:
        raise CandidError("unclosed comment")
    return "".join(out).replace("->", " - > ")


def _parse_tuple(tokens: _Tokens, named: object) -> list[CandidType]:
    tokens.expect("(")
    items: list[CandidType] = []
    while not tokens.accept(")"):
        saved = tokens.index
        first = tokens.next()
        if not tokens.accept(":") or first[0] not in ("word", "string"):
            tokens.index = saved
        items.append(_parse_type(tokens, named))
        if not tokens.accept(","):
            tokens.expect(")")
            break
    return items


def _parse_func_signature(tokens: _Tokens, named: object) -> Func:
    arguments = _parse_tuple(tokens, named)
    tokens.expect("-")
    tokens.expect(">")
    results = _parse_tuple(tokens, named)
    modes = []
    while tokens.peek()[1] in _MODES:
        modes.append(tokens.next()[1])
    return Func(arguments, results, modes)


def _parse_service_body(tokens: _Tokens, named: object) -> Service:
    if tokens.peek()[0] == "word":
        reference = _parse_type(tokens, named)
        if not isinstance(reference, Rec):
            raise CandidError("expected a service")
        target = reference.target
        if not isinstance(target, Service):
            raise CandidError("expected a service type")
        return target
    tokens.expect("{")
    methods: dict[str, CandidType] = {}
    while not tokens.accept("}"):
        name = _label(tokens.next()[1])
        tokens.expect(":")
        methods[name] = (
            _parse_func_signature(tokens, named)
            if tokens.peek()[1] == "("
            else _parse_type(tokens, named)
        )
        tokens.accept(";")
    return Service(methods)


def _parse_fields(tokens: _Tokens, named: object, *, variant: bool) -> dict[str, CandidType]:
    tokens.expect("{")
    fields: dict[str, CandidType] = {}
    position = 0
    while not tokens.accept("}"):
        saved = tokens.index
        kind, label = tokens.next()
        if kind in ("word", "string", "number") and tokens.accept(":"):
            fields[_label(label)] = _parse_type(tokens, named)
        elif variant and kind in ("word", "string", "number") and tokens.peek()[1] in (";", "}"):
            fields[_label(label)] = Null
        else:
            tokens.index = saved
            fields[str(position)] = _parse_type(tokens, named)
            position += 1
        if not tokens.accept(";"):
            tokens.expect("}")
            break
    return fields


def _parse_type(tokens: _Tokens, named: object) -> CandidType:
    word = tokens.next()[1]
    if word in PRIMITIVES_BY_NAME:
        return PRIMITIVES_BY_NAME[word]
    if word == "opt":
        return Opt(_parse_type(tokens, named))
    if word == "vec":
        return Vec(_parse_type(tokens, named))
    if word == "blob":
        return Vec(Nat8)
    if word == "record":
        return Record(_parse_fields(tokens, named, variant=False))
    if word == "variant":
        return Variant(_parse_fields(tokens, named, variant=True))
    if word == "func":
        return _parse_func_signature(tokens, named)
    if word == "service":
        return _parse_service_body(tokens, named)
    if word.isidentifier():
        return named(word)  # type: ignore[operator,no-any-return]
    raise CandidError(f"unexpected {word!r} in a type")
