"""The real replica under the simulator: `ReplicaNode` of `replica.consensus`.

`ConsensusReplicas` is the `ReplicaFactory` the simulator uses by default: it
turns a `ReplicaSpec` into a `NodeConfig` (the node's keys derive from the
network seed and its genesis index, as registry genesis derives its public
keys; its genesis threshold shares are the encrypted ones the world dealt it;
it checks the ingress of a block against its senders' envelopes, as the live
replica does), identifies blocks by their id, verifies certifications with the
subnet's public key, and gives Byzantine nodes a `ConsensusForger`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from registry.client import RegistryClient
from replica.consensus.artifacts import Block, Certification, DataPayload, certification_message
from replica.consensus.events import StateDiverged
from replica.consensus.node import NodeConfig, ReplicaNode
from replica.crypto import bls
from replica.crypto.certificate import verify_certificate_with_key
from replica.crypto.errors import CryptoError
from replica.crypto.hashtree import Found
from replica.crypto.keys import NodeSecretKeys
from replica.http.requests import authenticate_ingress
from replica.sim.audit import ConsensusAuditor
from replica.sim.checks import Auditor
from replica.sim.forgery import ConsensusForger
from replica.sim.replica import ReplicaSpec, SimulatedReplica
from replica.state.errors import StateError
from replica.types import Principal


class ConsensusReplicas:
    """Builds `ReplicaNode`s for the simulator."""

    def __init__(self) -> None:
        self._keys: dict[tuple[bytes, int], NodeSecretKeys] = {}

    def keys(self, spec: ReplicaSpec) -> NodeSecretKeys:
        key = (spec.network_seed, spec.node_index)
        keys = self._keys.get(key)
        if keys is None:
            keys = self._keys[key] = NodeSecretKeys.from_seed(spec.network_seed, spec.node_index)
        return keys

    def config(self, spec: ReplicaSpec) -> NodeConfig:
        return NodeConfig(
            node_id=spec.node_id,
            subnet_id=spec.subnet_id,
            keys=self.keys(spec),
            registry=spec.registry,
            state_dir=spec.state_dir,
            factories=spec.factories,
            subnet_type=spec.subnet_type,
            initial_shares=spec.initial_shares,
            install_genesis=spec.install_genesis,
            authenticate_ingress=authenticate_ingress,
        )

    def start(self, spec: ReplicaSpec) -> SimulatedReplica:
        node: SimulatedReplica = ReplicaNode(self.config(spec))
        return node

    def restart(self, spec: ReplicaSpec) -> SimulatedReplica:
        node: SimulatedReplica = ReplicaNode.restart(self.config(spec))
        return node

    def block_id(self, block: Any) -> bytes:
        if not isinstance(block, Block):
            raise TypeError(f"not a block: {type(block).__name__}")
        return block.id

    def ingress_of(self, block: Any) -> Sequence[bytes]:
        if not isinstance(block, Block) or not isinstance(block.payload, DataPayload):
            return ()
        return [message.message_id for message in block.payload.ingress]

    def make_auditor(
        self, subnet_id: Principal, subnet_public_key: bytes, registry: RegistryClient
    ) -> Auditor:
        return ConsensusAuditor(
            subnet_id=subnet_id, subnet_public_key=subnet_public_key, registry=registry
        )

    def verify_certification(
        self, certification: Any, height: int, subnet_public_key: bytes
    ) -> bool:
        if not isinstance(certification, Certification) or certification.height != height:
            return False
        return bls.verify(
            subnet_public_key,
            certification_message(certification.root_hash),
            certification.signature,
        )

    def forger(self, spec: ReplicaSpec) -> ConsensusForger:
        return ConsensusForger(self.keys(spec), spec.initial_shares, spec.registry, spec.subnet_id)

    def certified_reply(
        self, replica: SimulatedReplica, message_id: bytes, subnet_public_key: bytes
    ) -> bytes | None:
        if not isinstance(replica, ReplicaNode):
            return None
        path = [b"request_status", message_id, b"reply"]
        try:
            certificate = replica.certificate([path])
            verify_certificate_with_key(certificate, subnet_public_key, now_ns=None)
        except (StateError, CryptoError):
            return None
        found = certificate.lookup(path)
        return found.value if isinstance(found, Found) else None

    def describe_violation(self, event: Any) -> str | None:
        if isinstance(event, StateDiverged):
            return (
                f"state diverged at height {event.height}: certified root "
                f"{event.certified_root_hash.hex()[:16]}, "
                f"own {event.own_root_hash.hex()[:16]}"
            )
        return None

    def subnet_public_key(self, replica: SimulatedReplica) -> bytes:
        if not isinstance(replica, ReplicaNode):
            raise TypeError("not a ReplicaNode")
        key: bytes = replica.subnet_public_key
        return key
