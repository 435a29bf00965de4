"""The versioned log: versions, tombstones, mutation kinds, preconditions, paging."""

from __future__ import annotations

import pytest

from registry.errors import KeyAlreadyPresent, KeyNotPresent, PreconditionFailed, RegistryError
from registry.records import DataCenterRecord
from registry.store import TABLES, Precondition, RegistryStore, delete, insert, update, upsert
from replica.canister.stable import StableStore


def dc(name: str, region: str = "eu") -> DataCenterRecord:
    return DataCenterRecord(id=name, region=region, owner="owner")


def make_store() -> RegistryStore:
    return RegistryStore(StableStore(list(TABLES)))


def apply(store: RegistryStore, *mutations: object, **extra: object) -> int:
    with store.stable.transaction() as session:
        return store.apply(session, mutations, **extra)  # type: ignore[arg-type]


def test_versions_start_at_one_and_are_contiguous() -> None:
    store = make_store()
    assert apply(store, insert("a", dc("a"))) == 1
    assert apply(store, insert("b", dc("b")), upsert("c", dc("c"))) == 2
    assert apply(store) == 2  # an empty batch does not bump the version
    assert [version for version, _ in store.changelog()] == [1, 2]


def test_get_at_a_version_and_tombstones() -> None:
    store = make_store()
    apply(store, insert("a", dc("a", "eu")))
    apply(store, update("a", dc("a", "us")))
    apply(store, delete("a"))
    assert store.get("a", 1).region == "eu"
    assert store.get("a", 2).region == "us"
    assert store.get("a", 3) is None and store.get("a") is None
    assert store.get("a", 0) is None
    apply(store, insert("a", dc("a", "asia")))
    assert store.get("a").region == "asia"
    assert store.keys_at("a", 3) == [] and store.keys_at("a", 2) == ["a"]


def test_mutation_kinds_are_checked_and_a_failing_batch_changes_nothing() -> None:
    store = make_store()
    apply(store, insert("a", dc("a")))
    before = store.stable.state_hash()
    with pytest.raises(KeyAlreadyPresent):
        apply(store, insert("b", dc("b")), insert("a", dc("a")))
    with pytest.raises(KeyNotPresent):
        apply(store, update("zz", dc("zz")))
    with pytest.raises(KeyNotPresent):
        apply(store, delete("zz"))
    with pytest.raises(RegistryError, match="twice"):
        apply(store, upsert("q", dc("q")), upsert("q", dc("q")))
    assert store.latest_version == 1
    assert store.get("b") is None
    assert store.stable.state_hash() == before


def test_preconditions_name_the_expected_version() -> None:
    store = make_store()
    apply(store, insert("a", dc("a")))
    apply(store, insert("b", dc("b")))
    apply(
        store, update("b", dc("b", "us")), preconditions=[Precondition(key="a", expected_version=1)]
    )
    before, version = store.stable.state_hash(), store.latest_version
    with pytest.raises(PreconditionFailed, match="b was last changed at version 3, not 2"):
        apply(
            store,
            update("b", dc("b", "eu")),
            preconditions=[Precondition(key="b", expected_version=2)],
        )
    assert store.latest_version == version and store.stable.state_hash() == before


def test_changes_since_pages_newest_first_per_key() -> None:
    store = make_store()
    for index in range(5):
        apply(store, upsert("a", dc("a", str(index))), upsert(f"k{index}", dc(f"k{index}")))
    deltas = {delta.key: delta for delta in store.get_changes_since(1, 2)}
    assert [version for version, _ in deltas["a"].values] == [3, 2]
    assert set(deltas) == {"a", "k1", "k2"}
    assert store.get_changes_since(5) == []


def test_reload_reproduces_the_snapshot() -> None:
    store = make_store()
    apply(store, insert("a", dc("a")))
    apply(store, delete("a"))
    apply(store, insert("b", dc("b")))
    again = RegistryStore(store.stable)
    assert again.latest_version == 3
    assert again.get("a") is None and again.get("b") == dc("b")
