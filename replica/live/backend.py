"""The HTTP interface's view of a live replica: `ReplicaBackend` over a `ReplicaService`.

Calls the HTTP layer accepted go to the node's ingress pool and, as the
signed envelopes they came in, to every peer (which check them again, so a
replica never takes a peer's word for a user's signature). Queries run on the
latest executed state; `read_state` gets the latest certified height's tree
and the subnet's signature. Off the NNS subnet, the NNS delegation comes from
an NNS replica's `read_state` of this subnet's key and canister ranges,
fetched with the agent at start and refreshed now and then.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import TYPE_CHECKING, Final

from replica.crypto import bls
from replica.crypto.certificate import Certificate, Delegation
from replica.crypto.hashtree import Found
from replica.environment import Reject, RejectCode
from replica.http.backend import (
    Accepted,
    CertificationNotifier,
    CertifiedState,
    IngressOrigin,
    NonReplicatedRejection,
    Refused,
    ReplicaHealth,
    ServedCatchUpPackage,
    SignedIngress,
    SubmitOutcome,
)
from replica.http.delegation import delegation_paths
from replica.state.errors import StateError
from replica.types import Principal

if TYPE_CHECKING:
    from replica.live.service import ReplicaService

log = logging.getLogger("icbox.replica")

MAX_INGRESS_POOL: Final = 20_000
DELEGATION_REFRESH_S: Final = 600.0
DELEGATION_RETRY_S: Final = 1.0


class LiveBackend:
    """What `replica.http.api.HttpApi` calls, answered by one live replica process."""

    def __init__(self, service: ReplicaService) -> None:
        self.service = service
        self.notifier = CertificationNotifier()
        self.origins: dict[bytes, tuple[IngressOrigin, int]] = {}
        self._delegation: Delegation | None = None
        settings = service.settings
        self._root_key_der = bytes.fromhex(settings.root_key_hex or "")
        self.nns_subnet_id = (
            Principal.from_text(settings.nns_subnet_id) if settings.nns_subnet_id else None
        )
        self.is_nns = self.nns_subnet_id is None or self.nns_subnet_id == service.subnet_id

    # -- ReplicaBackend -------------------------------------------------------------------------

    @property
    def subnet_id(self) -> Principal:
        return self.service.subnet_id

    @property
    def node_id(self) -> Principal:
        return self.service.node_id

    @property
    def expose_root_key(self) -> bool:
        return True

    def sign_as_node(self, message: bytes) -> bytes:
        return self.service.keys.sign(message)

    def root_key_der(self) -> bytes:
        return self._root_key_der

    def nns_delegation(self) -> Delegation | None:
        return None if self.is_nns else self._delegation

    def replica_version(self) -> str:
        return self.service.settings.replica_version or ""

    def health(self) -> ReplicaHealth:
        if self.service.driver.node.state.latest_certification is None:
            return "waiting_for_certified_state"
        if not self.is_nns and self._delegation is None:
            return "waiting_for_root_delegation"
        return "healthy"

    def now_ns(self) -> int:
        return time.time_ns()

    def catch_up_package(self) -> ServedCatchUpPackage | None:
        cup = self.service.driver.node.latest_cup
        return ServedCatchUpPackage(
            data=cup.to_bytes(), height=cup.height, registry_version=cup.registry_version
        )

    def route(self, canister_id: Principal) -> Principal | None:
        return self.service.registry.route(canister_id)

    def submit_ingress(self, ingress: SignedIngress) -> SubmitOutcome:
        message = ingress.message
        node = self.service.driver.node
        if (
            message.message_id in node.ingress_pool
            or message.message_id in self.service.verified
            or node.ingress_status(message.message_id) is not None
        ):
            return Accepted(known=True)
        if message.canister_id.raw and message.canister_id not in node.state.engine.canisters:
            return NonReplicatedRejection(
                reject_code=RejectCode.DESTINATION_INVALID,
                reject_message=f"Canister {message.canister_id} not found",
                error_code="IC0301",
            )
        if len(node.ingress_pool) >= MAX_INGRESS_POOL:
            return Refused(status=503, reason="the ingress pool is full; try again later")
        self.remember(
            message.message_id,
            IngressOrigin(sender=message.sender, canister_id=message.canister_id),
            message.ingress_expiry_ns,
        )
        self.service.submit_signed_ingress(ingress)
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
        return self.service.driver.node.state.engine.query(
            canister_id, method, arg, sender, certificate=certificate
        )

    def latest_certified_state(self) -> CertifiedState | None:
        state = self.service.driver.node.state
        certification = state.latest_certification
        if certification is None:
            return None
        try:
            tree = state.tree(certification.height)
        except StateError:
            return None
        return CertifiedState(
            height=certification.height, tree=tree, signature=certification.signature
        )

    def ingress_origin(self, request_id: bytes) -> IngressOrigin | None:
        found = self.origins.get(request_id)
        return None if found is None else found[0]

    def is_request_finished(self, request_id: bytes) -> bool:
        status = self.service.driver.node.ingress_status(request_id)
        return status is not None and status.status.is_terminal

    async def wait_for_certification(self, after_height: int, timeout_seconds: float) -> None:
        await self.notifier.wait_for_certification(after_height, timeout_seconds)

    # -- the driver's side ----------------------------------------------------------------------

    def remember(self, request_id: bytes, origin: IngressOrigin, expiry_ns: int) -> None:
        self.origins[request_id] = (origin, expiry_ns)

    def forget_expired(self, now_ns: int) -> None:
        """Drop origins of requests whose status has left the ingress history (expired)."""
        expired = [
            key for key, (_, expiry) in self.origins.items() if expiry + 600 * 10**9 < now_ns
        ]
        for key in expired:
            del self.origins[key]

    def on_certified(self, height: int) -> None:
        self.notifier.notify(height)

    def is_own_key_certified(self, certificate: Certificate) -> bool:
        """Whether an NNS certificate names the key this replica's subnet signs with."""
        found = certificate.lookup(["subnet", self.subnet_id.raw, "public_key"])
        own = bls.public_key_to_der(self.service.driver.node.subnet_public_key)
        return isinstance(found, Found) and found.value == own

    async def keep_delegation_fresh(self) -> None:
        """Off the NNS subnet: fetch the NNS delegation, retry until it comes, refresh it now and
        then."""
        if self.is_nns or self.nns_subnet_id is None:
            return
        from replica.agent.agent import AsyncAgent
        from replica.crypto.certificate import delegated_canister_ranges

        registry = self.service.registry
        while True:
            urls = []
            for node_id in registry.get_subnet_members(self.nns_subnet_id):
                record = registry.get_node_record(node_id)
                if record is not None:
                    urls.append(f"http://{record.http.ip_addr}:{record.http.port}")
            random.shuffle(urls)
            fetched = False
            for url in urls:
                agent = AsyncAgent(
                    url, root_key_der=self._root_key_der, request_timeout_seconds=5.0
                )
                try:
                    certificate = await agent.read_subnet_state(
                        self.nns_subnet_id, delegation_paths(self.subnet_id)
                    )
                    # An NNS replica whose registry does not yet hold this subnet's routing
                    # (a subnet just created) answers without its ranges: ask again later.
                    delegated_canister_ranges(certificate, self.subnet_id)
                    # An NNS replica that does not yet certify this subnet's current key (a
                    # recovered subnet's new one) would make every certificate fail: ask again.
                    if not self.is_own_key_certified(certificate):
                        raise ValueError("the NNS does not certify this subnet's key yet")
                    self._delegation = Delegation(
                        subnet_id=self.subnet_id, certificate=certificate.to_cbor()
                    )
                    fetched = True
                    log.info("NNS delegation fetched from %s", url)
                    break
                except Exception as error:  # any failure: try the next NNS replica
                    log.debug("NNS delegation from %s failed: %s", url, error)
                finally:
                    await agent.close()
            await asyncio.sleep(DELEGATION_REFRESH_S if fetched else DELEGATION_RETRY_S)
