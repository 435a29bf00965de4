"""What the simulator drives: a sans-I/O replica, and the factory that builds one.

The simulator is written against these protocols. `replica.sim.consensus`
adapts the real `ReplicaNode` of `replica.consensus` to them; tests may drive
the simulator with a smaller replica of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from registry.client import RegistryClient
from replica.crypto.initial_shares import NodeInitialShares
from replica.execution.engine import ExecutionEngine, SubnetType, SystemCanister
from replica.execution.messages import IngressMessage, IngressStatus
from replica.sim.checks import Auditor, ObservedReplica
from replica.sim.faults import Forger
from replica.types import Principal


class ReplicaOutput(Protocol):
    @property
    def broadcast(self) -> Sequence[Any]: ...

    @property
    def wake_at_ns(self) -> int | None: ...

    @property
    def events(self) -> Sequence[Any]: ...


class SimulatedReplica(ObservedReplica, Protocol):
    """A replica as the simulator sees it: inputs in, outputs out, and the read-outs of the
    checks."""

    def on_artifacts(self, artifacts: Sequence[Any], now_ns: int) -> ReplicaOutput: ...

    def on_timer(self, now_ns: int) -> ReplicaOutput: ...

    def submit_ingress(self, message: IngressMessage, now_ns: int) -> ReplicaOutput: ...

    def ingress_status(self, message_id: bytes) -> IngressStatus | None: ...

    def is_member(self, height: int) -> bool: ...

    def pool_artifacts(self) -> Iterable[Any]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaSpec:
    """Everything a factory needs to start (or restart) one replica."""

    node_id: Principal
    node_index: int
    subnet_id: Principal
    registry: RegistryClient
    state_dir: Path
    factories: Mapping[str, SystemCanister]
    network_seed: bytes
    """Derives the node's keys (`NodeSecretKeys.from_seed(network_seed, node_index)`)."""
    initial_shares: NodeInitialShares | None = None
    """The node's encrypted shares of the genesis threshold keys, dealt once by the world."""
    subnet_type: SubnetType = "system"
    # Creates the subnet's initial canisters on a fresh execution engine, the same on every replica.
    install_genesis: Callable[[ExecutionEngine], None] | None = None


class ReplicaFactory(Protocol):
    """Builds replicas and knows their artifacts (ids, certifications, forgeries)."""

    def start(self, spec: ReplicaSpec) -> SimulatedReplica: ...

    def restart(self, spec: ReplicaSpec) -> SimulatedReplica: ...

    def block_id(self, block: Any) -> bytes: ...

    def ingress_of(self, block: Any) -> Sequence[bytes]:
        """The ids of the ingress messages a finalized block carries (each must run once)."""
        ...

    def make_auditor(
        self, subnet_id: Principal, subnet_public_key: bytes, registry: RegistryClient
    ) -> Auditor | None:
        """The checks of what honest replicas accept against the protocol's rules, if the factory
        has them."""
        ...

    def verify_certification(
        self, certification: Any, height: int, subnet_public_key: bytes
    ) -> bool: ...

    def forger(self, spec: ReplicaSpec) -> Forger: ...

    def subnet_public_key(self, replica: SimulatedReplica) -> bytes: ...

    def certified_reply(
        self, replica: SimulatedReplica, message_id: bytes, subnet_public_key: bytes
    ) -> bytes | None:
        """The reply to `message_id` as the replica's certificate reveals it, if the certificate
        verifies against the subnet key (None: not certified yet, or not valid)."""
        ...

    def describe_violation(self, event: Any) -> str | None:
        """What is wrong if an honest replica reports `event` (a divergence), else None."""
        ...
