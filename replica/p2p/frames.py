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
- `STATE_CHUNKS`: one or more state-sync chunks, each a 4-byte length, then
  the checkpoint height (8 bytes), the chunk index (4 bytes), the state hash
  (a 1-byte length and the hash) and the chunk's bytes as they are. The
  chunks are most of the bytes of a state sync, so they travel outside CBOR
  (as the IC's state sync sends chunks as raw bytes on their own streams):
  framing a 1 MiB chunk is one copy, and its bytes are checked against the
  manifest by the receiver's state sync, not re-encoded.

`Connection` takes bytes in (`receive_data`) and gives events out; it turns
events to send into bytes (`send_hello`, `send_artifacts`). It never touches
a socket, so tests connect two of them in memory (`replica.p2p.memory`). A
malformed frame ends the connection with `ProtocolViolation`: one bad peer
costs only its own connection.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from replica.consensus.artifacts import Artifact, StateChunkArtifact, artifact_from_bytes

MAX_FRAME_BYTES: Final = 32 * 1024 * 1024
"""A frame is at most this long (state chunks are 1 MiB; a bundle holds a few)."""
LENGTH_BYTES: Final = 4


class FrameKind(IntEnum):
    HELLO = 1
    ARTIFACTS = 2
    INGRESS = 3
    STATE_CHUNKS = 4


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


CHUNK_HEADER: Final = struct.Struct(">QIB")
"""Height, chunk index and the length of the state hash, before the hash and the bytes."""


def encode_chunk_parts(chunk: StateChunkArtifact) -> list[bytes]:
    """One STATE_CHUNKS item as pieces (length, header, hash, bytes): joined once, with the
    frame, by the sender."""
    header = CHUNK_HEADER.pack(chunk.height, chunk.index, len(chunk.state_hash))
    size = len(header) + len(chunk.state_hash) + len(chunk.data)
    return [size.to_bytes(LENGTH_BYTES, "big"), header, chunk.state_hash, chunk.data]


def decode_chunks(body: memoryview) -> tuple[StateChunkArtifact, ...]:
    """Parse a STATE_CHUNKS body (raises ValueError on anything malformed); each chunk's bytes
    are copied once, out of the frame."""
    chunks: list[StateChunkArtifact] = []
    offset = 0
    while offset < len(body):
        if offset + LENGTH_BYTES + CHUNK_HEADER.size > len(body):
            raise ValueError("truncated chunk header")
        size = int.from_bytes(body[offset : offset + LENGTH_BYTES], "big")
        start = offset + LENGTH_BYTES
        end = start + size
        if size < CHUNK_HEADER.size or end > len(body):
            raise ValueError("truncated chunk")
        height, index, hash_length = CHUNK_HEADER.unpack_from(body, start)
        data_start = start + CHUNK_HEADER.size + hash_length
        if data_start > end:
            raise ValueError("truncated chunk")
        chunks.append(
            StateChunkArtifact(
                height=height,
                state_hash=bytes(body[start + CHUNK_HEADER.size : data_start]),
                index=index,
                data=bytes(body[data_start:end]),
            )
        )
        offset = end
    return tuple(chunks)


class Connection:
    """One end of a replica-to-replica connection: bytes in, events out."""

    def __init__(self, *, max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
        self._pieces: list[memoryview] = []
        """Bytes received and not yet parsed, as they came (joined once a frame is whole)."""
        self._buffered = 0
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
        """The frames carrying `artifacts`, split so that no frame exceeds the limit (state
        chunks in STATE_CHUNKS frames, after the others)."""
        chunks = [item for item in artifacts if isinstance(item, StateChunkArtifact)]
        others = [item for item in artifacts if not isinstance(item, StateChunkArtifact)]
        data = self._send_items(FrameKind.ARTIFACTS, [artifact.to_bytes() for artifact in others])
        if not chunks:
            return data
        return data + self._send_parts(
            FrameKind.STATE_CHUNKS, [encode_chunk_parts(chunk) for chunk in chunks]
        )

    def send_ingress(self, envelopes: Sequence[bytes]) -> bytes:
        """The frames carrying signed call envelopes."""
        return self._send_items(FrameKind.INGRESS, envelopes)

    def _send_items(self, kind: FrameKind, items: Sequence[bytes]) -> bytes:
        return self._send_parts(
            kind, [[len(item).to_bytes(LENGTH_BYTES, "big"), item] for item in items]
        )

    def _send_parts(self, kind: FrameKind, items: Sequence[list[bytes]]) -> bytes:
        """Frames of items given as pieces (each item's pieces begin with its length), bundled
        up to the frame limit and joined in one copy."""
        self._check_open()
        out: list[bytes] = []
        bundle: list[bytes] = []
        size = 1
        for parts in items:
            length = sum(len(part) for part in parts)
            if bundle and size + length > self._max_frame_bytes:
                out += self._frame_head(kind, size)
                out += bundle
                bundle, size = [], 1
            bundle += parts
            size += length
        if bundle:
            out += self._frame_head(kind, size)
            out += bundle
        return self._count(b"".join(out))

    def _frame_head(self, kind: FrameKind, size: int) -> list[bytes]:
        if size > MAX_FRAME_BYTES:
            raise ProtocolError(f"frame of {size} bytes exceeds {MAX_FRAME_BYTES}")
        return [size.to_bytes(LENGTH_BYTES, "big"), bytes([kind])]

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
        if data:
            self._pieces.append(memoryview(data))
            self._buffered += len(data)
        events: list[ConnectionEvent] = []
        while self._buffered >= LENGTH_BYTES:
            if len(self._pieces[0]) < LENGTH_BYTES:
                self._pieces = [memoryview(b"".join(self._pieces))]
            size = int.from_bytes(self._pieces[0][:LENGTH_BYTES], "big")
            if size == 0 or size > self._max_frame_bytes:
                return [*events, self._fail(f"frame length {size} out of range")]
            end = LENGTH_BYTES + size
            if self._buffered < end:
                break
            if len(self._pieces) > 1 and len(self._pieces[0]) < end:
                self._pieces = [memoryview(b"".join(self._pieces))]
            whole = self._pieces[0]
            # Views, not copies: many small frames in one read cost no copying of the rest.
            if len(whole) > end:
                self._pieces[0] = whole[end:]
            else:
                del self._pieces[0]
            self._buffered -= end
            event = self._parse(whole[LENGTH_BYTES:end])
            events.append(event)
            if isinstance(event, ProtocolViolation):
                return events
        return events

    def _parse(self, payload: memoryview) -> ConnectionEvent:
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
        if kind in (FrameKind.ARTIFACTS, FrameKind.INGRESS, FrameKind.STATE_CHUNKS):
            if self.peer_hello is None:
                return self._fail("artifacts before hello")
            try:
                if kind == FrameKind.STATE_CHUNKS:
                    return ArtifactsReceived(artifacts=decode_chunks(body))
                if kind == FrameKind.INGRESS:
                    return IngressReceived(envelopes=tuple(decode_items(bytes(body))))
                return ArtifactsReceived(artifacts=decode_artifacts(bytes(body)))
            except ValueError as error:
                return self._fail(str(error))
        return self._fail(f"unknown frame kind {kind}")

    def _fail(self, reason: str) -> ProtocolViolation:
        self.failed = reason
        self._pieces, self._buffered = [], 0
        return ProtocolViolation(reason=reason)
