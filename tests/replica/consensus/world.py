"""A small subnet of real replicas driven by an in-test loop: instant delivery, virtual time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from registry.client import RegistryClient
from registry.genesis import NetworkDescription, SubnetSpec, deal_genesis
from registry.records import SubnetType, subnet_record_key
from registry.store import TABLES, RegistryStore, upsert
from replica.canister.stable import StableStore
from replica.consensus.artifacts import Artifact
from replica.consensus.block_maker import IngressAuthenticator
from replica.consensus.node import NodeConfig, NodeOutput, ReplicaNode
from replica.crypto.initial_shares import NodeInitialShares
from replica.crypto.keys import NodeSecretKeys
from replica.crypto.keystore import load_node_directory, write_node_directory
from replica.execution.engine import ExecutionEngine
from replica.presets import TEST, Preset
from replica.types import Principal
from tests.replica.execution.toys import FACTORIES

SEED = b"consensus-tests"
START_NS = 1_700_000_000_000_000_000
ALICE = Principal.self_authenticating(b"alice")
COUNTER = Principal.from_canister_id(0)


def install_counter(engine: ExecutionEngine) -> None:
    canister = engine.create_canister([ALICE], canister_id=COUNTER)
    engine.install(canister, "counter", None)


class Subnet:
    """`n` replicas of one subnet (the NNS subnet of a one-subnet network)."""

    def __init__(
        self,
        root: Path,
        n: int = 4,
        *,
        spares: int = 0,
        preset: Preset = TEST,
        seed: bytes = SEED,
        replica_version: str | None = None,
        stable_registry_age_ns: int = 0,
        node_directories: bool = False,
        authenticate_ingress: IngressAuthenticator | None = None,
    ) -> None:
        self.authenticate_ingress = authenticate_ingress
        self.replica_version = replica_version
        self.stable_registry_age_ns = stable_registry_age_ns
        self.root = root
        self.seed = seed
        self.store = RegistryStore(StableStore(list(TABLES)))
        description = NetworkDescription(
            subnets=(SubnetSpec(size=n, subnet_type=SubnetType.SYSTEM),),
            unassigned_nodes=spares,
            preset=preset,
        )
        self.size = n
        self.spares = spares
        self.genesis = deal_genesis(description, seed)
        for batch in self.genesis.batches:
            with self.store.stable.transaction() as session:
                self.store.apply(session, batch)
        # With node directories, the network's creator writes each node's own secrets once and a
        # node starts from its directory alone (what the live network gives each node process).
        self.key_root = root / "keys" if node_directories else None
        if self.key_root is not None:
            for index in range(n + spares):
                keys = NodeSecretKeys.from_seed(seed, index)
                write_node_directory(
                    self.key_root / f"node-{index}", keys, self.genesis.shares_of(keys.node_id)
                )
        self.subnet_id = self.store.get("subnet_list").subnets[0]
        self.now_ns = START_NS
        self.nodes: dict[Principal, ReplicaNode] = {}
        self.configs: dict[Principal, NodeConfig] = {}
        self.wake: dict[Principal, int] = {}
        self.queue: list[tuple[Principal, Artifact]] = []
        self.down: set[Principal] = set()
        self.hold: Callable[[Principal, Artifact], bool] = lambda receiver, artifact: False
        self.parked: list[tuple[Principal, Artifact]] = []
        for index in range(n):
            self.start_node(index)

    def start_node(self, index: int) -> ReplicaNode:
        """Start the replica of node `index` of the network (a spare one joins by replaying peers'
        pools)."""
        shares: NodeInitialShares | None
        if self.key_root is None:
            keys = NodeSecretKeys.from_seed(self.seed, index)
            shares = self.genesis.shares_of(keys.node_id)
        else:
            directory = load_node_directory(self.key_root / f"node-{index}")
            keys, shares = directory.keys, directory.initial_shares
        config = NodeConfig(
            node_id=keys.node_id,
            subnet_id=self.subnet_id,
            keys=keys,
            registry=self.client(),
            state_dir=self.root / f"node-{index}",
            factories=FACTORIES,
            initial_shares=shares,
            install_genesis=install_counter,
            replica_version=self.replica_version,
            stable_registry_age_ns=self.stable_registry_age_ns,
            authenticate_ingress=self.authenticate_ingress,
        )
        peers = list(self.nodes.values())
        self.configs[keys.node_id] = config
        node = self.nodes[keys.node_id] = ReplicaNode(config)
        self.wake[keys.node_id] = self.now_ns
        for peer in peers:
            for artifact in peer.pool_artifacts():
                self.queue.append((keys.node_id, artifact))
        return node

    def set_members(self, members: tuple[Principal, ...]) -> int:
        """Write a new subnet membership to the registry; every replica's client syncs it."""
        return self.update_record(membership=members)

    def update_record(self, **changes: object) -> int:
        """Change fields of the subnet record in the registry; every replica's client syncs it."""
        record = self.store.get(subnet_record_key(self.subnet_id))
        with self.store.stable.transaction() as session:
            version = self.store.apply(
                session, [upsert(subnet_record_key(self.subnet_id), replace(record, **changes))]
            )
        for config in self.configs.values():
            config.registry.sync()
        return version

    def client(self) -> RegistryClient:
        store = self.store

        def fetch(version: int) -> tuple[list, int]:  # type: ignore[type-arg]
            return store.get_changes_since(version), store.latest_version

        client = RegistryClient(fetch)
        client.sync()
        return client

    def _handle(self, sender: Principal, output: NodeOutput) -> None:
        for artifact in output.broadcast:
            for other in self.nodes:
                if other != sender:
                    self.queue.append((other, artifact))
        if output.wake_at_ns is not None:
            self.wake[sender] = output.wake_at_ns

    def step(self) -> None:
        """Deliver everything queued; otherwise move time to the earliest wake-up."""
        if self.queue:
            batches: dict[Principal, list[Artifact]] = {}
            for receiver, artifact in self.queue:
                if self.hold(receiver, artifact):
                    self.parked.append((receiver, artifact))
                else:
                    batches.setdefault(receiver, []).append(artifact)
            self.queue = []
            for receiver, artifacts in batches.items():
                if receiver in self.down:
                    continue
                self._handle(receiver, self.nodes[receiver].on_artifacts(artifacts, self.now_ns))
            return
        pending = [t for node, t in self.wake.items() if node not in self.down]
        self.now_ns = max(self.now_ns, min(pending)) if pending else self.now_ns + 100_000_000
        for node_id, at in list(self.wake.items()):
            if at <= self.now_ns and node_id not in self.down:
                del self.wake[node_id]
                self._handle(node_id, self.nodes[node_id].on_timer(self.now_ns))
        if not self.queue and not any(t > self.now_ns for t in self.wake.values()):
            self.now_ns += 100_000_000
            for node_id in self.nodes:
                self.wake.setdefault(node_id, self.now_ns)

    def run_until(self, condition: Callable[[], bool], max_steps: int = 20_000) -> None:
        for _ in range(max_steps):
            if condition():
                return
            self.step()
        raise AssertionError("condition not reached")

    def submit(self, node: Principal, message) -> None:  # type: ignore[no-untyped-def]
        self._handle(node, self.nodes[node].submit_ingress(message, self.now_ns))

    def crash(self, node: Principal) -> None:
        self.nodes[node].close()
        self.down.add(node)

    def restart(self, node: Principal, **changes: object) -> None:
        config = self.configs[node] = replace(self.configs[node], registry=self.client(), **changes)  # type: ignore[arg-type]
        self.nodes[node] = ReplicaNode.restart(config)
        self.down.discard(node)
        self.wake[node] = self.now_ns
        for other, replica in self.nodes.items():
            if other != node and other not in self.down:
                for artifact in replica.pool_artifacts():
                    self.queue.append((node, artifact))

    def release(self) -> None:
        """Deliver what `hold` kept back, and stop holding."""
        self.hold = lambda receiver, artifact: False
        self.queue.extend(self.parked)
        self.parked = []

    def min_finalized(self) -> int:
        return min(
            node.finalized_height
            for node_id, node in self.nodes.items()
            if node_id not in self.down
        )
