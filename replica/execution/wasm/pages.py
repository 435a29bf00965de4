"""Copy-on-write main memory: a message's rollback and commit touch only the pages it wrote.

The IC keeps a canister's memory in a page map and runs each message on a
copy-on-write mapping of it, finding the pages the message wrote with a signal
handler (rs/embedders/src/wasmtime_embedder/signal_handler.rs,
rs/memory_tracker): a message that traps is undone by dropping those pages,
and a message that returns keeps only those. icbox does the same with the
kernel's help instead of a signal handler:

- the committed state of main memory lives in a memory file (`memfd_create`),
  and wasmtime's linear memory is remapped as a private (copy-on-write)
  mapping of it, at the same address, so wasmtime and the module see nothing;
- the first write to a page gives the process a private copy of it; which
  pages have one is read from `/proc/self/pagemap` (bit 61 is clear for a
  present page that is no longer the file's), a few bytes per page;
- `commit` writes those pages back to the file and drops the private copies;
  `rollback` only drops them, so the pages read the committed bytes again;
- memory the message grew (beyond the mapping) is added to the file and the
  mapping at commit; a rollback of a memory that grew rebuilds the instance
  (Wasm memory cannot shrink) and maps the file over the new memory.

`MemoryPages.attach` fails (returns None) where the kernel does not offer
this (no `memfd_create` or no readable pagemap); the canister then falls back
to copying the whole memory before each message. Nothing here decides a
result: the bytes the module sees are the same either way.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import re
from typing import Final

PAGE: Final = mmap.PAGESIZE
_PRESENT: Final = 0x80  # bit 63 of a pagemap entry, in its top byte
_SWAPPED: Final = 0x40  # bit 62
_FILE: Final = 0x20  # bit 61: the page is the file's (or shared), not a private copy
_WRITTEN: Final = bytes(
    ord("w") if (top & _PRESENT and not top & _FILE) or top & _SWAPPED else ord(".")
    for top in range(256)
)
_RUNS: Final = re.compile(b"w+")
_MADV_DONTNEED: Final = 4
_MAP_FIXED: Final = 0x10  # Linux
_MAP_FAILED: Final = ctypes.c_void_p(-1).value

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_long,
]
_libc.madvise.restype = ctypes.c_int
_libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]


def _pagemap() -> int | None:
    try:
        return os.open("/proc/self/pagemap", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None


_PAGEMAP: Final = _pagemap()


class MemoryPages:
    """The committed state of one linear memory, and the pages a message changed since."""

    def __init__(self, fd: int, base: int, size: int) -> None:
        self.fd = fd
        self.base = base
        self.size = size  # bytes mapped from the file (the committed memory size)

    @classmethod
    def attach(cls, base: int, size: int) -> MemoryPages | None:
        """Put memory [base, base + size) under tracking (its current bytes become the committed
        state), or None where the kernel cannot."""
        if _PAGEMAP is None or not hasattr(os, "memfd_create") or base % PAGE or size % PAGE:
            return None
        fd = os.memfd_create("icbox-canister-memory", os.MFD_CLOEXEC)
        pages = cls(fd, base, 0)
        try:
            pages._extend(size)
        except OSError:
            os.close(fd)
            return None
        return pages

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __del__(self) -> None:
        self.close()

    def _extend(self, size: int) -> None:
        """Append memory [self.size, size) to the file and map it from there."""
        if size <= self.size:
            return
        start, length = self.size, size - self.size
        os.ftruncate(self.fd, size)
        os.pwrite(self.fd, ctypes.string_at(self.base + start, length), start)
        self._map(start, length)
        self.size = size

    def _map(self, start: int, length: int) -> None:
        address = _libc.mmap(
            self.base + start,
            length,
            mmap.PROT_READ | mmap.PROT_WRITE,
            mmap.MAP_PRIVATE | _MAP_FIXED,
            self.fd,
            start,
        )
        if address != self.base + start or address == _MAP_FAILED:
            raise OSError(ctypes.get_errno(), "mmap of canister memory failed")

    def dirty(self) -> list[tuple[int, int]]:
        """The runs of pages (offset, length in bytes) written since the last commit."""
        assert _PAGEMAP is not None
        count = self.size // PAGE
        if not count:
            return []
        raw = os.pread(_PAGEMAP, count * 8, (self.base // PAGE) * 8)
        # the top byte of each little-endian entry holds bits 56-63: a byte per page, b"w" where
        # the page was written, then the runs of written pages are found by a regular expression
        marks = raw[7::8].translate(_WRITTEN)
        return [
            (match.start() * PAGE, (match.end() - match.start()) * PAGE)
            for match in _RUNS.finditer(marks)
        ]

    def _drop(self, runs: list[tuple[int, int]]) -> None:
        for offset, length in runs:
            if _libc.madvise(self.base + offset, length, _MADV_DONTNEED) != 0:
                raise OSError(ctypes.get_errno(), "madvise of canister memory failed")

    def commit(self, size: int) -> int:
        """Make the memory's current bytes (its first `size` bytes) the committed state; the
        number of bytes written back."""
        runs = self.dirty()
        written = 0
        for offset, length in runs:
            written += os.pwrite(self.fd, ctypes.string_at(self.base + offset, length), offset)
        self._drop(runs)
        self._extend(size)
        return written

    def rollback(self) -> None:
        """Put back the committed bytes of every page written since (within the mapped size)."""
        self._drop(self.dirty())

    def moved(self, base: int, size: int) -> bool:
        """Whether the memory is no longer where this tracks it (a new instance), or shrank."""
        return base != self.base or size < self.size

    def remap(self, base: int, size: int) -> None:
        """Map the committed state over a new memory of at least the committed size (a rebuilt
        instance); memory past it keeps its bytes and is appended."""
        self.base = base
        mapped, self.size = self.size, 0
        self._map(0, mapped)
        self.size = mapped
        self._extend(size)
