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
from collections.abc import Mapping
from enum import Enum
from typing import Any, Final

import cbor2

_RECORD_TAG: Final = 40_100
_ALLOWED_PREFIXES: Final = ("nns.", "registry.", "replica.")
_types: dict[str, type] = {}


def encode(value: object) -> bytes:
    return cbor2.dumps(_to_plain(value), canonical=True)


def decode(data: bytes) -> Any:
    return _from_plain(cbor2.loads(data))


def _to_plain(value: object) -> Any:
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        kind = type(value)
        fields = {
            field.name: _to_plain(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if not field.metadata.get("stored_apart")
        }
        return cbor2.CBORTag(_RECORD_TAG, [f"{kind.__module__}:{kind.__qualname__}", fields])
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
