"""Threshold signatures: t shares make the unique group signature, t - 1 do not."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replica.crypto import bls
from replica.crypto.errors import CryptoError
from replica.crypto.threshold import (
    PublicCoefficients,
    combine_and_verify,
    combine_shares,
    evaluate_polynomial,
    lagrange_coefficients_at_zero,
    sign_share,
    verify_share,
)

MESSAGE = b"\x0dic-state-root" + bytes(32)


def polynomial(threshold: int, label: bytes = b"") -> list[int]:
    return [
        int.from_bytes(hashlib.sha512(label + bytes([threshold, k])).digest(), "big")
        % bls.CURVE_ORDER
        for k in range(threshold)
    ]


def sharing(n: int, threshold: int) -> tuple[list[int], list[int], PublicCoefficients]:
    coefficients = polynomial(threshold)
    shares = [evaluate_polynomial(coefficients, index + 1) for index in range(n)]
    public = PublicCoefficients(commitments=tuple(bls.public_key(a) for a in coefficients))
    return coefficients, shares, public


def test_share_public_keys_follow_from_the_commitments() -> None:
    _, shares, public = sharing(4, 3)
    assert public.threshold == 3
    for index, share in enumerate(shares):
        assert public.share_public_key(index) == bls.public_key(share)
    with pytest.raises(CryptoError):
        public.share_public_key(-1)


def test_any_threshold_shares_give_the_group_signature() -> None:
    secret, shares, public = sharing(7, 5)
    signatures = {index: sign_share(share, MESSAGE) for index, share in enumerate(shares)}
    expected = bls.sign(secret[0], MESSAGE)
    assert combine_shares(signatures, 5) == expected
    subset = {index: signatures[index] for index in (6, 1, 4, 3, 2)}
    assert combine_shares(subset, 5) == expected
    assert combine_and_verify(public, MESSAGE, subset) == expected
    assert all(verify_share(public, index, MESSAGE, s) for index, s in signatures.items())
    assert not verify_share(public, 0, MESSAGE, signatures[1])
    assert bls.verify(public.public_key, MESSAGE, expected)


def test_threshold_minus_one_shares_do_not_make_a_signature() -> None:
    _, shares, public = sharing(7, 5)
    signatures = {index: sign_share(shares[index], MESSAGE) for index in range(4)}
    assert combine_and_verify(public, MESSAGE, signatures) is None
    with pytest.raises(CryptoError):
        combine_shares(signatures, 5)
    # Interpolating t − 1 shares as if the threshold were t − 1 gives a wrong point.
    assert not bls.verify(public.public_key, MESSAGE, combine_shares(signatures, 4))


def test_a_byzantine_share_is_dropped() -> None:
    secret, shares, public = sharing(7, 5)
    signatures = {index: sign_share(share, MESSAGE) for index, share in enumerate(shares)}
    signatures[0] = sign_share(shares[0] + 1, MESSAGE)  # wrong but well-formed
    signatures[2] = b"\x00" * 48  # malformed
    assert combine_and_verify(public, MESSAGE, signatures) == bls.sign(secret[0], MESSAGE)
    only_five = {index: signatures[index] for index in (0, 1, 2, 3, 4)}
    assert combine_and_verify(public, MESSAGE, only_five) is None
    signatures[3] = signatures[4]  # a copy of somebody else's share
    assert combine_and_verify(public, MESSAGE, signatures) is None


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_lagrange_interpolation_recovers_the_constant_term(data: st.DataObject) -> None:
    threshold = data.draw(st.integers(min_value=1, max_value=12))
    n = data.draw(st.integers(min_value=threshold, max_value=40))
    indices = data.draw(
        st.lists(
            st.integers(min_value=0, max_value=n - 1),
            min_size=threshold,
            max_size=threshold,
            unique=True,
        )
    )
    coefficients = polynomial(threshold, data.draw(st.binary(max_size=8)))
    weights = lagrange_coefficients_at_zero(indices)
    total = sum(
        w * evaluate_polynomial(coefficients, i + 1) for w, i in zip(weights, indices, strict=True)
    )
    assert total % bls.CURVE_ORDER == coefficients[0]
    if threshold > 1:
        short = indices[:-1]
        partial = sum(
            w * evaluate_polynomial(coefficients, i + 1)
            for w, i in zip(lagrange_coefficients_at_zero(short), short, strict=True)
        )
        assert partial % bls.CURVE_ORDER != coefficients[0]


def test_lagrange_refuses_repeated_or_negative_indices() -> None:
    with pytest.raises(CryptoError):
        lagrange_coefficients_at_zero([1, 1])
    with pytest.raises(CryptoError):
        lagrange_coefficients_at_zero([-1, 2])
    assert lagrange_coefficients_at_zero([5]) == [1]


def test_public_coefficients_validation() -> None:
    with pytest.raises(CryptoError):
        PublicCoefficients(commitments=())
    with pytest.raises(CryptoError):
        PublicCoefficients(commitments=(b"short",))
    bad = PublicCoefficients(commitments=(b"\x00" * 96,))
    with pytest.raises(CryptoError):
        bad.validate()
    assert not verify_share(bad, 0, MESSAGE, bls.G1_IDENTITY)
    _, _, public = sharing(4, 3)
    assert PublicCoefficients.from_concatenated(b"".join(public.commitments)) == public
    with pytest.raises(CryptoError):
        PublicCoefficients.from_concatenated(b"x" * 95)


@settings(max_examples=15, deadline=None)
@given(st.data())
def test_any_subset_of_signature_shares_of_threshold_size_combines(data: st.DataObject) -> None:
    threshold = data.draw(st.integers(min_value=1, max_value=7), label="threshold")
    n = data.draw(st.integers(min_value=threshold, max_value=10), label="n")
    coefficients, shares, public = sharing(n, threshold)
    signers = data.draw(
        st.lists(st.integers(min_value=0, max_value=n - 1), min_size=threshold, unique=True),
        label="signers",
    )
    signatures = {index: sign_share(shares[index], MESSAGE) for index in signers}
    assert combine_and_verify(public, MESSAGE, signatures) == bls.sign(coefficients[0], MESSAGE)
    if threshold > 1:
        fewer = dict(list(signatures.items())[: threshold - 1])
        assert combine_and_verify(public, MESSAGE, fewer) is None
