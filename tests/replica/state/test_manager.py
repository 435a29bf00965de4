"""The state manager: execution in order, certification, canonical checkpoints, restore, state
sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from replica.crypto import bls
from replica.crypto.certificate import Certificate, signed_message, verify_certificate
from replica.crypto.hashtree import UNKNOWN, Found
from replica.state.errors import CertificationMismatch, CheckpointError, StateError
from replica.state.manager import Certification, StateManager, install_checkpoint
from replica.state.manifest import chunks_to_fetch, compute_manifest
from replica.state.tree import SubnetInfo
from tests.replica.state.worlds import (
    COUNTER,
    FACTORIES,
    SUBNET_ID,
    SUBNET_SECRET,
    Workload,
    new_manager,
    restore,
    run,
    subnet_info,
)

SUBNET_DER = bls.public_key_to_der(bls.public_key(SUBNET_SECRET))


def certify(manager: StateManager, height: int, secret: int = SUBNET_SECRET) -> Certification:
    root_hash = manager.certification_content(height)
    return Certification(
        height=height, root_hash=root_hash, signature=bls.sign(secret, signed_message(root_hash))
    )


def checkpoint_bytes(directory: Path) -> dict[str, bytes]:
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in directory.rglob("*")
        if path.is_file()
    }


def test_heights_execute_in_order(tmp_path: Path) -> None:
    manager = new_manager(tmp_path / "a")
    assert manager.height == 0 and manager.kept_heights() == [0]
    executed = manager.execute(Workload().batch(1))
    assert executed.height == 1 and executed.root_hash == manager.certification_content(1)
    assert (
        executed.root_hash == manager.tree(1).digest
        and executed.state_hash == manager.engine.state_hash()
    )
    for wrong in (1, 3):
        with pytest.raises(StateError, match="expected a batch at height 2"):
            manager.execute(Workload().batch(wrong))
    with pytest.raises(StateError, match="not kept"):
        manager.certification_content(9)


def test_a_certification_is_checked_and_serves_certificates(tmp_path: Path) -> None:
    manager = new_manager(tmp_path / "a")
    run(manager, range(1, 4))
    with pytest.raises(StateError, match="not certified"):
        manager.certificate([["time"]])
    assert manager.deliver_certification(certify(manager, 2))
    assert manager.certified_height == 2
    assert not manager.deliver_certification(certify(manager, 1))  # older: ignored
    message_id = Workload().batch(2).ingress[0].message_id
    certificate = Certificate.from_cbor(
        manager.certificate([["request_status", message_id]]).to_cbor()
    )
    verify_certificate(certificate, SUBNET_DER, now_ns=certificate.time_ns())
    assert certificate.time_ns() == Workload().batch(2).time_ns
    assert isinstance(certificate.lookup(["request_status", message_id, "status"]), Found)
    assert certificate.lookup(["canister", COUNTER.raw, "certified_data"]) is UNKNOWN
    assert manager.full_certificate().tree == manager.tree(2)


def test_bad_certifications_are_refused(tmp_path: Path) -> None:
    manager = new_manager(tmp_path / "a")
    run(manager, range(1, 3))
    good = certify(manager, 2)
    with pytest.raises(StateError, match="signature"):
        manager.deliver_certification(certify(manager, 2, secret=SUBNET_SECRET + 1))
    other_root = manager.certification_content(1)
    wrong_root = Certification(
        height=2,
        root_hash=other_root,
        signature=bls.sign(SUBNET_SECRET, signed_message(other_root)),
    )
    with pytest.raises(CertificationMismatch):
        manager.deliver_certification(wrong_root)
    assert manager.certified_height == 0
    assert manager.deliver_certification(good)


def test_a_certification_ahead_of_execution_waits_for_its_height(tmp_path: Path) -> None:
    leader, lagging = new_manager(tmp_path / "a"), new_manager(tmp_path / "b")
    run(leader, range(1, 4))
    run(lagging, range(1, 2))
    assert not lagging.deliver_certification(certify(leader, 3))
    assert lagging.certified_height == 0
    run(lagging, range(2, 4))
    assert lagging.certified_height == 3


def test_an_injected_signature_check_replaces_the_subnet_key(tmp_path: Path) -> None:
    seen: list[tuple[bytes, bytes]] = []

    def accept(message: bytes, signature: bytes) -> bool:
        seen.append((message, signature))
        return signature == b"combined"

    manager = StateManager.create(
        tmp_path / "a",
        subnet_id=SUBNET_ID,
        factories=FACTORIES,
        subnets=[subnet_info()],
        verify_signature=accept,
    )
    run(manager, range(1, 2))
    root = manager.certification_content(1)
    assert manager.deliver_certification(
        Certification(height=1, root_hash=root, signature=b"combined")
    )
    assert seen == [(signed_message(root), b"combined")]


def test_only_recent_trees_are_kept(tmp_path: Path) -> None:
    manager = StateManager.create(
        tmp_path / "a",
        subnet_id=SUBNET_ID,
        factories=FACTORIES,
        subnets=[subnet_info()],
        kept_heights=3,
    )
    run(manager, range(1, 4))
    manager.deliver_certification(certify(manager, 1))
    run(manager, range(4, 8))
    assert manager.kept_heights() == [1, 5, 6, 7]
    manager.purge_below(7)
    assert manager.kept_heights() == [1, 7]


def test_replicas_with_equal_states_write_byte_identical_checkpoints(tmp_path: Path) -> None:
    first, second = new_manager(tmp_path / "a"), new_manager(tmp_path / "b")
    run(first, range(1, 13))
    for height in range(
        1, 13
    ):  # the second replica also takes a checkpoint and restarts on the way
        second.execute(Workload().batch(height))
        if height == 5:
            second.write_checkpoint()
            second = restore(tmp_path / "b")
    one, two = first.write_checkpoint(12), second.write_checkpoint(12)
    assert one.root_hash == two.root_hash
    assert checkpoint_bytes(one.directory) == checkpoint_bytes(two.directory)
    assert compute_manifest(one.directory, exclude=["manifest.cbor"]) == one.manifest
    assert first.latest_checkpoint() == one
    run(second, range(13, 14))
    assert second.write_checkpoint().root_hash != one.root_hash
    with pytest.raises(StateError, match="cannot checkpoint"):
        second.write_checkpoint(12)


def test_restore_then_continue_matches_a_replica_that_never_stopped(tmp_path: Path) -> None:
    steady, crashing = new_manager(tmp_path / "steady"), new_manager(tmp_path / "crash")
    run(steady, range(1, 21))
    run(crashing, range(1, 9))
    crashing.write_checkpoint()
    run(crashing, range(9, 12))  # executed, then lost in the crash
    crashing.close()
    restored = restore(tmp_path / "crash")
    assert restored.height == 8
    assert restored.state_hash(8) == steady.state_hash(8)
    assert restored.certification_content(8) == steady.certification_content(8)
    run(restored, range(9, 21))
    for height in range(9, 21):
        assert restored.state_hash(height) == steady.state_hash(height)
        assert restored.certification_content(height) == steady.certification_content(height)
    assert restored.write_checkpoint().root_hash == steady.write_checkpoint().root_hash


def test_restore_refuses_a_tampered_or_missing_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="no checkpoint"):
        restore(tmp_path / "empty")
    manager = new_manager(tmp_path / "a")
    run(manager, range(1, 3))
    info = manager.write_checkpoint()
    engine_file = info.directory / "engine.cbor"
    engine_file.write_bytes(engine_file.read_bytes() + b"\x00")
    with pytest.raises(CheckpointError, match="does not match"):
        restore(tmp_path / "a")


def test_old_checkpoints_are_purged(tmp_path: Path) -> None:
    manager = new_manager(tmp_path / "a")
    for height in range(1, 5):
        run(manager, range(height, height + 1))
        manager.write_checkpoint()
    (manager.checkpoints_dir / "5.writing").mkdir()  # a write interrupted by a crash
    assert manager.checkpoint_heights() == [1, 2, 3, 4]
    manager.purge_checkpoints(keep=2)
    assert manager.checkpoint_heights() == [3, 4]
    assert sorted(path.name for path in manager.checkpoints_dir.iterdir()) == ["3", "4"]
    assert restore(tmp_path / "a", height=3).height == 3


def test_state_sync_fetches_the_missing_chunks_and_restores(tmp_path: Path) -> None:
    leader, follower = new_manager(tmp_path / "leader"), new_manager(tmp_path / "follower")
    run(leader, range(1, 4))
    run(follower, range(1, 4))
    follower.write_checkpoint()
    run(leader, range(4, 16))
    target = leader.write_checkpoint()
    local = follower.latest_checkpoint()
    assert local is not None
    wanted = chunks_to_fetch(local.manifest, target.manifest)
    assert 0 < len(wanted) <= len(target.manifest.chunk_table)
    installed = install_checkpoint(
        tmp_path / "follower",
        15,
        target.manifest,
        {index: leader.read_chunk(15, index) for index in wanted},
    )
    assert installed.root_hash == target.root_hash
    synced = restore(tmp_path / "follower")
    assert synced.height == 15 and synced.state_hash(15) == leader.state_hash(15)
    run(synced, range(16, 18))
    run(leader, range(16, 18))
    assert synced.certification_content(17) == leader.certification_content(17)


def test_the_checkpoint_keeps_the_subnet_info_of_its_tree(tmp_path: Path) -> None:
    steady, crashing = new_manager(tmp_path / "steady"), new_manager(tmp_path / "crash")
    run(steady, range(1, 6))
    run(crashing, range(1, 6))
    crashing.write_checkpoint()
    later = SubnetInfo.from_index_ranges(SUBNET_ID, SUBNET_DER, [(0, 99)])
    restored = StateManager.restore(
        tmp_path / "crash", subnet_id=SUBNET_ID, factories=FACTORIES, subnets=[later]
    )
    assert restored.certification_content(5) == steady.certification_content(5)
    assert restored.subnets == (later,)
    restored.execute(Workload().batch(6))
    steady.set_subnets([later])
    steady.execute(Workload().batch(6))
    assert restored.certification_content(6) == steady.certification_content(6)
    without = StateManager.restore(tmp_path / "crash", subnet_id=SUBNET_ID, factories=FACTORIES)
    assert without.subnets == (subnet_info(),)
