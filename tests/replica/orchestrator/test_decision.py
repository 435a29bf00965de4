"""The orchestrator's decision (spec C; `rs/orchestrator/src/upgrade.rs`, `UnassignmentDecision`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from registry.client import RegistryClient
from registry.dkg import SeededInitialDkg
from registry.genesis import NetworkDescription, SubnetSpec, build_genesis
from registry.records import SubnetRecord, SubnetType, subnet_record_key
from registry.store import TABLES, RegistryStore, upsert
from replica.canister.stable import StableStore
from replica.orchestrator.decision import LocalCup, decide
from replica.types import Principal


def make_registry() -> tuple[RegistryStore, RegistryClient]:
    description = NetworkDescription(
        subnets=(SubnetSpec(size=4, subnet_type=SubnetType.SYSTEM),), unassigned_nodes=2
    )
    stable = StableStore(list(TABLES))
    store = RegistryStore(stable)
    for batch in build_genesis(description, b"seed", SeededInitialDkg(b"seed")):
        with stable.transaction() as session:
            store.apply(session, batch)
    client = RegistryClient(lambda v: (store.get_changes_since(v), store.latest_version))
    client.sync()
    return store, client


def change(store: RegistryStore, client: RegistryClient, subnet: Principal, **fields: Any) -> int:
    record: SubnetRecord = store.get(subnet_record_key(subnet))
    with store.stable.transaction() as session:
        version = store.apply(
            session, [upsert(subnet_record_key(subnet), replace(record, **fields))]
        )
    client.sync()
    return version


def test_a_node_no_subnet_lists_is_unassigned_and_follows_the_unassigned_version() -> None:
    _, client = make_registry()
    spare = client.get_unassigned_nodes()[0]
    decision = decide(spare, client, None)
    assert decision.kind == "unassigned" and decision.subnet_id is None
    assert decision.replica_version == client.get_unassigned_replica_version()
    assert not decision.runs_replica


def test_a_listed_node_without_a_cup_runs_its_subnet() -> None:
    _, client = make_registry()
    subnet = client.get_subnet_ids()[0]
    member = client.get_subnet_members(subnet)[0]
    decision = decide(member, client, None)
    assert (decision.kind, decision.subnet_id, decision.height) == ("run", subnet, -1)


def test_the_replica_version_is_the_one_named_at_the_cups_registry_version() -> None:
    store, client = make_registry()
    subnet = client.get_subnet_ids()[0]
    member = client.get_subnet_members(subnet)[0]
    before = client.get_replica_version(subnet)
    version = change(store, client, subnet, replica_version_id="0.2.0")
    cup = LocalCup(
        subnet_id=subnet, height=20, registry_version=1, oldest_registry_version_in_use=1
    )
    assert decide(member, client, cup).replica_version == before, "not before the CUP names it"
    at_new = replace(
        cup, height=40, registry_version=version, oldest_registry_version_in_use=version
    )
    assert decide(member, client, at_new).replica_version == "0.2.0"


def test_a_removed_node_keeps_serving_while_a_version_in_use_lists_it_then_leaves() -> None:
    store, client = make_registry()
    subnet = client.get_subnet_ids()[0]
    members = client.get_subnet_members(subnet)
    removed, spare = members[-1], client.get_unassigned_nodes()[0]
    version = change(store, client, subnet, membership=(spare, *members[:-1]))
    old_cup = LocalCup(
        subnet_id=subnet, height=20, registry_version=1, oldest_registry_version_in_use=1
    )
    leaving = decide(removed, client, old_cup)
    assert leaving.kind == "leaving" and leaving.runs_replica
    new_cup = replace(
        old_cup, height=40, registry_version=version, oldest_registry_version_in_use=version
    )
    assert decide(removed, client, new_cup).kind == "leave"
    assert decide(spare, client, None).kind == "run", "the added node starts"
    assert decide(members[0], client, new_cup).kind == "run", "the others stay"


def test_a_registry_behind_the_cup_never_wipes_a_node() -> None:
    _, client = make_registry()
    subnet = client.get_subnet_ids()[0]
    stranger = client.get_unassigned_nodes()[0]
    cup = LocalCup(
        subnet_id=subnet, height=100, registry_version=9, oldest_registry_version_in_use=9
    )
    assert decide(stranger, client, cup).kind == "run"
