"""The calls a live replica checked on arrival, and the authenticator built on them.

A live replica checks every call's envelope where it enters the process: the
HTTP layer checks a user's call (`replica.http.requests.verify_call`), and the
service checks each envelope a peer gossips (`parse_call_envelope`) before the
node sees it. The node then checks the message again before its pool takes it
(rule R38 of `replica/consensus/RULES.md`), and the validator checks a block's
messages (R37). Ed25519 verification is a large part of a replica's work
under load, so the node is given `VerifiedIngress.authenticate`: a message
equal to one the service already checked (its exact envelope bytes and every
field made from them) is trusted, any other runs the full check. The same map
gives the envelope a call is gossiped in when a peer reconnects.
"""

from __future__ import annotations

from collections.abc import Callable

from replica.consensus.validator import IngressAuthenticator
from replica.execution.messages import IngressMessage
from replica.http.requests import authenticate_ingress


class VerifiedIngress:
    """The messages whose envelopes this replica checked on arrival, by request id, until they
    expire or execute."""

    def __init__(self, authenticate: IngressAuthenticator = authenticate_ingress) -> None:
        self._authenticate = authenticate
        self._messages: dict[bytes, IngressMessage] = {}

    def keep(self, message: IngressMessage) -> None:
        """A message the HTTP layer or the service made of an envelope it checked."""
        self._messages[message.message_id] = message

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._messages

    def __len__(self) -> int:
        return len(self._messages)

    def get_envelope(self, message_id: bytes) -> bytes | None:
        """The signed envelope the message came in (None: not kept)."""
        message = self._messages.get(message_id)
        return None if message is None else message.envelope

    def forget(self, now_ns: int, is_done: Callable[[bytes], bool]) -> None:
        """Drop the messages expired at `now_ns`, and those `is_done` says are over (executed
        and out of the pool)."""
        done = [
            message_id
            for message_id, message in self._messages.items()
            if message.ingress_expiry_ns < now_ns or is_done(message_id)
        ]
        for message_id in done:
            del self._messages[message_id]

    def authenticate(self, message: IngressMessage, time_ns: int) -> str | None:
        """`authenticate_ingress`, except for a message equal to one checked on arrival: the same
        envelope bytes, and the same message made of them (an altered argument under a checked
        envelope is checked, and refused)."""
        if self._messages.get(message.message_id) == message:
            return None
        return self._authenticate(message, time_ns)
