"""Committee multi-signatures and node keys."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_der_public_key

from registry.genesis import make_node_keys
from replica.crypto import bls, multisig
from replica.crypto.keys import NodeSecretKeys, derive_seed, verify_node_signature
from replica.types import Principal

SEED = b"network-seed"


def test_node_keys_are_deterministic_and_self_authenticating() -> None:
    keys = NodeSecretKeys.from_seed(SEED, 3)
    again = NodeSecretKeys.from_seed(SEED, 3)
    public = keys.public_keys()
    assert public == again.public_keys()
    assert public != NodeSecretKeys.from_seed(SEED, 4).public_keys()
    assert keys.node_id == Principal.self_authenticating(public.signing_key_der)
    assert len(public.dealing_public_key) == 32 and len(keys.dealing_private_key) == 32
    assert len(public.committee_public_key) == 96
    assert bls.is_valid_public_key(public.committee_public_key)
    assert multisig.verify_proof_of_possession(
        public.committee_public_key, public.committee_proof_of_possession
    )
    certificate = x509.load_der_x509_certificate(public.tls_certificate_der)
    assert certificate.subject.rfc4514_string() == f"CN={keys.node_id.to_text()}"
    load_der_public_key(public.signing_key_der)


def test_genesis_uses_the_same_derivation() -> None:
    public = NodeSecretKeys.from_seed(SEED, 0).public_keys()
    assert make_node_keys(SEED, 0) == (
        public.signing_key_der,
        public.dealing_public_key,
        public.committee_public_key,
        public.tls_certificate_der,
    )
    assert derive_seed(SEED, "node-signing", 0) != derive_seed(SEED, "node-signing", 1)


def test_node_signatures() -> None:
    keys = NodeSecretKeys.from_seed(SEED, 0)
    der = keys.public_keys().signing_key_der
    signature = keys.sign(b"block proposal")
    assert len(signature) == 64
    assert verify_node_signature(der, b"block proposal", signature)
    assert not verify_node_signature(der, b"other", signature)
    assert not verify_node_signature(der, b"block proposal", signature[:-1])
    assert not verify_node_signature(b"garbage", b"block proposal", signature)
    other = NodeSecretKeys.from_seed(SEED, 1).public_keys().signing_key_der
    assert not verify_node_signature(other, b"block proposal", signature)


def test_committee_multi_signature() -> None:
    nodes = [NodeSecretKeys.from_seed(SEED, index) for index in range(4)]
    message = b"notarize block"
    shares = [node.sign_committee(message) for node in nodes]
    keys = [node.committee_public_key for node in nodes]
    assert all(multisig.verify_individual(k, message, s) for k, s in zip(keys, shares, strict=True))
    signature = multisig.aggregate(shares[:3])
    assert multisig.verify_aggregate(keys[:3], message, signature)
    assert not multisig.verify_aggregate(keys[1:], message, signature)
    assert not multisig.verify_aggregate([keys[0], keys[0], keys[1]], message, signature)
    assert not multisig.verify_aggregate(keys[:3], b"other", signature)


def test_proof_of_possession_is_not_a_message_signature() -> None:
    node = NodeSecretKeys.from_seed(SEED, 0)
    key = node.committee_public_key
    assert not multisig.verify_proof_of_possession(key, node.sign_committee(key))
    assert not multisig.verify_proof_of_possession(key, b"\x00")
    assert not multisig.verify_individual(
        key, key, multisig.proof_of_possession(node.committee_secret)
    )
