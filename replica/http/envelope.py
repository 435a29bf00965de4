"""Request envelopes and the representation-independent request id.

A request is the CBOR map `55799({content, ?sender_pubkey, ?sender_sig,
?sender_delegation})` (IC interface spec, "Authentication"). Its `content` is
a call, a query or a read_state; its id is `hash_of_map(content)`:

    hash_of_map(m) = SHA-256(concat(sorted(SHA-256(key) || H(value) for each key)))

with `H` the SHA-256 of a blob or of UTF-8 text, of the unsigned LEB128 of a
nat (signed LEB128 of a negative int), of the concatenated hashes of an
array's elements, and `hash_of_map` of a nested map ("Representation-
independent hashing of structured data"). The same function hashes
delegations and query responses before they are signed.

Parsing checks field types only; `replica.http.auth` checks who signed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from replica.candid.wire import leb128, sleb128
from replica.http.cbor import CborError, decode, encode
from replica.types import Principal, PrincipalError

REQUEST_DOMAIN: Final = b"\x0aic-request"
DELEGATION_DOMAIN: Final = b"\x1aic-request-auth-delegation"
RESPONSE_DOMAIN: Final = b"\x0bic-response"
MAX_DELEGATIONS: Final = 20
MAX_DELEGATION_TARGETS: Final = 1_000
MAX_PATHS: Final = 1_000
MAX_PATH_LABELS: Final = 127
MAX_NONCE_BYTES: Final = 32

RequestType = Literal["call", "query", "read_state"]


class EnvelopeError(ValueError):
    """A request body that is not a well-formed envelope (HTTP 400)."""


# -- hashing ----------------------------------------------------------------------------------


def hash_value(value: Any) -> bytes:
    """`H(value)` of the representation-independent hash."""
    if isinstance(value, bytes | bytearray | memoryview):
        return hashlib.sha256(bytes(value)).digest()
    if isinstance(value, str):
        return hashlib.sha256(value.encode()).digest()
    if isinstance(value, bool):
        raise EnvelopeError("booleans have no representation-independent hash")
    if isinstance(value, int):
        return hashlib.sha256(leb128(value) if value >= 0 else sleb128(value)).digest()
    if isinstance(value, Mapping):
        return hash_of_map(value)
    if isinstance(value, list | tuple):
        return hashlib.sha256(b"".join(hash_value(item) for item in value)).digest()
    raise EnvelopeError(
        f"a value of type {type(value).__name__} has no representation-independent hash"
    )


_KEY_HASHES: Final = {
    key: hashlib.sha256(key.encode()).digest()
    for key in (
        "request_type",
        "canister_id",
        "method_name",
        "arg",
        "sender",
        "ingress_expiry",
        "nonce",
        "paths",
        "pubkey",
        "expiration",
        "targets",
    )
}
"""SHA-256 of the keys every request and delegation has, computed once."""


def hash_of_map(fields: Mapping[Any, Any]) -> bytes:
    """The representation-independent hash of a map with text keys."""
    pairs = []
    for key, value in fields.items():
        if not isinstance(key, str):
            raise EnvelopeError("map keys must be text")
        key_hash = _KEY_HASHES.get(key)
        if key_hash is None:
            key_hash = hashlib.sha256(key.encode()).digest()
        if type(value) is bytes:  # most values are blobs
            pairs.append(key_hash + hashlib.sha256(value).digest())
        else:
            pairs.append(key_hash + hash_value(value))
    pairs.sort()
    return hashlib.sha256(b"".join(pairs)).digest()


def request_id(content: Mapping[str, Any]) -> bytes:
    return hash_of_map(content)


# -- records ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Delegation:
    """`{pubkey, expiration, ?targets}`: the key `pubkey` may sign for the delegator until
    `expiration`."""

    pubkey: bytes
    expiration_ns: int
    targets: tuple[Principal, ...] | None = None

    def to_map(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"pubkey": self.pubkey, "expiration": self.expiration_ns}
        if self.targets is not None:
            fields["targets"] = [target.raw for target in self.targets]
        return fields

    def signed_bytes(self) -> bytes:
        """What the delegating key signs."""
        return DELEGATION_DOMAIN + hash_of_map(self.to_map())


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedDelegation:
    delegation: Delegation
    signature: bytes

    def to_map(self) -> dict[str, Any]:
        return {"delegation": self.delegation.to_map(), "signature": self.signature}


@dataclass(frozen=True, slots=True, kw_only=True)
class Envelope:
    content: Mapping[str, Any]
    sender_pubkey: bytes | None = None
    sender_sig: bytes | None = None
    sender_delegation: tuple[SignedDelegation, ...] = ()

    @property
    def request_id(self) -> bytes:
        return request_id(self.content)

    def to_cbor(self) -> bytes:
        body: dict[str, Any] = {"content": dict(self.content)}
        if self.sender_pubkey is not None:
            body["sender_pubkey"] = self.sender_pubkey
        if self.sender_sig is not None:
            body["sender_sig"] = self.sender_sig
        if self.sender_delegation:
            body["sender_delegation"] = [signed.to_map() for signed in self.sender_delegation]
        return encode(body)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallContent:
    """The content of a call or a query."""

    request_type: Literal["call", "query"]
    canister_id: Principal
    method_name: str
    arg: bytes
    sender: Principal
    ingress_expiry_ns: int
    nonce: bytes | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadStateContent:
    paths: tuple[tuple[bytes, ...], ...]
    sender: Principal
    ingress_expiry_ns: int
    nonce: bytes | None = None


# -- parsing ----------------------------------------------------------------------------------


def _blob(fields: Mapping[str, Any], name: str, *, optional: bool = False) -> bytes | None:
    value = fields.get(name)
    if value is None:
        if optional and name not in fields:
            return None
        raise EnvelopeError(f"field {name!r} is missing or not a blob")
    if not isinstance(value, bytes):
        raise EnvelopeError(f"field {name!r} must be a blob")
    return value


def _principal(fields: Mapping[str, Any], name: str) -> Principal:
    raw = _blob(fields, name)
    try:
        return Principal(raw or b"")
    except PrincipalError as error:
        raise EnvelopeError(f"field {name!r} is not a principal: {error}") from error


def _nat(fields: Mapping[str, Any], name: str) -> int:
    value = fields.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value >= 1 << 64:
        raise EnvelopeError(f"field {name!r} must be a 64-bit natural number")
    return value


def _delegation(value: Any) -> SignedDelegation:
    if not isinstance(value, Mapping) or not isinstance(value.get("delegation"), Mapping):
        raise EnvelopeError("a signed delegation is a map with a delegation and a signature")
    signature = _blob(value, "signature")
    fields = value["delegation"]
    targets = None
    if "targets" in fields:
        raw_targets = fields["targets"]
        if not isinstance(raw_targets, list | tuple) or not all(
            isinstance(t, bytes) for t in raw_targets
        ):
            raise EnvelopeError("delegation targets must be a list of principals")
        if len(raw_targets) > MAX_DELEGATION_TARGETS:
            raise EnvelopeError(f"a delegation has at most {MAX_DELEGATION_TARGETS} targets")
        try:
            targets = tuple(Principal(t) for t in raw_targets)
        except PrincipalError as error:
            raise EnvelopeError(f"a delegation target is not a principal: {error}") from error
    delegation = Delegation(
        pubkey=_blob(fields, "pubkey") or b"",
        expiration_ns=_nat(fields, "expiration"),
        targets=targets,
    )
    return SignedDelegation(delegation=delegation, signature=signature or b"")


def decode_envelope(body: bytes) -> Envelope:
    """Parse a request body into an envelope (content unchecked), or raise `EnvelopeError`."""
    try:
        value = decode(body)
    except CborError as error:
        raise EnvelopeError(f"Failed to deserialize cbor request: {error}") from error
    if not isinstance(value, Mapping) or not isinstance(value.get("content"), Mapping):
        raise EnvelopeError("the request is not a map with a content map")
    delegations_value = value.get("sender_delegation")
    delegations: tuple[SignedDelegation, ...] = ()
    if delegations_value is not None:
        if not isinstance(delegations_value, list | tuple):
            raise EnvelopeError("sender_delegation must be a list")
        if len(delegations_value) > MAX_DELEGATIONS:
            raise EnvelopeError(f"a delegation chain has at most {MAX_DELEGATIONS} delegations")
        delegations = tuple(_delegation(item) for item in delegations_value)
    return Envelope(
        content=value["content"],
        sender_pubkey=_blob(value, "sender_pubkey", optional=True),
        sender_sig=_blob(value, "sender_sig", optional=True),
        sender_delegation=delegations,
    )


def _nonce(content: Mapping[str, Any]) -> bytes | None:
    nonce = _blob(content, "nonce", optional=True)
    if nonce is not None and len(nonce) > MAX_NONCE_BYTES:
        raise EnvelopeError(f"the nonce has more than {MAX_NONCE_BYTES} bytes")
    return nonce


def parse_call_content(
    content: Mapping[str, Any], expected: Literal["call", "query"]
) -> CallContent:
    request_type = content.get("request_type")
    if request_type != expected:
        raise EnvelopeError(f"expected request_type {expected!r}, got {request_type!r:.40}")
    method_name = content.get("method_name")
    if not isinstance(method_name, str):
        raise EnvelopeError("field 'method_name' must be text")
    return CallContent(
        request_type=expected,
        canister_id=_principal(content, "canister_id"),
        method_name=method_name,
        arg=_blob(content, "arg") or b"",
        sender=_principal(content, "sender"),
        ingress_expiry_ns=_nat(content, "ingress_expiry"),
        nonce=_nonce(content),
    )


def parse_read_state_content(content: Mapping[str, Any]) -> ReadStateContent:
    if content.get("request_type") != "read_state":
        raise EnvelopeError(
            f"expected request_type 'read_state', got {content.get('request_type')!r:.40}"
        )
    raw_paths = content.get("paths")
    if not isinstance(raw_paths, list | tuple):
        raise EnvelopeError("field 'paths' must be a list of paths")
    if len(raw_paths) > MAX_PATHS:
        raise EnvelopeError(f"a read_state request has at most {MAX_PATHS} paths")
    paths = []
    for path in raw_paths:
        if not isinstance(path, list | tuple) or not all(
            isinstance(label, bytes) for label in path
        ):
            raise EnvelopeError("a path is a list of blobs")
        if len(path) > MAX_PATH_LABELS:
            raise EnvelopeError(f"a path has at most {MAX_PATH_LABELS} labels")
        paths.append(tuple(path))
    return ReadStateContent(
        paths=tuple(paths),
        sender=_principal(content, "sender"),
        ingress_expiry_ns=_nat(content, "ingress_expiry"),
        nonce=_nonce(content),
    )


# -- building (agents) -----------------------------------------------------------------------


def call_content(
    request_type: Literal["call", "query"],
    *,
    canister_id: Principal,
    method_name: str,
    arg: bytes,
    sender: Principal,
    ingress_expiry_ns: int,
    nonce: bytes | None = None,
) -> dict[str, Any]:
    content: dict[str, Any] = {
        "request_type": request_type,
        "canister_id": canister_id.raw,
        "method_name": method_name,
        "arg": arg,
        "sender": sender.raw,
        "ingress_expiry": ingress_expiry_ns,
    }
    if nonce is not None:
        content["nonce"] = nonce
    return content


def read_state_content(
    *,
    paths: Sequence[Sequence[bytes]],
    sender: Principal,
    ingress_expiry_ns: int,
    nonce: bytes | None = None,
) -> dict[str, Any]:
    content: dict[str, Any] = {
        "request_type": "read_state",
        "paths": [list(path) for path in paths],
        "sender": sender.raw,
        "ingress_expiry": ingress_expiry_ns,
    }
    if nonce is not None:
        content["nonce"] = nonce
    return content
