"""The asyncio agent: calls, queries and read_state over HTTP, every answer verified.

How official agents behave (agent-js `agent/http/index.ts`, `polling/`,
`certificate.ts`), and so this one:

- the root key is given (pinned), or, for a local network only, read once
  from `/api/v2/status` and then pinned;
- an update goes to `/api/v3/.../call`; a 404 there makes the agent use
  `/api/v2/.../call` from then on; a 202 (accepted, or the v3 call timed
  out) makes it poll `read_state` of `/request_status/<id>` until the status
  is terminal;
- every certificate is verified: the BLS signature under the root key, or
  under the subnet key a delegation proves, whose canister ranges must hold
  the effective canister id; `/time` must be within five minutes. A
  freshness failure triggers one clock sync (three reads of `/time`, the
  median offset kept) and one more check;
- a query reply is accepted only with a valid Ed25519 signature of a node of
  the subnet (the keys come from a verified `read_state` of `/subnet`, cached
  for five minutes, refetched once if a signature fails), at most five
  minutes old;
- a 400 whose text starts with "Invalid request expiry: " resyncs the clock
  and retries once.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import re
import statistics
import time
from collections.abc import Sequence
from typing import Any, Final, Literal

from replica.agent.errors import (
    AgentError,
    HttpStatusError,
    PollTimeout,
    RejectError,
    RequestDoneError,
    VerificationError,
)
from replica.agent.identity import AnonymousIdentity, Identity, sign_envelope
from replica.agent.transport import HttpAnswer, Transport
from replica.crypto import hashtree
from replica.crypto.certificate import (
    Certificate,
    CertificateError,
    decode_canister_ranges,
    is_in_ranges,
    verify_certificate,
)
from replica.crypto.hashtree import Found, LabelPath
from replica.crypto.keys import verify_node_signature
from replica.http import cbor
from replica.http.auth import EXPIRY_ERROR_PREFIX
from replica.http.envelope import RESPONSE_DOMAIN, call_content, hash_of_map, read_state_content
from replica.types import Principal

NANOS_PER_SECOND: Final = 1_000_000_000
DEFAULT_EXPIRY_SECONDS: Final = 4 * 60
MAX_QUERY_AGE_NS: Final = 5 * 60 * NANOS_PER_SECOND
NODE_KEYS_TTL_SECONDS: Final = 5 * 60
MANAGEMENT_CANISTER_ID: Final = Principal.management_canister()
CBOR_HEADERS: Final = {"content-type": "application/cbor"}
_REPLICA_TIME: Final = re.compile(
    r"Local replica time:\s*(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.(\d{1,9}))? UTC"
)


def replica_time_in(reason: str) -> int | None:
    """The replica's clock as an expiry refusal states it (the IC's text), in ns."""
    match = _REPLICA_TIME.search(reason)
    if match is None:
        return None
    moment = datetime.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=datetime.UTC
    )
    fraction = (match.group(2) or "0").ljust(9, "0")
    return int(moment.timestamp()) * NANOS_PER_SECOND + int(fraction)


class AsyncAgent:
    def __init__(
        self,
        url: str,
        *,
        identity: Identity | None = None,
        root_key_der: bytes | None = None,
        fetch_root_key: bool = False,
        verify_query_signatures: bool = True,
        poll_timeout_seconds: float = 120.0,
        request_timeout_seconds: float = 60.0,
    ) -> None:
        if root_key_der is None and not fetch_root_key:
            raise AgentError("give the root key, or fetch_root_key=True for a local network")
        self.url = url.rstrip("/")
        self.identity: Identity = identity or AnonymousIdentity()
        self.root_key_der = root_key_der
        self.fetch_root_key_allowed = fetch_root_key
        self.verify_query_signatures = verify_query_signatures
        self.poll_timeout_seconds = poll_timeout_seconds
        self.request_timeout_seconds = request_timeout_seconds
        self.time_offset_ns = 0
        self._synced_time = False
        self._use_v3_call = True
        self._use_v3_query = True
        self._node_keys: dict[bytes, tuple[float, dict[Principal, bytes]]] = {}
        self._transport = Transport(request_timeout_seconds)

    # -- plumbing -----------------------------------------------------------------------------

    async def close(self) -> None:
        await self._transport.close()

    def now_ns(self) -> int:
        return time.time_ns() + self.time_offset_ns

    def _expiry_ns(self) -> int:
        return self.now_ns() + DEFAULT_EXPIRY_SECONDS * NANOS_PER_SECOND

    async def _post(self, path: str, body: bytes) -> HttpAnswer:
        return await self._transport.request(
            "POST", self.url + path, body=body, headers=CBOR_HEADERS
        )

    @staticmethod
    def _decode(response: HttpAnswer) -> dict[str, Any]:
        try:
            value = cbor.decode(response.content)
        except cbor.CborError as error:
            raise AgentError(f"the replica's answer is not CBOR: {error}") from error
        if not isinstance(value, dict):
            raise AgentError("the replica's answer is not a CBOR map")
        return value

    @staticmethod
    def _refusal(response: HttpAnswer) -> HttpStatusError:
        return HttpStatusError(response.status_code, response.text)

    # -- status and root key ------------------------------------------------------------------

    async def status(self) -> dict[str, Any]:
        response = await self._transport.request("GET", self.url + "/api/v2/status", headers={})
        if response.status_code != 200:
            raise self._refusal(response)
        return self._decode(response)

    async def fetch_root_key(self) -> bytes:
        """The root key, read from status once (local networks only) and pinned."""
        if self.root_key_der is not None:
            return self.root_key_der
        if not self.fetch_root_key_allowed:
            raise AgentError("the root key is not known and fetching it is not allowed")
        key = (await self.status()).get("root_key")
        if not isinstance(key, bytes):
            raise AgentError("the replica's status has no root key")
        self.root_key_der = key
        return key

    # -- certificates -------------------------------------------------------------------------

    async def verify(
        self, certificate_cbor: bytes, effective_id: Principal, *, check_time: bool = True
    ) -> Certificate:
        root_key = await self.fetch_root_key()
        try:
            certificate = Certificate.from_cbor(certificate_cbor)
        except CertificateError as error:
            raise VerificationError(str(error)) from error
        try:
            verify_certificate(
                certificate,
                root_key,
                now_ns=self.now_ns() if check_time else None,
                effective_canister_id=effective_id,
            )
            return certificate
        except CertificateError as error:
            if not check_time:
                raise VerificationError(str(error)) from error
            stale = error
        # Invalid, or only not fresh by this agent's clock: checked without the time, it tells.
        try:
            verify_certificate(
                certificate, root_key, now_ns=None, effective_canister_id=effective_id
            )
        except CertificateError as error:
            raise VerificationError(str(error)) from error
        if self._synced_time:
            raise VerificationError(str(stale)) from stale
        await self.sync_time(effective_id)
        try:
            verify_certificate(
                certificate, root_key, now_ns=self.now_ns(), effective_canister_id=effective_id
            )
        except CertificateError as again:
            raise VerificationError(str(again)) from again
        return certificate

    async def sync_time(self, effective_id: Principal) -> None:
        """Measure the replica's clock through three certified reads of `/time` (agent-js
        `syncTime`)."""
        offsets = []
        for _ in range(3):
            local = time.time_ns()
            certificate = await self._read_state(
                effective_id, [["time"]], check_time=False, anonymous=True
            )
            offsets.append(certificate.time_ns() - local)
        self.time_offset_ns = int(statistics.median(offsets))
        self._synced_time = True

    # -- read_state ---------------------------------------------------------------------------

    async def _read_state(
        self,
        effective_id: Principal,
        paths: Sequence[LabelPath],
        *,
        kind: Literal["canister", "subnet"] = "canister",
        check_time: bool = True,
        anonymous: bool = False,
    ) -> Certificate:
        identity: Identity = AnonymousIdentity() if anonymous else self.identity
        encoded = [[hashtree.encode_label(label) for label in path] for path in paths]
        content = read_state_content(
            paths=encoded, sender=identity.principal, ingress_expiry_ns=self._expiry_ns()
        )
        body = sign_envelope(identity, content).to_cbor()
        response = await self._post(f"/api/v2/{kind}/{effective_id.to_text()}/read_state", body)
        if response.status_code != 200:
            raise self._refusal(response)
        certificate = self._decode(response).get("certificate")
        if not isinstance(certificate, bytes):
            raise AgentError("the read_state answer has no certificate")
        return await self.verify(certificate, effective_id, check_time=check_time)

    async def read_state(
        self, effective_canister_id: Principal, paths: Sequence[LabelPath]
    ) -> Certificate:
        """A verified certificate revealing `paths` (and `/time`)."""
        return await self._read_state(effective_canister_id, paths)

    async def read_subnet_state(
        self, subnet_id: Principal, paths: Sequence[LabelPath]
    ) -> Certificate:
        return await self._read_state(subnet_id, paths, kind="subnet")

    # -- updates ------------------------------------------------------------------------------

    async def update(
        self,
        canister_id: Principal,
        method: str,
        arg: bytes,
        *,
        effective_canister_id: Principal | None = None,
    ) -> bytes:
        """An update call: the certified reply, or `RejectError`."""
        effective = effective_canister_id or canister_id
        for attempt in range(2):
            content = call_content(
                "call",
                canister_id=canister_id,
                method_name=method,
                arg=arg,
                sender=self.identity.principal,
                ingress_expiry_ns=self._expiry_ns(),
                nonce=os.urandom(16),
            )
            envelope = sign_envelope(self.identity, content)
            request_id = envelope.request_id
            try:
                return await self._submit_call(effective, envelope.to_cbor(), request_id)
            except HttpStatusError as error:
                if (
                    attempt == 0
                    and error.status == 400
                    and error.reason.startswith(EXPIRY_ERROR_PREFIX)
                ):
                    replica_now = replica_time_in(error.reason)
                    if (
                        replica_now is not None
                    ):  # provisional: lets the certified sync's requests in
                        self.time_offset_ns = replica_now - time.time_ns()
                    await self.sync_time(effective)
                    continue
                raise
        raise AgentError("unreachable")

    async def _submit_call(self, effective: Principal, body: bytes, request_id: bytes) -> bytes:
        if self._use_v3_call:
            response = await self._post(f"/api/v3/canister/{effective.to_text()}/call", body)
            if response.status_code == 404:
                self._use_v3_call = False
            elif response.status_code == 200:
                answer = self._decode(response)
                if answer.get("status") == "replied" and isinstance(
                    answer.get("certificate"), bytes
                ):
                    certificate = await self.verify(answer["certificate"], effective)
                    outcome = self._request_outcome(certificate, request_id)
                    if outcome is not None:
                        return outcome
                else:
                    raise self._uncertified_reject(answer)
            elif response.status_code != 202:
                raise self._refusal(response)
            if self._use_v3_call:
                return await self.poll(effective, request_id)
        response = await self._post(f"/api/v2/canister/{effective.to_text()}/call", body)
        if response.status_code == 200:
            raise self._uncertified_reject(self._decode(response))
        if response.status_code != 202:
            raise self._refusal(response)
        return await self.poll(effective, request_id)

    @staticmethod
    def _uncertified_reject(answer: dict[str, Any]) -> RejectError:
        return RejectError(
            int(answer.get("reject_code", 0)),
            str(answer.get("reject_message", "")),
            error_code=str(answer.get("error_code", "")),
            certified=False,
        )

    @staticmethod
    def _request_outcome(certificate: Certificate, request_id: bytes) -> bytes | None:
        """The reply if the certificate shows a terminal status; None while it is pending."""
        base: list[bytes | str] = ["request_status", request_id]
        status = certificate.lookup([*base, "status"])
        if not isinstance(status, Found):
            return None
        if status.value == b"replied":
            reply = certificate.lookup([*base, "reply"])
            if not isinstance(reply, Found):
                raise VerificationError("a replied status without a reply")
            return reply.value
        if status.value == b"rejected":
            code = certificate.lookup([*base, "reject_code"])
            message = certificate.lookup([*base, "reject_message"])
            error_code = certificate.lookup([*base, "error_code"])
            raise RejectError(
                hashtree.decode_nat(code.value) if isinstance(code, Found) else 0,
                message.value.decode(errors="replace") if isinstance(message, Found) else "",
                error_code=error_code.value.decode(errors="replace")
                if isinstance(error_code, Found)
                else "",
                certified=True,
            )
        if status.value == b"done":
            raise RequestDoneError(
                f"request {request_id.hex()} is done; its reply is no longer available"
            )
        return None

    async def poll(self, effective: Principal, request_id: bytes) -> bytes:
        """Read `/request_status/<id>` until it is terminal (backing off up to one second)."""
        deadline = time.monotonic() + self.poll_timeout_seconds
        delay = 0.05
        while True:
            certificate = await self._read_state(effective, [["request_status", request_id]])
            outcome = self._request_outcome(certificate, request_id)
            if outcome is not None:
                return outcome
            if time.monotonic() + delay > deadline:
                raise PollTimeout(
                    f"request {request_id.hex()} did not complete in {self.poll_timeout_seconds} s"
                )
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    # -- queries ------------------------------------------------------------------------------

    async def query(
        self,
        canister_id: Principal,
        method: str,
        arg: bytes,
        *,
        effective_canister_id: Principal | None = None,
    ) -> bytes:
        """A query: the reply, checked against the subnet's node keys, or `RejectError`."""
        effective = effective_canister_id or canister_id
        content = call_content(
            "query",
            canister_id=canister_id,
            method_name=method,
            arg=arg,
            sender=self.identity.principal,
            ingress_expiry_ns=self._expiry_ns(),
        )
        envelope = sign_envelope(self.identity, content)
        body = envelope.to_cbor()
        response = None
        if self._use_v3_query:
            response = await self._post(f"/api/v3/canister/{effective.to_text()}/query", body)
            if response.status_code == 404:
                self._use_v3_query = False
                response = None
        if response is None:
            response = await self._post(f"/api/v2/canister/{effective.to_text()}/query", body)
        if response.status_code != 200:
            raise self._refusal(response)
        answer = self._decode(response)
        if self.verify_query_signatures:
            await self._verify_query_signatures(effective, envelope.request_id, answer)
        if answer.get("status") == "replied":
            reply = answer.get("reply")
            if not isinstance(reply, dict) or not isinstance(reply.get("arg"), bytes):
                raise AgentError("a replied query without reply.arg")
            return bytes(reply["arg"])
        if answer.get("status") == "rejected":
            raise RejectError(
                int(answer.get("reject_code", 0)),
                str(answer.get("reject_message", "")),
                error_code=str(answer.get("error_code", "")),
                certified=False,
            )
        raise AgentError(f"unexpected query status {answer.get('status')!r}")

    async def subnet_node_keys(
        self, effective: Principal, *, refresh: bool = False
    ) -> dict[Principal, bytes]:
        """The node keys of the subnet holding `effective`, from a verified read_state of
        `/subnet`."""
        cached = self._node_keys.get(effective.raw)
        if (
            cached is not None
            and not refresh
            and time.monotonic() - cached[0] < NODE_KEYS_TTL_SECONDS
        ):
            return cached[1]
        certificate = await self._read_state(effective, [["subnet"]])
        root_key = await self.fetch_root_key()
        subnet_id = (
            certificate.delegation.subnet_id
            if certificate.delegation is not None
            else Principal.self_authenticating(root_key)
        )
        ranges = certificate.lookup(["subnet", subnet_id.raw, "canister_ranges"])
        if not isinstance(ranges, Found) or not is_in_ranges(
            effective, decode_canister_ranges(ranges.value)
        ):
            raise VerificationError(
                f"canister {effective} is not in the ranges of subnet {subnet_id}"
            )
        nodes = hashtree.lookup_subtree(certificate.tree, ["subnet", subnet_id.raw, "node"])
        keys: dict[Principal, bytes] = {}
        if not isinstance(nodes, hashtree.Absent | hashtree.Unknown):
            for node_label, subtree in hashtree.labeled_children(nodes):
                key = hashtree.lookup(subtree, ["public_key"])
                if isinstance(key, Found):
                    keys[Principal(node_label)] = key.value
        if not keys:
            raise VerificationError(f"the certificate reveals no node keys of subnet {subnet_id}")
        self._node_keys[effective.raw] = (time.monotonic(), keys)
        return keys

    async def _verify_query_signatures(
        self, effective: Principal, request_id: bytes, answer: dict[str, Any]
    ) -> None:
        signatures = answer.get("signatures")
        if not isinstance(signatures, list) or not signatures:
            raise VerificationError("the query answer carries no node signature")
        if answer.get("status") == "replied":
            reply = answer.get("reply")
            signed: dict[str, Any] = {"status": "replied", "reply": reply}
        else:
            signed = {
                key: answer[key]
                for key in ("status", "reject_code", "reject_message", "error_code")
                if key in answer
            }
        for refresh in (False, True):
            keys = await self.subnet_node_keys(effective, refresh=refresh)
            if len(signatures) > len(keys):
                raise VerificationError("more query signatures than nodes in the subnet")
            if all(
                self._is_valid_node_signature(entry, signed, request_id, keys)
                for entry in signatures
            ):
                return
        raise VerificationError("query signature verification failed")

    def _is_valid_node_signature(
        self, entry: Any, signed: dict[str, Any], request_id: bytes, keys: dict[Principal, bytes]
    ) -> bool:
        if not isinstance(entry, dict):
            return False
        timestamp, signature, identity = (
            entry.get("timestamp"),
            entry.get("signature"),
            entry.get("identity"),
        )
        if (
            not isinstance(timestamp, int)
            or not isinstance(signature, bytes)
            or not isinstance(identity, bytes)
        ):
            return False
        if self.now_ns() - timestamp > MAX_QUERY_AGE_NS:
            raise VerificationError("the query answer is more than five minutes old")
        key = keys.get(Principal(identity))
        if key is None:
            return False
        message = RESPONSE_DOMAIN + hash_of_map(
            {**signed, "timestamp": timestamp, "request_id": request_id}
        )
        return verify_node_signature(key, message, signature)
