"""From a request body to an authenticated request, or the spec's refusal.

`verify_call`, `verify_query` and `verify_read_state` run every check that
needs no replica state: the envelope's shape, the request type, the
effective canister id in the URL, the expiry window and the sender's
signatures and delegations. Each refusal is a `RequestError` with the HTTP
status and the one-line reason the IC gives (`rs/http_endpoints/public/src/
call.rs`, `common.rs`, `rs/validator`). `parse_call_envelope` is what a
replica runs on an ingress message a peer gossiped: the same checks, giving
the message to execute, and `authenticate_ingress` what a validator runs on a
message a block carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from replica.execution.messages import IngressMessage
from replica.http.auth import (
    AuthenticationError,
    Authorized,
    authenticate,
    check_target,
    validate_ingress_expiry,
)
from replica.http.backend import SignedIngress
from replica.http.envelope import (
    CallContent,
    Envelope,
    EnvelopeError,
    ReadStateContent,
    decode_envelope,
    parse_call_content,
    parse_read_state_content,
)
from replica.types import Principal

MANAGEMENT_CANISTER_ID: Final = Principal.management_canister()


class RequestError(Exception):
    """A refused request: an HTTP status and a one-line reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = " ".join(reason.split())


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedCall:
    content: CallContent
    request_id: bytes
    authorized: Authorized
    body: bytes

    def to_ingress(self) -> SignedIngress:
        content = self.content
        return SignedIngress(
            message=IngressMessage(
                message_id=self.request_id,
                sender=content.sender,
                canister_id=content.canister_id,
                method=content.method_name,
                arg=content.arg,
                ingress_expiry_ns=content.ingress_expiry_ns,
                envelope=self.body,
            ),
            envelope=self.body,
            nonce=content.nonce,
            valid_until_ns=self.authorized.valid_until_ns,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedReadState:
    content: ReadStateContent
    request_id: bytes
    authorized: Authorized


def _decode(body: bytes, what: str) -> Envelope:
    try:
        return decode_envelope(body)
    except EnvelopeError as error:
        raise RequestError(400, f"Could not parse body as {what}: {error}") from error


def _authenticate(
    envelope: Envelope, request_id: bytes, sender: Principal, expiry_ns: int, now_ns: int
) -> Authorized:
    try:
        validate_ingress_expiry(expiry_ns, now_ns)
        return authenticate(
            request_id=request_id,
            sender=sender,
            sender_pubkey=envelope.sender_pubkey,
            sender_sig=envelope.sender_sig,
            sender_delegation=envelope.sender_delegation,
            now_ns=now_ns,
        )
    except AuthenticationError as error:
        raise RequestError(400, str(error)) from error


def verify_call(
    body: bytes,
    *,
    request_type: Literal["call", "query"],
    effective_canister_id: Principal | None,
    now_ns: int,
) -> VerifiedCall:
    """Check a call or query body; `effective_canister_id` None skips the URL check (gossip)."""
    what = "call message" if request_type == "call" else "query"
    envelope = _decode(body, what)
    try:
        content = parse_call_content(envelope.content, request_type)
        request_id = envelope.request_id
    except EnvelopeError as error:
        raise RequestError(400, f"Could not parse body as {what}: {error}") from error
    if (
        effective_canister_id is not None
        and content.canister_id != MANAGEMENT_CANISTER_ID
        and content.canister_id != effective_canister_id
    ):
        raise RequestError(
            400,
            f"Specified CanisterId {content.canister_id} does not match effective canister id in "
            f"URL {effective_canister_id}",
        )
    authorized = _authenticate(
        envelope, request_id, content.sender, content.ingress_expiry_ns, now_ns
    )
    try:
        check_target(authorized, content.canister_id)
    except AuthenticationError as error:
        raise RequestError(400, str(error)) from error
    return VerifiedCall(content=content, request_id=request_id, authorized=authorized, body=body)


def verify_read_state(body: bytes, *, now_ns: int) -> VerifiedReadState:
    envelope = _decode(body, "read_state request")
    try:
        content = parse_read_state_content(envelope.content)
        request_id = envelope.request_id
    except EnvelopeError as error:
        raise RequestError(400, f"Malformed request: {error}") from error
    authorized = _authenticate(
        envelope, request_id, content.sender, content.ingress_expiry_ns, now_ns
    )
    return VerifiedReadState(content=content, request_id=request_id, authorized=authorized)


def parse_call_envelope(body: bytes, now_ns: int) -> SignedIngress:
    """A gossiped call envelope, checked again: the ingress message it carries.

    Raises `RequestError` if the envelope is malformed, expired or wrongly signed.
    """
    return verify_call(
        body, request_type="call", effective_canister_id=None, now_ns=now_ns
    ).to_ingress()


def check_ingress(message: IngressMessage, time_ns: int) -> SignedIngress | str:
    """The call a block's (or a peer's) ingress message is, checked at `time_ns`, or why it is
    not one: the envelope passes every check of a gossiped call, and the message is exactly what
    it holds."""
    try:
        signed = parse_call_envelope(message.envelope, time_ns)
    except (RequestError, ValueError) as error:
        return error.reason if isinstance(error, RequestError) else str(error)
    if signed.message != message:
        return "the message differs from the call its envelope holds"
    return signed


def authenticate_ingress(message: IngressMessage, time_ns: int) -> str | None:
    """Why an ingress message is not the call its envelope signs at `time_ns`, or None
    (`replica.consensus.instance.NodeConfig.authenticate_ingress`; `check_ingress`)."""
    checked = check_ingress(message, time_ns)
    return checked if isinstance(checked, str) else None
