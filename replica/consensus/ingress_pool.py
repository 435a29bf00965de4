"""The ingress pool: user messages a replica holds until a finalized block carries them.

A message arrives from a user (`ReplicaNode.submit_ingress`) or from a peer's
gossip; it is kept once, unless the state already knows it (it ran, or is
running) or it has expired. The block maker takes messages from here; a
message leaves when a finalized batch executes it or when it expires by the
subnet's time. The pool outlives the consensus state around it: a replica that
resumes from a newer catch-up package keeps its pool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from replica.consensus.artifacts import IngressArtifact
from replica.execution.messages import IngressMessage


class IngressPool:
    """Messages by id, in arrival order."""

    def __init__(self, is_known: Callable[[bytes], bool]) -> None:
        self.messages: dict[bytes, IngressMessage] = {}
        self.is_known = is_known
        """Whether the state already has a status for a message id (set anew when the state is)."""

    def add(self, message: IngressMessage, now_ns: int) -> bool:
        """Keep a new, unexpired message the state does not know; whether it was kept."""
        if message.message_id in self.messages or self.is_known(message.message_id):
            return False
        if message.ingress_expiry_ns < now_ns:
            return False
        self.messages[message.message_id] = message
        return True

    def remove(self, message_ids: Iterable[bytes]) -> None:
        for message_id in message_ids:
            self.messages.pop(message_id, None)

    def expire(self, now_ns: int) -> None:
        """Drop every message whose expiry is before `now_ns` (the subnet's time)."""
        for message_id in [
            m for m, message in self.messages.items() if message.ingress_expiry_ns < now_ns
        ]:
            del self.messages[message_id]

    def artifacts(self) -> list[IngressArtifact]:
        return [IngressArtifact(message=message) for message in self.messages.values()]
