"""Two `Connection`s joined in memory: the transport's twin for tests.

`ConnectionPair` hands what one end sends to the other end's `receive_data`,
optionally in small pieces (as TCP may split it), and collects the events each
end sees. No sockets, no event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from replica.consensus.artifacts import Artifact
from replica.p2p.frames import Connection, ConnectionEvent, Hello


@dataclass(slots=True)
class MemoryEnd:
    connection: Connection = field(default_factory=Connection)
    events: list[ConnectionEvent] = field(default_factory=list)


class ConnectionPair:
    """Ends `a` and `b`; bytes sent by one are delivered to the other in `piece_bytes` pieces."""

    def __init__(
        self, *, piece_bytes: int | None = None, max_frame_bytes: int | None = None
    ) -> None:
        kwargs = {} if max_frame_bytes is None else {"max_frame_bytes": max_frame_bytes}
        self.a = MemoryEnd(connection=Connection(**kwargs))
        self.b = MemoryEnd(connection=Connection(**kwargs))
        self.piece_bytes = piece_bytes

    def _deliver(self, data: bytes, to: MemoryEnd) -> list[ConnectionEvent]:
        step = self.piece_bytes or max(1, len(data))
        events: list[ConnectionEvent] = []
        for start in range(0, len(data), step):
            events += to.connection.receive_data(data[start : start + step])
        to.events += events
        return events

    def _ends(self, sender: str) -> tuple[MemoryEnd, MemoryEnd]:
        return (self.a, self.b) if sender == "a" else (self.b, self.a)

    def hello(self, sender: str, hello: Hello) -> list[ConnectionEvent]:
        source, target = self._ends(sender)
        return self._deliver(source.connection.send_hello(hello), target)

    def send(self, sender: str, artifacts: Sequence[Artifact]) -> list[ConnectionEvent]:
        source, target = self._ends(sender)
        return self._deliver(source.connection.send_artifacts(artifacts), target)

    def send_raw(self, sender: str, data: bytes) -> list[ConnectionEvent]:
        _, target = self._ends(sender)
        return self._deliver(data, target)
