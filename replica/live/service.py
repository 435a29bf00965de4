"""The asyncio process of one live replica.

`ReplicaService.run` opens the node directory, builds the `ReplicaNode` (fresh
at genesis, or resumed from the persisted pool and checkpoint), and runs under
one task group: the P2P service, the loop that hands the node its inputs, and
the status file. Artifacts from peers are collected for a few milliseconds and
given to the node as one batch; the node's timer runs on the wall clock. What
the node broadcasts goes to every peer, except state-sync answers, which go
only to the peers that asked for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal

from registry.client import RegistryClient
from registry.records import SubnetType
from replica.consensus.artifacts import (
    Artifact,
    CatchUpPackage,
    IngressArtifact,
    StateChunkArtifact,
    StateManifestArtifact,
    StateSyncRequest,
)
from replica.consensus.events import (
    BlockFinalized,
    CatchUpPackageCreated,
    MembershipChanged,
    NodeEvent,
    StateSyncCompleted,
    StateSyncStarted,
)
from replica.consensus.node import NodeConfig, NodeOutput
from replica.consensus.statesync import is_sync_needed
from replica.crypto.keystore import NodeDirectory, load_node_directory
from replica.http.backend import IngressOrigin, SignedIngress
from replica.live.backend import LiveBackend
from replica.live.driver import LiveDriver, open_local_registry
from replica.live.genesis import load_subnet_canisters
from replica.live.layout import (
    KEYS_DIRECTORY,
    REGISTRY_FILE,
    STATUS_FILE,
    NodeSettings,
    read_settings,
    write_json_atomically,
)
from replica.live.status import ReplicaStatus
from replica.live.verified import VerifiedIngress
from replica.orchestrator.cup_provider import read_peer_cup
from replica.p2p.frames import Hello
from replica.p2p.peers import P2PService, PeerAddress
from replica.p2p.tls import get_allowed_peers
from replica.types import Principal

log = logging.getLogger("icbox.replica")

CODE_DIR: Final = Path(__file__).resolve().parents[2]
BATCH_WINDOW_S: Final = 0.002
IDLE_TICK_S: Final = 0.5
STATUS_PERIOD_S: Final = 0.5
REGISTRY_PERIOD_S: Final = 0.5


def wall_clock_ns() -> int:
    return time.time_ns()


def load_keys(directory: Path) -> NodeDirectory:
    """The node's own secrets (keys, TLS files, initial shares) from `<node dir>/keys`."""
    return load_node_directory(directory / KEYS_DIRECTORY)


def make_node_config(
    directory: Path,
    settings: NodeSettings,
    registry: RegistryClient,
    secrets: NodeDirectory,
    verified: VerifiedIngress,
) -> NodeConfig:
    """The node of a node directory; it checks ingress with `verified`, which trusts the calls
    the service checked on arrival and checks any other."""
    if settings.subnet_id is None:
        raise ValueError(f"node {settings.node_id} is not assigned to a subnet")
    canisters = load_subnet_canisters(settings.genesis, settings.genesis_arguments, registry)
    subnet_id = Principal.from_text(settings.subnet_id)
    record = registry.get_subnet_record(subnet_id)
    subnet_type: Literal["system", "application"] = (
        "system"
        if record is not None and record.subnet_type == SubnetType.SYSTEM
        else "application"
    )
    return NodeConfig(
        node_id=Principal.from_text(settings.node_id),
        subnet_id=subnet_id,
        keys=secrets.keys,
        registry=registry,
        state_dir=directory / "state",
        factories=canisters.factories,
        subnet_type=subnet_type,
        initial_shares=secrets.initial_shares,
        install_genesis=canisters.install_genesis,
        engine_options=canisters.engine_options,
        replica_version=settings.replica_version,
        idle_block_delay_ns=settings.idle_block_delay_ms * 1_000_000,
        authenticate_ingress=verified.authenticate,
    )


@dataclass(slots=True, kw_only=True)
class Counters:
    """What the status file reports about the process's work."""

    started_ns: int = field(default_factory=time.time_ns)
    steps: int = 0
    ingress_submitted: int = 0
    state_syncs: int = 0
    finalized_at_ns: list[tuple[int, int]] = field(default_factory=list)


class ReplicaService:
    """One replica process: the node, its P2P service and its status file."""

    def __init__(
        self, directory: Path, *, clock: Any = wall_clock_ns, replica_version: str | None = None
    ) -> None:
        self.directory = directory
        self.settings = read_settings(directory)
        if replica_version is not None:
            self.settings = replace(self.settings, replica_version=replica_version)
        self.clock = clock
        self.registry_store, self.registry = open_local_registry(directory / REGISTRY_FILE)
        secrets = load_keys(directory)
        self.verified = VerifiedIngress()
        """The calls in the ingress pool, each as its envelope was checked on arrival (over HTTP
        or from a peer): the node trusts them without checking them again."""
        config = make_node_config(directory, self.settings, self.registry, secrets, self.verified)
        self.keys = config.keys
        self.node_id = config.node_id
        self.subnet_id = config.subnet_id
        self.driver = LiveDriver.open(config, clock)
        self.counters = Counters()
        self._inbox: list[Artifact] = []
        self._wake = asyncio.Event()
        self._deadline_ns: int | None = None
        self._sync_requesters: dict[tuple[int, bytes], set[Principal]] = {}
        self._next_sync_peer = 0
        self._upgrade_reported = False
        certificate, key = secrets.tls_certificate_path, secrets.tls_key_path
        self.p2p = P2PService(
            node_id=self.node_id,
            listen=(self.settings.p2p_host, self.settings.p2p_port),
            certificate_path=certificate,
            key_path=key,
            get_allowed=self.get_allowed_peers,
            get_hello=self.get_hello,
            resend=self.resend_above,
            on_artifacts=self.on_peer_artifacts,
            on_ingress=self.on_peer_ingress,
        )
        self.backend = LiveBackend(self)
        self.http_server: Any = None
        self.stopping = asyncio.Event()
        self.exit_when_closed: Callable[[], None] | None = None
        """Called once the state is closed at a stop, before the network teardown (a process
        that exits there: `python -m replica.live`)."""

    # -- P2P callbacks ----------------------------------------------------------------------

    def versions_in_use(self) -> range:
        """Registry versions from the latest CUP's to the latest known (spec D.6)."""
        oldest = self.driver.node.latest_cup.registry_version
        return range(min(oldest, self.registry.latest_version), self.registry.latest_version + 1)

    def get_allowed_peers(self) -> Mapping[Principal, bytes]:
        return get_allowed_peers(
            self.registry, self.subnet_id, self.versions_in_use(), own=self.node_id
        )

    def get_peer_addresses(self) -> list[PeerAddress]:
        addresses = []
        for node_id in self.get_allowed_peers():
            record = self.registry.get_node_record(node_id)
            if record is not None:
                addresses.append(
                    PeerAddress(node_id=node_id, host=record.xnet.ip_addr, port=record.xnet.port)
                )
        return addresses

    def get_hello(self) -> Hello:
        node = self.driver.node
        return Hello(
            cup_height=node.latest_cup.height,
            registry_version=self.registry.latest_version,
            finalized_height=node.finalized_height,
        )

    def resend_above(self, hello: Hello) -> list[Artifact | bytes]:
        """What a (re)connecting peer may lack: ingress goes as its signed envelopes.

        Catch-up packages go first. A peer whose finalized height is so far below
        this replica's CUP that it would state-sync to it (`is_sync_needed`) gets
        that CUP and only what lies above it: no block for it to replay, so it
        catches up by state sync, whichever of its peers it hears first.
        """
        own_cup = self.driver.node.latest_cup
        above = hello.cup_height
        if own_cup.height > hello.cup_height and is_sync_needed(
            own_cup, max(hello.cup_height, hello.finalized_height)
        ):
            above = own_cup.height
        artifacts = sorted(
            self.driver.resend_above(above),
            key=lambda artifact: not isinstance(artifact, CatchUpPackage),
        )
        out: list[Artifact | bytes] = []
        for artifact in artifacts:
            if isinstance(artifact, IngressArtifact):
                envelope = self.verified.get_envelope(artifact.message.message_id)
                if envelope is not None:
                    out.append(envelope)
            else:
                out.append(artifact)
        return out

    def on_peer_ingress(self, sender: Principal, envelopes: tuple[bytes, ...]) -> None:
        """Calls a peer gossiped: checked again (envelope, signatures, expiry), then kept (the
        node trusts what is checked here and does not verify it a second time)."""
        from replica.http.requests import RequestError, parse_call_envelope

        now = self.clock()
        node = self.driver.node
        for envelope in envelopes:
            try:
                ingress = parse_call_envelope(envelope, now)
            except (RequestError, ValueError) as error:
                log.debug("dropped an ingress envelope from %s: %s", sender, error)
                continue
            message = ingress.message
            if (
                message.message_id in self.verified
                or node.ingress_status(message.message_id) is not None
            ):
                continue
            self.verified.keep(message, ingress.valid_until_ns)
            self.backend.remember(
                message.message_id,
                IngressOrigin(sender=message.sender, canister_id=message.canister_id),
                message.ingress_expiry_ns,
            )
            self._inbox.append(IngressArtifact(message=message))
        self._wake.set()

    def submit_signed_ingress(self, ingress: SignedIngress) -> None:
        """A call the HTTP layer accepted: into the pool, and its envelope to every peer."""
        message = ingress.message
        self.verified.keep(message, ingress.valid_until_ns)
        self.p2p.broadcast([ingress.envelope])
        self.counters.ingress_submitted += 1
        # Into the next batch with the peers' artifacts: one pass of the roles per batch, not per
        # call.
        self._inbox.append(IngressArtifact(message=message))
        self._wake.set()

    def on_peer_artifacts(self, sender: Principal, artifacts: tuple[Artifact, ...]) -> None:
        for artifact in artifacts:
            if isinstance(artifact, IngressArtifact):
                continue  # ingress travels only as signed envelopes
            if isinstance(artifact, StateSyncRequest):
                self._sync_requesters.setdefault((artifact.height, artifact.state_hash), set()).add(
                    sender
                )
        self._inbox.extend(
            artifact for artifact in artifacts if not isinstance(artifact, IngressArtifact)
        )
        self._wake.set()

    def take_peer_cup(self) -> None:
        """Hand consensus the newer CUP the orchestrator fetched from peers over HTTP
        (`replica.orchestrator.cup_provider`): a replica that starts behind jumps to it and
        state-syncs its checkpoint. Consensus checks it like any CUP a peer sends."""
        cup = read_peer_cup(self.directory)
        if cup is not None and cup.height > self.driver.node.latest_cup.height:
            log.info("starting from the peers' CUP at height %d", cup.height)
            self._inbox.append(cup)
            self._wake.set()

    # -- inputs -----------------------------------------------------------------------------

    def _handle(self, output: NodeOutput) -> None:
        self.counters.steps += 1
        self._dispatch(output.broadcast)
        for event in output.events:
            self._record(event)
        certified = self.driver.node.certified_height
        if certified > self.backend.notifier.height:
            self.backend.on_certified(certified)
        if self.driver.node.upgrade_to is not None and not self._upgrade_reported:
            # The CUP that hands the subnet over to another version: the orchestrator switches
            # as soon as the status says so, not at the next status period.
            self._upgrade_reported = True
            self.write_status()
        now = self.clock()
        wake = output.wake_at_ns
        if wake is None and self._deadline_ns is None:
            wake = now + int(IDLE_TICK_S * 1e9)
        if wake is not None and (self._deadline_ns is None or wake < self._deadline_ns):
            self._deadline_ns = wake
            self._wake.set()

    def _dispatch(self, broadcast: Sequence[Artifact]) -> None:
        general: list[Artifact] = []
        for artifact in broadcast:
            if isinstance(artifact, IngressArtifact):
                continue  # gossiped as its signed envelope when it was submitted
            if isinstance(artifact, StateManifestArtifact | StateChunkArtifact):
                for peer in self._sync_requesters.get((artifact.height, artifact.state_hash), ()):
                    self.p2p.send_to(peer, [artifact])
            elif isinstance(artifact, StateSyncRequest) and artifact.chunks is not None:
                # Each request for chunks goes to one peer, the next in turn: the chunks come
                # from several peers at once and each only once (a request repeated after a
                # silence goes to the next peer).
                peers = sorted(self.p2p.connected_peers, key=lambda peer: peer.raw)
                if peers:
                    self._next_sync_peer = (self._next_sync_peer + 1) % len(peers)
                    self.p2p.send_to(peers[self._next_sync_peer], [artifact])
            else:
                general.append(artifact)
        self.p2p.broadcast(general)

    def _record(self, event: NodeEvent) -> None:
        if isinstance(event, BlockFinalized):
            self.counters.finalized_at_ns.append((event.height, self.clock()))
            del self.counters.finalized_at_ns[:-64]
            return
        if isinstance(event, CatchUpPackageCreated):
            # Answers for checkpoints below the new CUP are no longer asked for.
            self._sync_requesters = {
                k: v for k, v in self._sync_requesters.items() if k[0] >= event.height
            }
            self._forget_envelopes()
        if isinstance(event, StateSyncCompleted):
            self.counters.state_syncs += 1
        if isinstance(
            event, CatchUpPackageCreated | StateSyncStarted | StateSyncCompleted | MembershipChanged
        ):
            log.info("%s %s", type(event).__name__, _describe(event))
        elif log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s", type(event).__name__, _describe(event))

    def _forget_envelopes(self) -> None:
        node, now = self.driver.node, self.clock()
        self.verified.forget(
            now,
            lambda key: key not in node.ingress_pool and node.ingress_status(key) is not None,
        )
        self.backend.forget_expired(now)

    # -- the loops --------------------------------------------------------------------------

    async def run(self) -> None:
        log.info(
            "replica %s of subnet %s version %s starting at height %d (pid %d, code in %s)",
            self.node_id,
            self.subnet_id,
            self.settings.replica_version,
            self.driver.node.finalized_height,
            os.getpid(),
            CODE_DIR,
        )
        await self.p2p.start()
        self.p2p.set_peers(self.get_peer_addresses())
        await self.start_http()
        self.take_peer_cup()
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._step_loop())
                group.create_task(self._status_loop())
                group.create_task(self._registry_loop())
                group.create_task(self.backend.keep_delegation_fresh())
                stop = group.create_task(self.stopping.wait())
                await stop
                raise _Stop
        except* _Stop:
            pass
        finally:
            if self.exit_when_closed is not None:
                # A process that ends at the stop: once its state is closed (the pool synced,
                # the status written) it exits, without waiting for connections to wind down;
                # peers reconnect to the next process and clients ask another replica. An
                # upgrade's gap is not spent in the teardown.
                self.write_status()
                self.driver.close()
                log.info("replica %s stopped", self.node_id)
                self.exit_when_closed()
            if self.http_server is not None:
                await self.http_server.stop()
            await self.p2p.close()
            self.write_status()
            self.driver.close()
            log.info("replica %s stopped", self.node_id)

    async def start_http(self) -> None:
        from replica.http.api import HttpApi
        from replica.http.server import HttpServer

        self.http_server = HttpServer(
            HttpApi(self.backend), host=self.settings.http_host, port=self.settings.http_port
        )
        await self.http_server.start()
        log.info("HTTP interface on %s", self.http_server.url)

    async def _step_loop(self) -> None:
        self._handle(self.driver.on_timer())
        while True:
            timeout = None
            if self._deadline_ns is not None:
                timeout = max(0.0, (self._deadline_ns - self.clock()) / 1e9)
            if not self._inbox:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()
                self._wake.clear()
            if self._inbox:
                await asyncio.sleep(BATCH_WINDOW_S)
                batch, self._inbox = self._inbox, []
                self._handle(self.driver.on_artifacts(batch))
            if self._deadline_ns is not None and self._deadline_ns <= self.clock():
                self._deadline_ns = None
                self._handle(self.driver.on_timer())
            await asyncio.sleep(0)

    async def _registry_loop(self) -> None:
        """Read what the orchestrator replicated into the local store; new peers follow."""
        while True:
            await asyncio.sleep(REGISTRY_PERIOD_S)
            before = (self.registry.latest_version, self.driver.node.latest_cup.height)
            self.registry.sync()
            now = (self.registry.latest_version, self.driver.node.latest_cup.height)
            if now != before:
                if now[0] != before[0]:
                    log.info("registry version %d", now[0])
                self.p2p.set_peers(self.get_peer_addresses())
                self._wake.set()

    async def _status_loop(self) -> None:
        while True:
            self.write_status()
            await asyncio.sleep(STATUS_PERIOD_S)

    def status(self) -> ReplicaStatus:
        node = self.driver.node
        checkpoint = node.state.latest_checkpoint()
        return ReplicaStatus(
            pid=os.getpid(),
            node_id=str(self.node_id),
            subnet_id=str(self.subnet_id),
            replica_version=self.settings.replica_version or "",
            time_ns=self.clock(),
            started_ns=self.counters.started_ns,
            finalized_height=node.finalized_height,
            certified_height=node.certified_height,
            executed_height=node.executed_height,
            cup_height=node.latest_cup.height,
            checkpoint_height=-1 if checkpoint is None else checkpoint.height,
            checkpoint_hash="" if checkpoint is None else checkpoint.manifest.root_hash.hex(),
            peers_connected=len(self.p2p.connected_peers),
            peers=len(self.p2p.stats),
            refused_connections=self.p2p.refused,
            ingress_pool=len(node.ingress_pool),
            ingress_submitted=self.counters.ingress_submitted,
            state_syncs=self.counters.state_syncs,
            steps=self.counters.steps,
            recent_finalizations=tuple(self.counters.finalized_at_ns[-32:]),
            cpu_s=time.process_time(),
            cup_registry_version=node.latest_cup.registry_version,
            oldest_registry_version_in_use=node.latest_cup.content.oldest_registry_version,
            upgrade_due=node.upgrade_to,
            code_dir=str(CODE_DIR),
        )

    def write_status(self) -> None:
        write_json_atomically(self.directory / STATUS_FILE, self.status().to_json())


class _Stop(Exception):
    """Ends the task group when the process is asked to stop."""


def _describe(event: Any) -> str:
    fields = getattr(event, "__dataclass_fields__", {})
    parts = []
    for name in fields:
        value = getattr(event, name)
        if isinstance(value, bytes):
            value = value.hex()[:16]
        elif isinstance(value, tuple):
            value = len(value)
        parts.append(f"{name}={value}")
    return " ".join(parts)
