"""The artifact pool of one replica and the only code that changes it.

Artifacts from peers land in the *unvalidated* section; the validator checks
them and moves them to the *validated* section (or drops them as invalid).
Artifacts the replica makes itself go straight to the validated section. The
roles (block maker, notary, finalizer, ...) never touch the pool: they return
a change set, a list of actions, and `ArtifactPool.apply` carries it out
(STYLE rule 6, the IC's `on_state_change(pool) -> ChangeSet`).

The validated blocks, notarizations, finalizations, beacons, tapes,
certifications, catch-up packages and the replica's own notarization and
finalization shares are appended to a file in the node's state directory, so
a restarted replica finds its chain again and keeps the promises it signed;
purging all kinds rewrites the file with what is left.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final, Literal, TypeVar

from replica.consensus.artifacts import (
    BlockProposal,
    CatchUpPackage,
    Certification,
    ConsensusArtifact,
    EquivocationProof,
    Finalization,
    FinalizationShare,
    Notarization,
    NotarizationShare,
    RandomBeacon,
    RandomTape,
    artifact_from_bytes,
)

POOL_FILE: Final = "consensus_pool.bin"
PERSISTED_TYPES: Final = (
    BlockProposal,
    Notarization,
    Finalization,
    RandomBeacon,
    RandomTape,
    Certification,
    CatchUpPackage,
    EquivocationProof,
    NotarizationShare,
    FinalizationShare,
)
"""What a restarted replica must find again: its chain, and the notarization and
finalization shares it signed (the finalizer rule depends on them: a replica
never finality-signs a height where it notarized another block)."""

A = TypeVar("A", bound=ConsensusArtifact)


# -- change sets --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AddToValidated:
    """An artifact this replica made (or combined) itself."""

    artifact: ConsensusArtifact


@dataclass(frozen=True, slots=True, kw_only=True)
class MoveToValidated:
    artifact: ConsensusArtifact


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveFromUnvalidated:
    artifact: ConsensusArtifact


@dataclass(frozen=True, slots=True, kw_only=True)
class HandleInvalid:
    artifact: ConsensusArtifact
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PurgeBelow:
    """Drop the artifacts of the given kinds (all kinds if None) below a height from one section."""

    section: Literal["validated", "unvalidated"]
    height: int
    kinds: tuple[type, ...] | None = None


ChangeAction = AddToValidated | MoveToValidated | RemoveFromUnvalidated | HandleInvalid | PurgeBelow
ChangeSet = list[ChangeAction]


# -- sections -----------------------------------------------------------------------------


class PoolSection:
    """Artifacts indexed by type and height, then by id."""

    def __init__(self) -> None:
        self._by_type: dict[type, dict[int, dict[bytes, ConsensusArtifact]]] = {}
        self._ids: set[bytes] = set()

    def __contains__(self, artifact_id: object) -> bool:
        return artifact_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, artifact: ConsensusArtifact) -> bool:
        artifact_id = artifact.id
        if artifact_id in self._ids:
            return False
        self._ids.add(artifact_id)
        self._by_type.setdefault(type(artifact), {}).setdefault(artifact.height, {})[
            artifact_id
        ] = artifact
        return True

    def remove(self, artifact: ConsensusArtifact) -> None:
        artifact_id = artifact.id
        if artifact_id not in self._ids:
            return
        self._ids.discard(artifact_id)
        heights = self._by_type[type(artifact)]
        at_height = heights[artifact.height]
        del at_height[artifact_id]
        if not at_height:
            del heights[artifact.height]

    def get(self, kind: type[A], height: int) -> list[A]:
        at_height = self._by_type.get(kind, {}).get(height)
        return list(at_height.values()) if at_height else []  # type: ignore[arg-type]

    def has(self, kind: type[ConsensusArtifact], height: int) -> bool:
        return bool(self._by_type.get(kind, {}).get(height))

    def heights(self, kind: type[ConsensusArtifact]) -> list[int]:
        return sorted(self._by_type.get(kind, {}))

    def all_of(self, kind: type[A]) -> Iterator[A]:
        for at_height in list(self._by_type.get(kind, {}).values()):
            yield from at_height.values()  # type: ignore[misc]

    def purge_below(
        self, height: int, kinds: Iterable[type] | None = None
    ) -> list[ConsensusArtifact]:
        removed: list[ConsensusArtifact] = []
        for kind in list(self._by_type) if kinds is None else kinds:
            heights = self._by_type.get(kind)
            if not heights:
                continue
            for old in [h for h in heights if h < height]:
                for artifact_id, artifact in heights.pop(old).items():
                    self._ids.discard(artifact_id)
                    removed.append(artifact)
        return removed


class ArtifactPool:
    """The validated and unvalidated sections, and the one door through which they change."""

    def __init__(self, directory: Path | None = None) -> None:
        self.validated = PoolSection()
        self.unvalidated = PoolSection()
        self.invalid_count = 0
        self._path = None if directory is None else Path(directory) / POOL_FILE
        self._file: BinaryIO | None = None
        self._unsynced = False
        self.added: list[ConsensusArtifact] = []
        """Artifacts added to the validated section since the owner last took them."""

    # -- persistence ----------------------------------------------------------------------

    def load(self) -> list[ConsensusArtifact]:
        """Read the persisted artifacts back into the validated section (in their order)."""
        if self._path is None or not self._path.exists():
            return []
        data = self._path.read_bytes()
        loaded: list[ConsensusArtifact] = []
        offset = 0
        while offset + 4 <= len(data):
            size = int.from_bytes(data[offset : offset + 4], "big")
            chunk = data[offset + 4 : offset + 4 + size]
            if len(chunk) < size:
                break  # a torn last record: the replica crashed while appending it
            offset += 4 + size
            try:
                artifact = artifact_from_bytes(chunk)
            except ValueError:
                break
            if isinstance(artifact, PERSISTED_TYPES) and self.validated.add(artifact):
                loaded.append(artifact)
        return loaded

    def _append(self, artifact: ConsensusArtifact) -> None:
        if self._path is None:
            return
        if self._file is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self._path.open("ab")
        data = artifact.to_bytes()
        self._file.write(len(data).to_bytes(4, "big") + data)
        self._file.flush()
        self._unsynced = True

    def _rewrite(self) -> None:
        if self._path is None:
            return
        if self._file is not None:
            self._file.close()
            self._file = None
        temporary = self._path.with_suffix(".tmp")
        with temporary.open("wb") as out:
            for kind in PERSISTED_TYPES:
                for height in self.validated.heights(kind):
                    for artifact in self.validated.get(kind, height):
                        data = artifact.to_bytes()
                        out.write(len(data).to_bytes(4, "big") + data)
            out.flush()
            os.fsync(out.fileno())
        temporary.replace(self._path)

    def sync(self) -> None:
        """Make every appended artifact durable (a live replica calls this before it sends what it
        signed, so a restart never forgets a share it promised; the IC persists before it gossips)."""
        if self._file is not None and self._unsynced:
            os.fdatasync(self._file.fileno())
            self._unsynced = False

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    # -- applying change sets -------------------------------------------------------------

    def apply(self, changes: Iterable[ChangeAction]) -> None:
        rewrite = False
        for change in changes:
            if isinstance(change, AddToValidated | MoveToValidated):
                if isinstance(change, MoveToValidated):
                    self.unvalidated.remove(change.artifact)
                if self.validated.add(change.artifact):
                    self.added.append(change.artifact)
                    if isinstance(change.artifact, PERSISTED_TYPES):
                        self._append(change.artifact)
            elif isinstance(change, RemoveFromUnvalidated):
                self.unvalidated.remove(change.artifact)
            elif isinstance(change, HandleInvalid):
                self.unvalidated.remove(change.artifact)
                self.invalid_count += 1
            elif change.section == "unvalidated":
                self.unvalidated.purge_below(change.height, change.kinds)
            else:
                removed = self.validated.purge_below(change.height, change.kinds)
                # Partial purges (shares, every height) leave the file alone; the next full one compacts it.
                if change.kinds is None and any(
                    isinstance(artifact, PERSISTED_TYPES) for artifact in removed
                ):
                    rewrite = True
        if rewrite:
            self._rewrite()

    def take_added(self) -> list[ConsensusArtifact]:
        added, self.added = self.added, []
        return added
