"""What the HTTP interface needs from the replica it serves.

The HTTP server (`replica.http.server`) parses and authenticates requests,
answers them as the IC interface spec says, and reaches the replica only
through a `ReplicaBackend`. The live driver (one per replica process) and the
in-process test backend (`replica.http.local`) implement it.

A live driver must implement, on one object:

- `subnet_id`, `node_id`: this replica's subnet and node ids (`node_id` is the
  self-authenticating principal of the node signing key, the label under
  `/subnet/<subnet_id>/node/` in the certified state tree).
- `sign_as_node(message)`: an Ed25519 signature (64 bytes) with the node
  signing key (`NodeSecretKeys.sign`). The server uses it to sign query
  replies: `"\\x0Bic-response" || hash_of_map(response)`.
- `root_key_der()`: the NNS (root) subnet's public key, 133 bytes of DER
  (`replica.crypto.bls.public_key_to_der`), the key every certificate chains to.
- `expose_root_key`: whether `/api/v2/status` shows the root key (True on a
  local network; the spec requires it on development instances).
- `nns_delegation()`: None on the NNS subnet; on any other subnet a
  `Delegation` whose certificate is the NNS subnet's (without delegation of
  its own) revealing `/time`, `/subnet/<subnet_id>/public_key` and
  `/subnet/<subnet_id>/canister_ranges`. `replica.http.delegation` builds it
  from a certificate the NNS subnet served; the driver refreshes it now and
  then (agents accept a delegation up to 30 days old). None on a non-NNS
  subnet means "not available yet": the server answers 503 where a
  certificate is needed, and status says `waiting_for_root_delegation`.
- `replica_version()`: the version this replica runs (registry replica version id).
- `health()`: one of `REPLICA_HEALTH` ("healthy" once the replica has a
  certified state and, off the NNS subnet, the NNS delegation).
- `now_ns()`: the wall clock in nanoseconds since the Unix epoch (the server
  checks `ingress_expiry` against it).
- `route(canister_id)`: the id of the subnet whose canister ranges hold the
  canister, by the registry's routing table at the latest version the
  replica knows; None when no subnet holds it.
- `submit_ingress(ingress)`: the request passed every check of the HTTP layer
  (envelope, signatures, delegations, expiry window, size, routing to this
  subnet). The driver hands `ingress.message` to `ReplicaNode.submit_ingress`
  and gossips `ingress.envelope` (peers re-check it with
  `replica.http.requests.parse_call_envelope`). It answers `Accepted(known=...)`
  (`known=True` when the request id was already in the ingress pool or the
  ingress history: it is not executed again), `Refused(status, reason)` (e.g.
  503 when the ingress pool is full) or `NonReplicatedRejection` (the IC's
  answer when the canister does not exist or refuses the message in
  `canister_inspect_message`).
- `query(canister_id, method, arg, sender)`: run a query on the latest
  executed state (`ExecutionEngine.query`): the reply bytes or a `Reject`.
- `latest_certified_state()`: the latest certified height's full state tree
  and the subnet's threshold signature on its root hash
  (`StateManager.latest_certification` and `StateManager.tree(height)`), or
  None before the first certification. The server prunes it per request.
- `ingress_origin(request_id)`: the sender and the receiver of a request the
  replica knows (in its ingress pool, or executed: the driver records the
  `IngressMessage`s of the batches it executes as long as their status is in
  the ingress history), None otherwise. `read_state` of
  `/request_status/<id>` is allowed only to that sender.
- `is_request_finished(request_id)`: whether the latest executed state holds
  a terminal status (replied, rejected or done) for the request. A certified
  state can hold one only then: a synchronous call reads the certified tree
  for its status only once this is true, as the IC's ingress watcher learns
  which messages completed instead of reading the state for each waiting call.
- `wait_for_certification(after_height, timeout_seconds)`: return when a
  height above `after_height` is certified, or when the timeout elapses
  (without raising). `CertificationNotifier` below does this: call its
  `notify(height)` whenever a certification is delivered.

Every method but `wait_for_certification` is synchronous and must be quick:
the server calls them on its event loop.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Final, Literal, Protocol

from replica.crypto.certificate import Certificate, Delegation
from replica.crypto.hashtree import HashTree
from replica.environment import Reject, RejectCode
from replica.execution.messages import IngressMessage
from replica.types import Principal

ReplicaHealth = Literal[
    "starting",
    "waiting_for_certified_state",
    "waiting_for_root_delegation",
    "certified_state_behind",
    "healthy",
]
"""The values of `replica_health_status` (ic `ReplicaHealthStatus`, snake case)."""

REPLICA_HEALTH: Final[tuple[ReplicaHealth, ...]] = (
    "starting",
    "waiting_for_certified_state",
    "waiting_for_root_delegation",
    "certified_state_behind",
    "healthy",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedIngress:
    """A call the HTTP layer authenticated: the message to execute and the envelope it came in."""

    message: IngressMessage
    """`message_id` is the request id (the representation-independent hash of the content)."""
    envelope: bytes
    """The CBOR envelope as received, signatures included: what is gossiped to peers."""
    nonce: bytes | None = None
    valid_until_ns: int | None = None
    """When the sender's delegations expire (None: no delegation): the envelope authenticates
    the call only until then."""

    @property
    def request_id(self) -> bytes:
        return self.message.message_id


@dataclass(frozen=True, slots=True, kw_only=True)
class Accepted:
    """The call is in the ingress pool (or was already known, and is not executed again)."""

    known: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Refused:
    """The replica cannot take the call now: an HTTP status (4xx/5xx) and a one-line reason."""

    status: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NonReplicatedRejection:
    """The call is rejected before consensus (unknown canister, inspect_message)."""

    reject_code: RejectCode
    reject_message: str
    error_code: str = ""


SubmitOutcome = Accepted | Refused | NonReplicatedRejection


@dataclass(frozen=True, slots=True, kw_only=True)
class IngressOrigin:
    """Who sent a known request, and to which canister."""

    sender: Principal
    canister_id: Principal


@dataclass(frozen=True, slots=True, kw_only=True)
class CertifiedState:
    """A certified height: its full state tree and the subnet's signature on the root hash."""

    height: int
    tree: HashTree
    signature: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class ServedCatchUpPackage:
    """The replica's latest catch-up package: its canonical bytes and its (height, registry
    version), by which a requester asks only for a newer one."""

    data: bytes
    height: int
    registry_version: int


class ReplicaBackend(Protocol):
    """The replica as the HTTP server sees it (see the module docstring)."""

    @property
    def subnet_id(self) -> Principal: ...

    @property
    def node_id(self) -> Principal: ...

    @property
    def expose_root_key(self) -> bool: ...

    def sign_as_node(self, message: bytes) -> bytes: ...

    def root_key_der(self) -> bytes: ...

    def nns_delegation(self) -> Delegation | None: ...

    def replica_version(self) -> str: ...

    def health(self) -> ReplicaHealth: ...

    def now_ns(self) -> int: ...

    def route(self, canister_id: Principal) -> Principal | None: ...

    def submit_ingress(self, ingress: SignedIngress) -> SubmitOutcome: ...

    def query(
        self,
        canister_id: Principal,
        method: str,
        arg: bytes,
        sender: Principal,
        *,
        certificate: Certificate | None = None,
    ) -> bytes | Reject:
        """Run a non-replicated query; `certificate` reveals the canister's certified data."""
        ...

    def latest_certified_state(self) -> CertifiedState | None: ...

    def ingress_origin(self, request_id: bytes) -> IngressOrigin | None: ...

    def is_request_finished(self, request_id: bytes) -> bool: ...

    async def wait_for_certification(self, after_height: int, timeout_seconds: float) -> None: ...

    def catch_up_package(self) -> ServedCatchUpPackage | None:
        """The latest CUP this replica holds, for `/_/catch_up_package` (None: it serves none)."""
        ...


class CertificationNotifier:
    """Wakes the coroutines that wait for a certified height above the one they saw.

    A driver calls `notify(height)` from its event loop after each delivered
    certification; `wait_for_certification` is the backend method of that name.
    """

    def __init__(self) -> None:
        self._height = 0
        self._condition: asyncio.Condition | None = None

    @property
    def height(self) -> int:
        return self._height

    def _get_condition(self) -> asyncio.Condition:
        if self._condition is None:
            self._condition = asyncio.Condition()
        return self._condition

    def notify(self, height: int) -> None:
        """Record a certified height; wakes the waiters (schedules, so callable from sync code)."""
        if height <= self._height:
            return
        self._height = height
        condition = self._condition
        if condition is None:
            return
        asyncio.get_running_loop().create_task(self._wake(condition))

    @staticmethod
    async def _wake(condition: asyncio.Condition) -> None:
        async with condition:
            condition.notify_all()

    async def wait_for_certification(self, after_height: int, timeout_seconds: float) -> None:
        condition = self._get_condition()
        try:
            async with asyncio.timeout(timeout_seconds), condition:
                await condition.wait_for(lambda: self._height > after_height)
        except TimeoutError:
            return
