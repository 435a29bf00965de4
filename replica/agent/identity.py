"""Identities: who signs a request.

An identity has a principal and signs `"\\x0Aic-request" || request_id`
(IC interface spec, "Authentication"):

- `AnonymousIdentity`: the principal `2vxsx-fae`, no key, no signature;
- `Ed25519Identity`: the default of dfx; `from_pem` reads dfx's
  `identity.pem` (PKCS#8, v1 or v2 with the public key) and `to_pem` writes
  one dfx reads;
- `EcdsaIdentity`: ECDSA over secp256k1 (dfx `--storage-mode plaintext`
  identities made with `dfx identity import` of an `EC PRIVATE KEY`) or P-256,
  signatures as `r || s` with a low `s`;
- `DelegationIdentity`: a session key signing for another key through a chain
  of delegations (Internet Identity's way), created with `delegate`.

The principal of a keyed identity is the self-authenticating id of its DER
public key.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Final, Protocol

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from replica.http.envelope import REQUEST_DOMAIN, Delegation, Envelope, SignedDelegation, request_id
from replica.types import Principal

_SECP256K1_ORDER: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_P256_ORDER: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_ED25519_PKCS8_SEED_PREFIX: Final = bytes.fromhex(
    "0420"
)  # OCTET STRING of 32 bytes inside the private key


class IdentityError(ValueError):
    """A key file that cannot be read as an identity."""


class Identity(Protocol):
    @property
    def principal(self) -> Principal: ...

    @property
    def public_key_der(self) -> bytes | None:
        """The key the replica checks `sender_sig` against (None: anonymous)."""
        ...

    @property
    def delegations(self) -> tuple[SignedDelegation, ...]: ...

    def sign(self, message: bytes) -> bytes: ...


class AnonymousIdentity:
    @property
    def principal(self) -> Principal:
        return Principal.anonymous()

    @property
    def public_key_der(self) -> bytes | None:
        return None

    @property
    def delegations(self) -> tuple[SignedDelegation, ...]:
        return ()

    def sign(self, message: bytes) -> bytes:
        raise IdentityError("the anonymous identity does not sign")


class Ed25519Identity:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self._der = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @classmethod
    def from_seed(cls, seed: bytes) -> Ed25519Identity:
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def generate(cls) -> Ed25519Identity:
        return cls.from_seed(os.urandom(32))

    @classmethod
    def from_pem(cls, pem: str | bytes) -> Ed25519Identity:
        data = pem.encode() if isinstance(pem, str) else pem
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as error:
            seed = _ed25519_seed_from_pkcs8(data)
            if seed is None:
                raise IdentityError(f"not an Ed25519 PEM key: {error}") from error
            return cls.from_seed(seed)
        if not isinstance(key, Ed25519PrivateKey):
            raise IdentityError("the PEM key is not an Ed25519 key")
        return cls(key)

    def to_pem(self) -> str:
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    @property
    def principal(self) -> Principal:
        return Principal.self_authenticating(self._der)

    @property
    def public_key_der(self) -> bytes:
        return self._der

    @property
    def delegations(self) -> tuple[SignedDelegation, ...]:
        return ()

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


def _ed25519_seed_from_pkcs8(pem: bytes) -> bytes | None:
    """The 32-byte seed of a PKCS#8 Ed25519 key that the loader refused (some v2 encodings)."""
    lines = [
        line
        for line in pem.decode(errors="replace").splitlines()
        if line and not line.startswith("-----")
    ]
    try:
        der = base64.b64decode("".join(lines), validate=True)
    except ValueError:
        return None
    at = der.find(bytes.fromhex("06032b6570"))  # the Ed25519 OID
    if at < 0:
        return None
    start = der.find(_ED25519_PKCS8_SEED_PREFIX, at)
    if start < 0 or len(der) < start + 2 + 32:
        return None
    return der[start + 2 : start + 34]


class EcdsaIdentity:
    """ECDSA over secp256k1 or P-256 with SHA-256."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(private_key.curve, ec.SECP256K1 | ec.SECP256R1):
            raise IdentityError("only secp256k1 and P-256 keys are supported")
        self._key = private_key
        self._order = (
            _SECP256K1_ORDER if isinstance(private_key.curve, ec.SECP256K1) else _P256_ORDER
        )
        self._der = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @classmethod
    def generate(cls, curve: str = "secp256k1") -> EcdsaIdentity:
        return cls(
            ec.generate_private_key(ec.SECP256K1() if curve == "secp256k1" else ec.SECP256R1())
        )

    @classmethod
    def from_secret(cls, secret: int, curve: str = "secp256k1") -> EcdsaIdentity:
        return cls(
            ec.derive_private_key(
                secret, ec.SECP256K1() if curve == "secp256k1" else ec.SECP256R1()
            )
        )

    @classmethod
    def from_pem(cls, pem: str | bytes) -> EcdsaIdentity:
        data = pem.encode() if isinstance(pem, str) else pem
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as error:
            raise IdentityError(f"not an EC PEM key: {error}") from error
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise IdentityError("the PEM key is not an EC key")
        return cls(key)

    def to_pem(self) -> str:
        return self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode()

    @property
    def principal(self) -> Principal:
        return Principal.self_authenticating(self._der)

    @property
    def public_key_der(self) -> bytes:
        return self._der

    @property
    def delegations(self) -> tuple[SignedDelegation, ...]:
        return ()

    def sign(self, message: bytes) -> bytes:
        r, s = decode_dss_signature(self._key.sign(message, ec.ECDSA(hashes.SHA256())))
        if s > self._order // 2:
            s = self._order - s
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def identity_from_pem(pem: str | bytes) -> Ed25519Identity | EcdsaIdentity:
    """An identity from a PEM file as dfx writes them (Ed25519 or secp256k1)."""
    try:
        return Ed25519Identity.from_pem(pem)
    except IdentityError:
        return EcdsaIdentity.from_pem(pem)


@dataclass(frozen=True, slots=True)
class DelegationIdentity:
    """A session key that signs for `public_key_der` through `delegations`."""

    session: Ed25519Identity | EcdsaIdentity
    delegations: tuple[SignedDelegation, ...]
    public_key_der: bytes

    @property
    def principal(self) -> Principal:
        return Principal.self_authenticating(self.public_key_der)

    def sign(self, message: bytes) -> bytes:
        return self.session.sign(message)


def delegate(
    delegator: Ed25519Identity | EcdsaIdentity | DelegationIdentity,
    session: Ed25519Identity | EcdsaIdentity,
    *,
    expiration_ns: int,
    targets: tuple[Principal, ...] | None = None,
) -> DelegationIdentity:
    """Let `session` sign for `delegator` until `expiration_ns` (for `targets` only, if given)."""
    delegation = Delegation(
        pubkey=session.public_key_der, expiration_ns=expiration_ns, targets=targets
    )
    signed = SignedDelegation(
        delegation=delegation, signature=delegator.sign(delegation.signed_bytes())
    )
    root_key = delegator.public_key_der
    if root_key is None:
        raise IdentityError("the delegator has no key")
    chain = (*delegator.delegations, signed)
    return DelegationIdentity(session=session, delegations=chain, public_key_der=root_key)


def sign_envelope(identity: Identity, content: dict[str, object]) -> Envelope:
    """The envelope of `content` signed by `identity` (unsigned for the anonymous identity)."""
    public_key = identity.public_key_der
    if public_key is None:
        return Envelope(content=content)
    return Envelope(
        content=content,
        sender_pubkey=public_key,
        sender_sig=identity.sign(REQUEST_DOMAIN + request_id(content)),
        sender_delegation=identity.delegations,
    )
