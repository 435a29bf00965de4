"""The ingress pool: user messages a replica holds until a finalized block carries them.

A message arrives from a user (`ReplicaNode.submit_ingress`) or from a peer's
gossip; it is kept once, unless the state already knows it (it ran, or is
running) or it has expired, and only if its envelope shows that its sender
asked for it (the node checks that before it adds a new message: rule R38 of
`replica/consensus/RULES.md`). The block maker takes messages from here; a
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

    def is_new(self, message: IngressMessage, now_ns: int) -> bool:
        """Whether `add` would keep the message: its id is neither pooled nor known to the state,
        and it has not expired."""
        return (
            message.message_id not in self.messages
            and not self.is_known(message.message_id)
            and message.ingress_expiry_ns >= now_ns
        )

    def add(self, message: IngressMessage, now_ns: int) -> bool:
        """Keep a new, unexpired message the state does not know; whether it was kept."""
        if not self.is_new(message, now_ns):
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
