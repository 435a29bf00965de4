"""The artifacts replicas of a subnet exchange to agree on a chain of blocks.

Each height of the chain goes through the same steps (spec D.1): a random
beacon (a low-threshold signature on the previous beacon) ranks the block
makers; ranked makers propose blocks; a block is *notarized* by n−f
multi-signature shares of the notarization committee and *finalized* by n−f
finalization shares. A random tape (low-threshold, on the height) gives
execution its randomness; a certification (high-threshold, on the root of the
state tree) certifies what execution computed; a catch-up package
(high-threshold, on a summary block, its beacon and the state hash) lets a
replica start from that height.

Every artifact is a frozen record with a height, canonical CBOR bytes
(`to_bytes`) and an id, the domain-separated SHA-256 of those bytes. Both are
computed once per object and kept beside it: in a simulation every replica
holds the same objects. What a share signs is a short, domain-separated
message built by the `*_message` functions below.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Final

import cbor2

from replica.canister import codec
from replica.consensus.shapes import check_shape
from replica.crypto.dkg import DkgTag
from replica.crypto.errors import CryptoError
from replica.execution.messages import IngressMessage
from replica.types import Principal

_CACHE: Final[Any] = {"stored_apart": True}
ZERO_HASH: Final = bytes(32)


def compute_hash(domain: bytes, data: bytes) -> bytes:
    """SHA-256 of a length-prefixed domain separator and the data."""
    return hashlib.sha256(bytes([len(domain)]) + domain + data).digest()


class _Canonical:
    """Canonical bytes and id, computed on first use and kept on the object."""

    __slots__ = ()
    DOMAIN: bytes = b"ic-artifact"

    def to_bytes(self) -> bytes:
        cached: bytes = self._bytes  # type: ignore[attr-defined]
        if not cached:
            cached = codec.encode(self)
            object.__setattr__(self, "_bytes", cached)
        return cached

    @property
    def id(self) -> bytes:
        cached: bytes = self._id  # type: ignore[attr-defined]
        if not cached:
            cached = compute_hash(self.DOMAIN, self.to_bytes())
            object.__setattr__(self, "_id", cached)
        return cached


def _cached() -> Any:
    return field(default=b"", init=False, repr=False, compare=False, metadata=_CACHE)


# -- blocks -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationContext:
    """What a block's maker saw: the registry version, its certified height and the time."""

    registry_version: int
    certified_height: int
    time_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyTranscript:
    """A threshold key of the subnet: its committee, threshold and Feldman commitments.

    `commitments[0]` is the group public key; the share public key of the
    committee member with 0-based index i is the commitments evaluated at i+1.
    `body` is the crypto layer's serialized transcript (empty for a transcript
    taken from the registry's catch-up package contents).
    """

    tag: DkgTag
    dkg_start_height: int
    registry_version: int
    committee: tuple[Principal, ...]
    threshold: int
    commitments: tuple[bytes, ...]
    body: bytes = b""

    @property
    def public_key(self) -> bytes:
        return self.commitments[0]

    @property
    def key_id(self) -> tuple[str, int, int]:
        return (self.tag, self.dkg_start_height, self.registry_version)


@dataclass(frozen=True, slots=True, kw_only=True)
class DkgConfigRecord:
    """A DKG to run during an interval: who deals, who receives, with which threshold.

    A resharing configuration (the high-threshold key) reshares the summary's
    next high-threshold transcript (its current one if there is no next).
    """

    tag: DkgTag
    start_height: int
    dealers: tuple[Principal, ...]
    receivers: tuple[Principal, ...]
    threshold: int
    registry_version: int
    resharing: bool
    target: bytes = b""
    """A remote DKG's target id (`replica.consensus.remote_dkg`); empty for the subnet's own."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteDkgResult:
    """What a remote DKG (the initial keys of a subnet being created) produced for one request:
    both transcripts, or why there are none (spec B, `setup_initial_dkg`)."""

    target: bytes
    low: KeyTranscript | None = None
    high: KeyTranscript | None = None
    error: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DkgSummary:
    """The payload of a summary block: the keys of this interval and the next (spec D.3)."""

    registry_version: int
    configs: tuple[DkgConfigRecord, ...]
    current_transcripts: tuple[KeyTranscript, ...]
    next_transcripts: tuple[KeyTranscript, ...]
    interval_length: int
    next_interval_length: int
    height: int
    remote_results: tuple[RemoteDkgResult, ...] = ()
    """Finished remote DKGs, answered to the management canister's waiting calls when the summary
    is executed (the IC's `transcripts_for_remote_subnets`)."""
    remote_attempts: tuple[tuple[bytes, int], ...] = ()
    """How many intervals each open remote DKG target has been attempted (the IC's
    `initial_dkg_attempts`)."""

    def get_current(self, tag: DkgTag) -> KeyTranscript | None:
        return next((t for t in self.current_transcripts if t.tag == tag), None)

    def get_next(self, tag: DkgTag) -> KeyTranscript | None:
        return next((t for t in self.next_transcripts if t.tag == tag), None)

    @property
    def next_summary_height(self) -> int:
        return self.height + self.interval_length + 1

    def is_in_interval(self, height: int) -> bool:
        return self.height <= height < self.next_summary_height

    def is_in_next_interval(self, height: int) -> bool:
        start = self.next_summary_height
        return start <= height < start + self.next_interval_length + 1


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedDealing:
    """A DKG dealing (the crypto layer's bytes) signed by its dealer's node signing key."""

    dealer: Principal
    dealing: bytes
    signature: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class DealingSupport:
    """The support proof of a dealing: the multi-signature of receivers that decrypted and checked
    their share of it (committee signing keys, on `dealing_support_message`)."""

    dealing_hash: bytes
    signers: tuple[Principal, ...]
    signature: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class DataPayload:
    """The payload of an ordinary block: ingress messages, DKG dealings and their support proofs
    (exactly one proof per dealing, in the same block), and the results of remote DKGs finished
    early (`replica.consensus.remote_dkg`; the IC's `transcripts_for_remote_subnets` of a data
    payload)."""

    ingress: tuple[IngressMessage, ...] = ()
    dealings: tuple[SignedDealing, ...] = ()
    supports: tuple[DealingSupport, ...] = ()
    remote_results: tuple[RemoteDkgResult, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Block(_Canonical):
    DOMAIN = b"ic-block"

    version: str
    parent: bytes
    height: int
    rank: int
    context: ValidationContext
    payload: DataPayload | DkgSummary
    _bytes: bytes = _cached()
    _id: bytes = _cached()

    @property
    def is_summary(self) -> bool:
        return isinstance(self.payload, DkgSummary)

    @property
    def summary(self) -> DkgSummary:
        if not isinstance(self.payload, DkgSummary):
            raise TypeError(f"block at height {self.height} is not a summary block")
        return self.payload


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockProposal(_Canonical):
    """A block signed (Ed25519) by its maker with its node signing key."""

    DOMAIN = b"ic-block-proposal"

    block: Block
    signer: Principal
    signature: bytes
    _bytes: bytes = _cached()
    _id: bytes = _cached()

    @property
    def height(self) -> int:
        return self.block.height

    @property
    def rank(self) -> int:
        return self.block.rank


# -- signatures on blocks -----------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class NotarizationShare(_Canonical):
    DOMAIN = b"ic-notarization-share"

    height: int
    block: bytes
    signer: Principal
    signature: bytes
    _bytes: bytes = _cached()
    _id: bytes = _cached()


@dataclass(frozen=True, slots=True, kw_only=True)
class Notarization(_Canonical):
    DOMAIN = b"ic-notarization"

    height: int
    block: bytes
    signers: tuple[Principal, ...]
    signature: bytes
    _bytes: bytes = _cached()
    _id: bytes = _cached()


@dataclass(frozen=True, slots=True, kw_only=True)
class FinalizationShare(_Canonical):
    DOMAIN = b"ic-finalization-share"

    height: int
    block: bytes
    signer: Principal
    signature: bytes
    _bytes: bytes = _cached()
    _id: bytes = _cached()


@dataclass(frozen=True, slots=True, kw_only=True)
class Finalization(_Canonical):
    DOMAIN = b"ic-finalization"

    height: int
    block: bytes
    signers: tuple[Principal, ...]
    signature: bytes
    _bytes: bytes = _cached()
    _id: bytes = _cached()


# -- randomness -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RandomBeaconShare(_Canonical):
    DOMAIN = b"ic-random-beacon-share"

    height: int
    parent: bytes
    signer: Principal
    signature: bytes
    _bytes: bytes = _cached()
    _id: bytes = _cached()


@dataclass(frozen=True, slots=True, kw_only=True)
class RandomBeacon(_Canonical):
    """The beacon of a height: a low-threshold signature on {height, hash of the previous beacon}.

    The beacon of a CUP (and of genesis) has an empty signature.
    """

    DOMAIN = b"ic-random-beacon"

    height: int
    parent: bytes
    signature: bytes
    _bytes: bytes = _cached()
    _id: bytes = _cached()


@dataclass(frozen=True, slots=True, kw_only=True)
class RandomTapeShare(_Canonical):
    DOMAIN = b"ic-random-tape-share"

    height: int
    signer: Principal
    signature: bytes
    _bytes: bytes = _cached()
    _id: bytes = _cached()


@dataclass(frozen=True, slots=True, kw_only=True)
class RandomTape(_Canonical):
    DOMAIN = b"ic-random-tape"

    height: int
    signature: bytes
    _bytes: bytes = _cached()
    _id: bytes = _cached()


# -- certification and catch-up -------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificationShare(_Canonical):
    DOMAIN = b"ic-certification-share"

    height: int
    root_hash: bytes
    signer: Principal
    signature: bytes
    _bytes: bytes = _cached()
    _id: bytes = _cached()


@dataclass(frozen=True, slots=True, kw_only=True)
class Certification(_Canonical):
    """The subnet's high-threshold signature on the root hash of the state tree of a height."""

    DOMAIN = b"ic-certification"

    height: int
    root_hash: bytes
    signature: bytes
    _bytes: bytes = _cached()
    _id: bytes = _cached()


@dataclass(frozen=True, slots=True, kw_only=True)
class CatchUpContent:
    """What a CUP signs: the replica version, the summary block, its beacon, the state hash."""

    version: str
    block: Block
    beacon: RandomBeacon
    state_hash: bytes
    oldest_registry_version: int

    @property
    def height(self) -> int:
        return self.block.height


@dataclass(frozen=True, slots=True, kw_only=True)
class CatchUpPackage(_Canonical):
    DOMAIN = b"ic-catch-up-package"

    content: CatchUpContent
    signature: bytes
    _bytes: bytes = _cached()
    _id: bytes = _cached()

    @property
    def height(self) -> int:
        return self.content.block.height

    @property
    def registry_version(self) -> int:
        return self.content.block.summary.registry_version


@dataclass(frozen=True, slots=True, kw_only=True)
class CatchUpPackageShare(_Canonical):
    """A CUP share carries the block's hash instead of the block."""

    DOMAIN = b"ic-catch-up-package-share"

    height: int
    version: str
    block: bytes
    beacon: bytes
    state_hash: bytes
    oldest_registry_version: int
    signer: Principal
    signature: bytes
    _bytes: bytes = _cached()
    _id: bytes = _cached()


@dataclass(frozen=True, slots=True, kw_only=True)
class EquivocationProof(_Canonical):
    """Two different blocks signed by the same maker at the same height."""

    DOMAIN = b"ic-equivocation-proof"

    first: BlockProposal
    second: BlockProposal
    _bytes: bytes = _cached()
    _id: bytes = _cached()

    @property
    def height(self) -> int:
        return self.first.height

    @property
    def signer(self) -> Principal:
        return self.first.signer


@dataclass(frozen=True, slots=True, kw_only=True)
class IngressArtifact(_Canonical):
    """An ingress message gossiped between replicas until a block includes it."""

    DOMAIN = b"ic-ingress"

    message: IngressMessage
    _bytes: bytes = _cached()
    _id: bytes = _cached()

    @property
    def height(self) -> int:
        return 0


@dataclass(frozen=True, slots=True, kw_only=True)
class DealingArtifact(_Canonical):
    """A DKG dealing gossiped until a block includes it; `height` is its DKG's start height."""

    DOMAIN = b"ic-dealing"

    height: int
    tag: DkgTag
    signed: SignedDealing
    _bytes: bytes = _cached()
    _id: bytes = _cached()


@dataclass(frozen=True, slots=True, kw_only=True)
class DealingSupportShare(_Canonical):
    """A receiver's support of a dealing whose share it decrypted and checked; gossiped until a
    block includes the dealing. `height` is the DKG's start height."""

    DOMAIN = b"ic-dealing-support-share"

    height: int
    tag: DkgTag
    dealer: Principal
    dealing_hash: bytes
    signer: Principal
    signature: bytes
    _bytes: bytes = _cached()
    _id: bytes = _cached()


@dataclass(frozen=True, slots=True, kw_only=True)
class StateSyncRequest(_Canonical):
    """A replica asks its peers for the manifest (`chunks` None) or chunks of a checkpoint."""

    DOMAIN = b"ic-state-sync-request"

    height: int
    state_hash: bytes
    requester: Principal
    chunks: tuple[int, ...] | None = None
    _bytes: bytes = _cached()
    _id: bytes = _cached()


@dataclass(frozen=True, slots=True, kw_only=True)
class StateManifestArtifact(_Canonical):
    DOMAIN = b"ic-state-manifest"

    height: int
    state_hash: bytes
    manifest: bytes
    _bytes: bytes = _cached()
    _id: bytes = _cached()


@dataclass(frozen=True, slots=True, kw_only=True)
class StateChunkArtifact(_Canonical):
    DOMAIN = b"ic-state-chunk"

    height: int
    state_hash: bytes
    index: int
    data: bytes
    _bytes: bytes = _cached()
    _id: bytes = _cached()


StateSyncArtifact = StateSyncRequest | StateManifestArtifact | StateChunkArtifact

ConsensusArtifact = (
    BlockProposal
    | NotarizationShare
    | Notarization
    | FinalizationShare
    | Finalization
    | RandomBeaconShare
    | RandomBeacon
    | RandomTapeShare
    | RandomTape
    | CertificationShare
    | Certification
    | CatchUpPackageShare
    | CatchUpPackage
    | EquivocationProof
)
Artifact = (
    ConsensusArtifact | IngressArtifact | DealingArtifact | DealingSupportShare | StateSyncArtifact
)

ARTIFACT_TYPES: Final = (
    BlockProposal,
    NotarizationShare,
    Notarization,
    FinalizationShare,
    Finalization,
    RandomBeaconShare,
    RandomBeacon,
    RandomTapeShare,
    RandomTape,
    CertificationShare,
    Certification,
    CatchUpPackageShare,
    CatchUpPackage,
    EquivocationProof,
    IngressArtifact,
    DealingArtifact,
    DealingSupportShare,
    StateSyncRequest,
    StateManifestArtifact,
    StateChunkArtifact,
)


MALFORMED_INPUT_ERRORS: Final = (
    cbor2.CBORDecodeError,  # not CBOR
    ValueError,  # a record type refused, a bad field value
    TypeError,  # a record built with missing or unknown fields, an unhashable map key
    AttributeError,  # a record name that names nothing, record fields that are not a map
    ImportError,  # a record name in a module that does not exist
    RecursionError,  # nesting deeper than the interpreter allows
    CryptoError,  # a record that refuses its contents (e.g. a DKG id with a bad tag)
)
"""What decoding bytes from a peer raises when the bytes are malformed (and nothing else)."""


def artifact_from_bytes(data: bytes) -> Artifact:
    """Decode an artifact's canonical bytes (raises ValueError on anything else).

    Bytes from a peer are parsed here, once: every field must have its declared
    type, all the way down, and the bytes must be the canonical encoding.
    """
    try:
        value = codec.decode(data)
    except MALFORMED_INPUT_ERRORS as error:
        raise ValueError(f"not an artifact: {error}") from error
    if not isinstance(value, ARTIFACT_TYPES):
        raise ValueError(f"not an artifact: {type(value).__name__}")
    check_shape(value, type(value))
    if value.to_bytes() != data:
        raise ValueError("not the canonical encoding of the artifact")
    return value


# -- signed messages ----------------------------------------------------------------------


def _height_bytes(height: int) -> bytes:
    return height.to_bytes(8, "big")


def dealing_message(dealing: bytes) -> bytes:
    return b"\x0bdkg_dealing" + hashlib.sha256(dealing).digest()


def compute_dealing_hash(dealing: bytes) -> bytes:
    """The id of a dealing (the crypto layer's canonical bytes) that support proofs name."""
    return compute_hash(b"ic-dkg-dealing", dealing)


def dealing_support_message(
    subnet_id: Principal, start_height: int, tag: DkgTag, dealing_hash: bytes
) -> bytes:
    """What a receiver signs to support a dealing: the DKG id and the dealing's hash."""
    dkg_id = compute_hash(b"ic-dkg-id", subnet_id.raw + _height_bytes(start_height) + tag.encode())
    return b"\x13dkg_dealing_support" + dkg_id + dealing_hash


def proposal_message(block_hash: bytes) -> bytes:
    return b"\x0eblock_proposal" + block_hash


def notarization_message(height: int, block_hash: bytes) -> bytes:
    return b"\x0cnotarization" + _height_bytes(height) + block_hash


def finalization_message(height: int, block_hash: bytes) -> bytes:
    return b"\x0cfinalization" + _height_bytes(height) + block_hash


def beacon_message(height: int, parent_beacon_hash: bytes) -> bytes:
    return b"\x0drandom_beacon" + _height_bytes(height) + parent_beacon_hash


def tape_message(height: int) -> bytes:
    return b"\x0brandom_tape" + _height_bytes(height)


STATE_ROOT_DOMAIN: Final = b"\x0dic-state-root"


def certification_message(root_hash: bytes) -> bytes:
    """What the subnet signs to certify a state tree (the certificate's message)."""
    return STATE_ROOT_DOMAIN + root_hash


def catch_up_message(
    *,
    version: str,
    height: int,
    block_hash: bytes,
    beacon_hash: bytes,
    state_hash: bytes,
    oldest_registry_version: int,
) -> bytes:
    digest = hashlib.sha256()
    for part in (
        version.encode(),
        _height_bytes(height),
        block_hash,
        beacon_hash,
        state_hash,
        _height_bytes(oldest_registry_version),
    ):
        digest.update(len(part).to_bytes(4, "big") + part)
    return b"\x10catch_up_content" + digest.digest()


def catch_up_content_message(content: CatchUpContent) -> bytes:
    return catch_up_message(
        version=content.version,
        height=content.height,
        block_hash=content.block.id,
        beacon_hash=content.beacon.id,
        state_hash=content.state_hash,
        oldest_registry_version=content.oldest_registry_version,
    )


def is_newer_cup(height: int, registry_version: int, than: tuple[int, int]) -> bool:
    """Whether a CUP of (`height`, `registry_version`) is newer than one of `than` (height,
    registry version): higher with a registry version not older, or as high with a newer
    registry version (`CatchUpPackageParam` ordering, `rs/types/types/src/consensus/catchup.rs`)."""
    other_height, other_version = than
    if height > other_height:
        return registry_version >= other_version
    return height == other_height and registry_version > other_version
