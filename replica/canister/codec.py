"""Canonical bytes for records kept in stable memory.

Frozen dataclasses (neurons, proposals and their typed payloads, including the
registry's) are written as CBOR with their type's qualified name, tuples as
arrays, integers and enums as integers; reading rebuilds the same objects.
A field whose metadata says `stored_apart` (a proposal's ballots) is left out
and takes its default when read.
Canonical CBOR makes equal records equal bytes, which the state hash needs.
"""

from __future__ import annotations

import dataclasses
import importlib
import operator
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, Final

import cbor2

_RECORD_TAG: Final = 40_100
_ALLOWED_PREFIXES: Final = ("nns.", "registry.", "replica.")
_types: dict[str, type] = {}


def encode(value: object) -> bytes:
    return cbor2.dumps(_to_plain(value), canonical=True)


def check_encodable(value: object) -> None:
    """Raise what `encode(value)` would raise, without building the bytes.

    Records, sequences and maps are walked; a leaf of a type CBOR writes as it is needs no
    work, and any other leaf is encoded on its own (a container encodes if and only if its
    keys and items do).
    """
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return
    # the common containers first: records met before, then exact lists, tuples and dicts
    fields_of = _record_getters.get(kind)
    if fields_of is not None:
        for item in fields_of(value):
            if type(item) not in _PLAIN_TYPES:
                check_encodable(item)
        return
    if kind is list or kind is tuple:
        for item in value:  # type: ignore[attr-defined]
            if type(item) not in _PLAIN_TYPES:
                check_encodable(item)
        return
    if isinstance(value, Enum):  # written as its value, as it is
        if type(value.value) not in _PLAIN_TYPES:
            cbor2.dumps(value.value, canonical=True)
        return
    if kind is not type:
        shape = _record_shape(kind)
        if shape is not None:
            if len(_record_getters) < 1_024:
                _record_getters[kind] = _fields_getter(shape[1])
            for field in shape[1]:
                item = getattr(value, field)
                if type(item) not in _PLAIN_TYPES:
                    check_encodable(item)
            return
    if isinstance(value, tuple | list):
        for item in value:
            if type(item) not in _PLAIN_TYPES:
                check_encodable(item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) not in _PLAIN_TYPES:
                check_encodable(key)
            if type(item) not in _PLAIN_TYPES:
                check_encodable(item)
        return
    encode(value)


def decode(data: bytes) -> Any:
    return _from_plain(cbor2.loads(data))


_PLAIN_TYPES: Final = frozenset({int, str, bytes, bool, float, type(None)})
"""Types written as they are (the common leaves, checked first)."""

_record_fields: dict[type, tuple[str, tuple[str, ...]]] = {}
"""Per record type: its qualified name and the names of the fields it stores."""

_record_getters: dict[type, Callable[[Any], tuple[Any, ...]]] = {}
"""Per record type (not an enum) met by `check_encodable`: the values of its stored fields."""


def _fields_getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    if len(names) > 1:
        return operator.attrgetter(*names)
    if names:
        (name,) = names
        return lambda record: (getattr(record, name),)
    return lambda record: ()


_not_records: set[type] = set()
"""Types met that are not records (dicts, lists, ...): no need to ask again."""


def _record_shape(kind: type) -> tuple[str, tuple[str, ...]] | None:
    """A record type's name and stored fields (cached); None when `kind` is not a record."""
    shape = _record_fields.get(kind)
    if shape is None:
        if kind in _not_records:
            return None
        if not dataclasses.is_dataclass(kind):
            if len(_not_records) < 1_024:
                _not_records.add(kind)
            return None
        names = tuple(
            field.name
            for field in dataclasses.fields(kind)
            if not field.metadata.get("stored_apart")
        )
        shape = (f"{kind.__module__}:{kind.__qualname__}", names)
        _record_fields[kind] = shape
    return shape


def _to_plain(value: object) -> Any:
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return value
    if isinstance(value, Enum):
        return value.value
    if kind is not type:
        shape = _record_shape(kind)
        if shape is not None:
            name, names = shape
            fields = {field: _to_plain(getattr(value, field)) for field in names}
            return cbor2.CBORTag(_RECORD_TAG, [name, fields])
    if isinstance(value, tuple | list):
        return [_to_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _to_plain(item) for key, item in value.items()}
    return value


def _from_plain(value: Any) -> Any:
    if isinstance(value, cbor2.CBORTag) and value.tag == _RECORD_TAG:
        name, fields = value.value
        kind = _resolve(name)
        return kind(**{key: _from_plain(item) for key, item in fields.items()})
    if isinstance(value, list | tuple):
        return tuple(_from_plain(item) for item in value)
    if isinstance(value, Mapping):
        return {key: _from_plain(item) for key, item in value.items()}
    return value


def _resolve(name: str) -> type:
    kind = _types.get(name)
    if kind is not None:
        return kind
    module_name, _, qualname = name.partition(":")
    if not module_name.startswith(_ALLOWED_PREFIXES):
        raise ValueError(f"refusing to decode a record of type {name!r}")
    resolved: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        resolved = getattr(resolved, part)
    if not (isinstance(resolved, type) and dataclasses.is_dataclass(resolved)):
        raise ValueError(f"{name!r} is not a record type")
    _types[name] = resolved
    return resolved
