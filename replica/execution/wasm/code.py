"""A scan of a module's function bodies for the instructions that change instance state beyond
main memory and globals.

The IC creates a new instance for every message, from the module, its
persisted memory and its exported globals
(rs/embedders/src/wasmtime_embedder.rs, `WasmtimeEmbedder::new_instance`):
whatever else a message changes in the instance (the funcref table, by
`table.set`, `table.grow`, `table.fill`, `table.copy` or `table.init`, and
the dropped state of element and data segments, by `elem.drop` and
`data.drop`) is gone when the message ends, whether it trapped or not. icbox
keeps one instance alive across messages, so it must undo those changes
itself; `scan_code` says which of them a module can make, so that a module
that never changes its table (most do not) pays nothing for it.

The scan decodes every instruction of every function body (Wasm 2.0 with
memory64, bulk memory, reference types, SIMD and tail calls, the features
`host.deterministic_config` enables). An instruction it does not know makes
it answer conservatively: everything may change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from replica.candid.types import CandidError
from replica.candid.wire import read_leb
from replica.execution.wasm.module import InvalidModule

CODE_SECTION: Final = 10
_BLOCK_TYPES: Final = frozenset({0x40, 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F})
_NO_IMMEDIATE: Final = frozenset(
    {0x00, 0x01, 0x05, 0x0B, 0x0F, 0x1A, 0x1B, 0xD1, *range(0x45, 0xC5)}
)
_ONE_INDEX: Final = frozenset({0x0C, 0x0D, 0x10, 0x12, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0xD2})
_MEMARG: Final = frozenset(range(0x28, 0x3F))
_TABLE_WRITES: Final = frozenset({12, 14, 15, 17})  # 0xFC: table.init, table.copy, .grow, .fill
_FC_IMMEDIATES: Final = {8: 2, 9: 1, 10: 2, 11: 1, 12: 2, 13: 1, 14: 2, 15: 1, 16: 1, 17: 1}
_SIMD_MEMARG: Final = frozenset({*range(0, 12), 92, 93})
_SIMD_LANE: Final = frozenset(range(21, 35))
_SIMD_MEMARG_LANE: Final = frozenset(range(84, 92))


@dataclass(frozen=True, slots=True)
class CodeFacts:
    """What a module's code can change besides main memory and globals."""

    writes_table: bool = False
    drops_segments: bool = False  # elem.drop or data.drop

    @property
    def changes_instance(self) -> bool:
        return self.writes_table or self.drops_segments


UNKNOWN: Final = CodeFacts(writes_table=True, drops_segments=True)


class _Unknown(Exception):
    pass


def scan_code(wasm: bytes) -> CodeFacts:
    """Scan the code section of a (decompressed) module."""
    position = 8
    try:
        while position < len(wasm):
            section_id = wasm[position]
            size, position = read_leb(wasm, position + 1)
            if section_id == CODE_SECTION:
                return _scan_bodies(wasm, position, position + size)
            position += size
    except (_Unknown, IndexError, InvalidModule, CandidError):
        return UNKNOWN
    return CodeFacts()


def _skip_leb(data: bytes, position: int) -> int:
    while data[position] & 0x80:
        position += 1
    return position + 1


def _skip_memarg(data: bytes, position: int) -> int:
    flags, position = read_leb(data, position)
    if flags & 0x40:  # multi-memory: a memory index follows
        position = _skip_leb(data, position)
    return _skip_leb(data, position)


# what follows an opcode: 0 nothing, 1 one LEB128 number, 2 a memarg, 3 a block type, 9 other
_KIND: Final = bytes(
    0
    if opcode in _NO_IMMEDIATE
    else 1
    if opcode in _ONE_INDEX or opcode in (0x3F, 0x40, 0x41, 0x42, 0xD0)
    else 2
    if opcode in _MEMARG
    else 3
    if opcode in (0x02, 0x03, 0x04)
    else 9
    for opcode in range(256)
)


def _scan_bodies(data: bytes, position: int, end: int) -> CodeFacts:
    writes_table = drops = False
    kinds = _KIND
    count, position = read_leb(data, position)
    for _ in range(count):
        size, position = read_leb(data, position)
        body_end = position + size
        groups, position = read_leb(data, position)
        for _ in range(groups):
            position = _skip_leb(data, position)
            kind = data[position]
            position += 1
            if kind in (0x63, 0x64):
                position = _skip_leb(data, position)
        while position < body_end:
            opcode = data[position]
            position += 1
            kind = kinds[opcode]
            if kind == 0:
                continue
            if kind == 1:
                while data[position] & 0x80:
                    position += 1
                position += 1
            elif kind == 2:
                if data[position] & 0x40:
                    position = _skip_memarg(data, position)
                else:
                    while data[position] & 0x80:
                        position += 1
                    position += 1
                    while data[position] & 0x80:
                        position += 1
                    position += 1
            elif kind == 3:
                position = (
                    position + 1 if data[position] in _BLOCK_TYPES else _skip_leb(data, position)
                )
            elif opcode == 0x26:  # table.set
                writes_table = True
                position = _skip_leb(data, position)
            elif opcode in (0x11, 0x13):  # call_indirect, return_call_indirect
                position = _skip_leb(data, _skip_leb(data, position))
            elif opcode == 0x0E:  # br_table
                targets, position = read_leb(data, position)
                for _ in range(targets + 1):
                    position = _skip_leb(data, position)
            elif opcode == 0x1C:  # select with types
                types, position = read_leb(data, position)
                position += types
            elif opcode == 0x43:
                position += 4
            elif opcode == 0x44:
                position += 8
            elif opcode == 0xFC:
                sub, position = read_leb(data, position)
                if sub > 17:
                    raise _Unknown
                writes_table = writes_table or sub in _TABLE_WRITES
                drops = drops or sub in (9, 13)
                for _ in range(_FC_IMMEDIATES.get(sub, 0)):
                    position = _skip_leb(data, position)
            elif opcode == 0xFD:
                sub, position = read_leb(data, position)
                if sub in _SIMD_MEMARG:
                    position = _skip_memarg(data, position)
                elif sub in (12, 13):  # v128.const, i8x16.shuffle
                    position += 16
                elif sub in _SIMD_LANE:
                    position += 1
                elif sub in _SIMD_MEMARG_LANE:
                    position = _skip_memarg(data, position) + 1
                elif sub > 0xFF:
                    raise _Unknown
            else:
                raise _Unknown
        if position != body_end:
            raise _Unknown
    return CodeFacts(writes_table=writes_table, drops_segments=drops)
