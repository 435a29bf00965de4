"""Rules that only a Byzantine peer tests: each test fails if its one check is removed.

- (a) a block whose parent is not notarized is not validated (spec D.1; the IC's
  `BlockValidator` waits for a notarized parent: rs/consensus/src/consensus/validator.rs);
- (b) a catch-up package is accepted, and state sync started from it, only if its
  high-threshold signature verifies under the subnet key;
- (c) beacon shares of another height or another previous beacon never count toward a beacon;
- a well-formed wrong share (a valid signature by the right key over another message) reaches
  the combination, is found by the per-share check and dropped, and the artifact is then
  combined from the genuine shares alone.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from replica.consensus import beacon as beacon_role
from replica.consensus.artifacts import (
    Block,
    CatchUpPackage,
    DataPayload,
    Notarization,
    NotarizationShare,
    RandomBeacon,
    RandomBeaconShare,
    ValidationContext,
    beacon_message,
    certification_message,
    notarization_message,
    tape_message,
)
from replica.consensus.events import ArtifactRejected, StateSyncStarted
from replica.consensus.node import NodeOutput, ReplicaNode
from replica.consensus.signing import sign_proposal
from replica.crypto import multisig
from replica.crypto.keys import NodeSecretKeys
from replica.types import Principal
from tests.replica.consensus.world import Subnet


def rejections(output: NodeOutput) -> list[str]:
    return [event.reason for event in output.events if isinstance(event, ArtifactRejected)]


def keys_of(subnet: Subnet) -> dict[Principal, NodeSecretKeys]:
    return {node: config.keys for node, config in subnet.configs.items()}


def block_at(observer: ReplicaNode, parent: Block, rank: int, time_ns: int) -> Block:
    return Block(
        version=parent.version,
        parent=parent.id,
        height=parent.height + 1,
        rank=rank,
        context=ValidationContext(registry_version=1, certified_height=0, time_ns=time_ns),
        payload=DataPayload(),
    )


def maker_of(
    observer: ReplicaNode, height: int, rank: int, keys: dict[Principal, NodeSecretKeys]
) -> NodeSecretKeys:
    info = observer.ctx.get_height_info(height)
    assert info is not None
    return keys[next(node for node, r in info.ranks.items() if r == rank)]


def notarize(subnet: Subnet, observer: ReplicaNode, block: Block) -> Notarization:
    info = observer.ctx.get_height_info(block.height)
    assert info is not None
    signers = tuple(sorted(info.committee)[: info.notarization_threshold])
    message = notarization_message(block.height, block.id)
    signature = multisig.aggregate(
        [subnet.configs[s].keys.sign_committee(message) for s in signers]
    )
    return Notarization(height=block.height, block=block.id, signers=signers, signature=signature)


def beacon_at(subnet: Subnet, height: int, previous: RandomBeacon) -> RandomBeacon:
    message = beacon_message(height, previous.id)
    nodes = list(subnet.nodes.values())
    key = nodes[0].ctx.low_key(height)
    assert key is not None
    shares = {node.node_id: node.ctx.low_key(height).sign(message) for node in nodes}  # type: ignore[union-attr]
    signature = key.combine(message, {k: v for k, v in shares.items() if v is not None})
    assert signature is not None
    return RandomBeacon(height=height, parent=previous.id, signature=signature)


def test_a_block_on_a_valid_but_unnotarized_parent_waits_until_the_parent_is_notarized(
    tmp_path: Path,
) -> None:
    subnet = Subnet(tmp_path)
    keys = keys_of(subnet)
    observer = next(iter(subnet.nodes.values()))
    now = subnet.now_ns
    genesis = observer.genesis_cup.content.block
    notarized = sign_proposal(maker_of(observer, 1, 0, keys), block_at(observer, genesis, 0, now))
    other = sign_proposal(maker_of(observer, 1, 1, keys), block_at(observer, genesis, 1, now + 1))
    beacon = beacon_at(subnet, 1, observer.chain.beacons[0])
    observer.on_artifacts(
        [notarized, other, notarize(subnet, observer, notarized.block), beacon], now + 2
    )
    assert other.id in observer.pool.validated and not observer.chain.is_notarized(
        other.block.id, 1
    )
    assert observer.notarized_height == 1
    child = sign_proposal(
        maker_of(observer, 2, 0, keys), block_at(observer, other.block, 0, now + 3)
    )
    output = observer.on_artifact(child, now + 3)
    assert rejections(output) == []
    assert child.id not in observer.pool.validated, "a block on an unnotarized parent was validated"
    assert child.id in observer.pool.unvalidated
    # Once its parent is notarized the same block is valid.
    observer.on_artifact(notarize(subnet, observer, other.block), now + 4)
    assert child.id in observer.pool.validated


def cup_far_ahead(cup: CatchUpPackage, height: int) -> CatchUpPackage:
    """A well-formed CUP at `height`: the real one's content moved up, the real one's signature."""
    block = cup.content.block
    moved = replace(block, height=height, payload=replace(block.summary, height=height))
    content = replace(cup.content, block=moved, beacon=replace(cup.content.beacon, height=height))
    return replace(cup, content=content)


def run_to_first_cup(subnet: Subnet) -> CatchUpPackage:
    subnet.run_until(lambda: all(node.latest_cup.height > 0 for node in subnet.nodes.values()))
    cup = next(iter(subnet.nodes.values())).latest_cup
    assert cup.signature
    return cup


def test_a_catch_up_package_with_a_wrong_signature_starts_no_state_sync(tmp_path: Path) -> None:
    subnet = Subnet(tmp_path / "network")
    cup = run_to_first_cup(subnet)
    fresh = Subnet(tmp_path / "fresh")
    observer = next(iter(fresh.nodes.values()))
    forged = cup_far_ahead(cup, cup.height + 100)
    output = observer.on_artifact(forged, fresh.now_ns)
    assert not [e for e in output.events if isinstance(e, StateSyncStarted)], (
        "state sync from an unsigned CUP"
    )
    # The genuine CUP of the other network's subnet key does not verify here either ...
    output = observer.on_artifact(cup_far_ahead(cup, cup.height + 200), fresh.now_ns)
    assert not [e for e in output.events if isinstance(e, StateSyncStarted)]


def test_a_genuine_catch_up_package_far_ahead_starts_state_sync(tmp_path: Path) -> None:
    subnet = Subnet(tmp_path)
    late = next(iter(subnet.nodes))
    subnet.crash(late)
    subnet.run_until(
        lambda: (
            min(node.latest_cup.height for node_id, node in subnet.nodes.items() if node_id != late)
            > 26
        )
    )
    cup = next(node for node_id, node in subnet.nodes.items() if node_id != late).latest_cup
    subnet.restart(late)
    output = subnet.nodes[late].on_artifact(cup, subnet.now_ns)
    assert [e.height for e in output.events if isinstance(e, StateSyncStarted)] == [cup.height]


def test_a_catch_up_package_with_a_wrong_signature_is_refused_at_its_finalized_height(
    tmp_path: Path,
) -> None:
    subnet = Subnet(tmp_path)
    observer_id = next(iter(subnet.nodes))
    # The observer sees no CUP (or CUP share) of its peers, so it cannot make the CUP itself.
    subnet.hold = lambda receiver, artifact: (
        receiver == observer_id and type(artifact).__name__.startswith("CatchUp")
    )
    subnet.run_until(
        lambda: all(
            node.latest_cup.height > 0
            for node_id, node in subnet.nodes.items()
            if node_id != observer_id
        )
    )
    observer = subnet.nodes[observer_id]
    cup = next(node for node_id, node in subnet.nodes.items() if node_id != observer_id).latest_cup
    subnet.run_until(lambda: observer.finalized_height >= cup.height)
    assert observer.latest_cup.height < cup.height
    other = next(node for node_id, node in subnet.nodes.items() if node_id != observer_id)
    wrong = replace(cup, signature=other.chain.certifications[cup.height - 1].signature)
    assert rejections(observer.on_artifact(wrong, subnet.now_ns)) == ["invalid CUP signature"]
    assert observer.latest_cup.height < cup.height
    observer.on_artifact(cup, subnet.now_ns)
    assert observer.latest_cup == cup


def test_beacon_shares_of_another_height_or_parent_never_reach_the_combination(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    subnet = Subnet(tmp_path)
    nodes = list(subnet.nodes.values())
    observer = nodes[0]
    genesis_beacon = observer.chain.beacons[0]
    beacon_one = beacon_at(subnet, 1, genesis_beacon)
    seen: list[dict[Principal, object]] = []
    real = beacon_role.combine_threshold_shares  # type: ignore[attr-defined]

    def spy(ctx, key, message, shares):  # type: ignore[no-untyped-def]
        seen.append(dict(shares))
        return real(ctx, key, message, shares)

    monkeypatch.setattr(beacon_role, "combine_threshold_shares", spy)
    # Height 1 is done: the shares a peer signed for it are replayed relabelled as height 2.
    signer = nodes[1]
    key = signer.ctx.low_key(1)
    assert key is not None
    old = key.sign(beacon_message(1, genesis_beacon.id))
    assert old is not None
    replayed = RandomBeaconShare(
        height=2, parent=genesis_beacon.id, signer=signer.node_id, signature=old
    )
    genesis = observer.genesis_cup.content.block
    keys = keys_of(subnet)
    proposal = sign_proposal(
        maker_of(observer, 1, 0, keys), block_at(observer, genesis, 0, subnet.now_ns)
    )
    observer.on_artifacts(
        [proposal, notarize(subnet, observer, proposal.block), beacon_one, replayed], subnet.now_ns
    )
    assert observer.chain.beacon_height == 1
    counted = [shares for shares in seen if signer.node_id in shares]
    assert all(
        isinstance(share, RandomBeaconShare) and share.parent == beacon_one.id
        for shares in counted
        for share in shares.values()
    ), "a beacon share over another previous beacon was counted"
    assert observer.chain.beacon_height == 1 and 2 not in observer.chain.beacons


def test_a_well_formed_wrong_notarization_share_is_dropped_and_the_block_notarized_from_genuine_ones(
    tmp_path: Path,
) -> None:
    subnet = Subnet(tmp_path)
    keys = keys_of(subnet)
    observer = next(iter(subnet.nodes.values()))
    genesis = observer.genesis_cup.content.block
    proposal = sign_proposal(
        maker_of(observer, 1, 0, keys), block_at(observer, genesis, 0, subnet.now_ns)
    )
    info = observer.ctx.get_height_info(1)
    assert info is not None
    message = notarization_message(1, proposal.block.id)
    peers = sorted(node for node in info.committee if node != observer.node_id)
    liar, honest = peers[0], peers[1:]
    # A genuine signature of the liar's committee key, over the notarization of another block.
    wrong = NotarizationShare(
        height=1,
        block=proposal.block.id,
        signer=liar,
        signature=keys[liar].sign_committee(notarization_message(1, b"\x07" * 32)),
    )
    genuine = [
        NotarizationShare(
            height=1,
            block=proposal.block.id,
            signer=node,
            signature=keys[node].sign_committee(message),
        )
        for node in honest
    ]
    assert (
        observer.node_id in info.committee and info.notarization_threshold == 3 == len(honest) + 1
    )
    observer.on_timer(subnet.now_ns)  # the round of height 1 starts
    at = subnet.now_ns + 10**10  # every notary delay has passed: the observer signs too
    # Its own share, the wrong one and one genuine share: enough to combine, and the combination fails.
    output = observer.on_artifacts([proposal, wrong, genuine[0]], at)
    assert rejections(output) == ["invalid multi-signature share"]
    assert not observer.chain.is_notarized(proposal.block.id, 1)
    observer.on_artifacts(genuine[1:], at + 1)
    assert observer.chain.is_notarized(proposal.block.id, 1)
    notarizations = list(observer.pool.validated.get(Notarization, 1))
    assert notarizations and all(liar not in n.signers for n in notarizations)
    assert all(
        observer.signer.verify_multisignature(n.signers, 1, message, n.signature)
        for n in notarizations
    )


def test_a_well_formed_wrong_beacon_share_is_dropped_and_the_beacon_combined_from_genuine_ones(
    tmp_path: Path,
) -> None:
    subnet = Subnet(tmp_path)
    nodes = list(subnet.nodes.values())
    observer = nodes[0]
    keys = keys_of(subnet)
    genesis = observer.genesis_cup.content.block
    genesis_beacon = observer.chain.beacons[0]
    proposal = sign_proposal(
        maker_of(observer, 1, 0, keys), block_at(observer, genesis, 0, subnet.now_ns)
    )
    observer.on_artifacts([proposal, notarize(subnet, observer, proposal.block)], subnet.now_ns)
    message = beacon_message(1, genesis_beacon.id)
    liar, honest = nodes[1], nodes[2]
    liar_key, honest_key = liar.ctx.low_key(1), honest.ctx.low_key(1)
    assert liar_key is not None and honest_key is not None
    # The liar's real low-threshold share, over the tape message of the height: well formed, wrong.
    wrong_signature = liar_key.sign(tape_message(1))
    genuine_signature = honest_key.sign(message)
    assert wrong_signature is not None and genuine_signature is not None
    wrong = RandomBeaconShare(
        height=1, parent=genesis_beacon.id, signer=liar.node_id, signature=wrong_signature
    )
    output = observer.on_artifact(wrong, subnet.now_ns)
    assert rejections(output) == ["invalid threshold signature share"]
    assert 1 not in observer.chain.beacons
    genuine = RandomBeaconShare(
        height=1, parent=genesis_beacon.id, signer=honest.node_id, signature=genuine_signature
    )
    observer.on_artifact(genuine, subnet.now_ns)
    made = observer.chain.beacons[1]
    key = observer.ctx.low_key(1)
    assert key is not None and key.verify(message, made.signature)


def test_a_forged_certification_from_one_share_is_refused(tmp_path: Path) -> None:
    subnet = Subnet(tmp_path)
    observer_id = next(iter(subnet.nodes))
    # The observer sees no certification (or share) of its peers, so it cannot certify by itself.
    subnet.hold = lambda receiver, artifact: (
        receiver == observer_id and type(artifact).__name__.startswith("Certif")
    )
    observer = subnet.nodes[observer_id]
    others = [node for node_id, node in subnet.nodes.items() if node_id != observer_id]
    subnet.run_until(
        lambda: observer.executed_height >= 2 and all(node.certified_height >= 2 for node in others)
    )
    assert observer.certified_height < 2
    real = others[0].certification(2)
    key = others[0].ctx.high_key(2)
    assert real is not None and key is not None
    one_share = key.sign(certification_message(real.root_hash))
    assert one_share is not None
    forged = replace(real, signature=one_share)
    assert rejections(observer.on_artifact(forged, subnet.now_ns)) == [
        "invalid certification signature"
    ]
    assert observer.certification(2) is None
    observer.on_artifact(real, subnet.now_ns)
    assert observer.certification(2) == real


def test_a_block_whose_parent_is_not_at_the_height_below_is_refused_not_kept_waiting(
    tmp_path: Path,
) -> None:
    """R3: a proposal naming a notarized block two heights down is invalid at once."""
    subnet = Subnet(tmp_path)
    keys = keys_of(subnet)
    observer = next(iter(subnet.nodes.values()))
    now = subnet.now_ns
    genesis = observer.genesis_cup.content.block
    first = sign_proposal(maker_of(observer, 1, 0, keys), block_at(observer, genesis, 0, now))
    beacon = beacon_at(subnet, 1, observer.chain.beacons[0])
    observer.on_artifacts([first, notarize(subnet, observer, first.block), beacon], now + 1)
    assert observer.notarized_height == 1
    skipping = replace(block_at(observer, genesis, 0, now + 2), height=2)
    proposal = sign_proposal(maker_of(observer, 2, 0, keys), skipping)
    output = observer.on_artifact(proposal, now + 2)
    assert rejections(output) == ["the parent is not at the height below"]
    assert proposal.id not in observer.pool.validated
    assert proposal.id not in observer.pool.unvalidated


def test_a_genuine_certification_of_another_root_than_this_replicas_is_refused(
    tmp_path: Path,
) -> None:
    """R23: a replica whose own state diverged never accepts the others' certification."""
    subnet = Subnet(tmp_path)
    observer_id = next(iter(subnet.nodes))
    subnet.hold = lambda receiver, artifact: (
        receiver == observer_id and type(artifact).__name__.startswith("Certif")
    )
    observer = subnet.nodes[observer_id]
    others = [node for node_id, node in subnet.nodes.items() if node_id != observer_id]
    subnet.run_until(
        lambda: observer.executed_height >= 2 and all(node.certified_height >= 2 for node in others)
    )
    real = others[0].certification(2)
    assert real is not None
    own = observer.instance.validator.get_root_hash
    observer.instance.validator.get_root_hash = lambda height: (
        b"\x01" * 32 if height == 2 else own(height)
    )
    assert rejections(observer.on_artifact(real, subnet.now_ns)) == [
        "the certified root hash differs from this replica's"
    ]
    assert observer.certification(2) is None
