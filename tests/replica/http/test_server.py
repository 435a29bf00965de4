"""The HTTP interface end to end over a real socket: every refusal, replay, v3 and its fallback.

Status codes and reasons follow the IC's `rs/http_endpoints/public` (call.rs,
call/call_sync.rs, common.rs, read_state/canister.rs) and `rs/validator`.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import httpx
import pytest

from replica.agent.agent import AsyncAgent
from replica.agent.identity import AnonymousIdentity, Ed25519Identity, sign_envelope
from replica.candid import decode, encode
from replica.candid.types import Nat
from replica.crypto.certificate import Certificate
from replica.http import cbor
from replica.http.envelope import call_content, read_state_content
from replica.types import Principal
from tests.replica.http.network import APP_COUNTER, NNS_COUNTER, served_network

ALICE = Ed25519Identity.from_seed(b"\x01" * 32)
BOB = Ed25519Identity.from_seed(b"\x02" * 32)
CBOR = {"content-type": "application/cbor"}


def add_body(
    identity: Ed25519Identity | AnonymousIdentity,
    canister: Principal = NNS_COUNTER,
    *,
    amount: int = 1,
    expiry_ns: int | None = None,
    nonce: bytes | None = None,
) -> tuple[bytes, bytes]:
    content = call_content(
        "call",
        canister_id=canister,
        method_name="add",
        arg=encode([Nat], [amount]),
        sender=identity.principal,
        ingress_expiry_ns=expiry_ns if expiry_ns is not None else time.time_ns() + 120 * 10**9,
        nonce=nonce if nonce is not None else os.urandom(16),
    )
    envelope = sign_envelope(identity, content)
    return envelope.to_cbor(), envelope.request_id


async def post(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post(url, content=body, headers=CBOR if headers is None else headers)


@pytest.mark.asyncio
async def test_status_is_tagged_cbor_with_the_root_key_and_health(tmp_path: Path) -> None:
    async with served_network(tmp_path) as served, httpx.AsyncClient() as client:
        response = await client.get(served.urls[0] + "/api/v2/status")
        assert response.status_code == 200
        assert response.content.startswith(b"\xd9\xd9\xf7")
        status = cbor.decode(response.content)
        assert status["root_key"] == served.network.root_key_der
        assert len(status["root_key"]) == 133
        assert status["replica_health_status"] == "healthy"
        assert status["impl_version"] == "icbox-local"
        assert status["certified_height"] >= 1
        preflight = await client.options(f"{served.urls[0]}/api/v3/canister/{NNS_COUNTER}/call")
        assert (
            preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"
        )


@pytest.mark.asyncio
async def test_updates_and_queries_on_both_subnets_verify(tmp_path: Path) -> None:
    async with served_network(tmp_path) as served:
        for url, canister in zip(served.urls, (NNS_COUNTER, APP_COUNTER), strict=True):
            agent = AsyncAgent(url, identity=ALICE, fetch_root_key=True)
            assert decode(await agent.update(canister, "add", encode([Nat], [3])), [Nat]) == [3]
            assert decode(await agent.query(canister, "get", encode([], [])), [Nat]) == [3]
            certificate = await agent.read_state(
                canister, [["canister", canister.raw, "controllers"]]
            )
            assert certificate.time_ns() > 0
            await agent.close()


@pytest.mark.asyncio
async def test_every_refusal_has_the_spec_status_and_one_line(tmp_path: Path) -> None:
    async with served_network(tmp_path) as served, httpx.AsyncClient() as client:
        base = served.urls[0]
        call_url = f"{base}/api/v2/canister/{NNS_COUNTER}/call"

        body, _ = add_body(ALICE)
        tampered = bytearray(body)
        tampered[-5] ^= 0x01  # inside sender_sig, the last field
        response = await post(client, call_url, bytes(tampered))
        assert response.status_code == 400 and response.text.startswith("Invalid signature")

        expired, _ = add_body(ALICE, expiry_ns=time.time_ns() - 10**9)
        response = await post(client, call_url, expired)
        assert response.status_code == 400 and response.text.startswith("Invalid request expiry: ")
        too_far, _ = add_body(ALICE, expiry_ns=time.time_ns() + 10 * 60 * 10**9)
        assert (await post(client, call_url, too_far)).status_code == 400

        response = await post(client, call_url, body, headers={"content-type": "application/json"})
        assert response.status_code == 400 and "content-type" in response.text

        other_url = f"{base}/api/v2/canister/{APP_COUNTER}/call"
        assert (await post(client, other_url, body)).status_code == 400  # URL and content disagree

        huge = b"\x00" * (10 * 1024 * 1024)
        assert (await post(client, call_url, huge)).status_code == 413

        deep = cbor.SELF_DESCRIBED_PREFIX + b"\x81" * 1000 + b"\x00"
        response = await post(client, call_url, deep)
        assert response.status_code == 400 and "deeper" in response.text
        assert (await post(client, call_url, b"\xff\x00garbage")).status_code == 400

        unsigned = call_content(
            "call",
            canister_id=NNS_COUNTER,
            method_name="add",
            arg=b"",
            sender=ALICE.principal,
            ingress_expiry_ns=time.time_ns() + 60 * 10**9,
        )
        response = await post(client, call_url, cbor.encode({"content": unsigned}))
        assert response.status_code == 400 and response.text.startswith("Missing signature")

        anonymous_signed = sign_envelope(ALICE, {**unsigned, "sender": b"\x04"})
        response = await post(client, call_url, anonymous_signed.to_cbor())
        assert response.status_code == 400

        for version in ("v4", "v1"):
            assert (
                await post(client, f"{base}/api/{version}/canister/{NNS_COUNTER}/call", body)
            ).status_code == 404
        for response_text in [r.text for r in [await post(client, call_url, bytes(tampered))]]:
            assert "\n" not in response_text

        # the replica keeps serving after all of that
        assert (await post(client, call_url, body)).status_code == 202


@pytest.mark.asyncio
async def test_a_canister_on_another_subnet_is_a_non_replicated_rejection(tmp_path: Path) -> None:
    async with served_network(tmp_path) as served, httpx.AsyncClient() as client:
        body, _ = add_body(ALICE, APP_COUNTER)
        for version, expect_status in (("v2", False), ("v3", True)):
            response = await post(
                client, f"{served.urls[0]}/api/{version}/canister/{APP_COUNTER}/call", body
            )
            assert response.status_code == 200
            answer = cbor.decode(response.content)
            assert answer["reject_code"] == 3 and answer["error_code"] == "IC0301"
            assert ("status" in answer) is expect_status
        query = sign_envelope(
            ALICE,
            call_content(
                "query",
                canister_id=APP_COUNTER,
                method_name="get",
                arg=encode([], []),
                sender=ALICE.principal,
                ingress_expiry_ns=time.time_ns() + 60 * 10**9,
            ),
        )
        response = await post(
            client, f"{served.urls[0]}/api/v3/canister/{APP_COUNTER}/query", query.to_cbor()
        )
        assert cbor.decode(response.content)["status"] == "rejected"


@pytest.mark.asyncio
async def test_a_request_submitted_twice_executes_once(tmp_path: Path) -> None:
    async with served_network(tmp_path) as served, httpx.AsyncClient() as client:
        base = served.urls[0]
        body, request_id = add_body(ALICE, amount=7)
        assert (
            await post(client, f"{base}/api/v2/canister/{NNS_COUNTER}/call", body)
        ).status_code == 202
        assert (
            await post(client, f"{base}/api/v2/canister/{NNS_COUNTER}/call", body)
        ).status_code == 202
        response = await post(client, f"{base}/api/v3/canister/{NNS_COUNTER}/call", body)
        assert response.status_code == 200
        certificate = Certificate.from_cbor(cbor.decode(response.content)["certificate"])
        assert certificate.lookup(["request_status", request_id, "status"]).value == b"replied"  # type: ignore[union-attr]
        again = await post(client, f"{base}/api/v3/canister/{NNS_COUNTER}/call", body)
        assert again.status_code == 200
        agent = AsyncAgent(base, identity=BOB, fetch_root_key=True)
        assert decode(await agent.query(NNS_COUNTER, "get", encode([], [])), [Nat]) == [7]
        await agent.close()


@pytest.mark.asyncio
async def test_request_status_is_readable_only_by_its_sender(tmp_path: Path) -> None:
    async with served_network(tmp_path) as served, httpx.AsyncClient() as client:
        base = served.urls[0]
        body, request_id = add_body(ALICE)
        assert (
            await post(client, f"{base}/api/v3/canister/{NNS_COUNTER}/call", body)
        ).status_code == 200
        url = f"{base}/api/v2/canister/{NNS_COUNTER}/read_state"
        for identity, expected in ((BOB, 403), (AnonymousIdentity(), 403), (ALICE, 200)):
            content = read_state_content(
                paths=[[b"request_status", request_id]],
                sender=identity.principal,
                ingress_expiry_ns=time.time_ns() + 60 * 10**9,
            )
            response = await post(client, url, sign_envelope(identity, content).to_cbor())
            assert response.status_code == expected, response.text
        content = read_state_content(
            paths=[[b"request_status", request_id], [b"request_status", b"\x00" * 32]],
            sender=ALICE.principal,
            ingress_expiry_ns=time.time_ns() + 60 * 10**9,
        )
        assert (await post(client, url, sign_envelope(ALICE, content).to_cbor())).status_code == 400
        # Certified data is not readable (icbox makes one exception: the NNS registry's, at
        # canister 0, where this network's counter sits; so another canister is asked here).
        content = read_state_content(
            paths=[[b"canister", Principal.from_canister_id(5).raw, b"certified_data"]],
            sender=ALICE.principal,
            ingress_expiry_ns=time.time_ns() + 60 * 10**9,
        )
        assert (await post(client, url, sign_envelope(ALICE, content).to_cbor())).status_code == 404


@pytest.mark.asyncio
async def test_v3_timeout_answers_202_and_the_agent_polls(tmp_path: Path) -> None:
    async with (
        served_network(tmp_path, call_timeout_seconds=0.0) as served,
        httpx.AsyncClient() as client,
    ):
        body, _ = add_body(ALICE)
        response = await post(client, f"{served.urls[0]}/api/v3/canister/{NNS_COUNTER}/call", body)
        assert response.status_code == 202
        agent = AsyncAgent(served.urls[0], identity=ALICE, fetch_root_key=True)
        assert decode(await agent.update(NNS_COUNTER, "add", encode([Nat], [1])), [Nat]) == [2]
        await agent.close()


@pytest.mark.asyncio
async def test_without_v3_the_agent_falls_back_to_v2(tmp_path: Path) -> None:
    async with served_network(tmp_path, enable_v3_call=False) as served:
        agent = AsyncAgent(served.urls[0], identity=ALICE, fetch_root_key=True)
        assert decode(await agent.update(NNS_COUNTER, "add", encode([Nat], [4])), [Nat]) == [4]
        assert agent._use_v3_call is False
        await agent.close()


@pytest.mark.asyncio
async def test_a_slow_client_does_not_block_others(tmp_path: Path) -> None:
    async with served_network(tmp_path) as served:
        _reader, writer = await asyncio.open_connection("127.0.0.1", served.servers[0].port)
        writer.write(
            b"POST /api/v2/canister/"
            + str(NNS_COUNTER).encode()
            + b"/call HTTP/1.1\r\nHost: x\r\nContent-Type: application/cbor\r\n"
            + b"Content-Length: 1000\r\n\r\nabc"
        )
        await writer.drain()
        agent = AsyncAgent(served.urls[0], identity=ALICE, fetch_root_key=True)
        assert decode(await agent.update(NNS_COUNTER, "add", encode([Nat], [1])), [Nat]) == [1]
        await agent.close()
        writer.close()


@pytest.mark.asyncio
async def test_v3_read_state_hides_the_flat_ranges_of_other_subnets_than_the_nns(
    tmp_path: Path,
) -> None:
    async with served_network(tmp_path) as served, httpx.AsyncClient() as client:
        nns, app = (info.subnet_id for info in served.network.subnet_infos)
        base = served.urls[1]

        async def read(version: str, paths: list[list[bytes]]) -> httpx.Response:
            content = read_state_content(
                paths=paths, sender=ALICE.principal, ingress_expiry_ns=time.time_ns() + 60 * 10**9
            )
            return await post(
                client,
                f"{base}/api/{version}/canister/{APP_COUNTER}/read_state",
                sign_envelope(ALICE, content).to_cbor(),
            )

        flat = [b"subnet", app.raw, b"canister_ranges"]
        assert (await read("v3", [flat])).status_code == 404
        assert (await read("v2", [flat])).status_code == 200
        response = await read("v3", [[b"subnet"]])
        certificate = Certificate.from_cbor(cbor.decode(response.content)["certificate"])
        assert type(certificate.lookup(flat)).__name__ == "Unknown"
        assert certificate.lookup([b"subnet", app.raw, b"public_key"]).value  # type: ignore[union-attr]
        assert certificate.lookup([b"subnet", nns.raw, b"canister_ranges"]).value  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_a_call_larger_than_the_subnet_allows_is_413(tmp_path: Path) -> None:
    async with (
        served_network(tmp_path, max_ingress_bytes=2_000) as served,
        httpx.AsyncClient() as client,
    ):
        identity = Ed25519Identity.generate()
        content = call_content(
            "call",
            canister_id=NNS_COUNTER,
            method_name="add",
            arg=b"\x00" * 3_000,
            sender=identity.principal,
            ingress_expiry_ns=time.time_ns() + 60 * 10**9,
        )
        response = await post(
            client,
            f"{served.urls[0]}/api/v2/canister/{NNS_COUNTER}/call",
            sign_envelope(identity, content).to_cbor(),
        )
        assert response.status_code == 413 and "is too large" in response.text


@pytest.mark.asyncio
async def test_a_request_is_finished_once_its_executed_status_is_terminal(
    tmp_path: Path,
) -> None:
    """What a synchronous call waits for before it reads the certified tree: false while the
    request is unknown or pending, true once its executed status is replied (and its certified
    status can be read then)."""
    async with served_network(tmp_path) as served, httpx.AsyncClient() as client:
        replica = served.network.replicas[0]
        body, request_id = add_body(ALICE, amount=3)
        assert not replica.is_request_finished(request_id)
        assert (
            await post(client, f"{served.urls[0]}/api/v2/canister/{NNS_COUNTER}/call", body)
        ).status_code == 202
        while not replica.is_request_finished(request_id):
            await asyncio.sleep(0.01)
        status = replica.state.engine.ingress_status(request_id)
        assert status is not None and status.status.is_terminal
        response = await post(client, f"{served.urls[0]}/api/v3/canister/{NNS_COUNTER}/call", body)
        assert response.status_code == 200
        certificate = Certificate.from_cbor(cbor.decode(response.content)["certificate"])
        assert certificate.lookup(["request_status", request_id, "status"]).value == b"replied"  # type: ignore[union-attr]
