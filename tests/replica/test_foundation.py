"""Principals, the deterministic environment, presets and stable memory."""

from __future__ import annotations

import pytest
from sqlmodel import Field, SQLModel, select

from replica.canister.stable import StableStore
from replica.environment import DeterministicRandom, ManualEnvironment
from replica.presets import LOCAL, MAINNET, TEST, get_preset
from replica.types import Principal, PrincipalError


def test_nns_canister_ids_have_their_mainnet_text() -> None:
    assert Principal.from_canister_id(0).to_text() == "rwlgt-iiaaa-aaaaa-aaaaa-cai"
    assert Principal.from_canister_id(1).to_text() == "rrkah-fqaaa-aaaaa-aaaaq-cai"
    assert Principal.from_canister_id(2).to_text() == "ryjl3-tyaaa-aaaaa-aaaba-cai"
    assert Principal.from_canister_id(2).canister_index() == 2


def test_special_principals() -> None:
    assert Principal.management_canister().to_text() == "aaaaa-aa"
    assert Principal.anonymous().to_text() == "2vxsx-fae"
    assert Principal.anonymous().is_anonymous


def test_principal_text_round_trip_and_checksum() -> None:
    principal = Principal.self_authenticating(b"\x30\x2a" + bytes(42))
    assert len(principal.raw) == 29
    assert Principal.from_text(principal.to_text()) == principal
    text = principal.to_text()
    broken = ("b" if text[0] != "b" else "c") + text[1:]
    with pytest.raises(PrincipalError):
        Principal.from_text(broken)
    with pytest.raises(PrincipalError):
        Principal.from_text("not a principal")
    with pytest.raises(PrincipalError):
        Principal(bytes(30))


def test_deterministic_random_is_reproducible() -> None:
    first, second = DeterministicRandom(7), DeterministicRandom(7)
    assert first.random_bytes(100) == second.random_bytes(100)
    assert DeterministicRandom(8).random_bytes(32) != DeterministicRandom(7).random_bytes(32)
    draws = [first.random_below(10) for _ in range(200)]
    assert set(draws) == set(range(10))


def test_manual_clock_never_goes_back() -> None:
    environment = ManualEnvironment(now_ns=5_000_000_000)
    environment.advance_seconds(2)
    assert environment.now_seconds() == 7
    with pytest.raises(ValueError):
        environment.set_time_ns(1)


def test_presets_scale_governance_time() -> None:
    assert MAINNET.one_day_seconds == 86_400
    assert MAINNET.one_year_seconds == 31_557_600
    assert LOCAL.one_day_seconds == 60
    assert LOCAL.governance_seconds(4 * 86_400) == 240
    assert TEST.one_day_seconds == 1
    assert get_preset("local") is LOCAL
    with pytest.raises(ValueError, match="unknown preset"):
        get_preset("devnet")


class FoundationRow(SQLModel, table=True):
    __tablename__ = "foundation_test_row"
    id: int = Field(primary_key=True)
    name: str
    payload: bytes | None = None


def test_stable_store_rolls_back_a_failed_transaction() -> None:
    store = StableStore([FoundationRow])
    with store.transaction() as session:
        session.add(FoundationRow(id=1, name="one"))
    before = store.state_hash()
    with pytest.raises(RuntimeError), store.transaction() as session:
        session.add(FoundationRow(id=2, name="two"))
        session.flush()
        raise RuntimeError("trap")
    assert store.state_hash() == before
    with store.transaction() as session:
        assert [row.id for row in session.exec(select(FoundationRow))] == [1]


def test_nested_transaction_is_a_savepoint() -> None:
    store = StableStore([FoundationRow])
    with store.transaction() as session:
        session.add(FoundationRow(id=1, name="kept"))
        with pytest.raises(RuntimeError), store.transaction() as inner:
            inner.add(FoundationRow(id=2, name="dropped"))
            inner.flush()
            raise RuntimeError("inner trap")
    with store.transaction() as session:
        assert [row.name for row in session.exec(select(FoundationRow))] == ["kept"]


def test_nested_transaction_without_a_savepoint_joins_the_outer_one() -> None:
    store = StableStore([FoundationRow])
    with pytest.raises(RuntimeError), store.transaction() as session:
        with store.transaction(savepoint=False) as inner:
            assert inner is session
            inner.add(FoundationRow(id=1, name="joined"))
            inner.flush()
        raise RuntimeError("outer trap")
    with store.transaction() as session:
        assert list(session.exec(select(FoundationRow))) == []
    with store.transaction(savepoint=False) as session:  # outermost: a transaction of its own
        session.add(FoundationRow(id=2, name="own"))
    with store.transaction() as session:
        assert [row.name for row in session.exec(select(FoundationRow))] == ["own"]


def test_state_hash_ignores_insertion_order() -> None:
    first, second = StableStore([FoundationRow]), StableStore([FoundationRow])
    with first.transaction() as session:
        session.add(FoundationRow(id=1, name="a", payload=b"x"))
        session.add(FoundationRow(id=2, name="b"))
    with second.transaction() as session:
        session.add(FoundationRow(id=2, name="b"))
        session.add(FoundationRow(id=1, name="a", payload=b"x"))
    assert first.state_hash() == second.state_hash()
    with second.transaction() as session:
        row = session.get(FoundationRow, 2)
        assert row is not None
        row.name = "c"
    assert first.state_hash() != second.state_hash()
