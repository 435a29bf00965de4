"""The registry client: replication in pages, questions at a version, topology and diffs."""

from __future__ import annotations

import json

from registry.client import RegistryClient
from registry.records import DataCenterRecord, KeyPurpose
from registry.requests import ChangeSubnetMembershipPayload, UpdateSubnetPayload
from registry.store import upsert
from registry.topology import diff_topology, topology_at
from replica.types import Principal
from tests.registry.world import GOVERNANCE, make_registry


def test_client_replicates_in_pages() -> None:
    world = make_registry()
    for index in range(25):
        world.registry.apply(
            [
                upsert(
                    "data_center_record_dc", DataCenterRecord(id="dc", region=str(index), owner="o")
                )
            ]
        )
    pages: list[int] = []

    def fetch(version: int) -> tuple[list, int]:  # type: ignore[type-arg]
        pages.append(version)
        deltas = world.registry.registry.get_changes_since(version, 10)
        return deltas, world.registry.registry.latest_version

    client = RegistryClient(fetch)
    assert client.sync() == 26
    assert pages == [0, 10, 20]
    assert client.get("data_center_record_dc").region == "24"
    assert client.get("data_center_record_dc", 5).region == "3"
    assert client.sync() == 26


def test_questions_at_a_version() -> None:
    world = make_registry()
    old = world.members(world.app_subnet)[0]
    new = world.unassigned[0]
    world.registry.change_subnet_membership(
        GOVERNANCE,
        ChangeSubnetMembershipPayload(
            subnet_id=world.app_subnet, node_ids_add=(new,), node_ids_remove=(old,)
        ),
    )
    client = world.client()
    assert client.get_subnet_of_node(old, 1) == world.app_subnet
    assert client.get_subnet_of_node(old) is None
    assert client.get_subnet_of_node(new) == world.app_subnet
    assert old in client.get_unassigned_nodes() and new not in client.get_unassigned_nodes()
    assert client.get_replica_version(world.app_subnet) == "0.1.0"
    signing = client.get_node_public_key(new, KeyPurpose.NODE_SIGNING)
    assert signing is not None and Principal.self_authenticating(signing) == new


def test_routing_finds_the_nns_canisters_on_the_nns_subnet() -> None:
    world = make_registry()
    client = world.client()
    governance = Principal.from_text("rrkah-fqaaa-aaaaa-aaaaq-cai")
    assert client.route(governance) == world.nns_subnet
    assert client.route(2**20) == world.app_subnet
    assert client.route(2**20 - 1) == world.nns_subnet
    assert client.route(2 * 2**20) is None
    assert client.route(Principal.anonymous()) is None


def test_topology_view_and_diff() -> None:
    world = make_registry()
    before = topology_at(world.client())
    old = world.members(world.app_subnet)[0]
    new = world.unassigned[0]
    world.registry.change_subnet_membership(
        GOVERNANCE,
        ChangeSubnetMembershipPayload(
            subnet_id=world.app_subnet, node_ids_add=(new,), node_ids_remove=(old,)
        ),
    )
    world.registry.update_subnet(
        GOVERNANCE, UpdateSubnetPayload(subnet_id=world.app_subnet, is_halted=True)
    )
    client = world.client()
    after = topology_at(client)
    json.dumps(after)
    assert topology_at(client, 1) == before
    change = diff_topology(before, after)
    (subnet,) = change["subnets_changed"]
    assert subnet["nodes_added"] == [new.to_text()] and subnet["nodes_removed"] == [old.to_text()]
    assert subnet["is_halted"] == {"from": False, "to": True}
    assert len(before["subnets"]) == 2 and len(before["unassigned_nodes"]) == 3
    assert before["subnets"][0]["type"] == "system"
