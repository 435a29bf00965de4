"""The default identity: an Ed25519 key in a PEM file that dfx reads too.

dfx keeps `identity.pem` as a PKCS#8 Ed25519 private key; the principal is the
self-authenticating id of the DER (SubjectPublicKeyInfo) public key, as in
dfx and the IC agents.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from replica.types import Principal


def create_identity(path: Path) -> Principal:
    """Write a new identity to `path` (owner-readable only) unless one is there; its principal."""
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_bytes(pem)
    return identity_principal(path)


def identity_principal(path: Path) -> Principal:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 key")
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return Principal.self_authenticating(der)
