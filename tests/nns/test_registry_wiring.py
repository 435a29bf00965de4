"""Governance drives the registry: an adopted proposal changes the topology."""

from __future__ import annotations

import pytest

from nns.governance.enums import ErrorType, ProposalStatus, Vote
from nns.governance.errors import GovernanceError
from nns.governance.nns_functions import NnsFunction
from nns.governance.requests import ExecuteNnsFunction, MakeProposal, Proposal
from registry.records import SubnetType
from registry.requests import ChangeSubnetMembershipPayload, CreateSubnetPayload
from replica.canister.nns_ids import REGISTRY_CANISTER_ID
from tests.nns.governance.world import World, make_world, principal
from tests.registry.world import RegistryWorld, make_registry


def wire() -> tuple[World, RegistryWorld]:
    world, registry_world = make_world(), make_registry()
    world.router.install(REGISTRY_CANISTER_ID, registry_world.registry)
    return world, registry_world


def propose(
    world: World, owner: str, neuron_id: int, function: NnsFunction, payload: object
) -> int:
    response = world.manage(
        principal(owner),
        neuron_id,
        MakeProposal(
            proposal=Proposal(
                title="Change the topology",
                summary="",
                url="",
                action=ExecuteNnsFunction(nns_function=function, payload=payload),
            )
        ),
    )
    proposal_id: int = response.proposal_id
    return proposal_id


def test_change_subnet_membership_end_to_end() -> None:
    world, registry = wire()
    proposer, voter = world.stake("alice", 100), world.stake("bob", 200)
    client = registry.client()
    version = client.latest_version
    old, new = registry.members(registry.app_subnet)[0], registry.unassigned[0]
    payload = ChangeSubnetMembershipPayload(
        subnet_id=registry.app_subnet, node_ids_add=(new,), node_ids_remove=(old,)
    )
    proposal_id = propose(world, "alice", proposer, NnsFunction.CHANGE_SUBNET_MEMBERSHIP, payload)
    assert world.governance.state.proposals[proposal_id].get_status() == ProposalStatus.OPEN
    assert client.sync() == version
    world.vote("bob", voter, proposal_id, Vote.YES)
    assert world.governance.state.proposals[proposal_id].get_status() == ProposalStatus.EXECUTED
    assert client.sync() == version + 1
    members = client.get_subnet_members(registry.app_subnet)
    assert new in members and old not in members


def test_create_subnet_by_proposal() -> None:
    world, registry = wire()
    neuron_id = world.stake("alice", 500)
    nodes = tuple(registry.unassigned[:2])
    payload = CreateSubnetPayload(
        node_ids=nodes,
        subnet_type=SubnetType.APPLICATION,
        replica_version_id="0.1.0",
        dkg_interval_length=19,
        unit_delay_millis=500,
        initial_notary_delay_millis=300,
    )
    proposal_id = propose(world, "alice", neuron_id, NnsFunction.CREATE_SUBNET, payload)
    assert world.governance.state.proposals[proposal_id].get_status() == ProposalStatus.EXECUTED
    client = registry.client()
    assert len(client.get_subnet_ids()) == 3
    assert client.get_subnet_of_node(nodes[0]) == client.get_subnet_ids()[-1]


def test_malformed_payload_is_refused_before_anyone_votes() -> None:
    world, registry = wire()
    neuron_id = world.stake("alice", 500)
    node = registry.members(registry.app_subnet)[0]
    bad = ChangeSubnetMembershipPayload(
        subnet_id=registry.app_subnet, node_ids_add=(node,), node_ids_remove=(node,)
    )
    before = world.governance.state_hash()
    with pytest.raises(GovernanceError) as refused:
        propose(world, "alice", neuron_id, NnsFunction.CHANGE_SUBNET_MEMBERSHIP, bad)
    assert refused.value.error_type == ErrorType.INVALID_PROPOSAL
    assert world.governance.state_hash() == before


def test_a_proposal_that_became_invalid_fails_with_the_reason() -> None:
    world, registry = wire()
    proposer, voter = world.stake("alice", 100), world.stake("bob", 200)
    node = registry.unassigned[0]
    first = propose(
        world,
        "alice",
        proposer,
        NnsFunction.CHANGE_SUBNET_MEMBERSHIP,
        ChangeSubnetMembershipPayload(
            subnet_id=registry.app_subnet, node_ids_add=(node,), node_ids_remove=()
        ),
    )
    second = propose(
        world,
        "alice",
        proposer,
        NnsFunction.CHANGE_SUBNET_MEMBERSHIP,
        ChangeSubnetMembershipPayload(
            subnet_id=registry.nns_subnet, node_ids_add=(node,), node_ids_remove=()
        ),
    )
    world.vote("bob", voter, first, Vote.YES)
    world.vote("bob", voter, second, Vote.YES)
    record = world.governance.state.proposals[second]
    assert record.get_status() == ProposalStatus.FAILED
    assert record.failure_reason is not None and "invariant 'subnet'" in record.failure_reason
    assert world.governance.state.proposals[first].get_status() == ProposalStatus.EXECUTED


def payload_for(function: NnsFunction, registry: RegistryWorld) -> object:
    """A valid payload of each NNS function chain evolution needs, for this registry."""
    from registry.records import DataCenterRecord, node_record_key
    from registry.requests import (
        AddNodeOperatorPayload,
        AddNodesToSubnetPayload,
        AddOrRemoveDataCentersProposalPayload,
        DeployGuestosToAllSubnetNodesPayload,
        DeployGuestosToAllUnassignedNodesPayload,
        RecoverSubnetPayload,
        RemoveNodesFromSubnetPayload,
        RemoveNodesPayload,
        ReviseElectedGuestosVersionsPayload,
        UpdateNodeOperatorConfigPayload,
        UpdateSubnetPayload,
    )

    app, spare, version = (
        registry.app_subnet,
        registry.unassigned,
        registry.description.replica_version_id,
    )
    member = registry.members(app)[0]
    operator = registry.registry.registry.get(node_record_key(spare[0])).node_operator_id
    stranger = principal("new-operator")
    payloads: dict[NnsFunction, object] = {
        NnsFunction.CREATE_SUBNET: CreateSubnetPayload(
            node_ids=(spare[0],),
            subnet_type=SubnetType.APPLICATION,
            replica_version_id=version,
            dkg_interval_length=19,
            unit_delay_millis=500,
            initial_notary_delay_millis=300,
        ),
        NnsFunction.ADD_NODE_TO_SUBNET: AddNodesToSubnetPayload(
            subnet_id=app, node_ids=(spare[0],)
        ),
        NnsFunction.RECOVER_SUBNET: RecoverSubnetPayload(
            subnet_id=app, height=10, time_ns=1, state_hash=b"\x01" * 32
        ),
        NnsFunction.UPDATE_CONFIG_OF_SUBNET: UpdateSubnetPayload(subnet_id=app, is_halted=True),
        NnsFunction.ASSIGN_NOID: AddNodeOperatorPayload(
            node_operator_principal_id=stranger,
            node_provider_principal_id=stranger,
            node_allowance=1,
        ),
        NnsFunction.DEPLOY_GUESTOS_TO_ALL_SUBNET_NODES: DeployGuestosToAllSubnetNodesPayload(
            subnet_id=app, replica_version_id=version
        ),
        NnsFunction.REMOVE_NODES_FROM_SUBNET: RemoveNodesFromSubnetPayload(node_ids=(member,)),
        NnsFunction.UPDATE_NODE_OPERATOR_CONFIG: UpdateNodeOperatorConfigPayload(
            node_operator_id=operator, node_allowance=9
        ),
        NnsFunction.REMOVE_NODES: RemoveNodesPayload(node_ids=(spare[1],)),
        NnsFunction.ADD_OR_REMOVE_DATA_CENTERS: AddOrRemoveDataCentersProposalPayload(
            data_centers_to_add=(DataCenterRecord(id="zh9", region="Europe,CH,Zurich", owner="o"),)
        ),
        NnsFunction.CHANGE_SUBNET_MEMBERSHIP: ChangeSubnetMembershipPayload(
            subnet_id=app, node_ids_add=(spare[0],), node_ids_remove=(member,)
        ),
        NnsFunction.REVISE_ELECTED_GUESTOS_VERSIONS: ReviseElectedGuestosVersionsPayload(
            replica_version_to_elect="0.9.0",
            release_package_sha256_hex="ef" * 32,
            release_package_urls=("https://example.org/r.tar.gz",),
        ),
        NnsFunction.DEPLOY_GUESTOS_TO_ALL_UNASSIGNED_NODES: DeployGuestosToAllUnassignedNodesPayload(  # noqa: E501
            elected_replica_version=version
        ),
    }
    return payloads[function]


CHAIN_EVOLUTION_FUNCTIONS = (1, 2, 6, 7, 8, 11, 13, 16, 18, 21, 31, 38, 48)


@pytest.mark.parametrize("function", CHAIN_EVOLUTION_FUNCTIONS)
def test_every_chain_evolution_function_executes_into_the_registry(function: int) -> None:
    world, registry = wire()
    neuron_id = world.stake("alice", 500)
    version = registry.registry.registry.latest_version
    proposal_id = propose(
        world,
        "alice",
        neuron_id,
        NnsFunction(function),
        payload_for(NnsFunction(function), registry),
    )
    record = world.governance.state.proposals[proposal_id]
    assert record.get_status() == ProposalStatus.EXECUTED, record.failure_reason
    assert registry.registry.registry.latest_version == version + 1


def test_an_update_subnet_proposal_without_a_subnet_type_is_shown() -> None:
    """UpdateSubnet's `subnet_type` is optional: a halt proposal leaves it out."""
    from nns.governance.interface_replies import candid_action
    from registry.requests import UpdateSubnetPayload

    action = ExecuteNnsFunction(
        nns_function=NnsFunction.UPDATE_CONFIG_OF_SUBNET,
        payload=UpdateSubnetPayload(subnet_id=principal("subnet"), is_halted=True),
    )
    shown = candid_action(action)
    assert shown["ExecuteNnsFunction"]["nns_function"] == NnsFunction.UPDATE_CONFIG_OF_SUBNET
    assert isinstance(shown["ExecuteNnsFunction"]["payload"], bytes)
