"""The validator refuses what breaks the rules, and disqualifies an equivocating block maker."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from replica.consensus.artifacts import (
    Block,
    BlockProposal,
    DataPayload,
    EquivocationProof,
    Notarization,
    RandomBeacon,
    ValidationContext,
    beacon_message,
    dealing_message,
    notarization_message,
)
from replica.consensus.block_maker import IngressAuthenticator
from replica.consensus.events import ArtifactRejected
from replica.consensus.node import NodeOutput, ReplicaNode
from replica.consensus.signing import sign_proposal
from replica.crypto import multisig
from replica.crypto.keys import NodeSecretKeys
from replica.types import Principal
from tests.replica.consensus.test_subnet import add_message
from tests.replica.consensus.world import Subnet


def setup(
    tmp_path: Path, authenticate_ingress: IngressAuthenticator | None = None
) -> tuple[Subnet, ReplicaNode, dict[int, NodeSecretKeys]]:
    subnet = Subnet(tmp_path, authenticate_ingress=authenticate_ingress)
    observer = next(iter(subnet.nodes.values()))
    info = observer.ctx.get_height_info(1)
    assert info is not None
    keys = {rank: subnet.configs[node].keys for node, rank in info.ranks.items()}
    return subnet, observer, keys


def block_at_one(subnet: Subnet, observer: ReplicaNode, rank: int, **changes: object) -> Block:
    genesis = observer.genesis_cup.content.block
    block = Block(
        version=genesis.version,
        parent=genesis.id,
        height=1,
        rank=rank,
        context=ValidationContext(registry_version=1, certified_height=0, time_ns=subnet.now_ns),
        payload=DataPayload(),
    )
    return replace(block, **changes)  # type: ignore[arg-type]


def rejections(output: NodeOutput) -> list[str]:
    return [event.reason for event in output.events if isinstance(event, ArtifactRejected)]


def test_a_proposal_from_the_wrong_rank_or_signer_is_refused(tmp_path: Path) -> None:
    subnet, observer, keys = setup(tmp_path)
    wrong_rank = sign_proposal(keys[1], block_at_one(subnet, observer, 0))
    assert rejections(observer.on_artifact(wrong_rank, subnet.now_ns)) == [
        "the signer is not the block maker of this rank"
    ]
    forged = BlockProposal(
        block=block_at_one(
            subnet,
            observer,
            1,
            context=ValidationContext(
                registry_version=1, certified_height=0, time_ns=subnet.now_ns + 1
            ),
        ),
        signer=keys[1].node_id,
        signature=keys[0].sign(b"something else"),
    )
    assert rejections(observer.on_artifact(forged, subnet.now_ns + 1)) == [
        "invalid proposal signature"
    ]


def test_payload_rules(tmp_path: Path) -> None:
    subnet, observer, keys = setup(tmp_path)
    genesis = observer.genesis_cup.content.block
    summary_too_early = sign_proposal(
        keys[1], block_at_one(subnet, observer, 1, payload=genesis.payload)
    )
    assert rejections(observer.on_artifact(summary_too_early, subnet.now_ns)) == [
        "a summary block at a height that is not a summary height"
    ]
    message = add_message(1, subnet.now_ns)
    twice = sign_proposal(
        keys[1],
        block_at_one(
            subnet,
            observer,
            1,
            payload=DataPayload(ingress=(message, message)),
            context=ValidationContext(
                registry_version=1, certified_height=0, time_ns=subnet.now_ns + 2
            ),
        ),
    )
    assert rejections(observer.on_artifact(twice, subnet.now_ns + 2)) == [
        "an ingress message appears twice"
    ]
    backwards = sign_proposal(
        keys[1],
        block_at_one(
            subnet,
            observer,
            1,
            context=ValidationContext(registry_version=1, certified_height=0, time_ns=0),
        ),
    )
    assert rejections(observer.on_artifact(backwards, subnet.now_ns + 3)) == [
        "the block time is not after the parent's"
    ]


def test_a_block_from_the_future_waits(tmp_path: Path) -> None:
    subnet, observer, keys = setup(tmp_path)
    later = subnet.now_ns + 10**9
    proposal = sign_proposal(
        keys[1],
        block_at_one(
            subnet,
            observer,
            1,
            context=ValidationContext(registry_version=1, certified_height=0, time_ns=later),
        ),
    )
    output = observer.on_artifact(proposal, subnet.now_ns)
    assert rejections(output) == [] and proposal.id in observer.pool.unvalidated
    assert output.wake_at_ns is not None and output.wake_at_ns <= later
    observer.on_timer(later)
    assert proposal.id in observer.pool.validated


def test_an_equivocating_maker_is_disqualified_for_the_height(tmp_path: Path) -> None:
    subnet, observer, keys = setup(tmp_path)
    maker = keys[1]
    first = sign_proposal(maker, block_at_one(subnet, observer, 1))
    second = sign_proposal(
        maker,
        block_at_one(
            subnet,
            observer,
            1,
            context=ValidationContext(
                registry_version=1, certified_height=0, time_ns=subnet.now_ns + 1
            ),
        ),
    )
    observer.on_artifact(first, subnet.now_ns + 1)
    output = observer.on_artifact(second, subnet.now_ns + 1)
    proofs = [a for a in output.broadcast if isinstance(a, EquivocationProof)]
    assert len(proofs) == 1 and proofs[0].signer == maker.node_id
    assert maker.node_id in observer.chain.disqualified[1]
    # Another replica accepts the proof and disqualifies the maker too.
    other = list(subnet.nodes.values())[1]
    other.on_artifact(proofs[0], subnet.now_ns + 1)
    assert maker.node_id in other.chain.disqualified[1]
    # A forged proof (one block not signed by the maker) is refused.
    fake = EquivocationProof(first=first, second=replace(second, signature=keys[0].sign(b"x")))
    third = list(subnet.nodes.values())[2]
    assert rejections(third.on_artifact(fake, subnet.now_ns + 1)) == ["invalid proposal signature"]


def test_combined_signatures_are_checked(tmp_path: Path) -> None:
    subnet, observer, keys = setup(tmp_path)
    proposal = sign_proposal(keys[0], block_at_one(subnet, observer, 0))
    observer.on_artifact(proposal, subnet.now_ns)
    block = proposal.block
    message = notarization_message(1, block.id)
    signers = sorted(subnet.configs)
    secrets = {node: subnet.configs[node].keys.committee_secret for node in signers}
    too_few = Notarization(
        height=1,
        block=block.id,
        signers=tuple(signers[:2]),
        signature=multisig.aggregate([multisig.sign(secrets[s], message) for s in signers[:2]]),
    )
    assert rejections(observer.on_artifact(too_few, subnet.now_ns)) == ["too few distinct signers"]
    wrong = Notarization(
        height=1,
        block=block.id,
        signers=tuple(signers[:3]),
        signature=multisig.aggregate([multisig.sign(secrets[s], b"other") for s in signers[:3]]),
    )
    assert rejections(observer.on_artifact(wrong, subnet.now_ns)) == ["invalid multi-signature"]
    outsider = Principal.self_authenticating(b"outsider")
    stranger = replace(wrong, signers=(outsider, *signers[:2]))
    assert rejections(observer.on_artifact(stranger, subnet.now_ns)) == [
        "a signer is not in the committee"
    ]
    genesis_beacon = observer.chain.beacons[0]
    bad_beacon = RandomBeacon(
        height=1,
        parent=genesis_beacon.id,
        signature=multisig.sign(secrets[signers[0]], beacon_message(1, genesis_beacon.id)),
    )
    assert rejections(observer.on_artifact(bad_beacon, subnet.now_ns)) == [
        "invalid beacon signature"
    ]


def test_both_blocks_of_an_equivocation_arriving_together_are_kept_and_the_maker_disqualified(
    tmp_path: Path,
) -> None:
    subnet, observer, keys = setup(tmp_path)
    maker = keys[1]
    first = sign_proposal(maker, block_at_one(subnet, observer, 1))
    second = sign_proposal(
        maker,
        block_at_one(
            subnet,
            observer,
            1,
            context=ValidationContext(
                registry_version=1, certified_height=0, time_ns=subnet.now_ns + 1
            ),
        ),
    )
    output = observer.on_artifacts([first, second], subnet.now_ns + 1)
    assert [a.signer for a in output.broadcast if isinstance(a, EquivocationProof)] == [
        maker.node_id
    ]
    assert first.id in observer.pool.validated and second.id in observer.pool.validated
    assert maker.node_id in observer.chain.disqualified[1]


def test_a_dealing_must_be_signed_by_the_dealer_it_names(tmp_path: Path) -> None:
    from replica.consensus.artifacts import (
        DealingArtifact,
        DealingSupport,
        SignedDealing,
        compute_dealing_hash,
        dealing_message,
    )

    subnet, observer, keys = setup(tmp_path)
    summary = observer.genesis_cup.content.block.summary
    real = next(iter(observer.dkg_pool.values()))[0]
    checker = observer.dealing_checker
    assert checker.is_valid(summary, real)
    impostor = keys[0] if keys[0].node_id != real.dealer else keys[1]
    forged = SignedDealing(
        dealer=real.dealer,
        dealing=real.dealing,
        signature=impostor.sign(dealing_message(real.dealing)),
    )
    assert not checker.is_valid(summary, forged)
    renamed = SignedDealing(
        dealer=impostor.node_id,
        dealing=real.dealing,
        signature=impostor.sign(dealing_message(real.dealing)),
    )
    assert not checker.is_valid(summary, renamed)  # the dealing names another dealer
    # A forged copy gossiped first does not shadow the real dealing.
    other = list(subnet.nodes.values())[1]
    key = next(k for k, v in observer.dkg_pool.items() if real in v)
    other.dkg_pool[key] = [forged]
    other.on_artifact(DealingArtifact(height=0, tag=key[1], signed=real), subnet.now_ns)  # type: ignore[arg-type]
    assert other.dkg_pool[key] == [forged, real]
    genesis = observer.genesis_cup.content.block
    proof = DealingSupport(
        dealing_hash=compute_dealing_hash(real.dealing), signers=(), signature=b""
    )
    chosen = checker.select(
        summary, set(), {key: other.dkg_pool[key]}, 8, lambda config, signed: proof
    )
    assert chosen == ((real,), (proof,)) and genesis.height == 0
    # Without a support proof at hand the dealing is not chosen.
    assert checker.select(
        summary, set(), {key: other.dkg_pool[key]}, 8, lambda config, signed: None
    ) == ((), ())


def test_a_dealing_is_refused_without_a_support_proof_from_enough_receivers(tmp_path: Path) -> None:
    from replica.consensus.artifacts import (
        DealingSupport,
        compute_dealing_hash,
        dealing_support_message,
    )
    from replica.consensus.dealings import decode_dealing, get_support_threshold

    subnet, observer, keys = setup(tmp_path)
    summary = observer.genesis_cup.content.block.summary
    real = next(iter(observer.dkg_pool.values()))[0]
    dealing = decode_dealing(real.dealing)
    assert dealing is not None
    config = next(c for c in summary.configs if c.tag == dealing.dkg_id.tag)
    needed = get_support_threshold(config)
    assert needed == 3  # n − f = t + f for the low key of four replicas
    dealing_hash = compute_dealing_hash(real.dealing)
    message = dealing_support_message(
        subnet.subnet_id, config.start_height, config.tag, dealing_hash
    )
    receivers = sorted(config.receivers)
    signatures = {node: subnet.configs[node].keys.sign_committee(message) for node in receivers}

    def proof(signers: list[Principal], signed_by: list[Principal] | None = None) -> DealingSupport:
        aggregate = multisig.aggregate([signatures[node] for node in (signed_by or signers)])
        return DealingSupport(
            dealing_hash=dealing_hash, signers=tuple(signers), signature=aggregate
        )

    cases = [
        (DataPayload(dealings=(real,)), ["a dealing without a support proof"]),
        (
            DataPayload(dealings=(real,), supports=(proof(receivers[:2]),)),
            ["an invalid support proof"],
        ),
        (
            DataPayload(dealings=(real,), supports=(proof(receivers[:3], receivers[1:]),)),
            ["an invalid support proof"],
        ),
        (DataPayload(supports=(proof(receivers[:3]),)), ["a support proof without its dealing"]),
        (DataPayload(dealings=(real,), supports=(proof(receivers[:3]),)), []),
    ]
    for offset, (payload, expected) in enumerate(cases, start=1):
        at = subnet.now_ns + offset
        block = block_at_one(
            subnet,
            observer,
            1,
            payload=payload,
            context=ValidationContext(registry_version=1, certified_height=0, time_ns=at),
        )
        proposal = sign_proposal(keys[1], block)
        assert rejections(observer.on_artifact(proposal, at)) == expected, payload
    assert proposal.id in observer.pool.validated


def test_a_receiver_supports_a_dealing_only_if_its_share_checks(tmp_path: Path) -> None:
    from replica.consensus.dealings import (
        compute_dealing_seed,
        compute_dkg_seed,
        decode_dealing,
        make_support_share,
    )
    from replica.crypto import dkg

    subnet, observer, _ = setup(tmp_path)
    summary = observer.genesis_cup.content.block.summary
    real = next(iter(observer.dkg_pool.values()))[0]
    dealing = decode_dealing(real.dealing)
    assert dealing is not None
    config = next(c for c in summary.configs if c.tag == dealing.dkg_id.tag)
    cheated = config.receivers[1]
    dealer_keys = subnet.configs[dealing.dealer].keys
    ephemeral = dkg.derive_ephemeral_private_key(
        compute_dkg_seed(compute_dealing_seed(dealer_keys)), dealing.dkg_id, dealing.dealer
    )
    shares = list(dealing.encrypted_shares)
    shares[1] = dkg.encrypt_share(
        dkg_id=dealing.dkg_id,
        dealer=dealing.dealer,
        receiver=cheated,
        receiver_public_key=subnet.configs[cheated].keys.dealing_public_key,
        ephemeral_private_key=ephemeral,
        share=12345,
    )
    bad_bytes = replace(dealing, encrypted_shares=tuple(shares)).to_bytes()
    bad = replace(real, dealing=bad_bytes, signature=dealer_keys.sign(dealing_message(bad_bytes)))
    assert observer.dealing_checker.is_valid(summary, bad)  # the public part is fine
    for receiver in config.receivers:
        keys = subnet.configs[receiver].keys
        assert (
            make_support_share(subnet_id=subnet.subnet_id, summary=summary, signed=real, keys=keys)
            is not None
        )
        share = make_support_share(
            subnet_id=subnet.subnet_id, summary=summary, signed=bad, keys=keys
        )
        assert (share is None) == (receiver == cheated)


def test_a_forged_support_share_does_not_shadow_the_real_one(tmp_path: Path) -> None:
    from replica.consensus.artifacts import (
        DealingSupportShare,
        compute_dealing_hash,
        dealing_support_message,
    )
    from replica.consensus.dealings import decode_dealing

    subnet, observer, _ = setup(tmp_path)
    real = next(iter(observer.dkg_pool.values()))[0]
    dealing = decode_dealing(real.dealing)
    assert dealing is not None
    signer = next(node for node in subnet.nodes if node != observer.node_id)
    dealing_hash = compute_dealing_hash(real.dealing)
    message = dealing_support_message(subnet.subnet_id, 0, dealing.dkg_id.tag, dealing_hash)
    genuine = DealingSupportShare(
        height=0,
        tag=dealing.dkg_id.tag,
        dealer=dealing.dealer,
        dealing_hash=dealing_hash,
        signer=signer,
        signature=subnet.configs[signer].keys.sign_committee(message),
    )
    forged = replace(genuine, signature=observer.config.keys.sign_committee(message))
    for first, second in ((forged, genuine), (genuine, forged)):
        observer.support_pool.clear()
        observer.on_artifacts([first], subnet.now_ns)
        observer.on_artifacts([second], subnet.now_ns)
        assert (
            observer.support_pool[(0, dealing.dkg_id.tag, dealing_hash)][signer]
            == genuine.signature
        )
