"""Refusals of the registry's mutations that the happy-path tests do not reach.

Each refusal raises the registry's error, keeps the version where it was and
leaves the store byte for byte unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from registry.errors import InvalidPayload, KeyNotPresent, Unauthorized
from registry.genesis import make_node_keys
from registry.records import (
    DataCenterRecord,
    Endpoint,
    SubnetType,
    node_operator_record_key,
    node_record_key,
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
from tests.registry.test_mutations import STRANGER, refused
from tests.registry.world import GOVERNANCE, RegistryWorld, make_registry

SHA = "cd" * 32


def proposal_calls(world: RegistryWorld) -> dict[str, Callable[[Principal], object]]:
    """Every proposal-driven mutation with a payload that governance could send."""
    registry, app, spare = world.registry, world.app_subnet, world.unassigned
    member = world.members(app)[0]
    version = world.description.replica_version_id
    return {
        "create_subnet": lambda caller: registry.create_subnet(
            caller,
            CreateSubnetPayload(
                node_ids=(spare[0],),
                subnet_type=SubnetType.APPLICATION,
                replica_version_id=version,
                dkg_interval_length=19,
                unit_delay_millis=500,
                initial_notary_delay_millis=300,
            ),
        ),
        "add_nodes_to_subnet": lambda caller: registry.add_nodes_to_subnet(
            caller, AddNodesToSubnetPayload(subnet_id=app, node_ids=(spare[0],))
        ),
        "remove_nodes_from_subnet": lambda caller: registry.remove_nodes_from_subnet(
            caller, RemoveNodesFromSubnetPayload(node_ids=(member,))
        ),
        "change_subnet_membership": lambda caller: registry.change_subnet_membership(
            caller,
            ChangeSubnetMembershipPayload(
                subnet_id=app, node_ids_add=(spare[0],), node_ids_remove=(member,)
            ),
        ),
        "update_subnet": lambda caller: registry.update_subnet(
            caller, UpdateSubnetPayload(subnet_id=app, is_halted=True)
        ),
        "recover_subnet": lambda caller: registry.recover_subnet(
            caller,
            RecoverSubnetPayload(subnet_id=app, height=10, time_ns=1, state_hash=b"\x01" * 32),
        ),
        "revise_elected_guestos_versions": lambda caller: registry.revise_elected_guestos_versions(
            caller,
            ReviseElectedGuestosVersionsPayload(
                replica_version_to_elect="0.9.0",
                release_package_sha256_hex=SHA,
                release_package_urls=("https://example.org/r.tar.gz",),
            ),
        ),
        "deploy_guestos_to_all_subnet_nodes": lambda caller: (
            registry.deploy_guestos_to_all_subnet_nodes(
                caller,
                DeployGuestosToAllSubnetNodesPayload(subnet_id=app, replica_version_id=version),
            )
        ),
        "deploy_guestos_to_all_unassigned_nodes": lambda caller: (
            registry.deploy_guestos_to_all_unassigned_nodes(
                caller, DeployGuestosToAllUnassignedNodesPayload(elected_replica_version=version)
            )
        ),
        "add_node_operator": lambda caller: registry.add_node_operator(
            caller,
            AddNodeOperatorPayload(
                node_operator_principal_id=STRANGER,
                node_provider_principal_id=STRANGER,
                node_allowance=1,
            ),
        ),
        "update_node_operator_config": lambda caller: registry.update_node_operator_config(
            caller,
            UpdateNodeOperatorConfigPayload(
                node_operator_id=registry.registry.get(node_record_key(spare[0])).node_operator_id,
                node_allowance=9,
            ),
        ),
        "remove_nodes": lambda caller: registry.remove_nodes(
            caller, RemoveNodesPayload(node_ids=(spare[1],))
        ),
        "add_or_remove_data_centers": lambda caller: registry.add_or_remove_data_centers(
            caller,
            AddOrRemoveDataCentersProposalPayload(
                data_centers_to_add=(
                    DataCenterRecord(id="ge1", region="Europe,CH,Geneva", owner="o"),
                )
            ),
        ),
    }


@pytest.mark.parametrize("method", sorted(proposal_calls(make_registry())))
def test_every_proposal_driven_mutation_accepts_only_governance(method: str) -> None:
    world = make_registry()
    call = proposal_calls(world)[method]
    refused(world, Unauthorized, lambda: call(STRANGER))
    refused(world, Unauthorized, lambda: call(world.nns_subnet))  # not even another NNS principal
    version = world.registry.registry.latest_version
    call(GOVERNANCE)
    assert world.registry.registry.latest_version == version + 1


def test_removing_only_unknown_nodes_is_refused() -> None:
    world = make_registry()
    refused(
        world,
        InvalidPayload,
        lambda: world.registry.remove_nodes(GOVERNANCE, RemoveNodesPayload(node_ids=(STRANGER,))),
    )


def test_unelecting_a_version_that_was_never_elected_is_refused() -> None:
    world = make_registry()
    refused(
        world,
        KeyNotPresent,
        lambda: world.registry.revise_elected_guestos_versions(
            GOVERNANCE, ReviseElectedGuestosVersionsPayload(replica_versions_to_unelect=("9.9.9",))
        ),
    )


def test_deploying_an_unelected_version_to_unassigned_nodes_is_refused() -> None:
    world = make_registry()
    refused(
        world,
        InvalidPayload,
        lambda: world.registry.deploy_guestos_to_all_unassigned_nodes(
            GOVERNANCE, DeployGuestosToAllUnassignedNodesPayload(elected_replica_version="9.9.9")
        ),
    )


def test_add_node_refuses_a_registered_node_and_a_bad_dealing_key() -> None:
    world = make_registry()
    operator = Principal.self_authenticating(b"refusals-operator")
    world.registry.add_node_operator(
        GOVERNANCE,
        AddNodeOperatorPayload(
            node_operator_principal_id=operator,
            node_provider_principal_id=operator,
            node_allowance=5,
        ),
    )
    signing, dealing, committee, tls = make_node_keys(b"refusals-seed", 0)

    def payload(dealing_key: bytes) -> AddNodePayload:
        return AddNodePayload(
            node_signing_public_key_der=signing,
            committee_signing_public_key=committee,
            dkg_dealing_encryption_public_key=dealing_key,
            transport_tls_certificate_der=tls,
            xnet_endpoint=Endpoint(ip_addr="10.1.0.1", port=4100),
            http_endpoint=Endpoint(ip_addr="10.1.0.1", port=8080),
        )

    refused(world, InvalidPayload, lambda: world.registry.add_node(operator, payload(dealing[:-1])))
    world.registry.add_node(operator, payload(dealing))
    assert world.registry.registry.get(node_operator_record_key(operator)).node_allowance == 4
    refused(world, InvalidPayload, lambda: world.registry.add_node(operator, payload(dealing)))
