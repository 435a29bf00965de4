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

A replica pools only ingress whose envelope authenticates it (rule R38 of
`replica/consensus/RULES.md`): every new message, from a user or gossiped by
a peer, goes through `NodeConfig.authenticate_ingress` at the current time
before it enters the ingress pool; a refused one is dropped, reported as an
`ArtifactRejected` event, and never offered to a peer. Otherwise a Byzantine
replica could gossip a forged call, honest makers would put it in their
blocks, and every validator would take it, as it equals the copy its own
pool holds (the IC's ingress handler runs `validate_request` on each message
of the unvalidated ingress pool before it moves it to the validated section:
`IngressHandler::on_state_change`, rs/ingress_manager/src/ingress_handler.rs).

The node owns the parts that outlive the consensus state around them, each
with its seam for the driver and P2P: the ingress pool (`ingress_pool`), the
outbox of artifacts to broadcast, the state syncs (`statesync.StateSyncOwner`)
and the stable registry version. Everything rebuilt from the state directory
is one `instance.ConsensusInstance`; after a state sync installs a newer
checkpoint, the node constructs a new instance from it (as a restart does)
and hands it the round artifacts still pending.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from replica.consensus import purger
from replica.consensus.artifacts import (
    Artifact,
    Block,
    CatchUpPackage,
    Certification,
    DealingArtifact,
    DealingSupportShare,
    IngressArtifact,
    SignedDealing,
    StateChunkArtifact,
    StateManifestArtifact,
    StateSyncRequest,
)
from replica.consensus.chain import ChainState
from replica.consensus.context import RoleContext
from replica.consensus.dealings import DealingChecker, DealingKey
from replica.consensus.dkg_pool import DkgPool, SupportKey
from replica.consensus.events import (
    ArtifactRejected,
    NodeEvent,
    StateSyncCompleted,
    StateSyncStarted,
)
from replica.consensus.ingress_pool import IngressPool
from replica.consensus.instance import ConsensusInstance
from replica.consensus.instance import NodeConfig as NodeConfig
from replica.consensus.pool import ArtifactPool
from replica.consensus.signing import Signer
from replica.consensus.statesync import StateSyncOwner
from replica.crypto import hashtree
from replica.crypto.certificate import Certificate
from replica.execution.messages import IngressMessage, IngressStatus
from replica.state.errors import StateError
from replica.state.manager import StateManager
from replica.types import Principal

FOREVER_NS: Final = 1 << 127


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeOutput:
    broadcast: tuple[Artifact, ...]
    wake_at_ns: int | None
    events: tuple[NodeEvent, ...]


class ReplicaNode:
    """A sans-I/O replica: artifacts, ticks and ingress in; broadcasts, a wake-up time and
    events out."""

    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        self.node_id = config.node_id
        self.subnet_id = config.subnet_id
        self.registry = config.registry
        self._outbox: list[Artifact] = []
        self.ingress = IngressPool(lambda message_id: False)
        self.instance = ConsensusInstance(config, self.ingress, self._outbox.append)
        self.state_sync = StateSyncOwner(
            self.node_id, Path(config.state_dir), self.instance.subnet_public_key
        )
        self._next_wake_ns = 0
        self._registry_version_seen = -1
        self._registry_seen: list[tuple[int, int]] = []
        self._stable_registry_version = self.instance.ctx.stable_registry_version

    @classmethod
    def restart(cls, config: NodeConfig) -> ReplicaNode:
        """A node resumed from its state directory (latest checkpoint and persisted pool)."""
        return cls(config)

    # -- the parts of the current instance ------------------------------------------------

    @property
    def pool(self) -> ArtifactPool:
        return self.instance.pool

    @property
    def chain(self) -> ChainState:
        return self.instance.chain

    @property
    def ctx(self) -> RoleContext:
        return self.instance.ctx

    @property
    def state(self) -> StateManager:
        return self.instance.state

    @property
    def signer(self) -> Signer:
        return self.instance.signer

    @property
    def dkg(self) -> DkgPool:
        return self.instance.dkg

    @property
    def genesis_cup(self) -> CatchUpPackage:
        return self.instance.genesis_cup

    @property
    def subnet_public_key(self) -> bytes:
        return self.instance.subnet_public_key

    @property
    def upgrade_to(self) -> str | None:
        """The replica version the subnet runs from the latest CUP on, when it is not this one's."""
        return self.instance.upgrade_to

    @property
    def ingress_pool(self) -> dict[bytes, IngressMessage]:
        """The pooled ingress messages by id (see `ingress_pool.IngressPool`)."""
        return self.ingress.messages

    @property
    def dkg_pool(self) -> dict[DealingKey, list[SignedDealing]]:
        """The pooled DKG dealings (see `dkg_pool.DkgPool`)."""
        return self.instance.dkg.dealings

    @property
    def support_pool(self) -> dict[SupportKey, dict[Principal, bytes]]:
        """The pooled support shares of dealings, by dealing, then signer."""
        return self.instance.dkg.supports

    @property
    def dealing_checker(self) -> DealingChecker:
        return self.instance.dkg.checker

    # -- inputs ---------------------------------------------------------------------------

    def on_artifact(self, artifact: Artifact, now_ns: int) -> NodeOutput:
        return self.on_artifacts((artifact,), now_ns)

    def on_artifacts(self, artifacts: Iterable[Artifact], now_ns: int) -> NodeOutput:
        relevant = False
        refused: list[NodeEvent] = []
        for artifact in artifacts:
            if isinstance(artifact, IngressArtifact):
                relevant |= self._add_ingress(artifact.message, now_ns, refused)
            elif isinstance(artifact, DealingArtifact):
                relevant |= self.instance.dkg.add_dealing(artifact.signed)
            elif isinstance(artifact, DealingSupportShare):
                # Kept for block making, which runs on its own delays: no reason to run the roles
                # now.
                self.instance.dkg.add_support_share(artifact)
            elif isinstance(artifact, StateSyncRequest):
                answers = self.state_sync.answer(artifact)
                self._outbox.extend(answers)
                relevant |= bool(answers)
            elif isinstance(artifact, StateManifestArtifact | StateChunkArtifact):
                relevant |= self.state_sync.on_artifact(artifact)
            else:
                relevant |= self.instance.add(artifact)
        if (
            not relevant
            and now_ns < self._next_wake_ns
            and self.registry.latest_version == self._registry_version_seen
        ):
            # Nothing new and no delay has run out: no role could do anything (they are pure in pool
            # and time).
            return NodeOutput(broadcast=(), wake_at_ns=None, events=tuple(refused))
        return _with_events(refused, self._process(now_ns))

    def on_timer(self, now_ns: int) -> NodeOutput:
        return self._process(now_ns)

    def submit_ingress(self, message: IngressMessage, now_ns: int) -> NodeOutput:
        """Ingress from a user: kept for block making and gossiped to the other replicas, if its
        envelope authenticates it (as a peer's gossip must)."""
        refused: list[NodeEvent] = []
        added = self._add_ingress(message, now_ns, refused)
        output = _with_events(refused, self._process(now_ns))
        if not added:
            return output
        return replace(output, broadcast=(IngressArtifact(message=message), *output.broadcast))

    def _add_ingress(self, message: IngressMessage, now_ns: int, refused: list[NodeEvent]) -> bool:
        """Pool a new message if its envelope shows its sender asked for it at `now_ns` (R38);
        whether it was pooled. A message the pool would not keep anyway (held, known to the
        state, expired) is not checked."""
        if not self.ingress.is_new(message, now_ns):
            return False
        authenticate = self.config.authenticate_ingress
        if authenticate is not None:
            reason = authenticate(message, now_ns)
            if reason is not None:
                refused.append(
                    ArtifactRejected(
                        kind=IngressArtifact.__name__,
                        height=0,
                        reason=f"an ingress message is not signed by its sender: {reason}",
                    )
                )
                return False
        return self.ingress.add(message, now_ns)

    # -- the loop -------------------------------------------------------------------------

    def _process(self, now_ns: int) -> NodeOutput:
        self.instance.ctx.now_ns = now_ns
        if self.instance.upgrade_to is not None:
            return NodeOutput(broadcast=(), wake_at_ns=None, events=())
        self.instance.chain.start_round(now_ns)
        stable_wake = self._update_stable_registry_version(now_ns)
        events: list[NodeEvent] = []
        wake: list[int] = [] if stable_wake is None else [stable_wake]
        sync_wake = self._run_state_sync(now_ns, events)
        if sync_wake is not None:
            wake.append(sync_wake)
        broadcast: list[Artifact] = list(self._outbox)
        self._outbox.clear()
        role_wake, role_events = self.instance.run_roles(now_ns, broadcast, self._outbox)
        wake += role_wake
        events += role_events
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
            self._stable_registry_version = stable[-1]
            self._registry_seen = self._registry_seen[len(stable) - 1 :]
        self.instance.ctx.stable_registry_version = self._stable_registry_version
        pending = [seen + age for _, seen in self._registry_seen if seen + age > now_ns]
        return min(pending) if pending else None

    # -- state sync -----------------------------------------------------------------------

    def _run_state_sync(self, now_ns: int, events: list[NodeEvent]) -> int | None:
        """Start, continue or finish catching up from a CUP far above the finalized height."""
        instance = self.instance
        step = self.state_sync.step(
            instance.pool.unvalidated.all_of(CatchUpPackage),
            instance.chain.finalized_height,
            now_ns,
        )
        events.extend(StateSyncStarted(height=height) for height in step.started)
        self._outbox.extend(step.requests)
        if step.installed is not None:
            self._resume_from(step.installed, now_ns)
            events.append(
                StateSyncCompleted(
                    height=step.installed.height,
                    fetched_bytes=step.fetched_bytes,
                    checkpoint_bytes=step.checkpoint_bytes,
                    fetch_ns=step.fetch_ns,
                    manifest_ns=step.manifest_ns,
                )
            )
        return step.wake_at_ns

    def _resume_from(self, cup: CatchUpPackage, now_ns: int) -> None:
        """Start anew from an installed checkpoint and its CUP, as a restart would: a new
        instance, which takes over the round artifacts still pending."""
        pending = self.instance.hand_over(cup)
        instance = ConsensusInstance(self.config, self.ingress, self._outbox.append)
        instance.ctx.now_ns = now_ns
        instance.chain.start_round(now_ns)
        instance.ctx.stable_registry_version = self._stable_registry_version
        for artifact in pending:
            if artifact.id not in instance.pool.validated:
                instance.pool.unvalidated.add(artifact)
        self.instance = instance

    # -- read-outs ------------------------------------------------------------------------

    @property
    def finalized_height(self) -> int:
        return self.instance.chain.finalized_height

    @property
    def notarized_height(self) -> int:
        return self.instance.chain.notarized_height

    @property
    def executed_height(self) -> int:
        return self.instance.state.height

    @property
    def certified_height(self) -> int:
        return self.instance.ctx.certified_height

    @property
    def latest_cup(self) -> CatchUpPackage:
        return self.instance.chain.cup

    def finalized_block(self, height: int) -> Block | None:
        return self.instance.chain.finalized.get(height)

    def state_hash(self, height: int) -> bytes | None:
        try:
            return self.instance.state.state_hash(height)
        except StateError:
            return None

    def root_hash(self, height: int) -> bytes | None:
        return self.instance.executor.get_root_hash(height)

    def certification(self, height: int) -> Certification | None:
        return self.instance.chain.certifications.get(height)

    def certificate(self, paths: Sequence[hashtree.LabelPath]) -> Certificate:
        """A certificate of the latest certified state revealing `paths` (raises StateError if
        none)."""
        return self.instance.state.certificate(paths)

    def ingress_status(self, message_id: bytes) -> IngressStatus | None:
        return self.instance.state.engine.ingress_status(message_id)

    def is_member(self, height: int) -> bool:
        active = self.instance.ctx.get_active(height)
        if active is None:
            return False
        record = self.instance.ctx.get_subnet_record(active.registry_version)
        return record is not None and self.node_id in record.membership

    def pool_artifacts(self) -> tuple[Artifact, ...]:
        """The validated artifacts a peer that (re)connects is offered, oldest first."""
        out: list[Artifact] = []
        for kind in (CatchUpPackage, *purger.ROUND_ARTIFACTS):
            out.extend(self.instance.pool.validated.all_of(kind))
        out.sort(key=lambda artifact: artifact.height)
        out.extend(self.ingress.artifacts())
        out.extend(self.instance.dkg.artifacts())
        return tuple(out)

    def close(self) -> None:
        self.instance.pool.close()


def _with_events(events: Sequence[NodeEvent], output: NodeOutput) -> NodeOutput:
    """`output` with `events` (of the inputs, before the roles ran) ahead of its own."""
    if not events:
        return output
    return replace(output, events=(*events, *output.events))
