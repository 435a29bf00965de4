"""The orchestrator's decision (spec C; `rs/orchestrator/src/upgrade.rs`,
`UnassignmentDecision`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from registry.client import RegistryClient
from registry.dkg import SeededInitialDkg
from registry.genesis import NetworkDescription, SubnetSpec, build_genesis
from registry.records import (
    CatchUpPackageContents,
    SubnetRecord,
    SubnetType,
    catch_up_package_contents_key,
    subnet_record_key,
)
from registry.store import TABLES, RegistryStore, upsert
from replica.canister.stable import StableStore
from replica.consensus.artifacts import is_newer_cup
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


def recover(store: RegistryStore, client: RegistryClient, subnet: Principal, height: int) -> int:
    """What RecoverSubnet writes for the decision: new CUP contents at `height`."""
    key = catch_up_package_contents_key(subnet)
    contents: CatchUpPackageContents = store.get(key)
    with store.stable.transaction() as session:
        version = store.apply(session, [upsert(key, replace(contents, height=height))])
    client.sync()
    return version


def test_a_recovery_cup_newer_than_the_local_one_wins_and_names_the_version() -> None:
    # `rs/orchestrator/src/catch_up_package_provider.rs`: the highest of the local and the
    # registry's CUP; as high with a newer registry version is newer (`CatchUpPackageParam`).
    store, client = make_registry()
    subnet = client.get_subnet_ids()[0]
    member = client.get_subnet_members(subnet)[0]
    broken = change(store, client, subnet, replica_version_id="0.3.0")
    stalled = LocalCup(
        subnet_id=subnet, height=40, registry_version=broken, oldest_registry_version_in_use=broken
    )
    assert decide(member, client, stalled).replica_version == "0.3.0"
    change(store, client, subnet, replica_version_id="0.2.0")
    version = recover(store, client, subnet, 40)
    decision = decide(member, client, stalled)
    assert decision.recovery and decision.kind == "run"
    assert (decision.height, decision.replica_version) == (40, "0.2.0")
    assert "recovery CUP" in decision.why
    resumed = replace(stalled, registry_version=version, oldest_registry_version_in_use=version)
    assert not decide(member, client, resumed).recovery, "the replica started from it"
    later = replace(resumed, height=60)
    assert not decide(member, client, later).recovery


def test_a_recovery_cup_below_the_local_one_is_ignored() -> None:
    store, client = make_registry()
    subnet = client.get_subnet_ids()[0]
    member = client.get_subnet_members(subnet)[0]
    recover(store, client, subnet, 20)
    cup = LocalCup(
        subnet_id=subnet, height=40, registry_version=1, oldest_registry_version_in_use=1
    )
    assert not decide(member, client, cup).recovery


def test_cup_ordering_follows_height_then_registry_version() -> None:
    assert is_newer_cup(10, 5, (9, 5)) and not is_newer_cup(10, 4, (9, 5))
    assert is_newer_cup(10, 6, (10, 5)) and not is_newer_cup(10, 5, (10, 5))
    assert not is_newer_cup(9, 9, (10, 5))
