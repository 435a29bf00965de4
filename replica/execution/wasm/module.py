"""Canister modules: decoding, checking and instrumenting a Wasm binary.

A canister module is a Wasm binary, possibly gzip-compressed (the interface
spec's "Canister module format"). `prepare_module` decompresses it, reads the
sections the replica needs (imports, exports, globals, the `icp:public` and
`icp:private` custom sections) and checks the exports: every function export
named `canister_update <name>`, `canister_query <name>`,
`canister_composite_query <name>` or one of the system entry points
(`canister_init`, `canister_pre_upgrade`, ...) must be a function, and a name
may be exported as only one kind of method.

Instrumentation: wasmtime lets the host read only exported items, and a
trapped message must leave the module's mutable globals as they were. The
replica appends one export, `__icbox_global_<index>`, for every mutable global
the module defines, so that it can save and restore them around each message,
and exports memory 0 and table 0 (`__icbox_memory`, `__icbox_table`: the
System API reads the memory and calls back through the table whatever the
module names them). The start function is exported as `__icbox_start`
instead of being run by instantiation, so that an upgrade that keeps main
memory can put the old memory in place before it runs, as the IC does
(the IC instruments modules the same way, rs/embedders/src/wasm_utils/instrumentation.rs
exports its own counters and the module's globals). Nothing else in the module
changes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
from dataclasses import dataclass
from typing import Final

from replica.candid.wire import leb128

WASM_MAGIC: Final = b"\x00asm"
GZIP_MAGIC: Final = b"\x1f\x8b"
GLOBAL_EXPORT_PREFIX: Final = "__icbox_global_"
MEMORY_EXPORT: Final = "__icbox_memory"
TABLE_EXPORT: Final = "__icbox_table"
START_EXPORT: Final = "__icbox_start"
MAX_DECOMPRESSED_SIZE: Final = 100 * 1024 * 1024  # the IC's MAX_WASM_MEMORY_IN_BYTES for a module
SYSTEM_EXPORTS: Final = frozenset(
    {
        "canister_init",
        "canister_pre_upgrade",
        "canister_post_upgrade",
        "canister_inspect_message",
        "canister_heartbeat",
        "canister_global_timer",
        "canister_on_low_wasm_memory",
    }
)
METHOD_PREFIXES: Final = ("canister_update ", "canister_query ", "canister_composite_query ")


class InvalidModule(Exception):
    """The module cannot be installed: it does not decode, validate or export what it must."""


@dataclass(frozen=True, slots=True)
class PreparedModule:
    """A decoded module, instrumented, with what the replica reads from it."""

    module_hash: bytes  # SHA-256 of the module as installed (compressed or not)
    wasm: bytes  # the instrumented binary wasmtime compiles
    updates: frozenset[str]
    queries: frozenset[str]
    composite_queries: frozenset[str]
    system_exports: frozenset[str]
    mutable_globals: tuple[int, ...]
    memory64: bool
    public_metadata: tuple[tuple[str, bytes], ...]
    private_metadata: tuple[tuple[str, bytes], ...]
    data_segments: tuple[
        tuple[int, bytes], ...
    ] = ()  # active segments of memory 0 at constant offsets
    has_start: bool = (
        False  # the start function, exported as START_EXPORT, runs after instantiation
    )

    def metadata(self, name: str) -> bytes | None:
        for key, value in self.public_metadata + self.private_metadata:
            if key == name:
                return value
        return None


class _Reader:
    def __init__(self, data: bytes, position: int = 0, end: int | None = None) -> None:
        self.data, self.position = data, position
        self.end = len(data) if end is None else end

    def byte(self) -> int:
        if self.position >= self.end:
            raise InvalidModule("unexpected end of the module")
        value = self.data[self.position]
        self.position += 1
        return value

    def uleb(self) -> int:
        result = shift = 0
        while True:
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7
            if shift > 70:
                raise InvalidModule("malformed LEB128 number")

    def sleb(self) -> int:
        result = shift = 0
        while True:
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result - (1 << shift) if byte & 0x40 else result
            if shift > 70:
                raise InvalidModule("malformed LEB128 number")

    def skip_sleb(self) -> None:
        while self.byte() & 0x80:
            pass

    def raw(self, count: int) -> bytes:
        if self.position + count > self.end:
            raise InvalidModule("unexpected end of the module")
        value = self.data[self.position : self.position + count]
        self.position += count
        return value

    def name(self) -> str:
        try:
            return self.raw(self.uleb()).decode()
        except UnicodeDecodeError as error:
            raise InvalidModule("a name is not UTF-8") from error

    def valtype(self) -> None:
        code = self.byte()
        if code in (0x63, 0x64):  # (ref null? heaptype)
            self.skip_sleb()

    def limits(self) -> bool:
        flags = self.byte()
        self.uleb()
        if flags & 0x01:
            self.uleb()
        return bool(flags & 0x04)

    def const_expression(self) -> None:
        while True:
            opcode = self.byte()
            if opcode == 0x0B:
                return
            if opcode in (0x41, 0x42):  # i32.const, i64.const
                self.skip_sleb()
            elif opcode == 0x43:
                self.raw(4)
            elif opcode == 0x44:
                self.raw(8)
            elif opcode in (0x23, 0xD2):  # global.get, ref.func
                self.uleb()
            elif opcode == 0xD0:  # ref.null heaptype
                self.skip_sleb()
            elif opcode == 0xFD:  # v128.const
                self.uleb()
                self.raw(16)
            elif opcode in (0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E):  # extended constant arithmetic
                continue
            else:
                raise InvalidModule(
                    f"unsupported instruction 0x{opcode:02x} in a constant expression"
                )


def _name(text: str) -> bytes:
    encoded = text.encode()
    return leb128(len(encoded)) + encoded


def decompress(module: bytes) -> bytes:
    """The raw Wasm binary of a module as installed (gzip is optional)."""
    if module.startswith(GZIP_MAGIC):
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(module)) as stream:
                data = stream.read(MAX_DECOMPRESSED_SIZE + 1)
        except (OSError, EOFError, zlib.error) as error:
            raise InvalidModule(
                f"the gzip-compressed module does not decompress: {error}"
            ) from error
        if len(data) > MAX_DECOMPRESSED_SIZE:
            raise InvalidModule("the decompressed module is too large")
        module = data
    if not module.startswith(WASM_MAGIC) or module[4:8] != b"\x01\x00\x00\x00":
        raise InvalidModule("not a Wasm module (bad magic number or version)")
    return module


def prepare_module(installed: bytes) -> PreparedModule:
    """Decode, check and instrument a canister module."""
    wasm = decompress(installed)
    reader = _Reader(wasm, 8)
    imported_globals = 0
    memories = tables = 0
    defined_mutable: list[int] = []
    memory64 = False
    exports: list[tuple[str, int, int]] = []
    export_section: tuple[int, int] | None = None  # start of the section id, end of the section
    start: tuple[int, int, int] | None = None  # the start section's bounds and function
    public: list[tuple[str, bytes]] = []
    segments: list[tuple[int, bytes]] = []
    private: list[tuple[str, bytes]] = []
    while reader.position < len(wasm):
        section_start = reader.position
        section_id = reader.byte()
        size = reader.uleb()
        body_start = reader.position
        end = body_start + size
        if end > len(wasm):
            raise InvalidModule("a section runs past the end of the module")
        body = _Reader(wasm, body_start, end)
        if section_id == 0:
            name = body.name()
            content = wasm[body.position : end]
            if name.startswith("icp:public "):
                public.append((name.removeprefix("icp:public "), content))
            elif name.startswith("icp:private "):
                private.append((name.removeprefix("icp:private "), content))
        elif section_id == 2:
            for _ in range(body.uleb()):
                body.name()
                body.name()
                kind = body.byte()
                if kind == 0x00:
                    body.uleb()
                elif kind == 0x01:
                    body.valtype()
                    body.limits()
                    tables += 1
                elif kind == 0x02:
                    memory64 = body.limits() or memory64
                    memories += 1
                elif kind == 0x03:
                    body.valtype()
                    body.byte()
                    imported_globals += 1
                elif kind == 0x04:
                    body.byte()
                    body.uleb()
                else:
                    raise InvalidModule(f"unknown import kind {kind}")
        elif section_id == 4:
            tables += body.uleb()
        elif section_id == 5:
            for _ in range(body.uleb()):
                memory64 = body.limits() or memory64
                memories += 1
        elif section_id == 6:
            for index in range(body.uleb()):
                body.valtype()
                mutable = body.byte()
                body.const_expression()
                if mutable:
                    defined_mutable.append(imported_globals + index)
        elif section_id == 8:
            start = (section_start, end, body.uleb())
        elif section_id == 11:
            segments = _data_segments(body)
        elif section_id == 7:
            export_section = (section_start, end)
            for _ in range(body.uleb()):
                name = body.name()
                kind = body.byte()
                exports.append((name, kind, body.uleb()))
        reader.position = end
    updates, queries, composite, system = _check_exports(exports)
    added = [(f"{GLOBAL_EXPORT_PREFIX}{index}", 0x03, index) for index in defined_mutable]
    if memories:
        added.append((MEMORY_EXPORT, 0x02, 0))
    if tables:
        added.append((TABLE_EXPORT, 0x01, 0))
    if start is not None:
        # the host calls the start function itself, after it has put a kept memory in place
        added.append((START_EXPORT, 0x00, start[2]))
        wasm = wasm[: start[0]] + wasm[start[1] :]
        if export_section is not None and export_section[0] > start[0]:
            shift = start[1] - start[0]
            export_section = (export_section[0] - shift, export_section[1] - shift)
    wasm = _add_exports(wasm, export_section, exports, added)
    return PreparedModule(
        module_hash=hashlib.sha256(installed).digest(),
        wasm=wasm,
        updates=updates,
        queries=queries,
        composite_queries=composite,
        system_exports=system,
        mutable_globals=tuple(defined_mutable),
        memory64=memory64,
        public_metadata=tuple(public),
        private_metadata=tuple(private),
        data_segments=tuple(segments),
        has_start=start is not None,
    )


def _data_segments(body: _Reader) -> list[tuple[int, bytes]]:
    segments: list[tuple[int, bytes]] = []
    for _ in range(body.uleb()):
        flags = body.uleb()
        if flags == 1:  # passive
            body.raw(body.uleb())
            continue
        memory = body.uleb() if flags == 2 else 0
        opcode = body.byte()
        offset = body.sleb() if opcode in (0x41, 0x42) else None
        if offset is None or body.byte() != 0x0B:
            raise InvalidModule("a data segment's offset is not a constant")
        data = body.raw(body.uleb())
        if memory == 0:
            segments.append(
                (offset & 0xFFFFFFFFFFFFFFFF if opcode == 0x42 else offset & 0xFFFFFFFF, data)
            )
    return segments


def _check_exports(
    exports: list[tuple[str, int, int]],
) -> tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]:
    kinds: dict[str, set[str]] = {prefix: set() for prefix in METHOD_PREFIXES}
    system: set[str] = set()
    seen: dict[str, str] = {}
    for name, kind, _ in exports:
        if name.startswith("__icbox_"):
            raise InvalidModule(f"the export {name!r} uses a name the replica reserves")
        prefix = next((p for p in METHOD_PREFIXES if name.startswith(p)), None)
        if prefix is None and name not in SYSTEM_EXPORTS:
            continue
        if kind != 0x00:
            raise InvalidModule(f"the export {name!r} is not a function")
        if prefix is None:
            system.add(name)
            continue
        method = name.removeprefix(prefix)
        if method in seen:
            raise InvalidModule(
                f"the method {method!r} is exported as both {seen[method]!r} and {prefix.strip()!r}"
            )
        seen[method] = prefix.strip()
        kinds[prefix].add(method)
    return (
        frozenset(kinds["canister_update "]),
        frozenset(kinds["canister_query "]),
        frozenset(kinds["canister_composite_query "]),
        frozenset(system),
    )


def _add_exports(
    wasm: bytes,
    section: tuple[int, int] | None,
    exports: list[tuple[str, int, int]],
    added: list[tuple[str, int, int]],
) -> bytes:
    if not added:
        return wasm
    entries = b"".join(
        _name(name) + bytes([kind]) + leb128(index) for name, kind, index in exports + added
    )
    body = leb128(len(exports) + len(added)) + entries
    new_section = b"\x07" + leb128(len(body)) + body
    if section is not None:
        return wasm[: section[0]] + new_section + wasm[section[1] :]
    # no export section: insert it before the first section that must follow it (start, element,
    # code, data...)
    reader = _Reader(wasm, 8)
    while reader.position < len(wasm):
        start = reader.position
        section_id = reader.byte()
        size = reader.uleb()
        if section_id in (8, 9, 10, 11, 12):
            return wasm[:start] + new_section + wasm[start:]
        reader.position += size
    return wasm + new_section
