"""BLS12-381 signatures in the Internet Computer's form.

The IC signs with BLS over the pairing-friendly curve BLS12-381 in its
"minimal signature" variant: a signature is a point of G1 (48 bytes
compressed), a public key a point of G2 (96 bytes compressed), and a message
is hashed to G1 with the RFC 9380 suite `BLS12381G1_XMD:SHA-256_SSWU_RO_`
under the domain separation tag `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_`.
A secret key is a scalar s mod the group order r; its public key is s·G2, its
signature on m is s·H(m), and a signature σ verifies when
e(σ, G2) = e(H(m), pk), checked as e(σ, −G2)·e(H(m), pk) = 1.

Because the scheme is linear, signatures and public keys can be summed
(multi-signatures) and combined with Lagrange coefficients (threshold
signatures); `g1_linear_combination` and `g2_linear_combination` are the
primitives for that. Points use the ZCash compressed encoding and are always
checked to lie in the prime-order subgroup when decoded.

This module is a facade over two bindings of native libraries. Arithmetic on
points (sums, linear combinations, multiples of the generator) runs on the
arkworks binding `py_arkworks_bls12381`; hashing to G1, signing and every
pairing check run on blst (`pyblst`), whose hash to the curve and final
exponentiation take a fraction of arkworks' time (about 0.1 and 0.6 ms against
0.3 and 1.6 ms here), and a replica pays several of each per height. Both
decode only points in the prime-order subgroup, and the points travel between
them as compressed bytes. `bls_reference` implements the same functions over
py-ecc and the tests hold the facade to identical bytes and verdicts. Hashing
to G1, decoding points and verifying are pure functions of their bytes, so their
results are kept in bounded LRU caches: a simulator runs every replica of a
subnet in one process and they all verify the same artifacts.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any, Final

from py_arkworks_bls12381 import G1Point, G2Point, Scalar
from pyblst import BlstFP12Element, BlstP1Element, BlstP2Element, final_verify, miller_loop

from replica.crypto.errors import CryptoError

CURVE_ORDER: Final = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
DST: Final = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
POP_DST: Final = b"BLS_POP_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_"
"""The tag of proofs of possession (a committee key's signature on itself), `multisig`."""
SIGNATURE_BYTES: Final = 48
PUBLIC_KEY_BYTES: Final = 96
PUBLIC_KEY_DER_PREFIX: Final = bytes.fromhex(
    "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100"
)
"""DER SubjectPublicKeyInfo prefix of an IC BLS public key (OIDs 1.3.6.1.4.1.44668.5.3.1.2.1
for the algorithm and 1.3.6.1.4.1.44668.5.3.2.1 for the curve); 37 + 96 = 133 bytes."""

G1_IDENTITY: Final = bytes([0xC0]) + bytes(SIGNATURE_BYTES - 1)
G2_IDENTITY: Final = bytes([0xC0]) + bytes(PUBLIC_KEY_BYTES - 1)

_BLST_G2_GENERATOR: Final = BlstP2Element.uncompress(bytes(G2Point().to_compressed_bytes()))
_INFINITY_FLAG: Final = 0x40
_HASH_CACHE_SIZE: Final = 8192
_POINT_CACHE_SIZE: Final = 16384
_VERIFY_CACHE_SIZE: Final = 16384


def _scalar(value: int) -> Scalar:
    return Scalar(value % CURVE_ORDER)


def _secret(secret: int) -> int:
    if secret % CURVE_ORDER == 0:
        raise CryptoError("a BLS secret key must be non-zero mod the group order")
    return secret % CURVE_ORDER


@lru_cache(maxsize=_HASH_CACHE_SIZE)
def hash_to_g1(message: bytes, dst: bytes = DST) -> G1Point:
    """H(m): the message hashed to G1 (by default under the IC's signature DST)."""
    return G1Point.hash_to_curve(message, dst)


@lru_cache(maxsize=_POINT_CACHE_SIZE)
def decode_g1(data: bytes) -> G1Point:
    """A compressed G1 point, checked to be on the curve and in the subgroup."""
    point: G1Point = _decode_point(G1Point.from_compressed_bytes, data, SIGNATURE_BYTES, "G1")
    return point


@lru_cache(maxsize=_POINT_CACHE_SIZE)
def decode_g2(data: bytes) -> G2Point:
    """A compressed G2 point, checked to be on the curve and in the subgroup."""
    point: G2Point = _decode_point(G2Point.from_compressed_bytes, data, PUBLIC_KEY_BYTES, "G2")
    return point


def _decode_point(decode: Callable[[bytes], Any], data: bytes, size: int, group: str) -> Any:
    """`decode(data)` (a binding's decoder, which checks the curve and the subgroup) once `data`
    has the group's size and, if it has the infinity flag, is the one canonical identity: the
    bindings decode any bytes with that flag as the identity."""
    if not isinstance(data, bytes) or len(data) != size:
        raise CryptoError(f"a compressed {group} point has {size} bytes")
    if data[0] & _INFINITY_FLAG and data != (G1_IDENTITY if group == "G1" else G2_IDENTITY):
        raise CryptoError("a non-canonical encoding of the point at infinity")
    try:
        return decode(data)
    except ValueError as error:
        raise CryptoError(f"not a {group} point in the subgroup: {error}") from error


@lru_cache(maxsize=_HASH_CACHE_SIZE)
def _blst_hash_to_g1(message: bytes, dst: bytes) -> BlstP1Element:
    """H(m) as a blst point (signing and pairing checks use it)."""
    return BlstP1Element.hash_to_group(message, dst)


@lru_cache(maxsize=_POINT_CACHE_SIZE)
def _blst_g1(data: bytes) -> BlstP1Element:
    """A compressed G1 point decoded by blst, which checks the curve and the subgroup."""
    return _decode_point(BlstP1Element.uncompress, data, SIGNATURE_BYTES, "G1")


@lru_cache(maxsize=_POINT_CACHE_SIZE)
def _blst_g2(data: bytes) -> BlstP2Element:
    """A compressed G2 point decoded by blst, which checks the curve and the subgroup."""
    return _decode_point(BlstP2Element.uncompress, data, PUBLIC_KEY_BYTES, "G2")


def is_valid_public_key(public_key: bytes) -> bool:
    """A well-formed, non-identity G2 point."""
    try:
        decode_g2(public_key)
    except CryptoError:
        return False
    return public_key != G2_IDENTITY


def public_key(secret: int) -> bytes:
    """secret·G2, compressed (96 bytes)."""
    return bytes(_g2_generator_times(_secret(secret)).to_compressed_bytes())


_WINDOW_BITS: Final = 8
_WINDOWS: Final = (CURVE_ORDER.bit_length() + _WINDOW_BITS - 1) // _WINDOW_BITS


@lru_cache(maxsize=1)
def _g2_generator_table() -> tuple[tuple[G2Point, ...], ...]:
    """Row w holds j·2^(8w)·G2 for j < 256: fixed-base multiples, computed once (about 8000
    additions)."""
    rows = []
    base = G2Point()
    for _ in range(_WINDOWS):
        row = [G2Point.identity()]
        for _ in range((1 << _WINDOW_BITS) - 1):
            row.append(row[-1] + base)
        rows.append(tuple(row))
        base = row[-1] + base
    return tuple(rows)


def _g2_generator_times(scalar: int) -> G2Point:
    """scalar·G2 by fixed-base windows: one addition per byte of the scalar instead of a full
    scalar multiplication (dealings, their checks and key shares multiply the generator a lot)."""
    total = G2Point.identity()
    for row in _g2_generator_table():
        digit = scalar & 0xFF
        if digit:
            total = total + row[digit]
        scalar >>= _WINDOW_BITS
    return total


def sign(secret: int, message: bytes, *, dst: bytes = DST) -> bytes:
    """secret·H(message), compressed (48 bytes). Deterministic.

    `dst` is for other uses of the scheme (proofs of possession); IC signatures use DST.
    """
    return bytes(_blst_hash_to_g1(message, dst).scalar_mul(_secret(secret)).compress())


def verify(public_key: bytes, message: bytes, signature: bytes, *, dst: bytes = DST) -> bool:
    """Whether `signature` is the signature on `message` under `public_key`.

    Never raises: malformed or out-of-subgroup points, wrong lengths and the
    identity public key all give False.
    """
    if not (
        isinstance(public_key, bytes)
        and isinstance(message, bytes)
        and isinstance(signature, bytes)
    ):
        return False
    collecting = _COLLECTING.get()
    if collecting is not None and not _VERIFIED.holds(public_key, message, signature, dst):
        collecting.append((public_key, message, signature, dst))
        raise Deferred
    return _verify_cached(public_key, message, signature, dst)


def clear_caches() -> None:
    """Empty the memos of hashing, point decoding and verification."""
    for cached in _MEMOS:
        cached.cache_clear()


class _VerifyMemo:
    """A bounded memo of verification results (least recently used first out) that can be
    asked whether it holds an answer and told answers found elsewhere (`verify_together`)."""

    def __init__(self, function: Callable[[bytes, bytes, bytes, bytes], bool], size: int) -> None:
        self.__wrapped__ = function
        self._size = size
        self._results: OrderedDict[tuple[bytes, bytes, bytes, bytes], bool] = OrderedDict()

    def __call__(self, public_key: bytes, message: bytes, signature: bytes, dst: bytes) -> bool:
        key = (public_key, message, signature, dst)
        result = self._results.get(key)
        if result is None:
            result = self.__wrapped__(public_key, message, signature, dst)
            self.remember(key, result)
        else:
            self._results.move_to_end(key)
        return result

    def holds(self, public_key: bytes, message: bytes, signature: bytes, dst: bytes) -> bool:
        return (public_key, message, signature, dst) in self._results

    def remember(self, key: tuple[bytes, bytes, bytes, bytes], result: bool) -> None:
        self._results[key] = result
        if len(self._results) > self._size:
            self._results.popitem(last=False)

    def cache_clear(self) -> None:
        self._results.clear()


def _verify_pairing(public_key: bytes, message: bytes, signature: bytes, dst: bytes) -> bool:
    # The identity key would accept the identity signature on every message.
    if public_key == G2_IDENTITY:
        return False
    try:
        key_point = _blst_g2(public_key)
        signature_point = _blst_g1(signature)
    except CryptoError:
        return False
    # e(σ, G2) = e(H(m), pk): two Miller loops, one final exponentiation.
    return bool(
        final_verify(
            miller_loop(signature_point, _BLST_G2_GENERATOR),
            miller_loop(_blst_hash_to_g1(message, dst), key_point),
        )
    )


_VERIFIED: Final = _VerifyMemo(_verify_pairing, _VERIFY_CACHE_SIZE)
_verify_cached = _VERIFIED

_MEMOS: Final = (hash_to_g1, decode_g1, decode_g2, _blst_hash_to_g1, _blst_g1, _blst_g2, _VERIFIED)
"""The memoised functions, held here so that `clear_caches` reaches them even while a
benchmark has swapped the module's names for the unmemoised versions."""


def aggregate_signatures(signatures: Sequence[bytes]) -> bytes:
    """The sum of G1 signatures (raises CryptoError on a malformed one or an empty list)."""
    if not signatures:
        raise CryptoError("nothing to aggregate")
    total = G1Point.identity()
    for signature in signatures:
        total = total + decode_g1(signature)
    return bytes(total.to_compressed_bytes())


def aggregate_public_keys(public_keys: Sequence[bytes]) -> bytes:
    """The sum of G2 public keys (raises CryptoError on a malformed one or an empty list)."""
    if not public_keys:
        raise CryptoError("nothing to aggregate")
    total = G2Point.identity()
    for key in public_keys:
        total = total + decode_g2(key)
    return bytes(total.to_compressed_bytes())


def verify_aggregate(public_keys: Sequence[bytes], message: bytes, signature: bytes) -> bool:
    """A same-message multi-signature: the sum of the signers' signatures verifies
    under the sum of their public keys. Never raises."""
    if not public_keys or any(key == G2_IDENTITY for key in public_keys):
        return False
    try:
        aggregate = aggregate_public_keys(public_keys)
    except CryptoError:
        return False
    return verify(aggregate, message, signature)


# -- verifying several signatures with one multi-pairing ----------------------------------------

Claim = tuple[bytes, bytes, bytes, bytes]
"""(public key, message, signature, domain separation tag): what one `verify` call asks."""


class Deferred(BaseException):
    """Raised by `verify` inside `collect_claims` for a claim with no known answer.

    A BaseException, so that no `except Exception` on the way takes it for a failed check.
    """


_COLLECTING: Final[ContextVar[list[Claim] | None]] = ContextVar("bls_collecting", default=None)
"""The claims `collect_claims` lists, per thread and per task: a check running elsewhere at the
same time (an execution thread, another coroutine) verifies as usual."""


@contextmanager
def collect_claims() -> Iterator[list[Claim]]:
    """Inside, `verify` answers claims it already knows and raises `Deferred` for the others,
    which it lists here: a caller runs its checks once to learn which pairings they need,
    `verify_together`s them, then runs the checks for real."""
    claims: list[Claim] = []
    token = _COLLECTING.set(claims)
    try:
        yield claims
    finally:
        _COLLECTING.reset(token)


def verify_together(claims: Sequence[Claim]) -> bool:
    """Check the claims with one multi-pairing; when all hold, `verify` answers each of them
    True from memory. False (nothing remembered) when one fails or is malformed: each is then
    checked alone when it is asked.

    With weights r_i taken from a hash of all the claims (so no signer can choose them), the
    claims hold together when e(Σ r_i·σ_i, G2) = Π_pk e(Σ_{i: pk_i = pk} r_i·H(m_i), pk).
    A set of claims with a false one passes with probability about 2^-128; n claims cost
    n + 1 Miller loops (fewer when they share keys) and one final exponentiation instead of 2n
    loops and n exponentiations.
    """
    distinct = list(dict.fromkeys(claims))
    if len(distinct) < 2:
        return False
    transcript = hashlib.sha256()
    for claim in distinct:
        for part in claim:
            transcript.update(len(part).to_bytes(4, "big") + part)
    seed = transcript.digest()
    weights = [
        int.from_bytes(hashlib.sha256(seed + index.to_bytes(4, "big")).digest()[:16]) | 1
        for index in range(len(distinct))
    ]
    try:
        weighted_signatures = BlstP1Element()  # the identity
        by_key: dict[bytes, BlstP1Element] = {}
        for (public_key, message, signature, dst), weight in zip(distinct, weights, strict=True):
            if public_key == G2_IDENTITY:
                return False
            _blst_g2(public_key)
            weighted_signatures = weighted_signatures + _blst_g1(signature).scalar_mul(weight)
            hashed = _blst_hash_to_g1(message, dst).scalar_mul(weight)
            total = by_key.get(public_key)
            by_key[public_key] = hashed if total is None else total + hashed
    except CryptoError:
        return False
    right: BlstFP12Element | None = None
    for public_key, hashed_total in by_key.items():
        loop = miller_loop(hashed_total, _blst_g2(public_key))
        right = loop if right is None else right * loop
    if right is None or not final_verify(
        miller_loop(weighted_signatures, _BLST_G2_GENERATOR), right
    ):
        return False
    for claim in distinct:
        _VERIFIED.remember(claim, True)
    return True


def g1_linear_combination(points: Sequence[bytes], scalars: Sequence[int]) -> bytes:
    """Σ scalars[i]·points[i] in G1 (the identity for no points)."""
    if len(points) != len(scalars):
        raise CryptoError("as many scalars as points are needed")
    if not points:
        return G1_IDENTITY
    decoded = [decode_g1(point) for point in points]
    return bytes(
        G1Point.multiexp_unchecked(decoded, [_scalar(s) for s in scalars]).to_compressed_bytes()
    )


def g2_linear_combination(points: Sequence[bytes], scalars: Sequence[int]) -> bytes:
    """Σ scalars[i]·points[i] in G2 (the identity for no points)."""
    if len(points) != len(scalars):
        raise CryptoError("as many scalars as points are needed")
    if not points:
        return G2_IDENTITY
    decoded = [decode_g2(point) for point in points]
    return bytes(
        G2Point.multiexp_unchecked(decoded, [_scalar(s) for s in scalars]).to_compressed_bytes()
    )


def public_key_to_der(public_key: bytes) -> bytes:
    """The 133-byte DER SubjectPublicKeyInfo of a 96-byte BLS public key."""
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_BYTES:
        raise CryptoError(f"a BLS public key has {PUBLIC_KEY_BYTES} bytes")
    return PUBLIC_KEY_DER_PREFIX + public_key


def public_key_from_der(der: bytes) -> bytes:
    """The 96-byte key inside a DER BLS public key, checked to be a valid G2 point."""
    if (
        not isinstance(der, bytes)
        or len(der) != len(PUBLIC_KEY_DER_PREFIX) + PUBLIC_KEY_BYTES
        or not der.startswith(PUBLIC_KEY_DER_PREFIX)
    ):
        raise CryptoError("not a DER BLS12-381 G2 public key")
    key = der[len(PUBLIC_KEY_DER_PREFIX) :]
    decode_g2(key)
    return key
