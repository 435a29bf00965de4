"""Envelopes, request ids, signatures and delegations, without a server.

Vectors from the IC interface spec (the request-id example of "Request ids")
and spec/http-interface.md (the query-response hash).
"""

from __future__ import annotations

import time

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from replica.agent.identity import (
    AnonymousIdentity,
    EcdsaIdentity,
    Ed25519Identity,
    Identity,
    delegate,
    sign_envelope,
)
from replica.http import cbor
from replica.http.auth import (
    MAX_INGRESS_TTL_NS,
    PERMITTED_DRIFT_AT_VALIDATOR_NS,
    is_valid_signature,
)
from replica.http.envelope import REQUEST_DOMAIN, call_content, hash_of_map, request_id
from replica.http.requests import RequestError, parse_call_envelope, verify_call
from replica.types import Principal

NOW = 1_800_000_000 * 10**9
CANISTER = Principal.from_canister_id(5)


def content_of(
    identity: Identity, *, expiry: int = NOW + 60 * 10**9, canister: Principal = CANISTER
) -> dict[str, object]:
    return call_content(
        "call",
        canister_id=canister,
        method_name="m",
        arg=b"DIDL\x00\x00",
        sender=identity.principal,
        ingress_expiry_ns=expiry,
        nonce=b"n" * 16,
    )


def test_the_spec_request_id_example() -> None:
    content = {
        "request_type": "call",
        "canister_id": bytes.fromhex("00000000000004D2"),
        "method_name": "hello",
        "arg": b"DIDL\x00\xfd*",
        "sender": b"\x04",
        "ingress_expiry": 1685570400000000000,
    }
    assert (
        request_id(content).hex()
        == "1d1091364d6bb8a6c16b203ee75467d59ead468f523eb058880ae8ec80e2b101"
    )


def test_the_query_response_hash_vector() -> None:
    signed = {
        "status": "replied",
        "reply": {"arg": bytes.fromhex("4449444c0000")},
        "timestamp": 1_700_000_000_000_000_000,
        "request_id": bytes(32),
    }
    assert (
        hash_of_map(signed).hex()
        == "3440f2f95846434330afe8a33447d621c1aa09efdf94c87e80f4a434f927e683"
    )


@given(
    st.dictionaries(
        st.text(max_size=8),
        st.one_of(st.binary(max_size=8), st.integers(0, 2**64), st.text(max_size=8)),
        max_size=6,
    )
)
def test_the_request_id_does_not_depend_on_key_order(fields: dict[str, object]) -> None:
    assert hash_of_map(fields) == hash_of_map(dict(reversed(list(fields.items()))))


@pytest.mark.parametrize(
    "identity",
    [
        Ed25519Identity.generate(),
        EcdsaIdentity.generate("secp256k1"),
        EcdsaIdentity.generate("p256"),
    ],
)
def test_each_key_kind_verifies_and_a_flipped_bit_does_not(
    identity: Ed25519Identity | EcdsaIdentity,
) -> None:
    envelope = sign_envelope(identity, content_of(identity))
    call = verify_call(
        envelope.to_cbor(), request_type="call", effective_canister_id=CANISTER, now_ns=NOW
    )
    assert call.authorized.sender == identity.principal
    assert parse_call_envelope(envelope.to_cbor(), NOW).message.message_id == envelope.request_id
    signature = bytearray(envelope.sender_sig or b"")
    signature[3] ^= 0x10
    assert not is_valid_signature(
        identity.public_key_der, REQUEST_DOMAIN + envelope.request_id, bytes(signature)
    )


def test_the_expiry_window_is_five_minutes_and_thirty_seconds() -> None:
    identity = Ed25519Identity.generate()
    latest = NOW + MAX_INGRESS_TTL_NS + PERMITTED_DRIFT_AT_VALIDATOR_NS
    for expiry, ok in ((NOW, True), (latest, True), (NOW - 1, False), (latest + 1, False)):
        body = sign_envelope(identity, content_of(identity, expiry=expiry)).to_cbor()
        if ok:
            verify_call(body, request_type="call", effective_canister_id=CANISTER, now_ns=NOW)
        else:
            with pytest.raises(RequestError, match=r"^Invalid request expiry: ") as refused:
                verify_call(body, request_type="call", effective_canister_id=CANISTER, now_ns=NOW)
            assert refused.value.status == 400


def test_sender_and_key_must_match_and_anonymous_must_not_sign() -> None:
    alice, bob = Ed25519Identity.generate(), Ed25519Identity.generate()
    envelope = sign_envelope(alice, content_of(bob))
    with pytest.raises(RequestError, match="does not match the public key"):
        verify_call(
            envelope.to_cbor(), request_type="call", effective_canister_id=CANISTER, now_ns=NOW
        )
    anonymous = sign_envelope(AnonymousIdentity(), content_of(AnonymousIdentity()))
    verify_call(
        anonymous.to_cbor(), request_type="call", effective_canister_id=CANISTER, now_ns=NOW
    )
    with pytest.raises(RequestError, match="expected request_type 'query'"):
        verify_call(
            anonymous.to_cbor(), request_type="query", effective_canister_id=CANISTER, now_ns=NOW
        )


def test_delegation_chains_check_signatures_targets_expiry_and_cycles() -> None:
    root, middle, session = (
        Ed25519Identity.generate(),
        EcdsaIdentity.generate("secp256k1"),
        Ed25519Identity.generate(),
    )
    later = NOW + 10**12
    chained = delegate(
        delegate(root, middle, expiration_ns=later, targets=(CANISTER,)),
        session,
        expiration_ns=later,
    )
    body = sign_envelope(chained, content_of(chained)).to_cbor()
    assert verify_call(
        body, request_type="call", effective_canister_id=CANISTER, now_ns=NOW
    ).authorized.targets == frozenset({CANISTER})
    other = Principal.from_canister_id(6)
    with pytest.raises(RequestError, match="not one of the delegation targets"):
        verify_call(
            sign_envelope(chained, content_of(chained, canister=other)).to_cbor(),
            request_type="call",
            effective_canister_id=other,
            now_ns=NOW,
        )
    soon = NOW + 30 * 10**9
    brief = delegate(root, session, expiration_ns=soon)
    brief_body = sign_envelope(brief, content_of(brief)).to_cbor()
    verify_call(brief_body, request_type="call", effective_canister_id=CANISTER, now_ns=soon)
    with pytest.raises(RequestError, match="delegation has expired"):
        verify_call(
            brief_body, request_type="call", effective_canister_id=CANISTER, now_ns=soon + 1
        )
    looped = delegate(delegate(root, session, expiration_ns=later), root, expiration_ns=later)
    with pytest.raises(RequestError, match="cycle"):
        verify_call(
            sign_envelope(looped, content_of(looped)).to_cbor(),
            request_type="call",
            effective_canister_id=CANISTER,
            now_ns=NOW,
        )
    forged = delegate(Ed25519Identity.generate(), session, expiration_ns=later)
    mixed = type(chained)(
        session=session, delegations=forged.delegations, public_key_der=root.public_key_der
    )
    with pytest.raises(RequestError, match="Invalid delegation"):
        verify_call(
            sign_envelope(mixed, content_of(mixed)).to_cbor(),
            request_type="call",
            effective_canister_id=CANISTER,
            now_ns=NOW,
        )


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff",
        cbor.encode([1, 2]),
        cbor.encode({"content": 5}),
        b"\x81" * 1000 + b"\x00",
        b"\x9f" * 100,
        b"\x5b" + b"\xff" * 8,
        b"\xc1\x1a\x00\x00\x00\x00",
        cbor.encode({"content": {}}),
        cbor.encode({"content": {"request_type": "call", "canister_id": 5}}),
    ],
)
def test_malformed_bodies_are_refused_with_400(body: bytes) -> None:
    with pytest.raises(RequestError) as refused:
        verify_call(body, request_type="call", effective_canister_id=CANISTER, now_ns=NOW)
    assert refused.value.status == 400 and "\n" not in refused.value.reason


def test_shape_checks_bound_items_and_depth_quickly() -> None:
    started = time.process_time()
    with pytest.raises(cbor.CborError):
        cbor.check_shape(
            b"\x9b" + (10**6).to_bytes(8, "big") + b"\x00" * (10**6 - 1)
        )  # one item short
    with pytest.raises(cbor.CborError):
        cbor.check_shape(b"\x9a" + (300_000).to_bytes(4, "big") + b"\x00" * 300_000)
    assert time.process_time() - started < 5.0


ED25519_DER_PREFIX = bytes.fromhex("302a300506032b6570032100")


@given(
    seed=st.binary(min_size=32, max_size=32),
    message=st.binary(max_size=64),
    flip=st.integers(min_value=0, max_value=64 * 8),
)
def test_ed25519_verdicts_are_openssls(seed: bytes, message: bytes, flip: int) -> None:
    """libsodium checks first and OpenSSL settles its refusals: a genuine signature passes, and
    a signature with any one bit flipped (or none: flip 512) gets OpenSSL's own verdict."""
    identity = Ed25519Identity.from_seed(seed)
    signature = bytearray(identity.sign(message))
    if flip < 512:
        signature[flip // 8] ^= 1 << (flip % 8)
    key = Ed25519PublicKey.from_public_bytes(identity.public_key_der[-32:])
    try:
        key.verify(bytes(signature), message)
        openssl = True
    except InvalidSignature:
        openssl = False
    assert is_valid_signature(identity.public_key_der, message, bytes(signature)) is openssl
    assert openssl is (flip == 512)


def test_a_small_order_key_that_openssl_accepts_is_accepted() -> None:
    """The identity point as the key and R, S = 0: libsodium refuses small-order points, OpenSSL
    (and the IC's ZIP215 rules) accept the signature, and so does icbox, by OpenSSL's verdict."""
    identity_point = bytes([1]) + bytes(31)
    der = ED25519_DER_PREFIX + identity_point
    signature = identity_point + bytes(32)
    assert is_valid_signature(der, b"any message", signature)
    assert not is_valid_signature(der, b"any message", identity_point + bytes([1]) + bytes(31))
