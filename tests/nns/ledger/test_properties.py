"""Properties: supply is conserved exactly, a refused request changes nothing, replays agree."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nns.ledger.accounts import Account, AccountIdentifier
from nns.ledger.errors import LedgerError
from nns.ledger.types import (
    Approve,
    ApproveArgs,
    Burn,
    GetBlocksArgs,
    Icrc1TransferArgs,
    Mint,
    Transfer,
    TransferArgs,
    TransferFromArgs,
)
from tests.nns.ledger.conftest import ALICE, BOB, CAROL, GOVERNANCE, LedgerWorld, make_ledger

PRINCIPALS = [ALICE, BOB, CAROL, GOVERNANCE]

operation = st.tuples(
    st.sampled_from(["transfer", "icrc1", "approve", "transfer_from", "advance"]),
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(0, 30 * 100_000_000),
    st.sampled_from([None, 0, 10_000, 1]),
    st.one_of(st.none(), st.integers(0, 2)),
)


def run(world: LedgerWorld, ops: list[tuple[str, int, int, int, int | None, int | None]]) -> None:
    """Apply the operations; after each refused one the state hash must be unchanged."""
    for kind, source, target, amount, fee, created in ops:
        caller, to = PRINCIPALS[source], PRINCIPALS[target]
        created_ns = None if created is None else world.environment.now_ns() - created * 10**9
        before = world.ledger.state_hash()
        try:
            if kind == "transfer":
                world.ledger.transfer(
                    caller,
                    TransferArgs(
                        memo=1,
                        amount_e8s=amount,
                        fee_e8s=10_000 if fee is None else fee,
                        from_subaccount=None,
                        to=AccountIdentifier.of(to),
                        created_at_time_ns=created_ns,
                    ),
                )
            elif kind == "icrc1":
                world.ledger.icrc1_transfer(
                    caller,
                    Icrc1TransferArgs(
                        from_subaccount=None,
                        to=Account.of(to),
                        amount_e8s=amount,
                        fee_e8s=fee,
                        created_at_time_ns=created_ns,
                    ),
                )
            elif kind == "approve":
                world.ledger.icrc2_approve(
                    caller,
                    ApproveArgs(
                        from_subaccount=None, spender=Account.of(to), amount_e8s=amount, fee_e8s=fee
                    ),
                )
            elif kind == "transfer_from":
                world.ledger.icrc2_transfer_from(
                    to,
                    TransferFromArgs(
                        spender_subaccount=None,
                        from_account=Account.of(caller),
                        to=Account.of(PRINCIPALS[(source + 1) % 3]),
                        amount_e8s=amount,
                        fee_e8s=fee,
                    ),
                )
            else:
                world.environment.advance_seconds(amount % 100_000)
        except LedgerError:
            assert world.ledger.state_hash() == before


@settings(max_examples=40, deadline=None)
@given(st.lists(operation, max_size=25))
def test_supply_is_conserved_and_refusals_change_nothing(
    ops: list[tuple[str, int, int, int, int | None, int | None]],
) -> None:
    world = make_ledger(alice=50, bob=20, carol=1)
    run(world, ops)
    supply = world.ledger.icrc1_total_supply(ALICE)
    assert sum(world.ledger.balances().values()) == supply
    # supply = genesis + mints - burns - fees, read back from the block log
    blocks = world.ledger.query_blocks(ALICE, GetBlocksArgs(start=0, length=2_000)).blocks
    expected = 0
    for block in blocks:
        operation_ = block.transaction.operation
        if isinstance(operation_, Mint):
            expected += operation_.amount_e8s
        elif isinstance(operation_, Burn):
            expected -= operation_.amount_e8s
        elif isinstance(operation_, Transfer | Approve):
            expected -= operation_.fee_e8s
    assert expected == supply
    assert all(balance > 0 for balance in world.ledger.balances().values())


@settings(max_examples=15, deadline=None)
@given(st.lists(operation, max_size=15))
def test_two_replays_give_the_same_state_hash(
    ops: list[tuple[str, int, int, int, int | None, int | None]],
) -> None:
    first, second = make_ledger(alice=50, bob=20), make_ledger(alice=50, bob=20)
    run(first, ops)
    run(second, ops)
    assert first.ledger.state_hash() == second.ledger.state_hash()
