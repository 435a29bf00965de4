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
the answer arrives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from replica.consensus.artifacts import (
    CatchUpPackage,
    StateChunkArtifact,
    StateManifestArtifact,
    StateSyncArtifact,
    StateSyncRequest,
)
from replica.state import manifest as manifests
from replica.state.errors import StateError
from replica.state.manager import install_checkpoint, latest_checkpoint_in, read_checkpoint
from replica.types import Principal

STATE_SYNC_LAG: Final = 25
"""How far a valid CUP must be above the finalized height before the replica syncs to it."""
REQUEST_INTERVAL_NS: Final = 500_000_000
CHUNKS_PER_REQUEST: Final = 64


def is_sync_needed(cup: CatchUpPackage, finalized_height: int) -> bool:
    return cup.height > finalized_height + STATE_SYNC_LAG


def answer_request(state_dir: Path, request: StateSyncRequest) -> list[StateSyncArtifact]:
    """What this replica can send for a peer's request: the manifest or the chunks it asked for."""
    try:
        checkpoint = read_checkpoint(state_dir, request.height)
    except (StateError, OSError):
        return []
    if checkpoint.root_hash != request.state_hash:
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
    """One state sync in progress, towards the checkpoint of `cup`."""

    def __init__(self, cup: CatchUpPackage, requester: Principal, state_dir: Path) -> None:
        self.cup = cup
        self.requester = requester
        self.state_dir = state_dir
        self.manifest: manifests.Manifest | None = None
        self.missing: set[int] = set()
        self.chunks: dict[int, bytes] = {}
        self._last_request_ns: int | None = None

    @property
    def height(self) -> int:
        return self.cup.height

    @property
    def state_hash(self) -> bytes:
        return self.cup.content.state_hash

    @property
    def is_complete(self) -> bool:
        return self.manifest is not None and not self.missing

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
            self.manifest = manifest
            self.missing = set(
                manifests.chunks_to_fetch(None if local is None else local.manifest, manifest)
            )
            self._last_request_ns = None
        elif (
            isinstance(artifact, StateChunkArtifact)
            and self.manifest is not None
            and artifact.index in self.missing
            and manifests.is_valid_chunk(self.manifest, artifact.index, artifact.data)
        ):
            self.chunks[artifact.index] = artifact.data
            self.missing.discard(artifact.index)

    def make_requests(self, now_ns: int) -> tuple[list[StateSyncRequest], int]:
        """The requests to (re)send now, and when to look again."""
        if (
            self._last_request_ns is not None
            and now_ns < self._last_request_ns + REQUEST_INTERVAL_NS
        ):
            return [], self._last_request_ns + REQUEST_INTERVAL_NS
        self._last_request_ns = now_ns
        if self.manifest is None:
            requests = [
                StateSyncRequest(
                    height=self.height, state_hash=self.state_hash, requester=self.requester
                )
            ]
        else:
            missing = sorted(self.missing)
            requests = [
                StateSyncRequest(
                    height=self.height,
                    state_hash=self.state_hash,
                    requester=self.requester,
                    chunks=tuple(missing[i : i + CHUNKS_PER_REQUEST]),
                )
                for i in range(0, len(missing), CHUNKS_PER_REQUEST)
            ]
        return requests, now_ns + REQUEST_INTERVAL_NS

    def install(self) -> None:
        """Write the fetched checkpoint (checked chunk by chunk and as a whole)."""
        if self.manifest is None:
            raise StateError("no manifest yet")
        install_checkpoint(self.state_dir, self.height, self.manifest, self.chunks)
