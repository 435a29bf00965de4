"""The agent against a live local network: identities, delegations, certificate and signature
checks."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest

from replica.agent.agent import AsyncAgent
from replica.agent.errors import AgentError, HttpStatusError, RejectError, VerificationError
from replica.agent.identity import (
    EcdsaIdentity,
    Ed25519Identity,
    Identity,
    delegate,
    identity_from_pem,
)
from replica.agent.sync import Agent
from replica.candid import decode, encode
from replica.candid.types import Nat
from replica.crypto.certificate import Certificate, CertificateError, verify_certificate
from tests.replica.http.network import APP_COUNTER, NNS_COUNTER, network_in_thread, served_network

ADD_ONE = encode([Nat], [1])
NO_ARGS = encode([], [])

# What `dfx identity new` writes: PKCS#8 v2 (RFC 8410 OneAsymmetricKey with the public key), seed 07
# x 32.
DFX_PEM_SEED = b"\x07" * 32
DFX_PEM_V2 = (
    "-----BEGIN PRIVATE KEY-----\n"
    + base64.b64encode(
        bytes.fromhex("3053020101300506032b657004220420")
        + DFX_PEM_SEED
        + bytes.fromhex("a123032100")
        + Ed25519Identity.from_seed(DFX_PEM_SEED).public_key_der[-32:]
    ).decode()
    + "\n-----END PRIVATE KEY-----\n"
)


def test_dfx_identity_pem_is_read_and_written() -> None:
    identity = Ed25519Identity.from_pem(DFX_PEM_V2)
    # the principal of seed 07 x 32, as agent-js computes it (spec/http-interface.md section 2.4)
    assert (
        identity.principal.to_text()
        == "tek7g-2zmny-nzjwg-ansf7-rkxv6-z32x6-3flbb-ous5d-pygjx-wkhlc-jae"
    )
    assert Ed25519Identity.from_pem(identity.to_pem()).principal == identity.principal
    secp = EcdsaIdentity.generate("secp256k1")
    assert identity_from_pem(secp.to_pem()).principal == secp.principal
    assert identity_from_pem(DFX_PEM_V2).principal == identity.principal


@pytest.mark.asyncio
async def test_every_key_kind_and_a_delegation_chain_can_call(tmp_path: Path) -> None:
    root = Ed25519Identity.from_seed(b"\x03" * 32)
    session = EcdsaIdentity.generate("p256")
    expiry = time.time_ns() + 3600 * 10**9
    chained = delegate(
        delegate(root, Ed25519Identity.generate(), expiration_ns=expiry),
        session,
        expiration_ns=expiry,
    )
    identities: list[Identity] = [
        Ed25519Identity.generate(),
        EcdsaIdentity.generate("secp256k1"),
        EcdsaIdentity.generate("p256"),
        chained,
    ]
    async with served_network(tmp_path) as served:
        for count, identity in enumerate(identities, start=1):
            agent = AsyncAgent(served.urls[0], identity=identity, fetch_root_key=True)
            assert decode(await agent.update(NNS_COUNTER, "add", ADD_ONE), [Nat]) == [count]
            await agent.close()
        assert chained.principal == root.principal


@pytest.mark.asyncio
async def test_delegation_targets_and_expiry_are_enforced(tmp_path: Path) -> None:
    root = Ed25519Identity.generate()
    future = time.time_ns() + 3600 * 10**9
    scoped = delegate(
        root, Ed25519Identity.generate(), expiration_ns=future, targets=(APP_COUNTER,)
    )
    expired = delegate(root, Ed25519Identity.generate(), expiration_ns=time.time_ns() - 10**9)
    async with served_network(tmp_path) as served:
        agent = AsyncAgent(served.urls[0], identity=scoped, fetch_root_key=True)
        with pytest.raises(HttpStatusError) as refused:
            await agent.update(NNS_COUNTER, "add", ADD_ONE)
        assert refused.value.status == 400 and "delegation targets" in refused.value.reason
        app = AsyncAgent(served.urls[1], identity=scoped, fetch_root_key=True)
        assert decode(await app.update(APP_COUNTER, "add", ADD_ONE), [Nat]) == [1]
        late = AsyncAgent(served.urls[0], identity=expired, fetch_root_key=True)
        with pytest.raises(HttpStatusError, match="expired"):
            await late.update(NNS_COUNTER, "add", ADD_ONE)
        for each in (agent, app, late):
            await each.close()


@pytest.mark.asyncio
async def test_a_tampered_certificate_and_a_foreign_delegation_fail(tmp_path: Path) -> None:
    async with served_network(tmp_path) as served:
        agent = AsyncAgent(served.urls[1], fetch_root_key=True)
        certificate = await agent.read_state(APP_COUNTER, [["time"]])
        assert certificate.delegation is not None
        data = certificate.to_cbor()
        root_key = served.network.root_key_der
        for index in range(len(data)):
            tampered = bytearray(data)
            tampered[index] ^= 0x01
            with pytest.raises((CertificateError, ValueError)):
                verify_certificate(
                    Certificate.from_cbor(bytes(tampered)),
                    root_key,
                    now_ns=None,
                    effective_canister_id=APP_COUNTER,
                )
        with pytest.raises(CertificateError, match="outside the ranges"):
            verify_certificate(
                certificate, root_key, now_ns=None, effective_canister_id=NNS_COUNTER
            )
        with pytest.raises(VerificationError, match="outside the ranges"):
            await agent.read_state(
                NNS_COUNTER, [["time"]]
            )  # the app subnet answering for an NNS canister
        await agent.close()


@pytest.mark.asyncio
async def test_a_pinned_wrong_root_key_fails_every_certificate(tmp_path: Path) -> None:
    async with served_network(tmp_path) as served:
        wrong = served.network.subnet_infos[1].public_key_der
        agent = AsyncAgent(served.urls[0], root_key_der=wrong)
        with pytest.raises(VerificationError):
            await agent.update(NNS_COUNTER, "add", ADD_ONE)
        await agent.close()
    with pytest.raises(AgentError):
        AsyncAgent("http://127.0.0.1:1")


@pytest.mark.asyncio
async def test_query_signatures_are_checked_against_the_node_keys(tmp_path: Path) -> None:
    async with served_network(tmp_path) as served:
        replica = served.network.replicas[0]
        agent = AsyncAgent(served.urls[0], fetch_root_key=True)
        assert decode(await agent.query(NNS_COUNTER, "get", NO_ARGS), [Nat]) == [0]
        keys = await agent.subnet_node_keys(NNS_COUNTER)
        assert keys == {replica.node_id: replica._node_keys.signing_key_der}
        forged = Ed25519Identity.generate()
        replica.sign_as_node = forged.sign  # type: ignore[method-assign]
        with pytest.raises(VerificationError, match="query signature"):
            await agent.query(NNS_COUNTER, "get", NO_ARGS)
        await agent.close()


@pytest.mark.asyncio
async def test_a_stale_replica_clock_is_synced_once(tmp_path: Path) -> None:
    async with served_network(
        tmp_path, clock_offset_ns=-8 * 60 * 10**9
    ) as served:  # eight minutes behind
        agent = AsyncAgent(served.urls[0], identity=Ed25519Identity.generate(), fetch_root_key=True)
        assert decode(await agent.update(NNS_COUNTER, "add", ADD_ONE), [Nat]) == [1]
        assert agent.time_offset_ns < -7 * 60 * 10**9
        await agent.close()


@pytest.mark.asyncio
async def test_a_rejected_call_is_a_certified_reject(tmp_path: Path) -> None:
    async with served_network(tmp_path) as served:
        agent = AsyncAgent(served.urls[0], identity=Ed25519Identity.generate(), fetch_root_key=True)
        with pytest.raises(RejectError) as rejected:
            await agent.update(NNS_COUNTER, "no_such_method", NO_ARGS)
        assert rejected.value.certified
        await agent.close()


def test_the_synchronous_agent(tmp_path: Path) -> None:
    with (
        network_in_thread(tmp_path) as urls,
        Agent(urls[1], identity=Ed25519Identity.generate(), fetch_root_key=True) as agent,
    ):
        assert decode(agent.update(APP_COUNTER, "add", ADD_ONE), [Nat]) == [1]
        assert decode(agent.query(APP_COUNTER, "get", NO_ARGS), [Nat]) == [1]
        assert agent.read_state(APP_COUNTER, [["time"]]).time_ns() > 0
        assert isinstance(agent.status()["root_key"], bytes)
