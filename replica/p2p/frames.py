"""The wire protocol between two replicas as a sans-I/O state machine.

A connection carries frames: a 4-byte big-endian length, then the payload,
whose first byte says what it holds:

- `HELLO` (sent first by each end): the sender's catch-up package height and
  latest registry version, 8 bytes each, big-endian. The other end answers a
  hello by resending what it holds above that height, so a peer that was away
  receives what it lacks.
- `INGRESS`: signed call envelopes as users sent them (each a 4-byte length
  and the CBOR bytes); the receiver checks each again before it keeps it.
- `ARTIFACTS`: one or more artifacts, each a 4-byte length and the artifact's
  canonical encoding (`replica.consensus.artifacts`); decoding parses every
  field once and refuses anything that is not canonical.

`Connection` takes bytes in (`receive_data`) and gives events out; it turns
events to send into bytes (`send_hello`, `send_artifacts`). It never touches
a socket, so tests connect two of them in memory (`replica.p2p.memory`). A
malformed frame ends the connection with `ProtocolViolation`: one bad peer
costs only its own connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from replica.consensus.artifacts import Artifact, artifact_from_bytes

MAX_FRAME_BYTES: Final = 32 * 1024 * 1024
"""A frame is at most this long (state chunks are 1 MiB; a bundle holds a few)."""
LENGTH_BYTES: Final = 4


class FrameKind(IntEnum):
    HELLO = 1
    ARTIFACTS = 2
    INGRESS = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class Hello:
    """What the peer holds: its CUP height, the latest registry version it knows, and its
    finalized height (a peer that sends the older 16-byte hello is taken to be at its CUP)."""

    cup_height: int
    registry_version: int
    finalized_height: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ArtifactsReceived:
    artifacts: tuple[Artifact, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class IngressReceived:
    envelopes: tuple[bytes, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtocolViolation:
    """The peer sent something that is not a valid frame; the connection is over."""

    reason: str


ConnectionEvent = Hello | ArtifactsReceived | IngressReceived | ProtocolViolation


class ProtocolError(Exception):
    """Raised when sending on a connection that has failed."""


def encode_frame(kind: FrameKind, body: bytes) -> bytes:
    payload = bytes([kind]) + body
    if len(payload) > MAX_FRAME_BYTES:
        raise ProtocolError(f"frame of {len(payload)} bytes exceeds {MAX_FRAME_BYTES}")
    return len(payload).to_bytes(LENGTH_BYTES, "big") + payload


def encode_items(items: Sequence[bytes]) -> bytes:
    return b"".join(len(data).to_bytes(LENGTH_BYTES, "big") + data for data in items)


def decode_items(body: bytes) -> list[bytes]:
    """Split a body of length-prefixed items (raises ValueError if it is truncated)."""
    items: list[bytes] = []
    offset = 0
    while offset < len(body):
        if offset + LENGTH_BYTES > len(body):
            raise ValueError("truncated item length")
        size = int.from_bytes(body[offset : offset + LENGTH_BYTES], "big")
        offset += LENGTH_BYTES
        if offset + size > len(body):
            raise ValueError("truncated item")
        items.append(body[offset : offset + size])
        offset += size
    return items


def encode_artifacts(artifacts: Sequence[Artifact]) -> bytes:
    return encode_items([artifact.to_bytes() for artifact in artifacts])


def decode_artifacts(body: bytes) -> tuple[Artifact, ...]:
    """Parse an ARTIFACTS body (raises ValueError on anything malformed)."""
    return tuple(artifact_from_bytes(item) for item in decode_items(body))


class Connection:
    """One end of a replica-to-replica connection: bytes in, events out."""

    def __init__(self, *, max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
        self._buffer = bytearray()
        self._max_frame_bytes = max_frame_bytes
        self.failed: str | None = None
        self.peer_hello: Hello | None = None
        self.bytes_received = 0
        self.bytes_sent = 0

    # -- sending ------------------------------------------------------------------------------

    def send_hello(self, hello: Hello) -> bytes:
        self._check_open()
        body = (
            hello.cup_height.to_bytes(8, "big")
            + hello.registry_version.to_bytes(8, "big")
            + max(hello.finalized_height, hello.cup_height).to_bytes(8, "big")
        )
        return self._count(encode_frame(FrameKind.HELLO, body))

    def send_artifacts(self, artifacts: Sequence[Artifact]) -> bytes:
        """The frames carrying `artifacts`, split so that no frame exceeds the limit."""
        return self._send_items(
            FrameKind.ARTIFACTS, [artifact.to_bytes() for artifact in artifacts]
        )

    def send_ingress(self, envelopes: Sequence[bytes]) -> bytes:
        """The frames carrying signed call envelopes."""
        return self._send_items(FrameKind.INGRESS, envelopes)

    def _send_items(self, kind: FrameKind, items: Sequence[bytes]) -> bytes:
        self._check_open()
        out: list[bytes] = []
        bundle: list[bytes] = []
        size = 1
        for item in items:
            length = LENGTH_BYTES + len(item)
            if bundle and size + length > self._max_frame_bytes:
                out.append(encode_frame(kind, encode_items(bundle)))
                bundle, size = [], 1
            bundle.append(item)
            size += length
        if bundle:
            out.append(encode_frame(kind, encode_items(bundle)))
        return self._count(b"".join(out))

    def _count(self, data: bytes) -> bytes:
        self.bytes_sent += len(data)
        return data

    def _check_open(self) -> None:
        if self.failed is not None:
            raise ProtocolError(f"the connection failed: {self.failed}")

    # -- receiving ----------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> list[ConnectionEvent]:
        """Feed bytes from the peer; the events of every frame they complete."""
        if self.failed is not None:
            return []
        self.bytes_received += len(data)
        self._buffer += data
        events: list[ConnectionEvent] = []
        while len(self._buffer) >= LENGTH_BYTES:
            size = int.from_bytes(self._buffer[:LENGTH_BYTES], "big")
            if size == 0 or size > self._max_frame_bytes:
                return [*events, self._fail(f"frame length {size} out of range")]
            if len(self._buffer) < LENGTH_BYTES + size:
                break
            payload = bytes(self._buffer[LENGTH_BYTES : LENGTH_BYTES + size])
            del self._buffer[: LENGTH_BYTES + size]
            event = self._parse(payload)
            events.append(event)
            if isinstance(event, ProtocolViolation):
                return events
        return events

    def _parse(self, payload: bytes) -> ConnectionEvent:
        kind, body = payload[0], payload[1:]
        if kind == FrameKind.HELLO:
            if len(body) not in (16, 24) or self.peer_hello is not None:
                return self._fail("malformed or repeated hello")
            cup_height = int.from_bytes(body[:8], "big")
            hello = Hello(
                cup_height=cup_height,
                registry_version=int.from_bytes(body[8:16], "big"),
                finalized_height=max(cup_height, int.from_bytes(body[16:], "big")),
            )
            self.peer_hello = hello
            return hello
        if kind in (FrameKind.ARTIFACTS, FrameKind.INGRESS):
            if self.peer_hello is None:
                return self._fail("artifacts before hello")
            try:
                if kind == FrameKind.INGRESS:
                    return IngressReceived(envelopes=tuple(decode_items(body)))
                return ArtifactsReceived(artifacts=decode_artifacts(body))
            except ValueError as error:
                return self._fail(str(error))
        return self._fail(f"unknown frame kind {kind}")

    def _fail(self, reason: str) -> ProtocolViolation:
        self.failed = reason
        self._buffer.clear()
        return ProtocolViolation(reason=reason)
