"""The manifest of a checkpoint: its files cut into chunks, and one root hash over them.

A checkpoint is a directory of files. Its manifest (after the IC state manager's
`state_sync/types.rs`) lists every file with its relative path, size and hash,
and every chunk of at most 1 MiB with its file's index, its size, its offset in
the file and its hash. All hashes are SHA-256 behind a length-prefixed domain
separator, and integers are hashed big-endian:

    chunk hash    = H(ds("ic-state-chunk") || chunk bytes)
    file hash     = H(ds("ic-state-file") || u32 chunk count || chunk hash ...)
    manifest root = H(ds("ic-state-manifest") || u32 version
                      || u32 file count || (u32 path length || path || u64 size || file hash) ...
                      || u32 chunk count || (u32 file index || u32 size || u64 offset || chunk hash)
                      ...)

The root is the catch-up package's state hash. A replica that syncs state
fetches the manifest of the checkpoint it wants, checks its root against the
catch-up package, then fetches only the chunks whose hashes it does not hold
already and checks each against its manifest entry.

`compute_manifest` reads files; everything else is a pure function on manifests.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import cbor2

from replica.crypto.hashtree import domain_separator
from replica.state.errors import CheckpointError

CHUNK_SIZE: Final = 1 << 20
MANIFEST_VERSION: Final = 1
CHUNK_DOMAIN: Final = domain_separator("ic-state-chunk")
FILE_DOMAIN: Final = domain_separator("ic-state-file")
MANIFEST_DOMAIN: Final = domain_separator("ic-state-manifest")


@dataclass(frozen=True, slots=True, kw_only=True)
class FileInfo:
    relative_path: str
    size_bytes: int
    hash: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class ChunkInfo:
    file_index: int
    size_bytes: int
    offset: int
    hash: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    version: int
    file_table: tuple[FileInfo, ...]
    chunk_table: tuple[ChunkInfo, ...]

    @property
    def root_hash(self) -> bytes:
        return compute_root_hash(self)

    def to_cbor(self) -> bytes:
        return bytes(
            cbor2.dumps(
                {
                    "version": self.version,
                    "files": [[f.relative_path, f.size_bytes, f.hash] for f in self.file_table],
                    "chunks": [
                        [c.file_index, c.size_bytes, c.offset, c.hash] for c in self.chunk_table
                    ],
                },
                canonical=True,
            )
        )

    @classmethod
    def from_cbor(cls, data: bytes) -> Manifest:
        try:
            value: Any = cbor2.loads(data)
            manifest = cls(
                version=int(value["version"]),
                file_table=tuple(
                    FileInfo(relative_path=str(path), size_bytes=int(size), hash=bytes(digest))
                    for path, size, digest in value["files"]
                ),
                chunk_table=tuple(
                    ChunkInfo(
                        file_index=int(index),
                        size_bytes=int(size),
                        offset=int(offset),
                        hash=bytes(digest),
                    )
                    for index, size, offset, digest in value["chunks"]
                ),
            )
        except (cbor2.CBORDecodeError, KeyError, TypeError, ValueError) as error:
            raise CheckpointError(f"not a manifest: {error}") from error
        validate_manifest(manifest)
        return manifest


def hash_chunk(data: bytes) -> bytes:
    digest = hashlib.sha256(CHUNK_DOMAIN)
    digest.update(data)  # not `CHUNK_DOMAIN + data`: no copy of a 1 MiB chunk
    return digest.digest()


def hash_file(chunk_hashes: Iterable[bytes]) -> bytes:
    hashes = list(chunk_hashes)
    digest = hashlib.sha256(FILE_DOMAIN)
    digest.update(struct.pack(">I", len(hashes)))
    for chunk_hash in hashes:
        digest.update(chunk_hash)
    return digest.digest()


def compute_root_hash(manifest: Manifest) -> bytes:
    digest = hashlib.sha256(MANIFEST_DOMAIN)
    digest.update(struct.pack(">I", manifest.version))
    digest.update(struct.pack(">I", len(manifest.file_table)))
    for file in manifest.file_table:
        path = file.relative_path.encode("utf-8")
        digest.update(
            struct.pack(">I", len(path)) + path + struct.pack(">Q", file.size_bytes) + file.hash
        )
    digest.update(struct.pack(">I", len(manifest.chunk_table)))
    for chunk in manifest.chunk_table:
        digest.update(
            struct.pack(">IIQ", chunk.file_index, chunk.size_bytes, chunk.offset) + chunk.hash
        )
    return digest.digest()


def chunk_boundaries(size_bytes: int) -> list[tuple[int, int]]:
    """(offset, size) of each chunk of a file; an empty file has no chunks."""
    return [
        (offset, min(CHUNK_SIZE, size_bytes - offset))
        for offset in range(0, size_bytes, CHUNK_SIZE)
    ]


def manifest_of_contents(files: Mapping[str, bytes]) -> Manifest:
    """The manifest of files given by relative path and contents (paths in byte order)."""
    file_table: list[FileInfo] = []
    chunk_table: list[ChunkInfo] = []
    for index, path in enumerate(sorted(files, key=lambda p: p.encode("utf-8"))):
        data = files[path]
        hashes = []
        for offset, size in chunk_boundaries(len(data)):
            chunk_hash = hash_chunk(data[offset : offset + size])
            hashes.append(chunk_hash)
            chunk_table.append(
                ChunkInfo(file_index=index, size_bytes=size, offset=offset, hash=chunk_hash)
            )
        file_table.append(
            FileInfo(relative_path=path, size_bytes=len(data), hash=hash_file(hashes))
        )
    return Manifest(
        version=MANIFEST_VERSION, file_table=tuple(file_table), chunk_table=tuple(chunk_table)
    )


def list_files(directory: Path, *, exclude: Iterable[str] = ()) -> list[str]:
    """Relative POSIX paths of the regular files under `directory`, in byte order."""
    excluded = set(exclude)
    paths = [
        path.relative_to(directory).as_posix()
        for path in directory.rglob("*")
        if path.is_file() and path.relative_to(directory).as_posix() not in excluded
    ]
    return sorted(paths, key=lambda p: p.encode("utf-8"))


def compute_manifest(
    directory: str | Path,
    *,
    exclude: Iterable[str] = (),
    reuse: tuple[Path, Manifest] | None = None,
) -> Manifest:
    """Read a checkpoint directory and compute its manifest, one chunk in memory at a time.

    With `reuse` (a previous checkpoint's directory and manifest), a file that is the same
    inode as the previous checkpoint's file of that path (a hard link: checkpoint files are
    never changed in place) takes its entries from the previous manifest instead of being
    read again, as the IC's state manager computes manifests incrementally.
    """
    root = Path(directory)
    if not root.is_dir():
        raise CheckpointError(f"no checkpoint directory at {root}")
    previous = _entries_by_path(reuse[1]) if reuse is not None else {}
    file_table: list[FileInfo] = []
    chunk_table: list[ChunkInfo] = []
    for index, relative in enumerate(list_files(root, exclude=exclude)):
        known = previous.get(relative)
        if (
            reuse is not None
            and known is not None
            and _is_same_file(root / relative, reuse[0] / relative)
        ):
            file_table.append(known[0])
            chunk_table.extend(replace(chunk, file_index=index) for chunk in known[1])
            continue
        hashes = []
        size = 0
        with (root / relative).open("rb") as handle:
            while chunk := handle.read(CHUNK_SIZE):
                chunk_hash = hash_chunk(chunk)
                hashes.append(chunk_hash)
                chunk_table.append(
                    ChunkInfo(file_index=index, size_bytes=len(chunk), offset=size, hash=chunk_hash)
                )
                size += len(chunk)
        file_table.append(FileInfo(relative_path=relative, size_bytes=size, hash=hash_file(hashes)))
    return Manifest(
        version=MANIFEST_VERSION, file_table=tuple(file_table), chunk_table=tuple(chunk_table)
    )


def _entries_by_path(manifest: Manifest) -> dict[str, tuple[FileInfo, list[ChunkInfo]]]:
    entries: dict[str, tuple[FileInfo, list[ChunkInfo]]] = {
        file.relative_path: (file, []) for file in manifest.file_table
    }
    for chunk in manifest.chunk_table:
        entries[manifest.file_table[chunk.file_index].relative_path][1].append(chunk)
    return entries


def _is_same_file(path: Path, other: Path) -> bool:
    try:
        return path.samefile(other)
    except OSError:
        return False


def validate_manifest(manifest: Manifest) -> None:
    """Raise unless the tables are consistent: chunks tile each file and file hashes match."""
    per_file: dict[int, list[ChunkInfo]] = {}
    for chunk in manifest.chunk_table:
        if not 0 <= chunk.file_index < len(manifest.file_table):
            raise CheckpointError(
                f"chunk of file {chunk.file_index}, which is not in the file table"
            )
        per_file.setdefault(chunk.file_index, []).append(chunk)
    paths = [file.relative_path.encode("utf-8") for file in manifest.file_table]
    if paths != sorted(set(paths)):
        raise CheckpointError("file paths are not unique and in byte order")
    for index, file in enumerate(manifest.file_table):
        chunks = per_file.get(index, [])
        if [(c.offset, c.size_bytes) for c in chunks] != chunk_boundaries(file.size_bytes):
            raise CheckpointError(f"the chunks of {file.relative_path} do not tile the file")
        if hash_file(c.hash for c in chunks) != file.hash:
            raise CheckpointError(f"the hash of {file.relative_path} does not match its chunks")


def is_valid_chunk(manifest: Manifest, chunk_index: int, data: bytes) -> bool:
    """Whether fetched bytes are the manifest's chunk `chunk_index`."""
    if not 0 <= chunk_index < len(manifest.chunk_table):
        return False
    chunk = manifest.chunk_table[chunk_index]
    return len(data) == chunk.size_bytes and hash_chunk(data) == chunk.hash


def validate_chunk(manifest: Manifest, chunk_index: int, data: bytes) -> None:
    if not is_valid_chunk(manifest, chunk_index, data):
        raise CheckpointError(f"chunk {chunk_index} does not match the manifest")


def chunks_to_fetch(local: Manifest | None, remote: Manifest) -> list[int]:
    """Indices of `remote`'s chunks whose contents `local` does not already hold.

    A chunk is held if any local chunk has the same hash (state sync copies it
    from the local checkpoint instead of fetching it).
    """
    held = set() if local is None else {chunk.hash for chunk in local.chunk_table}
    return [index for index, chunk in enumerate(remote.chunk_table) if chunk.hash not in held]


def read_chunk(directory: str | Path, manifest: Manifest, chunk_index: int) -> bytes:
    """The bytes of one chunk of a checkpoint on disk (what a peer serves)."""
    if not 0 <= chunk_index < len(manifest.chunk_table):
        raise CheckpointError(f"no chunk {chunk_index} in the manifest")
    chunk = manifest.chunk_table[chunk_index]
    path = Path(directory) / manifest.file_table[chunk.file_index].relative_path
    with path.open("rb") as handle:
        handle.seek(chunk.offset)
        return handle.read(chunk.size_bytes)


def find_local_chunks(local: Manifest) -> dict[bytes, int]:
    """Each chunk hash of a local manifest with the index of one chunk holding it."""
    found: dict[bytes, int] = {}
    for index, chunk in enumerate(local.chunk_table):
        found.setdefault(chunk.hash, index)
    return found


def assemble_checkpoint(
    directory: str | Path,
    manifest: Manifest,
    chunks: Mapping[int, bytes],
    *,
    local: tuple[str | Path, Manifest] | None = None,
) -> None:
    """Write a checkpoint from fetched chunks (and chunks copied from a local checkpoint).

    Every chunk is checked against the manifest; the result is checked against it too.
    """
    root = Path(directory)
    local_index = find_local_chunks(local[1]) if local is not None else {}
    per_file: dict[int, list[int]] = {}
    for chunk_index, chunk in enumerate(manifest.chunk_table):
        per_file.setdefault(chunk.file_index, []).append(chunk_index)
    for file_index, file in enumerate(manifest.file_table):
        target = root / file.relative_path
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as handle:
            for chunk_index in per_file.get(file_index, []):
                chunk = manifest.chunk_table[chunk_index]
                data = chunks.get(chunk_index)
                if data is None and local is not None and chunk.hash in local_index:
                    data = read_chunk(local[0], local[1], local_index[chunk.hash])
                if data is None:
                    raise CheckpointError(f"chunk {chunk_index} is missing")
                validate_chunk(manifest, chunk_index, data)
                handle.write(data)
    if compute_manifest(root).root_hash != manifest.root_hash:
        raise CheckpointError("the assembled checkpoint does not match its manifest")
