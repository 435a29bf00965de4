"""Distributed key generation for a subnet's threshold keys, with resharing.

A subnet's threshold key is never held in one place. Each interval, consensus
runs two DKGs (spec D.3): a *fresh* low-threshold key (threshold f+1, for the
random beacon and tape) dealt by the members themselves, and the
high-threshold key (n−f, for certification and catch-up packages) *reshared*
by the committee that holds it now to the members of the next interval, so the
subnet's public key stays the same while its membership changes (spec H).

A dealer deals a random polynomial q(x) of degree threshold − 1: it publishes
the Feldman commitments C_k = q_k·G2 and, for each receiver j (0-based, at
x = j + 1), the share q(j + 1) encrypted to the receiver's X25519 dealing key
(an ephemeral X25519 key per dealing, HKDF-SHA256, ChaCha20-Poly1305 with the
DKG id, dealer and receiver as associated data). Anybody can check a dealing's
public part (`verify_dealing`); only receiver j can check its own share, against
the commitments: share·G2 = Σ C_k·(j+1)^k (`decrypt_share`).

A transcript combines enough valid dealings:
- fresh: the sum of the dealings of at least `threshold` dealers (so at least
  one honest dealer contributed randomness); the key is Σ q_d(0);
- resharing: each dealer d of the old committee deals its *current share* s_d
  as q_d(0), which the old transcript's commitments pin down (commitments[0]
  must equal the old share public key of d); `old threshold` such dealings are
  combined with the Lagrange coefficients at zero of the dealers' old indices,
  so the new constant term is Σ λ_d·s_d = the old secret and the public key
  does not change, while n, the committee and the threshold may.

What this leaves out of the IC's NI-DKG (eprint 2021/339): dealings carry no
zero-knowledge proof that the encrypted shares match the commitments, and the
encryption is not forward-secure. A dealer that encrypts a wrong share for a
receiver is caught only by that receiver (`decrypt_share` and
`compute_secret_share` raise `DkgError` naming the dealer); consensus makes up
for the missing proof with support proofs from the receivers
(`replica.consensus.dealings`).

Randomness comes in as a seed; every function is deterministic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol, get_args

import cbor2
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from replica.crypto import bls
from replica.crypto.errors import CryptoError, DkgError
from replica.crypto.threshold import (
    PublicCoefficients,
    evaluate_polynomial,
    lagrange_coefficients_at_zero,
)
from replica.types import Principal

DkgTag = Literal["low", "high"]

SCALAR_BYTES: Final = 32
ENCRYPTED_SHARE_BYTES: Final = SCALAR_BYTES + 16
X25519_KEY_BYTES: Final = 32
TARGET_ID_BYTES: Final = 32
_NONCE: Final = bytes(12)  # each (ephemeral key, receiver) pair derives its own AEAD key
_KDF_INFO: Final = b"icbox-dkg-share-key"
_AAD_DOMAIN: Final = b"icbox-dkg-share"
_COEFFICIENT_DOMAIN: Final = b"icbox-dkg-coefficient"
_EPHEMERAL_DOMAIN: Final = b"icbox-dkg-ephemeral"


@dataclass(frozen=True, slots=True, kw_only=True)
class DkgId:
    """Which DKG: the dealing subnet, the height of the summary block that scheduled it, the tag,
    and for a *remote* DKG (one whose receivers are another subnet's future members, the IC's
    `NiDkgTargetSubnet::Remote`) the 32-byte target id of the request it answers; empty for a
    subnet's own DKGs."""

    subnet_id: Principal
    start_height: int
    tag: DkgTag
    target: bytes = b""

    def __post_init__(self) -> None:
        if self.tag not in get_args(DkgTag):
            raise DkgError(f"a DKG tag is 'low' or 'high', got {self.tag!r}")
        if self.start_height < 0:
            raise DkgError("a DKG's start height is non-negative")
        if self.target and len(self.target) != TARGET_ID_BYTES:
            raise DkgError(f"a remote DKG's target id has {TARGET_ID_BYTES} bytes")

    def __str__(self) -> str:
        remote = f" for target {self.target.hex()[:16]}" if self.target else ""
        return (
            f"the {self.tag}-threshold DKG of subnet {self.subnet_id}{remote} from height "
            f"{self.start_height}"
        )

    def to_cbor(self) -> list[Any]:
        local = [self.subnet_id.raw, self.start_height, self.tag]
        return [*local, self.target] if self.target else local

    @classmethod
    def from_cbor(cls, value: Any) -> DkgId:
        if isinstance(value, list) and len(value) == 4:
            subnet, height, tag, target = value
            if not isinstance(target, bytes) or not target:
                raise DkgError("malformed DKG id: a remote DKG names its target id")
            return cls(
                subnet_id=_principal(subnet), start_height=_natural(height), tag=tag, target=target
            )
        subnet, height, tag = _fields(value, 3, "DKG id")
        return cls(subnet_id=_principal(subnet), start_height=_natural(height), tag=tag)


@dataclass(frozen=True, slots=True, kw_only=True)
class Dealing:
    """One dealer's contribution: commitments to its polynomial and one encrypted share per receiver
    (in the order of the config's receivers)."""

    dkg_id: DkgId
    dealer: Principal
    commitments: tuple[bytes, ...]
    encrypted_shares: tuple[bytes, ...]
    ephemeral_public_key: bytes

    @property
    def public_coefficients(self) -> PublicCoefficients:
        return PublicCoefficients(commitments=self.commitments)

    def to_cbor(self) -> list[Any]:
        return [
            self.dkg_id.to_cbor(),
            self.dealer.raw,
            list(self.commitments),
            list(self.encrypted_shares),
            self.ephemeral_public_key,
        ]

    @classmethod
    def from_cbor(cls, value: Any) -> Dealing:
        dkg_id, dealer, commitments, shares, ephemeral = _fields(value, 5, "dealing")
        try:
            return cls(
                dkg_id=DkgId.from_cbor(dkg_id),
                dealer=_principal(dealer),
                commitments=_byte_strings(commitments, bls.PUBLIC_KEY_BYTES),
                encrypted_shares=_byte_strings(shares, ENCRYPTED_SHARE_BYTES),
                ephemeral_public_key=_bytes(ephemeral, X25519_KEY_BYTES),
            )
        except CryptoError as error:
            raise DkgError(f"malformed dealing: {error}") from error

    def to_bytes(self) -> bytes:
        """The canonical CBOR encoding."""
        return cbor2.dumps(self.to_cbor(), canonical=True)

    @classmethod
    def from_bytes(cls, data: bytes) -> Dealing:
        """Decode a dealing; raises DkgError unless `data` is exactly its canonical encoding."""
        dealing = cls.from_cbor(_decode(data, "dealing"))
        if dealing.to_bytes() != data:
            raise DkgError("the dealing is not canonically encoded")
        return dealing


@dataclass(frozen=True, slots=True, kw_only=True)
class Transcript:
    """A threshold key: its committee (share j belongs to committee[j], at x = j + 1), the public
    coefficients, and the dealings with their weights, from which each member decrypts its share.

    `dealing_weights[d]` is 1 for a fresh DKG and the Lagrange coefficient of dealer d's old
    index for a resharing. An initial transcript (from the registry) has no dealings.
    """

    dkg_id: DkgId
    threshold: int
    committee: tuple[Principal, ...]
    coefficients: PublicCoefficients
    dealings: tuple[Dealing, ...] = ()
    dealing_weights: tuple[int, ...] = ()
    registry_version: int = 0
    _index: dict[Principal, int] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        if self.coefficients.threshold != self.threshold:
            raise DkgError("a transcript has as many commitments as its threshold")
        if not 1 <= self.threshold <= len(self.committee):
            raise DkgError("a transcript's threshold is between 1 and its committee size")
        if len(set(self.committee)) != len(self.committee):
            raise DkgError("a transcript's committee lists each node once")
        if len(self.dealing_weights) != len(self.dealings):
            raise DkgError("a transcript has one weight per dealing")
        self._index.update({node: index for index, node in enumerate(self.committee)})

    @property
    def public_key(self) -> bytes:
        """The 96-byte group public key."""
        return self.coefficients.public_key

    @property
    def public_key_der(self) -> bytes:
        return bls.public_key_to_der(self.public_key)

    def is_member(self, node: Principal) -> bool:
        return node in self._index

    def index_of(self, node: Principal) -> int:
        """The 0-based share index of a committee member."""
        index = self._index.get(node)
        if index is None:
            raise DkgError(f"{node} is not in the committee of {self.dkg_id}")
        return index

    def share_public_key(self, index: int) -> bytes:
        return self.coefficients.share_public_key(index)

    def to_cbor(self) -> list[Any]:
        return [
            self.dkg_id.to_cbor(),
            self.threshold,
            [node.raw for node in self.committee],
            list(self.coefficients.commitments),
            [dealing.to_cbor() for dealing in self.dealings],
            list(self.dealing_weights),
            self.registry_version,
        ]

    @classmethod
    def from_cbor(cls, value: Any) -> Transcript:
        dkg_id, threshold, committee, commitments, dealings, weights, version = _fields(
            value, 7, "transcript"
        )
        if not isinstance(committee, list) or not isinstance(dealings, list):
            raise DkgError("malformed transcript")
        if not isinstance(weights, list):
            raise DkgError("malformed transcript")
        try:
            return cls(
                dkg_id=DkgId.from_cbor(dkg_id),
                threshold=_natural(threshold),
                committee=tuple(_principal(node) for node in committee),
                coefficients=PublicCoefficients(
                    commitments=_byte_strings(commitments, bls.PUBLIC_KEY_BYTES)
                ),
                dealings=tuple(Dealing.from_cbor(dealing) for dealing in dealings),
                dealing_weights=tuple(_scalar(weight) for weight in weights),
                registry_version=_natural(version),
            )
        except DkgError:
            raise
        except CryptoError as error:
            raise DkgError(f"malformed transcript: {error}") from error

    def to_bytes(self) -> bytes:
        """The canonical CBOR encoding."""
        return cbor2.dumps(self.to_cbor(), canonical=True)

    @classmethod
    def from_bytes(cls, data: bytes) -> Transcript:
        """Decode a transcript; raises DkgError unless `data` is exactly its canonical encoding."""
        transcript = cls.from_cbor(_decode(data, "transcript"))
        if transcript.to_bytes() != data:
            raise DkgError("the transcript is not canonically encoded")
        return transcript

    @classmethod
    def from_initial(
        cls,
        initial: InitialTranscriptFields,
        *,
        subnet_id: Principal,
        tag: DkgTag,
        start_height: int = 0,
    ) -> Transcript:
        """The transcript of a registry `InitialDkgTranscript` (CatchUpPackageContents).

        Its `transcript` field is the concatenated compressed G2 commitments. It has no
        dealings: a genesis node receives its share from the initial DKG that made it,
        encrypted to its dealing key (`replica.crypto.initial_shares`).
        """
        try:
            coefficients = PublicCoefficients.from_concatenated(initial.transcript)
            coefficients.validate()
            der_key = bls.public_key_from_der(initial.public_key_der)
        except DkgError:
            raise
        except CryptoError as error:
            raise DkgError(f"malformed initial transcript: {error}") from error
        if der_key != coefficients.public_key:
            raise DkgError("the initial transcript's public key is not its first commitment")
        return cls(
            dkg_id=DkgId(subnet_id=subnet_id, start_height=start_height, tag=tag),
            threshold=initial.threshold,
            committee=tuple(initial.committee),
            coefficients=coefficients,
            registry_version=initial.registry_version,
        )


class InitialTranscriptFields(Protocol):
    """The fields of the registry's `InitialDkgTranscript` a transcript is built from."""

    @property
    def threshold(self) -> int: ...
    @property
    def committee(self) -> tuple[Principal, ...]: ...
    @property
    def registry_version(self) -> int: ...
    @property
    def public_key_der(self) -> bytes: ...
    @property
    def transcript(self) -> bytes: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class DkgConfig:
    """One DKG to run: who deals, who receives (in share order), the threshold of the new key,
    and for a resharing the transcript whose key is reshared (its committee are the dealers)."""

    dkg_id: DkgId
    dealers: tuple[Principal, ...]
    receivers: tuple[Principal, ...]
    threshold: int
    resharing: Transcript | None = None
    registry_version: int = 0

    def __post_init__(self) -> None:
        if not self.receivers or len(set(self.receivers)) != len(self.receivers):
            raise DkgError("a DKG has distinct receivers")
        if not self.dealers or len(set(self.dealers)) != len(self.dealers):
            raise DkgError("a DKG has distinct dealers")
        if not 1 <= self.threshold <= len(self.receivers):
            raise DkgError("the threshold is between 1 and the number of receivers")
        if self.resharing is not None:
            outsiders = [d for d in self.dealers if not self.resharing.is_member(d)]
            if outsiders:
                raise DkgError(f"resharing dealers must hold shares of the old key: {outsiders}")
        if len(self.dealers) < self.collection_threshold:
            raise DkgError("fewer dealers than dealings needed")

    @property
    def collection_threshold(self) -> int:
        """How many valid dealings make a transcript: the old threshold for a resharing, else
        f + 1 of the dealers (f = (dealers − 1) // 3), which guarantees an honest dealer among them
        (the IC's `max_corrupt_dealers + 1`). When the dealers are the receivers, as in a subnet's
        own low-threshold DKG, that is the new threshold f + 1."""
        if self.resharing is not None:
            return self.resharing.threshold
        return (len(self.dealers) - 1) // 3 + 1

    def receiver_index(self, receiver: Principal) -> int:
        try:
            return self.receivers.index(receiver)
        except ValueError:
            raise DkgError(f"{receiver} is not a receiver of {self.dkg_id}") from None


def create_dealing(
    config: DkgConfig,
    dealer: Principal,
    dealer_index_secret: int | None,
    seed: bytes,
    receiver_keys: Mapping[Principal, bytes],
) -> Dealing:
    """`dealer`'s dealing for `config`, its randomness derived from `seed`.

    For a resharing, `dealer_index_secret` is the dealer's current secret share of the
    reshared key (it becomes the constant term); for a fresh DKG it must be None.
    `receiver_keys` maps each receiver to its raw X25519 dealing public key.
    """
    if dealer not in config.dealers:
        raise DkgError(f"{dealer} is not a dealer of {config.dkg_id}")
    base = _dealing_seed(seed, config.dkg_id, dealer)
    random_terms = [_derive_scalar(base, _COEFFICIENT_DOMAIN, k) for k in range(config.threshold)]
    if config.resharing is None:
        if dealer_index_secret is not None:
            raise DkgError("a fresh DKG dealer deals a random secret, not a share")
        polynomial = random_terms
    else:
        if dealer_index_secret is None:
            raise DkgError("a resharing dealer deals its current share")
        old_index = config.resharing.index_of(dealer)
        secret = dealer_index_secret % bls.CURVE_ORDER
        if _commit(secret) != config.resharing.share_public_key(old_index):
            raise DkgError(f"{dealer}'s share does not match the reshared transcript")
        polynomial = [secret, *random_terms[1:]]
    commitments = tuple(_commit(coefficient) for coefficient in polynomial)
    ephemeral = X25519PrivateKey.from_private_bytes(
        derive_ephemeral_private_key(seed, config.dkg_id, dealer)
    )
    ephemeral_public = _raw_public(ephemeral.public_key())
    encrypted = []
    for index, receiver in enumerate(config.receivers):
        receiver_key = receiver_keys.get(receiver)
        if receiver_key is None:
            raise DkgError(f"no dealing encryption key for receiver {receiver}")
        share = evaluate_polynomial(polynomial, index + 1)
        encrypted.append(
            _encrypt(
                ephemeral, ephemeral_public, config.dkg_id, dealer, receiver, receiver_key, share
            )
        )
    return Dealing(
        dkg_id=config.dkg_id,
        dealer=dealer,
        commitments=commitments,
        encrypted_shares=tuple(encrypted),
        ephemeral_public_key=ephemeral_public,
    )


def derive_ephemeral_private_key(seed: bytes, dkg_id: DkgId, dealer: Principal) -> bytes:
    """The raw X25519 ephemeral private key `create_dealing` derives from `seed` for one dealing
    (so a dealer, e.g. the simulator's Byzantine one, can re-encrypt a share of its own dealing)."""
    return hashlib.sha256(_EPHEMERAL_DOMAIN + _dealing_seed(seed, dkg_id, dealer)).digest()


def verify_dealing(config: DkgConfig, dealing: Dealing) -> None:
    """Raise DkgError unless the public part of `dealing` is valid for `config`.

    Checks the DKG id, that the dealer is a dealer, one commitment per coefficient, each a
    G2 point in the subgroup, one well-sized ciphertext per receiver, and for a resharing
    that the dealt constant term is the dealer's share of the old key.
    """
    if dealing.dkg_id != config.dkg_id:
        raise DkgError(f"the dealing is for {dealing.dkg_id}, not {config.dkg_id}")
    if dealing.dealer not in config.dealers:
        raise DkgError(f"{dealing.dealer} is not a dealer of {config.dkg_id}")
    if len(dealing.commitments) != config.threshold:
        raise DkgError(
            f"a dealing has {config.threshold} commitments, got {len(dealing.commitments)}"
        )
    try:
        dealing.public_coefficients.validate()
    except CryptoError as error:
        raise DkgError(f"{dealing.dealer}'s dealing has an invalid commitment: {error}") from error
    if len(dealing.encrypted_shares) != len(config.receivers):
        raise DkgError("a dealing has one encrypted share per receiver")
    if any(len(share) != ENCRYPTED_SHARE_BYTES for share in dealing.encrypted_shares):
        raise DkgError(f"an encrypted share has {ENCRYPTED_SHARE_BYTES} bytes")
    if len(dealing.ephemeral_public_key) != X25519_KEY_BYTES:
        raise DkgError("the ephemeral key is a 32-byte X25519 public key")
    if config.resharing is None:
        if dealing.commitments[0] == bls.G2_IDENTITY:
            raise DkgError("a fresh dealing must contribute a non-zero secret")
    else:
        expected = config.resharing.share_public_key(config.resharing.index_of(dealing.dealer))
        if dealing.commitments[0] != expected:
            raise DkgError(f"{dealing.dealer} does not reshare its share of the old key")


def decrypt_share(
    config: DkgConfig, dealing: Dealing, receiver: Principal, x25519_private: bytes
) -> int:
    """`receiver`'s share of `dealing`, checked against the dealing's commitments."""
    index = config.receiver_index(receiver)
    if len(dealing.encrypted_shares) != len(config.receivers):
        raise DkgError("a dealing has one encrypted share per receiver")
    share = _decrypt(dealing, receiver, index, x25519_private)
    _check_share(dealing, receiver, index, share)
    return share


def create_transcript(config: DkgConfig, dealings: Sequence[Dealing]) -> Transcript:
    """Combine valid dealings into the new key (see the module docstring).

    Every dealing must be valid for `config`, one per dealer; raises DkgError if one is not
    or there are fewer than `config.collection_threshold`. A fresh transcript sums all of
    them; a resharing combines the `old threshold` dealings of the lowest old indices.
    """
    by_dealer: dict[Principal, Dealing] = {}
    for dealing in dealings:
        if dealing.dealer in by_dealer and by_dealer[dealing.dealer] != dealing:
            raise DkgError(f"{dealing.dealer} dealt twice")
        verify_dealing(config, dealing)
        by_dealer[dealing.dealer] = dealing
    if len(by_dealer) < config.collection_threshold:
        raise DkgError(
            f"{config.collection_threshold} dealings are needed for {config.dkg_id}, got "
            f"{len(by_dealer)}"
        )
    if config.resharing is None:
        chosen = [by_dealer[d] for d in config.dealers if d in by_dealer]
        weights = [1] * len(chosen)
    else:
        old = config.resharing
        ranked = sorted(by_dealer.values(), key=lambda dealing: old.index_of(dealing.dealer))
        chosen = ranked[: old.threshold]
        weights = lagrange_coefficients_at_zero([old.index_of(d.dealer) for d in chosen])
    commitments = tuple(
        bls.g2_linear_combination([dealing.commitments[k] for dealing in chosen], weights)
        for k in range(config.threshold)
    )
    if config.resharing is not None and commitments[0] != config.resharing.public_key:
        raise DkgError("the reshared key differs from the old key")
    return Transcript(
        dkg_id=config.dkg_id,
        threshold=config.threshold,
        committee=config.receivers,
        coefficients=PublicCoefficients(commitments=commitments),
        dealings=tuple(chosen),
        dealing_weights=tuple(weights),
        registry_version=config.registry_version,
    )


def compute_secret_share(transcript: Transcript, receiver: Principal, x25519_private: bytes) -> int:
    """`receiver`'s secret share of the transcript's key, checked against the transcript.

    Decrypts and combines first and checks once (share·G2 against the share public key);
    only when that fails checks each dealing, to name the dealer that dealt a bad share.
    """
    if not transcript.dealings:
        raise DkgError(
            "an initial transcript has no dealings; its shares come encrypted from the initial DKG "
            "(replica.crypto.initial_shares.compute_initial_secret_share)"
        )
    index = transcript.index_of(receiver)
    shares = [_decrypt(dealing, receiver, index, x25519_private) for dealing in transcript.dealings]
    secret = (
        sum(w * s for w, s in zip(transcript.dealing_weights, shares, strict=True))
        % bls.CURVE_ORDER
    )
    if _commit(secret) == transcript.share_public_key(index):
        return secret
    for dealing, share in zip(transcript.dealings, shares, strict=True):
        _check_share(dealing, receiver, index, share)
    raise DkgError(f"{receiver}'s combined share does not match the transcript")


# Encryption of shares.


def _dealing_seed(seed: bytes, dkg_id: DkgId, dealer: Principal) -> bytes:
    material = cbor2.dumps(
        [b"icbox-dkg-dealing", seed, dkg_id.to_cbor(), dealer.raw], canonical=True
    )
    return hashlib.sha256(material).digest()


def _derive_scalar(base: bytes, domain: bytes, counter: int) -> int:
    digest = hashlib.sha512(domain + base + counter.to_bytes(4, "big")).digest()
    return int.from_bytes(digest, "big") % (bls.CURVE_ORDER - 1) + 1


def _commit(scalar: int) -> bytes:
    """scalar·G2, including the identity for zero."""
    scalar %= bls.CURVE_ORDER
    return bls.G2_IDENTITY if scalar == 0 else bls.public_key(scalar)


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _share_key(
    private: X25519PrivateKey, peer_public: bytes, ephemeral_public: bytes, receiver_public: bytes
) -> bytes:
    """HKDF-SHA256 of the X25519 secret shared by the ephemeral key and the receiver's key,
    bound to both public keys. Either side computes it: the dealer with the ephemeral private
    key and the receiver's public key, the receiver the other way round."""
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(peer_public))
    except ValueError as error:
        raise DkgError(f"not a usable X25519 public key: {error}") from error
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=_KDF_INFO + ephemeral_public + receiver_public,
    ).derive(shared)


def encrypt_share(
    *,
    dkg_id: DkgId,
    dealer: Principal,
    receiver: Principal,
    receiver_public_key: bytes,
    ephemeral_private_key: bytes,
    share: int,
) -> bytes:
    """One receiver's ciphertext of a dealing whose ephemeral X25519 key is given (48 bytes).

    `create_dealing` encrypts this way; it is public so that tests and the simulator's
    Byzantine dealers can build dealings that carry a chosen share.
    """
    try:
        ephemeral = X25519PrivateKey.from_private_bytes(ephemeral_private_key)
    except ValueError as error:
        raise DkgError(f"not an X25519 private key: {error}") from error
    ephemeral_public = _raw_public(ephemeral.public_key())
    return _encrypt(
        ephemeral, ephemeral_public, dkg_id, dealer, receiver, receiver_public_key, share
    )


def _encrypt(
    ephemeral: X25519PrivateKey,
    ephemeral_public: bytes,
    dkg_id: DkgId,
    dealer: Principal,
    receiver: Principal,
    receiver_public: bytes,
    share: int,
) -> bytes:
    if not 0 <= share < bls.CURVE_ORDER:
        raise DkgError("a share is a scalar below the group order")
    key = _share_key(ephemeral, receiver_public, ephemeral_public, receiver_public)
    aad = _associated_data(dkg_id, dealer, receiver)
    return ChaCha20Poly1305(key).encrypt(_NONCE, share.to_bytes(SCALAR_BYTES, "big"), aad)


def _associated_data(dkg_id: DkgId, dealer: Principal, receiver: Principal) -> bytes:
    return cbor2.dumps([_AAD_DOMAIN, dkg_id.to_cbor(), dealer.raw, receiver.raw], canonical=True)


def _decrypt(dealing: Dealing, receiver: Principal, index: int, x25519_private: bytes) -> int:
    if not 0 <= index < len(dealing.encrypted_shares):
        raise DkgError(f"{dealing.dealer}'s dealing has no share for {receiver}")
    return decrypt_share_ciphertext(
        dkg_id=dealing.dkg_id,
        dealer=dealing.dealer,
        receiver=receiver,
        ephemeral_public_key=dealing.ephemeral_public_key,
        ciphertext=dealing.encrypted_shares[index],
        x25519_private=x25519_private,
    )


def decrypt_share_ciphertext(
    *,
    dkg_id: DkgId,
    dealer: Principal,
    receiver: Principal,
    ephemeral_public_key: bytes,
    ciphertext: bytes,
    x25519_private: bytes,
) -> int:
    """The share `encrypt_share` encrypted for `receiver`, decrypted with its X25519 private key.

    Raises DkgError if the ciphertext was not made for this DKG id, dealer and receiver (the
    associated data binds them), was altered, or holds a value that is not a scalar.
    """
    try:
        private = X25519PrivateKey.from_private_bytes(x25519_private)
    except ValueError as error:
        raise DkgError(f"not an X25519 private key: {error}") from error
    receiver_public = _raw_public(private.public_key())
    key = _share_key(private, ephemeral_public_key, ephemeral_public_key, receiver_public)
    aad = _associated_data(dkg_id, dealer, receiver)
    try:
        plaintext = ChaCha20Poly1305(key).decrypt(_NONCE, ciphertext, aad)
    except InvalidTag as error:
        raise DkgError(f"{receiver} cannot decrypt its share of {dealer}'s dealing") from error
    share = int.from_bytes(plaintext, "big")
    if len(plaintext) != SCALAR_BYTES or share >= bls.CURVE_ORDER:
        raise DkgError(f"{dealer} dealt {receiver} a share out of range")
    return share


def _check_share(dealing: Dealing, receiver: Principal, index: int, share: int) -> None:
    try:
        expected = dealing.public_coefficients.share_public_key(index)
    except CryptoError as error:
        raise DkgError(f"{dealing.dealer}'s dealing has an invalid commitment: {error}") from error
    if _commit(share) != expected:
        raise DkgError(
            f"{dealing.dealer} dealt {receiver} a share that does not match its commitments"
        )


# Decoding.


def _decode(data: bytes, what: str) -> Any:
    if not isinstance(data, bytes):
        raise DkgError(f"a {what} is decoded from bytes")
    try:
        return cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError) as error:
        raise DkgError(f"malformed {what}: {error}") from error


def _fields(value: Any, count: int, what: str) -> list[Any]:
    if not isinstance(value, list) or len(value) != count:
        raise DkgError(f"a {what} is a CBOR array of {count} items")
    return value


def _principal(value: Any) -> Principal:
    if not isinstance(value, bytes):
        raise DkgError("a principal is a byte string")
    try:
        return Principal(value)
    except ValueError as error:
        raise DkgError(str(error)) from error


def _natural(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise DkgError("expected a natural number")
    return value


def _scalar(value: Any) -> int:
    if _natural(value) >= bls.CURVE_ORDER:
        raise DkgError("a scalar is below the group order")
    return int(value)


def _bytes(value: Any, size: int) -> bytes:
    if not isinstance(value, bytes) or len(value) != size:
        raise DkgError(f"expected {size} bytes")
    return value


def _byte_strings(value: Any, size: int) -> tuple[bytes, ...]:
    if not isinstance(value, list):
        raise DkgError("expected an array of byte strings")
    return tuple(_bytes(item, size) for item in value)
