"""The users of a simulated subnet: identities from the seed, and the calls they sign.

A call reaches a replica as the IC's HTTP interface carries it: a CBOR
envelope holding the call's content, the sender's public key and its
signature over the request id (`replica.http.envelope`). `signed_call` builds
that envelope and the `IngressMessage` a replica makes of it, so the message
is exactly what `replica.http.requests.parse_call_envelope` gives for the
envelope: its id is the request id, and every replica validating a block can
check from the envelope alone that the sender asked for the call (rule R37 of
`replica/consensus/RULES.md`). Ed25519 signatures are deterministic, so a run
stays a function of its seed.
"""

from __future__ import annotations

import hashlib

from replica.agent.identity import Ed25519Identity, Identity, sign_envelope
from replica.execution.messages import IngressMessage
from replica.http.envelope import call_content, request_id
from replica.types import Principal


def derive_user(seed: bytes, name: str) -> Ed25519Identity:
    """The Ed25519 identity of the user `name`, derived from `seed` (a network's seed, or a
    node's own secret for a user a Byzantine replica plays)."""
    return Ed25519Identity.from_seed(
        hashlib.sha256(b"icbox-sim-user:" + name.encode() + b":" + seed).digest()
    )


def signed_call(
    signer: Identity,
    *,
    canister_id: Principal,
    method: str,
    arg: bytes,
    ingress_expiry_ns: int,
    nonce: bytes | None = None,
    sender: Principal | None = None,
) -> IngressMessage:
    """The update call `method(arg)` to `canister_id`, its envelope signed by `signer` (unsigned
    for the anonymous identity). `sender` other than the signer's principal makes an envelope
    that claims another user, which no replica accepts; `nonce` tells apart calls that are
    otherwise the same."""
    content = call_content(
        "call",
        canister_id=canister_id,
        method_name=method,
        arg=arg,
        sender=signer.principal if sender is None else sender,
        ingress_expiry_ns=ingress_expiry_ns,
        nonce=nonce,
    )
    return IngressMessage(
        message_id=request_id(content),
        sender=signer.principal if sender is None else sender,
        canister_id=canister_id,
        method=method,
        arg=arg,
        ingress_expiry_ns=ingress_expiry_ns,
        envelope=sign_envelope(signer, content).to_cbor(),
    )
