"""ICRC-2 approvals and transfer_from."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from nns.ledger.accounts import Account, AccountIdentifier
from nns.ledger.errors import (
    AllowanceChanged,
    Expired,
    GenericError,
    InsufficientAllowance,
    InsufficientFunds,
)
from nns.ledger.types import AllowanceArgs, ApproveArgs, TransferArgs, TransferFromArgs
from tests.nns.ledger.conftest import ALICE, BOB, CAROL, START_NS, LedgerWorld, make_ledger

ICP = 100_000_000
FEE = 10_000


def approve(world: LedgerWorld, amount: int, **extra: object) -> int:
    return world.ledger.icrc2_approve(
        ALICE,
        ApproveArgs(from_subaccount=None, spender=Account.of(BOB), amount_e8s=amount, **extra),  # type: ignore[arg-type]
    )


def allowance(world: LedgerWorld) -> int:
    return world.ledger.icrc2_allowance(
        CAROL, AllowanceArgs(account=Account.of(ALICE), spender=Account.of(BOB))
    ).allowance_e8s


def pull(world: LedgerWorld, amount: int) -> int:
    return world.ledger.icrc2_transfer_from(
        BOB,
        TransferFromArgs(
            spender_subaccount=None,
            from_account=Account.of(ALICE),
            to=Account.of(CAROL),
            amount_e8s=amount,
        ),
    )


def test_approve_charges_the_fee_to_the_approver(world: LedgerWorld) -> None:
    approve(world, 10 * ICP)
    assert allowance(world) == 10 * ICP
    assert world.balance(ALICE) == 100 * ICP - FEE


def test_transfer_from_spends_amount_plus_fee(world: LedgerWorld) -> None:
    approve(world, 10 * ICP)
    pull(world, 4 * ICP)
    assert allowance(world) == 6 * ICP - FEE
    assert world.balance(CAROL) == 4 * ICP
    assert world.balance(ALICE) == 96 * ICP - 2 * FEE


def test_transfer_from_beyond_the_allowance(world: LedgerWorld) -> None:
    approve(world, ICP)
    before = world.ledger.state_hash()
    with pytest.raises(InsufficientAllowance) as raised:
        pull(world, ICP)
    assert raised.value.allowance_e8s == ICP
    assert world.ledger.state_hash() == before


def test_transfer_from_beyond_the_balance(world: LedgerWorld) -> None:
    approve(world, 1_000 * ICP)
    before = world.ledger.state_hash()
    with pytest.raises(InsufficientFunds):
        pull(world, 200 * ICP)
    assert world.ledger.state_hash() == before


def test_expected_allowance_must_match(world: LedgerWorld) -> None:
    approve(world, ICP)
    before = world.ledger.state_hash()
    with pytest.raises(AllowanceChanged) as raised:
        approve(world, 2 * ICP, expected_allowance_e8s=5)
    assert raised.value.current_allowance_e8s == ICP
    assert world.ledger.state_hash() == before
    approve(world, 2 * ICP, expected_allowance_e8s=ICP)
    assert allowance(world) == 2 * ICP


def test_expired_approvals(world: LedgerWorld) -> None:
    with pytest.raises(Expired):
        approve(world, ICP, expires_at_ns=START_NS)
    approve(world, ICP, expires_at_ns=START_NS + 10 * 1_000_000_000)
    world.environment.advance_seconds(10)
    assert allowance(world) == 0
    with pytest.raises(InsufficientAllowance):
        pull(world, 1)


def test_self_approval_is_refused(world: LedgerWorld) -> None:
    with pytest.raises(GenericError, match="self approval"):
        world.ledger.icrc2_approve(
            ALICE, ApproveArgs(from_subaccount=None, spender=Account.of(ALICE), amount_e8s=1)
        )


def test_approve_checks_the_fee_before_the_expected_allowance() -> None:
    world = make_ledger(alice=100)
    before = world.ledger.state_hash()
    with pytest.raises(InsufficientFunds):
        world.ledger.icrc2_approve(
            BOB,
            ApproveArgs(
                from_subaccount=None,
                spender=Account.of(ALICE),
                amount_e8s=ICP,
                expected_allowance_e8s=7,
            ),
        )
    assert world.ledger.state_hash() == before


def send(world: LedgerWorld, amount: int) -> int:
    return world.ledger.transfer(
        BOB,
        TransferArgs(
            memo=0,
            amount_e8s=amount,
            fee_e8s=FEE,
            from_subaccount=None,
            to=AccountIdentifier.of(CAROL),
        ),
    )


REFUSALS: dict[str, tuple[Callable[[LedgerWorld], object], type[Exception]]] = {
    "transfer_from beyond the allowance": (
        lambda world: pull(world, 2_000 * ICP),
        InsufficientAllowance,
    ),
    "transfer_from beyond the balance": (lambda world: pull(world, 200 * ICP), InsufficientFunds),
    "approve with a changed allowance": (
        lambda world: approve(world, ICP, expected_allowance_e8s=5),
        AllowanceChanged,
    ),
    "transfer beyond the balance": (lambda world: send(world, 50 * ICP), InsufficientFunds),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_a_refusal_changes_nothing_inside_a_callers_transaction(
    world: LedgerWorld, name: str
) -> None:
    """A request joins its caller's transaction, so every check runs before the first write."""
    request, error = REFUSALS[name]
    approve(world, 1_000 * ICP)
    with world.ledger.store.transaction():
        before = world.ledger.state_hash()
        with pytest.raises(error):
            request(world)
        assert world.ledger.state_hash() == before
