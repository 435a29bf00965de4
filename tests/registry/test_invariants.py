"""Every global invariant has a batch that breaks it; a breaking batch is refused whole."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from registry.errors import InvariantViolation
from registry.records import (
    REQUIRED_KEY_PURPOSES,
    ROUTING_TABLE_KEY,
    UNASSIGNED_NODES_CONFIG_KEY,
    Endpoint,
    KeyPurpose,
    PublicKeyRecord,
    ReplicaVersionRecord,
    RoutingTableEntry,
    SubnetType,
    crypto_record_key,
    node_record_key,
    replica_version_key,
    subnet_record_key,
    tls_cert_key,
)
from registry.store import Mutation, delete, insert, update
from tests.registry.world import RegistryWorld, make_registry


def refused(world: RegistryWorld, invariant: str, mutations: list[Mutation]) -> InvariantViolation:
    before, version = world.registry.state_hash(), world.registry.registry.latest_version
    with pytest.raises(InvariantViolation) as raised:
        world.registry.apply(mutations)
    assert raised.value.invariant == invariant
    assert world.registry.registry.latest_version == version
    assert world.registry.state_hash() == before
    return raised.value


def current(world: RegistryWorld, key: str) -> Any:
    """The record under `key`, typed as loosely as `RegistryView.get` types it."""
    return world.registry.registry.get(key)


def test_node_without_a_key_breaks_node_crypto_keys() -> None:
    world = make_registry()
    node = world.unassigned[0]
    error = refused(
        world, "node crypto keys", [delete(crypto_record_key(node, KeyPurpose.COMMITTEE_SIGNING))]
    )
    assert error.key == crypto_record_key(node, KeyPurpose.COMMITTEE_SIGNING)
    refused(world, "node crypto keys", [delete(tls_cert_key(node))])


def test_shared_or_mismatched_keys_break_node_crypto_keys() -> None:
    world = make_registry()
    first, second = world.unassigned[:2]
    shared = current(world, crypto_record_key(first, KeyPurpose.DKG_DEALING_ENCRYPTION))
    refused(
        world,
        "node crypto keys",
        [update(crypto_record_key(second, KeyPurpose.DKG_DEALING_ENCRYPTION), shared)],
    )
    other_signing = current(world, crypto_record_key(first, KeyPurpose.NODE_SIGNING))
    assert isinstance(other_signing, PublicKeyRecord)
    refused(
        world,
        "node crypto keys",
        [
            update(
                crypto_record_key(second, KeyPurpose.NODE_SIGNING),
                PublicKeyRecord(key_value=other_signing.key_value[:-1] + b"\x00"),
            ),
        ],
    )


def test_bad_routing_tables_break_the_routing_table_invariant() -> None:
    world = make_registry()
    table = current(world, ROUTING_TABLE_KEY)
    entries = table.entries
    overlapping = replace(table, entries=(entries[0], replace(entries[1], start=entries[0].end)))
    refused(world, "routing table", [update(ROUTING_TABLE_KEY, overlapping)])
    empty = replace(table, entries=(replace(entries[0], start=10, end=5), *entries[1:]))
    refused(world, "routing table", [update(ROUTING_TABLE_KEY, empty)])
    stranger = replace(
        table,
        entries=(
            *entries,
            RoutingTableEntry(start=2**40, end=2**40 + 1, subnet_id=world.unassigned[0]),
        ),
    )
    refused(world, "routing table", [update(ROUTING_TABLE_KEY, stranger)])
    refused(world, "routing table", [delete(ROUTING_TABLE_KEY)])


def test_subnet_invariants() -> None:
    world = make_registry()
    app = current(world, subnet_record_key(world.app_subnet))
    nns = current(world, subnet_record_key(world.nns_subnet))
    refused(
        world, "subnet", [update(subnet_record_key(world.app_subnet), replace(app, membership=()))]
    )
    members = app.membership
    refused(
        world,
        "subnet",
        [
            update(
                subnet_record_key(world.app_subnet), replace(app, membership=(*members, members[0]))
            )
        ],
    )
    stolen = nns.membership[0]
    refused(
        world,
        "subnet",
        [update(subnet_record_key(world.app_subnet), replace(app, membership=(*members, stolen)))],
    )
    refused(world, "subnet", [delete(subnet_record_key(world.app_subnet))])
    refused(
        world,
        "subnet",
        [
            update(
                subnet_record_key(world.nns_subnet),
                replace(nns, subnet_type=SubnetType.APPLICATION),
            )
        ],
    )
    refused(
        world,
        "subnet",
        [
            update(
                subnet_record_key(world.app_subnet), replace(app, ssh_readonly_access=("k",) * 51)
            )
        ],
    )


def test_removing_a_member_node_breaks_the_subnet_invariant() -> None:
    world = make_registry()
    member = world.members(world.app_subnet)[0]
    refused(
        world,
        "subnet",
        [
            delete(node_record_key(member)),
            *(delete(crypto_record_key(member, purpose)) for purpose in REQUIRED_KEY_PURPOSES),
            delete(tls_cert_key(member)),
        ],
    )


def test_replica_version_invariants() -> None:
    world = make_registry()
    app = current(world, subnet_record_key(world.app_subnet))
    refused(
        world,
        "replica version",
        [update(subnet_record_key(world.app_subnet), replace(app, replica_version_id="9.9.9"))],
    )
    refused(
        world,
        "replica version",
        [
            update(
                UNASSIGNED_NODES_CONFIG_KEY,
                replace(current(world, UNASSIGNED_NODES_CONFIG_KEY), replica_version=""),
            )
        ],
    )
    bad_hash = ReplicaVersionRecord(
        release_package_sha256_hex="XYZ", release_package_urls=("http://x/y",)
    )
    refused(world, "replica version", [insert(replica_version_key("2.0"), bad_hash)])
    file_url = ReplicaVersionRecord(
        release_package_sha256_hex="a" * 64, release_package_urls=("file:///tmp/x",)
    )
    refused(world, "replica version", [insert(replica_version_key("2.0"), file_url)])
    refused(
        world,
        "replica version",
        [delete(replica_version_key(world.description.replica_version_id))],
    )


def test_endpoint_invariants() -> None:
    world = make_registry()
    first, second = world.unassigned[:2]
    record = current(world, node_record_key(first))
    clash = current(world, node_record_key(second)).http
    cases: list[Callable[[], object]] = [
        lambda: replace(record, http=clash),
        lambda: replace(record, http=Endpoint(ip_addr="not-an-ip", port=1)),
        lambda: replace(record, xnet=Endpoint(ip_addr="0.0.0.0", port=1)),
        lambda: replace(record, xnet=Endpoint(ip_addr="127.0.0.9", port=70_000)),
    ]
    for make in cases:
        refused(world, "endpoint", [update(node_record_key(first), make())])


def test_a_valid_batch_passes_all_invariants() -> None:
    world = make_registry()
    record = current(world, node_record_key(world.unassigned[0]))
    moved = replace(record, http=Endpoint(ip_addr="10.1.2.3", port=8080))
    assert world.registry.apply([update(node_record_key(world.unassigned[0]), moved)]) == 2


def test_a_committee_key_that_is_not_bls_breaks_node_crypto_keys() -> None:
    world = make_registry()
    node = world.unassigned[0]
    signing = current(world, crypto_record_key(node, KeyPurpose.NODE_SIGNING))
    assert isinstance(signing, PublicKeyRecord)
    committee = crypto_record_key(node, KeyPurpose.COMMITTEE_SIGNING)
    committee_key = current(world, committee)
    assert isinstance(committee_key, PublicKeyRecord) and len(committee_key.key_value) == 96
    # An Ed25519 DER key (what committee keys were before they became BLS), a point off the curve.
    ed25519_like = PublicKeyRecord(key_value=signing.key_value[:-1] + b"\x01")
    error = refused(world, "node crypto keys", [update(committee, ed25519_like)])
    assert error.key == committee
    refused(world, "node crypto keys", [update(committee, PublicKeyRecord(key_value=b"\xff" * 96))])
