"""The BLS facade against the py-ecc reference and the interface spec's vectors."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py_arkworks_bls12381 import G1Point

from replica.crypto import bls
from replica.crypto.errors import CryptoError

# http-interface.md 3.3: the deterministic certificate vector of @dfinity/agent 3.4.3.
SPEC_SECRET = 0x010F8578FFDD624B556502249A9B74517A236EDE9B27F3E5F8C905DF281CF909
SPEC_PUBLIC_KEY = bytes.fromhex(
    "84d28e2bb8c8bb59f737b203e3223c55a065442a83f7b08803458b6fc771c0d8c79666e12289b87b545b8872"
    "9f5f7ed7094dee998c0613d0268cc5429917ec2b4096a84a83fea01d061a6a23aec95066e178e36ba8ef0f7c0e6ce92b98d44129"
)
SPEC_ROOT_HASH = bytes.fromhex("ffcdf81b7a30ab9cc4ba40877ec2d3b0956c5f693b8dd98e49ffb1100fd724a3")
SPEC_MESSAGE = b"\x0dic-state-root" + SPEC_ROOT_HASH
SPEC_SIGNATURE = bytes.fromhex(
    "b93b2cd0be6bdbd44884298d3e2b73c3f6f79f992bf5409c4210268beac43fb027236bfbe2175d4d05be0f158dd5b83b"
)

SECRETS = [
    1,
    2**255 - 19,
    int.from_bytes(hashlib.sha512(b"icbox").digest(), "big") % bls.CURVE_ORDER,
]


def test_the_spec_certificate_vector() -> None:
    assert bls.public_key(SPEC_SECRET) == SPEC_PUBLIC_KEY
    assert bls.sign(SPEC_SECRET, SPEC_MESSAGE) == SPEC_SIGNATURE
    assert bls.verify(SPEC_PUBLIC_KEY, SPEC_MESSAGE, SPEC_SIGNATURE)
    assert not bls.verify(SPEC_PUBLIC_KEY, SPEC_MESSAGE + b"x", SPEC_SIGNATURE)
    der = bls.public_key_to_der(SPEC_PUBLIC_KEY)
    assert len(der) == 133 and der.hex().startswith("308182301d060d2b0601040182dc7c05030102")
    assert bls.public_key_from_der(der) == SPEC_PUBLIC_KEY


def test_rfc9380_hash_to_g1_vector() -> None:
    # RFC 9380 J.9.1, msg = "" under the QUUX test DST: P.x and P.y.
    point = G1Point.hash_to_curve(b"", b"QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_")
    xy = bytes(point.to_xy_bytes_be())
    assert xy[:48].hex() == (
        "052926add2207b76ca4fa57a8734416c8dc95e24501772c814278700eed6d1e4e8cf62d9c09db0fac349612b759e79a1"
    )
    assert xy[48:].hex() == (
        "08ba738453bfed09cb546dbb0783dbb3a5f1f566ed67bb6be0e8c67e2e81a4cc68ee29813bb7994998f3eae0c9c6a265"
    )


def test_facade_matches_the_reference_byte_for_byte() -> None:
    from replica.crypto import bls_reference as reference

    message = b"notarization of block 7"
    assert reference.sign(SPEC_SECRET, SPEC_MESSAGE) == SPEC_SIGNATURE
    for secret in SECRETS[:2]:
        assert reference.public_key(secret) == bls.public_key(secret)
        assert reference.sign(secret, message) == bls.sign(secret, message)
    signatures = [bls.sign(secret, message) for secret in SECRETS]
    keys = [bls.public_key(secret) for secret in SECRETS]
    assert reference.aggregate_signatures(signatures) == bls.aggregate_signatures(signatures)
    assert reference.g1_linear_combination(signatures, [3, 0, 5]) == bls.g1_linear_combination(
        signatures, [3, 0, 5]
    )
    assert reference.g2_linear_combination(keys[:2], [7, 11]) == bls.g2_linear_combination(
        keys[:2], [7, 11]
    )
    assert reference.aggregate_public_keys(keys[:2]) == bls.aggregate_public_keys(keys[:2])
    assert reference.public_key_to_der(SPEC_PUBLIC_KEY) == bls.public_key_to_der(SPEC_PUBLIC_KEY)
    assert reference.public_key_from_der(bls.public_key_to_der(SPEC_PUBLIC_KEY)) == SPEC_PUBLIC_KEY
    # One pairing check in the reference (each costs a fraction of a second).
    assert reference.verify(SPEC_PUBLIC_KEY, SPEC_MESSAGE, SPEC_SIGNATURE)


def _non_subgroup_g1_point() -> bytes:
    """A compressed point on the curve y² = x³ + 4 but outside the prime-order subgroup."""
    from py_ecc.fields import optimized_bls12_381_FQ as FQ

    q = FQ.field_modulus
    for x in range(1, 1000):
        rhs = (x**3 + 4) % q
        y = pow(rhs, (q + 1) // 4, q)
        if y * y % q != rhs:
            continue
        encoded = (x | (1 << 383) | ((1 << 381) if y * 2 // q else 0)).to_bytes(48, "big")
        try:
            G1Point.from_compressed_bytes(encoded)
        except ValueError:
            return encoded
    raise AssertionError("no point outside the subgroup found")


@settings(max_examples=12, deadline=None)
@given(
    secret=st.integers(min_value=1, max_value=bls.CURVE_ORDER - 1),
    message=st.binary(max_size=64),
    tamper=st.sampled_from(["none", "message", "key", "signature"]),
)
def test_blst_verdicts_are_the_arkworks_pairing_checks(
    secret: int, message: bytes, tamper: str
) -> None:
    """Signing and pairing checks run on blst: each verdict is the one of arkworks' pairing
    check e(σ, −G2) · e(H(m), pk) = 1 on the same bytes, and signatures are arkworks' s·H(m)."""
    from py_arkworks_bls12381 import GT, G2Point, Scalar

    bls.clear_caches()
    public_key, signature = bls.public_key(secret), bls.sign(secret, message)
    assert signature == bytes((bls.hash_to_g1(message) * Scalar(secret)).to_compressed_bytes())
    if tamper == "message":
        message += b"!"
    elif tamper == "key":
        public_key = bls.public_key(secret % (bls.CURVE_ORDER - 1) + 1)
    elif tamper == "signature":
        signature = bls.sign(secret, message + b"?")
    expected = GT.pairing_check(
        [bls.decode_g1(signature), bls.hash_to_g1(message)],
        [-G2Point(), bls.decode_g2(public_key)],
    )
    assert bls.verify(public_key, message, signature) is bool(expected)
    other = (bls.public_key(7), b"other", bls.sign(7, b"other"), bls.DST)
    bls.clear_caches()
    assert bls.verify_together([(public_key, message, signature, bls.DST), other]) is bool(expected)


def test_a_point_outside_the_subgroup_is_rejected() -> None:
    from replica.crypto import bls_reference as reference

    corrupted = _non_subgroup_g1_point()
    G1Point.from_compressed_bytes_unchecked(corrupted)  # on the curve
    with pytest.raises(CryptoError):
        bls.decode_g1(corrupted)
    with pytest.raises(CryptoError):
        reference.decode_g1(corrupted)
    assert not bls.verify(SPEC_PUBLIC_KEY, SPEC_MESSAGE, corrupted)
    good = (SPEC_PUBLIC_KEY, SPEC_MESSAGE, SPEC_SIGNATURE, bls.DST)
    assert not bls.verify_together([good, (SPEC_PUBLIC_KEY, b"other", corrupted, bls.DST)])


@pytest.mark.parametrize(
    ("public_key", "signature"),
    [
        (SPEC_PUBLIC_KEY, b""),
        (SPEC_PUBLIC_KEY, SPEC_SIGNATURE[:-1]),
        (SPEC_PUBLIC_KEY, b"\xff" * 48),
        (SPEC_PUBLIC_KEY, bytes(48)),
        (SPEC_PUBLIC_KEY, bls.G1_IDENTITY),
        (b"\x00" * 96, SPEC_SIGNATURE),
        (SPEC_PUBLIC_KEY[:-1], SPEC_SIGNATURE),
        (bls.G2_IDENTITY, SPEC_SIGNATURE),
        (bls.G2_IDENTITY, bls.G1_IDENTITY),
        (SPEC_PUBLIC_KEY + b"\x00", SPEC_SIGNATURE),
    ],
)
def test_malformed_input_does_not_verify(public_key: bytes, signature: bytes) -> None:
    assert bls.verify(public_key, SPEC_MESSAGE, signature) is False
    assert bls.verify_aggregate([public_key], SPEC_MESSAGE, signature) is False


@pytest.mark.parametrize("prefix", [b"\xff", b"\xe0", b"\xc0\x01"])
def test_only_the_canonical_point_at_infinity_decodes(prefix: bytes) -> None:
    from replica.crypto import bls_reference as reference

    for size, decode, reference_decode in (
        (48, bls.decode_g1, reference.decode_g1),
        (96, bls.decode_g2, reference.decode_g2),
    ):
        encoded = (prefix + b"\x01" * size)[:size]
        with pytest.raises(CryptoError):
            decode(encoded)
        with pytest.raises(CryptoError):
            reference_decode(encoded)
    assert bls.decode_g1(bls.G1_IDENTITY) == bls.decode_g1(
        bls.aggregate_signatures([bls.G1_IDENTITY])
    )
    assert reference.encode_g2(reference.decode_g2(bls.G2_IDENTITY)) == bls.G2_IDENTITY


def test_verify_rejects_non_bytes() -> None:
    assert bls.verify("key", SPEC_MESSAGE, SPEC_SIGNATURE) is False  # type: ignore[arg-type]
    assert bls.verify(SPEC_PUBLIC_KEY, SPEC_MESSAGE, None) is False  # type: ignore[arg-type]


def test_same_message_multi_signature() -> None:
    message = b"finalize"
    keys = [bls.public_key(secret) for secret in SECRETS]
    signature = bls.aggregate_signatures([bls.sign(secret, message) for secret in SECRETS])
    assert bls.verify_aggregate(keys, message, signature)
    assert not bls.verify_aggregate(keys[:2], message, signature)
    assert not bls.verify_aggregate(keys, b"other", signature)
    assert not bls.verify_aggregate([], message, signature)


def test_zero_secret_and_bad_encodings_raise() -> None:
    with pytest.raises(CryptoError):
        bls.public_key(0)
    with pytest.raises(CryptoError):
        bls.sign(bls.CURVE_ORDER, b"m")
    with pytest.raises(CryptoError):
        bls.public_key_from_der(b"\x30" * 133)
    with pytest.raises(CryptoError):
        bls.public_key_to_der(b"short")
    with pytest.raises(CryptoError):
        bls.aggregate_signatures([])
    with pytest.raises(CryptoError):
        bls.g2_linear_combination([SPEC_PUBLIC_KEY], [1, 2])
    assert bls.g1_linear_combination([], []) == bls.G1_IDENTITY
    assert bls.g2_linear_combination([SPEC_PUBLIC_KEY], [0]) == bls.G2_IDENTITY
    assert bls.public_key(SPEC_SECRET + bls.CURVE_ORDER) == SPEC_PUBLIC_KEY


@settings(max_examples=4, deadline=None, derandomize=True)
@given(
    st.lists(st.integers(min_value=1, max_value=bls.CURVE_ORDER - 1), min_size=1, max_size=2),
    st.binary(max_size=16),
)
def test_facade_and_reference_agree_on_random_secrets(secrets: list[int], message: bytes) -> None:
    from replica.crypto import bls_reference as reference

    signatures = [bls.sign(secret, message) for secret in secrets]
    assert [reference.sign(secret, message) for secret in secrets] == signatures
    scalars = [secret * 3 + 1 for secret in secrets]
    assert reference.g1_linear_combination(signatures, scalars) == bls.g1_linear_combination(
        signatures, scalars
    )


def test_fixed_base_multiples_of_the_generator_match_scalar_multiplication() -> None:
    from py_arkworks_bls12381 import G2Point, Scalar

    for secret in (
        1,
        2,
        255,
        256,
        257,
        2**64 + 1,
        bls.CURVE_ORDER - 1,
        bls.CURVE_ORDER + 5,
        *SECRETS,
    ):
        expected = bytes((G2Point() * Scalar(secret % bls.CURVE_ORDER)).to_compressed_bytes())
        assert bls.public_key(secret) == expected


def test_the_facade_constants_are_the_curve_and_the_ic_ones() -> None:
    """One declaration each (bls.py); the reference uses them, so they are checked here against
    py-ecc's curve and the IC's DER key prefix (OIDs 1.3.6.1.4.1.44668.5.3.1.2.1, ...5.3.2.1)."""
    from py_ecc.optimized_bls12_381.optimized_curve import curve_order

    assert curve_order == bls.CURVE_ORDER
    assert len(bls.PUBLIC_KEY_DER_PREFIX) + bls.PUBLIC_KEY_BYTES == 133
    assert bls.public_key_from_der(bls.public_key_to_der(SPEC_PUBLIC_KEY)) == SPEC_PUBLIC_KEY
    assert bls.DST.endswith(b"_NUL_") and bls.POP_DST.endswith(b"_POP_")


def _claims(count: int) -> list[bls.Claim]:
    secrets = [(index + 3) * 1_000_003 for index in range(count)]
    claims = [
        (bls.public_key(s), b"height %d" % i, bls.sign(s, b"height %d" % i), bls.DST)
        for i, s in enumerate(secrets)
    ]
    # Two claims under one key (a beacon and a tape under the low threshold key).
    claims.append((claims[0][0], b"tape", bls.sign(secrets[0], b"tape"), bls.DST))
    return claims


def test_claims_verified_together_are_answered_from_memory() -> None:
    bls.clear_caches()
    claims = _claims(3)
    assert bls.verify_together(claims)
    with bls.collect_claims() as pending:  # every answer is known: nothing is deferred
        assert all(bls.verify(key, message, signature) for key, message, signature, _ in claims)
    assert pending == []
    assert not bls.verify_together(claims[:1])  # one claim alone: nothing to gain, left as is


def test_one_false_claim_fails_the_joint_check_and_is_then_found_alone() -> None:
    claims = _claims(3)
    wrong = [*claims]
    wrong[1] = (claims[1][0], claims[1][1], claims[2][2], bls.DST)  # another message's signature
    swapped = [*claims]  # two signatures swapped between keys: wrong one by one
    swapped[0], swapped[1] = (
        (claims[0][0], claims[0][1], claims[1][2], bls.DST),
        (claims[1][0], claims[1][1], claims[0][2], bls.DST),
    )
    malformed = [*claims]
    malformed[2] = (claims[2][0], claims[2][1], b"\x00" * 48, bls.DST)
    identity = [*claims, (bls.G2_IDENTITY, b"x", bls.G1_IDENTITY, bls.DST)]
    for claim_set in (wrong, swapped, malformed, identity):
        bls.clear_caches()
        assert not bls.verify_together(claim_set)
        verdicts = [bls.verify(key, message, signature) for key, message, signature, _ in claim_set]
        assert verdicts == [claim in claims for claim in claim_set]


def test_collecting_defers_unknown_claims_and_answers_known_ones() -> None:
    bls.clear_caches()
    claims = _claims(2)
    known = claims[0]
    assert bls.verify(*known[:3])
    with bls.collect_claims() as pending:
        assert bls.verify(*known[:3])
        with pytest.raises(bls.Deferred):
            bls.verify(*claims[1][:3])
        with pytest.raises(bls.Deferred):  # not an Exception: no broad handler swallows it
            try:
                bls.verify(*claims[2][:3])
            except Exception:  # pragma: no cover - the point of the test
                pytest.fail("Deferred was caught as an Exception")
    assert pending == [claims[1], claims[2]]
    assert bls.verify(*claims[1][:3])  # outside, verify answers again
