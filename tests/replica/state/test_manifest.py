"""Checkpoint manifests: chunking, the spec's domain-separated hashes, chunk checks, diffs."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest

from replica.state.errors import CheckpointError
from replica.state.manifest import (
    CHUNK_SIZE,
    MANIFEST_VERSION,
    ChunkInfo,
    FileInfo,
    Manifest,
    assemble_checkpoint,
    chunks_to_fetch,
    compute_manifest,
    is_valid_chunk,
    manifest_of_contents,
    read_chunk,
    validate_chunk,
    validate_manifest,
)

MiB = CHUNK_SIZE


def write_files(directory: Path, files: dict[str, bytes]) -> None:
    for path, data in files.items():
        (directory / path).parent.mkdir(parents=True, exist_ok=True)
        (directory / path).write_bytes(data)


def test_files_are_cut_into_1_mib_chunks(tmp_path: Path) -> None:
    files = {"b/big": bytes(range(256)) * (MiB // 128 + 3), "a": b"", "c": b"x" * MiB}
    write_files(tmp_path, files)
    manifest = compute_manifest(tmp_path)
    assert manifest == manifest_of_contents(files)
    assert [f.relative_path for f in manifest.file_table] == ["a", "b/big", "c"]
    assert [(c.file_index, c.offset, c.size_bytes) for c in manifest.chunk_table] == [
        (1, 0, MiB),
        (1, MiB, MiB),
        (1, 2 * MiB, 768),
        (2, 0, MiB),
    ]
    validate_manifest(manifest)


def test_hashes_follow_the_domain_separated_formulas() -> None:
    manifest = manifest_of_contents({"f": b"hello"})

    def h(*parts: bytes) -> bytes:
        return hashlib.sha256(b"".join(parts)).digest()

    chunk = h(b"\x0eic-state-chunk", b"hello")
    file = h(b"\x0dic-state-file", struct.pack(">I", 1), chunk)
    root = h(
        b"\x11ic-state-manifest",
        struct.pack(">I", MANIFEST_VERSION),
        struct.pack(">I", 1),
        struct.pack(">I", 1),
        b"f",
        struct.pack(">Q", 5),
        file,
        struct.pack(">I", 1),
        struct.pack(">IIQ", 0, 5, 0),
        chunk,
    )
    assert manifest.chunk_table == (ChunkInfo(file_index=0, size_bytes=5, offset=0, hash=chunk),)
    assert manifest.file_table == (FileInfo(relative_path="f", size_bytes=5, hash=file),)
    assert manifest.root_hash == root
    assert manifest_of_contents({"f": b"hellp"}).root_hash != root
    assert manifest_of_contents({"g": b"hello"}).root_hash != root


def test_a_fetched_chunk_is_checked_against_its_entry(tmp_path: Path) -> None:
    files = {"data": b"\x07" * (MiB + 10)}
    write_files(tmp_path, files)
    manifest = compute_manifest(tmp_path)
    second = read_chunk(tmp_path, manifest, 1)
    assert second == b"\x07" * 10 and is_valid_chunk(manifest, 1, second)
    assert not is_valid_chunk(manifest, 0, second)
    assert not is_valid_chunk(manifest, 1, b"\x07" * 9 + b"\x08")
    assert not is_valid_chunk(manifest, 5, second)
    with pytest.raises(CheckpointError):
        validate_chunk(manifest, 1, b"")


def test_state_sync_fetches_only_the_chunks_that_differ(tmp_path: Path) -> None:
    old_files = {"big": b"\x01" * (3 * MiB), "same": b"s" * 100, "gone": b"g"}
    new_files = {
        "big": b"\x01" * MiB + b"\x02" + b"\x01" * (2 * MiB - 1),
        "same": b"s" * 100,
        "new": b"n",
    }
    write_files(tmp_path / "old", old_files)
    write_files(tmp_path / "new", new_files)
    old, new = compute_manifest(tmp_path / "old"), compute_manifest(tmp_path / "new")
    wanted = chunks_to_fetch(old, new)
    assert [
        (new.file_table[new.chunk_table[i].file_index].relative_path, new.chunk_table[i].offset)
        for i in wanted
    ] == [("big", MiB), ("new", 0)]
    assert chunks_to_fetch(None, new) == list(range(len(new.chunk_table)))
    fetched = {index: read_chunk(tmp_path / "new", new, index) for index in wanted}
    assemble_checkpoint(tmp_path / "synced", new, fetched, local=(tmp_path / "old", old))
    assert compute_manifest(tmp_path / "synced").root_hash == new.root_hash
    with pytest.raises(CheckpointError, match="missing"):
        assemble_checkpoint(tmp_path / "incomplete", new, fetched)
    with pytest.raises(CheckpointError, match="does not match"):
        assemble_checkpoint(
            tmp_path / "bad",
            new,
            {**fetched, wanted[0]: b"\x00" * MiB},
            local=(tmp_path / "old", old),
        )


def test_manifest_cbor_round_trip_and_inconsistent_tables() -> None:
    manifest = manifest_of_contents({"a": b"1" * (MiB + 1), "b": b"2"})
    assert Manifest.from_cbor(manifest.to_cbor()) == manifest
    bad_file_hash = Manifest(
        version=manifest.version,
        file_table=(
            FileInfo(relative_path="a", size_bytes=MiB + 1, hash=b"\x00" * 32),
            *manifest.file_table[1:],
        ),
        chunk_table=manifest.chunk_table,
    )
    missing_chunk = Manifest(
        version=manifest.version,
        file_table=manifest.file_table,
        chunk_table=manifest.chunk_table[1:],
    )
    unordered = Manifest(
        version=manifest.version, file_table=manifest.file_table[::-1], chunk_table=()
    )
    for bad in (bad_file_hash, missing_chunk, unordered):
        with pytest.raises(CheckpointError):
            validate_manifest(bad)
        with pytest.raises(CheckpointError):
            Manifest.from_cbor(bad.to_cbor())
    with pytest.raises(CheckpointError):
        Manifest.from_cbor(b"\x01")
    with pytest.raises(CheckpointError):
        compute_manifest(Path("/nonexistent/checkpoint"))
