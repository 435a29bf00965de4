"""A Wasm canister's large stable memory in checkpoints and state sync.

Its stable memory is a raw file in each checkpoint, written once per content
and hard-linked by the next checkpoints while unchanged, whose manifest reuses
its chunk hashes (the IC's state manager hard-links unchanged files and
computes manifests incrementally, `rs/state_manager/src/manifest.rs`). State
sync writes each checked chunk straight to its file (`CheckpointAssembler`),
and the replica restored from it holds the same stable memory.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench._ballast import MIB, ballast_wasm, decode_size, grow_argument
from replica.execution.harness import SubnetHarness
from replica.state import manifest as manifests
from replica.state.errors import CheckpointError
from replica.state.manager import StateManager, is_verified, latest_checkpoint_in
from replica.state.syncing import CheckpointAssembler
from replica.types import Principal
from tests.replica.execution.wasm.helpers import deploy, subnet


def grown(tmp_path: Path, mib: int) -> tuple[StateManager, SubnetHarness, Principal]:
    harness, ops = subnet(tmp_path / "source")
    canister = deploy(ops, ballast_wasm(), arg=b"")
    assert decode_size(ops.call(canister, "grow", grow_argument(mib))) == mib * MIB
    return StateManager(harness.engine, state_dir=tmp_path / "source" / "state"), harness, canister


def test_an_unchanged_stable_memory_is_linked_and_its_hashes_reused(tmp_path: Path) -> None:
    manager, harness, canister = grown(tmp_path, 3)
    first = manager.write_checkpoint()
    name = f"wasm/{canister.to_text()}.stable"
    stable = first.directory / name
    assert stable.stat().st_size == 3 * MIB
    harness.run_round()
    second = manager.write_checkpoint()
    assert (second.directory / name).samefile(stable), "a hard link, not a copy"
    assert second.manifest == manifests.compute_manifest(
        second.directory, exclude=["manifest.cbor"]
    ), "the reused entries are what reading the files gives"
    restored = StateManager.restore(
        tmp_path / "source" / "state",
        subnet_id=harness.engine.subnet_id,
        factories={},
        subnet_type="application",
    )
    assert restored.engine.state_hash() == harness.engine.state_hash()


def test_state_sync_writes_checked_chunks_to_disk_and_restores_them(tmp_path: Path) -> None:
    manager, _, _ = grown(tmp_path, 4)
    source = manager.write_checkpoint()
    target = tmp_path / "target"
    assembler = CheckpointAssembler(target, source.height, source.manifest)
    wanted = manifests.chunks_to_fetch(None, source.manifest)
    assert len(wanted) >= 4
    first = wanted[0]
    assert not assembler.write_chunk(first, b"not the chunk"), "a chunk is checked by its hash"
    for index in reversed(wanted):
        assert assembler.write_chunk(index, manager.read_chunk(source.height, index))
    assert not assembler.write_chunk(first, manager.read_chunk(source.height, first))
    installed = assembler.finish()
    assert installed.root_hash == source.root_hash
    assert is_verified(installed.directory, installed.root_hash)
    found = latest_checkpoint_in(target)
    assert found is not None and found.height == source.height
    assert manifests.compute_manifest(found.directory, exclude=["manifest.cbor"]) == (
        source.manifest
    )


def test_an_incomplete_sync_installs_nothing(tmp_path: Path) -> None:
    manager, _, _ = grown(tmp_path, 2)
    source = manager.write_checkpoint()
    target = tmp_path / "target"
    assembler = CheckpointAssembler(target, source.height, source.manifest)
    assembler.write_chunk(0, manager.read_chunk(source.height, 0))
    with pytest.raises(CheckpointError):
        assembler.finish()
    assert latest_checkpoint_in(target) is None


def test_a_newer_sync_copies_the_chunks_an_earlier_one_fetched(tmp_path: Path) -> None:
    manager, harness, _ = grown(tmp_path, 3)
    older = manager.write_checkpoint()
    harness.run_round()
    newer = manager.write_checkpoint()
    target = tmp_path / "target"
    first = CheckpointAssembler(target, older.height, older.manifest)
    for index in manifests.chunks_to_fetch(None, older.manifest):
        first.write_chunk(index, manager.read_chunk(older.height, index))
    second = CheckpointAssembler(target, newer.height, newer.manifest)
    held = first.held_hashes()
    for index, chunk in enumerate(newer.manifest.chunk_table):
        if chunk.hash not in held:
            assert second.write_chunk(index, manager.read_chunk(newer.height, index))
    assert second.fetched_bytes < 3 * MIB, "the stable memory's chunks were not fetched again"
    installed = second.finish(first)
    assert installed.root_hash == newer.root_hash
    assert second.copied_bytes >= 3 * MIB
