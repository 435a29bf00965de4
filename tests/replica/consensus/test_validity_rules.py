"""Validity rules of spec D that had no unit test of their own: each test fails if the one check
it names (a rule of `replica/consensus/RULES.md`) is removed from the validator.

The IC's `BlockValidator` (rs/consensus/src/consensus/validator.rs) checks the same: the block's
replica version, a validation context that never goes back and certifies no height above its
parent, the summary every replica computes, and the ingress payload's limits, duplicates and
expiry (rs/ingress_manager/src/ingress_selector.rs); beacons and tapes are threshold signatures
of the low key; a CUP names the finalized block of its height.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from replica.consensus.artifacts import (
    BlockProposal,
    CatchUpPackage,
    DataPayload,
    Notarization,
    NotarizationShare,
    RandomTape,
    RemoteDkgResult,
    ValidationContext,
    catch_up_content_message,
    notarization_message,
    tape_message,
)
from replica.consensus.membership import compute_faults_tolerated, compute_high_threshold
from replica.consensus.node import ReplicaNode
from replica.consensus.signing import sign_proposal
from replica.crypto import multisig
from tests.replica.consensus.test_byzantine_rules import (
    beacon_at,
    block_at,
    keys_of,
    maker_of,
    notarize,
    rejections,
)
from tests.replica.consensus.test_subnet import add_message
from tests.replica.consensus.test_validator import block_at_one, setup
from tests.replica.consensus.world import Subnet


def test_a_block_naming_another_replica_version_is_refused(tmp_path: Path) -> None:
    """R4 (spec D.8): the block names the replica version of its interval."""
    subnet, observer, keys = setup(tmp_path)
    proposal = sign_proposal(keys[0], block_at_one(subnet, observer, 0, version="other-version"))
    assert rejections(observer.on_artifact(proposal, subnet.now_ns)) == [
        "replica version other-version is not the interval's"
    ]
    assert proposal.id not in observer.pool.validated


def test_remote_dkg_results_no_replica_computes_are_refused(tmp_path: Path) -> None:
    """Early remote DKG results in a data block are exactly the ones every replica computes from
    the chain and the state (here none: no remote DKG is open), as the IC's payload validator
    compares them with `create_early_remote_transcripts`."""
    subnet, observer, keys = setup(tmp_path)
    genesis = observer.genesis_cup.content.block
    high = genesis.summary.get_current("high")
    low = genesis.summary.get_current("low")
    assert high is not None and low is not None
    forged = RemoteDkgResult(target=bytes(32), low=low, high=high)
    proposal = sign_proposal(
        keys[0], block_at_one(subnet, observer, 0, payload=DataPayload(remote_results=(forged,)))
    )
    assert rejections(observer.on_artifact(proposal, subnet.now_ns)) == [
        "remote DKG results other than the computed ones"
    ]
    assert proposal.id not in observer.pool.validated
    valid = sign_proposal(keys[0], block_at_one(subnet, observer, 0))
    assert rejections(observer.on_artifact(valid, subnet.now_ns)) == []


def test_a_validation_context_below_the_parents_is_refused(tmp_path: Path) -> None:
    """R5: a registry version below the parent's is refused (it would otherwise validate)."""
    subnet, observer, keys = setup(tmp_path)
    genesis = observer.genesis_cup.content.block
    assert genesis.context.registry_version == 1
    older = ValidationContext(registry_version=0, certified_height=0, time_ns=subnet.now_ns)
    proposal = sign_proposal(keys[0], block_at_one(subnet, observer, 0, context=older))
    assert rejections(observer.on_artifact(proposal, subnet.now_ns)) == [
        "the validation context goes below the parent's"
    ]
    assert proposal.id not in observer.pool.validated


def test_a_certified_height_above_the_parent_is_refused_not_kept_waiting(tmp_path: Path) -> None:
    """R7: a block at height 1 claiming height 1 certified is invalid at once (without the check
    it would wait for a certification that can only come after its height is finalized)."""
    subnet, observer, keys = setup(tmp_path)
    ahead = ValidationContext(registry_version=1, certified_height=1, time_ns=subnet.now_ns)
    proposal = sign_proposal(keys[0], block_at_one(subnet, observer, 0, context=ahead))
    assert rejections(observer.on_artifact(proposal, subnet.now_ns)) == [
        "the certified height is above the parent"
    ]
    assert proposal.id not in observer.pool.unvalidated


def test_ingress_beyond_the_subnets_limits_is_refused(tmp_path: Path) -> None:
    """R11: no more messages than `max_ingress_messages_per_block`, no more bytes than
    `max_block_payload_size`, no message above `max_ingress_bytes_per_message`."""
    subnet, observer, keys = setup(tmp_path)
    info = observer.ctx.get_height_info(1)
    assert info is not None
    limit = info.record.max_ingress_messages_per_block
    many = tuple(add_message(1, subnet.now_ns, nonce) for nonce in range(limit + 1))
    per_message = info.record.max_ingress_bytes_per_message
    full = replace(add_message(2, subnet.now_ns), arg=b"\x00" * per_message)
    assert 2 * (per_message + len(full.method) + 64) > info.record.max_block_payload_size
    cases = [
        (many, "too many ingress messages"),
        ((full, replace(full, message_id=b"\x02" * 32)), "the payload is too large"),
        ((replace(full, arg=full.arg + b"\x00"),), "an ingress message is too large"),
    ]
    for offset, (ingress, reason) in enumerate(cases):
        at = subnet.now_ns + offset
        block = block_at_one(
            subnet,
            observer,
            0,
            payload=DataPayload(ingress=ingress),
            context=ValidationContext(registry_version=1, certified_height=0, time_ns=at),
        )
        proposal = sign_proposal(keys[0], block)
        assert rejections(observer.on_artifact(proposal, at)) == [reason]


def test_an_ingress_message_already_on_the_chain_is_refused(tmp_path: Path) -> None:
    """R13: a message in a block of the chain below is not included again."""
    subnet = Subnet(tmp_path)
    keys = keys_of(subnet)
    observer = next(iter(subnet.nodes.values()))
    now = subnet.now_ns
    message = add_message(1, now)
    genesis = observer.genesis_cup.content.block
    first = sign_proposal(
        maker_of(observer, 1, 0, keys),
        replace(block_at(observer, genesis, 0, now), payload=DataPayload(ingress=(message,))),
    )
    beacon = beacon_at(subnet, 1, observer.chain.beacons[0])
    observer.on_artifacts([first, notarize(subnet, observer, first.block), beacon], now + 1)
    assert observer.notarized_height == 1 and observer.executed_height == 0
    again = replace(
        block_at(observer, first.block, 0, now + 2), payload=DataPayload(ingress=(message,))
    )
    proposal = sign_proposal(maker_of(observer, 2, 0, keys), again)
    assert rejections(observer.on_artifact(proposal, now + 2)) == [
        "an ingress message is already on the chain"
    ]
    assert proposal.id not in observer.pool.validated


def test_an_expired_ingress_message_is_refused(tmp_path: Path) -> None:
    """R14: every message is unexpired at the block's time (and expires within the TTL)."""
    subnet, observer, keys = setup(tmp_path)
    expired = replace(add_message(1, subnet.now_ns), ingress_expiry_ns=subnet.now_ns - 1)
    block = block_at_one(subnet, observer, 0, payload=DataPayload(ingress=(expired,)))
    proposal = sign_proposal(keys[0], block)
    assert rejections(observer.on_artifact(proposal, subnet.now_ns)) == [
        "an ingress message is expired or expires too late"
    ]


def test_a_genuine_beacon_signature_under_another_parent_is_refused(tmp_path: Path) -> None:
    """R19: the beacon of height 1, its signature genuine, relabelled with another parent (what a
    Byzantine replica can make of any beacon it sees) does not extend the previous beacon."""
    subnet, observer, _ = setup(tmp_path)
    genuine = beacon_at(subnet, 1, observer.chain.beacons[0])
    relabelled = replace(genuine, parent=hashlib.sha256(b"another parent").digest())
    assert rejections(observer.on_artifact(relabelled, subnet.now_ns)) == [
        "the beacon does not extend the previous beacon"
    ]
    assert 1 not in observer.chain.beacons
    observer.on_artifact(genuine, subnet.now_ns)
    assert observer.chain.beacons[1] == genuine


def test_a_tape_of_one_share_is_refused(tmp_path: Path) -> None:
    """R21: a random tape is a threshold signature under the low key, not one replica's share."""
    subnet, observer, _ = setup(tmp_path)
    peer = list(subnet.nodes.values())[1]
    key = peer.ctx.low_key(1)
    assert key is not None
    share = key.sign(tape_message(1))
    assert share is not None
    for signature in (share, multisig.sign(peer.config.keys.committee_secret, tape_message(1))):
        forged = RandomTape(height=1, signature=signature)
        assert rejections(observer.on_artifact(forged, subnet.now_ns)) == ["invalid tape signature"]
        assert 1 not in observer.chain.tapes


def held_back_at(subnet: Subnet, observer: ReplicaNode, height: int) -> BlockProposal:
    """Run the subnet while `observer` receives no proposal of `height`, until it could validate
    one; the proposal its peers finalized there."""
    subnet.hold = lambda receiver, artifact: (
        receiver == observer.node_id
        and isinstance(artifact, BlockProposal)
        and artifact.height == height
    )
    others = [node for node in subnet.nodes.values() if node is not observer]

    def ready() -> bool:
        return (
            observer.notarized_height == height - 1
            and observer.ctx.get_height_info(height) is not None
            and all(node.finalized_height >= height for node in others)
        )

    subnet.run_until(ready)
    finalized = others[0].finalized_block(height)
    assert finalized is not None
    real = next(
        p for p in others[0].pool.validated.get(BlockProposal, height) if p.block.id == finalized.id
    )
    subnet.run_until(lambda: observer.certified_height >= real.block.context.certified_height)
    return real


def test_a_summary_other_than_the_computed_one_and_a_data_block_at_a_summary_height_are_refused(
    tmp_path: Path,
) -> None:
    """R9 (spec D.3): a summary block equals the summary every replica computes from the chain;
    R10: a summary height carries a summary block."""
    subnet = Subnet(tmp_path)
    keys = keys_of(subnet)
    observer = next(iter(subnet.nodes.values()))
    height = observer.genesis_cup.content.block.summary.next_summary_height
    real = held_back_at(subnet, observer, height)
    assert real.block.is_summary
    maker = keys[real.signer]
    summary = real.block.summary
    other = replace(
        real.block,
        payload=replace(summary, next_interval_length=summary.next_interval_length + 1),
    )
    data = replace(real.block, payload=DataPayload())
    now = subnet.now_ns
    assert rejections(observer.on_artifact(sign_proposal(maker, other), now)) == [
        "the summary differs from the computed one"
    ]
    assert rejections(observer.on_artifact(sign_proposal(maker, data), now)) == [
        "a summary block is due at this height"
    ]
    assert rejections(observer.on_artifact(real, now)) == []
    assert real.id in observer.pool.validated


def test_a_validly_signed_catch_up_package_of_another_block_is_refused(tmp_path: Path) -> None:
    """R24: a CUP names the finalized block of its height, even with a signature that verifies
    under the subnet key (a subnet whose honest replicas diverged could make one)."""
    subnet = Subnet(tmp_path)
    observer_id = next(iter(subnet.nodes))
    subnet.hold = lambda receiver, artifact: (
        receiver == observer_id and type(artifact).__name__.startswith("CatchUp")
    )
    others = [node for node_id, node in subnet.nodes.items() if node_id != observer_id]
    subnet.run_until(lambda: all(node.latest_cup.height > 0 for node in others))
    observer = subnet.nodes[observer_id]
    cup = others[0].latest_cup
    subnet.run_until(lambda: observer.finalized_height >= cup.height)
    assert observer.latest_cup.height < cup.height
    block = cup.content.block
    other_block = replace(block, context=replace(block.context, time_ns=block.context.time_ns + 1))
    content = replace(cup.content, block=other_block)
    message = catch_up_content_message(content)
    key = observer.ctx.high_key(cup.height)
    assert key is not None
    shares = {}
    for node in subnet.nodes.values():
        node_key = node.ctx.high_key(cup.height)
        share = None if node_key is None else node_key.sign(message)
        if share is not None:
            shares[node.node_id] = share
    signature = key.combine(message, shares)
    assert signature is not None
    forged = CatchUpPackage(content=content, signature=signature)
    assert rejections(observer.on_artifact(forged, subnet.now_ns)) == [
        "the CUP's block is not the finalized block of its height"
    ]
    assert observer.latest_cup.height < cup.height
    observer.on_artifact(cup, subnet.now_ns)
    assert observer.latest_cup == cup


def test_a_notarization_signed_by_a_member_outside_the_committee_is_refused(
    tmp_path: Path,
) -> None:
    """R17: with five members the committee is 3f + 1 = 4 of them; a genuine multi-signature
    that counts the fifth (a member with a committee key, only not sampled at this height)
    toward the threshold is refused."""
    subnet = Subnet(tmp_path, n=5)
    keys = keys_of(subnet)
    observer = next(iter(subnet.nodes.values()))
    info = observer.ctx.get_height_info(1)
    assert info is not None and len(info.committee) == 4
    outsider = next(node for node in subnet.nodes if node not in info.committee)
    genesis = observer.genesis_cup.content.block
    proposal = sign_proposal(
        maker_of(observer, 1, 0, keys), block_at(observer, genesis, 0, subnet.now_ns)
    )
    observer.on_artifact(proposal, subnet.now_ns)
    message = notarization_message(1, proposal.block.id)
    signers = (*sorted(info.committee)[: info.notarization_threshold - 1], outsider)
    forged = Notarization(
        height=1,
        block=proposal.block.id,
        signers=signers,
        signature=multisig.aggregate([keys[s].sign_committee(message) for s in signers]),
    )
    assert rejections(observer.on_artifact(forged, subnet.now_ns)) == [
        "a signer is not in the committee"
    ]
    assert not observer.chain.is_notarized(proposal.block.id, 1)


def test_the_notary_never_signs_a_block_of_a_maker_disqualified_for_equivocation(
    tmp_path: Path,
) -> None:
    """R28 (spec D.1): once two blocks of the rank-0 maker are seen, the notary signs the
    rank-1 block, not either of the equivocator's (the observer makes no block at height 1)."""
    subnet = Subnet(tmp_path)
    keys = keys_of(subnet)
    some = next(iter(subnet.nodes.values()))
    info = some.ctx.get_height_info(1)
    assert info is not None
    observer = next(node for node in subnet.nodes.values() if node.node_id not in info.ranks)
    now = subnet.now_ns
    genesis = observer.genesis_cup.content.block
    maker = maker_of(observer, 1, 0, keys)
    first = sign_proposal(maker, block_at(observer, genesis, 0, now))
    second = sign_proposal(maker, block_at(observer, genesis, 0, now + 1))
    honest = sign_proposal(maker_of(observer, 1, 1, keys), block_at(observer, genesis, 1, now + 2))
    observer.on_timer(now)  # the round of height 1 starts
    output = observer.on_artifacts([first, second, honest], now + 10**10)
    assert maker.node_id in observer.chain.disqualified[1]
    signed = [a.block for a in output.broadcast if isinstance(a, NotarizationShare)]
    assert signed == [honest.block.id]


def test_the_notary_never_signs_a_higher_rank_than_a_block_it_signed(tmp_path: Path) -> None:
    """R27 (spec D.1; the IC's rs/consensus/src/consensus/notary.rs: shares only for blocks of a
    rank at most that of every non-disqualified block the node signed at the round). The notary
    reads the ranks it signed from its own shares, not from the proposals it weighs: here the
    rank-0 block it signed is taken out of its pool by hand (no role does that, so in a run the
    lowest rank it weighs never exceeds one it signed), and it still does not sign the rank-1
    block whose delay has passed."""
    subnet = Subnet(tmp_path)
    keys = keys_of(subnet)
    some = next(iter(subnet.nodes.values()))
    info = some.ctx.get_height_info(1)
    assert info is not None
    observer = next(node for node in subnet.nodes.values() if node.node_id not in info.ranks)
    now = subnet.now_ns
    genesis = observer.genesis_cup.content.block
    first = sign_proposal(maker_of(observer, 1, 0, keys), block_at(observer, genesis, 0, now))
    second = sign_proposal(maker_of(observer, 1, 1, keys), block_at(observer, genesis, 1, now + 1))
    observer.on_timer(now)  # the round of height 1 starts
    output = observer.on_artifacts([first], now + 10**10)
    assert [a.block for a in output.broadcast if isinstance(a, NotarizationShare)] == [
        first.block.id
    ]
    observer.pool.validated.remove(first)
    output = observer.on_artifacts([second], now + 2 * 10**10)
    assert not [a for a in output.broadcast if isinstance(a, NotarizationShare)]
    assert second.block.id in observer.chain.blocks  # validated, and past its notary delay


def test_the_high_threshold_is_n_minus_f_and_the_summary_configs_use_it(tmp_path: Path) -> None:
    """R34 (spec H): certification and CUPs need 2f + 1 shares (n − f of 3f + 1), so f Byzantine
    replicas and f honest ones that diverged can never certify a state together."""
    for n in range(1, 50):
        assert compute_high_threshold(n) == 2 * compute_faults_tolerated(n) + 1
    subnet = Subnet(tmp_path)
    observer = next(iter(subnet.nodes.values()))
    summary = observer.genesis_cup.content.block.summary
    high = [config for config in summary.configs if config.tag == "high"]
    assert high and all(config.threshold == 3 == len(config.receivers) - 1 for config in high)
