"""The certified changelog: nodes accept only changes that chain to the registry's certified data.

On the IC the replicator checks `get_certified_changes_since` against the NNS key
(`rs/registry/replicator/src/lib.rs`, `rs/registry/nns_data_provider/src/certification.rs`).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from registry.canister import Registry
from registry.certification import (
    EMPTY_CHAIN,
    CertificationError,
    batches_from_deltas,
    compute_chain,
    verify_batches,
)
from registry.records import catch_up_package_contents_key
from registry.requests import ChangeSubnetMembershipPayload, RecoverSubnetPayload
from registry.store import RegistryDelta
from replica.crypto.initial_shares import NodeInitialShares
from replica.environment import ManualEnvironment
from tests.registry.test_mutations import create_payload
from tests.registry.world import GOVERNANCE, RegistryWorld, make_registry


class CertifyingEnvironment(ManualEnvironment):
    certified = b""

    def set_certified_data(self, data: bytes) -> None:
        self.certified = data


def registry_with_versions(versions: int) -> Registry:
    """A registry at `versions` versions: genesis, then membership changes back and forth."""
    world = make_registry()
    registry = world.registry
    registry.environment = CertifyingEnvironment()
    member = world.members(world.app_subnet)[-1]
    spare = world.unassigned[0]
    for index in range(versions - 1):
        add, remove = (spare, member) if index % 2 == 0 else (member, spare)
        registry.change_subnet_membership(
            GOVERNANCE,
            ChangeSubnetMembershipPayload(
                subnet_id=world.app_subnet, node_ids_add=(add,), node_ids_remove=(remove,)
            ),
        )
    return registry


def test_the_canister_certifies_the_head_of_the_chain_over_its_changelog() -> None:
    registry = registry_with_versions(3)
    head = compute_chain(registry.registry.changelog())
    assert registry.certified_head() == head != EMPTY_CHAIN
    environment = registry.environment
    assert isinstance(environment, CertifyingEnvironment)
    assert environment.certified == head, "set as certified data by the last mutation"


def test_a_client_rebuilds_the_batches_from_the_deltas_and_reaches_the_head() -> None:
    registry = registry_with_versions(3)
    deltas, _ = registry.get_changes_since(registry.governance_id, 0)
    batches = batches_from_deltas(deltas, 0)
    assert [batch.version for batch in batches] == [1, 2, 3]
    assert verify_batches(EMPTY_CHAIN, batches, registry.certified_head()) == batches


def test_changes_newer_than_the_certificate_are_dropped_not_trusted() -> None:
    registry = registry_with_versions(3)
    certified_at_two = compute_chain(registry.registry.changelog()[:2])
    deltas, _ = registry.get_changes_since(registry.governance_id, 0)
    verified = verify_batches(EMPTY_CHAIN, batches_from_deltas(deltas, 0), certified_at_two)
    assert [batch.version for batch in verified] == [1, 2]


def test_an_altered_value_is_refused() -> None:
    registry = registry_with_versions(3)
    deltas, _ = registry.get_changes_since(registry.governance_id, 0)
    tampered = [
        replace(delta, values=tuple((v, b"\x00" if value else value) for v, value in delta.values))
        if index == 0
        else delta
        for index, delta in enumerate(deltas)
    ]
    with pytest.raises(CertificationError):
        verify_batches(EMPTY_CHAIN, batches_from_deltas(tampered, 0), registry.certified_head())


def test_a_page_with_a_missing_version_is_refused() -> None:
    deltas = [
        RegistryDelta(key="a", values=((3, b"x"),)),
        RegistryDelta(key="b", values=((1, b"y"),)),
    ]
    with pytest.raises(CertificationError):
        batches_from_deltas(deltas, 0)


def test_a_created_subnet_publishes_each_members_shares_encrypted_to_it() -> None:
    world: RegistryWorld = make_registry()
    nodes = tuple(world.unassigned[:3])
    subnet = world.registry.create_subnet(GOVERNANCE, create_payload(world, nodes))
    contents = world.registry.registry.get(catch_up_package_contents_key(subnet))
    assert [node for node, _ in contents.encrypted_shares] == sorted(nodes, key=lambda n: n.raw)
    for node, data in contents.encrypted_shares:
        shares = NodeInitialShares.from_bytes(data)
        assert shares.node_id == node
        assert sorted(share.dkg_id.tag for share in shares.shares) == ["high", "low"]
        assert all(share.dkg_id.subnet_id == subnet for share in shares.shares)


def test_a_recovered_subnet_publishes_new_shares_bound_to_the_recovery_height() -> None:
    world: RegistryWorld = make_registry()
    members = world.members(world.app_subnet)
    world.registry.recover_subnet(
        GOVERNANCE,
        RecoverSubnetPayload(
            subnet_id=world.app_subnet, height=120, time_ns=7, state_hash=b"\x02" * 32
        ),
    )
    contents = world.registry.registry.get(catch_up_package_contents_key(world.app_subnet))
    assert (contents.height, contents.state_hash) == (120, b"\x02" * 32)
    assert [node for node, _ in contents.encrypted_shares] == sorted(members, key=lambda n: n.raw)
    for _, data in contents.encrypted_shares:
        shares = NodeInitialShares.from_bytes(data)
        assert {share.dkg_id.start_height for share in shares.shares} == {120}
