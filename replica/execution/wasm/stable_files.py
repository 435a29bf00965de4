"""Stable memories in checkpoints: one raw file each, hard-linked while unchanged.

A Wasm canister's stable memory can hold hundreds of megabytes that rarely
change between two checkpoints. Each checkpoint holds it as a raw file,
`<canister id>.stable`, beside the canister's CBOR image (module, heap,
globals, settings). The file is written once per content into a cache in the
engine's live directory (`<engine dir>/stable/`) and every checkpoint takes a
hard link to it, as the IC's state manager hard-links unchanged files between
checkpoints; the manifest then reuses the chunk hashes of a file that is the
same inode as in the previous checkpoint (`replica.state.manifest`). A new
content goes to a new file (written aside and renamed), so the checkpoints
that link the old one keep it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Final

from replica.execution.wasm.canister import StableMemory
from replica.types import Principal

STABLE_SUFFIX: Final = ".stable"
CACHE_DIRECTORY: Final = "stable"


class StableFiles:
    """Writes stable memories into checkpoints, each content once."""

    def __init__(self, cache_dir: Path | None) -> None:
        self.cache_dir = cache_dir
        self._written: dict[Principal, int] = {}

    def write(self, canister_id: Principal, stable: StableMemory, target: Path) -> None:
        """`stable`'s bytes as the file `target` (a hard link to the cached file when it can)."""
        if self.cache_dir is None:
            target.write_bytes(stable.data)
            return
        cached = self.cache_dir / f"{canister_id.to_text()}{STABLE_SUFFIX}"
        if self._written.get(canister_id) != stable.generation or not cached.is_file():
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            aside = cached.with_name(cached.name + ".writing")
            with aside.open("wb") as handle:
                handle.write(stable.data)
            os.replace(aside, cached)
            self._written[canister_id] = stable.generation
        try:
            os.link(cached, target)
        except OSError:  # a file system without hard links: a copy
            shutil.copyfile(cached, target)


def read_stable_file(directory: Path, canister_id: Principal) -> bytes | None:
    path = directory / f"{canister_id.to_text()}{STABLE_SUFFIX}"
    return path.read_bytes() if path.is_file() else None
