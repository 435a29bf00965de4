"""In-process delivery of calls between canisters, with callbacks and rollback."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from sqlmodel import Field, SQLModel

from replica.canister.errors import CallRejected, CanisterError
from replica.canister.local import LocalRouter
from replica.canister.stable import StableStore
from replica.environment import DEFERRED, ManualEnvironment, OutgoingCall, Reject, RejectCode
from replica.types import Principal

BANK = Principal.from_canister_id(100)
SHOP = Principal.from_canister_id(101)
ALICE = Principal.self_authenticating(b"alice")


class RouterBalance(SQLModel, table=True):
    __tablename__ = "router_test_balance"
    owner: str = Field(primary_key=True)
    amount: int


class Refused(CanisterError):
    pass


class Bank:
    def __init__(self) -> None:
        self.store = StableStore([RouterBalance])
        with self.store.transaction() as session:
            session.add(RouterBalance(owner="shop", amount=10))

    def withdraw(self, caller: Principal, amount: object) -> int:
        assert isinstance(amount, int)
        with self.store.transaction() as session:
            row = session.get(RouterBalance, "shop")
            assert row is not None
            row.amount -= amount
            session.flush()
            if row.amount < 0:
                raise Refused(f"insufficient funds for {amount}")
            return row.amount


class Shop:
    def __init__(self, environment: ManualEnvironment) -> None:
        self.environment = environment
        self.sold: list[int] = []

    def buy(self, caller: Principal, amount: object) -> object:
        self.environment.call(
            OutgoingCall(
                callee=BANK,
                method="withdraw",
                argument=amount,
                on_reply="_paid",
                on_reject="_refused",
                context={"amount": amount},
            )
        )
        return DEFERRED

    def _paid(self, context: Mapping[str, object], answer: object) -> str:
        amount = context["amount"]
        assert isinstance(amount, int)
        self.sold.append(amount)
        return f"sold {amount}, bank left {answer}"

    def _refused(self, context: Mapping[str, object], answer: object) -> str:
        assert isinstance(answer, Reject)
        return f"refused: {answer.message}"


def make_world() -> tuple[LocalRouter, Bank, Shop]:
    environment = ManualEnvironment(seed=1)
    router = LocalRouter(environment)
    bank, shop = Bank(), Shop(environment)
    router.install(BANK, bank)
    router.install(SHOP, shop)
    return router, bank, shop


def test_deferred_reply_comes_from_the_callback() -> None:
    router, _bank, shop = make_world()
    assert router.call(SHOP, "buy", ALICE, 4) == "sold 4, bank left 6"
    assert shop.sold == [4]


def test_refusal_in_callee_is_a_reject_and_rolls_back() -> None:
    router, bank, shop = make_world()
    before = bank.store.state_hash()
    assert router.call(SHOP, "buy", ALICE, 11) == "refused: insufficient funds for 11"
    assert bank.store.state_hash() == before
    assert shop.sold == []


def test_direct_refusal_raises_the_canister_error() -> None:
    router, bank, _shop = make_world()
    before = bank.store.state_hash()
    with pytest.raises(Refused):
        router.call(BANK, "withdraw", ALICE, 99)
    assert bank.store.state_hash() == before


def test_unknown_canister_and_method_are_rejected() -> None:
    router, _bank, _shop = make_world()
    with pytest.raises(CallRejected) as unknown:
        router.call(Principal.from_canister_id(7), "buy", ALICE, 1)
    assert unknown.value.reject.code is RejectCode.DESTINATION_INVALID
    with pytest.raises(CallRejected, match="no method"):
        router.call(SHOP, "_paid", ALICE, 1)


def test_query_changes_nothing() -> None:
    router, bank, _shop = make_world()
    before = bank.store.state_hash()
    assert router.query(BANK, "withdraw", ALICE, 3) == 7
    assert bank.store.state_hash() == before
