"""The P2P service over real TCP and TLS 1.3: delivery, registry pinning, slow peers, resends."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from replica.consensus.artifacts import Artifact, IngressArtifact
from replica.crypto.keys import NodeSecretKeys
from replica.execution.messages import IngressMessage
from replica.p2p import peers as peers_module
from replica.p2p.frames import Hello
from replica.p2p.peers import P2PService, PeerAddress
from replica.p2p.tls import write_tls_files
from replica.types import Principal

pytestmark = pytest.mark.asyncio

SEED = b"p2p-test"


def ingress(number: int) -> IngressArtifact:
    return IngressArtifact(
        message=IngressMessage(
            message_id=number.to_bytes(32, "big"),
            sender=Principal.anonymous(),
            canister_id=Principal.from_canister_id(1),
            method="add",
            arg=b"",
            ingress_expiry_ns=10**18,
        )
    )


class Node:
    def __init__(
        self,
        keys: NodeSecretKeys,
        directory: Path,
        registered: Callable[[], Mapping[Principal, bytes]],
        *,
        port: int = 0,
        resend: Sequence[Artifact] = (),
    ) -> None:
        self.keys = keys
        self.received: list[tuple[Principal, Artifact]] = []
        self.cup_height = 0
        certificate, key = write_tls_files(keys, directory)
        self.service = P2PService(
            node_id=keys.node_id,
            listen=("127.0.0.1", port),
            certificate_path=certificate,
            key_path=key,
            get_allowed=lambda: {n: c for n, c in registered().items() if n != keys.node_id},
            get_hello=lambda: Hello(cup_height=self.cup_height, registry_version=1),
            resend=lambda hello: [
                a for a in resend if a.height > hello.cup_height or isinstance(a, IngressArtifact)
            ],
            on_artifacts=lambda sender, artifacts: self.received.extend(
                (sender, a) for a in artifacts
            ),
        )

    @property
    def address(self) -> PeerAddress:
        return PeerAddress(node_id=self.keys.node_id, host="127.0.0.1", port=self.service.listen[1])

    def ids(self) -> set[bytes]:
        return {artifact.id for _, artifact in self.received}


async def wait_for(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.02)


def registry_of(*keys: NodeSecretKeys) -> Callable[[], Mapping[Principal, bytes]]:
    return lambda: {k.node_id: k.tls_certificate_der for k in keys}


async def test_registered_peers_exchange_artifacts_both_ways(tmp_path: Path) -> None:
    a_keys, b_keys = NodeSecretKeys.from_seed(SEED, 0), NodeSecretKeys.from_seed(SEED, 1)
    registry = registry_of(a_keys, b_keys)
    a, b = Node(a_keys, tmp_path / "a", registry), Node(b_keys, tmp_path / "b", registry)
    await a.service.start()
    await b.service.start()
    try:
        a.service.set_peers([b.address])
        b.service.set_peers([a.address])
        await wait_for(lambda: bool(a.service.connected_peers and b.service.connected_peers))
        a.service.broadcast([ingress(1), ingress(2)])
        b.service.broadcast([ingress(3)])
        await wait_for(lambda: len(b.received) == 2 and len(a.received) == 1)
        assert {sender for sender, _ in b.received} == {a_keys.node_id}
        assert a.ids() == {ingress(3).id}
    finally:
        await a.service.close()
        await b.service.close()


async def test_a_key_not_in_the_registry_is_refused_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    a_keys, b_keys = NodeSecretKeys.from_seed(SEED, 0), NodeSecretKeys.from_seed(SEED, 1)
    intruder_keys = NodeSecretKeys.from_seed(b"another network", 1)
    a = Node(a_keys, tmp_path / "a", registry_of(a_keys, b_keys))
    # The intruder believes it belongs (it trusts a's certificate), but a's registry does not list it.
    intruder = Node(intruder_keys, tmp_path / "i", registry_of(a_keys, intruder_keys))
    await a.service.start()
    await intruder.service.start()
    caplog.set_level(logging.WARNING, logger="icbox.p2p")
    try:
        intruder.service.set_peers([a.address])
        intruder.service.broadcast([ingress(9)])
        await wait_for(lambda: a.service.refused >= 1)
        await asyncio.sleep(0.3)
        assert a.received == []
        assert not intruder.service.connected_peers
        assert any("refused P2P connection" in record.getMessage() for record in caplog.records)
    finally:
        await a.service.close()
        await intruder.service.close()


async def test_a_dead_peer_does_not_hold_up_the_others(tmp_path: Path) -> None:
    keys = [NodeSecretKeys.from_seed(SEED, i) for i in range(3)]
    registry = registry_of(*keys)
    a, b = Node(keys[0], tmp_path / "a", registry), Node(keys[1], tmp_path / "b", registry)
    await a.service.start()
    await b.service.start()
    try:
        dead = PeerAddress(
            node_id=keys[2].node_id, host="127.0.0.1", port=1
        )  # nothing listens there
        a.service.set_peers([dead, b.address])
        for number in range(200):
            a.service.broadcast([ingress(number)])
        await wait_for(lambda: len(b.received) == 200)
        assert keys[2].node_id not in a.service.connected_peers
    finally:
        await a.service.close()
        await b.service.close()


async def test_an_overflowing_queue_resets_the_connection_and_the_resend_fills_the_gap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(peers_module, "QUEUE_LIMIT", 10)
    a_keys, b_keys = NodeSecretKeys.from_seed(SEED, 0), NodeSecretKeys.from_seed(SEED, 1)
    registry = registry_of(a_keys, b_keys)
    held: list[Artifact] = []
    a = Node(a_keys, tmp_path / "a", registry, resend=held)
    b = Node(b_keys, tmp_path / "b", registry)
    await a.service.start()
    await b.service.start()
    try:
        a.service.set_peers([b.address])
        await wait_for(lambda: bool(a.service.connected_peers))
        held.extend(ingress(n) for n in range(30))  # what a's pool holds now
        a.service.broadcast(held)  # 30 > 10: the queue overflows, the connection is reset
        await wait_for(lambda: {x.id for x in held} <= b.ids())
        assert a.service.stats[b_keys.node_id].connections >= 2
        assert a.service.stats[b_keys.node_id].resets >= 1
    finally:
        await a.service.close()
        await b.service.close()


async def test_a_peer_that_comes_back_receives_what_it_lacks_above_its_cup(tmp_path: Path) -> None:
    a_keys, b_keys = NodeSecretKeys.from_seed(SEED, 0), NodeSecretKeys.from_seed(SEED, 1)
    registry = registry_of(a_keys, b_keys)
    held = [ingress(n) for n in range(5)]
    a = Node(a_keys, tmp_path / "a", registry, resend=held)
    b = Node(b_keys, tmp_path / "b", registry)
    await a.service.start()
    await b.service.start()
    port = b.service.listen[1]
    a.service.set_peers([b.address])
    await wait_for(lambda: len(b.received) == 5)
    await b.service.close()  # b goes away; what a broadcasts now is lost
    a.service.broadcast([ingress(99)])
    await asyncio.sleep(0.3)
    b2 = Node(b_keys, tmp_path / "b2", registry, port=port)
    await b2.service.start()
    try:
        await wait_for(lambda: {x.id for x in held} <= b2.ids())
    finally:
        await a.service.close()
        await b2.service.close()
