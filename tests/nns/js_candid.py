"""Decoding with the official JavaScript Candid library (@dfinity/candid, installed under tests/js
by `npm ci`): types become JSON for tests/js/decode.mjs, values become the same plain JSON form
on both sides (numbers as decimal text, blobs as hex, opt as null or a one-item list, tuples as
lists, principals as text)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from replica.candid.types import CandidType as Type
from replica.candid.types import (
    Func,
    Nat8,
    Opt,
    PrimitiveType,
    Rec,
    Record,
    Reserved,
    Service,
    Some,
    Variant,
    Vec,
    resolve,
)
from replica.types import Principal

JS_DIRECTORY = Path(__file__).parent.parent / "js"
DECODER = JS_DIRECTORY / "decode.mjs"


def unavailable_reason() -> str | None:
    """Why the JavaScript decoder cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed, so the official JavaScript Candid decoder cannot run"
    if not (JS_DIRECTORY / "node_modules" / "@dfinity" / "candid").is_dir():
        return "tests/js has no node_modules: run `npm ci --prefix tests/js` (.ci/run does)"
    return None


class TypeTable:
    """The JSON form of Candid types, recursive named types as numbered definitions."""

    def __init__(self) -> None:
        self.definitions: dict[str, Any] = {}
        self._ids: dict[int, str] = {}

    def describe(self, candid_type: Type) -> Any:
        if isinstance(candid_type, Rec):
            key = self._ids.get(id(candid_type))
            if key is None:
                key = self._ids[id(candid_type)] = str(len(self._ids))
                self.definitions[key] = None
                self.definitions[key] = self.describe(resolve(candid_type))
            return {"ref": key}
        if isinstance(candid_type, PrimitiveType):
            return {"p": candid_type.name}
        if isinstance(candid_type, Opt):
            return {"opt": self.describe(candid_type.inner)}
        if isinstance(candid_type, Vec):
            return {"vec": self.describe(candid_type.inner)}
        if isinstance(candid_type, Record):
            if candid_type.is_tuple and candid_type.fields:
                return {"tuple": [self.describe(field) for _, _, field in candid_type.fields]}
            return {
                "record": [[name, self.describe(field)] for _, name, field in candid_type.fields]
            }
        if isinstance(candid_type, Variant):
            return {
                "variant": [[name, self.describe(field)] for _, name, field in candid_type.fields]
            }
        if isinstance(candid_type, Func):
            return {
                "func": {
                    "args": [self.describe(t) for t in candid_type.arguments],
                    "rets": [self.describe(t) for t in candid_type.results],
                    "modes": candid_type.modes,
                }
            }
        if isinstance(candid_type, Service):
            return {"service": {}}
        raise TypeError(f"no JSON form for {candid_type!r}")


def plain(candid_type: Type, value: Any) -> Any:
    """A value decoded by icbox, in the plain JSON form decode.mjs prints."""
    resolved = resolve(candid_type)
    if isinstance(resolved, PrimitiveType):
        if resolved.name in ("null", "reserved") or resolved is Reserved:
            return None
        if resolved.name in ("bool", "text"):
            return value
        if resolved.name.startswith("float"):
            return float(value)
        if isinstance(value, Principal):
            return value.to_text()
        return str(value)
    if isinstance(resolved, Opt):
        if value is None:
            return None
        return [plain(resolved.inner, value.value if isinstance(value, Some) else value)]
    if isinstance(resolved, Vec):
        if resolve(resolved.inner) is Nat8:
            return bytes(value).hex()
        return [plain(resolved.inner, item) for item in value]
    if isinstance(resolved, Record):
        if resolved.is_tuple and resolved.fields:
            items = (
                [value[name] for _, name, _ in resolved.fields]
                if isinstance(value, dict)
                else list(value)
            )
            return [
                plain(field, item)
                for (_, _, field), item in zip(resolved.fields, items, strict=True)
            ]
        return {name: plain(field, value[name]) for _, name, field in resolved.fields}
    if isinstance(resolved, Variant):
        ((tag, inner),) = value.items()
        return {tag: plain(resolved.by_name[tag][2], inner)}
    if isinstance(resolved, Func):
        principal, method = value
        return [principal.to_text(), method]
    return None


def decode_with_javascript(cases: Sequence[tuple[Sequence[Type], bytes]]) -> list[dict[str, Any]]:
    """Each message decoded by @dfinity/candid at its types: `{"ok": [values]}` or `{"error":
    text}`."""
    table = TypeTable()
    job_cases = [
        {"types": [table.describe(t) for t in types], "hex": message.hex()}
        for types, message in cases
    ]
    completed = subprocess.run(
        ["node", str(DECODER)],
        input=json.dumps({"defs": table.definitions, "cases": job_cases}),
        capture_output=True,
        text=True,
        cwd=JS_DIRECTORY,
        timeout=120,
        check=True,
    )
    result: list[dict[str, Any]] = json.loads(completed.stdout)
    return result
