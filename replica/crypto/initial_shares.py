"""A node's secret shares of its subnet's initial threshold keys, encrypted to its own key.

The first transcripts of a subnet (genesis, or a subnet the registry creates or
recovers) are not made by the subnet's own DKG: an initial DKG deals them
(spec B `setup_initial_dkg`; on the IC a remote NI-DKG, here the trusted dealer
of `registry.dkg`, which only the process that creates the network holds).
The public part, the Feldman commitments, goes to the registry's catch-up
package contents. Each member's share goes to that member alone, encrypted as a
DKG dealing encrypts it (`replica.crypto.dkg.encrypt_share`: an ephemeral X25519
key per transcript, HKDF-SHA256, ChaCha20-Poly1305 with the DKG id, the dealer
and the receiver as associated data) under the member's registered X25519
dealing key. A node therefore needs only its own dealing private key to recover
its shares, and a share handed to the wrong node, for the wrong subnet, tag or
height, or altered on the way, fails to decrypt.

`NodeInitialShares` is what one node receives: the ciphertexts of its shares of
every initial transcript it is a member of. It encodes as canonical CBOR
(`to_bytes`/`from_bytes`), so the network's creator can write it into the node's
own directory (`replica.crypto.keystore`). `compute_initial_secret_share`
decrypts one share and checks it against the transcript's commitments.

The dealer is named in the associated data; initial transcripts name the
management canister (`aaaaa-aa`), whose `setup_initial_dkg` deals them on the IC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import cbor2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from replica.crypto import bls
from replica.crypto.dkg import (
    ENCRYPTED_SHARE_BYTES,
    X25519_KEY_BYTES,
    DkgId,
    Transcript,
    decrypt_share_ciphertext,
    encrypt_share,
)
from replica.crypto.errors import CryptoError, DkgError
from replica.types import Principal

INITIAL_DEALER: Final = Principal.management_canister()
"""The dealer the ciphertexts of initial shares name: the management canister."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InitialShareCiphertext:
    """One node's share of one initial transcript, encrypted to the node's dealing key."""

    dkg_id: DkgId
    registry_version: int
    """The registry version of the transcript (`InitialDkgTranscript.registry_version`)."""
    ephemeral_public_key: bytes
    ciphertext: bytes

    def to_cbor(self) -> list[Any]:
        return [
            self.dkg_id.to_cbor(),
            self.registry_version,
            self.ephemeral_public_key,
            self.ciphertext,
        ]

    @classmethod
    def from_cbor(cls, value: Any) -> InitialShareCiphertext:
        if not isinstance(value, list) or len(value) != 4:
            raise DkgError("an initial share is a CBOR array of 4 items")
        dkg_id, version, ephemeral, ciphertext = value
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise DkgError("an initial share's registry version is a natural number")
        if not isinstance(ephemeral, bytes) or len(ephemeral) != X25519_KEY_BYTES:
            raise DkgError(f"an initial share's ephemeral key has {X25519_KEY_BYTES} bytes")
        if not isinstance(ciphertext, bytes) or len(ciphertext) != ENCRYPTED_SHARE_BYTES:
            raise DkgError(f"an encrypted share has {ENCRYPTED_SHARE_BYTES} bytes")
        return cls(
            dkg_id=DkgId.from_cbor(dkg_id),
            registry_version=version,
            ephemeral_public_key=ephemeral,
            ciphertext=ciphertext,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeInitialShares:
    """Everything one node receives of the initial DKGs: its own encrypted shares, nothing else."""

    node_id: Principal
    shares: tuple[InitialShareCiphertext, ...] = ()

    def find(self, dkg_id: DkgId, registry_version: int) -> InitialShareCiphertext | None:
        """The ciphertext of this node's share of the initial transcript `dkg_id` at that
        version."""
        for share in self.shares:
            if share.dkg_id == dkg_id and share.registry_version == registry_version:
                return share
        return None

    def to_bytes(self) -> bytes:
        """The canonical CBOR encoding."""
        value = [self.node_id.raw, [share.to_cbor() for share in self.shares]]
        return cbor2.dumps(value, canonical=True)

    @classmethod
    def from_bytes(cls, data: bytes) -> NodeInitialShares:
        """Decode a bundle; raises DkgError unless `data` is exactly its canonical encoding."""
        try:
            value = cbor2.loads(data)
        except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError) as error:
            raise DkgError(f"malformed initial shares: {error}") from error
        if not isinstance(value, list) or len(value) != 2:
            raise DkgError("initial shares are a CBOR array of 2 items")
        node, shares = value
        if not isinstance(node, bytes) or not isinstance(shares, list):
            raise DkgError("malformed initial shares")
        try:
            bundle = cls(
                node_id=Principal(node),
                shares=tuple(InitialShareCiphertext.from_cbor(share) for share in shares),
            )
        except ValueError as error:
            raise DkgError(f"malformed initial shares: {error}") from error
        if bundle.to_bytes() != data:
            raise DkgError("the initial shares are not canonically encoded")
        return bundle


def encrypt_initial_share(
    *,
    dkg_id: DkgId,
    registry_version: int,
    receiver: Principal,
    receiver_public_key: bytes,
    ephemeral_private_key: bytes,
    share: int,
) -> InitialShareCiphertext:
    """The dealer's side: `receiver`'s share of an initial transcript, encrypted to its dealing key.

    `ephemeral_private_key` is the dealer's raw X25519 key for this transcript (one per
    transcript, shared by its receivers, as in a dealing).
    """
    ciphertext = encrypt_share(
        dkg_id=dkg_id,
        dealer=INITIAL_DEALER,
        receiver=receiver,
        receiver_public_key=receiver_public_key,
        ephemeral_private_key=ephemeral_private_key,
        share=share,
    )
    try:
        ephemeral = X25519PrivateKey.from_private_bytes(ephemeral_private_key)
    except ValueError as error:
        raise DkgError(f"not an X25519 private key: {error}") from error
    ephemeral_public = ephemeral.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return InitialShareCiphertext(
        dkg_id=dkg_id,
        registry_version=registry_version,
        ephemeral_public_key=ephemeral_public,
        ciphertext=ciphertext,
    )


def decrypt_initial_share(
    shares: NodeInitialShares, dkg_id: DkgId, registry_version: int, x25519_private: bytes
) -> int:
    """This node's share of the initial transcript `dkg_id`, decrypted but not checked against
    the transcript (`compute_initial_secret_share` checks it). Raises DkgError."""
    ciphertext = shares.find(dkg_id, registry_version)
    if ciphertext is None:
        raise DkgError(f"{shares.node_id} holds no initial share of {dkg_id}")
    return decrypt_share_ciphertext(
        dkg_id=ciphertext.dkg_id,
        dealer=INITIAL_DEALER,
        receiver=shares.node_id,
        ephemeral_public_key=ciphertext.ephemeral_public_key,
        ciphertext=ciphertext.ciphertext,
        x25519_private=x25519_private,
    )


def compute_initial_secret_share(
    shares: NodeInitialShares, transcript: Transcript, x25519_private: bytes
) -> int:
    """This node's secret share of an initial transcript, decrypted and checked.

    Raises DkgError if the node is not in the transcript's committee, holds no share of it,
    cannot decrypt it, or the share does not match the transcript's commitments.
    """
    if transcript.dealings:
        raise DkgError("a transcript with dealings is not an initial transcript")
    index = transcript.index_of(shares.node_id)
    share = decrypt_initial_share(
        shares, transcript.dkg_id, transcript.registry_version, x25519_private
    )
    try:
        expected = transcript.share_public_key(index)
    except CryptoError as error:
        raise DkgError(
            f"the initial transcript {transcript.dkg_id} is malformed: {error}"
        ) from error
    if share == 0 or bls.public_key(share) != expected:
        raise DkgError(f"the initial share of {shares.node_id} does not match {transcript.dkg_id}")
    return share
