"""BLS multi-signatures of a committee, as notarizations and finalizations use.

Every node has its own BLS committee signing key (registered in the registry
under `KeyPurpose.COMMITTEE_SIGNING` as a 96-byte G2 point). Members sign the
same message; the signatures add up to one 48-byte multi-signature that
verifies under the sum of the signers' public keys. Which members signed is
carried next to the signature by the artifact that holds it.

Summing keys is only safe if nobody can register a key crafted from others'
keys (a rogue-key attack); the IC registers a proof of possession with every
committee key. `proof_of_possession` signs the key itself under a distinct DST
so the proof can never be replayed as a signature on a message.
"""

from __future__ import annotations

from collections.abc import Sequence

from replica.crypto import bls


def sign(secret: int, message: bytes) -> bytes:
    """One member's individual signature (48 bytes)."""
    return bls.sign(secret, message)


def verify_individual(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """One member's signature under its committee key. Never raises."""
    return bls.verify(public_key, message, signature)


def aggregate(signatures: Sequence[bytes]) -> bytes:
    """The multi-signature: the sum of individual signatures (CryptoError if empty or malformed)."""
    return bls.aggregate_signatures(signatures)


def verify_aggregate(public_keys: Sequence[bytes], message: bytes, signature: bytes) -> bool:
    """Whether `signature` is the multi-signature of exactly these signers on `message`.

    Never raises; a repeated signer key is refused (each member counts once).
    """
    if len(set(public_keys)) != len(public_keys):
        return False
    return bls.verify_aggregate(public_keys, message, signature)


def proof_of_possession(secret: int) -> bytes:
    """A signature on the public key itself under the proof-of-possession DST."""
    return bls.sign(secret, bls.public_key(secret), dst=bls.POP_DST)


def verify_proof_of_possession(public_key: bytes, proof: bytes) -> bool:
    """Whether `proof` shows knowledge of the secret of `public_key`. Never raises."""
    return bls.verify(public_key, public_key, proof, dst=bls.POP_DST)
