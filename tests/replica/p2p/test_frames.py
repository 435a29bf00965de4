"""The P2P wire protocol as a sans-I/O state machine, over its in-memory twin."""

from __future__ import annotations

import pytest

from replica.consensus.artifacts import Artifact, IngressArtifact, StateChunkArtifact
from replica.execution.messages import IngressMessage
from replica.p2p.frames import (
    ArtifactsReceived,
    Connection,
    FrameKind,
    Hello,
    IngressReceived,
    ProtocolError,
    ProtocolViolation,
    encode_frame,
)
from replica.p2p.memory import ConnectionPair
from replica.types import Principal


def ingress(number: int) -> IngressArtifact:
    return IngressArtifact(
        message=IngressMessage(
            message_id=number.to_bytes(32, "big"),
            sender=Principal.anonymous(),
            canister_id=Principal.from_canister_id(1),
            method="add",
            arg=b"DIDL\x00\x00",
            ingress_expiry_ns=10**18,
        )
    )


def test_artifacts_cross_in_their_canonical_encoding_whatever_the_tcp_segmentation() -> None:
    pair = ConnectionPair(piece_bytes=7)
    assert pair.hello("a", Hello(cup_height=40, registry_version=3, finalized_height=47)) == [
        Hello(cup_height=40, registry_version=3, finalized_height=47)
    ]
    pair.hello("b", Hello(cup_height=0, registry_version=1))
    sent = [ingress(n) for n in range(5)]
    events = pair.send("a", sent)
    received = [a for e in events if isinstance(e, ArtifactsReceived) for a in e.artifacts]
    assert [a.id for a in received] == [a.id for a in sent]
    assert pair.b.connection.peer_hello == Hello(
        cup_height=40, registry_version=3, finalized_height=47
    )


def test_a_hello_without_the_finalized_height_is_taken_to_be_at_its_cup() -> None:
    connection = Connection()
    body = (40).to_bytes(8, "big") + (3).to_bytes(8, "big")
    events = connection.receive_data(encode_frame(FrameKind.HELLO, body))
    assert events == [Hello(cup_height=40, registry_version=3, finalized_height=40)]


def test_ingress_envelopes_travel_as_opaque_bytes() -> None:
    pair = ConnectionPair()
    pair.hello("a", Hello(cup_height=0, registry_version=1))
    assert pair.send_raw("a", pair.a.connection.send_ingress([b"\xd9\xd9\xf7envelope", b"x"])) == [
        IngressReceived(envelopes=(b"\xd9\xd9\xf7envelope", b"x"))
    ]


def test_a_large_bundle_is_split_into_frames_under_the_limit() -> None:
    pair = ConnectionPair(max_frame_bytes=3_000)
    pair.hello("a", Hello(cup_height=0, registry_version=1))
    chunks = [
        StateChunkArtifact(height=20, state_hash=bytes(32), index=i, data=bytes(1_000))
        for i in range(6)
    ]
    data = pair.a.connection.send_artifacts(chunks)
    events = pair.send_raw("a", data)
    assert sum(1 for e in events if isinstance(e, ArtifactsReceived)) == 3
    assert [a for e in events if isinstance(e, ArtifactsReceived) for a in e.artifacts] == chunks


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00\x00\x00\x00", "frame length 0"),
        ((1 << 31).to_bytes(4, "big"), "out of range"),
        (encode_frame(FrameKind.ARTIFACTS, b""), "artifacts before hello"),
        (encode_frame(FrameKind.HELLO, b"short"), "malformed or repeated hello"),
        (
            encode_frame(FrameKind.HELLO, bytes(16))
            + encode_frame(FrameKind.ARTIFACTS, b"\x00\x00\x00\x03abc"),
            "not an artifact",
        ),
        (
            encode_frame(FrameKind.HELLO, bytes(16))
            + encode_frame(FrameKind.ARTIFACTS, b"\x00\x00\x00\x09ab"),
            "truncated",
        ),
        (b"\x00\x00\x00\x01\x09", "unknown frame kind"),
    ],
)
def test_a_malformed_frame_ends_the_connection_and_nothing_after_it_is_read(
    data: bytes, reason: str
) -> None:
    connection = Connection()
    events = connection.receive_data(data)
    assert isinstance(events[-1], ProtocolViolation) and reason in events[-1].reason
    assert connection.receive_data(encode_frame(FrameKind.HELLO, bytes(16))) == []
    with pytest.raises(ProtocolError):
        connection.send_artifacts([ingress(1)])


def test_a_non_canonical_artifact_encoding_is_refused() -> None:
    connection = Connection()
    connection.receive_data(encode_frame(FrameKind.HELLO, bytes(16)))
    canonical = ingress(1).to_bytes()
    tampered = canonical + b"\x00"
    events = connection.receive_data(
        encode_frame(FrameKind.ARTIFACTS, len(tampered).to_bytes(4, "big") + tampered)
    )
    assert isinstance(events[0], ProtocolViolation)


def test_state_chunks_travel_as_raw_bytes_beside_other_artifacts() -> None:
    pair = ConnectionPair(piece_bytes=1_000)
    pair.hello("a", Hello(cup_height=0, registry_version=1))
    chunks = [
        StateChunkArtifact(height=2**40, state_hash=bytes([i]) * 32, index=i, data=bytes([i]) * 5)
        for i in range(3)
    ]
    empty = StateChunkArtifact(height=7, state_hash=b"", index=2**32 - 1, data=b"")
    sent: list[Artifact] = [chunks[0], ingress(1), chunks[1], empty, chunks[2]]
    data = pair.a.connection.send_artifacts(sent)
    kinds = []
    offset = 0
    while offset < len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        kinds.append(data[offset + 4])
        offset += 4 + size
    assert kinds == [FrameKind.ARTIFACTS, FrameKind.STATE_CHUNKS]
    received = [e for e in pair.send_raw("a", data) if isinstance(e, ArtifactsReceived)]
    assert [a for e in received for a in e.artifacts] == [ingress(1), *chunks[:2], empty, chunks[2]]
    assert received[1].artifacts[0].to_bytes() == chunks[0].to_bytes()


@pytest.mark.parametrize(
    "body",
    [
        b"\x00\x00\x00\x05abcde",  # shorter than the chunk header
        b"\x00\x00\x00\x20" + bytes(13),  # the item runs past the frame
        b"\x00\x00\x00\x0d" + bytes(12) + b"\x05",  # the state hash runs past the item
        b"\x00\x00",  # a truncated item length
    ],
)
def test_a_malformed_state_chunk_frame_ends_the_connection(body: bytes) -> None:
    connection = Connection()
    connection.receive_data(encode_frame(FrameKind.HELLO, bytes(16)))
    events = connection.receive_data(encode_frame(FrameKind.STATE_CHUNKS, body))
    assert isinstance(events[-1], ProtocolViolation) and "truncated" in events[-1].reason


def test_many_small_frames_in_one_read_and_a_frame_split_across_reads() -> None:
    sender, receiver = Connection(), Connection()
    data = sender.send_hello(Hello(cup_height=0, registry_version=1))
    data += b"".join(sender.send_artifacts([ingress(n)]) for n in range(200))
    chunk = StateChunkArtifact(height=3, state_hash=bytes(32), index=0, data=bytes(range(256)) * 9)
    data += sender.send_artifacts([chunk])
    events = receiver.receive_data(data[:-100]) + receiver.receive_data(data[-100:-1])
    assert len(events) == 201
    events += receiver.receive_data(data[-1:])
    artifacts = [a for e in events if isinstance(e, ArtifactsReceived) for a in e.artifacts]
    assert artifacts == [*(ingress(n) for n in range(200)), chunk]
