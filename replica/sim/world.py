"""A simulated network of subnets, built from registry genesis and driven in virtual time.

`World` builds the registry of a network from a seed and deals the genesis
threshold shares once (`registry.genesis.deal_genesis`), keeps the registry in a
`RegistryStore`, gives every replica its own `RegistryClient` and only its own
encrypted shares, starts one replica per subnet member, and connects them
through a seeded `Network` on one `Scheduler`. It then runs until a height or
a virtual time, crashes and restarts replicas, partitions the network, applies
registry changes (add or remove subnet members, or both at once, written as
registry batches like the registry canister's), and submits ingress to a
chosen replica. After every input a replica gets, the `SubnetChecker` of its
subnet records what it finalized, computed and certified.

Every choice comes from the seed, so a run is reproducible; a failed property
raises `PropertyViolation` carrying the command that replays the run.
"""

from __future__ import annotations

import functools
import hashlib
import os
import random
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from registry.client import RegistryClient
from registry.genesis import NetworkDescription, SubnetSpec, deal_genesis
from registry.invariants import check_global_invariants
from registry.records import (
    SubnetRecord,
    SubnetType,
    ThresholdPublicKeyRecord,
    subnet_record_key,
    threshold_public_key_key,
)
from registry.store import TABLES, Mutation, RegistryDelta, RegistryStore, upsert
from replica.canister.stable import StableStore
from replica.crypto import bls
from replica.execution.engine import ExecutionEngine, SystemCanister
from replica.execution.messages import IngressMessage
from replica.presets import TEST, Preset
from replica.sim.checks import PropertyViolation, SubnetChecker
from replica.sim.faults import (
    Behaviour,
    FaultPlan,
    Forger,
    Honest,
    Seen,
    Striking,
    Watching,
    assign_faults,
    exact,
)
from replica.sim.network import MILLISECOND_NS, Network, NetworkConfig
from replica.sim.orchestration import SimOrchestrators
from replica.sim.replica import ReplicaFactory, ReplicaOutput, ReplicaSpec, SimulatedReplica
from replica.sim.scheduler import EventHandle, Scheduler
from replica.types import Principal

SECOND_NS: Final = 1_000_000_000
HONEST: Final = Honest()
RATE_FACTOR: Final = 1.5
"""Finality may take this many times the pace `World.check_rate` computes (the sweep's slowest
seeds take about 0.6 of it; a protocol that needs three times as long per height fails)."""


def fast_temporary_directory() -> str | None:
    """Memory-backed storage for the replicas' throwaway state directories, where there is one."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def network_seed(seed: int) -> bytes:
    return b"icbox-sim:" + str(seed).encode()


@dataclass(frozen=True, slots=True, kw_only=True)
class WorldConfig:
    seed: int
    subnet_sizes: tuple[int, ...] = (4,)
    spare_nodes: int = 0
    faults: FaultPlan = field(default_factory=FaultPlan)
    # How links behave; None: latencies drawn from the seed (`NetworkConfig.for_seed`).
    network: NetworkConfig | None = None
    preset: Preset = TEST
    # Crash and partition times are drawn within this much virtual time.
    fault_horizon_s: float = 6.0
    # Artifacts that reach a replica within this window are handed over in one batch.
    batch_window_ns: int = MILLISECOND_NS
    # What the run aims for, named in the replay command.
    heights: int = 0
    # Which subnet (index) the fault plan strikes.
    fault_subnet: int = 0
    # Whether the factory's auditor checks every finalized height (benchmarks of the replica alone
    # turn it off).
    audit: bool = True
    # Options of the command line that shaped the run beyond this config (named in the replay
    # command).
    replay_options: tuple[str, ...] = ()
    # Whether each node's orchestrator decisions (`replica.sim.orchestration`) start and stop
    # replicas.
    orchestrators: bool = False


@dataclass(slots=True, kw_only=True)
class SimNode:
    """One replica in the world: its spec, the running object (None while down) and its queues."""

    spec: ReplicaSpec
    behaviour: Behaviour = HONEST
    replica: SimulatedReplica | None = None
    forger: Forger | None = None
    started: bool = False
    inbox: list[Any] = field(default_factory=list)
    flush: EventHandle | None = None
    timer: EventHandle | None = None
    events: list[tuple[int, Any]] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)
    crashes: int = 0
    # How many outputs the node's Byzantine behaviour changed (sent other than the honest code
    # would).
    strikes: int = 0
    # The highest height of an artifact this node signed and sent, per artifact kind.
    signed_heights: dict[str, int] = field(default_factory=dict)

    @property
    def node_id(self) -> Principal:
        return self.spec.node_id

    @property
    def is_up(self) -> bool:
        return self.replica is not None

    @property
    def honest(self) -> bool:
        return isinstance(self.behaviour, Honest)

    def running(self) -> SimulatedReplica:
        if self.replica is None:
            raise PropertyViolation(f"node {self.node_id} is down")
        return self.replica


@dataclass(slots=True, kw_only=True)
class SimSubnet:
    subnet_id: Principal
    index: int
    checker: SubnetChecker
    roster: list[Principal] = field(default_factory=list)
    public_key: bytes | None = None
    finalized_at_ns: dict[int, int] = field(default_factory=dict)
    # Virtual time windows in which the plan's partition or crashes stalled the subnet on purpose.
    partitions: list[tuple[int, int]] = field(default_factory=list)


class World:
    """Subnets of simulated replicas on one virtual clock."""

    def __init__(
        self,
        config: WorldConfig,
        factory: ReplicaFactory,
        *,
        factories: Mapping[str, SystemCanister] | None = None,
        install_genesis: Callable[[ExecutionEngine], None] | None = None,
        state_root: Path | None = None,
    ) -> None:
        self.config = config
        self.factory = factory
        self.factories = dict(factories or {})
        self.install_genesis = install_genesis
        self.idle_tick_ns = config.preset.unit_delay_ms * MILLISECOND_NS
        # Bumped whenever what a replica reads out may have changed (see `run_until`).
        self._epoch = 0
        # Ids of artifacts from Byzantine senders that an honest node has passed on.
        self._relayed: set[bytes] = set()
        self.seed_bytes = network_seed(config.seed)
        self.scheduler = Scheduler()
        network_config = config.network or NetworkConfig.for_seed(config.seed)
        if config.faults.drop_percent:
            network_config = replace(
                network_config, drop_probability=config.faults.drop_percent / 100
            )
        self.network = Network(self.scheduler, config.seed, self._deliver, network_config)
        self._owns_state_root = state_root is None
        self.state_root = state_root or Path(
            tempfile.mkdtemp(prefix="icbox-sim-", dir=fast_temporary_directory())
        )
        self.registry_stable = StableStore(list(TABLES))
        self.registry = RegistryStore(self.registry_stable)
        self.nodes: dict[Principal, SimNode] = {}
        # Byzantine nodes whose behaviour watches honest outputs (`faults.Watching`).
        self._watchers: list[SimNode] = []
        self.subnets: list[SimSubnet] = []
        self.node_order: list[Principal] = []
        self._build_genesis()
        self._apply_fault_plan()
        self.orchestrators: SimOrchestrators | None = None
        if config.orchestrators:
            self.orchestrators = SimOrchestrators(world=self)
            self.orchestrators.start()

    # -- building ---------------------------------------------------------------------------

    def _build_genesis(self) -> None:
        description = NetworkDescription(
            subnets=tuple(
                SubnetSpec(
                    size=size,
                    subnet_type=SubnetType.SYSTEM if index == 0 else SubnetType.APPLICATION,
                )
                for index, size in enumerate(self.config.subnet_sizes)
            ),
            unassigned_nodes=self.config.spare_nodes,
            preset=self.config.preset,
        )
        genesis = deal_genesis(description, self.seed_bytes)
        for batch in genesis.batches:
            self._apply_batch(batch)
        genesis_nodes = genesis.nodes
        install_genesis = self.install_genesis
        subnet_ids = self.registry.get("subnet_list").subnets
        member_of: dict[Principal, tuple[int, Principal]] = {}
        for index, subnet_id in enumerate(subnet_ids):
            checker = SubnetChecker(
                block_id=self.factory.block_id, ingress_of=self.factory.ingress_of
            )
            subnet = SimSubnet(subnet_id=subnet_id, index=index, checker=checker)
            self.subnets.append(subnet)
            record: SubnetRecord = self.registry.get(subnet_record_key(subnet_id))
            for node_id in record.membership:
                member_of[node_id] = (index, subnet_id)
                subnet.roster.append(node_id)
        for index, genesis_node in enumerate(genesis_nodes):
            node_id = genesis_node.node_id
            subnet_index, subnet_id = member_of.get(node_id, (-1, Principal.anonymous()))
            spec = ReplicaSpec(
                node_id=node_id,
                node_index=index,
                subnet_id=subnet_id,
                registry=self._new_registry_client(),
                state_dir=self.state_root / f"node-{index:03d}",
                factories=self.factories,
                network_seed=self.seed_bytes,
                initial_shares=genesis.shares_of(node_id) if subnet_index >= 0 else None,
                subnet_type="system" if subnet_index <= 0 else "application",
                install_genesis=install_genesis if subnet_index >= 0 else None,
            )
            rng = random.Random(
                int.from_bytes(hashlib.sha256(self.seed_bytes + node_id.raw).digest()[:8], "big")
            )
            self.nodes[node_id] = SimNode(spec=spec, rng=rng)
            self.node_order.append(node_id)
        for subnet in self.subnets:
            for node_id in subnet.roster:
                self._start(self.nodes[node_id])
            subnet.public_key = self.factory.subnet_public_key(
                self.nodes[subnet.roster[0]].running()
            )
            public_key = subnet.public_key

            def verify(certification: Any, height: int, key: bytes = public_key) -> bool:
                return self.factory.verify_certification(certification, height, key)

            subnet.checker.verify_certification = verify
            if self.config.audit:
                subnet.checker.auditor = self.factory.make_auditor(
                    subnet.subnet_id, public_key, self._new_registry_client()
                )

    def _apply_fault_plan(self) -> None:
        plan = self.config.faults
        if not self.subnets:
            return
        if not 0 <= self.config.fault_subnet < len(self.subnets):
            raise ValueError(f"no subnet {self.config.fault_subnet} to put faults on")
        subnet = self.subnets[self.config.fault_subnet]
        members = list(subnet.roster)
        plan.check_subnet(len(members))
        horizon = int(self.config.fault_horizon_s * SECOND_NS)
        assignment = assign_faults(plan, len(members), self.config.seed, horizon_ns=horizon)
        for index, behaviour in assignment.behaviours.items():
            node = self.nodes[members[index]]
            node.behaviour = behaviour
            node.forger = self.factory.forger(node.spec)
        self._find_watchers()
        for crash in assignment.crashes:
            node_id = members[crash.node]
            self.scheduler.schedule(crash.at_ns, functools.partial(self.crash, node_id))
            if crash.restart_ns is not None:
                self.scheduler.schedule(crash.restart_ns, functools.partial(self.restart, node_id))
        if plan.partition_s is not None and assignment.partition_groups:
            start, heal = plan.partition_s
            self.partition(
                [[members[index] for index in group] for group in assignment.partition_groups],
                start_ns=int(start * SECOND_NS),
                heal_ns=int(heal * SECOND_NS),
            )
            subnet.partitions.append((int(start * SECOND_NS), int(heal * SECOND_NS)))

    def _new_registry_client(self) -> RegistryClient:
        client = RegistryClient(self._fetch_changes)
        client.sync()
        return client

    def _fetch_changes(self, version: int) -> tuple[list[RegistryDelta], int]:
        return self.registry.get_changes_since(version), self.registry.latest_version

    def _apply_batch(self, mutations: Sequence[Mutation]) -> int:
        with self.registry_stable.transaction() as session:
            try:
                return self.registry.apply(session, mutations, check=check_global_invariants)
            except BaseException:
                self.registry.reload()
                raise

    # -- the replicas' inputs ----------------------------------------------------------------

    def _start(self, node: SimNode) -> None:
        node.started = True
        node.replica = self.factory.start(node.spec)
        self._epoch += 1
        self.network.set_up(node.node_id)
        self._after_start(node)

    def _after_start(self, node: SimNode) -> None:
        self._call(node, lambda replica: replica.on_timer(self.scheduler.now_ns))
        # p2p resends the validated pool of every peer to a node that (re)connects.
        for peer_id in self._peers(node):
            peer = self.nodes[peer_id]
            if peer.replica is not None and peer.honest:
                artifacts = tuple(peer.replica.pool_artifacts())
                if artifacts:
                    self.network.send(peer_id, node.node_id, artifacts)

    def _subnet_of(self, node: SimNode) -> SimSubnet | None:
        for subnet in self.subnets:
            if subnet.subnet_id == node.spec.subnet_id:
                return subnet
        return None

    def _peers(self, node: SimNode) -> list[Principal]:
        subnet = self._subnet_of(node)
        if subnet is None:
            return []
        return [peer for peer in subnet.roster if peer != node.node_id and self.nodes[peer].started]

    def _deliver(self, sender: Principal, receiver: Principal, bundle: object) -> None:
        """A bundle (the artifacts of one output of the sender) reaches a node."""
        node = self.nodes[receiver]
        if node.replica is None or not isinstance(bundle, tuple):
            return
        node.inbox.extend(bundle)
        if node.forger is not None:
            for artifact in bundle:
                node.forger.note(artifact)
        if not self.nodes[sender].honest and node.honest:
            # p2p gossip: what an honest node holds reaches every honest peer, even what a
            # Byzantine node sent to it alone (so both blocks of an equivocation spread).
            # The first honest node to get an artifact passes it on; the others need not.
            fresh = tuple(artifact for artifact in bundle if self._first_relay(artifact))
            if fresh:
                for peer in self._peers(node):
                    if peer != sender:
                        self.network.send(receiver, peer, fresh)
        if node.flush is None:
            node.flush = self.scheduler.schedule_after(
                self.config.batch_window_ns, lambda: self._flush(node)
            )

    def _first_relay(self, artifact: object) -> bool:
        key = getattr(artifact, "id", None)
        if not isinstance(key, bytes):
            return True
        if key in self._relayed:
            return False
        self._relayed.add(key)
        return True

    def _flush(self, node: SimNode) -> None:
        node.flush = None
        batch, node.inbox = node.inbox, []
        if batch and node.replica is not None:
            self._call(node, lambda replica: replica.on_artifacts(batch, self.scheduler.now_ns))

    def _on_timer(self, node: SimNode) -> None:
        node.timer = None
        self._call(node, lambda replica: replica.on_timer(self.scheduler.now_ns))

    def _call(self, node: SimNode, step: Callable[[SimulatedReplica], ReplicaOutput]) -> None:
        replica = node.replica
        if replica is None:
            return
        try:
            output = step(replica)
        except Exception as error:
            raise self.violation(
                f"replica {node.node_id} raised {type(error).__name__}: {error}"
            ) from error
        self._handle_output(node, replica, output)

    def _handle_output(
        self, node: SimNode, replica: SimulatedReplica, output: ReplicaOutput
    ) -> None:
        now = self.scheduler.now_ns
        if output.events:
            self._epoch += 1
        for event in output.events:
            node.events.append((now, event))
            problem = self.factory.describe_violation(event) if node.honest else None
            subnet_of_node = self._subnet_of(node)
            if problem is not None and subnet_of_node is not None:
                subnet_of_node.checker.violations.append(f"{problem} at {node.node_id}")
        if output.broadcast:
            for artifact in output.broadcast:
                if getattr(artifact, "signer", None) == node.node_id:
                    kind, height = type(artifact).__name__, getattr(artifact, "height", 0)
                    if height > node.signed_heights.get(kind, -1):
                        node.signed_heights[kind] = height
            peers = self._peers(node)
            if node.forger is None:
                self.network.broadcast(node.node_id, peers, tuple(output.broadcast))
                if self._watchers:
                    self._watch(node, output.broadcast)
            else:
                bundles: dict[Principal, list[Any]] = {}
                for artifact in output.broadcast:
                    node.forger.note(artifact)
                sends = node.behaviour.transform(output.broadcast, peers, node.rng, node.forger)
                if [(send.artifact, set(send.receivers)) for send in sends] != [
                    (artifact, set(peers)) for artifact in output.broadcast
                ]:
                    node.strikes += 1
                for send in sends:
                    for receiver in send.receivers:
                        bundles.setdefault(receiver, []).append(send.artifact)
                for receiver, artifacts in bundles.items():
                    self.network.send(node.node_id, receiver, tuple(artifacts))
        wake = output.wake_at_ns
        if wake is None and node.timer is None:
            # A replica with nothing pending is still ticked now and then.
            wake = now + self.idle_tick_ns
        if wake is not None and (node.timer is None or wake < node.timer.time_ns):
            if node.timer is not None:
                self.scheduler.cancel(node.timer)
            node.timer = self.scheduler.schedule(wake, lambda: self._on_timer(node))
        subnet = self._subnet_of(node)
        if subnet is not None:
            before = subnet.checker.finalized_height_of(node.node_id)
            subnet.checker.observe(node.node_id, replica, honest=node.honest, now_ns=now)
            if node.honest:
                for height in range(before + 1, replica.finalized_height + 1):
                    subnet.finalized_at_ns.setdefault(height, now)

    def _watch(self, node: SimNode, artifacts: Sequence[Any]) -> None:
        """Byzantine behaviours that watch honest outputs release what they held for `node`."""
        for watcher in self._watchers:
            behaviour, forger = watcher.behaviour, watcher.forger
            if watcher.replica is None or forger is None or not isinstance(behaviour, Watching):
                continue
            if watcher.spec.subnet_id != node.spec.subnet_id:
                continue
            peers = self._peers(watcher)
            sends = behaviour.watch(node.node_id, artifacts, peers, watcher.rng, forger)
            if sends:
                watcher.strikes += 1
            bundles: dict[Principal, list[Any]] = {}
            for send in sends:
                for receiver in send.receivers:
                    bundles.setdefault(receiver, []).append(send.artifact)
            for receiver, bundle in bundles.items():
                self._deliver(watcher.node_id, receiver, tuple(bundle))

    # -- faults -----------------------------------------------------------------------------

    def crash(self, node_id: Principal) -> None:
        """The node's process dies: its object and everything not on disk are gone."""
        node = self.nodes[node_id]
        if node.replica is None:
            return
        node.replica = None
        node.crashes += 1
        self._epoch += 1
        node.inbox = []
        for handle in (node.flush, node.timer):
            if handle is not None:
                self.scheduler.cancel(handle)
        node.flush = node.timer = None
        self.network.set_down(node_id)

    def restart(self, node_id: Principal) -> None:
        """The node's process starts again from its state directory."""
        node = self.nodes[node_id]
        if node.replica is not None:
            return
        node.spec = replace(node.spec, registry=self._new_registry_client())
        node.replica = self.factory.restart(node.spec)
        subnet = self._subnet_of(node)
        if subnet is not None:
            subnet.checker.restarted(node_id, node.replica)
        self._epoch += 1
        self.network.set_up(node_id)
        self._after_start(node)

    def make_byzantine(self, node_id: Principal, behaviour: Behaviour) -> None:
        """From now on, what `node_id` sends goes through `behaviour`."""
        node = self.nodes[node_id]
        node.behaviour = behaviour
        node.forger = None if isinstance(behaviour, Honest) else self.factory.forger(node.spec)
        self._find_watchers()

    def _find_watchers(self) -> None:
        self._watchers = [
            node
            for node in self.nodes.values()
            if node.forger is not None and isinstance(node.behaviour, Watching)
        ]

    def partition(
        self, groups: Iterable[Iterable[Principal]], *, start_ns: int, heal_ns: int
    ) -> None:
        self.network.add_partition(
            [list(group) for group in groups], start_ns=start_ns, heal_ns=heal_ns
        )

    # -- registry changes -------------------------------------------------------------------

    def subnet_record(self, subnet: int = 0) -> SubnetRecord:
        record: SubnetRecord = self.registry.get(subnet_record_key(self.subnets[subnet].subnet_id))
        return record

    def change_membership(
        self, subnet: int = 0, *, add: Sequence[Principal] = (), remove: Sequence[Principal] = ()
    ) -> int:
        """One registry version that adds and removes members (as `change_subnet_membership`)."""
        target = self.subnets[subnet]
        record = self.subnet_record(subnet)
        removed = set(remove)
        membership = (*add, *(node for node in record.membership if node not in removed))
        version = self.apply_registry(
            [upsert(subnet_record_key(target.subnet_id), replace(record, membership=membership))]
        )
        if self.orchestrators is not None:
            self.orchestrators.check_all()  # the orchestrators start the added nodes
            return version
        for node_id in add:
            node = self.nodes[node_id]
            if not node.started:
                self.assign(node, target.subnet_id)
        return version

    def assign(self, node: SimNode, subnet_id: Principal) -> None:
        """Start `node`'s replica as a member of `subnet_id` (what its orchestrator does)."""
        target = next(subnet for subnet in self.subnets if subnet.subnet_id == subnet_id)
        node.spec = replace(
            node.spec,
            subnet_id=subnet_id,
            registry=self._new_registry_client(),
            subnet_type="system" if target.index == 0 else "application",
            install_genesis=self.install_genesis,
        )
        if node.node_id not in target.roster:
            target.roster.append(node.node_id)
        self._start(node)

    def add_subnet(self, subnet_id: Principal) -> SimSubnet:
        """Watch a subnet the registry has just created (its key from the registry); the
        orchestrators start its members (`replica.sim.orchestration`)."""
        record: ThresholdPublicKeyRecord = self.registry.get(threshold_public_key_key(subnet_id))
        public_key = bls.public_key_from_der(record.public_key_der)
        checker = SubnetChecker(block_id=self.factory.block_id, ingress_of=self.factory.ingress_of)
        subnet = SimSubnet(
            subnet_id=subnet_id, index=len(self.subnets), checker=checker, public_key=public_key
        )

        def verify(certification: Any, height: int, key: bytes = public_key) -> bool:
            return self.factory.verify_certification(certification, height, key)

        checker.verify_certification = verify
        if self.config.audit:
            checker.auditor = self.factory.make_auditor(
                subnet_id, public_key, self._new_registry_client()
            )
        self.subnets.append(subnet)
        if self.orchestrators is not None:
            self.orchestrators.check_all()
        return subnet

    def apply_registry(self, mutations: Sequence[Mutation]) -> int:
        """Append one registry batch (checked against the invariants) and let every replica see
        it."""
        version = self._apply_batch(mutations)
        self._epoch += 1
        for node in self.nodes.values():
            if node.started:
                node.spec.registry.sync()
        return version

    def spare_nodes(self) -> list[Principal]:
        return [node_id for node_id in self.node_order if not self.nodes[node_id].started]

    # -- users ------------------------------------------------------------------------------

    def submit_ingress(self, node_id: Principal, message: IngressMessage) -> None:
        node = self.nodes[node_id]
        self._call(node, lambda replica: replica.submit_ingress(message, self.scheduler.now_ns))

    # -- running ----------------------------------------------------------------------------

    @property
    def now_ns(self) -> int:
        return self.scheduler.now_ns

    def members(self, subnet: int = 0) -> list[Principal]:
        return list(self.subnet_record(subnet).membership)

    def honest_up_members(self, subnet: int = 0) -> list[Principal]:
        return [
            node_id
            for node_id in self.members(subnet)
            if self.nodes[node_id].honest and self.nodes[node_id].is_up
        ]

    def replica(self, node_id: Principal) -> SimulatedReplica:
        return self.nodes[node_id].running()

    def run_for(self, seconds: float) -> None:
        self.scheduler.run_until(time_ns=self.now_ns + int(seconds * SECOND_NS))
        self.check_safety()

    def run_until(self, condition: Callable[[], bool], *, timeout_s: float, what: str) -> None:
        """Run until `condition()` holds; it is evaluated again only after replicas report events
        (what they read out changes only then) or the world changes (crash, restart, registry)."""
        deadline = self.now_ns + int(timeout_s * SECOND_NS)
        seen = [-1, False]

        def gated() -> bool:
            if seen[0] != self._epoch:
                seen[0], seen[1] = self._epoch, condition()
            return bool(seen[1])

        if not self.scheduler.run_until(time_ns=deadline, until=gated):
            self.check_safety()
            raise self.violation(
                f"liveness: {what} not reached within {timeout_s:g} s of virtual time"
            )
        self.check_safety()

    def run_until_height(
        self, height: int, *, subnet: int = 0, timeout_s: float = 60.0, quorum: int | None = None
    ) -> None:
        """Run until every honest, running member of the subnet (or `quorum` of them) has finalized
        `height`."""

        def reached() -> bool:
            done = sum(
                1
                for node_id in self.honest_up_members(subnet)
                if self.replica(node_id).finalized_height >= height
            )
            return done >= (len(self.honest_up_members(subnet)) if quorum is None else quorum)

        who = "every honest replica" if quorum is None else f"{quorum} honest replicas"
        self.run_until(reached, timeout_s=timeout_s, what=f"height {height} finalized by {who}")

    def check_safety(self) -> None:
        for subnet in self.subnets:
            try:
                subnet.checker.check_safety()
            except PropertyViolation as error:
                raise self.violation(str(error)) from None

    def unstruck_faults(self) -> list[str]:
        """The planned faults that have not happened yet (a sweep asserts that every one did)."""
        plan = self.config.faults
        missing: list[str] = []
        if not self.subnets:
            return missing
        subnet = self.subnets[self.config.fault_subnet]
        nodes = [self.nodes[node_id] for node_id in subnet.roster]
        auditor = subnet.checker.auditor
        seen = Seen(
            double_notarized_heights=0 if auditor is None else len(auditor.double_notarized)
        )
        planned_crashes = plan.crashes + plan.down
        if sum(1 for node in nodes if node.crashes) < planned_crashes:
            missing.append("crash")
        if sum(1 for node in nodes if node.crashes and node.is_up) < plan.crashes:
            missing.append("restart")
        if plan.drop_percent and self.network.stats.dropped == 0:
            missing.append("drop")
        for start, heal in subnet.partitions:
            if self.now_ns < heal or start >= heal:
                missing.append("partition")
        for node in nodes:
            if node.honest:
                continue
            behaviour = node.behaviour
            if node.strikes == 0:
                missing.append(behaviour.name)
            elif isinstance(behaviour, Striking) and not behaviour.has_struck(seen):
                missing.append(behaviour.strike)
        return missing

    def check_rate(self, subnet: int = 0, *, factor: float = RATE_FACTOR) -> None:
        """Finality within `factor` times the delay formula's pace (partitions excluded), so
        slowdowns fail.

        The pace of one height is the initial notary delay, plus one unit delay for each of the f
        block makers a faulty replica may hold back, plus two of the slowest link's latencies."""
        target = self.subnets[subnet]
        heights = sorted(target.finalized_at_ns)
        if len(heights) < 2:
            return
        first, last = heights[0], heights[-1]
        elapsed = target.finalized_at_ns[last] - target.finalized_at_ns[first]
        for start, heal in target.partitions:
            elapsed -= max(
                0,
                min(heal + 2 * SECOND_NS, target.finalized_at_ns[last])
                - max(start, target.finalized_at_ns[first]),
            )
        members = len(target.roster)
        f = (members - 1) // 3
        preset = self.config.preset
        pace_ns = (preset.initial_notary_delay_ms + preset.unit_delay_ms * f) * MILLISECOND_NS
        pace_ns += 2 * self.network.config.max_latency_ns
        bound = factor * (last - first) * pace_ns
        if elapsed > bound:
            raise self.violation(
                f"liveness rate: heights {first}..{last} took {elapsed / SECOND_NS:.2f} s of "
                "virtual time, "
                f"bound {bound / SECOND_NS:.2f} s ({factor:g} x {pace_ns / SECOND_NS:.3f} s a "
                "height)"
            )

    def violation(self, message: str) -> PropertyViolation:
        return PropertyViolation(f"{message}\nreplay: {self.replay_command()}")

    def replay_command(self) -> str:
        config = self.config
        sizes = ",".join(str(size) for size in config.subnet_sizes)
        parts = [
            f"python -m replica.sim --seed {config.seed} --nodes {sizes} --faults "
            f"{config.faults.to_text()}",
            f"--heights {config.heights} --preset {config.preset.name} --fault-horizon "
            f"{exact(config.fault_horizon_s)}",
        ]
        if config.fault_subnet:
            parts.append(f"--fault-subnet {config.fault_subnet}")
        if config.spare_nodes:
            parts.append(f"--spare-nodes {config.spare_nodes}")
        parts.extend(config.replay_options)
        return " ".join(parts)

    def close(self) -> None:
        for node in self.nodes.values():
            close = getattr(node.replica, "close", None)
            if callable(close):
                close()
            node.replica = None
        if self._owns_state_root:
            shutil.rmtree(self.state_root, ignore_errors=True)

    def __enter__(self) -> World:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
