"""The state manager of one replica: execution, certification and checkpoints.

The state manager owns the replica's execution engine. Consensus hands it each
finalized height as a batch, in order; it executes the batch and builds the
height's certified state tree, whose root hash is the height's certification
content. Consensus gathers threshold signature shares on that content and gives
back a `Certification`; the manager checks it (the root hash must be its own
for that height, the signature valid under the subnet key) and from then on
answers reads with certificates of that height: pruned trees with the subnet's
signature.

At catch-up heights consensus asks for a checkpoint: canonical files in
`<state_dir>/checkpoints/<height>/` and their manifest, whose root hash is the
catch-up package's state hash. After a crash, `restore` rebuilds the manager at
its latest checkpoint, and consensus replays the finalized blocks since.

Layout of `state_dir`:

    engine/                       the live databases of the execution engine
    checkpoints/<height>/         the checkpoint files (see `replica.state.checkpoint`)
    checkpoints/<height>/subnets.cbor   the subnet info of the height's state tree
    checkpoints/<height>/manifest.cbor  their manifest (not itself in the manifest)
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from replica.crypto import bls, hashtree
from replica.crypto.certificate import Certificate, signed_message
from replica.crypto.errors import CryptoError
from replica.crypto.hashtree import HashTree
from replica.execution.engine import ExecutionEngine, SystemCanister
from replica.execution.messages import Batch
from replica.state import manifest as manifests
from replica.state.checkpoint import restore_engine, write_engine_files
from replica.state.errors import CertificationMismatch, CheckpointError, StateError
from replica.state.manifest import Manifest
from replica.state.tree import StateTreeBuilder, SubnetInfo, decode_subnets, encode_subnets
from replica.types import Principal

ENGINE_DIRECTORY: Final = "engine"
CHECKPOINTS_DIRECTORY: Final = "checkpoints"
MANIFEST_FILE: Final = "manifest.cbor"
SUBNETS_FILE: Final = "subnets.cbor"
DEFAULT_KEPT_HEIGHTS: Final = 128  # more than the 70-height certification gap where notaries stop
DEFAULT_KEPT_CHECKPOINTS: Final = 2

SignatureCheck = Callable[[bytes, bytes], bool]
"""Checks a combined signature: (signed message, signature) -> valid."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Certification:
    """The subnet's threshold signature on the certification content of one height."""

    height: int
    root_hash: bytes
    signature: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutedHeight:
    """One executed height: its certified tree and the hashes consensus compares."""

    height: int
    time_ns: int
    root_hash: bytes
    """The certification content: the root hash of the height's state tree."""
    state_hash: bytes
    """The engine's hash of its whole state (all canisters' databases)."""
    completed: tuple[bytes, ...]
    """Ingress messages that reached a final status at this height."""
    tree: HashTree


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckpointInfo:
    height: int
    directory: Path
    manifest: Manifest

    @property
    def root_hash(self) -> bytes:
        """The catch-up package's state hash."""
        return self.manifest.root_hash


class StateManager:
    """Executes finalized heights of one replica and keeps what certifies them."""

    def __init__(
        self,
        engine: ExecutionEngine,
        *,
        state_dir: str | Path,
        subnets: Sequence[SubnetInfo] = (),
        verify_signature: SignatureCheck | None = None,
        kept_heights: int = DEFAULT_KEPT_HEIGHTS,
    ) -> None:
        self.engine = engine
        self.state_dir = Path(state_dir)
        self._subnets = tuple(subnets)
        self._tree_subnets = self._subnets  # what the last height's tree was built with
        self._verify_signature = verify_signature
        self._kept_heights = max(1, kept_heights)
        self._heights: dict[int, ExecutedHeight] = {}
        self._pending: dict[int, Certification] = {}
        self._certification: Certification | None = None
        self._tree_builder = StateTreeBuilder()
        self._remember(self._snapshot(completed=()))

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        state_dir: str | Path,
        *,
        subnet_id: Principal,
        factories: Mapping[str, SystemCanister],
        subnets: Sequence[SubnetInfo] = (),
        verify_signature: SignatureCheck | None = None,
        kept_heights: int = DEFAULT_KEPT_HEIGHTS,
        **engine_options: Any,
    ) -> StateManager:
        """A manager with a fresh engine at height 0 under `state_dir/engine`."""
        root = Path(state_dir)
        engine = ExecutionEngine(
            subnet_id, state_dir=root / ENGINE_DIRECTORY, factories=factories, **engine_options
        )
        return cls(
            engine,
            state_dir=root,
            subnets=subnets,
            verify_signature=verify_signature,
            kept_heights=kept_heights,
        )

    @classmethod
    def restore(
        cls,
        state_dir: str | Path,
        *,
        subnet_id: Principal,
        factories: Mapping[str, SystemCanister],
        subnets: Sequence[SubnetInfo] | None = None,
        height: int | None = None,
        verify_signature: SignatureCheck | None = None,
        kept_heights: int = DEFAULT_KEPT_HEIGHTS,
        **engine_options: Any,
    ) -> StateManager:
        """A manager at a checkpoint (the latest one unless `height` is given).

        The checkpoint's files are checked against its manifest first; the live
        databases are rebuilt from them. The tree of the checkpoint height is
        built with the subnet info the checkpoint kept; `subnets`, if given, is
        the subnet info from the next height on (as `set_subnets`).
        """
        root = Path(state_dir)
        info = read_checkpoint(root, height) if height is not None else latest_checkpoint_in(root)
        if info is None:
            raise CheckpointError(f"no checkpoint under {root}")
        if not is_verified(info.directory, info.root_hash):
            found = manifests.compute_manifest(info.directory, exclude=[MANIFEST_FILE])
            if found.root_hash != info.root_hash:
                raise CheckpointError(f"checkpoint {info.height} does not match its manifest")
        engine = restore_engine(
            info.directory,
            live_dir=root / ENGINE_DIRECTORY,
            subnet_id=subnet_id,
            factories=factories,
            **engine_options,
        )
        if engine.height != info.height:
            raise CheckpointError(
                f"checkpoint {info.height} holds the state of height {engine.height}"
            )
        kept_subnets = info.directory / SUBNETS_FILE
        checkpoint_subnets = (
            decode_subnets(kept_subnets.read_bytes()) if kept_subnets.is_file() else ()
        )
        manager = cls(
            engine,
            state_dir=root,
            subnets=checkpoint_subnets or tuple(subnets or ()),
            verify_signature=verify_signature,
            kept_heights=kept_heights,
        )
        if subnets is not None:
            manager.set_subnets(subnets)
        return manager

    def close(self) -> None:
        """Release the engine's databases (a crashed replica's manager, before restoring it)."""
        self.engine.close()

    # -- execution ----------------------------------------------------------------------------

    @property
    def height(self) -> int:
        """The last executed height."""
        return self.engine.height

    @property
    def subnet_id(self) -> Principal:
        return self.engine.subnet_id

    @property
    def subnets(self) -> tuple[SubnetInfo, ...]:
        return self._subnets

    def set_subnets(self, subnets: Sequence[SubnetInfo]) -> None:
        """The subnet info of the state tree from the next executed height on."""
        self._subnets = tuple(subnets)

    def execute(self, batch: Batch) -> ExecutedHeight:
        """Execute the next finalized height and build its certified tree."""
        if batch.height != self.height + 1:
            raise StateError(f"expected a batch at height {self.height + 1}, got {batch.height}")
        result = self.engine.execute_round(batch)
        executed = self._snapshot(
            completed=result.completed, state_hash=result.state_hash, incremental=True
        )
        self._remember(executed)
        pending = self._pending.pop(batch.height, None)
        if pending is not None:
            self.deliver_certification(pending)
        return executed

    def _snapshot(
        self,
        *,
        completed: tuple[bytes, ...],
        state_hash: bytes | None = None,
        incremental: bool = False,
    ) -> ExecutedHeight:
        engine = self.engine
        if incremental:  # only the statuses this height changed (or pruned) are rebuilt
            changes = {
                message_id: engine.certified_request_status(message_id)
                for message_id in engine.ingress_history.changes
            }
            tree = self._tree_builder.update(
                {"time": engine.time_ns, "canister": engine.certified_canisters()},
                self._subnets,
                request_status_changes=changes,
            )
        else:
            tree = self._tree_builder.build(engine.certified_state(), self._subnets)
        self._tree_subnets = self._subnets
        return ExecutedHeight(
            height=self.engine.height,
            time_ns=self.engine.time_ns,
            root_hash=tree.digest,
            state_hash=self.engine.state_hash() if state_hash is None else state_hash,
            completed=completed,
            tree=tree,
        )

    def _remember(self, executed: ExecutedHeight) -> None:
        self._heights[executed.height] = executed
        keep_from = executed.height - self._kept_heights + 1
        certified = self.certified_height
        for height in [h for h in self._heights if h < keep_from and h != certified]:
            del self._heights[height]

    def executed(self, height: int) -> ExecutedHeight:
        found = self._heights.get(height)
        if found is None:
            raise StateError(f"height {height} is not kept (executed {self.height})")
        return found

    def certification_content(self, height: int) -> bytes:
        """The root hash of the state tree at `height`, which the subnet signs."""
        return self.executed(height).root_hash

    def state_hash(self, height: int) -> bytes:
        return self.executed(height).state_hash

    def tree(self, height: int) -> HashTree:
        return self.executed(height).tree

    def kept_heights(self) -> list[int]:
        return sorted(self._heights)

    def purge_below(self, height: int) -> None:
        """Forget the trees of heights below `height`, except the latest certified one."""
        certified = self.certified_height
        for kept in [h for h in self._heights if h < height and h != certified]:
            del self._heights[kept]
        for pending in [h for h in self._pending if h < height]:
            del self._pending[pending]

    # -- certification ------------------------------------------------------------------------

    @property
    def certified_height(self) -> int:
        return 0 if self._certification is None else self._certification.height

    @property
    def latest_certification(self) -> Certification | None:
        return self._certification

    def is_valid_signature(self, root_hash: bytes, signature: bytes) -> bool:
        """Whether `signature` is the subnet's on the certification content `root_hash`."""
        message = signed_message(root_hash)
        if self._verify_signature is not None:
            return self._verify_signature(message, signature)
        own = next((s for s in self._subnets if s.subnet_id == self.subnet_id), None)
        if own is None:
            raise StateError(f"no public key known for subnet {self.subnet_id}")
        try:
            key = bls.public_key_from_der(own.public_key_der)
        except CryptoError as error:
            raise StateError(
                f"the public key of subnet {self.subnet_id} is invalid: {error}"
            ) from error
        return bls.verify(key, message, signature)

    def deliver_certification(self, certification: Certification) -> bool:
        """Record a certification; True if it certifies a height newer than the last one.

        A certification of a height not executed yet waits until it is. One
        whose signature is invalid raises `StateError`; one whose root hash
        differs from this replica's at that height raises `CertificationMismatch`
        (this replica's state diverged from the subnet's).
        """
        if certification.height <= self.certified_height:
            return False
        if not self.is_valid_signature(certification.root_hash, certification.signature):
            raise StateError(f"invalid certification signature at height {certification.height}")
        if certification.height > self.height:
            self._pending[certification.height] = certification
            return False
        executed = self._heights.get(certification.height)
        if executed is None:
            return False
        if executed.root_hash != certification.root_hash:
            raise CertificationMismatch(
                f"height {certification.height}: certified {certification.root_hash.hex()}, "
                f"computed {executed.root_hash.hex()}"
            )
        self._certification = certification
        for height in [h for h in self._pending if h <= certification.height]:
            del self._pending[height]
        return True

    def certificate(
        self, paths: Sequence[hashtree.LabelPath], *, height: int | None = None
    ) -> Certificate:
        """A certificate of the latest certified height revealing `paths` (and `/time`)."""
        certification = self._certification
        if certification is None or (height is not None and height != certification.height):
            raise StateError(
                f"height {height if height is not None else self.height} is not certified"
            )
        tree = self.executed(certification.height).tree
        return Certificate(
            tree=hashtree.prune(tree, [["time"], *paths]), signature=certification.signature
        )

    def full_certificate(self) -> Certificate:
        """The latest certified tree, unpruned, with its signature."""
        return self.certificate([[]])

    # -- checkpoints --------------------------------------------------------------------------

    @property
    def checkpoints_dir(self) -> Path:
        return self.state_dir / CHECKPOINTS_DIRECTORY

    def write_checkpoint(self, height: int | None = None) -> CheckpointInfo:
        """Write the current state as the checkpoint of `height` (the last executed height).

        Writing is atomic: files go to a temporary directory renamed when complete.
        Rewriting an existing checkpoint of the same height replaces it.
        """
        height = self.height if height is None else height
        if height != self.height:
            raise StateError(
                f"the state is at height {self.height}; cannot checkpoint height {height}"
            )
        final = self.checkpoints_dir / str(height)
        staging = self.checkpoints_dir / f"{height}.writing"
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        previous = self.latest_checkpoint()
        write_engine_files(self.engine, staging)
        (staging / SUBNETS_FILE).write_bytes(encode_subnets(self._tree_subnets))
        manifest = manifests.compute_manifest(
            staging,
            exclude=[MANIFEST_FILE],
            reuse=None if previous is None else (previous.directory, previous.manifest),
        )
        (staging / MANIFEST_FILE).write_bytes(manifest.to_cbor())
        sync_tree(staging)
        if final.exists():
            shutil.rmtree(final)
        staging.rename(final)
        sync_directory(self.checkpoints_dir)
        return CheckpointInfo(height=height, directory=final, manifest=manifest)

    def latest_checkpoint(self) -> CheckpointInfo | None:
        return latest_checkpoint_in(self.state_dir)

    def checkpoint(self, height: int) -> CheckpointInfo:
        return read_checkpoint(self.state_dir, height)

    def checkpoint_heights(self) -> list[int]:
        return checkpoint_heights_in(self.state_dir)

    def read_chunk(self, height: int, chunk_index: int) -> bytes:
        """One chunk of a local checkpoint, for a peer that syncs state."""
        info = self.checkpoint(height)
        return manifests.read_chunk(info.directory, info.manifest, chunk_index)

    def purge_checkpoints(self, keep: int = DEFAULT_KEPT_CHECKPOINTS) -> None:
        """Remove all but the `keep` newest checkpoints, and what interrupted writes left."""
        for height in checkpoint_heights_in(self.state_dir)[:-keep] if keep > 0 else []:
            shutil.rmtree(self.checkpoints_dir / str(height))
        if self.checkpoints_dir.is_dir():
            for leftover in self.checkpoints_dir.iterdir():
                if leftover.is_dir() and not leftover.name.isdigit():
                    shutil.rmtree(leftover)


_VERIFIED: set[tuple[Path, bytes]] = set()
"""Checkpoints this process assembled from checked chunks (state sync): (directory, root)."""


def mark_verified(directory: Path, root_hash: bytes) -> None:
    """This process assembled `directory` from chunks it checked against the manifest of
    `root_hash`: a restore in this process need not read it again."""
    _VERIFIED.add((directory.resolve(), root_hash))


def is_verified(directory: Path, root_hash: bytes) -> bool:
    return (directory.resolve(), root_hash) in _VERIFIED


def checkpoint_heights_in(state_dir: str | Path) -> list[int]:
    """Heights of the complete checkpoints under `state_dir`, in increasing order."""
    directory = Path(state_dir) / CHECKPOINTS_DIRECTORY
    if not directory.is_dir():
        return []
    return sorted(
        int(path.name)
        for path in directory.iterdir()
        if path.name.isdigit() and (path / MANIFEST_FILE).is_file()
    )


def read_checkpoint(state_dir: str | Path, height: int) -> CheckpointInfo:
    directory = Path(state_dir) / CHECKPOINTS_DIRECTORY / str(height)
    manifest_path = directory / MANIFEST_FILE
    if not manifest_path.is_file():
        raise CheckpointError(f"no checkpoint at height {height}")
    return CheckpointInfo(
        height=height, directory=directory, manifest=Manifest.from_cbor(manifest_path.read_bytes())
    )


def latest_checkpoint_in(state_dir: str | Path) -> CheckpointInfo | None:
    heights = checkpoint_heights_in(state_dir)
    return read_checkpoint(state_dir, heights[-1]) if heights else None


def install_checkpoint(
    state_dir: str | Path, height: int, manifest: Manifest, chunks: Mapping[int, bytes]
) -> CheckpointInfo:
    """Install a checkpoint fetched by state sync under `state_dir/checkpoints/<height>`.

    `chunks` holds the fetched chunks by index in `manifest`; the others are
    copied from the latest local checkpoint (see `manifest.chunks_to_fetch`).
    Every chunk and the result are checked against the manifest, whose root the
    caller has checked against the catch-up package's state hash.
    """
    root = Path(state_dir)
    local = latest_checkpoint_in(root)
    final = root / CHECKPOINTS_DIRECTORY / str(height)
    staging = root / CHECKPOINTS_DIRECTORY / f"{height}.syncing"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        manifests.assemble_checkpoint(
            staging,
            manifest,
            chunks,
            local=None if local is None else (local.directory, local.manifest),
        )
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    (staging / MANIFEST_FILE).write_bytes(manifest.to_cbor())
    sync_tree(staging)
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)
    sync_directory(final.parent)
    return CheckpointInfo(height=height, directory=final, manifest=manifest)


def sync_directory(directory: Path) -> None:
    """Make a directory's entries (a rename into it) durable."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def sync_tree(root: Path) -> None:
    """fsync every file and directory under `root`: a checkpoint is durable before it is renamed
    into place, so a replica killed (or a machine that loses power) restarts from a whole one."""
    for directory, _, files in os.walk(root):
        for name in files:
            descriptor = os.open(os.path.join(directory, name), os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        sync_directory(Path(directory))
