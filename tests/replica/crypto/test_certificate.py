"""Certificates: the spec's deterministic vector, verification, delegations and freshness."""

from __future__ import annotations

import pytest

from replica.crypto import bls, hashtree
from replica.crypto.certificate import (
    STATE_ROOT_DOMAIN,
    Certificate,
    CertificateError,
    Delegation,
    encode_canister_ranges,
    is_valid_certificate,
    sign_tree,
    signed_message,
    verify_certificate,
)
from replica.crypto.hashtree import Found, Leaf, Pruned, build
from replica.types import Principal

VECTOR_SECRET = int("010f8578ffdd624b556502249a9b74517a236ede9b27f3e5f8c905df281cf909", 16)
VECTOR_KEY = bytes.fromhex(
    "84d28e2bb8c8bb59f737b203e3223c55a065442a83f7b08803458b6fc771c0d8c79666e12289b87b545b88729f5f7ed7"
    "094dee998c0613d0268cc5429917ec2b4096a84a83fea01d061a6a23aec95066e178e36ba8ef0f7c0e6ce92b98d44129"
)
VECTOR_SIGNATURE = bytes.fromhex(
    "b93b2cd0be6bdbd44884298d3e2b73c3f6f79f992bf5409c4210268beac43fb027236bfbe2175d4d05be0f158dd5b83b"
)
VECTOR_TIME = 1_700_000_000_000_000_000
ROOT_DER = bls.PUBLIC_KEY_DER_PREFIX + VECTOR_KEY
MINUTE = 60 * 1_000_000_000


def vector_certificate() -> Certificate:
    return sign_tree(build({"a": b"x", "time": VECTOR_TIME}), VECTOR_SECRET)


def test_the_spec_vector_byte_for_byte() -> None:
    certificate = vector_certificate()
    assert bls.public_key(VECTOR_SECRET) == VECTOR_KEY
    assert bls.public_key_to_der(VECTOR_KEY) == ROOT_DER
    assert Principal.self_authenticating(ROOT_DER).to_text() == (
        "b3pch-tczbm-jfkg4-xgfmb-cv7xp-rak3r-rjmou-jwqcn-zsu5l-pcioc-jqe"
    )
    assert (
        certificate.root_hash.hex()
        == "ffcdf81b7a30ab9cc4ba40877ec2d3b0956c5f693b8dd98e49ffb1100fd724a3"
    )
    assert signed_message(certificate.root_hash)[:14].hex() == "0d69632d73746174652d726f6f74"
    assert STATE_ROOT_DOMAIN == b"\x0dic-state-root"
    assert certificate.signature == VECTOR_SIGNATURE
    expected = (
        bytes.fromhex(
            "d9d9f7a264747265658301830241618203417883024474696d658203498080a8b1e39fe7cb17"
            "697369676e61747572655830"
        )
        + VECTOR_SIGNATURE
    )
    assert certificate.to_cbor() == expected
    assert Certificate.from_cbor(expected) == certificate
    assert Certificate.from_cbor(expected[3:]) == certificate  # the 55799 tag is optional
    verify_certificate(certificate, ROOT_DER, now_ns=VECTOR_TIME + MINUTE)
    assert certificate.time_ns() == VECTOR_TIME


def test_pruning_keeps_the_signature_valid() -> None:
    full = vector_certificate()
    pruned = Certificate(tree=hashtree.prune(full.tree, [["time"]]), signature=full.signature)
    assert hashtree.lookup(pruned.tree, ["a"]) == hashtree.UNKNOWN
    verify_certificate(Certificate.from_cbor(pruned.to_cbor()), ROOT_DER, now_ns=VECTOR_TIME)


def test_tampering_fails() -> None:
    certificate = vector_certificate()
    changed_leaf = Certificate(
        tree=build({"a": b"y", "time": VECTOR_TIME}), signature=certificate.signature
    )
    flipped = bytearray(certificate.signature)
    flipped[10] ^= 1
    other_key = bls.public_key_to_der(bls.public_key(VECTOR_SECRET + 1))
    for candidate, key in (
        (changed_leaf, ROOT_DER),
        (Certificate(tree=certificate.tree, signature=bytes(flipped)), ROOT_DER),
        (Certificate(tree=certificate.tree, signature=b"\x00" * 48), ROOT_DER),
        (certificate, other_key),
    ):
        with pytest.raises(CertificateError):
            verify_certificate(candidate, key, now_ns=VECTOR_TIME)
    with pytest.raises(CertificateError, match="DER"):
        verify_certificate(certificate, VECTOR_KEY, now_ns=VECTOR_TIME)
    with pytest.raises(CertificateError):
        Certificate.from_cbor(b"\xa1\x64tree\x80")


def test_time_must_be_present_and_fresh() -> None:
    certificate = vector_certificate()
    verify_certificate(certificate, ROOT_DER, now_ns=VECTOR_TIME + 5 * MINUTE)
    verify_certificate(certificate, ROOT_DER, now_ns=VECTOR_TIME - 5 * MINUTE)
    verify_certificate(certificate, ROOT_DER, now_ns=None)
    for now_ns in (VECTOR_TIME + 5 * MINUTE + 1, VECTOR_TIME - 5 * MINUTE - 1):
        with pytest.raises(CertificateError, match=r"old|future"):
            verify_certificate(certificate, ROOT_DER, now_ns=now_ns)
    timeless = sign_tree(build({"a": b"x"}), VECTOR_SECRET)
    with pytest.raises(CertificateError, match="/time"):
        verify_certificate(timeless, ROOT_DER, now_ns=None)


ROOT_SECRET = 0x1234567
SUBNET_SECRET = 0x7654321
SUBNET_ID = Principal.self_authenticating(b"subnet two")
LOW, HIGH = Principal.from_canister_id(1 << 20), Principal.from_canister_id((2 << 20) - 1)


def delegation_certificate(*, time_ns: int = VECTOR_TIME, sharded: bool = False) -> bytes:
    ranges = encode_canister_ranges([(LOW, HIGH)])
    subnet: dict[bytes | str, hashtree.TreeValue] = {
        "public_key": bls.public_key_to_der(bls.public_key(SUBNET_SECRET))
    }
    content: dict[bytes | str, hashtree.TreeValue] = {
        "time": time_ns,
        "subnet": {SUBNET_ID.raw: subnet},
    }
    if sharded:
        content["canister_ranges"] = {SUBNET_ID.raw: {LOW.raw: ranges}}
    else:
        subnet["canister_ranges"] = ranges
    return sign_tree(build(content), ROOT_SECRET).to_cbor()


def delegated(parent: bytes, *, secret: int = SUBNET_SECRET) -> Certificate:
    delegation = Delegation(subnet_id=SUBNET_ID, certificate=parent)
    return sign_tree(build({"time": VECTOR_TIME, "x": b"1"}), secret, delegation=delegation)


def test_a_delegated_certificate_verifies_inside_its_ranges() -> None:
    root_der = bls.public_key_to_der(bls.public_key(ROOT_SECRET))
    for sharded in (False, True):
        certificate = Certificate.from_cbor(
            delegated(delegation_certificate(sharded=sharded)).to_cbor()
        )
        assert certificate.delegation is not None and certificate.delegation.subnet_id == SUBNET_ID
        for canister in (LOW, HIGH, Principal.from_canister_id(1 << 20 | 77)):
            verify_certificate(
                certificate, root_der, now_ns=VECTOR_TIME, effective_canister_id=canister
            )


def test_a_delegation_outside_its_ranges_fails() -> None:
    root_der = bls.public_key_to_der(bls.public_key(ROOT_SECRET))
    certificate = delegated(delegation_certificate())
    for outside in (Principal.from_canister_id(5), Principal.from_canister_id(2 << 20)):
        with pytest.raises(CertificateError, match="outside"):
            verify_certificate(
                certificate, root_der, now_ns=VECTOR_TIME, effective_canister_id=outside
            )
    with pytest.raises(CertificateError, match="effective canister"):
        verify_certificate(certificate, root_der, now_ns=VECTOR_TIME)


def test_bad_delegations_fail() -> None:
    root_der = bls.public_key_to_der(bls.public_key(ROOT_SECRET))
    cases = [
        delegated(delegation_certificate(), secret=SUBNET_SECRET + 1),  # not the delegated key
        delegated(sign_tree(build({"time": VECTOR_TIME}), ROOT_SECRET).to_cbor()),  # no subnet key
        delegated(delegated(delegation_certificate()).to_cbor()),  # a delegation in the delegation
        delegated(
            sign_tree(build({"time": VECTOR_TIME}), SUBNET_SECRET).to_cbor()
        ),  # not signed by root
    ]
    for certificate in cases:
        assert not is_valid_certificate(
            certificate, root_der, now_ns=VECTOR_TIME, effective_canister_id=LOW
        )
    stale = delegated(delegation_certificate(time_ns=VECTOR_TIME - 31 * 24 * 60 * MINUTE))
    with pytest.raises(CertificateError, match="old"):
        verify_certificate(stale, root_der, now_ns=VECTOR_TIME, effective_canister_id=LOW)
    month_old = delegated(delegation_certificate(time_ns=VECTOR_TIME - 29 * 24 * 60 * MINUTE))
    verify_certificate(month_old, root_der, now_ns=VECTOR_TIME, effective_canister_id=LOW)


def test_lookup_through_a_certificate() -> None:
    certificate = vector_certificate()
    assert certificate.lookup(["a"]) == Found(b"x")
    assert isinstance(
        Certificate(tree=Pruned(Leaf(b"").digest), signature=b"").lookup(["a"]), hashtree.Unknown
    )
