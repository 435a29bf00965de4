"""Genesis: a deterministic initial registry for a network description and a seed."""

from __future__ import annotations

from registry.canister import Registry
from registry.client import RegistryClient
from registry.dkg import SeededInitialDkg
from registry.genesis import NetworkDescription, SubnetSpec, build_genesis
from registry.records import (
    NNS_SUBNET_ID_KEY,
    ROUTING_TABLE_KEY,
    SUBNET_LIST_KEY,
    UNASSIGNED_NODES_CONFIG_KEY,
    CatchUpPackageContents,
    SubnetType,
    catch_up_package_contents_key,
    subnet_record_key,
    threshold_public_key_key,
)
from replica.environment import ManualEnvironment
from replica.types import Principal

DESCRIPTION = NetworkDescription(
    subnets=(
        SubnetSpec(size=4, subnet_type=SubnetType.SYSTEM),
        SubnetSpec(size=3),
        SubnetSpec(size=2),
    ),
    unassigned_nodes=2,
)


def genesis(seed: bytes) -> Registry:
    dkg = SeededInitialDkg(seed)
    registry = Registry(ManualEnvironment(), initial_dkg=dkg)
    registry.apply_genesis(build_genesis(DESCRIPTION, seed, dkg))
    return registry


def test_the_same_seed_builds_the_same_registry_and_another_seed_other_keys() -> None:
    first, second, other = genesis(b"one"), genesis(b"one"), genesis(b"two")
    assert first.state_hash() == second.state_hash()
    assert first.registry.latest_version == second.registry.latest_version
    assert sorted(map(str, first.node_ids())) != sorted(map(str, other.node_ids()))


def test_every_subnet_gets_its_nodes_keys_and_a_range_of_two_to_the_twenty_canister_ids() -> None:
    registry = genesis(b"ranges")
    subnets = registry.registry.get(SUBNET_LIST_KEY).subnets
    assert len(subnets) == 3
    assert registry.registry.get(NNS_SUBNET_ID_KEY).subnet_id == subnets[0]
    table = registry.registry.get(ROUTING_TABLE_KEY)
    assert [(entry.start, entry.end, entry.subnet_id) for entry in table.entries] == [
        (index * 2**20, (index + 1) * 2**20 - 1, subnet) for index, subnet in enumerate(subnets)
    ]
    client = RegistryClient(
        lambda version: registry.get_changes_since(registry.governance_id, version)
    )
    client.sync()
    for canister_index in range(6):  # registry, governance, ledger, root, cycles minting, lifeline
        assert client.route(Principal.from_canister_id(canister_index)) == subnets[0]
    members = [registry._subnet(subnet).membership for subnet in subnets]
    assert [len(m) for m in members] == [4, 3, 2]
    assert registry._subnet(subnets[0]).subnet_type == SubnetType.SYSTEM
    for subnet in subnets:
        assert isinstance(
            registry.registry.get(catch_up_package_contents_key(subnet)), CatchUpPackageContents
        )
        assert registry.registry.get(threshold_public_key_key(subnet)) is not None
    assigned = {node for m in members for node in m}
    assert len(set(registry.node_ids()) - assigned) == 2
    assert (
        registry.registry.get(UNASSIGNED_NODES_CONFIG_KEY).replica_version
        == DESCRIPTION.replica_version_id
    )
    assert (
        registry.registry.get(subnet_record_key(subnets[1])).replica_version_id
        == DESCRIPTION.replica_version_id
    )
