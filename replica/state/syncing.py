"""A checkpoint written as state sync fetches it: chunk by chunk, straight to its files.

State sync (spec E; the IC's `rs/state_manager/src/state_sync`) checks the
manifest's root against the catch-up package's state hash, then fetches the
chunks the replica lacks, each checked against its hash in the manifest. A
`CheckpointAssembler` writes each checked chunk at its offset in its file as
it arrives, so a large state is never held in memory; the chunks the replica
already has (same hash in its latest checkpoint) are copied from there at the
end, checked too. Since every byte of every file was checked against the
manifest, whose file hashes were checked against its chunk hashes and whose
root is the CUP's, the finished checkpoint is not read again: it is marked
verified (`replica.state.manager.mark_verified`) and a restore from it in this
process skips recomputing its manifest.

Files live in `syncing/<height>/` until `finish` fsyncs them, writes the
manifest and renames the directory into `checkpoints/<height>/`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import BinaryIO, Final

from replica.state import manifest as manifests
from replica.state.errors import CheckpointError
from replica.state.manager import (
    CHECKPOINTS_DIRECTORY,
    MANIFEST_FILE,
    CheckpointInfo,
    mark_verified,
    sync_directory,
    sync_tree,
)
from replica.state.manifest import Manifest

SYNCING_DIRECTORY: Final = "syncing"


class CheckpointAssembler:
    """The checkpoint of `height` being written from checked chunks."""

    def __init__(self, state_dir: Path, height: int, manifest: Manifest) -> None:
        manifests.validate_manifest(manifest)
        self.state_dir = state_dir
        self.height = height
        self.manifest = manifest
        # Outside `checkpoints/`, whose purge removes unfinished writes; one sync at a time, so
        # whatever an earlier (interrupted) sync left there goes.
        syncing = state_dir / SYNCING_DIRECTORY
        if syncing.exists():
            shutil.rmtree(syncing)
        self.staging = syncing / str(height)
        self.staging.mkdir(parents=True)
        self._handles: dict[int, BinaryIO] = {}
        self.written: set[int] = set()
        self.bytes_written = 0
        self.copied_bytes = 0
        for file in manifest.file_table:
            path = self.staging / file.relative_path
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as handle:
                handle.truncate(file.size_bytes)

    def _handle(self, file_index: int) -> BinaryIO:
        handle = self._handles.get(file_index)
        if handle is None:
            path = self.staging / self.manifest.file_table[file_index].relative_path
            handle = path.open("r+b")
            self._handles[file_index] = handle
        return handle

    def write_chunk(self, chunk_index: int, data: bytes) -> bool:
        """Write a chunk if it is the manifest's (checked by hash); whether it was."""
        if chunk_index in self.written or not manifests.is_valid_chunk(
            self.manifest, chunk_index, data
        ):
            return False
        chunk = self.manifest.chunk_table[chunk_index]
        handle = self._handle(chunk.file_index)
        handle.seek(chunk.offset)
        handle.write(data)
        self.written.add(chunk_index)
        self.bytes_written += len(data)
        return True

    @property
    def fetched_bytes(self) -> int:
        return self.bytes_written - self.copied_bytes

    def copy_local_chunks(self, local: CheckpointInfo | None) -> None:
        """Copy every chunk not fetched from the local checkpoint that holds the same hash."""
        found = {} if local is None else manifests.find_local_chunks(local.manifest)
        for index, chunk in enumerate(self.manifest.chunk_table):
            if index in self.written:
                continue
            source = found.get(chunk.hash)
            if local is None or source is None:
                raise CheckpointError(f"chunk {index} is neither fetched nor held locally")
            data = manifests.read_chunk(local.directory, local.manifest, source)
            if not self.write_chunk(index, data):
                raise CheckpointError(f"the local copy of chunk {index} does not match")
            self.copied_bytes += len(data)

    def finish(self) -> CheckpointInfo:
        """Complete the checkpoint: local chunks copied, files synced, renamed into place."""
        from replica.state.manager import latest_checkpoint_in

        try:
            self.copy_local_chunks(latest_checkpoint_in(self.state_dir))
            self.close()
            (self.staging / MANIFEST_FILE).write_bytes(self.manifest.to_cbor())
            sync_tree(self.staging)
        except BaseException:
            self.abort()
            raise
        final = self.state_dir / CHECKPOINTS_DIRECTORY / str(self.height)
        if final.exists():
            shutil.rmtree(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.staging, final)
        sync_directory(final.parent)
        shutil.rmtree(self.staging.parent, ignore_errors=True)
        mark_verified(final, self.manifest.root_hash)
        return CheckpointInfo(height=self.height, directory=final, manifest=self.manifest)

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()

    def abort(self) -> None:
        self.close()
        shutil.rmtree(self.staging.parent, ignore_errors=True)
