"""Proposal-driven mutations and node registration: happy paths and refusals."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest

from registry.errors import (
    InvalidPayload,
    KeyAlreadyPresent,
    KeyNotPresent,
    RegistryError,
    Unauthorized,
)
from registry.genesis import make_node_keys
from registry.records import (
    BLESSED_REPLICA_VERSIONS_KEY,
    ROUTING_TABLE_KEY,
    UNASSIGNED_NODES_CONFIG_KEY,
    DataCenterRecord,
    Endpoint,
    SubnetType,
    node_operator_record_key,
    node_record_key,
    subnet_record_key,
    threshold_public_key_key,
)
from registry.requests import (
    AddNodeOperatorPayload,
    AddNodePayload,
    AddNodesToSubnetPayload,
    AddOrRemoveDataCentersProposalPayload,
    ChangeSubnetMembershipPayload,
    CreateSubnetPayload,
    DeployGuestosToAllSubnetNodesPayload,
    DeployGuestosToAllUnassignedNodesPayload,
    RecoverSubnetPayload,
    RemoveNodesFromSubnetPayload,
    RemoveNodesPayload,
    ReviseElectedGuestosVersionsPayload,
    UpdateNodeOperatorConfigPayload,
    UpdateSubnetPayload,
)
from replica.types import Principal
from tests.registry.world import GOVERNANCE, RegistryWorld, make_registry

SHA = "ab" * 32
STRANGER = Principal.self_authenticating(b"stranger")


def refused(world: RegistryWorld, error: type[RegistryError], call: Callable[[], object]) -> None:
    before, version = world.registry.state_hash(), world.registry.registry.latest_version
    with pytest.raises(error):
        call()
    assert world.registry.registry.latest_version == version
    assert world.registry.state_hash() == before


def create_payload(world: RegistryWorld, nodes: tuple[Principal, ...]) -> CreateSubnetPayload:
    return CreateSubnetPayload(
        node_ids=nodes,
        subnet_type=SubnetType.APPLICATION,
        replica_version_id=world.description.replica_version_id,
        dkg_interval_length=19,
        unit_delay_millis=500,
        initial_notary_delay_millis=300,
    )


def test_create_subnet_writes_one_version() -> None:
    world = make_registry()
    nodes = tuple(world.unassigned[:2])
    subnet = world.registry.create_subnet(GOVERNANCE, create_payload(world, nodes))
    client = world.client()
    assert client.latest_version == 2
    assert client.get_subnet_members(subnet) == nodes
    assert subnet in client.get_subnet_ids()
    der = client.get_threshold_public_key_der(subnet)
    assert der is not None and Principal.self_authenticating(der) == subnet
    table = world.registry.registry.get(ROUTING_TABLE_KEY)
    assert table.entries[-1].subnet_id == subnet and table.entries[-1].start == 2 * 2**20
    assert client.route(2 * 2**20 + 5) == subnet


def test_create_subnet_refusals() -> None:
    world = make_registry()
    member = world.members(world.app_subnet)[0]
    refused(
        world,
        Unauthorized,
        lambda: world.registry.create_subnet(
            STRANGER, create_payload(world, (world.unassigned[0],))
        ),
    )
    refused(
        world,
        InvalidPayload,
        lambda: world.registry.create_subnet(GOVERNANCE, create_payload(world, (member,))),
    )
    refused(
        world,
        InvalidPayload,
        lambda: world.registry.create_subnet(GOVERNANCE, create_payload(world, (STRANGER,))),
    )
    refused(
        world,
        InvalidPayload,
        lambda: world.registry.create_subnet(GOVERNANCE, create_payload(world, ())),
    )


def test_add_and_remove_nodes() -> None:
    world = make_registry()
    node = world.unassigned[0]
    world.registry.add_nodes_to_subnet(
        GOVERNANCE, AddNodesToSubnetPayload(subnet_id=world.app_subnet, node_ids=(node,))
    )
    assert node in world.members(world.app_subnet)
    nns_member = world.members(world.nns_subnet)[0]
    refused(
        world,
        RegistryError,
        lambda: world.registry.add_nodes_to_subnet(
            GOVERNANCE, AddNodesToSubnetPayload(subnet_id=world.app_subnet, node_ids=(nns_member,))
        ),
    )
    world.registry.remove_nodes_from_subnet(
        GOVERNANCE, RemoveNodesFromSubnetPayload(node_ids=(node,))
    )
    assert node not in world.members(world.app_subnet)
    refused(
        world,
        InvalidPayload,
        lambda: world.registry.remove_nodes_from_subnet(
            GOVERNANCE, RemoveNodesFromSubnetPayload(node_ids=(node,))
        ),
    )


def test_change_subnet_membership_adds_and_removes_in_one_version() -> None:
    world = make_registry()
    old = world.members(world.app_subnet)[0]
    new = world.unassigned[0]
    version = world.registry.change_subnet_membership(
        GOVERNANCE,
        ChangeSubnetMembershipPayload(
            subnet_id=world.app_subnet, node_ids_add=(new,), node_ids_remove=(old,)
        ),
    )
    client = world.client()
    assert new in client.get_subnet_members(world.app_subnet, version)
    assert old not in client.get_subnet_members(world.app_subnet, version)
    assert old in client.get_subnet_members(world.app_subnet, version - 1)
    refused(
        world,
        InvalidPayload,
        lambda: world.registry.change_subnet_membership(
            GOVERNANCE,
            ChangeSubnetMembershipPayload(
                subnet_id=world.app_subnet, node_ids_add=(), node_ids_remove=(old,)
            ),
        ),
    )
    refused(
        world,
        InvalidPayload,
        lambda: world.registry.change_subnet_membership(
            GOVERNANCE,
            ChangeSubnetMembershipPayload(
                subnet_id=world.app_subnet, node_ids_add=(old,), node_ids_remove=(old,)
            ),
        ),
    )


def test_update_subnet_merges_fields_and_halts() -> None:
    world = make_registry()
    world.registry.update_subnet(
        GOVERNANCE,
        UpdateSubnetPayload(subnet_id=world.app_subnet, is_halted=True, dkg_interval_length=9),
    )
    record = world.registry._subnet(world.app_subnet)
    assert record.is_halted and record.dkg_interval_length == 9
    refused(
        world,
        InvalidPayload,
        lambda: world.registry.update_subnet(
            GOVERNANCE, UpdateSubnetPayload(subnet_id=world.app_subnet)
        ),
    )
    refused(
        world,
        InvalidPayload,
        lambda: world.registry.update_subnet(
            GOVERNANCE, UpdateSubnetPayload(subnet_id=world.app_subnet, unit_delay_millis=0)
        ),
    )
    refused(
        world,
        InvalidPayload,
        lambda: world.registry.update_subnet(
            GOVERNANCE, UpdateSubnetPayload(subnet_id=STRANGER, is_halted=True)
        ),
    )


def test_elect_deploy_and_unelect_replica_versions() -> None:
    world = make_registry()
    elect = ReviseElectedGuestosVersionsPayload(
        replica_version_to_elect="0.2.0",
        release_package_sha256_hex=SHA,
        release_package_urls=("http://localhost/r.tar.gz",),
    )
    world.registry.revise_elected_guestos_versions(GOVERNANCE, elect)
    assert "0.2.0" in world.registry.registry.get(BLESSED_REPLICA_VERSIONS_KEY).blessed_version_ids
    refused(
        world,
        InvalidPayload,
        lambda: world.registry.deploy_guestos_to_all_subnet_nodes(
            GOVERNANCE,
            DeployGuestosToAllSubnetNodesPayload(
                subnet_id=world.app_subnet, replica_version_id="0.3.0"
            ),
        ),
    )
    world.registry.deploy_guestos_to_all_subnet_nodes(
        GOVERNANCE,
        DeployGuestosToAllSubnetNodesPayload(
            subnet_id=world.app_subnet, replica_version_id="0.2.0"
        ),
    )
    assert world.client().get_replica_version(world.app_subnet) == "0.2.0"
    refused(
        world,
        InvalidPayload,
        lambda: world.registry.revise_elected_guestos_versions(
            GOVERNANCE, ReviseElectedGuestosVersionsPayload(replica_versions_to_unelect=("0.2.0",))
        ),
    )
    world.registry.deploy_guestos_to_all_unassigned_nodes(
        GOVERNANCE, DeployGuestosToAllUnassignedNodesPayload(elected_replica_version="0.2.0")
    )
    assert world.registry.registry.get(UNASSIGNED_NODES_CONFIG_KEY).replica_version == "0.2.0"
    refused(
        world,
        InvalidPayload,
        lambda: world.registry.revise_elected_guestos_versions(
            GOVERNANCE, ReviseElectedGuestosVersionsPayload(replica_version_to_elect="0.4.0")
        ),
    )
    refused(
        world,
        KeyAlreadyPresent,
        lambda: world.registry.revise_elected_guestos_versions(GOVERNANCE, elect),
    )


def test_recover_subnet_replaces_keys_and_halts() -> None:
    world = make_registry()
    old_key = world.registry.registry.get(threshold_public_key_key(world.app_subnet))
    world.registry.recover_subnet(
        GOVERNANCE,
        RecoverSubnetPayload(
            subnet_id=world.app_subnet,
            height=100,
            time_ns=5,
            state_hash=b"\x01" * 32,
            replacement_nodes=tuple(world.unassigned[:2]),
        ),
    )
    assert world.members(world.app_subnet) == tuple(world.unassigned[:2])
    assert world.registry._subnet(world.app_subnet).is_halted
    assert world.registry.registry.get(threshold_public_key_key(world.app_subnet)) != old_key
    refused(
        world,
        InvalidPayload,
        lambda: world.registry.recover_subnet(
            GOVERNANCE,
            RecoverSubnetPayload(
                subnet_id=world.app_subnet, height=1, time_ns=1, state_hash=b"short"
            ),
        ),
    )


def test_node_operators_and_node_registration() -> None:
    world = make_registry()
    operator = Principal.self_authenticating(b"new-operator")
    world.registry.add_node_operator(
        GOVERNANCE,
        AddNodeOperatorPayload(
            node_operator_principal_id=operator,
            node_provider_principal_id=operator,
            node_allowance=1,
        ),
    )
    refused(
        world,
        KeyAlreadyPresent,
        lambda: world.registry.add_node_operator(
            GOVERNANCE,
            AddNodeOperatorPayload(
                node_operator_principal_id=operator,
                node_provider_principal_id=operator,
                node_allowance=1,
            ),
        ),
    )
    signing, dealing, committee, tls = make_node_keys(b"other-seed", 0)
    payload = AddNodePayload(
        node_signing_public_key_der=signing,
        committee_signing_public_key=committee,
        dkg_dealing_encryption_public_key=dealing,
        transport_tls_certificate_der=tls,
        xnet_endpoint=Endpoint(ip_addr="10.0.0.1", port=4100),
        http_endpoint=Endpoint(ip_addr="10.0.0.1", port=8080),
    )
    refused(world, Unauthorized, lambda: world.registry.add_node(STRANGER, payload))
    node_id = world.registry.add_node(operator, payload)
    assert world.registry.registry.get(node_record_key(node_id)).node_operator_id == operator
    assert world.registry.registry.get(node_operator_record_key(operator)).node_allowance == 0
    signing2, dealing2, committee2, tls2 = make_node_keys(b"other-seed", 1)
    second = AddNodePayload(
        node_signing_public_key_der=signing2,
        committee_signing_public_key=committee2,
        dkg_dealing_encryption_public_key=dealing2,
        transport_tls_certificate_der=tls2,
        xnet_endpoint=Endpoint(ip_addr="10.0.0.2", port=4100),
        http_endpoint=Endpoint(ip_addr="10.0.0.2", port=8080),
    )
    refused(world, InvalidPayload, lambda: world.registry.add_node(operator, second))
    world.registry.update_node_operator_config(
        GOVERNANCE, UpdateNodeOperatorConfigPayload(node_operator_id=operator, node_allowance=3)
    )
    broken = AddNodePayload(
        node_signing_public_key_der=b"\x30garbage",
        committee_signing_public_key=committee2,
        dkg_dealing_encryption_public_key=dealing2,
        transport_tls_certificate_der=tls2,
        xnet_endpoint=Endpoint(ip_addr="10.0.0.3", port=4100),
        http_endpoint=Endpoint(ip_addr="10.0.0.3", port=8080),
    )
    refused(world, RegistryError, lambda: world.registry.add_node(operator, broken))
    for committee_key in (
        signing2,
        committee2[:-1],
        b"\xc0" + bytes(95),
    ):  # Ed25519 DER, short, identity
        not_bls = AddNodePayload(
            node_signing_public_key_der=signing2,
            committee_signing_public_key=committee_key,
            dkg_dealing_encryption_public_key=dealing2,
            transport_tls_certificate_der=tls2,
            xnet_endpoint=Endpoint(ip_addr="10.0.0.2", port=4100),
            http_endpoint=Endpoint(ip_addr="10.0.0.2", port=8080),
        )
        refused(world, InvalidPayload, partial(world.registry.add_node, operator, not_bls))
    world.registry.add_node(operator, second)
    refused(
        world,
        KeyNotPresent,
        lambda: world.registry.update_node_operator_config(
            GOVERNANCE, UpdateNodeOperatorConfigPayload(node_operator_id=STRANGER, node_allowance=1)
        ),
    )


def test_remove_nodes_returns_allowance_and_refuses_members() -> None:
    world = make_registry()
    node = world.unassigned[0]
    operator = world.registry.registry.get(node_record_key(node)).node_operator_id
    allowance = world.registry.registry.get(node_operator_record_key(operator)).node_allowance
    world.registry.remove_nodes(GOVERNANCE, RemoveNodesPayload(node_ids=(node, node)))
    assert world.registry.registry.get(node_record_key(node)) is None
    assert (
        world.registry.registry.get(node_operator_record_key(operator)).node_allowance
        == allowance + 1
    )
    member = world.members(world.app_subnet)[0]
    refused(
        world,
        InvalidPayload,
        lambda: world.registry.remove_nodes(GOVERNANCE, RemoveNodesPayload(node_ids=(member,))),
    )


def test_data_centers() -> None:
    world = make_registry()
    dc = DataCenterRecord(id="zh1", region="Europe,CH,Zurich", owner="owner")
    world.registry.add_or_remove_data_centers(
        GOVERNANCE, AddOrRemoveDataCentersProposalPayload(data_centers_to_add=(dc,))
    )
    refused(
        world,
        KeyAlreadyPresent,
        lambda: world.registry.add_or_remove_data_centers(
            GOVERNANCE, AddOrRemoveDataCentersProposalPayload(data_centers_to_add=(dc,))
        ),
    )
    world.registry.add_or_remove_data_centers(
        GOVERNANCE, AddOrRemoveDataCentersProposalPayload(data_centers_to_remove=("zh1",))
    )
    refused(
        world,
        KeyNotPresent,
        lambda: world.registry.add_or_remove_data_centers(
            GOVERNANCE, AddOrRemoveDataCentersProposalPayload(data_centers_to_remove=("zh1",))
        ),
    )


def test_proposal_methods_accept_only_governance() -> None:
    world = make_registry()
    refused(
        world,
        Unauthorized,
        lambda: world.registry.update_subnet(
            STRANGER, UpdateSubnetPayload(subnet_id=world.app_subnet, is_halted=True)
        ),
    )
    refused(
        world,
        Unauthorized,
        lambda: world.registry.remove_nodes(
            STRANGER, RemoveNodesPayload(node_ids=(world.unassigned[0],))
        ),
    )


def test_key_not_present_names_the_version() -> None:
    world = make_registry()
    with pytest.raises(KeyNotPresent, match="at version 1"):
        world.registry.get_value(GOVERNANCE, (subnet_record_key(STRANGER), None))
