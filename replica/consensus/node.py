"""One replica of one subnet: consensus, execution and certification, sans-I/O.

`ReplicaNode` takes artifacts from peers, timer ticks and ingress messages,
each with the current time, and returns a `NodeOutput`: the artifacts to
broadcast to the other replicas, when to call `on_timer` next, and typed
events. Inside, the roles (validator, random beacon and tape, block maker,
notary, finalizer, certifier, catch-up, purger) each look at the artifact
pool and return a change set; the node is the pool's one owner and applies
them, then executes newly finalized heights on its state manager.

Membership, the replica version, the delays and the threshold keys of every
height come from the summary blocks (spec D.3), whose registry versions the
node reads from the registry client the driver keeps synced. A node that is
not a member at a height only follows: it validates and executes, and signs
nothing, which is also what a removed node does from the interval that no
longer lists it.

The node keeps its pool in an append-only file and its state in checkpoints
under `state_dir`; `ReplicaNode.restart` resumes from the latest checkpoint
and replays the finalized blocks of the persisted pool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from registry.client import RegistryClient
from replica.consensus import beacon, block_maker, catchup, certifier, finalizer, notary, purger
from replica.consensus.artifacts import (
    Artifact,
    Block,
    BlockProposal,
    CatchUpPackage,
    CatchUpPackageShare,
    Certification,
    CertificationShare,
    ConsensusArtifact,
    DealingArtifact,
    DealingSupportShare,
    DkgConfigRecord,
    DkgSummary,
    Finalization,
    FinalizationShare,
    IngressArtifact,
    KeyTranscript,
    Notarization,
    NotarizationShare,
    RandomBeacon,
    RandomBeaconShare,
    RandomTape,
    RandomTapeShare,
    SignedDealing,
    StateChunkArtifact,
    StateManifestArtifact,
    StateSyncRequest,
    ValidationContext,
)
from replica.consensus.catchup import is_valid_catch_up_package
from replica.consensus.chain import ChainState
from replica.consensus.context import RoleContext
from replica.consensus.dealings import (
    DealingChecker,
    DealingKey,
    build_transcript,
    compute_dkg_secret_share,
    compute_initial_share,
)
from replica.consensus.dkg_payload import create_summary
from replica.consensus.dkg_pool import DkgPool, SupportKey
from replica.consensus.errors import ConsensusError
from replica.consensus.events import (
    ArtifactRejected,
    BlockFinalized,
    CatchUpPackageCreated,
    MembershipChanged,
    NodeEvent,
    NodeStoppedParticipating,
    ReplicaVersionChanged,
    StateSyncCompleted,
    StateSyncStarted,
)
from replica.consensus.execution import Executor, open_state
from replica.consensus.ingress_pool import IngressPool
from replica.consensus.pool import AddToValidated, ArtifactPool, ChangeSet, HandleInvalid
from replica.consensus.signing import Signer
from replica.consensus.statesync import StateSync, answer_request, is_sync_needed
from replica.consensus.validator import Validator
from replica.crypto import bls, hashtree
from replica.crypto.certificate import Certificate
from replica.crypto.initial_shares import NodeInitialShares
from replica.crypto.keys import NodeSecretKeys
from replica.execution.engine import ExecutionEngine, SubnetType, SystemCanister
from replica.execution.messages import IngressMessage, IngressStatus
from replica.state.errors import StateError
from replica.types import Principal

MAX_PASSES: Final = 16
FOREVER_NS: Final = 1 << 127


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeConfig:
    node_id: Principal
    subnet_id: Principal
    keys: NodeSecretKeys
    registry: RegistryClient
    state_dir: Path
    factories: Mapping[str, SystemCanister]
    subnet_type: SubnetType = "system"
    initial_shares: NodeInitialShares | None = None
    """This node's shares of the initial threshold keys, encrypted to its dealing key (from
    `registry.genesis.deal_genesis`, or its directory: `replica.crypto.keystore`); None: it
    holds none and only follows until DKG deals it shares."""
    install_genesis: Callable[[ExecutionEngine], None] | None = None
    """Creates the subnet's initial canisters on a fresh engine (height 0)."""
    replica_version: str | None = None
    """The version this replica runs; None follows whatever the registry names (no upgrades)."""
    stable_registry_age_ns: int = 0
    """How long a registry version must have been held before blocks name it (spec D.3 (1): 10 s on the IC)."""
    idle_block_delay_ns: int = 0
    """How much longer a block maker waits before proposing a block with nothing in it (0 on the
    IC; `replica.consensus.block_maker.make_block_changes`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeOutput:
    broadcast: tuple[Artifact, ...]
    wake_at_ns: int | None
    events: tuple[NodeEvent, ...]


class ReplicaNode:
    """A sans-I/O replica: artifacts, ticks and ingress in; broadcasts, a wake-up time and events out."""

    def __init__(self, config: NodeConfig) -> None:
        self._sync: StateSync | None = None
        self._outbox: list[Artifact] = []
        self.config = config
        self.node_id = config.node_id
        self.subnet_id = config.subnet_id
        self.registry = config.registry
        state_dir = Path(config.state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
        self.genesis_cup = catchup.make_genesis_cup(self.registry, self.subnet_id)
        high = self.genesis_cup.content.block.summary.get_current("high")
        if high is None:
            raise ConsensusError("the genesis summary has no high-threshold transcript")
        self.subnet_public_key = high.public_key
        self.state = open_state(
            state_dir=state_dir,
            subnet_id=self.subnet_id,
            registry=self.registry,
            registry_version=self.genesis_cup.registry_version,
            factories=config.factories,
            subnet_type=config.subnet_type,
            install_genesis=config.install_genesis,
            verify_signature=self._verify_subnet_signature,
        )
        self.pool = ArtifactPool(state_dir)
        persisted = self.pool.load()
        start = self.genesis_cup
        for artifact in persisted:
            if (
                isinstance(artifact, CatchUpPackage)
                and start.height < artifact.height <= self.state.height
            ):
                start = artifact
        self.chain = ChainState(start)
        self.signer = Signer(config.keys, self.registry, self._get_secret_share)
        self.ctx = RoleContext(
            node_id=self.node_id,
            subnet_id=self.subnet_id,
            registry=self.registry,
            pool=self.pool,
            chain=self.chain,
            signer=self.signer,
        )
        self.ctx.executed_height = self.state.height
        self.ctx.certified_height = max(self.state.certified_height, start.height)
        self.executor = Executor(self.state, self.registry, self.ctx, state_dir)
        self._get_root_hash = self.executor.get_root_hash
        self.dkg = DkgPool(
            subnet_id=self.subnet_id,
            keys=config.keys,
            registry=self.registry,
            signer=self.signer,
            ctx=self.ctx,
            send=self._outbox_append,
        )
        self.validator = Validator(
            self.ctx,
            compute_summary=self._compute_summary,
            check_dealings=self.dkg.check_dealings,
            get_root_hash=self._get_root_hash,
            is_ingress_known=self._is_ingress_known,
            subnet_public_key=self.subnet_public_key,
        )
        self.ingress = IngressPool(self._is_ingress_known)
        self._share_floor = 0
        self._chain_floor = 0
        self._participating = True
        self._started = False
        self._next_wake_ns = 0
        self._registry_version_seen = -1
        self._registry_seen: list[tuple[int, int]] = []
        self.ctx.stable_registry_version = self.genesis_cup.registry_version
        self.upgrade_to: str | None = None
        """The replica version the subnet runs from the latest CUP on, when it is not this one's."""
        self.dkg.deal(start.content.block.summary)
        for artifact in persisted:
            if artifact.height > start.height or isinstance(artifact, CatchUpPackage):
                self._observe(artifact, [])
        self._started = True

    def _outbox_append(self, artifact: Artifact) -> None:
        self._outbox.append(artifact)

    @property
    def ingress_pool(self) -> dict[bytes, IngressMessage]:
        """The pooled ingress messages by id (see `ingress_pool.IngressPool`)."""
        return self.ingress.messages

    @property
    def dkg_pool(self) -> dict[DealingKey, list[SignedDealing]]:
        """The pooled DKG dealings (see `dkg_pool.DkgPool`)."""
        return self.dkg.dealings

    @property
    def support_pool(self) -> dict[SupportKey, dict[Principal, bytes]]:
        """The pooled support shares of dealings, by dealing, then signer."""
        return self.dkg.supports

    @property
    def dealing_checker(self) -> DealingChecker:
        return self.dkg.checker

    @classmethod
    def restart(cls, config: NodeConfig) -> ReplicaNode:
        """A node resumed from its state directory (latest checkpoint and persisted pool)."""
        return cls(config)

    # -- construction helpers -------------------------------------------------------------

    def _verify_subnet_signature(self, message: bytes, signature: bytes) -> bool:
        return bls.verify(self.subnet_public_key, message, signature)

    def _get_secret_share(self, transcript: KeyTranscript) -> int | None:
        if self.node_id not in transcript.committee:
            return None
        if not transcript.body:
            if self.config.initial_shares is None:
                return None
            return compute_initial_share(
                self.subnet_id,
                transcript,
                self.config.initial_shares,
                self.config.keys.dealing_private_key,
            )
        return compute_dkg_secret_share(
            self.subnet_id, transcript, self.node_id, self.config.keys.dealing_private_key
        )

    # -- callbacks for the roles ----------------------------------------------------------

    def _get_members(self, version: int) -> tuple[Principal, ...] | None:
        record = self.ctx.get_subnet_record(version)
        return None if record is None else record.membership

    def _get_interval_length(self, version: int) -> int | None:
        record = self.ctx.get_subnet_record(version)
        return None if record is None else record.dkg_interval_length

    def _build_transcript(
        self, config: DkgConfigRecord, resharing: KeyTranscript | None, dealings: Sequence[bytes]
    ) -> KeyTranscript | None:
        return build_transcript(self.subnet_id, config, resharing, dealings)

    def _compute_summary(
        self, parent: Block, height: int, context: ValidationContext
    ) -> DkgSummary | None:
        return create_summary(
            chain=self.chain,
            parent=parent,
            height=height,
            context=context,
            get_members=self._get_members,
            get_interval_length=self._get_interval_length,
            build_transcript=self._build_transcript,
        )

    def _is_ingress_known(self, message_id: bytes) -> bool:
        return self.state.engine.ingress_status(message_id) is not None

    # -- inputs ---------------------------------------------------------------------------

    def on_artifact(self, artifact: Artifact, now_ns: int) -> NodeOutput:
        return self.on_artifacts((artifact,), now_ns)

    def on_artifacts(self, artifacts: Iterable[Artifact], now_ns: int) -> NodeOutput:
        relevant = False
        for artifact in artifacts:
            if isinstance(artifact, IngressArtifact):
                relevant |= self.ingress.add(artifact.message, now_ns)
            elif isinstance(artifact, DealingArtifact):
                relevant |= self.dkg.add_dealing(artifact.signed)
            elif isinstance(artifact, DealingSupportShare):
                # Kept for block making, which runs on its own delays: no reason to run the roles now.
                self.dkg.add_support_share(artifact)
            elif isinstance(artifact, StateSyncRequest):
                if artifact.requester != self.node_id:
                    answers = answer_request(Path(self.config.state_dir), artifact)
                    self._outbox.extend(answers)
                    relevant |= bool(answers)
            elif isinstance(artifact, StateManifestArtifact | StateChunkArtifact):
                if self._sync is not None:
                    self._sync.on_artifact(artifact)
                    relevant = True
            elif artifact.id not in self.pool.validated and not self._is_stale(artifact):
                relevant |= self.pool.unvalidated.add(artifact)
        if (
            not relevant
            and now_ns < self._next_wake_ns
            and self.registry.latest_version == self._registry_version_seen
        ):
            # Nothing new and no delay has run out: no role could do anything (they are pure in pool and time).
            return NodeOutput(broadcast=(), wake_at_ns=None, events=())
        return self._process(now_ns)

    def _is_stale(self, artifact: ConsensusArtifact) -> bool:
        """Whether an artifact from a peer can no longer matter (a late share, a duplicate combination)."""
        chain, ctx, height = self.chain, self.ctx, artifact.height
        if isinstance(artifact, NotarizationShare | Notarization):
            return height <= chain.finalized_height or chain.is_notarized(artifact.block, height)
        if isinstance(artifact, FinalizationShare | Finalization | BlockProposal):
            return height <= chain.finalized_height
        if isinstance(artifact, RandomBeaconShare | RandomBeacon):
            return height <= chain.beacon_height
        if isinstance(artifact, RandomTapeShare | RandomTape):
            return height <= ctx.executed_height or height in chain.tapes
        if isinstance(artifact, CertificationShare | Certification):
            return height <= ctx.certified_height or height in chain.certifications
        if isinstance(artifact, CatchUpPackageShare):
            return height <= chain.cup.height
        return False

    def on_timer(self, now_ns: int) -> NodeOutput:
        return self._process(now_ns)

    def submit_ingress(self, message: IngressMessage, now_ns: int) -> NodeOutput:
        """Ingress from a user: kept for block making and gossiped to the other replicas."""
        added = self.ingress.add(message, now_ns)
        output = self._process(now_ns)
        if not added:
            return output
        return NodeOutput(
            broadcast=(IngressArtifact(message=message), *output.broadcast),
            wake_at_ns=output.wake_at_ns,
            events=output.events,
        )

    # -- the loop -------------------------------------------------------------------------

    def _process(self, now_ns: int) -> NodeOutput:
        ctx = self.ctx
        ctx.now_ns = now_ns
        if self.upgrade_to is not None:
            return NodeOutput(broadcast=(), wake_at_ns=None, events=())
        self.chain.start_round(now_ns)
        stable_wake = self._update_stable_registry_version(now_ns)
        events: list[NodeEvent] = []
        wake: list[int] = [] if stable_wake is None else [stable_wake]
        sync_wake = self._run_state_sync(now_ns, events)
        if sync_wake is not None:
            wake.append(sync_wake)
        broadcast: list[Artifact] = self._outbox
        self._outbox = []
        for passes in range(MAX_PASSES):
            self.dkg.support_dealings()
            broadcast.extend(self._outbox)
            self._outbox.clear()
            progressed = self._apply(self.validator.make_changes(), broadcast, events)
            progressed |= self._apply(beacon.make_beacon_changes(ctx), broadcast, events)
            changes, block_wake = block_maker.make_block_changes(
                ctx,
                self.config.keys,
                ingress_pool=self.ingress.messages,
                is_ingress_known=self._is_ingress_known,
                make_summary=self._compute_summary,
                make_dealings=self.dkg.make_dealings,
                replica_version=self.config.replica_version,
                idle_delay_ns=self.config.idle_block_delay_ns,
            )
            progressed |= self._apply(changes, broadcast, events)
            changes, notary_wake = notary.make_notary_changes(ctx)
            progressed |= self._apply(changes, broadcast, events)
            progressed |= self._apply(finalizer.make_finalizer_changes(ctx), broadcast, events)
            progressed |= self._apply(beacon.make_tape_changes(ctx), broadcast, events)
            progressed |= self._execute(events)
            progressed |= self._apply(
                certifier.make_certification_changes(ctx, self._get_root_hash), broadcast, events
            )
            progressed |= self._apply(
                catchup.make_catch_up_changes(ctx, self.executor.get_checkpoint_hash),
                broadcast,
                events,
            )
            if not progressed:
                for candidate in (block_wake, notary_wake, self.validator.wake_at_ns):
                    if candidate is not None and candidate > now_ns:
                        wake.append(candidate)
                break
            if passes == MAX_PASSES - 1:
                wake.append(now_ns + 1)  # still catching up: continue on the next tick
        changes, self._share_floor, self._chain_floor = purger.make_purge_changes(
            ctx, self._share_floor, self._chain_floor
        )
        if changes:
            self.pool.apply(changes)
            self.pool.take_added()
            self.chain.purge_below(self._chain_floor)
            ctx.purge_below(min(self._share_floor, self._chain_floor))
            floor = self.chain.get_summary_block_below(self._chain_floor)
            if floor is not None:
                # Keys dealt two intervals before the floor's summary may still be current there.
                oldest = floor.height - 3 * (floor.summary.interval_length + 1)
                self.signer.forget_threshold_keys(lambda t: t.dkg_start_height >= oldest)
        self._next_wake_ns = min(wake) if wake else FOREVER_NS
        self._registry_version_seen = self.registry.latest_version
        return NodeOutput(
            broadcast=tuple(broadcast), wake_at_ns=min(wake) if wake else None, events=tuple(events)
        )

    def _update_stable_registry_version(self, now_ns: int) -> int | None:
        """Advance the stable registry version; when the next one becomes stable."""
        latest = self.registry.latest_version
        if not self._registry_seen or latest > self._registry_seen[-1][0]:
            self._registry_seen.append((latest, now_ns))
        age = self.config.stable_registry_age_ns
        stable = [version for version, seen in self._registry_seen if seen + age <= now_ns]
        if stable:
            self.ctx.stable_registry_version = stable[-1]
            self._registry_seen = self._registry_seen[len(stable) - 1 :]
        pending = [seen + age for _, seen in self._registry_seen if seen + age > now_ns]
        return min(pending) if pending else None

    # -- state sync -----------------------------------------------------------------------

    def _run_state_sync(self, now_ns: int, events: list[NodeEvent]) -> int | None:
        """Start, continue or finish catching up from a CUP far above the finalized height."""
        for cup in self.pool.unvalidated.all_of(CatchUpPackage):
            if not is_sync_needed(cup, self.chain.finalized_height):
                continue
            if self._sync is not None and cup.height <= self._sync.height:
                continue
            if is_valid_catch_up_package(cup, self.subnet_public_key):
                self._sync = StateSync(cup, self.node_id, Path(self.config.state_dir))
                events.append(StateSyncStarted(height=cup.height))
        sync = self._sync
        if sync is None:
            return None
        if not sync.is_complete:
            requests, wake = sync.make_requests(now_ns)
            self._outbox.extend(requests)
            return wake
        try:
            sync.install()
        except StateError:
            self._sync = None
            return now_ns + 1
        self._resume_from(sync.cup)
        events.append(StateSyncCompleted(height=sync.cup.height))
        return now_ns + 1

    def _resume_from(self, cup: CatchUpPackage) -> None:
        """Start again from an installed checkpoint and its CUP, as a restart would."""
        self.pool.apply([AddToValidated(artifact=cup)])
        self.pool.close()
        unvalidated = [
            artifact
            for kind in (*purger.ROUND_ARTIFACTS, CatchUpPackageShare)
            for artifact in self.pool.unvalidated.all_of(kind)
            if artifact.height > cup.height
        ]
        ingress, outbox = self.ingress, self._outbox
        self.__init__(self.config)  # type: ignore[misc]
        ingress.is_known = self._is_ingress_known
        self.ingress = ingress
        self._outbox = outbox + self._outbox
        for artifact in unvalidated:
            if artifact.id not in self.pool.validated:
                self.pool.unvalidated.add(artifact)

    def _apply(
        self, changes: ChangeSet, broadcast: list[Artifact], events: list[NodeEvent]
    ) -> bool:
        if not changes:
            return False
        own = {change.artifact.id for change in changes if isinstance(change, AddToValidated)}
        self.pool.apply(changes)
        for change in changes:
            if isinstance(change, HandleInvalid):
                events.append(
                    ArtifactRejected(
                        kind=type(change.artifact).__name__,
                        height=change.artifact.height,
                        reason=change.reason,
                    )
                )
        for artifact in self.pool.take_added():
            if artifact.id in own:
                broadcast.append(artifact)
            self._observe(artifact, events)
        return True

    def _observe(self, artifact: ConsensusArtifact, events: list[NodeEvent]) -> None:
        now_ns = self.ctx.now_ns if self._started else None
        for finalized in self.chain.observe(artifact, now_ns):
            block = finalized.block
            events.append(
                BlockFinalized(
                    height=block.height, block_hash=block.id, is_summary=block.is_summary
                )
            )
            if block.is_summary:
                self._on_new_interval(block, events)
        if isinstance(artifact, Certification):
            self.executor.deliver_certification(artifact, events)
        elif isinstance(artifact, CatchUpPackage):
            events.append(
                CatchUpPackageCreated(
                    height=artifact.height,
                    state_hash=artifact.content.state_hash,
                    registry_version=artifact.registry_version,
                )
            )
            version = self.config.replica_version
            if (
                version is not None
                and artifact.content.version != version
                and artifact is self.chain.cup
            ):
                # The subnet moved to another replica version at this CUP: this one stops here.
                self.upgrade_to = artifact.content.version
                events.append(
                    ReplicaVersionChanged(height=artifact.height, version=artifact.content.version)
                )

    def _on_new_interval(self, block: Block, events: list[NodeEvent]) -> None:
        summary = block.summary
        record = self.ctx.get_subnet_record(summary.registry_version)
        members = record.membership if record is not None else ()
        is_member = self.node_id in members
        events.append(
            MembershipChanged(
                height=block.height,
                registry_version=summary.registry_version,
                members=members,
                is_member=is_member,
            )
        )
        in_committees = any(
            self.node_id in t.committee
            for t in (*summary.current_transcripts, *summary.next_transcripts)
        )
        participating = is_member or in_committees
        if self._participating and not participating:
            events.append(NodeStoppedParticipating(height=block.height))
        self._participating = participating
        self.dkg.unexamined = True
        self.dkg.deal(summary)

    def _execute(self, events: list[NodeEvent]) -> bool:
        batches = self.executor.execute_finalized(self.chain, events)
        for batch in batches:
            for message in batch.ingress:
                self.ingress.remove([message.message_id])
        if batches:
            self.ingress.expire(self.state.engine.time_ns)
        return bool(batches)

    # -- read-outs ------------------------------------------------------------------------

    @property
    def finalized_height(self) -> int:
        return self.chain.finalized_height

    @property
    def notarized_height(self) -> int:
        return self.chain.notarized_height

    @property
    def executed_height(self) -> int:
        return self.state.height

    @property
    def certified_height(self) -> int:
        return self.ctx.certified_height

    @property
    def latest_cup(self) -> CatchUpPackage:
        return self.chain.cup

    def finalized_block(self, height: int) -> Block | None:
        return self.chain.finalized.get(height)

    def state_hash(self, height: int) -> bytes | None:
        try:
            return self.state.state_hash(height)
        except StateError:
            return None

    def root_hash(self, height: int) -> bytes | None:
        return self._get_root_hash(height)

    def certification(self, height: int) -> Certification | None:
        return self.chain.certifications.get(height)

    def certificate(self, paths: Sequence[hashtree.LabelPath]) -> Certificate:
        """A certificate of the latest certified state revealing `paths` (raises StateError if none)."""
        return self.state.certificate(paths)

    def ingress_status(self, message_id: bytes) -> IngressStatus | None:
        return self.state.engine.ingress_status(message_id)

    def is_member(self, height: int) -> bool:
        active = self.ctx.get_active(height)
        if active is None:
            return False
        record = self.ctx.get_subnet_record(active.registry_version)
        return record is not None and self.node_id in record.membership

    def pool_artifacts(self) -> tuple[Artifact, ...]:
        """The validated artifacts a peer that (re)connects is offered, oldest first."""
        out: list[Artifact] = []
        for kind in (CatchUpPackage, *purger.ROUND_ARTIFACTS):
            out.extend(self.pool.validated.all_of(kind))
        out.sort(key=lambda artifact: artifact.height)
        out.extend(self.ingress.artifacts())
        out.extend(self.dkg.artifacts())
        return tuple(out)

    def close(self) -> None:
        self.pool.close()
