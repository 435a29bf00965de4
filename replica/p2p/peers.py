"""The P2P service of one replica: authenticated connections to every peer of its subnet.

Each replica dials every peer it may talk to and sends its artifacts only on
the connections it dialed; it receives on the connections its peers dialed.
Per peer there is one bounded outgoing queue and one dialer task, so a slow or
dead peer never holds up the others. When a queue overflows, or a write does
not complete within its timeout, the connection is dropped and the queue
emptied: the next connection starts with the peer's hello, and the replica
resends everything it holds above the peer's catch-up package (`resend`),
which is what makes delivery eventual.

Incoming connections go through the TLS handshake with a context trusting
only the current peers' registered certificates; a refusal (an unknown key, a
node no longer in the subnet, a protocol violation) is logged and costs only
that connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from replica.consensus.artifacts import Artifact
from replica.p2p.frames import (
    ArtifactsReceived,
    Connection,
    Hello,
    IngressReceived,
    ProtocolViolation,
)
from replica.p2p.tls import PeerRefused, TlsSession, identify_peer, make_context
from replica.types import Principal

log = logging.getLogger("icbox.p2p")

QUEUE_LIMIT: Final = 20_000
"""Artifacts waiting for one peer before its connection is reset (and resent on reconnect)."""
CONNECT_TIMEOUT_S: Final = 3.0
WRITE_TIMEOUT_S: Final = 10.0
HELLO_TIMEOUT_S: Final = 5.0
RECONNECT_MIN_S: Final = 0.2
RECONNECT_MAX_S: Final = 2.0
READ_BYTES: Final = 256 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerAddress:
    node_id: Principal
    host: str
    port: int


@dataclass(slots=True, kw_only=True)
class PeerStats:
    connected: bool = False
    connections: int = 0
    artifacts_sent: int = 0
    artifacts_received: int = 0
    resets: int = 0


@dataclass(slots=True, kw_only=True)
class _Outbox:
    """The artifacts waiting for one peer."""

    items: deque[Artifact | bytes] = field(default_factory=deque)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    overflowed: bool = False

    def put(self, artifacts: Sequence[Artifact | bytes]) -> None:
        if len(self.items) + len(artifacts) > QUEUE_LIMIT:
            self.items.clear()
            self.overflowed = True
        else:
            self.items.extend(artifacts)
        self.ready.set()

    def take(self) -> list[Artifact | bytes]:
        taken = list(self.items)
        self.items.clear()
        self.ready.clear()
        return taken


ArtifactSink = Callable[[Principal, tuple[Artifact, ...]], None]
Resend = Callable[[Hello], Sequence[Artifact | bytes]]
"""The artifacts (and ingress envelopes) a peer that sent this hello may lack."""
IngressSink = Callable[[Principal, tuple[bytes, ...]], None]
AllowedPeers = Callable[[], Mapping[Principal, bytes]]
HelloSource = Callable[[], Hello]


class P2PService:
    """Listens on `host:port`, dials `peers`, and moves artifacts both ways."""

    def __init__(
        self,
        *,
        node_id: Principal,
        listen: tuple[str, int],
        certificate_path: Path,
        key_path: Path,
        get_allowed: AllowedPeers,
        get_hello: HelloSource,
        resend: Resend,
        on_artifacts: ArtifactSink,
        on_ingress: IngressSink | None = None,
    ) -> None:
        self.node_id = node_id
        self.listen = listen
        self._certificate_path = certificate_path
        self._key_path = key_path
        self._get_allowed = get_allowed
        self._get_hello = get_hello
        self._resend = resend
        self._on_artifacts = on_artifacts
        self._on_ingress = on_ingress
        self._outboxes: dict[Principal, _Outbox] = {}
        self._dialers: dict[Principal, asyncio.Task[None]] = {}
        self._redial: dict[Principal, asyncio.Event] = {}
        """Set when a peer that is not connected dials in: it is up, so dial it back now."""
        self._peers: dict[Principal, PeerAddress] = {}
        self.stats: dict[Principal, PeerStats] = {}
        self.refused = 0
        self._contexts: dict[tuple[bool, frozenset[bytes]], ssl.SSLContext] = {}
        self._server: asyncio.Server | None = None
        self._inbound: set[asyncio.StreamWriter] = set()

    # -- what the driver calls ----------------------------------------------------------------

    def set_peers(self, peers: Iterable[PeerAddress]) -> None:
        """Dial these peers from now on (new ones get a dialer, removed ones lose theirs)."""
        wanted = {peer.node_id: peer for peer in peers if peer.node_id != self.node_id}
        for node_id in [n for n in self._dialers if n not in wanted]:
            self._dialers.pop(node_id).cancel()
            self._outboxes.pop(node_id, None)
            self._redial.pop(node_id, None)
        for node_id, peer in wanted.items():
            self._peers[node_id] = peer
            if node_id not in self._dialers:
                self._outboxes[node_id] = _Outbox()
                self._redial[node_id] = asyncio.Event()
                self.stats.setdefault(node_id, PeerStats())
                self._dialers[node_id] = asyncio.get_running_loop().create_task(
                    self._dial_forever(node_id)
                )

    def broadcast(self, artifacts: Sequence[Artifact | bytes]) -> None:
        """Queue artifacts (and signed ingress envelopes, as bytes) for every peer."""
        if artifacts:
            for outbox in self._outboxes.values():
                outbox.put(artifacts)

    def send_to(self, node_id: Principal, artifacts: Sequence[Artifact]) -> None:
        outbox = self._outboxes.get(node_id)
        if outbox is not None and artifacts:
            outbox.put(artifacts)

    @property
    def connected_peers(self) -> list[Principal]:
        return [node_id for node_id, stats in self.stats.items() if stats.connected]

    async def start(self) -> None:
        host, port = self.listen
        self._server = await asyncio.start_server(self._accept, host, port, reuse_address=True)
        self.listen = (host, self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        for task in self._dialers.values():
            task.cancel()
        for task in self._dialers.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._dialers.clear()
        for writer in list(self._inbound):
            writer.close()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await self._server.wait_closed()

    # -- TLS ----------------------------------------------------------------------------------

    def _context(self, *, server: bool) -> tuple[ssl.SSLContext, Mapping[Principal, bytes]]:
        allowed = dict(self._get_allowed())
        key = (server, frozenset(allowed.values()))
        context = self._contexts.get(key)
        if context is None:
            if len(self._contexts) > 16:
                self._contexts.clear()
            context = self._contexts[key] = make_context(
                self._certificate_path, self._key_path, allowed.values(), server=server
            )
        return context, allowed

    # -- outgoing -----------------------------------------------------------------------------

    async def _dial_forever(self, node_id: Principal) -> None:
        delay = RECONNECT_MIN_S
        stats = self.stats[node_id]
        while True:
            try:
                await self._dial_once(node_id)
                delay = RECONNECT_MIN_S
            except asyncio.CancelledError:
                raise
            except (OSError, TimeoutError, ssl.SSLError, PeerRefused, ConnectionError) as error:
                log.debug("connection to %s failed: %s", node_id, error)
            except Exception:
                log.exception("connection to %s failed", node_id)
            stats.connected = False
            # The backoff ends early when the peer dials in (a peer restarting, as at an upgrade,
            # is then reached at once rather than after up to RECONNECT_MAX_S).
            redial = self._redial[node_id]
            redial.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await redial.wait()
            delay = min(RECONNECT_MAX_S, delay * 2)

    async def _dial_once(self, node_id: Principal) -> None:
        peer = self._peers[node_id]
        context, allowed = self._context(server=False)
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            reader, writer = await asyncio.open_connection(
                peer.host, peer.port, ssl=context, server_hostname=None
            )
        try:
            ssl_object = writer.get_extra_info("ssl_object")
            presented = identify_peer(ssl_object.getpeercert(binary_form=True), allowed)
            if presented != node_id:
                raise PeerRefused(f"dialed {node_id} but {presented} answered")
            connection = Connection()
            writer.write(connection.send_hello(self._get_hello()))
            async with asyncio.timeout(HELLO_TIMEOUT_S):
                hello = await self._read_hello(reader, connection)
            outbox = self._outboxes[node_id]
            # What overflowed while disconnected is in the resend below (what the peer lacks above
            # its CUP); what is still queued follows it. Duplicates are dropped by the receiver.
            outbox.overflowed = False
            stats = self.stats[node_id]
            stats.connected = True
            stats.connections += 1
            pending: list[Artifact | bytes] = list(self._resend(hello))
            while True:
                if pending:
                    envelopes = [item for item in pending if isinstance(item, bytes)]
                    if envelopes:
                        writer.write(connection.send_ingress(envelopes))
                    writer.write(
                        connection.send_artifacts(
                            [item for item in pending if not isinstance(item, bytes)]
                        )
                    )
                    async with asyncio.timeout(WRITE_TIMEOUT_S):
                        await writer.drain()
                    stats.artifacts_sent += len(pending)
                if reader.at_eof():
                    raise ConnectionError("the peer closed the connection")
                # asyncio.timeout, not wait_for: wait_for may swallow a cancellation (Python 3.11).
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1.0):
                        await outbox.ready.wait()
                if outbox.overflowed:
                    stats.resets += 1
                    raise ConnectionError("outgoing queue overflowed: reconnect and resend")
                pending = outbox.take()
        finally:
            writer.close()

    async def _read_hello(self, reader: asyncio.StreamReader, connection: Connection) -> Hello:
        while True:
            data = await reader.read(READ_BYTES)
            if not data:
                raise ConnectionError("closed before hello")
            for event in connection.receive_data(data):
                if isinstance(event, Hello):
                    return event
                if isinstance(event, ProtocolViolation):
                    raise ConnectionError(event.reason)

    # -- incoming -----------------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Authenticate an incoming connection (TLS on memory buffers over the TCP stream), then
        receive on it. A refusal is logged and closes only this connection."""
        self._inbound.add(writer)
        address = writer.get_extra_info("peername")
        try:
            context, allowed = self._context(server=True)
            session = TlsSession(context, server_side=True)
            try:
                async with asyncio.timeout(CONNECT_TIMEOUT_S):
                    await self._server_handshake(session, reader, writer)
                node_id = identify_peer(session.peer_certificate(), allowed)
                redial = self._redial.get(node_id)
                if redial is not None and not self.stats[node_id].connected:
                    redial.set()
            except (ssl.SSLError, PeerRefused, TimeoutError, ConnectionError) as error:
                self.refused += 1
                log.warning(
                    "refused P2P connection from %s: %s", address, error or type(error).__name__
                )
                with contextlib.suppress(Exception):
                    writer.write(session.take_outgoing())  # the TLS alert, if any
                return
            await self._receive(node_id, session, reader, writer)
        except (OSError, ConnectionError, TimeoutError, ssl.SSLError):
            pass
        finally:
            self._inbound.discard(writer)
            writer.close()

    @staticmethod
    async def _server_handshake(
        session: TlsSession, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while True:
            done = session.handshake()
            outgoing = session.take_outgoing()
            if outgoing:
                writer.write(outgoing)
                await writer.drain()
            if done:
                return
            data = await reader.read(READ_BYTES)
            if not data:
                raise ConnectionError("closed during the handshake")
            session.feed(data)

    async def _receive(
        self,
        node_id: Principal,
        session: TlsSession,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        connection = Connection()
        session.write(connection.send_hello(self._get_hello()))
        writer.write(session.take_outgoing())
        async with asyncio.timeout(WRITE_TIMEOUT_S):
            await writer.drain()
        stats = self.stats.setdefault(node_id, PeerStats())
        while True:
            data = await reader.read(READ_BYTES)
            if not data:
                return
            session.feed(data)
            plaintext = session.read()
            outgoing = session.take_outgoing()
            if outgoing:
                writer.write(outgoing)
            for event in connection.receive_data(plaintext):
                if isinstance(event, ArtifactsReceived):
                    stats.artifacts_received += len(event.artifacts)
                    self._on_artifacts(node_id, event.artifacts)
                elif isinstance(event, IngressReceived):
                    if self._on_ingress is not None:
                        self._on_ingress(node_id, event.envelopes)
                elif isinstance(event, ProtocolViolation):
                    log.warning("dropped P2P connection from %s: %s", node_id, event.reason)
                    return
            if session.closed:
                return
