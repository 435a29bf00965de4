"""The textual form of Candid values: printing them, and parsing them at a type.

Printing follows `didc`'s style: `(record { amount = 5 : nat; memo = "x" })`,
`opt 3 : nat8`, `vec { 1 : int; 2 : int }`, `blob "\\de\\ad"`, `variant { Ok = 1 : nat }`,
`principal "aaaaa-aa"`. Parsing reads that syntax, guided by the expected
types (numbers may carry a `: type` annotation and `_` separators; records may
name fields by name or number), so a command line can type arguments.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
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
    Record,
    Reserved,
    Service,
    Some,
    Text,
    Variant,
    Vec,
    field_id,
    resolve,
)
from replica.types import Principal, PrincipalError

_IDENTIFIER: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KEYWORDS: Final = frozenset(
    {
        "null",
        "bool",
        "nat",
        "int",
        "text",
        "opt",
        "vec",
        "record",
        "variant",
        "func",
        "service",
        "principal",
        "blob",
        "true",
        "false",
        "reserved",
        "empty",
        "type",
        "query",
        "oneway",
    }
)


# -- printing ----------------------------------------------------------------------------------


def to_text(values: Sequence[Any], types: Sequence[CandidType]) -> str:
    """Print argument values (of the given types) as a Candid text tuple, `didc` style."""
    if len(values) != len(types):
        raise CandidError(f"{len(types)} types but {len(values)} values")
    return "(" + ", ".join(value_to_text(t, v) for t, v in zip(types, values, strict=True)) + ")"


def _quote(text: str) -> str:
    out = []
    for character in text:
        if character in '"\\':
            out.append("\\" + character)
        elif character == "\n":
            out.append("\\n")
        elif character == "\t":
            out.append("\\t")
        elif character == "\r":
            out.append("\\r")
        elif ord(character) < 0x20 or ord(character) == 0x7F:
            out.append(f"\\u{{{ord(character):x}}}")
        else:
            out.append(character)
    return '"' + "".join(out) + '"'


def _field_name(name: str) -> str:
    if name.isdigit() or (_IDENTIFIER.match(name) and name not in _KEYWORDS):
        return name
    return _quote(name)


def _braces(keyword: str, parts: list[str]) -> str:
    return f"{keyword} {{ {'; '.join(parts)} }}" if parts else f"{keyword} {{}}"


def value_to_text(candid_type: CandidType, value: Any) -> str:
    candid_type = resolve(candid_type)
    if candid_type is Nat or candid_type is Int or candid_type.opcode in FIXED_WIDTH:
        return f"{value} : {candid_type!r}"
    if candid_type is Float32 or candid_type is Float64:
        if math.isnan(value) or math.isinf(value):
            return f"{value} : {candid_type!r}"
        return f"{float(value)!r} : {candid_type!r}"
    if candid_type is Text:
        return _quote(value)
    if candid_type is Bool:
        return "true" if value else "false"
    if candid_type is Null or candid_type is Reserved:
        return "null"
    if candid_type is PrincipalType:
        return f'principal "{value.to_text()}"'
    if isinstance(candid_type, Opt):
        if value is None:
            return "null"
        inner = value.value if isinstance(value, Some) else value
        return "opt " + value_to_text(candid_type.inner, inner)
    if isinstance(candid_type, Vec):
        if resolve(candid_type.inner) is Nat8 and isinstance(value, bytes | bytearray):
            return 'blob "' + "".join(f"\\{byte:02x}" for byte in value) + '"'
        return _braces("vec", [value_to_text(candid_type.inner, item) for item in value])
    if isinstance(candid_type, Record):
        if candid_type.is_tuple and candid_type.fields:
            parts = [value_to_text(t, value[name]) for _, name, t in candid_type.fields]
        else:
            parts = [
                f"{_field_name(name)} = {value_to_text(t, value[name])}"
                for _, name, t in candid_type.fields
            ]
        return _braces("record", parts)
    if isinstance(candid_type, Variant):
        ((tag, inner),) = value.items()
        field_type = resolve(candid_type.by_name[tag][2])
        if field_type is Null:
            return f"variant {{ {_field_name(tag)} }}"
        return f"variant {{ {_field_name(tag)} = {value_to_text(field_type, inner)} }}"
    if isinstance(candid_type, Func):
        principal, method = value
        return f'func "{principal.to_text()}".{_field_name(method)}'
    if isinstance(candid_type, Service):
        return f'service "{value.to_text()}"'
    raise CandidError(f"cannot print a value of type {candid_type!r}")


# -- parsing -----------------------------------------------------------------------------------

_TOKEN: Final = re.compile(
    r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<number>[+-]?(?:0x[0-9a-fA-F_]+|[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?))'
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[(){};,=:.>-]))"
)


class _Tokens:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        text = re.sub(r"//[^\n]*", "", text)
        while position < len(text):
            if text[position:].strip() == "":
                break
            match = _TOKEN.match(text, position)
            if match is None:
                raise CandidError(
                    f"unexpected character at {position}: {text[position : position + 10]!r}"
                )
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.index = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.index] if self.index < len(self.tokens) else ("end", "")

    def next(self) -> tuple[str, str]:
        token = self.peek()
        if token[0] == "end":
            raise CandidError("unexpected end of text")
        self.index += 1
        return token

    def expect(self, value: str) -> None:
        token = self.next()
        if token[1] != value:
            raise CandidError(f"expected {value!r}, found {token[1]!r}")

    def accept(self, value: str) -> bool:
        if self.peek()[1] == value:
            self.index += 1
            return True
        return False


def unquote(token: str) -> bytes:
    """The bytes of a Candid string literal (escapes: \\n \\t \\r \\" \\' \\\\ \\xx \\u{...})."""
    body, out, index = token[1:-1], bytearray(), 0
    while index < len(body):
        character = body[index]
        if character != "\\":
            out.extend(character.encode())
            index += 1
            continue
        escape = body[index + 1 : index + 2]
        simple = {"n": b"\n", "t": b"\t", "r": b"\r", '"': b'"', "'": b"'", "\\": b"\\"}
        if escape in simple:
            out.extend(simple[escape])
            index += 2
        elif escape == "u":
            close = body.find("}", index)
            if body[index + 2 : index + 3] != "{" or close < 0:
                raise CandidError("unclosed unicode escape")
            out.extend(chr(int(body[index + 3 : close], 16)).encode())
            index = close + 1
        else:
            pair = body[index + 1 : index + 3]
            if len(pair) != 2 or not all(c in "0123456789abcdefABCDEF" for c in pair):
                raise CandidError(f"invalid escape \\{pair}")
            out.append(int(pair, 16))
            index += 3
    return bytes(out)


def parse_text(text: str, types: Sequence[CandidType]) -> list[Any]:
    """Parse a Candid text tuple `(v1, v2, ...)` at the given types."""
    tokens = _Tokens(text)
    tokens.expect("(")
    values: list[Any] = []
    while not tokens.accept(")"):
        if len(values) >= len(types):
            raise CandidError("more values than types")
        values.append(_parse_value(tokens, types[len(values)]))
        if not tokens.accept(","):
            tokens.expect(")")
            break
    if tokens.peek()[0] != "end":
        raise CandidError("text after the closing parenthesis")
    while len(values) < len(types):
        if not isinstance(resolve(types[len(values)]), Opt):
            raise CandidError(f"missing value for argument {len(values)}")
        values.append(None)
    return values


def _parse_number(tokens: _Tokens, candid_type: CandidType) -> Any:
    kind, raw = tokens.next()
    is_float = candid_type is Float32 or candid_type is Float64
    if is_float and raw in ("-", "+") and tokens.peek()[1] in ("inf", "nan"):
        raw += tokens.next()[1]
        kind = "number"
    elif is_float and raw in ("inf", "nan"):
        kind = "number"
    if kind != "number":
        raise CandidError(f"expected a number for {candid_type!r}, found {raw!r}")
    if tokens.accept(":"):
        annotation = tokens.next()[1]
        if annotation != repr(candid_type):
            raise CandidError(f"annotation {annotation} does not match {candid_type!r}")
    cleaned = raw.replace("_", "")
    if is_float:
        return float(cleaned)
    if "." in cleaned or (
        "e" in cleaned.lower() and not cleaned.lower().startswith(("0x", "-0x", "+0x"))
    ):
        raise CandidError(f"{raw} is not an integer")
    value = int(cleaned, 0)
    if candid_type is Nat and value < 0:
        raise CandidError("nat cannot be negative")
    if candid_type.opcode in FIXED_WIDTH:
        width, signed = FIXED_WIDTH[candid_type.opcode]
        low, high = (
            (-(1 << (8 * width - 1)), (1 << (8 * width - 1)) - 1)
            if signed
            else (0, (1 << (8 * width)) - 1)
        )
        if not low <= value <= high:
            raise CandidError(f"{value} does not fit {candid_type!r}")
    return value


def _parse_value(tokens: _Tokens, candid_type: CandidType) -> Any:
    candid_type = resolve(candid_type)
    kind, token = tokens.peek()
    if isinstance(candid_type, Opt):
        if token == "null":
            tokens.next()
            return None
        if token == "opt":
            tokens.next()
            inner = _parse_value(tokens, candid_type.inner)
            return Some(inner) if candid_type.wraps else inner
        raise CandidError(f"expected null or opt for {candid_type!r}")
    if (
        candid_type is Nat
        or candid_type is Int
        or candid_type.opcode in FIXED_WIDTH
        or candid_type in (Float32, Float64)
    ):
        return _parse_number(tokens, candid_type)
    if candid_type is Text:
        kind, token = tokens.next()
        if kind != "string":
            raise CandidError(f"expected text, found {token!r}")
        try:
            return unquote(token).decode()
        except UnicodeDecodeError as error:
            raise CandidError("text is not valid UTF-8") from error
    if candid_type is Bool:
        token = tokens.next()[1]
        if token not in ("true", "false"):
            raise CandidError(f"expected a bool, found {token!r}")
        return token == "true"
    if candid_type is Null or candid_type is Reserved:
        tokens.expect("null")
        return None
    if candid_type is PrincipalType:
        tokens.expect("principal")
        return _principal(tokens.next()[1])
    if candid_type is Empty:
        raise CandidError("no value has type empty")
    if isinstance(candid_type, Vec):
        if token == "blob":
            tokens.next()
            if resolve(candid_type.inner) is not Nat8:
                raise CandidError("a blob literal needs vec nat8")
            return unquote(tokens.next()[1])
        tokens.expect("vec")
        tokens.expect("{")
        items = []
        while not tokens.accept("}"):
            items.append(_parse_value(tokens, candid_type.inner))
            if not tokens.accept(";"):
                tokens.expect("}")
                break
        return bytes(items) if resolve(candid_type.inner) is Nat8 else items
    if isinstance(candid_type, Record):
        return _parse_record(tokens, candid_type)
    if isinstance(candid_type, Variant):
        tokens.expect("variant")
        tokens.expect("{")
        name = _label(tokens.next()[1])
        entry = candid_type.by_name.get(name) or candid_type.by_id.get(field_id(name))
        if entry is None:
            raise CandidError(f"unknown variant tag {name!r}")
        value = _parse_value(tokens, entry[2]) if tokens.accept("=") else None
        tokens.accept(";")
        tokens.expect("}")
        return {entry[1]: value}
    if isinstance(candid_type, Func):
        tokens.expect("func")
        principal = _principal(tokens.next()[1])
        tokens.expect(".")
        return principal, _label(tokens.next()[1])
    if isinstance(candid_type, Service):
        tokens.expect("service")
        return _principal(tokens.next()[1])
    raise CandidError(f"cannot parse a value of type {candid_type!r}")


def _parse_record(tokens: _Tokens, candid_type: Record) -> dict[str, Any]:
    tokens.expect("record")
    tokens.expect("{")
    result: dict[str, Any] = {}
    position = 0
    while not tokens.accept("}"):
        saved = tokens.index
        label = tokens.next()[1]
        if tokens.accept("="):
            name = _label(label)
            entry = candid_type.by_id.get(field_id(name))
        else:
            tokens.index = saved
            entry = candid_type.by_id.get(position)
            position += 1
        if entry is None:
            raise CandidError(f"unknown record field {label!r}")
        result[entry[1]] = _parse_value(tokens, entry[2])
        if not tokens.accept(";"):
            tokens.expect("}")
            break
    for _identifier, name, field_type in candid_type.fields:
        if name not in result:
            if not isinstance(resolve(field_type), Opt):
                raise CandidError(f"record field {name!r} is missing")
            result[name] = None
    return result


_NUMERIC_LABEL: Final = re.compile(r"^(?:0x[0-9a-fA-F][0-9a-fA-F_]*|[0-9][0-9_]*)$")


def _label(token: str) -> str:
    """A field label as a name: quoted text, an identifier, or a number (`42`, `0x2a`, `4_2`), which
    is the id."""
    if token.startswith('"'):
        return unquote(token).decode()
    if _NUMERIC_LABEL.match(token):
        digits = token.replace("_", "")
        return str(int(digits[2:], 16) if digits.startswith("0x") else int(digits))
    return token


def _principal(token: str) -> Principal:
    try:
        return Principal.from_text(unquote(token).decode())
    except (PrincipalError, UnicodeDecodeError) as error:
        raise CandidError(f"not a principal: {token}") from error
