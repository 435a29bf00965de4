"""Four real replicas in an in-test loop: they finalize, execute, certify and make CUPs."""

from __future__ import annotations

import hashlib
from pathlib import Path

from replica.candid import encode
from replica.candid.types import Nat
from replica.consensus.artifacts import (
    BlockProposal,
    CertificationShare,
    DataPayload,
    NotarizationShare,
    RandomBeacon,
    RandomBeaconShare,
    certification_message,
)
from replica.consensus.catchup import is_valid_catch_up_package
from replica.consensus.node import NodeOutput
from replica.crypto import bls
from replica.execution.messages import IngressMessage, Status
from replica.types import Principal
from tests.replica.consensus.world import ALICE, COUNTER, Subnet


def add_message(amount: int, now_ns: int, nonce: int = 0) -> IngressMessage:
    arg = encode([Nat], [amount])
    return IngressMessage(
        message_id=hashlib.sha256(b"add" + arg + nonce.to_bytes(4, "big")).digest(),
        sender=ALICE,
        canister_id=COUNTER,
        method="add",
        arg=arg,
        ingress_expiry_ns=now_ns + 60 * 10**9,
    )


def test_four_replicas_finalize_certify_and_make_catch_up_packages(tmp_path: Path) -> None:
    subnet = Subnet(tmp_path)
    nodes = list(subnet.nodes.values())
    first = nodes[0]
    message = add_message(5, subnet.now_ns)
    subnet.submit(first.node_id, message)
    subnet.run_until(lambda: subnet.min_finalized() >= 24)
    # One chain: every replica finalized the same block at every height, summary blocks included.
    for height in range(1, 25):
        assert len({node.finalized_block(height).id for node in nodes}) == 1  # type: ignore[union-attr]
    summaries = [h for h in range(1, 25) if first.finalized_block(h).is_summary]  # type: ignore[union-attr]
    assert summaries == [5, 10, 15, 20]  # interval length 4: a summary every 5 heights
    # The same state everywhere, certified with the subnet key.
    subnet.run_until(lambda: min(node.certified_height for node in nodes) >= 20)
    for height in (5, 12, 20):
        assert len({node.state_hash(height) for node in nodes}) == 1
    certification = first.certification(first.certified_height)
    assert certification is not None
    assert bls.verify(
        first.subnet_public_key,
        certification_message(certification.root_hash),
        certification.signature,
    )
    # The ingress message ran exactly once, on every replica.
    for node in nodes:
        status = node.ingress_status(message.message_id)
        assert status is not None and status.status == Status.REPLIED
        assert node.state.engine.query(COUNTER, "get", encode([], []), ALICE) == encode([Nat], [5])
    included = [
        h
        for h in range(1, 25)
        if any(
            m.message_id == message.message_id
            for m in getattr(
                first.finalized_block(h).payload,  # type: ignore[union-attr]
                "ingress",
                (),
            )
        )
    ]
    assert len(included) == 1
    # Catch-up packages at summary heights, signed by the subnet.
    cup = first.latest_cup
    assert cup.height in summaries and is_valid_catch_up_package(cup, first.subnet_public_key)
    assert cup.content.state_hash == first.state.checkpoint(cup.height).root_hash


def test_ingress_submitted_to_several_replicas_runs_once(tmp_path: Path) -> None:
    subnet = Subnet(tmp_path)
    nodes = list(subnet.nodes.values())
    message = add_message(7, subnet.now_ns, nonce=1)
    for node in nodes:
        subnet.submit(node.node_id, message)
    subnet.run_until(
        lambda: all(
            (s := node.ingress_status(message.message_id)) is not None
            and s.status == Status.REPLIED
            for node in nodes
        )
    )
    subnet.run_until(lambda: subnet.min_finalized() >= 8)
    for node in nodes:
        assert node.state.engine.query(COUNTER, "get", encode([], []), ALICE) == encode([Nat], [7])


def test_a_crashed_replica_restarts_from_its_checkpoint_and_catches_up(tmp_path: Path) -> None:
    subnet = Subnet(tmp_path)
    nodes = list(subnet.nodes)
    victim = nodes[3]
    subnet.run_until(lambda: subnet.min_finalized() >= 12)
    subnet.crash(victim)
    subnet.run_until(lambda: subnet.min_finalized() >= 22)
    subnet.restart(victim)
    restarted = subnet.nodes[victim]
    assert (
        restarted.executed_height >= 10
    )  # from the checkpoint at the last summary height it executed
    subnet.run_until(lambda: restarted.finalized_height >= 26 and restarted.executed_height >= 25)
    reference = subnet.nodes[nodes[0]]
    for height in range(restarted.executed_height - 3, restarted.executed_height + 1):
        assert restarted.state_hash(height) == reference.state_hash(height)


def test_a_beacon_that_arrives_after_its_height_is_finalized_is_still_used(tmp_path: Path) -> None:
    subnet = Subnet(tmp_path)
    late = list(subnet.nodes)[2]
    subnet.hold = lambda receiver, artifact: (
        receiver == late
        and isinstance(artifact, RandomBeacon | RandomBeaconShare)
        and artifact.height == 3
    )
    others = [node for node_id, node in subnet.nodes.items() if node_id != late]
    subnet.run_until(lambda: min(node.finalized_height for node in others) >= 8)
    assert subnet.nodes[late].finalized_height >= 3 and subnet.nodes[late].chain.beacon_height == 2
    subnet.release()
    subnet.run_until(lambda: subnet.nodes[late].finalized_height >= 12)


def test_a_replica_far_behind_syncs_the_state_of_a_newer_cup(tmp_path: Path) -> None:
    subnet = Subnet(tmp_path)
    nodes = list(subnet.nodes)
    victim = nodes[1]
    subnet.run_until(lambda: subnet.min_finalized() >= 6)
    subnet.crash(victim)
    subnet.run_until(lambda: subnet.min_finalized() >= 90, max_steps=60_000)
    reference = subnet.nodes[nodes[0]]
    assert reference.finalized_block(20) is None  # purged below the CUP, keeping 50 heights
    subnet.restart(victim)
    restarted = subnet.nodes[victim]
    assert restarted.executed_height == 5
    subnet.run_until(lambda: restarted.executed_height >= 95, max_steps=60_000)
    assert restarted.latest_cup.height >= 85
    for height in (restarted.latest_cup.height, 95):
        assert restarted.state_hash(height) == reference.state_hash(height)


def test_a_halted_subnet_makes_no_blocks_until_unhalted(tmp_path: Path) -> None:
    subnet = Subnet(tmp_path)
    subnet.run_until(lambda: subnet.min_finalized() >= 4)
    subnet.update_record(is_halted=True)
    for _ in range(400):
        subnet.step()
    halted_at = max(node.finalized_height for node in subnet.nodes.values())
    assert halted_at <= 6
    for _ in range(400):
        subnet.step()
    assert max(node.finalized_height for node in subnet.nodes.values()) == halted_at
    subnet.update_record(is_halted=False)
    subnet.run_until(lambda: subnet.min_finalized() >= halted_at + 5)


def test_a_restarted_replica_remembers_the_shares_it_signed(tmp_path: Path) -> None:
    subnet = Subnet(tmp_path)
    victim = next(iter(subnet.nodes))
    subnet.run_until(lambda: subnet.min_finalized() >= 3)
    before = {s.id for s in subnet.nodes[victim].pool.validated.all_of(NotarizationShare)}
    assert before
    subnet.crash(victim)
    subnet.restart(victim)
    after = {s.id for s in subnet.nodes[victim].pool.validated.all_of(NotarizationShare)}
    assert before <= after


def test_an_upgrade_hands_over_at_the_cup_of_the_interval_that_names_the_new_version(
    tmp_path: Path,
) -> None:
    subnet = Subnet(tmp_path, replica_version="0.1.0")
    subnet.run_until(lambda: subnet.min_finalized() >= 6)
    subnet.update_record(replica_version_id="0.2.0")
    waiting = add_message(2, subnet.now_ns, nonce=8)
    subnet.run_until(lambda: subnet.min_finalized() >= 14)
    subnet.submit(next(iter(subnet.nodes)), waiting)  # not included by the old version after 15
    # The summary at 10 sees the new version in its context; the interval from 15 runs 0.2.0.
    subnet.run_until(
        lambda: all(node.upgrade_to is not None for node in subnet.nodes.values()), max_steps=40_000
    )
    nodes = list(subnet.nodes.values())
    assert {node.upgrade_to for node in nodes} == {"0.2.0"} and {
        node.latest_cup.height for node in nodes
    } == {15}
    first = nodes[0]
    assert (
        first.finalized_block(15).version == "0.2.0"  # type: ignore[union-attr]
        and first.finalized_block(14).version == "0.1.0"  # type: ignore[union-attr]
    )
    later = [p for p in first.pool.validated.all_of(BlockProposal) if p.height > 15]
    assert later and all(p.block.payload == DataPayload() for p in later)
    stopped_at = first.finalized_height
    for _ in range(200):
        subnet.step()
    assert first.finalized_height == stopped_at  # the old version does nothing more
    message = add_message(3, subnet.now_ns, nonce=9)
    for node_id in list(subnet.nodes):
        subnet.restart(node_id, replica_version="0.2.0")
    subnet.submit(next(iter(subnet.nodes)), message)
    subnet.run_until(
        lambda: all(
            (s := node.ingress_status(message.message_id)) is not None
            and s.status == Status.REPLIED
            for node in subnet.nodes.values()
        )
    )
    assert all(node.upgrade_to is None for node in subnet.nodes.values())


def test_halt_at_cup_height_stops_at_the_next_summary_and_its_cup(tmp_path: Path) -> None:
    subnet = Subnet(tmp_path)
    subnet.run_until(lambda: subnet.min_finalized() >= 6)
    subnet.update_record(halt_at_cup_height=True)
    subnet.run_until(lambda: all(node.latest_cup.height == 10 for node in subnet.nodes.values()))
    for _ in range(300):
        subnet.step()
    assert {node.finalized_height for node in subnet.nodes.values()} == {10}
    subnet.update_record(halt_at_cup_height=False)
    subnet.run_until(lambda: subnet.min_finalized() >= 14)


def test_replicas_run_from_their_own_key_directories_alone(tmp_path: Path) -> None:
    """Each node loads its keys and its encrypted genesis shares from its own directory (no seed,
    no dealer): the subnet still signs beacons, certifies and makes catch-up packages."""
    subnet = Subnet(tmp_path, node_directories=True)
    nodes = list(subnet.nodes.values())
    subnet.run_until(lambda: min(node.certified_height for node in nodes) >= 6)
    first = nodes[0]
    certification = first.certification(first.certified_height)
    assert certification is not None
    assert bls.verify(
        first.subnet_public_key,
        certification_message(certification.root_hash),
        certification.signature,
    )
    assert first.latest_cup.height >= 5 and is_valid_catch_up_package(
        first.latest_cup, first.subnet_public_key
    )


def test_a_node_without_its_genesis_shares_signs_no_threshold_shares(tmp_path: Path) -> None:
    """A node that holds no genesis shares follows the chain but cannot sign with the subnet key:
    the others (3 of 4, enough for both thresholds) carry on."""
    subnet = Subnet(tmp_path)
    nodes = list(subnet.nodes.values())
    shareless = nodes[0].node_id
    subnet.crash(shareless)
    subnet.restart(shareless, initial_shares=None)
    sent: list[object] = []
    original = subnet._handle

    def record(sender: Principal, output: NodeOutput) -> None:
        if sender == shareless:
            sent.extend(output.broadcast)
        original(sender, output)

    subnet._handle = record  # type: ignore[method-assign]
    subnet.run_until(lambda: subnet.min_finalized() >= 4)
    assert not [a for a in sent if isinstance(a, RandomBeaconShare | CertificationShare)]
    assert any(isinstance(a, NotarizationShare) for a in sent)
