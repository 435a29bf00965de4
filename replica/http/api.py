"""The endpoints of the IC's HTTP interface, independent of any server library.

`HttpApi.handle(method, path, content_type, body)` answers one request with
an `HttpResponse`; `replica.http.server` feeds it from an ASGI server. The
endpoints (IC interface spec "HTTPS Interface"; the IC's
`rs/http_endpoints/public`):

    GET  /api/v2/status
    POST /api/v2/canister/<id>/call          202, or 200 with a non-replicated rejection
    POST /api/v3/canister/<id>/call          200 {status: replied, certificate} once the
                                             request's terminal status is certified, else 202
    POST /api/v2|v3/canister/<id>/query      200, replies signed by this node's key
    POST /api/v2|v3/canister/<id>/read_state 200 {certificate}
    POST /api/v2|v3/subnet/<id>/read_state   200 {certificate}

Any other path is 404, in particular the v4 endpoints, so official agents fall
back to v3 and v2. Refusals are plain text, one line, with the IC's status.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from replica.consensus.artifacts import is_newer_cup
from replica.crypto import hashtree
from replica.crypto.certificate import Certificate
from replica.crypto.hashtree import Found, HashTree
from replica.environment import Reject, RejectCode
from replica.http import cbor
from replica.http.backend import (
    Accepted,
    CertifiedState,
    NonReplicatedRejection,
    Refused,
    ReplicaBackend,
)
from replica.http.envelope import RESPONSE_DOMAIN, hash_of_map
from replica.http.paths import (
    check_canister_paths,
    check_subnet_paths,
    check_v3_canister_ranges,
    without_flat_canister_ranges,
)
from replica.http.requests import RequestError, VerifiedCall, verify_call, verify_read_state
from replica.types import Principal, PrincipalError

CONTENT_TYPE_CBOR: Final = "application/cbor"
CONTENT_TYPE_TEXT: Final = "text/plain; charset=utf-8"
DEFAULT_MAX_INGRESS_BYTES: Final = (
    3 * 1024 * 1024 + 512 * 1024
)  # MAX_INGRESS_BYTES_PER_MESSAGE_NNS_SUBNET
DEFAULT_CALL_TIMEOUT_SECONDS: Final = 10.0  # ingress_message_certificate_timeout_seconds
TERMINAL_STATUSES: Final = frozenset({b"replied", b"rejected", b"done"})
ERROR_CODES: Final = {
    RejectCode.SYS_FATAL: "IC0101",
    RejectCode.SYS_TRANSIENT: "IC0201",
    RejectCode.DESTINATION_INVALID: "IC0301",
    RejectCode.CANISTER_REJECT: "IC0406",
    RejectCode.CANISTER_ERROR: "IC0503",
    RejectCode.SYS_UNKNOWN: "IC0601",
}
"""Error codes for reject codes (ic `ErrorCode`: canister not found, rejected, trapped...)."""


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes = b""
    content_type: str = CONTENT_TYPE_TEXT


def text(status: int, reason: str) -> HttpResponse:
    return HttpResponse(status, " ".join(reason.split()).encode())


def cbor_response(value: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(status, cbor.encode(value), CONTENT_TYPE_CBOR)


def _not_found() -> HttpResponse:
    return text(404, "Not found.")


class HttpApi:
    """The replica's HTTP endpoints over a `ReplicaBackend`."""

    def __init__(
        self,
        backend: ReplicaBackend,
        *,
        max_ingress_bytes: int = DEFAULT_MAX_INGRESS_BYTES,
        call_timeout_seconds: float = DEFAULT_CALL_TIMEOUT_SECONDS,
        enable_v3_call: bool = True,
    ) -> None:
        self.backend = backend
        self.max_ingress_bytes = max_ingress_bytes
        self.call_timeout_seconds = call_timeout_seconds
        self.enable_v3_call = enable_v3_call

    # -- dispatch -----------------------------------------------------------------------------

    async def handle(
        self, method: str, path: str, content_type: str | None, body: bytes
    ) -> HttpResponse:
        try:
            return await self._route(method, path, content_type, body)
        except RequestError as error:
            return text(error.status, error.reason)

    async def _route(
        self, method: str, path: str, content_type: str | None, body: bytes
    ) -> HttpResponse:
        parts = path.strip("/").split("/")
        if parts == ["api", "v2", "status"]:
            return self.status() if method in ("GET", "HEAD") else text(405, "Method not allowed.")
        if parts == ["_", "catch_up_package"]:
            return (
                self.catch_up_package(body)
                if method == "POST"
                else text(405, "Method not allowed.")
            )
        if (
            len(parts) != 5
            or parts[0] != "api"
            or parts[1] not in ("v2", "v3")
            or parts[2] not in ("canister", "subnet")
        ):
            return _not_found()
        version, kind, raw_id, endpoint = parts[1], parts[2], parts[3], parts[4]
        if kind == "subnet" and endpoint != "read_state":
            return _not_found()
        if endpoint not in ("call", "query", "read_state") or (
            endpoint == "call" and version == "v3" and not self.enable_v3_call
        ):
            return _not_found()
        if method != "POST":
            return text(405, "Method not allowed.")
        if (content_type or "").split(";")[0].strip().lower() != CONTENT_TYPE_CBOR:
            return text(400, f"Unexpected content-type, expected {CONTENT_TYPE_CBOR}.")
        try:
            effective_id = Principal.from_text(raw_id)
        except PrincipalError as error:
            return text(400, f"Could not parse the effective id {raw_id[:100]!r}: {error}")
        if kind == "subnet":
            return self.subnet_read_state(effective_id, body)
        if endpoint == "call":
            return await (
                self.call_v3(effective_id, body)
                if version == "v3"
                else self.call_v2(effective_id, body)
            )
        if endpoint == "query":
            return self.query(effective_id, body)
        return self.canister_read_state(effective_id, body, version=version)

    # -- catch-up packages ---------------------------------------------------------------------

    def catch_up_package(self, body: bytes) -> HttpResponse:
        """`POST /_/catch_up_package` (`rs/http_endpoints/public/src/catch_up_package.rs`): the
        replica's latest CUP; with a CBOR body {height, registry_version} only if it is newer
        than that (else 204, no content), so orchestrators poll peers cheaply."""
        served = self.backend.catch_up_package()
        if body:
            try:
                param = cbor.decode(body)
                height, version = int(param["height"]), int(param["registry_version"])
            except (ValueError, TypeError, KeyError) as error:
                return text(400, f"Could not parse body as CatchUpPackage param: {error}")
            if served is None or not is_newer_cup(
                served.height, served.registry_version, (height, version)
            ):
                return HttpResponse(204)
        if served is None:
            return HttpResponse(204)
        return HttpResponse(200, served.data, CONTENT_TYPE_CBOR)

    # -- status -------------------------------------------------------------------------------

    def status(self) -> HttpResponse:
        backend = self.backend
        state = backend.latest_certified_state()
        value: dict[str, Any] = {
            "impl_version": backend.replica_version(),
            "replica_health_status": backend.health(),
            "certified_height": 0 if state is None else state.height,
        }
        if backend.expose_root_key:
            value["root_key"] = backend.root_key_der()
        return cbor_response(value)

    # -- calls --------------------------------------------------------------------------------

    def _verify_call(
        self, effective_id: Principal, body: bytes
    ) -> VerifiedCall | HttpResponse | NonReplicatedRejection:
        verified = verify_call(
            body,
            request_type="call",
            effective_canister_id=effective_id,
            now_ns=self.backend.now_ns(),
        )
        if len(body) > self.max_ingress_bytes:
            return text(
                413,
                f"Request {verified.request_id.hex()} is too large. Message byte size {len(body)} "
                f"is larger than the max allowed {self.max_ingress_bytes}.",
            )
        subnet = self.backend.route(effective_id)
        if subnet != self.backend.subnet_id:
            where = "no subnet" if subnet is None else f"subnet {subnet}"
            return NonReplicatedRejection(
                reject_code=RejectCode.DESTINATION_INVALID,
                reject_message=(
                    f"Canister {effective_id} not found: it belongs to {where}, "
                    f"not to subnet {self.backend.subnet_id}"
                ),
                error_code="IC0301",
            )
        return verified

    @staticmethod
    def _rejection(rejection: NonReplicatedRejection, *, synchronous: bool) -> HttpResponse:
        value: dict[str, Any] = {
            "error_code": rejection.error_code or ERROR_CODES.get(rejection.reject_code, "IC0000"),
            "reject_message": rejection.reject_message,
            "reject_code": int(rejection.reject_code),
        }
        if synchronous:
            value["status"] = "non_replicated_rejection"
        return cbor_response(value)

    def _submit(self, verified: VerifiedCall, *, synchronous: bool) -> HttpResponse | None:
        outcome = self.backend.submit_ingress(verified.to_ingress())
        if isinstance(outcome, Accepted):
            return None
        if isinstance(outcome, Refused):
            return text(outcome.status, outcome.reason)
        return self._rejection(outcome, synchronous=synchronous)

    async def call_v2(self, effective_id: Principal, body: bytes) -> HttpResponse:
        verified = self._verify_call(effective_id, body)
        if isinstance(verified, NonReplicatedRejection):
            return self._rejection(verified, synchronous=False)
        if isinstance(verified, HttpResponse):
            return verified
        refused = self._submit(verified, synchronous=False)
        return refused if refused is not None else HttpResponse(202)

    async def call_v3(self, effective_id: Principal, body: bytes) -> HttpResponse:
        verified = self._verify_call(effective_id, body)
        if isinstance(verified, NonReplicatedRejection):
            return self._rejection(verified, synchronous=True)
        if isinstance(verified, HttpResponse):
            return verified
        request_id = verified.request_id
        known = self._certified_terminal(request_id)
        if (
            known is not None
        ):  # already executed: answer from the certified state, never run it again
            return self._call_certificate(known, request_id)
        refused = self._submit(verified, synchronous=True)
        if refused is not None:
            return refused
        deadline = time.monotonic() + self.call_timeout_seconds
        while True:
            state = self.backend.latest_certified_state()
            height = 0 if state is None else state.height
            if (
                state is not None
                and self.backend.is_request_finished(request_id)  # cheap: no tree walk before
                and self._terminal_in(state, request_id)
            ):
                return self._call_certificate(state, request_id)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return text(
                    202,
                    "Message did not complete execution and certification within the replica "
                    "defined timeout.",
                )
            await self.backend.wait_for_certification(height, remaining)

    @staticmethod
    def _terminal_in(state: CertifiedState, request_id: bytes) -> bool:
        found = hashtree.lookup(state.tree, ["request_status", request_id, "status"])
        return isinstance(found, Found) and found.value in TERMINAL_STATUSES

    def _certified_terminal(self, request_id: bytes) -> CertifiedState | None:
        state = self.backend.latest_certified_state()
        return state if state is not None and self._terminal_in(state, request_id) else None

    def _call_certificate(self, state: CertifiedState, request_id: bytes) -> HttpResponse:
        certificate = self._certificate(state, [["request_status", request_id]])
        if certificate is None:
            return text(202, "The NNS delegation is not available yet. Please try /read_state.")
        return cbor_response({"status": "replied", "certificate": certificate.to_cbor()})

    # -- certificates -------------------------------------------------------------------------

    def _is_nns_subnet(self) -> bool:
        return Principal.self_authenticating(self.backend.root_key_der()) == self.backend.subnet_id

    def _certificate(
        self, state: CertifiedState, paths: Sequence[hashtree.LabelPath]
    ) -> Certificate | None:
        """A pruned certificate of `state`; None off the NNS subnet while the delegation is
        missing."""
        delegation = None
        if not self._is_nns_subnet():
            delegation = self.backend.nns_delegation()
            if delegation is None:
                return None
        tree: HashTree = hashtree.prune(state.tree, [["time"], *paths])
        return Certificate(tree=tree, signature=state.signature, delegation=delegation)

    def _read_state_response(self, paths: Sequence[hashtree.LabelPath]) -> HttpResponse:
        state = self.backend.latest_certified_state()
        if state is None:
            return text(503, "Certified state is not available yet. Please try again...")
        certificate = self._certificate(state, paths)
        if certificate is None:
            return text(503, "The NNS delegation is not available yet. Please try again...")
        return cbor_response({"certificate": certificate.to_cbor()})

    def canister_read_state(
        self, effective_id: Principal, body: bytes, *, version: str = "v2"
    ) -> HttpResponse:
        verified = verify_read_state(body, now_ns=self.backend.now_ns())
        health = self.backend.health()
        if health != "healthy":
            return text(
                503,
                f"Replica is unhealthy: {health}. Check the /api/v2/status for more information.",
            )
        check_canister_paths(verified, effective_id, self.backend.ingress_origin)
        paths: Sequence[hashtree.LabelPath] = verified.content.paths
        if version == "v3":
            nns_subnet_id = Principal.self_authenticating(self.backend.root_key_der())
            check_v3_canister_ranges(verified.content.paths, nns_subnet_id)
            state = self.backend.latest_certified_state()
            if state is not None:
                paths = without_flat_canister_ranges(
                    state.tree, verified.content.paths, nns_subnet_id
                )
        return self._read_state_response(paths)

    def subnet_read_state(self, effective_id: Principal, body: bytes) -> HttpResponse:
        verified = verify_read_state(body, now_ns=self.backend.now_ns())
        health = self.backend.health()
        if health != "healthy":
            return text(
                503,
                f"Replica is unhealthy: {health}. Check the /api/v2/status for more information.",
            )
        check_subnet_paths(verified.content.paths)
        return self._read_state_response(verified.content.paths)

    # -- queries ------------------------------------------------------------------------------

    def query(self, effective_id: Principal, body: bytes) -> HttpResponse:
        verified = verify_call(
            body,
            request_type="query",
            effective_canister_id=effective_id,
            now_ns=self.backend.now_ns(),
        )
        content = verified.content
        subnet = self.backend.route(effective_id)
        answer: bytes | Reject
        if subnet != self.backend.subnet_id:
            answer = Reject(
                code=RejectCode.DESTINATION_INVALID, message=f"Canister {effective_id} not found"
            )
        else:
            answer = self.backend.query(
                content.canister_id,
                content.method_name,
                content.arg,
                content.sender,
                certificate=self._data_certificate(content.canister_id),
            )
        return cbor_response(self.signed_query_response(verified.request_id, answer))

    def _data_certificate(self, canister_id: Principal) -> Certificate | None:
        """The certificate a non-replicated query hands the canister: the latest certified state
        pruned to the canister's certified data (with the NNS delegation off the NNS subnet)."""
        state = self.backend.latest_certified_state()
        if state is None:
            return None
        return self._certificate(state, [["canister", canister_id.raw, "certified_data"]])

    def signed_query_response(self, request_id: bytes, answer: bytes | Reject) -> dict[str, Any]:
        """The query response with this node's signature (IC spec "Query call", node signatures)."""
        timestamp = self.backend.now_ns()
        signed: dict[str, Any]
        if isinstance(answer, Reject):
            signed = {
                "status": "rejected",
                "reject_code": int(answer.code),
                "reject_message": answer.message,
                "error_code": ERROR_CODES.get(answer.code, "IC0000"),
            }
        else:
            signed = {"status": "replied", "reply": {"arg": answer}}
        digest = hash_of_map({**signed, "timestamp": timestamp, "request_id": request_id})
        signature = self.backend.sign_as_node(RESPONSE_DOMAIN + digest)
        return {
            **signed,
            "signatures": [
                {
                    "timestamp": timestamp,
                    "signature": signature,
                    "identity": self.backend.node_id.raw,
                }
            ],
        }
