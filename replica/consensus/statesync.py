"""Catching up from a newer catch-up package: fetch its checkpoint from peers (spec D.5, E).

A replica that finds itself far behind (a valid CUP well above its finalized
height, whose blocks its peers may already have purged) does not replay: it
asks its peers for the manifest of the checkpoint at the CUP's height, checks
the manifest's root against the CUP's state hash, fetches only the chunks its
own latest checkpoint does not already hold, checks each against the
manifest, and installs the checkpoint. Then it starts from that CUP exactly as
a restarted replica starts from its latest checkpoint.

Requests and answers are broadcast like other artifacts; a replica answers
only for checkpoints it holds, and the requester repeats its request until
the answer arrives. `StateSyncOwner` is the replica's one owner of all this.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from replica.consensus.artifacts import (
    CatchUpPackage,
    StateChunkArtifact,
    StateManifestArtifact,
    StateSyncArtifact,
    StateSyncRequest,
)
from replica.consensus.catchup import is_valid_catch_up_package
from replica.state import manifest as manifests
from replica.state.errors import StateError
from replica.state.manager import CheckpointInfo, latest_checkpoint_in, read_checkpoint
from replica.state.syncing import CheckpointAssembler
from replica.types import Principal

STATE_SYNC_LAG: Final = 25
"""How far a valid CUP must be above the finalized height before the replica syncs to it."""
REQUEST_INTERVAL_NS: Final = 500_000_000
CHUNKS_PER_REQUEST: Final = 8
WINDOW_CHUNKS: Final = 32
"""Chunks asked for and not arrived yet, at most (32 MiB in flight)."""
CHUNK_TIMEOUT_NS: Final = 3_000_000_000
"""A chunk not arrived this long after it was asked for is asked for again (of another peer),
or twice as long as the window takes at the rate seen so far, if that is longer (so a sync
slower than a window per timeout does not ask for every chunk twice and slow itself down)."""


def is_sync_needed(cup: CatchUpPackage, finalized_height: int) -> bool:
    return cup.height > finalized_height + STATE_SYNC_LAG


def answer_request(
    state_dir: Path, request: StateSyncRequest, checkpoint: CheckpointInfo | None = None
) -> list[StateSyncArtifact]:
    """What this replica can send for a peer's request: the manifest or the chunks it asked for
    (from `checkpoint`, the one of the request's height and hash read before, if given)."""
    if checkpoint is None:
        try:
            checkpoint = read_checkpoint(state_dir, request.height)
        except (StateError, OSError):
            return []
    if checkpoint.height != request.height or checkpoint.root_hash != request.state_hash:
        return []
    if request.chunks is None:
        return [
            StateManifestArtifact(
                height=request.height,
                state_hash=request.state_hash,
                manifest=checkpoint.manifest.to_cbor(),
            )
        ]
    out: list[StateSyncArtifact] = []
    for index in request.chunks[:CHUNKS_PER_REQUEST]:
        try:
            data = manifests.read_chunk(checkpoint.directory, checkpoint.manifest, index)
        except (StateError, OSError):
            continue
        out.append(
            StateChunkArtifact(
                height=request.height, state_hash=request.state_hash, index=index, data=data
            )
        )
    return out


class StateSync:
    """One state sync in progress, towards the checkpoint of `height` whose manifest's root is
    `state_hash` (a valid CUP's).

    Chunks go to disk as they arrive (`replica.state.syncing.CheckpointAssembler`), each
    checked against the manifest; only the indices still missing are kept, and a window of
    them is asked for at a time (`make_requests`).
    """

    def __init__(
        self,
        *,
        height: int,
        state_hash: bytes,
        requester: Principal,
        state_dir: Path,
        previous: StateSync | None = None,
        started_at_ns: int = 0,
    ) -> None:
        self.height = height
        self.started_at_ns = started_at_ns
        self.state_hash = state_hash
        # A newer CUP replaces a sync in progress: the chunks it fetched are kept and copied
        # (by hash) instead of fetched again; older ones are dropped.
        self.previous: CheckpointAssembler | None = None
        if previous is not None:
            if previous.previous is not None:
                previous.previous.abort()
            self.previous = previous.assembler
        self.requester = requester
        self.state_dir = state_dir
        self.manifest: manifests.Manifest | None = None
        self.missing: set[int] = set()
        self.assembler: CheckpointAssembler | None = None
        self._last_request_ns: int | None = None
        self._in_flight: dict[int, int] = {}
        """Chunks asked for and not arrived yet, with when they were asked for."""
        self.chunks_asked_at_ns: int | None = None
        """When the first chunks were asked for (the manifest had arrived)."""
        self.chunks_arrived = 0

    @property
    def is_complete(self) -> bool:
        return self.manifest is not None and not self.missing

    @property
    def fetched_bytes(self) -> int:
        """The bytes of the chunks fetched from peers (the local ones are copied at the end)."""
        return 0 if self.assembler is None else self.assembler.fetched_bytes

    @property
    def checkpoint_bytes(self) -> int:
        manifest = self.manifest
        return 0 if manifest is None else sum(f.size_bytes for f in manifest.file_table)

    def on_artifact(self, artifact: StateSyncArtifact) -> None:
        if artifact.height != self.height or artifact.state_hash != self.state_hash:
            return
        if isinstance(artifact, StateManifestArtifact) and self.manifest is None:
            try:
                manifest = manifests.Manifest.from_cbor(artifact.manifest)
                manifests.validate_manifest(manifest)
            except (StateError, ValueError, KeyError, TypeError):
                return
            if manifest.root_hash != self.state_hash:
                return
            local = latest_checkpoint_in(self.state_dir)
            self.assembler = CheckpointAssembler(self.state_dir, self.height, manifest)
            self.manifest = manifest
            held = set() if self.previous is None else set(self.previous.held_hashes())
            self.missing = {
                index
                for index in manifests.chunks_to_fetch(
                    None if local is None else local.manifest, manifest
                )
                if manifest.chunk_table[index].hash not in held
            }
            self._last_request_ns = None
        elif (
            isinstance(artifact, StateChunkArtifact)
            and self.assembler is not None
            and artifact.index in self.missing
            and self.assembler.write_chunk(artifact.index, artifact.data)
        ):
            self.missing.discard(artifact.index)
            self._in_flight.pop(artifact.index, None)
            self.chunks_arrived += 1

    def make_requests(self, now_ns: int) -> tuple[list[StateSyncRequest], int]:
        """The requests to send now, and when to look again.

        The manifest is asked for every request interval until it comes. Chunks are asked
        for in a window: at most `WINDOW_CHUNKS` requested and not yet arrived, each asked
        for again (of the next peer) only if it has not arrived within `CHUNK_TIMEOUT_NS`,
        so a slow peer is neither flooded with repeats nor waited for forever.
        """
        if self.manifest is None:
            if (
                self._last_request_ns is not None
                and now_ns < self._last_request_ns + REQUEST_INTERVAL_NS
            ):
                return [], self._last_request_ns + REQUEST_INTERVAL_NS
            self._last_request_ns = now_ns
            request = StateSyncRequest(
                height=self.height, state_hash=self.state_hash, requester=self.requester
            )
            return [request], now_ns + REQUEST_INTERVAL_NS
        if self.chunks_asked_at_ns is None:
            self.chunks_asked_at_ns = now_ns
        timeout_ns = self.get_chunk_timeout_ns(now_ns)
        for index in [i for i, at in self._in_flight.items() if now_ns >= at + timeout_ns]:
            del self._in_flight[index]
        free = WINDOW_CHUNKS - len(self._in_flight)
        wanted = sorted(index for index in self.missing if index not in self._in_flight)
        wanted = wanted[: max(0, free)]
        for index in wanted:
            self._in_flight[index] = now_ns
        requests = [
            StateSyncRequest(
                height=self.height,
                state_hash=self.state_hash,
                requester=self.requester,
                chunks=tuple(wanted[i : i + CHUNKS_PER_REQUEST]),
            )
            for i in range(0, len(wanted), CHUNKS_PER_REQUEST)
        ]
        wake = (
            min(self._in_flight.values()) + timeout_ns
            if self._in_flight
            else now_ns + REQUEST_INTERVAL_NS
        )
        return requests, wake

    def get_chunk_timeout_ns(self, now_ns: int) -> int:
        """How long a chunk asked for may take before it is asked for again (`CHUNK_TIMEOUT_NS`)."""
        asked = self.chunks_asked_at_ns
        if asked is None or self.chunks_arrived == 0 or now_ns <= asked:
            return CHUNK_TIMEOUT_NS
        window_ns = (now_ns - asked) * WINDOW_CHUNKS // self.chunks_arrived
        return max(CHUNK_TIMEOUT_NS, 2 * window_ns)

    def install(self) -> None:
        """Finish the checkpoint: the chunks held locally copied in, synced, renamed into place."""
        if self.assembler is None:
            raise StateError("no manifest yet")
        self.assembler.finish(self.previous)
        if self.previous is not None:
            self.previous.abort()


class StateSyncOwner:
    """The one owner of a replica's state syncs: it answers peers' requests for the checkpoints
    the replica holds, starts a sync towards a valid CUP far above the finalized height (a
    newer one replaces an older), feeds it the manifests and chunks that arrive, and says
    when a checkpoint is installed: the replica then starts anew from its CUP."""

    def __init__(self, node_id: Principal, state_dir: Path, subnet_public_key: bytes) -> None:
        self.node_id = node_id
        self.state_dir = state_dir
        self.subnet_public_key = subnet_public_key
        self.sync: StateSync | None = None
        self.sync_cup: CatchUpPackage | None = None
        """The CUP the sync in progress is towards."""
        self._served: CheckpointInfo | None = None
        """The checkpoint last served to a peer (a sync asks for its chunks many times)."""

    def answer(self, request: StateSyncRequest) -> list[StateSyncArtifact]:
        """What to send for a peer's request (nothing for this replica's own)."""
        if request.requester == self.node_id:
            return []
        served = self._served
        if served is None or (served.height, served.root_hash) != (
            request.height,
            request.state_hash,
        ):
            try:
                served = read_checkpoint(self.state_dir, request.height)
            except (StateError, OSError):
                return []
            self._served = served
        return answer_request(self.state_dir, request, served)

    def on_artifact(self, artifact: StateSyncArtifact) -> bool:
        """Feed a manifest or a chunk to the sync in progress; whether there is one."""
        if self.sync is None:
            return False
        self.sync.on_artifact(artifact)
        return True

    def step(self, cups: Iterable[CatchUpPackage], finalized_height: int, now_ns: int) -> SyncStep:
        """Start, continue or finish a sync, given the unvalidated CUPs of the pool."""
        started: list[int] = []
        for cup in cups:
            if not is_sync_needed(cup, finalized_height):
                continue
            if self.sync is not None and cup.height <= self.sync.height:
                continue
            if is_valid_catch_up_package(cup, self.subnet_public_key):
                self.sync = StateSync(
                    height=cup.height,
                    state_hash=cup.content.state_hash,
                    requester=self.node_id,
                    state_dir=self.state_dir,
                    previous=self.sync,
                    started_at_ns=now_ns,
                )
                self.sync_cup = cup
                started.append(cup.height)
        sync, target = self.sync, self.sync_cup
        if sync is None or target is None:
            return SyncStep(started=tuple(started))
        if not sync.is_complete:
            requests, wake = sync.make_requests(now_ns)
            return SyncStep(started=tuple(started), requests=tuple(requests), wake_at_ns=wake)
        self.sync = self.sync_cup = None
        asked_at = sync.chunks_asked_at_ns
        try:
            sync.install()
        except StateError:
            return SyncStep(started=tuple(started), wake_at_ns=now_ns + 1)
        return SyncStep(
            started=tuple(started),
            installed=target,
            wake_at_ns=now_ns + 1,
            fetched_bytes=sync.fetched_bytes,
            checkpoint_bytes=sync.checkpoint_bytes,
            fetch_ns=0 if asked_at is None else now_ns - asked_at,
            manifest_ns=0 if asked_at is None else asked_at - sync.started_at_ns,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncStep:
    """What one step of `StateSyncOwner` did: syncs started (their heights), requests to
    send, when to look again, and the CUP whose checkpoint it installed, if it did."""

    started: tuple[int, ...] = ()
    requests: tuple[StateSyncRequest, ...] = ()
    wake_at_ns: int | None = None
    installed: CatchUpPackage | None = None
    fetched_bytes: int = 0
    checkpoint_bytes: int = 0
    fetch_ns: int = 0
    """From the first chunks asked for to the last one arrived (the transfer itself)."""
    manifest_ns: int = 0
    """From the sync's start to the first chunks asked for (the manifest's round trip)."""
