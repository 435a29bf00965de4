"""Threshold BLS signatures: t of n shares make the group's signature.

A group secret a0 is the constant term of a polynomial p(x) = a0 + a1·x + … +
a_{t-1}·x^{t-1} over the scalar field. Member i (0-based) holds the share
p(i + 1); the Feldman commitments C_k = a_k·G2 are public, so anybody can
derive the public key of any share, Σ C_k·(i+1)^k, and the group public key is
C_0. A member signs with its share exactly as with an ordinary BLS key; any t
valid signature shares interpolate, with Lagrange coefficients at x = 0, to
a0·H(m), the unique group signature, whichever t members signed.

Verification follows the optimistic path the IC takes: combine the first t
shares and verify the result once against the group key; only if that fails,
verify each share on its own, drop the invalid ones, and combine again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from replica.crypto import bls
from replica.crypto.errors import CryptoError

_SHARE_KEY_CACHE_SIZE: Final = 65536


@dataclass(frozen=True, slots=True, kw_only=True)
class PublicCoefficients:
    """The Feldman commitments of a sharing polynomial, C_k = a_k·G2 (compressed)."""

    commitments: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if not self.commitments:
            raise CryptoError("public coefficients need at least one commitment")
        if any(
            not isinstance(c, bytes) or len(c) != bls.PUBLIC_KEY_BYTES for c in self.commitments
        ):
            raise CryptoError(f"each commitment is a {bls.PUBLIC_KEY_BYTES}-byte G2 point")

    @property
    def threshold(self) -> int:
        """How many shares make a signature: the number of coefficients."""
        return len(self.commitments)

    @property
    def public_key(self) -> bytes:
        """The group public key C_0."""
        return self.commitments[0]

    def share_public_key(self, index: int) -> bytes:
        """The public key of share `index` (0-based): Σ C_k·(index+1)^k. Cached."""
        if index < 0:
            raise CryptoError(f"share indices are non-negative, got {index}")
        return _share_public_key(self.commitments, index)

    def validate(self) -> None:
        """Raise CryptoError unless every commitment is a G2 point in the subgroup."""
        for commitment in self.commitments:
            bls.decode_g2(commitment)

    @classmethod
    def from_concatenated(cls, data: bytes) -> PublicCoefficients:
        """Commitments given as concatenated 96-byte compressed points."""
        size = bls.PUBLIC_KEY_BYTES
        if not data or len(data) % size:
            raise CryptoError(f"concatenated commitments are a non-empty multiple of {size} bytes")
        return cls(commitments=tuple(data[i : i + size] for i in range(0, len(data), size)))


@lru_cache(maxsize=_SHARE_KEY_CACHE_SIZE)
def _share_public_key(commitments: tuple[bytes, ...], index: int) -> bytes:
    x = index + 1
    return bls.g2_linear_combination(commitments, powers(x, len(commitments)))


def clear_caches() -> None:
    """Empty the memos of share public keys and Lagrange coefficients, and the BLS facade's."""
    _share_public_key.cache_clear()
    _lagrange_coefficients_at_zero.cache_clear()
    bls.clear_caches()


def powers(x: int, count: int) -> list[int]:
    """[1, x, x², …] mod the group order, `count` of them."""
    result, value = [], 1
    for _ in range(count):
        result.append(value)
        value = value * x % bls.CURVE_ORDER
    return result


def evaluate_polynomial(coefficients: Sequence[int], x: int) -> int:
    """p(x) mod the group order, by Horner's rule."""
    value = 0
    for coefficient in reversed(coefficients):
        value = (value * x + coefficient) % bls.CURVE_ORDER
    return value


def lagrange_coefficients_at_zero(indices: Iterable[int]) -> list[int]:
    """λ_i = Π_{j≠i} x_j / (x_j − x_i) mod r for shares at x = index + 1.

    Σ λ_i·p(x_i) = p(0) for every polynomial of degree below the number of indices.
    """
    return list(_lagrange_coefficients_at_zero(tuple(indices)))


@lru_cache(maxsize=4096)
def _lagrange_coefficients_at_zero(indices: tuple[int, ...]) -> tuple[int, ...]:
    # Cached: the same signer sets recur round after round.
    xs = [index + 1 for index in indices]
    if any(x <= 0 for x in xs):
        raise CryptoError("share indices are non-negative")
    if len(set(xs)) != len(xs):
        raise CryptoError("share indices must be distinct")
    order = bls.CURVE_ORDER
    coefficients = []
    for i, x_i in enumerate(xs):
        numerator, denominator = 1, 1
        for j, x_j in enumerate(xs):
            if i != j:
                numerator = numerator * x_j % order
                denominator = denominator * (x_j - x_i) % order
        coefficients.append(numerator * pow(denominator, -1, order) % order)
    return tuple(coefficients)


def sign_share(secret_share: int, message: bytes) -> bytes:
    """A signature share: the share's BLS signature on the message (48 bytes)."""
    return bls.sign(secret_share, message)


def verify_share(
    coefficients: PublicCoefficients, index: int, message: bytes, share: bytes
) -> bool:
    """Whether `share` is member `index`'s signature share on `message`. Never raises."""
    if index < 0:
        return False
    try:
        key = coefficients.share_public_key(index)
    except CryptoError:
        return False
    return bls.verify(key, message, share)


def combine_shares(shares: Mapping[int, bytes], threshold: int) -> bytes:
    """Interpolate the group signature from the `threshold` lowest-indexed shares.

    Does not verify anything; raises CryptoError with fewer than `threshold`
    shares or on a malformed point.
    """
    if threshold < 1:
        raise CryptoError("the threshold is at least 1")
    if len(shares) < threshold:
        raise CryptoError(f"{threshold} signature shares are needed, got {len(shares)}")
    indices = sorted(shares)[:threshold]
    return bls.g1_linear_combination(
        [shares[index] for index in indices], lagrange_coefficients_at_zero(indices)
    )


def combine_and_verify(
    coefficients: PublicCoefficients, message: bytes, shares: Mapping[int, bytes]
) -> bytes | None:
    """The verified group signature from `shares`, or None if too few are valid.

    Combines first and verifies once; only when that fails verifies each share,
    drops the invalid ones and combines the rest. Never raises on bad shares.
    """
    threshold = coefficients.threshold
    if len(shares) < threshold:
        return None
    try:
        signature = combine_shares(shares, threshold)
    except CryptoError:
        signature = None
    if signature is not None and bls.verify(coefficients.public_key, message, signature):
        return signature
    valid = {
        index: share
        for index, share in shares.items()
        if verify_share(coefficients, index, message, share)
    }
    if len(valid) < threshold:
        return None
    signature = combine_shares(valid, threshold)
    if not bls.verify(coefficients.public_key, message, signature):
        return None
    return signature
