"""Certificates: a hash tree whose root hash a subnet has signed.

A certificate (IC interface spec, "Certification") is the CBOR map
`55799({tree, signature, ?delegation})`. The signature is a BLS signature
(G1, 48 bytes) on `"\\x0Dic-state-root" || reconstruct(tree)` under the public
key of the subnet that built the tree. Clients know one key, the root key (the
root subnet's, given as 133 bytes of DER); a certificate of another subnet
carries a delegation: that subnet's id and a certificate of the root subnet,
itself without delegation, that reveals `/subnet/<id>/public_key` and canister
ranges covering the canister the client asked about.

Every certificate holds `/time`, the subnet's time when it signed; a reader
accepts it only if it is recent (five minutes by default, thirty days for a
delegation) and not more than five minutes in the future, against a `now_ns`
the caller gives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import cbor2

from replica.crypto import bls, hashtree
from replica.crypto.errors import CryptoError
from replica.crypto.hashtree import Found, HashTree, HashTreeError
from replica.types import Principal

STATE_ROOT_DOMAIN: Final = b"\x0dic-state-root"
SELF_DESCRIBED_CBOR_TAG: Final = 55799
NANOS_PER_MINUTE: Final = 60 * 1_000_000_000
DEFAULT_MAX_AGE_NS: Final = 5 * NANOS_PER_MINUTE
DELEGATION_MAX_AGE_NS: Final = 30 * 24 * 60 * NANOS_PER_MINUTE
MAX_CLOCK_DRIFT_NS: Final = 5 * NANOS_PER_MINUTE


class CertificateError(CryptoError):
    """A certificate that is malformed, wrongly signed, stale, or outside its delegation."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Delegation:
    """The root subnet's word that `subnet_id` holds a key and a range of canisters."""

    subnet_id: Principal
    certificate: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Certificate:
    tree: HashTree
    signature: bytes
    delegation: Delegation | None = None

    @property
    def root_hash(self) -> bytes:
        return self.tree.digest

    def lookup(self, path: hashtree.LabelPath) -> hashtree.LookupResult:
        return hashtree.lookup(self.tree, path)

    def time_ns(self) -> int:
        """The certified `/time`; a certificate without it is invalid."""
        found = self.lookup(["time"])
        if not isinstance(found, Found):
            raise CertificateError("the certificate has no /time")
        try:
            return hashtree.decode_nat(found.value)
        except HashTreeError as error:
            raise CertificateError(f"the certificate's /time is not a number: {error}") from error

    def to_cbor(self) -> bytes:
        """The self-described CBOR form, keys in the order of the spec."""
        body: dict[str, Any] = {
            "tree": hashtree.to_cbor_value(self.tree),
            "signature": self.signature,
        }
        if self.delegation is not None:
            body["delegation"] = {
                "subnet_id": self.delegation.subnet_id.raw,
                "certificate": self.delegation.certificate,
            }
        return bytes(cbor2.dumps(cbor2.CBORTag(SELF_DESCRIBED_CBOR_TAG, body)))

    @classmethod
    def from_cbor(cls, data: bytes) -> Certificate:
        """Parse a certificate, with or without the 55799 tag."""
        try:
            value = cbor2.loads(data)
        except (cbor2.CBORDecodeError, ValueError, TypeError) as error:
            raise CertificateError(f"certificate is not valid CBOR: {error}") from error
        if isinstance(value, cbor2.CBORTag) and value.tag == SELF_DESCRIBED_CBOR_TAG:
            value = value.value
        if (
            not isinstance(value, Mapping)
            or not isinstance(value.get("signature"), bytes)
            or "tree" not in value
        ):
            raise CertificateError("a certificate is a map with a tree and a signature")
        try:
            tree = hashtree.from_cbor_value(value["tree"])
        except HashTreeError as error:
            raise CertificateError(f"the certificate's tree is malformed: {error}") from error
        delegation = None
        if "delegation" in value:
            raw = value["delegation"]
            if (
                not isinstance(raw, Mapping)
                or not isinstance(raw.get("subnet_id"), bytes)
                or not isinstance(raw.get("certificate"), bytes)
            ):
                raise CertificateError("a delegation is a map with a subnet_id and a certificate")
            try:
                subnet_id = Principal(raw["subnet_id"])
            except ValueError as error:
                raise CertificateError(
                    f"the delegation's subnet id is not a principal: {error}"
                ) from error
            delegation = Delegation(subnet_id=subnet_id, certificate=raw["certificate"])
        return cls(tree=tree, signature=value["signature"], delegation=delegation)


def signed_message(root_hash: bytes) -> bytes:
    """What the subnet signs: the state-root domain separator and the tree's root hash."""
    return STATE_ROOT_DOMAIN + root_hash


def sign_tree(tree: HashTree, secret: int, *, delegation: Delegation | None = None) -> Certificate:
    """A certificate signed with one secret key (tests and single-key subnets).

    A subnet signs with its threshold key: consensus combines the shares and
    gives the signature, and `Certificate(tree=..., signature=...)` holds it.
    """
    return Certificate(
        tree=tree, signature=bls.sign(secret, signed_message(tree.digest)), delegation=delegation
    )


def root_key_from_der(der: bytes) -> bytes:
    """The 96-byte BLS key inside a 133-byte DER root key with the fixed prefix."""
    size = len(bls.PUBLIC_KEY_DER_PREFIX) + bls.PUBLIC_KEY_BYTES
    if len(der) != size or not der.startswith(bls.PUBLIC_KEY_DER_PREFIX):
        raise CertificateError(f"a root key is {size} bytes of DER with the BLS prefix")
    try:
        return bls.public_key_from_der(der)
    except CryptoError as error:
        raise CertificateError(f"the root key is not a BLS12-381 G2 point: {error}") from error


def decode_canister_ranges(data: bytes) -> list[tuple[Principal, Principal]]:
    """`55799([[start, end], ...])`: closed ranges of canister ids."""
    try:
        value = cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError, TypeError) as error:
        raise CertificateError(f"canister ranges are not valid CBOR: {error}") from error
    if isinstance(value, cbor2.CBORTag) and value.tag == SELF_DESCRIBED_CBOR_TAG:
        value = value.value
    if not isinstance(value, list | tuple):
        raise CertificateError("canister ranges are a list of pairs")
    ranges: list[tuple[Principal, Principal]] = []
    for pair in value:
        if not (
            isinstance(pair, list | tuple)
            and len(pair) == 2
            and all(isinstance(p, bytes) for p in pair)
        ):
            raise CertificateError("a canister range is a pair of principals")
        try:
            ranges.append((Principal(pair[0]), Principal(pair[1])))
        except ValueError as error:
            raise CertificateError(f"a canister range holds a bad principal: {error}") from error
    return ranges


def encode_canister_ranges(ranges: Sequence[tuple[Principal, Principal]]) -> bytes:
    return bytes(
        cbor2.dumps(
            cbor2.CBORTag(SELF_DESCRIBED_CBOR_TAG, [[start.raw, end.raw] for start, end in ranges])
        )
    )


def delegated_canister_ranges(
    certificate: Certificate, subnet_id: Principal
) -> list[tuple[Principal, Principal]]:
    """The subnet's canister ranges: the flat `/subnet/<id>/canister_ranges`, else its shards."""
    found = certificate.lookup(["subnet", subnet_id.raw, "canister_ranges"])
    if isinstance(found, Found):
        return decode_canister_ranges(found.value)
    shards = hashtree.lookup_subtree(certificate.tree, ["canister_ranges", subnet_id.raw])
    if isinstance(shards, hashtree.Absent | hashtree.Unknown):
        raise CertificateError(f"the delegation does not reveal the canister ranges of {subnet_id}")
    ranges: list[tuple[Principal, Principal]] = []
    for _, value in hashtree.iter_leaves(shards):
        ranges.extend(decode_canister_ranges(value))
    return ranges


def is_in_ranges(canister_id: Principal, ranges: Sequence[tuple[Principal, Principal]]) -> bool:
    return any(start.raw <= canister_id.raw <= end.raw for start, end in ranges)


def _check_time(certificate: Certificate, now_ns: int | None, max_age_ns: int) -> None:
    time_ns = certificate.time_ns()
    if now_ns is None:
        return
    if time_ns < now_ns - max_age_ns:
        raise CertificateError(f"the certificate is too old: time {time_ns}, now {now_ns}")
    if time_ns > now_ns + MAX_CLOCK_DRIFT_NS:
        raise CertificateError(f"the certificate is in the future: time {time_ns}, now {now_ns}")


@lru_cache(maxsize=64)
def _delegation_certificate(data: bytes) -> Certificate:
    """A delegation's certificate, parsed (and its tree hashed) once: every certificate of a
    subnet carries the same delegation until the subnet fetches a new one. Its signature and age
    are still checked on each use (the signature check is memoised by `bls.verify`)."""
    return Certificate.from_cbor(data)


@lru_cache(maxsize=64)
def _delegated_ranges(data: bytes, subnet_id: Principal) -> tuple[tuple[Principal, Principal], ...]:
    return tuple(delegated_canister_ranges(_delegation_certificate(data), subnet_id))


def _signing_key(
    certificate: Certificate,
    root_key: bytes,
    effective_canister_id: Principal | None,
    now_ns: int | None,
) -> bytes:
    """The key that must have signed `certificate`: the root key, or the delegated subnet's."""
    delegation = certificate.delegation
    if delegation is None:
        return root_key
    parent = _delegation_certificate(delegation.certificate)
    if parent.delegation is not None:
        raise CertificateError("a delegation's certificate must not carry a delegation of its own")
    verify_certificate_with_key(parent, root_key, now_ns=now_ns, max_age_ns=DELEGATION_MAX_AGE_NS)
    if effective_canister_id is None:
        raise CertificateError(
            "a delegated certificate is checked against an effective canister id"
        )
    if not is_in_ranges(
        effective_canister_id, _delegated_ranges(delegation.certificate, delegation.subnet_id)
    ):
        raise CertificateError(
            f"canister {effective_canister_id} is outside the ranges of subnet "
            f"{delegation.subnet_id}"
        )
    found = parent.lookup(["subnet", delegation.subnet_id.raw, "public_key"])
    if not isinstance(found, Found):
        raise CertificateError(
            f"the delegation does not reveal the public key of subnet {delegation.subnet_id}"
        )
    return root_key_from_der(found.value)


def verify_certificate_with_key(
    certificate: Certificate,
    public_key: bytes,
    *,
    now_ns: int | None,
    max_age_ns: int = DEFAULT_MAX_AGE_NS,
) -> None:
    """Check the signature under a 96-byte key and the freshness of `/time`; no delegation."""
    if certificate.delegation is not None:
        raise CertificateError("a certificate with a delegation is verified against the root key")
    if not bls.verify(public_key, signed_message(certificate.root_hash), certificate.signature):
        raise CertificateError("the certificate's signature is invalid")
    _check_time(certificate, now_ns, max_age_ns)


def verify_certificate(
    certificate: Certificate,
    root_key_der: bytes,
    *,
    now_ns: int | None,
    effective_canister_id: Principal | None = None,
    max_age_ns: int = DEFAULT_MAX_AGE_NS,
) -> None:
    """Raise `CertificateError` unless the certificate is valid as agent-js checks it.

    With a delegation, the delegation's certificate is checked against the root
    key (with the thirty-day age limit), and must reveal the subnet's key and
    canister ranges that cover `effective_canister_id`. `now_ns=None` turns the
    time check off (the spec's `disableTimeVerification`), but `/time` must
    still be there.
    """
    root_key = root_key_from_der(root_key_der)
    key = _signing_key(certificate, root_key, effective_canister_id, now_ns)
    if not bls.verify(key, signed_message(certificate.root_hash), certificate.signature):
        raise CertificateError("the certificate's signature is invalid")
    _check_time(certificate, now_ns, max_age_ns)


def is_valid_certificate(
    certificate: Certificate,
    root_key_der: bytes,
    *,
    now_ns: int | None,
    effective_canister_id: Principal | None = None,
) -> bool:
    try:
        verify_certificate(
            certificate, root_key_der, now_ns=now_ns, effective_canister_id=effective_canister_id
        )
    except CertificateError:
        return False
    return True
