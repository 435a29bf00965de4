"""Checking a decoded record against its declared types, all the way down.

Canonical CBOR decoding rebuilds records from whatever a peer sent; before a
replica acts on one, every field must have the type its dataclass declares:
integers (never booleans), bytes, strings, principals, nested records, tuples
of a declared element type, unions and literals.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from functools import cache
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints


@cache
def _field_types(kind: type) -> tuple[tuple[str, Any], ...]:
    hints = get_type_hints(kind)
    return tuple(
        (f.name, hints[f.name]) for f in fields(kind) if not f.metadata.get("stored_apart")
    )


def check_shape(value: object, expected: Any) -> None:
    """Raise ValueError unless `value` has the type `expected` (records, tuples, unions,
    literals)."""
    origin = get_origin(expected)
    if expected is Any:
        return
    if origin is Literal:
        if value not in get_args(expected):
            raise ValueError(f"{value!r} is not one of {get_args(expected)}")
        return
    if origin in (Union, UnionType):
        for option in get_args(expected):
            try:
                check_shape(value, option)
            except ValueError:
                continue
            return
        raise ValueError(f"{type(value).__name__} is none of {expected}")
    if origin is tuple:
        arguments = get_args(expected)
        if not isinstance(value, tuple):
            raise ValueError(f"expected a tuple, got {type(value).__name__}")
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            for item in value:
                check_shape(item, arguments[0])
            return
        if len(arguments) != len(value):
            raise ValueError("a tuple of the wrong length")
        for item, argument in zip(value, arguments, strict=True):
            check_shape(item, argument)
        return
    if expected is type(None):
        if value is not None:
            raise ValueError("expected nothing")
        return
    if not isinstance(expected, type):
        raise ValueError(f"cannot check against {expected!r}")
    if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"expected an integer, got {type(value).__name__}")
    if not isinstance(value, expected):
        raise ValueError(f"expected {expected.__name__}, got {type(value).__name__}")
    if is_dataclass(expected):
        for name, field_type in _field_types(expected):
            check_shape(getattr(value, name), field_type)
