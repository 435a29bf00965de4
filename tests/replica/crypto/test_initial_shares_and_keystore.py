"""Genesis deals each node only its own shares, encrypted to its key; a node's keys live in its
directory."""

from __future__ import annotations

import stat
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest

from registry.dkg import SeededInitialDkg
from registry.genesis import Genesis, NetworkDescription, SubnetSpec, build_genesis, deal_genesis
from registry.records import (
    SUBNET_LIST_KEY,
    CatchUpPackageContents,
    SubnetListRecord,
    SubnetType,
    catch_up_package_contents_key,
)
from replica.crypto import bls, threshold
from replica.crypto.dkg import DkgId, Transcript
from replica.crypto.errors import DkgError
from replica.crypto.initial_shares import (
    NodeInitialShares,
    compute_initial_secret_share,
    decrypt_initial_share,
    encrypt_initial_share,
)
from replica.crypto.keys import NodeKeyError, NodeSecretKeys
from replica.crypto.keystore import (
    INITIAL_SHARES_FILE,
    KEYS_FILE,
    TLS_CERTIFICATE_FILE,
    TLS_KEY_FILE,
    load_node_directory,
    write_node_directory,
)
from replica.types import Principal

SEED = b"initial-shares-test"
DESCRIPTION = NetworkDescription(
    subnets=(SubnetSpec(size=4, subnet_type=SubnetType.SYSTEM), SubnetSpec(size=3)),
    unassigned_nodes=1,
)
MESSAGE = b"\x0dic-state-root" + bytes(32)


@cache
def genesis() -> Genesis:
    return deal_genesis(DESCRIPTION, SEED)


def keys_of(index: int) -> NodeSecretKeys:
    return NodeSecretKeys.from_seed(SEED, index)


def transcripts(subnet_index: int) -> tuple[Principal, Transcript, Transcript]:
    """(subnet id, low, high) as the registry's catch-up package contents hold them."""
    mutations = genesis().batches[0]
    subnet_list = next(m.value for m in mutations if m.key == SUBNET_LIST_KEY)
    assert isinstance(subnet_list, SubnetListRecord)
    subnet_id = subnet_list.subnets[subnet_index]
    contents = next(m.value for m in mutations if m.key == catch_up_package_contents_key(subnet_id))
    assert isinstance(contents, CatchUpPackageContents)
    low = Transcript.from_initial(contents.low_threshold_transcript, subnet_id=subnet_id, tag="low")
    high = Transcript.from_initial(
        contents.high_threshold_transcript, subnet_id=subnet_id, tag="high"
    )
    return subnet_id, low, high


def test_deal_genesis_builds_the_same_registry_as_the_dealer_it_uses() -> None:
    assert [list(batch) for batch in genesis().batches] == build_genesis(
        DESCRIPTION, SEED, SeededInitialDkg(SEED)
    )


def test_every_member_decrypts_its_own_shares_and_they_sign_with_the_subnet_key() -> None:
    for subnet_index, first_node in ((0, 0), (1, 4)):
        _, low, high = transcripts(subnet_index)
        for transcript in (low, high):
            signatures = {}
            for index in range(first_node, first_node + len(transcript.committee)):
                keys = keys_of(index)
                bundle = genesis().shares_of(keys.node_id)
                share = compute_initial_secret_share(bundle, transcript, keys.dealing_private_key)
                signatures[transcript.index_of(keys.node_id)] = threshold.sign_share(share, MESSAGE)
            chosen = dict(list(signatures.items())[: transcript.threshold])
            signature = threshold.combine_and_verify(transcript.coefficients, MESSAGE, chosen)
            assert signature is not None and bls.verify(transcript.public_key, MESSAGE, signature)


def test_a_node_receives_only_its_own_shares_of_its_own_subnet() -> None:
    unassigned = keys_of(7)
    assert genesis().shares_of(unassigned.node_id).shares == ()
    member = keys_of(0)
    bundle = genesis().shares_of(member.node_id)
    subnet_id, _, _ = transcripts(0)
    assert {(s.dkg_id.subnet_id, s.dkg_id.tag) for s in bundle.shares} == {
        (subnet_id, "low"),
        (subnet_id, "high"),
    }


def test_another_key_another_receiver_or_another_dkg_cannot_open_a_share() -> None:
    _, _, high = transcripts(0)
    owner, other = keys_of(0), keys_of(1)
    bundle = genesis().shares_of(owner.node_id)
    with pytest.raises(DkgError):  # another node's private key
        compute_initial_secret_share(bundle, high, other.dealing_private_key)
    with pytest.raises(DkgError):  # the ciphertext claimed by another receiver (associated data)
        compute_initial_secret_share(
            replace(bundle, node_id=other.node_id), high, other.dealing_private_key
        )
    moved = replace(
        bundle,
        shares=tuple(replace(s, dkg_id=replace(s.dkg_id, start_height=5)) for s in bundle.shares),
    )
    with pytest.raises(DkgError):  # bound to its DKG id: relabelled, it does not decrypt
        decrypt_initial_share(
            moved, replace(high.dkg_id, start_height=5), 0, owner.dealing_private_key
        )
    flipped = tuple(
        replace(s, ciphertext=bytes([s.ciphertext[0] ^ 1]) + s.ciphertext[1:])
        for s in bundle.shares
    )
    with pytest.raises(DkgError):
        compute_initial_secret_share(
            replace(bundle, shares=flipped), high, owner.dealing_private_key
        )
    with pytest.raises(DkgError):  # no share of a DKG it was not dealt
        decrypt_initial_share(
            bundle,
            DkgId(subnet_id=owner.node_id, start_height=0, tag="low"),
            0,
            owner.dealing_private_key,
        )


def test_a_share_that_does_not_match_the_transcript_is_refused() -> None:
    _, _, high = transcripts(0)
    owner = keys_of(0)
    right = compute_initial_secret_share(
        genesis().shares_of(owner.node_id), high, owner.dealing_private_key
    )
    wrong = encrypt_initial_share(
        dkg_id=high.dkg_id,
        registry_version=0,
        receiver=owner.node_id,
        receiver_public_key=owner.dealing_public_key,
        ephemeral_private_key=bytes(range(32)),
        share=(right + 1) % bls.CURVE_ORDER,
    )
    bundle = NodeInitialShares(node_id=owner.node_id, shares=(wrong,))
    assert decrypt_initial_share(bundle, high.dkg_id, 0, owner.dealing_private_key) == right + 1
    with pytest.raises(DkgError, match="does not match"):
        compute_initial_secret_share(bundle, high, owner.dealing_private_key)


def test_initial_shares_encode_canonically_and_reject_other_bytes() -> None:
    bundle = genesis().shares_of(keys_of(2).node_id)
    assert NodeInitialShares.from_bytes(bundle.to_bytes()) == bundle
    for bad in (b"", b"\x80", bundle.to_bytes()[:-1], bundle.to_bytes() + b"\x00"):
        with pytest.raises(DkgError):
            NodeInitialShares.from_bytes(bad)


def test_a_node_directory_round_trips_with_private_files(tmp_path: Path) -> None:
    keys = keys_of(1)
    bundle = genesis().shares_of(keys.node_id)
    directory = tmp_path / "node-1"
    write_node_directory(directory, keys, bundle)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for name in (KEYS_FILE, TLS_KEY_FILE, TLS_CERTIFICATE_FILE, INITIAL_SHARES_FILE):
        assert stat.S_IMODE((directory / name).stat().st_mode) == 0o600
    loaded = load_node_directory(directory)
    assert loaded.keys.public_keys() == keys.public_keys()
    assert loaded.keys.committee_secret == keys.committee_secret
    assert loaded.keys.dealing_private_key == keys.dealing_private_key
    assert loaded.initial_shares == bundle
    assert loaded.tls_key_path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    # Rewriting without shares (an unassigned node) removes the old ones.
    write_node_directory(directory, keys)
    assert load_node_directory(directory).initial_shares is None


def test_loading_refuses_files_others_can_read_and_shares_of_another_node(tmp_path: Path) -> None:
    keys = keys_of(0)
    directory = tmp_path / "node-0"
    write_node_directory(directory, keys, genesis().shares_of(keys.node_id))
    (directory / KEYS_FILE).chmod(0o644)
    with pytest.raises(NodeKeyError, match="0600"):
        load_node_directory(directory)
    (directory / KEYS_FILE).chmod(0o600)
    (directory / INITIAL_SHARES_FILE).write_bytes(
        genesis().shares_of(keys_of(1).node_id).to_bytes()
    )
    with pytest.raises(NodeKeyError, match="shares of"):
        load_node_directory(directory)
    with pytest.raises(NodeKeyError):
        write_node_directory(directory, keys, genesis().shares_of(keys_of(1).node_id))
    with pytest.raises(NodeKeyError, match="cannot open"):
        load_node_directory(tmp_path / "missing")
    (directory / KEYS_FILE).write_bytes(b"\x83\x01\x02\x03")
    with pytest.raises(NodeKeyError):
        load_node_directory(directory)
