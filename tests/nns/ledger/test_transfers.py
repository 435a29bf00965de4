"""Legacy and ICRC-1 transfers: fees, minting, burning, deduplication, the block chain."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from nns.ledger import canister as ledger_canister
from nns.ledger.accounts import Account, AccountIdentifier
from nns.ledger.errors import (
    BadBurn,
    BadFee,
    GenericError,
    InsufficientFunds,
    LedgerError,
    TxCreatedInFuture,
    TxDuplicate,
    TxTooOld,
)
from nns.ledger.types import (
    AccountBalanceArgs,
    Burn,
    GetBlocksArgs,
    Icrc1TransferArgs,
    Mint,
    Transfer,
    TransferArgs,
)
from tests.nns.ledger.conftest import (
    ALICE,
    BOB,
    CAROL,
    GOVERNANCE,
    START_NS,
    LedgerWorld,
    make_ledger,
)

ICP = 100_000_000
FEE = 10_000
DAY_NS = 86_400 * 1_000_000_000


def legacy(to: AccountIdentifier, amount: int, fee: int = FEE, **extra: object) -> TransferArgs:
    return TransferArgs(
        memo=7,
        amount_e8s=amount,
        fee_e8s=fee,
        from_subaccount=None,
        to=to,
        **extra,  # type: ignore[arg-type]
    )


def assert_refused(
    world: LedgerWorld, error: type[LedgerError], call: object, *args: object
) -> LedgerError:
    before = world.ledger.state_hash()
    with pytest.raises(error) as raised:
        call(*args)  # type: ignore[operator]
    assert world.ledger.state_hash() == before
    return raised.value


def test_genesis_balances_are_mint_blocks(world: LedgerWorld) -> None:
    blocks = world.ledger.query_blocks(ALICE, GetBlocksArgs(start=0, length=10))
    assert blocks.chain_length == 2
    assert all(isinstance(block.transaction.operation, Mint) for block in blocks.blocks)
    assert world.ledger.icrc1_total_supply(ALICE) == 105 * ICP


def test_transfer_pays_the_fee_and_burns_it(world: LedgerWorld) -> None:
    index = world.ledger.transfer(ALICE, legacy(AccountIdentifier.of(BOB), 3 * ICP))
    assert index == 2
    assert world.balance(ALICE) == 97 * ICP - FEE
    assert world.balance(BOB) == 8 * ICP
    assert world.ledger.icrc1_total_supply(ALICE) == 105 * ICP - FEE
    assert (
        world.ledger.account_balance(BOB, AccountBalanceArgs(account=AccountIdentifier.of(BOB)))
        == 8 * ICP
    )


def test_wrong_fee_is_bad_fee(world: LedgerWorld) -> None:
    error = assert_refused(
        world, BadFee, world.ledger.transfer, ALICE, legacy(AccountIdentifier.of(BOB), ICP, fee=1)
    )
    assert isinstance(error, BadFee) and error.expected_fee_e8s == FEE


def test_insufficient_funds_reports_the_balance(world: LedgerWorld) -> None:
    error = assert_refused(
        world,
        InsufficientFunds,
        world.ledger.transfer,
        BOB,
        legacy(AccountIdentifier.of(ALICE), 5 * ICP),
    )
    assert isinstance(error, InsufficientFunds) and error.balance_e8s == 5 * ICP


def test_mint_from_the_minting_account_needs_zero_fee(world: LedgerWorld) -> None:
    assert_refused(
        world, BadFee, world.ledger.transfer, GOVERNANCE, legacy(AccountIdentifier.of(BOB), ICP)
    )
    world.ledger.transfer(GOVERNANCE, legacy(AccountIdentifier.of(BOB), ICP, fee=0))
    assert world.balance(BOB) == 6 * ICP
    assert world.ledger.icrc1_total_supply(BOB) == 106 * ICP


def test_burn_to_the_minting_account(world: LedgerWorld) -> None:
    minting = AccountIdentifier.of(GOVERNANCE)
    assert_refused(world, BadFee, world.ledger.transfer, ALICE, legacy(minting, ICP))
    assert_refused(world, BadBurn, world.ledger.transfer, ALICE, legacy(minting, FEE - 1, fee=0))
    index = world.ledger.transfer(ALICE, legacy(minting, ICP, fee=0))
    block = world.ledger.query_blocks(ALICE, GetBlocksArgs(start=index, length=1)).blocks[0]
    assert isinstance(block.transaction.operation, Burn)
    assert world.ledger.icrc1_total_supply(ALICE) == 104 * ICP


def test_created_at_time_window_and_drift(world: LedgerWorld) -> None:
    to = AccountIdentifier.of(BOB)
    now = START_NS
    assert_refused(
        world,
        TxTooOld,
        world.ledger.transfer,
        ALICE,
        legacy(to, ICP, created_at_time_ns=now - DAY_NS - 1),
    )
    world.ledger.transfer(ALICE, legacy(to, ICP, created_at_time_ns=now - DAY_NS))
    assert_refused(
        world,
        TxCreatedInFuture,
        world.ledger.transfer,
        ALICE,
        legacy(to, ICP, created_at_time_ns=now + 60_000_000_001),
    )
    world.ledger.transfer(ALICE, legacy(to, ICP, created_at_time_ns=now + 60_000_000_000))


def test_duplicate_within_the_window_names_the_original(world: LedgerWorld) -> None:
    args = legacy(AccountIdentifier.of(BOB), ICP, created_at_time_ns=START_NS)
    first = world.ledger.transfer(ALICE, args)
    error = assert_refused(world, TxDuplicate, world.ledger.transfer, ALICE, args)
    assert isinstance(error, TxDuplicate) and error.duplicate_of == first
    world.ledger.transfer(ALICE, legacy(AccountIdentifier.of(BOB), ICP))
    world.ledger.transfer(ALICE, legacy(AccountIdentifier.of(BOB), ICP))


def test_block_chain_links_parent_hashes(world: LedgerWorld) -> None:
    for _ in range(3):
        world.ledger.transfer(ALICE, legacy(AccountIdentifier.of(BOB), ICP))
    blocks = world.ledger.query_blocks(ALICE, GetBlocksArgs(start=0, length=100)).blocks
    assert blocks[0].parent_hash is None
    for parent, child in itertools.pairwise(blocks):
        assert child.parent_hash == parent.hash()
    tip = world.ledger.tip_of_chain(ALICE)
    assert tip.tip_index == 4 and tip.tip_hash == blocks[-1].hash()


@pytest.mark.parametrize("in_round", [False, True])
def test_a_block_rolled_back_is_no_parent(world: LedgerWorld, in_round: bool) -> None:
    """The ledger keeps its last block in memory to spare a read per block: a message whose
    block rolled back (it trapped after the ledger wrote) must not leave it there."""
    store = world.ledger.store
    world.ledger.transfer(ALICE, legacy(AccountIdentifier.of(BOB), ICP))
    if in_round:
        store.open_round()
    with pytest.raises(RuntimeError), store.transaction():
        world.ledger.transfer(ALICE, legacy(AccountIdentifier.of(BOB), ICP))
        raise RuntimeError("trap after the transfer")
    with store.transaction():
        index = world.ledger.transfer(ALICE, legacy(AccountIdentifier.of(BOB), 2 * ICP))
    if in_round:
        store.close_round()
    assert index == 3
    blocks = world.ledger.query_blocks(ALICE, GetBlocksArgs(start=0, length=100)).blocks
    last = blocks[3].transaction.operation
    assert len(blocks) == 4 and isinstance(last, Transfer) and last.amount_e8s == 2 * ICP
    for parent, child in itertools.pairwise(blocks):
        assert child.parent_hash == parent.hash()
    assert world.balance(BOB) == 5 * ICP + 3 * ICP


def test_query_blocks_pages(world: LedgerWorld) -> None:
    for _ in range(5):
        world.ledger.transfer(ALICE, legacy(AccountIdentifier.of(BOB), ICP))
    page = world.ledger.query_blocks(ALICE, GetBlocksArgs(start=3, length=2))
    assert page.first_block_index == 3 and len(page.blocks) == 2 and page.chain_length == 7
    assert world.ledger.query_blocks(ALICE, GetBlocksArgs(start=7, length=5)).blocks == ()


def test_icrc1_transfer_between_subaccounts(world: LedgerWorld) -> None:
    sub = bytes(31) + b"\x05"
    world.ledger.icrc1_transfer(
        ALICE, Icrc1TransferArgs(from_subaccount=None, to=Account.of(BOB, sub), amount_e8s=ICP)
    )
    assert world.ledger.icrc1_balance_of(ALICE, Account.of(BOB, sub)) == ICP
    block = world.ledger.query_blocks(ALICE, GetBlocksArgs(start=2, length=1)).blocks[0]
    assert isinstance(block.transaction.operation, Transfer)
    assert_refused(
        world,
        GenericError,
        world.ledger.icrc1_transfer,
        ALICE,
        Icrc1TransferArgs(from_subaccount=None, to=Account.of(BOB), amount_e8s=1, memo=bytes(33)),
    )
    assert_refused(
        world,
        GenericError,
        world.ledger.icrc1_transfer,
        ALICE,
        Icrc1TransferArgs(from_subaccount=b"short", to=Account.of(BOB), amount_e8s=1),
    )


def test_icrc1_burn_below_the_fee_is_bad_burn(world: LedgerWorld) -> None:
    error = assert_refused(
        world,
        BadBurn,
        world.ledger.icrc1_transfer,
        ALICE,
        Icrc1TransferArgs(from_subaccount=None, to=Account.of(GOVERNANCE), amount_e8s=FEE - 1),
    )
    assert isinstance(error, BadBurn) and error.min_burn_amount_e8s == FEE


def test_metadata(world: LedgerWorld) -> None:
    assert world.ledger.icrc1_symbol(ALICE) == "ICP"
    assert world.ledger.icrc1_decimals(ALICE) == 8
    assert world.ledger.icrc1_fee(ALICE) == FEE
    assert world.ledger.icrc1_minting_account(ALICE) == Account.of(GOVERNANCE)
    assert ("icrc1:fee", FEE) in world.ledger.icrc1_metadata(ALICE)


@pytest.mark.parametrize("held", [None, 1, 5 * ICP])
@pytest.mark.parametrize("delta", [-1, 0, 1])
def test_a_debit_is_the_balance_check_and_write_it_stands_for(held: int | None, delta: int) -> None:
    """`_debit` checks and writes in one statement what `_required_balance` then `_write_balance`
    do: the same rows after, the same refusal (naming the same balance) with nothing written."""
    account = AccountIdentifier.of(CAROL).raw
    amount = max(0, (held or 0) + delta)

    def outcome(debit: Callable[[Any], None]) -> tuple[object, list[tuple[Any, ...]]]:
        world = make_ledger(alice=1)
        with world.ledger.store.transaction() as session:
            connection = world.ledger.store.sqlite_connection(session)
            if held is not None:
                connection.execute("INSERT INTO ledger_balance VALUES (?, ?)", (account, held))
        refusal: object = None
        with world.ledger.store.transaction() as session:
            connection = world.ledger.store.sqlite_connection(session)
            try:
                debit(connection)
            except InsufficientFunds as error:
                refusal = error.balance_e8s
            rows = connection.execute("SELECT * FROM ledger_balance ORDER BY account").fetchall()
        return refusal, rows

    def plain(connection: Any) -> None:
        balance = ledger_canister._required_balance(connection, account, amount)
        ledger_canister._write_balance(connection, account, balance - amount)

    assert outcome(lambda c: ledger_canister._debit(c, account, amount)) == outcome(plain)
