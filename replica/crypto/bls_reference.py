"""The BLS facade's functions, written out over py-ecc.

This is the reference implementation `bls` is held to: the same IC scheme
(signatures in G1, public keys in G2, the same DST), the same ZCash
compressed encodings, the same results byte for byte. py-ecc is pure Python and
slow (a pairing takes about a quarter of a second), so only tests use it.

py-ecc's point decompression checks that a point is on the curve but not that
it lies in the prime-order subgroup; `decode_g1`/`decode_g2` add that check
(r·P must be the point at infinity), as the IC requires. The constants (group
order, DST, DER prefix) are the facade's: one declaration each.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, cast

from py_ecc.bls.g2_primitives import subgroup_check
from py_ecc.bls.hash_to_curve import hash_to_G1
from py_ecc.bls.point_compression import compress_G1, compress_G2, decompress_G1, decompress_G2
from py_ecc.bls.typing import G1Compressed, G2Compressed
from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
from py_ecc.optimized_bls12_381.optimized_curve import (
    G2,
    Z1,
    Z2,
    add,
    is_inf,
    multiply,
    neg,
)
from py_ecc.optimized_bls12_381.optimized_pairing import final_exponentiate, miller_loop

from replica.crypto.bls import CURVE_ORDER, DST, PUBLIC_KEY_DER_PREFIX
from replica.crypto.errors import CryptoError

Point = Any


def hash_to_g1(message: bytes) -> Point:
    return hash_to_G1(message, DST, cast(Any, hashlib.sha256))


def encode_g1(point: Point) -> bytes:
    return int(compress_G1(point)).to_bytes(48, "big")


def encode_g2(point: Point) -> bytes:
    high, low = compress_G2(point)
    return int(high).to_bytes(48, "big") + int(low).to_bytes(48, "big")


def decode_g1(data: bytes) -> Point:
    if len(data) != 48:
        raise CryptoError("a compressed G1 point has 48 bytes")
    try:
        point = decompress_G1(G1Compressed(int.from_bytes(data, "big")))
    except ValueError as error:
        raise CryptoError(f"not a G1 point: {error}") from error
    if not subgroup_check(point):
        raise CryptoError("the G1 point is not in the prime-order subgroup")
    return point


def decode_g2(data: bytes) -> Point:
    if len(data) != 96:
        raise CryptoError("a compressed G2 point has 96 bytes")
    try:
        point = decompress_G2(
            G2Compressed((int.from_bytes(data[:48], "big"), int.from_bytes(data[48:], "big")))
        )
    except ValueError as error:
        raise CryptoError(f"not a G2 point: {error}") from error
    if not subgroup_check(point):
        raise CryptoError("the G2 point is not in the prime-order subgroup")
    return point


def _secret(secret: int) -> int:
    if secret % CURVE_ORDER == 0:
        raise CryptoError("a BLS secret key must be non-zero mod the group order")
    return secret % CURVE_ORDER


def public_key(secret: int) -> bytes:
    return encode_g2(multiply(G2, _secret(secret)))


def sign(secret: int, message: bytes) -> bytes:
    return encode_g1(multiply(hash_to_g1(message), _secret(secret)))


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """e(σ, −G2)·e(H(m), pk) = 1, with one final exponentiation."""
    try:
        key_point = decode_g2(public_key)
        signature_point = decode_g1(signature)
    except CryptoError:
        return False
    if is_inf(key_point):
        return False
    # Never py-ecc's pairing(): its naive final exponentiation is several times slower.
    product = miller_loop(neg(G2), signature_point, False) * miller_loop(
        key_point, hash_to_g1(message), False
    )
    return bool(final_exponentiate(product) == FQ12.one())


def aggregate_signatures(signatures: Sequence[bytes]) -> bytes:
    if not signatures:
        raise CryptoError("nothing to aggregate")
    total = Z1
    for signature in signatures:
        total = add(total, decode_g1(signature))
    return encode_g1(total)


def aggregate_public_keys(public_keys: Sequence[bytes]) -> bytes:
    if not public_keys:
        raise CryptoError("nothing to aggregate")
    total = Z2
    for key in public_keys:
        total = add(total, decode_g2(key))
    return encode_g2(total)


def verify_aggregate(public_keys: Sequence[bytes], message: bytes, signature: bytes) -> bool:
    try:
        aggregate = aggregate_public_keys(public_keys)
    except CryptoError:
        return False
    return verify(aggregate, message, signature)


def g1_linear_combination(points: Sequence[bytes], scalars: Sequence[int]) -> bytes:
    if len(points) != len(scalars):
        raise CryptoError("as many scalars as points are needed")
    total = Z1
    for point, scalar in zip(points, scalars, strict=True):
        total = add(total, multiply(decode_g1(point), scalar % CURVE_ORDER))
    return encode_g1(total)


def g2_linear_combination(points: Sequence[bytes], scalars: Sequence[int]) -> bytes:
    if len(points) != len(scalars):
        raise CryptoError("as many scalars as points are needed")
    total = Z2
    for point, scalar in zip(points, scalars, strict=True):
        total = add(total, multiply(decode_g2(point), scalar % CURVE_ORDER))
    return encode_g2(total)


def public_key_to_der(public_key: bytes) -> bytes:
    if len(public_key) != 96:
        raise CryptoError("a BLS public key has 96 bytes")
    return PUBLIC_KEY_DER_PREFIX + public_key


def public_key_from_der(der: bytes) -> bytes:
    if len(der) != 133 or not der.startswith(PUBLIC_KEY_DER_PREFIX):
        raise CryptoError("not a DER BLS12-381 G2 public key")
    key = der[len(PUBLIC_KEY_DER_PREFIX) :]
    decode_g2(key)
    return key
