"""The consensus of one replica as it stands on its state directory.

A `ConsensusInstance` is everything a replica rebuilds from its state
directory: the state manager at its latest checkpoint, the artifact pool, the
chain from the latest CUP the checkpoint covers, the signer, the DKG pool, the
validator and the executor. `ReplicaNode` creates one at start, and a new one
after a state sync installed a newer checkpoint: resuming is constructing anew.
What outlives an instance (the ingress pool, the outbox, the state sync, the
stable registry version) belongs to the node.

`run_roles` runs the roles over the pool until none makes progress: each role
looks at the pool and returns a change set, the instance is the pool's one
owner and applies them, then executes newly finalized heights.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

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
    DkgConfigRecord,
    DkgSummary,
    Finalization,
    FinalizationShare,
    KeyTranscript,
    Notarization,
    NotarizationShare,
    RandomBeacon,
    RandomBeaconShare,
    RandomTape,
    RandomTapeShare,
    RemoteDkgResult,
    ValidationContext,
    is_newer_cup,
)
from replica.consensus.block_maker import IngressAuthenticator
from replica.consensus.chain import ChainState
from replica.consensus.context import RoleContext
from replica.consensus.dealings import (
    build_transcript,
    compute_dkg_secret_share,
    compute_initial_share,
)
from replica.consensus.dkg_payload import create_early_remote_results, create_summary
from replica.consensus.dkg_pool import DkgPool
from replica.consensus.errors import ConsensusError
from replica.consensus.events import (
    ArtifactRejected,
    BlockFinalized,
    CatchUpPackageCreated,
    MembershipChanged,
    NodeEvent,
    NodeStoppedParticipating,
    ReplicaVersionChanged,
)
from replica.consensus.execution import Executor, open_state
from replica.consensus.ingress_pool import IngressPool
from replica.consensus.pool import (
    POOL_FILE,
    AddToValidated,
    ArtifactPool,
    ChangeSet,
    HandleInvalid,
)
from replica.consensus.remote_dkg import InitialDkgRequest
from replica.consensus.signing import Signer
from replica.consensus.validator import Validator
from replica.crypto import bls
from replica.crypto.initial_shares import NodeInitialShares
from replica.crypto.keys import NodeSecretKeys
from replica.execution.engine import ExecutionEngine, SubnetType, SystemCanister
from replica.types import Principal

MAX_PASSES: Final = 16


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
    engine_options: Mapping[str, Any] = field(default_factory=dict)
    """More options of the execution engine (`replica.live.genesis.SubnetCanisters`)."""
    replica_version: str | None = None
    """The version this replica runs; None follows whatever the registry names (no upgrades)."""
    stable_registry_age_ns: int = 0
    """How long a registry version must have been held before blocks name it (spec D.3 (1): 10 s on
    the IC)."""
    idle_block_delay_ns: int = 0
    """How much longer a block maker waits before proposing a block with nothing in it (0 on the
    IC; `replica.consensus.block_maker.make_block_changes`); not while a `setup_initial_dkg` call
    waits for the chain (its remote DKG needs the next summary block)."""
    authenticate_ingress: IngressAuthenticator | None = None
    """Checks that an ingress message is signed by its sender: why its envelope does not
    authenticate it at a time, or None. The node runs it on every new message before its pool
    takes it (R38), the block maker on every message it selects and the validator on a block's
    messages, both at the block's time (R37). The simulator's is
    `replica.http.requests.authenticate_ingress`; the live replica's trusts the envelopes its
    service checked on arrival while their delegations last
    (`replica.live.verified.VerifiedIngress`). None: ingress carries no signatures (unit tests
    of other rules), and neither pool nor blocks are checked for them."""


class ConsensusInstance:
    """The pool, chain, keys, state and roles of one replica, loaded from its state directory."""

    def __init__(
        self, config: NodeConfig, ingress: IngressPool, send: Callable[[Artifact], None]
    ) -> None:
        self.config = config
        self.node_id = config.node_id
        self.subnet_id = config.subnet_id
        self.registry = config.registry
        self.ingress = ingress
        state_dir = Path(config.state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
        self.genesis_cup = catchup.make_genesis_cup(self.registry, self.subnet_id)
        # The registry's newest CUP: the genesis CUP, or a recovery CUP (with new keys).
        self.registry_cup = catchup.make_registry_cup(self.registry, self.subnet_id)
        high = self.registry_cup.content.block.summary.get_current("high")
        if high is None:
            raise ConsensusError("the registry CUP has no high-threshold transcript")
        self.subnet_public_key = high.public_key
        self.pool = ArtifactPool(state_dir)
        persisted = self.pool.load()
        self.recovering = self._is_recovering(persisted)
        if self.recovering:
            persisted = self._set_pool_aside()
        self.state = open_state(
            state_dir=state_dir,
            subnet_id=self.subnet_id,
            registry=self.registry,
            registry_version=self.registry_cup.registry_version,
            factories=config.factories,
            subnet_type=config.subnet_type,
            install_genesis=config.install_genesis,
            verify_signature=self._verify_subnet_signature,
            engine_options=config.engine_options,
            checkpoint_height=self.registry_cup.height if self.recovering else None,
        )
        if (
            self.recovering
            and self.state.checkpoint(self.registry_cup.height).root_hash
            != self.registry_cup.content.state_hash
        ):
            raise ConsensusError(
                f"the checkpoint at the recovery height {self.registry_cup.height} does not have "
                "the recovery CUP's state hash"
            )
        ingress.is_known = self._is_ingress_known
        start = self.registry_cup
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
        self.ctx.stable_registry_version = self.registry_cup.registry_version
        self.executor = Executor(self.state, self.registry, self.ctx, state_dir)
        self._get_root_hash = self.executor.get_root_hash
        self.dkg = DkgPool(
            subnet_id=self.subnet_id,
            keys=config.keys,
            registry=self.registry,
            signer=self.signer,
            ctx=self.ctx,
            send=send,
        )
        self.validator = Validator(
            self.ctx,
            compute_summary=self.compute_summary,
            check_dealings=self.dkg.check_dealings,
            get_root_hash=self._get_root_hash,
            is_ingress_known=self._is_ingress_known,
            authenticate_ingress=config.authenticate_ingress,
            subnet_public_key=self.subnet_public_key,
            compute_remote_results=self.compute_remote_results,
        )
        self._share_floor = 0
        self._chain_floor = 0
        self._participating = True
        self._started = False
        self.upgrade_to: str | None = None
        """The replica version the subnet runs from the latest CUP on, when it is not this one's."""
        self.dkg.deal(start.content.block.summary)
        for artifact in persisted:
            if artifact.height > start.height or isinstance(artifact, CatchUpPackage):
                self._observe(artifact, [])
        self._started = True

    def add(self, artifact: ConsensusArtifact) -> bool:
        """Keep a consensus artifact from a peer for validation; whether it is new."""
        if artifact.id in self.pool.validated or self._is_stale(artifact):
            return False
        return self.pool.unvalidated.add(artifact)

    def round_artifacts_above(self, height: int) -> list[ConsensusArtifact]:
        """The unvalidated round artifacts and CUP shares above `height` (what a new instance
        resumed from the CUP of `height` still needs)."""
        return [
            artifact
            for kind in (*purger.ROUND_ARTIFACTS, CatchUpPackageShare)
            for artifact in self.pool.unvalidated.all_of(kind)
            if artifact.height > height
        ]

    def hand_over(self, cup: CatchUpPackage) -> list[ConsensusArtifact]:
        """Persist the CUP a state sync installed and close the pool; the round artifacts the
        next instance takes over."""
        self.pool.apply([AddToValidated(artifact=cup)])
        self.pool.close()
        return self.round_artifacts_above(cup.height)

    # -- construction helpers -------------------------------------------------------------

    def _is_recovering(self, persisted: Sequence[ConsensusArtifact]) -> bool:
        """Whether the registry holds a recovery CUP newer than every CUP this replica persisted
        (the IC's orchestrator restarts the replica on such a CUP,
        `stop_replica_if_new_recovery_cup` in `rs/orchestrator/src/upgrade.rs`, and the replica
        starts from it)."""
        cup = self.registry_cup
        if cup.registry_version == self.genesis_cup.registry_version:
            return False
        return all(
            is_newer_cup(
                cup.height, cup.registry_version, (artifact.height, artifact.registry_version)
            )
            for artifact in persisted
            if isinstance(artifact, CatchUpPackage)
        )

    def _set_pool_aside(self) -> list[ConsensusArtifact]:
        """Start a recovered subnet's chain on an empty pool; the old chain's artifacts are kept
        beside it, renamed (as the IC's recovery backs up the consensus pool)."""
        self.pool.close()
        path = Path(self.config.state_dir) / POOL_FILE
        if path.exists():
            path.rename(path.with_name(f"{POOL_FILE}.before-recovery-{self.registry_cup.height}"))
        self.pool = ArtifactPool(Path(self.config.state_dir))
        return []

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

    def compute_summary(
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
            get_initial_dkg_requests=self._get_initial_dkg_requests,
        )

    def compute_remote_results(
        self, parent: Block, context: ValidationContext
    ) -> tuple[RemoteDkgResult, ...] | None:
        return create_early_remote_results(
            chain=self.chain,
            parent=parent,
            context=context,
            build_transcript=self._build_transcript,
            get_initial_dkg_requests=self._get_initial_dkg_requests,
        )

    def _get_initial_dkg_requests(self, height: int) -> tuple[InitialDkgRequest, ...] | None:
        """The `setup_initial_dkg` calls open in the state at `height` (None if not executed)."""
        engine = self.state.engine
        if engine.height < height:
            return None
        return tuple(
            InitialDkgRequest(
                target=context.target,
                node_ids=context.node_ids,
                registry_version=context.registry_version,
            )
            for context in engine.subnet_calls.get_open_at(height)
        )

    def _is_awaited(self) -> bool:
        """Whether a call waits for this subnet's chain: a `setup_initial_dkg` call open in the
        executed state, whose remote DKG starts at the next summary block. Blocks are then made at
        the pace of the IC, without the idle delay."""
        engine = self.state.engine
        return bool(engine.subnet_calls.get_open_at(engine.height))

    def _is_ingress_known(self, message_id: bytes) -> bool:
        return self.state.engine.ingress_status(message_id) is not None

    # -- inputs ---------------------------------------------------------------------------

    def _is_stale(self, artifact: ConsensusArtifact) -> bool:
        """Whether an artifact from a peer can no longer matter (a late share, a duplicate
        combination)."""
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

    # -- the roles ------------------------------------------------------------------------

    def run_roles(
        self, now_ns: int, broadcast: list[Artifact], outbox: list[Artifact]
    ) -> tuple[list[int], list[NodeEvent]]:
        """Run the roles until none progresses; the wake-up times they ask for, and events.
        `outbox` collects what the DKG pool sends; it is moved into `broadcast` each pass."""
        ctx = self.ctx
        events: list[NodeEvent] = []
        wake: list[int] = []
        for passes in range(MAX_PASSES):
            self.dkg.support_dealings()
            broadcast.extend(outbox)
            outbox.clear()
            progressed = self._apply(self.validator.make_changes(), broadcast, events)
            progressed |= self._apply(beacon.make_beacon_changes(ctx), broadcast, events)
            changes, block_wake = block_maker.make_block_changes(
                ctx,
                self.config.keys,
                ingress_pool=self.ingress.messages,
                is_ingress_known=self._is_ingress_known,
                make_summary=self.compute_summary,
                make_dealings=self.dkg.make_dealings,
                make_remote_results=self.compute_remote_results,
                replica_version=self.config.replica_version,
                idle_delay_ns=0 if self._is_awaited() else self.config.idle_block_delay_ns,
                authenticate_ingress=self.config.authenticate_ingress,
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
        return wake, events

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
