"""DKG: dealings, transcripts, and resharing that keeps the subnet key through membership
changes."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import cbor2
import pytest

from registry.dkg import SeededInitialDkg, compute_fault_tolerance
from replica.crypto import bls, threshold
from replica.crypto.dkg import (
    Dealing,
    DkgConfig,
    DkgId,
    Transcript,
    compute_secret_share,
    create_dealing,
    create_transcript,
    decrypt_share,
    encrypt_share,
    verify_dealing,
)
from replica.crypto.errors import CryptoError, DkgError
from replica.crypto.initial_shares import NodeInitialShares, compute_initial_secret_share
from replica.crypto.keys import NodeSecretKeys
from replica.types import Principal

SEED = b"dkg-test-network"
SUBNET = Principal.self_authenticating(b"subnet")
MESSAGE = b"\x0dic-state-root" + bytes(range(32))


@cache
def node(index: int) -> NodeSecretKeys:
    return NodeSecretKeys.from_seed(SEED, index)


def nodes(indices: range | list[int]) -> tuple[Principal, ...]:
    return tuple(node(i).node_id for i in indices)


KEYS_BY_ID = {node(i).node_id: node(i) for i in range(12)}


def dealing_keys(receivers: tuple[Principal, ...]) -> dict[Principal, bytes]:
    return {r: KEYS_BY_ID[r].dealing_public_key for r in receivers}


def high_threshold(n: int) -> int:
    return n - compute_fault_tolerance(n)


def genesis(members: tuple[Principal, ...]) -> tuple[Transcript, dict[Principal, int]]:
    """The registry's initial high-threshold transcript and every member's share."""
    initial = SeededInitialDkg(SEED)
    result = initial.setup_initial_dkg(members, 0)
    transcript = Transcript.from_initial(result.high_threshold, subnet_id=SUBNET, tag="high")
    assert transcript.public_key_der == result.public_key_der
    dealt = initial.deal_shares(transcript.dkg_id, result.high_threshold, dealing_keys(members))
    shares = {
        m: compute_initial_secret_share(
            NodeInitialShares(node_id=m, shares=(dealt[m],)),
            transcript,
            KEYS_BY_ID[m].dealing_private_key,
        )
        for m in members
    }
    return transcript, shares


def reshare(
    old: Transcript,
    shares: dict[Principal, int],
    receivers: tuple[Principal, ...],
    height: int,
    dealers: tuple[Principal, ...] | None = None,
) -> tuple[Transcript, dict[Principal, int]]:
    config = DkgConfig(
        dkg_id=DkgId(subnet_id=SUBNET, start_height=height, tag="high"),
        dealers=old.committee,
        receivers=receivers,
        threshold=high_threshold(len(receivers)),
        resharing=old,
    )
    dealings = []
    for dealer in dealers if dealers is not None else old.committee:
        dealing = create_dealing(
            config, dealer, shares[dealer], b"seed" + dealer.raw, dealing_keys(receivers)
        )
        verify_dealing(config, dealing)
        dealings.append(dealing)
    transcript = create_transcript(config, dealings)
    new_shares = {
        r: compute_secret_share(transcript, r, KEYS_BY_ID[r].dealing_private_key) for r in receivers
    }
    return transcript, new_shares


def threshold_sign(
    transcript: Transcript, shares: dict[Principal, int], signers: list[Principal]
) -> bytes | None:
    signatures = {transcript.index_of(s): threshold.sign_share(shares[s], MESSAGE) for s in signers}
    return threshold.combine_and_verify(transcript.coefficients, MESSAGE, signatures)


def test_genesis_shares_sign_under_the_registry_key() -> None:
    members = nodes(range(4))
    transcript, shares = genesis(members)
    assert transcript.threshold == 3
    signature = threshold_sign(transcript, shares, list(members[1:]))
    assert signature is not None and bls.verify(transcript.public_key, MESSAGE, signature)
    assert threshold_sign(transcript, shares, list(members[:2])) is None
    with pytest.raises(DkgError):
        compute_secret_share(transcript, members[0], node(0).dealing_private_key)


def test_resharing_keeps_the_public_key_through_membership_changes() -> None:
    committees = [
        [0, 1, 2, 3],  # genesis
        [0, 1, 2, 3, 4],  # add a node
        [0, 2, 3, 4],  # remove a node
        [2, 3, 4, 5],  # add one and remove one at once
        [2, 3, 4, 5, 6, 7, 8],  # grow from 4 to 7
        [4, 6, 7, 9],  # shrink to 4, replacing most of the committee
        [4, 6, 7, 9],  # the same committee again
    ]
    transcript, shares = genesis(nodes(committees[0]))
    subnet_key = transcript.public_key
    for step, members in enumerate(committees[1:], start=1):
        old_committee = transcript.committee
        # Only the old threshold of dealers, not the lowest ones, deal.
        dealers = old_committee[len(old_committee) - transcript.threshold :]
        transcript, shares = reshare(
            transcript, shares, nodes(members), height=10 * step, dealers=dealers
        )
        assert transcript.public_key == subnet_key
        assert transcript.committee == nodes(members)
        assert transcript.threshold == high_threshold(len(members))
        signers = list(transcript.committee[-transcript.threshold :])
        signature = threshold_sign(transcript, shares, signers)
        assert signature is not None and bls.verify(subnet_key, MESSAGE, signature)
        assert threshold_sign(transcript, shares, signers[1:]) is None
        for member in transcript.committee:
            assert bls.public_key(shares[member]) == transcript.share_public_key(
                transcript.index_of(member)
            )
    # Every committee's group signature is the same signature: the key never changed.
    genesis_transcript, genesis_shares = genesis(nodes(committees[0]))
    assert (
        threshold_sign(genesis_transcript, genesis_shares, list(nodes(committees[0])[:3]))
        == signature
    )


def test_fresh_low_threshold_key() -> None:
    members = nodes(range(4))
    config = DkgConfig(
        dkg_id=DkgId(subnet_id=SUBNET, start_height=5, tag="low"),
        dealers=members,
        receivers=members,
        threshold=compute_fault_tolerance(4) + 1,
    )
    dealings = [
        create_dealing(config, d, None, b"fresh", dealing_keys(members)) for d in members[:3]
    ]
    with pytest.raises(DkgError):
        create_transcript(config, dealings[:1])
    transcript = create_transcript(config, dealings)
    assert len(transcript.dealings) == 3 and transcript.threshold == 2
    shares = {
        m: compute_secret_share(transcript, m, KEYS_BY_ID[m].dealing_private_key) for m in members
    }
    signature = threshold_sign(transcript, shares, list(members[2:]))
    assert signature is not None and bls.verify(transcript.public_key, MESSAGE, signature)
    assert threshold_sign(transcript, shares, [members[0]]) is None
    other = create_transcript(config, dealings[:2])
    assert other.public_key != transcript.public_key
    for dealing in dealings:
        for member in members:
            share = decrypt_share(config, dealing, member, KEYS_BY_ID[member].dealing_private_key)
            assert bls.public_key(share) == dealing.public_coefficients.share_public_key(
                config.receiver_index(member)
            )


def _with_bad_share(config: DkgConfig, dealing: Dealing, victim: Principal) -> Dealing:
    """The same dealing re-encrypted under a new ephemeral key, with a wrong share for `victim`."""
    ephemeral = bytes(range(32))
    encrypted = []
    for receiver in config.receivers:
        share = decrypt_share(config, dealing, receiver, KEYS_BY_ID[receiver].dealing_private_key)
        if receiver == victim:
            share = (share + 1) % bls.CURVE_ORDER
        encrypted.append(
            encrypt_share(
                dkg_id=config.dkg_id,
                dealer=dealing.dealer,
                receiver=receiver,
                receiver_public_key=KEYS_BY_ID[receiver].dealing_public_key,
                ephemeral_private_key=ephemeral,
                share=share,
            )
        )
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    public = (
        X25519PrivateKey.from_private_bytes(ephemeral)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    return replace(dealing, encrypted_shares=tuple(encrypted), ephemeral_public_key=public)


def test_a_wrong_share_is_detected_by_its_receiver() -> None:
    members = nodes(range(4))
    old, shares = genesis(members)
    config = DkgConfig(
        dkg_id=DkgId(subnet_id=SUBNET, start_height=10, tag="high"),
        dealers=members,
        receivers=members,
        threshold=3,
        resharing=old,
    )
    honest = [create_dealing(config, d, shares[d], b"s", dealing_keys(members)) for d in members]
    victim = members[2]
    bad = _with_bad_share(config, honest[0], victim)
    verify_dealing(config, bad)  # the public part is fine
    with pytest.raises(DkgError, match="does not match its commitments"):
        decrypt_share(config, bad, victim, KEYS_BY_ID[victim].dealing_private_key)
    for other in members:
        if other != victim:
            decrypt_share(config, bad, other, KEYS_BY_ID[other].dealing_private_key)
    transcript = create_transcript(config, [bad, *honest[1:]])
    with pytest.raises(DkgError, match=str(members[0])):
        compute_secret_share(transcript, victim, KEYS_BY_ID[victim].dealing_private_key)
    compute_secret_share(transcript, members[1], KEYS_BY_ID[members[1]].dealing_private_key)
    # A ciphertext from another dealing does not even decrypt.
    swapped = replace(
        honest[0], encrypted_shares=(honest[1].encrypted_shares[0], *honest[0].encrypted_shares[1:])
    )
    with pytest.raises(DkgError, match="cannot decrypt"):
        decrypt_share(config, swapped, members[0], KEYS_BY_ID[members[0]].dealing_private_key)
    # Nor does a share under another receiver's key.
    with pytest.raises(DkgError):
        decrypt_share(config, honest[0], members[1], KEYS_BY_ID[members[0]].dealing_private_key)


def test_invalid_dealings_are_refused() -> None:
    members = nodes(range(4))
    old, shares = genesis(members)
    config = DkgConfig(
        dkg_id=DkgId(subnet_id=SUBNET, start_height=10, tag="high"),
        dealers=members,
        receivers=nodes(range(1, 5)),
        threshold=3,
        resharing=old,
    )
    keys = dealing_keys(config.receivers)
    dealing = create_dealing(config, members[0], shares[members[0]], b"s", keys)
    verify_dealing(config, dealing)
    fresh_config = replace(config, resharing=None, dealers=members)
    fresh = create_dealing(fresh_config, members[0], None, b"s", keys)
    verify_dealing(fresh_config, fresh)
    with pytest.raises(DkgError, match="reshare"):
        verify_dealing(
            config, replace(fresh, dkg_id=config.dkg_id)
        )  # deals a new secret, not its share
    bad_dealings = [
        replace(dealing, dkg_id=replace(config.dkg_id, start_height=11)),
        replace(dealing, dealer=node(7).node_id),
        replace(dealing, commitments=dealing.commitments[:2]),
        replace(
            dealing, commitments=(dealing.commitments[0], b"\x00" * 96, dealing.commitments[2])
        ),
        replace(dealing, encrypted_shares=dealing.encrypted_shares[:3]),
        replace(dealing, encrypted_shares=(b"x" * 47, *dealing.encrypted_shares[1:])),
        replace(dealing, ephemeral_public_key=b"short"),
    ]
    for bad in bad_dealings:
        with pytest.raises(DkgError):
            verify_dealing(config, bad)
    with pytest.raises(DkgError):
        create_transcript(
            config,
            [
                dealing,
                bad_dealings[3],
                *(create_dealing(config, d, shares[d], b"s", keys) for d in members[1:3]),
            ],
        )
    with pytest.raises(DkgError, match="dealt twice"):
        create_transcript(
            config, [dealing, replace(dealing, ephemeral_public_key=bytes(range(32)))]
        )
    with pytest.raises(DkgError):
        create_dealing(config, members[0], shares[members[0]] + 1, b"s", keys)  # not its share
    with pytest.raises(DkgError):
        create_dealing(config, members[0], None, b"s", keys)
    with pytest.raises(DkgError):
        create_dealing(fresh_config, members[0], 5, b"s", keys)
    with pytest.raises(DkgError):
        create_dealing(config, node(9).node_id, 1, b"s", keys)
    with pytest.raises(DkgError):
        create_dealing(config, members[0], shares[members[0]], b"s", {})
    with pytest.raises(DkgError):
        DkgConfig(
            dkg_id=config.dkg_id,
            dealers=(node(9).node_id,),
            receivers=members,
            threshold=3,
            resharing=old,
        )
    with pytest.raises(DkgError):
        DkgConfig(
            dkg_id=config.dkg_id, dealers=members[:2], receivers=members, threshold=3, resharing=old
        )
    with pytest.raises(DkgError):
        DkgConfig(dkg_id=config.dkg_id, dealers=members, receivers=members, threshold=5)


def test_canonical_encodings_round_trip() -> None:
    members = nodes(range(4))
    old, shares = genesis(members)
    transcript, _ = reshare(old, shares, nodes(range(1, 6)), height=20)
    dealing = transcript.dealings[0]
    assert Dealing.from_bytes(dealing.to_bytes()) == dealing
    assert Transcript.from_bytes(transcript.to_bytes()) == transcript
    assert Transcript.from_bytes(old.to_bytes()) == old
    decoded = Transcript.from_bytes(transcript.to_bytes())
    assert decoded.index_of(transcript.committee[2]) == 2
    non_canonical = cbor2.dumps(dealing.to_cbor()[::-1])
    for data in [b"", b"\xff", non_canonical, cbor2.dumps([1, 2, 3]), dealing.to_bytes()[:-1]]:
        with pytest.raises(DkgError):
            Dealing.from_bytes(data)
        with pytest.raises(DkgError):
            Transcript.from_bytes(data)
    # An indefinite-length array is a second encoding of the same value.
    indefinite = b"\x9f" + dealing.to_bytes()[1:] + b"\xff"
    with pytest.raises(DkgError):
        Dealing.from_bytes(indefinite)
    assert isinstance(DkgError("x"), CryptoError)
