"""Catch-up packages over HTTP: `/_/catch_up_package` and the orchestrator's fetch (spec C).

A replica answers `POST /_/catch_up_package` with its latest CUP, or, given the
(height, registry version) of the CUP the asker has, only with a newer one (204
otherwise; `rs/http_endpoints/public/src/catch_up_package.rs`). The orchestrator
asks its replica and its peers, keeps the newest answer whose signature
verifies with the subnet's key from the registry and persists it for its
replica (`rs/orchestrator/src/catch_up_package_provider.rs`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import cast

import pytest

from registry.client import RegistryClient
from replica.consensus.artifacts import CatchUpPackage, is_newer_cup
from replica.consensus.node import ReplicaNode
from replica.http.api import HttpApi
from replica.http.backend import ReplicaBackend, ServedCatchUpPackage
from replica.orchestrator.cup_provider import (
    encode_cup_param,
    fetch_newest_cup,
    read_peer_cup,
    verify_peer_cup,
    write_peer_cup,
)
from replica.sim.world import World
from replica.types import Principal
from tests.replica.sim.scenarios import consensus_world


class CupServer:
    """The one part of a replica `/_/catch_up_package` asks: its latest CUP."""

    def __init__(self, cup: CatchUpPackage | None) -> None:
        self.cup = cup

    def catch_up_package(self) -> ServedCatchUpPackage | None:
        cup = self.cup
        if cup is None:
            return None
        return ServedCatchUpPackage(
            data=cup.to_bytes(), height=cup.height, registry_version=cup.registry_version
        )


def api_of(cup: CatchUpPackage | None) -> HttpApi:
    return HttpApi(cast(ReplicaBackend, CupServer(cup)))


@pytest.fixture(scope="module")
def subnet() -> Iterator[tuple[World, CatchUpPackage, CatchUpPackage]]:
    """A subnet that has made signed CUPs: its registry CUP and its latest one."""
    with consensus_world(1401, nodes=4, heights=12) as world:
        world.run_until_height(12)
        replica = world.replica(world.members()[0])
        assert isinstance(replica, ReplicaNode)
        latest = replica.latest_cup
        assert latest.height > 0 and latest.signature
        yield world, replica.instance.genesis_cup, latest


def client_of(world: World) -> RegistryClient:
    client = RegistryClient(lambda version: (world.registry.get_changes_since(version), 0))
    client.sync()
    return client


def test_the_endpoint_answers_the_latest_cup_or_only_a_newer_one() -> None:
    served = ServedCatchUpPackage(data=b"cup-bytes", height=10, registry_version=2)

    class Fixed:
        def catch_up_package(self) -> ServedCatchUpPackage:
            return served

    api = HttpApi(cast(ReplicaBackend, Fixed()))

    def post(body: bytes) -> tuple[int, bytes]:
        response = asyncio.run(api.handle("POST", "/_/catch_up_package", None, body))
        return response.status, response.body

    assert post(b"") == (200, b"cup-bytes")
    assert post(encode_cup_param(5, 2)) == (200, b"cup-bytes")
    assert post(encode_cup_param(10, 2))[0] == 204, "not newer than what the asker has"
    assert post(encode_cup_param(10, 1)) == (200, b"cup-bytes"), "a newer registry version"
    assert post(encode_cup_param(11, 1))[0] == 204
    assert post(b"\xa1\x01")[0] == 400
    get = asyncio.run(api.handle("GET", "/_/catch_up_package", None, b""))
    assert get.status == 405


def test_cup_order_follows_height_then_registry_version() -> None:
    assert is_newer_cup(10, 2, (5, 2))
    assert is_newer_cup(5, 3, (5, 2))
    assert not is_newer_cup(10, 1, (5, 2)), "a lower registry version never"
    assert not is_newer_cup(5, 2, (5, 2))


def test_the_newest_verified_peer_cup_wins(
    subnet: tuple[World, CatchUpPackage, CatchUpPackage], tmp_path: Path
) -> None:
    world, genesis, latest = subnet
    registry, subnet_id = client_of(world), world.subnets[0].subnet_id
    forged = replace(latest, signature=bytes(len(latest.signature)))
    apis = {
        "http://own": api_of(genesis),  # unsigned: a registry CUP proves nothing
        "http://forger": api_of(forged),
        "http://honest": api_of(latest),
        "http://down": api_of(None),
    }

    async def post(url: str, body: bytes) -> tuple[int, bytes]:
        base, _, path = url.partition("/_/")
        response = await apis[base].handle("POST", "/_/" + path, None, body)
        return response.status, response.body

    found = asyncio.run(
        fetch_newest_cup(
            urls=list(apis), post=post, registry=registry, subnet_id=subnet_id, have=(0, 1)
        )
    )
    assert found == latest
    assert verify_peer_cup(forged.to_bytes(), registry, subnet_id) is None
    assert verify_peer_cup(latest.to_bytes(), registry, Principal.anonymous()) is None, (
        "checked with the key of the subnet it claims"
    )
    nothing_newer = asyncio.run(
        fetch_newest_cup(
            urls=list(apis),
            post=post,
            registry=registry,
            subnet_id=subnet_id,
            have=(latest.height, latest.registry_version),
        )
    )
    assert nothing_newer is None
    write_peer_cup(tmp_path, latest)
    assert read_peer_cup(tmp_path) == latest
