"""A network of one-replica subnets in one process, serving the HTTP interface.

Each `LocalReplica` is a `ReplicaBackend` built on the same cores a real
replica runs: a `StateManager` over an `ExecutionEngine` executes batches of
the ingress it accepted, builds the certified state tree of each height, and
certifies it with the subnet's threshold key: `THRESHOLD` signature shares of
the height's root hash, combined by Lagrange interpolation into the subnet's
signature (the signers are the shares of one process, not separate replicas). `LocalNetwork` holds
the subnets of one network:
the first is the NNS (root) subnet, whose id is the self-authenticating id
of its key, as on the IC; the others get the NNS delegation from its
certified state. It serves tests and development without consensus or P2P.

Rounds run on the wall clock: `await replica.run()` executes a batch every
`round_seconds` when ingress waits, and at least every `idle_round_seconds`
so that `/time` stays fresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from replica.crypto import bls, threshold
from replica.crypto.certificate import Certificate, Delegation, signed_message
from replica.crypto.keys import NodeSecretKeys, derive_scalar
from replica.environment import Reject, RejectCode
from replica.execution.engine import ExecutionEngine, SystemCanister
from replica.execution.messages import Batch, IngressMessage
from replica.http.backend import (
    Accepted,
    CertificationNotifier,
    CertifiedState,
    IngressOrigin,
    NonReplicatedRejection,
    ReplicaHealth,
    ServedCatchUpPackage,
    SignedIngress,
    SubmitOutcome,
)
from replica.http.delegation import delegation_from_state
from replica.state.manager import Certification, StateManager
from replica.state.tree import SubnetInfo
from replica.types import Principal

CANISTERS_PER_SUBNET: Final = 1 << 20
THRESHOLD: Final = 2
LOCAL_REPLICA_VERSION: Final = "icbox-local"


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalSubnetSpec:
    """One subnet of a local network: its canisters and its genesis."""

    factories: Mapping[str, SystemCanister]
    install_genesis: Callable[[ExecutionEngine], None] | None = None
    subnet_type: str = "system"
    system_installers: Sequence[Principal] = ()
    cycles_minters: Sequence[Principal] = ()


class LocalReplica:
    """The single replica of one subnet, as a `ReplicaBackend`."""

    def __init__(
        self,
        *,
        network: LocalNetwork,
        index: int,
        spec: LocalSubnetSpec,
        secret: int,
        node_keys: NodeSecretKeys,
        info: SubnetInfo,
        state_dir: Path,
    ) -> None:
        self.network = network
        self.index = index
        self._secret_shares = {
            signer: threshold.evaluate_polynomial(
                [
                    secret,
                    *(
                        derive_scalar(secret.to_bytes(32, "big"), "local-coefficient", k)
                        for k in range(1, THRESHOLD)
                    ),
                ],
                signer + 1,
            )
            for signer in range(THRESHOLD + 1)
        }
        self._node_keys = node_keys
        self.info = info
        self.state = StateManager.create(
            state_dir,
            subnet_id=info.subnet_id,
            factories=spec.factories,
            subnets=network.subnet_infos,
            subnet_type=spec.subnet_type,
            canister_id_ranges=[
                (index * CANISTERS_PER_SUBNET, (index + 1) * CANISTERS_PER_SUBNET - 1)
            ],
            system_installers=spec.system_installers,
            cycles_minters=spec.cycles_minters,
            time_ns=network.now_ns(),
        )
        if spec.install_genesis is not None:
            spec.install_genesis(self.state.engine)
        self.pending: dict[bytes, IngressMessage] = {}
        self.origins: dict[bytes, IngressOrigin] = {}
        self.notifier = CertificationNotifier()
        self.round_seconds = 0.02
        self.idle_round_seconds = 0.5
        self._last_round = 0.0
        self._wake = asyncio.Event()

    # -- ReplicaBackend -----------------------------------------------------------------------

    @property
    def subnet_id(self) -> Principal:
        return self.info.subnet_id

    @property
    def node_id(self) -> Principal:
        return self._node_keys.node_id

    @property
    def expose_root_key(self) -> bool:
        return True

    def sign_as_node(self, message: bytes) -> bytes:
        return self._node_keys.sign(message)

    def root_key_der(self) -> bytes:
        return self.network.root_key_der

    def nns_delegation(self) -> Delegation | None:
        if self.index == 0:
            return None
        root_state = self.network.replicas[0].latest_certified_state()
        return None if root_state is None else delegation_from_state(root_state, self.subnet_id)

    def replica_version(self) -> str:
        return LOCAL_REPLICA_VERSION

    def health(self) -> ReplicaHealth:
        if self.state.latest_certification is None:
            return "waiting_for_certified_state"
        if self.index != 0 and self.nns_delegation() is None:
            return "waiting_for_root_delegation"
        return "healthy"

    def catch_up_package(self) -> ServedCatchUpPackage | None:
        return None  # a single replica without consensus makes no catch-up packages

    def now_ns(self) -> int:
        return self.network.now_ns()

    def route(self, canister_id: Principal) -> Principal | None:
        return self.network.route(canister_id)

    def submit_ingress(self, ingress: SignedIngress) -> SubmitOutcome:
        message = ingress.message
        if (
            message.message_id in self.pending
            or self.state.engine.ingress_status(message.message_id) is not None
        ):
            return Accepted(known=True)
        if message.canister_id.raw and message.canister_id not in self.state.engine.canisters:
            return NonReplicatedRejection(
                reject_code=RejectCode.DESTINATION_INVALID,
                reject_message=f"Canister {message.canister_id} not found",
                error_code="IC0301",
            )
        self.pending[message.message_id] = message
        self.origins[message.message_id] = IngressOrigin(
            sender=message.sender, canister_id=message.canister_id
        )
        self._wake.set()
        return Accepted()

    def query(
        self,
        canister_id: Principal,
        method: str,
        arg: bytes,
        sender: Principal,
        *,
        certificate: Certificate | None = None,
    ) -> bytes | Reject:
        return self.state.engine.query(canister_id, method, arg, sender, certificate=certificate)

    def latest_certified_state(self) -> CertifiedState | None:
        certification = self.state.latest_certification
        if certification is None:
            return None
        return CertifiedState(
            height=certification.height,
            tree=self.state.tree(certification.height),
            signature=certification.signature,
        )

    def ingress_origin(self, request_id: bytes) -> IngressOrigin | None:
        return self.origins.get(request_id)

    def is_request_finished(self, request_id: bytes) -> bool:
        status = self.state.engine.ingress_status(request_id)
        return status is not None and status.status.is_terminal

    async def wait_for_certification(self, after_height: int, timeout_seconds: float) -> None:
        await self.notifier.wait_for_certification(after_height, timeout_seconds)

    # -- rounds -------------------------------------------------------------------------------

    def execute_round(self) -> int:
        """Execute the waiting ingress as the next height and certify it; the height."""
        height = self.state.height + 1
        time_ns = max(self.network.now_ns(), self.state.engine.time_ns + 1)
        tape = hashlib.sha256(
            b"icbox-local-tape" + self.subnet_id.raw + height.to_bytes(8, "big")
        ).digest()
        batch = Batch(
            height=height, time_ns=time_ns, random_tape=tape, ingress=tuple(self.pending.values())
        )
        self.pending = {}
        executed = self.state.execute(batch)
        message = signed_message(executed.root_hash)
        shares = {
            signer: threshold.sign_share(share, message)
            for signer, share in list(self._secret_shares.items())[:THRESHOLD]
        }
        signature = threshold.combine_shares(shares, THRESHOLD)
        self.state.deliver_certification(
            Certification(height=height, root_hash=executed.root_hash, signature=signature)
        )
        self.state.purge_below(height - 8)
        self._last_round = time.monotonic()
        return height

    async def run(self) -> None:
        """Execute rounds forever (cancel the task to stop)."""
        while True:
            idle = time.monotonic() - self._last_round >= self.idle_round_seconds
            busy = any(self.state.engine.queues.values())  # calls between canisters still to run
            if self.pending or busy or idle:
                self.notifier.notify(self.execute_round())
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._wake.wait(),
                    self.round_seconds if self.pending or busy else self.idle_round_seconds,
                )
            await asyncio.sleep(self.round_seconds)


class LocalNetwork:
    """Subnets of one replica each; subnet 0 is the NNS (root) subnet."""

    def __init__(
        self,
        state_dir: str | Path,
        subnets: Sequence[LocalSubnetSpec],
        *,
        seed: bytes = b"icbox-local",
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        if not subnets:
            raise ValueError("a network has at least one subnet")
        self.clock = clock
        self.clock_offset_ns = 0
        secrets = [derive_scalar(seed, "local-subnet", index) for index in range(len(subnets))]
        keys = [
            NodeSecretKeys.from_seed(seed + b"/local-node", index) for index in range(len(subnets))
        ]
        self.subnet_infos = tuple(
            SubnetInfo.from_index_ranges(
                Principal.self_authenticating(bls.public_key_to_der(bls.public_key(secret))),
                bls.public_key_to_der(bls.public_key(secret)),
                [(index * CANISTERS_PER_SUBNET, (index + 1) * CANISTERS_PER_SUBNET - 1)],
                {keys[index].node_id: keys[index].signing_key_der},
            )
            for index, secret in enumerate(secrets)
        )
        self.root_key_der = self.subnet_infos[0].public_key_der
        self.replicas: list[LocalReplica] = []
        for index, spec in enumerate(subnets):
            self.replicas.append(
                LocalReplica(
                    network=self,
                    index=index,
                    spec=spec,
                    secret=secrets[index],
                    node_keys=keys[index],
                    info=self.subnet_infos[index],
                    state_dir=Path(state_dir) / f"subnet-{index}",
                )
            )
        for replica in self.replicas:
            replica.execute_round()

    def now_ns(self) -> int:
        return self.clock() + self.clock_offset_ns

    def route(self, canister_id: Principal) -> Principal | None:
        for info in self.subnet_infos:
            if any(start.raw <= canister_id.raw <= end.raw for start, end in info.canister_ranges):
                return info.subnet_id
        return None

    def close(self) -> None:
        for replica in self.replicas:
            replica.state.close()
