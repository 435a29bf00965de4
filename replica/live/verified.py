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
from typing import Final

from replica.execution.messages import IngressMessage
from replica.http.backend import SignedIngress
from replica.http.requests import check_ingress

IngressCheck = Callable[[IngressMessage, int], SignedIngress | str]
"""The call a message's envelope signs at a time, or why it signs none (`check_ingress`)."""

MAX_CHECKED_FROM_BLOCKS: Final = 20_000
"""How many calls first seen in blocks (never pooled here) the replica remembers as checked."""


class VerifiedIngress:
    """The messages whose envelopes this replica checked, by request id, with the time their
    sender's delegations end (a call without delegations authenticates until it expires):
    those checked on arrival until they expire or execute, and those first seen in a block."""

    def __init__(self, check: IngressCheck = check_ingress) -> None:
        self._check = check
        self._messages: dict[bytes, IngressMessage] = {}
        self._valid_until: dict[bytes, int] = {}
        self._from_blocks: dict[bytes, SignedIngress] = {}

    def keep(self, message: IngressMessage, valid_until_ns: int | None = None) -> None:
        """A message the HTTP layer or the service made of an envelope it checked; its sender's
        delegations end at `valid_until_ns` (None: it has none)."""
        self._messages[message.message_id] = message
        if valid_until_ns is not None:
            self._valid_until[message.message_id] = valid_until_ns

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
            self._valid_until.pop(message_id, None)
        for message_id in [
            message_id
            for message_id, signed in self._from_blocks.items()
            if signed.message.ingress_expiry_ns < now_ns
        ]:
            del self._from_blocks[message_id]

    def authenticate(self, message: IngressMessage, time_ns: int) -> str | None:
        """`authenticate_ingress`, except for a message equal to one already checked here (the
        same envelope bytes, and the same message made of them) while its delegations last: an
        altered argument under a checked envelope is checked, and refused, and so is a call
        whose delegation has ended by `time_ns`, as the IC checks it again at a block's time."""
        message_id = message.message_id
        if self._messages.get(message_id) == message:
            valid_until = self._valid_until.get(message_id)
            if valid_until is None or time_ns <= valid_until:
                return None
        else:
            seen = self._from_blocks.get(message_id)
            if seen is not None and seen.message == message and _is_valid_at(seen, time_ns):
                return None
        checked = self._check(message, time_ns)
        if isinstance(checked, str):
            return checked
        if message_id not in self._messages:
            if len(self._from_blocks) >= MAX_CHECKED_FROM_BLOCKS:
                self._from_blocks.clear()
            self._from_blocks[message_id] = checked
        return None


def _is_valid_at(signed: SignedIngress, time_ns: int) -> bool:
    return signed.valid_until_ns is None or time_ns <= signed.valid_until_ns
