"""The secret keys of one node, and the public records it registers.

A node holds four keys (IC interface spec "node keys"; registry `KeyPurpose`):
- an Ed25519 node signing key; the node id is the self-authenticating principal
  of its DER public key, so anybody can check that a node signed what it claims;
  it signs block proposals and query responses;
- an X25519 key under which DKG dealers encrypt this node's shares;
- a BLS12-381 committee signing key (public key: a 96-byte G2 point) for the
  multi-signatures of notarization and finalization;
- an Ed25519 TLS key with a self-signed X.509 certificate whose subject is the
  node id, for node-to-node connections.

Tests and genesis derive all four from a seed and the node's index,
deterministically (`NodeSecretKeys.from_seed`), so a network built from one
seed always has the same nodes (registry genesis uses exactly this
derivation). A node process never sees the seed: it loads its keys from its
own directory (`replica.crypto.keystore`), where they are kept as their raw
secrets (`NodeSecretKeys.from_secrets`, `NodeSecretKeys.secrets`). Signing is
deterministic too (Ed25519 and BLS).
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_der_public_key
from cryptography.x509.oid import NameOID

from replica.crypto import bls, multisig
from replica.crypto.errors import CryptoError
from replica.types import Principal

_CERTIFICATE_NOT_BEFORE: Final = datetime.datetime(2021, 5, 10, tzinfo=datetime.UTC)
_CERTIFICATE_NOT_AFTER: Final = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.UTC)


def derive_seed(seed: bytes, *labels: object) -> bytes:
    """SHA-256(seed ‖ label₁ ‖ 0 ‖ label₂ ‖ 0 …): a 32-byte sub-seed for one purpose."""
    return hashlib.sha256(
        seed + b"".join(str(label).encode() + b"\x00" for label in labels)
    ).digest()


def derive_scalar(seed: bytes, *labels: object) -> int:
    """A non-zero scalar mod the BLS group order, from 64 bytes of SHA-512 (negligible bias)."""
    digest = hashlib.sha512(derive_seed(seed, *labels)).digest()
    return int.from_bytes(digest, "big") % (bls.CURVE_ORDER - 1) + 1


def _raw_private(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def _der(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class NodeKeyError(CryptoError):
    """A node key that cannot be used: malformed bytes, or a key directory that is not the node's
    own."""


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class NodeSecrets:
    """The raw secrets of a node's keys: 32-byte Ed25519 and X25519 private keys, the BLS
    committee secret (a scalar), and the TLS certificate the TLS key signed."""

    signing_key: bytes
    dealing_key: bytes
    committee_secret: int
    tls_key: bytes
    tls_certificate_der: bytes

    def __repr__(self) -> str:
        return "NodeSecrets(<redacted>)"


@dataclass(frozen=True, slots=True, kw_only=True)
class NodePublicKeys:
    """What a node registers: the values of its registry crypto records."""

    node_id: Principal
    signing_key_der: bytes
    dealing_public_key: bytes
    committee_public_key: bytes
    committee_proof_of_possession: bytes
    tls_certificate_der: bytes


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class NodeSecretKeys:
    """The secret keys of one node. Build with `from_secrets` (or `from_seed` in tests and
    genesis)."""

    signing_key: Ed25519PrivateKey
    dealing_key: X25519PrivateKey
    committee_secret: int
    tls_key: Ed25519PrivateKey
    tls_certificate_der: bytes
    signing_key_der: bytes
    dealing_public_key: bytes
    """The raw 32-byte X25519 public key dealers encrypt to."""
    committee_public_key: bytes
    """The 96-byte BLS G2 public key of the committee signing key."""

    @classmethod
    def from_seed(cls, seed: bytes, index: int) -> NodeSecretKeys:
        """The keys of node `index` of the network built from `seed`."""
        signing = Ed25519PrivateKey.from_private_bytes(derive_seed(seed, "node-signing", index))
        signing_der = _der(signing.public_key())
        node_id = Principal.self_authenticating(signing_der)
        tls = Ed25519PrivateKey.from_private_bytes(derive_seed(seed, "tls", index))
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, node_id.to_text())])
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(tls.public_key())
            .serial_number(int.from_bytes(derive_seed(seed, "tls-serial", index)[:16], "big") >> 1)
            .not_valid_before(_CERTIFICATE_NOT_BEFORE)
            .not_valid_after(_CERTIFICATE_NOT_AFTER)
            .sign(tls, algorithm=None)
        )
        return cls.from_secrets(
            NodeSecrets(
                signing_key=derive_seed(seed, "node-signing", index),
                dealing_key=derive_seed(seed, "dkg-dealing", index),
                committee_secret=derive_scalar(seed, "committee-signing", index),
                tls_key=derive_seed(seed, "tls", index),
                tls_certificate_der=certificate.public_bytes(serialization.Encoding.DER),
            )
        )

    @classmethod
    def from_secrets(cls, secrets: NodeSecrets) -> NodeSecretKeys:
        """The keys whose raw secrets are `secrets`; raises NodeKeyError if one is not usable."""
        try:
            signing = Ed25519PrivateKey.from_private_bytes(secrets.signing_key)
            dealing = X25519PrivateKey.from_private_bytes(secrets.dealing_key)
            tls = Ed25519PrivateKey.from_private_bytes(secrets.tls_key)
            committee_public_key = bls.public_key(secrets.committee_secret)
        except (ValueError, CryptoError) as error:
            raise NodeKeyError(f"not a usable node key: {error}") from error
        return cls(
            signing_key=signing,
            dealing_key=dealing,
            committee_secret=secrets.committee_secret % bls.CURVE_ORDER,
            tls_key=tls,
            tls_certificate_der=secrets.tls_certificate_der,
            signing_key_der=_der(signing.public_key()),
            dealing_public_key=dealing.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            ),
            committee_public_key=committee_public_key,
        )

    def secrets(self) -> NodeSecrets:
        """The raw secrets these keys are built from (what a node's key directory stores)."""
        return NodeSecrets(
            signing_key=_raw_private(self.signing_key),
            dealing_key=self.dealing_private_key,
            committee_secret=self.committee_secret,
            tls_key=_raw_private(self.tls_key),
            tls_certificate_der=self.tls_certificate_der,
        )

    @property
    def node_id(self) -> Principal:
        """The self-authenticating principal of the node signing key."""
        return Principal.self_authenticating(self.signing_key_der)

    @property
    def dealing_private_key(self) -> bytes:
        """The raw 32-byte X25519 private key that decrypts this node's DKG shares."""
        return self.dealing_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    def sign(self, message: bytes) -> bytes:
        """An Ed25519 signature (64 bytes) with the node signing key."""
        return self.signing_key.sign(message)

    def sign_committee(self, message: bytes) -> bytes:
        """A BLS multi-signature share (48 bytes) with the committee signing key."""
        return multisig.sign(self.committee_secret, message)

    def public_keys(self) -> NodePublicKeys:
        """The node's public records."""
        return NodePublicKeys(
            node_id=self.node_id,
            signing_key_der=self.signing_key_der,
            dealing_public_key=self.dealing_public_key,
            committee_public_key=self.committee_public_key,
            committee_proof_of_possession=multisig.proof_of_possession(self.committee_secret),
            tls_certificate_der=self.tls_certificate_der,
        )


def verify_node_signature(public_key_der: bytes, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is an Ed25519 signature on `message` under a DER key. Never raises."""
    public_key = _load_ed25519(public_key_der)
    if public_key is None:
        return False
    try:
        public_key.verify(signature, message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


@lru_cache(maxsize=4096)
def _load_ed25519(public_key_der: bytes) -> Ed25519PublicKey | None:
    try:
        key = load_der_public_key(public_key_der)
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, Ed25519PublicKey) else None
