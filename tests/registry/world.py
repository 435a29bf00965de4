"""A small registry world: genesis with an NNS subnet, an application subnet and spare nodes."""

from __future__ import annotations

from dataclasses import dataclass

from registry.canister import Registry
from registry.client import RegistryClient
from registry.dkg import SeededInitialDkg
from registry.genesis import NetworkDescription, SubnetSpec, build_genesis, make_genesis_nodes
from registry.records import SubnetType
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID
from replica.environment import ManualEnvironment
from replica.types import Principal

SEED = b"registry-tests"
GOVERNANCE = GOVERNANCE_CANISTER_ID


@dataclass
class RegistryWorld:
    registry: Registry
    description: NetworkDescription
    nns_subnet: Principal
    app_subnet: Principal
    unassigned: list[Principal]

    def client(self) -> RegistryClient:
        client = RegistryClient(
            lambda version: self.registry.get_changes_since(GOVERNANCE, version)
        )
        client.sync()
        return client

    def members(self, subnet: Principal) -> tuple[Principal, ...]:
        return self.registry._subnet(subnet).membership


def make_registry(*, unassigned: int = 3, app_size: int = 4) -> RegistryWorld:
    description = NetworkDescription(
        subnets=(SubnetSpec(size=4, subnet_type=SubnetType.SYSTEM), SubnetSpec(size=app_size)),
        unassigned_nodes=unassigned,
    )
    dkg = SeededInitialDkg(SEED)
    registry = Registry(ManualEnvironment(), initial_dkg=dkg)
    registry.apply_genesis(build_genesis(description, SEED, dkg))
    subnets = registry.registry.get("subnet_list").subnets
    nodes = make_genesis_nodes(description, SEED)
    spare = [node.node_id for node in nodes[4 + app_size :]]
    return RegistryWorld(registry, description, subnets[0], subnets[1], spare)
