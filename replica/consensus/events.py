"""What a replica reports about itself: typed events, for the driver to log, show or assert on."""

from __future__ import annotations

from dataclasses import dataclass

from replica.types import Principal


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockFinalized:
    height: int
    block_hash: bytes
    is_summary: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchExecuted:
    height: int
    root_hash: bytes
    state_hash: bytes
    completed: tuple[bytes, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificationCreated:
    height: int
    root_hash: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class CatchUpPackageCreated:
    height: int
    state_hash: bytes
    registry_version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MembershipChanged:
    """A new interval starts with this registry version and these members."""

    height: int
    registry_version: int
    members: tuple[Principal, ...]
    is_member: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeStoppedParticipating:
    """The node is neither a member nor in a threshold committee from this height on."""

    height: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StateDiverged:
    """The subnet certified a root hash at a height that differs from this replica's."""

    height: int
    certified_root_hash: bytes
    own_root_hash: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class StateSyncStarted:
    """The node is far behind a valid CUP and fetches that height's checkpoint from its peers."""

    height: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StateSyncCompleted:
    """The checkpoint is installed; the node continues from the CUP of this height."""

    height: int
    fetched_bytes: int = 0
    """What the sync fetched from peers (the chunks the node did not hold)."""
    checkpoint_bytes: int = 0
    """The size of the checkpoint's files."""
    fetch_ns: int = 0
    """How long fetching the chunks took (first chunks asked for to the last arrived)."""
    manifest_ns: int = 0
    """How long the manifest took (the sync's start to the first chunks asked for)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaVersionChanged:
    """The CUP of this height names another replica version: this replica stops; restart it in
    `version`."""

    height: int
    version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ArtifactRejected:
    kind: str
    height: int
    reason: str


NodeEvent = (
    BlockFinalized
    | BatchExecuted
    | CertificationCreated
    | CatchUpPackageCreated
    | MembershipChanged
    | NodeStoppedParticipating
    | StateDiverged
    | StateSyncStarted
    | StateSyncCompleted
    | ReplicaVersionChanged
    | ArtifactRejected
)
