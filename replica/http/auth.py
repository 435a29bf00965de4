"""Who sent a request: sender signatures, delegation chains and the expiry window.

Rules of the IC interface spec ("Authentication", "Request expiry"), with the
IC's own error texts (`rs/validator/src/ingress_validation.rs`):

- `ingress_expiry` must lie in `[now, now + 5 min + 30 s]` (`MAX_INGRESS_TTL`
  plus `PERMITTED_DRIFT_AT_VALIDATOR`, `rs/limits/src/lib.rs`); the refusal
  starts with "Invalid request expiry: ", which agents recognise to resync
  their clock.
- The anonymous sender (`0x04`) sends no key and no signature; any other
  sender is `self_authenticating(sender_pubkey)` and signs
  `"\\x0Aic-request" || request_id`.
- Keys are DER SubjectPublicKeyInfo: Ed25519, ECDSA P-256 or ECDSA secp256k1
  (signatures `r || s`, 64 bytes, SHA-256). Canister signatures and WebAuthn
  keys are not supported.
- A delegation chain (at most 20) hands signing from `sender_pubkey` to the
  last delegation's key; each delegation is signed by the key before it over
  `"\\x1Aic-request-auth-delegation" || hash_of_map(delegation)`, must not
  have expired, and no key may appear twice; the targets of the delegations
  intersect, and the request's canister must be among them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
)
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError, CryptoError

from replica.http.envelope import REQUEST_DOMAIN, SignedDelegation
from replica.types import Principal

NANOS_PER_SECOND: Final = 1_000_000_000
MAX_INGRESS_TTL_NS: Final = 5 * 60 * NANOS_PER_SECOND
PERMITTED_DRIFT_AT_VALIDATOR_NS: Final = 30 * NANOS_PER_SECOND
EXPIRY_ERROR_PREFIX: Final = "Invalid request expiry: "

PublicKey = Ed25519PublicKey | ec.EllipticCurvePublicKey


class AuthenticationError(ValueError):
    """A request whose sender is not proven (HTTP 400), with the IC's one-line reason."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Authorized:
    """A request with a proven sender, and the canisters its delegations allow (None: all)."""

    sender: Principal
    targets: frozenset[Principal] | None
    valid_until_ns: int | None = None
    """The earliest expiration of the sender's delegations (None: no delegation): after it the
    same request no longer authenticates."""

    def allows(self, canister_id: Principal) -> bool:
        return self.targets is None or canister_id in self.targets


def _format_time(timestamp_ns: int) -> str:
    seconds, nanos = divmod(timestamp_ns, NANOS_PER_SECOND)
    try:
        moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)
    except (OverflowError, OSError, ValueError):
        return f"{timestamp_ns} ns"
    return f"{moment:%Y-%m-%d %H:%M:%S}.{nanos:09d} UTC"


def validate_ingress_expiry(ingress_expiry_ns: int, now_ns: int) -> None:
    minimum = now_ns
    maximum = now_ns + MAX_INGRESS_TTL_NS + PERMITTED_DRIFT_AT_VALIDATOR_NS
    if not minimum <= ingress_expiry_ns <= maximum:
        raise AuthenticationError(
            f"{EXPIRY_ERROR_PREFIX}Specified ingress_expiry not within expected range: "
            f"Minimum allowed expiry: {_format_time(minimum)}, "
            f"Maximum allowed expiry: {_format_time(maximum)}, "
            f"Provided expiry: {_format_time(ingress_expiry_ns)}, "
            f"Local replica time: {_format_time(now_ns)}"
        )


@lru_cache(maxsize=4096)
def load_public_key(der: bytes) -> PublicKey:
    """An Ed25519, P-256 or secp256k1 key from DER, or `AuthenticationError`."""
    try:
        key = load_der_public_key(der)
    except (ValueError, TypeError) as error:
        raise AuthenticationError(f"Invalid public key: not a DER public key ({error})") from error
    if isinstance(key, Ed25519PublicKey):
        return key
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(
        key.curve, ec.SECP256R1 | ec.SECP256K1
    ):
        return key
    raise AuthenticationError(
        "Invalid public key: only Ed25519, ECDSA P-256 and ECDSA secp256k1 keys are supported"
    )


@lru_cache(maxsize=4096)
def _raw_ed25519(der: bytes) -> bytes:
    key = load_public_key(der)
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _is_accepted_by_libsodium(public_key_der: bytes, message: bytes, signature: bytes) -> bool:
    try:
        crypto_sign_open(signature + message, _raw_ed25519(public_key_der))
    except (BadSignatureError, CryptoError, ValueError, TypeError):
        return False
    return True


def is_valid_signature(public_key_der: bytes, message: bytes, signature: bytes) -> bool:
    """Whether `signature` signs `message` under the DER key. Raises only for an unusable key.

    An Ed25519 signature is checked by libsodium first, in about half OpenSSL's time. Both
    check the same cofactorless equation, and libsodium also refuses small-order keys and
    points and non-canonical encodings, which OpenSSL accepts; so what libsodium accepts,
    OpenSSL accepts, and a refusal is settled by OpenSSL: the verdicts are OpenSSL's.
    """
    key = load_public_key(public_key_der)
    try:
        if isinstance(key, Ed25519PublicKey):
            if len(signature) == 64 and _is_accepted_by_libsodium(
                public_key_der, message, signature
            ):
                return True
            key.verify(signature, message)
            return True
        if len(signature) != 64:
            return False
        der_signature = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        key.verify(der_signature, message, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError):
        return False


def _validate_delegations(
    chain: tuple[SignedDelegation, ...], sender_pubkey: bytes, now_ns: int
) -> tuple[bytes, frozenset[Principal] | None, int | None]:
    """The key that must sign the request, the targets the chain allows and the chain's
    earliest expiration."""
    for signed in chain:
        if signed.delegation.expiration_ns < now_ns:
            raise AuthenticationError(
                "Specified sender delegation has expired: "
                f"Provided expiry: {_format_time(signed.delegation.expiration_ns)}, "
                f"Local replica time: {_format_time(now_ns)}"
            )
    key = sender_pubkey
    seen = {key}
    targets: frozenset[Principal] | None = None
    for signed in chain:
        delegation = signed.delegation
        try:
            valid = is_valid_signature(key, delegation.signed_bytes(), signed.signature)
        except AuthenticationError as error:
            raise AuthenticationError(f"Invalid delegation: {error}") from error
        if not valid:
            raise AuthenticationError(
                "Invalid delegation: Invalid basic signature on the delegation"
            )
        if delegation.targets is not None:
            allowed = frozenset(delegation.targets)
            targets = allowed if targets is None else targets & allowed
        key = delegation.pubkey
        if key in seen:
            raise AuthenticationError("Invalid delegation: the delegation chain contains a cycle")
        seen.add(key)
    valid_until_ns = min((signed.delegation.expiration_ns for signed in chain), default=None)
    return key, targets, valid_until_ns


def authenticate(
    *,
    request_id: bytes,
    sender: Principal,
    sender_pubkey: bytes | None,
    sender_sig: bytes | None,
    sender_delegation: tuple[SignedDelegation, ...],
    now_ns: int,
) -> Authorized:
    """Check the envelope's signatures; the caller checks the canister against `targets`."""
    if sender_pubkey is None and sender_sig is None:
        if sender_delegation:
            raise AuthenticationError("Invalid delegation: a delegation needs a sender public key")
        if sender.is_anonymous:
            return Authorized(sender=sender, targets=None)
        raise AuthenticationError(f"Missing signature from user: {sender}")
    if sender.is_anonymous:
        raise AuthenticationError("Signature is not allowed for the anonymous user")
    if sender_pubkey is None or sender_sig is None:
        raise AuthenticationError(f"Missing signature from user: {sender}")
    if Principal.self_authenticating(sender_pubkey) != sender:
        raise AuthenticationError(
            f"The user id {sender} does not match the public key {sender_pubkey.hex()}"
        )
    signing_key, targets, valid_until_ns = _validate_delegations(
        sender_delegation, sender_pubkey, now_ns
    )
    try:
        valid = is_valid_signature(signing_key, REQUEST_DOMAIN + request_id, sender_sig)
    except AuthenticationError as error:
        raise AuthenticationError(f"Invalid signature: {error}") from error
    if not valid:
        raise AuthenticationError(
            f"Invalid signature: Invalid basic signature on request {request_id.hex()}"
        )
    return Authorized(sender=sender, targets=targets, valid_until_ns=valid_until_ns)


def check_target(authorized: Authorized, canister_id: Principal) -> None:
    if not authorized.allows(canister_id):
        raise AuthenticationError(f"Canister {canister_id} is not one of the delegation targets")
