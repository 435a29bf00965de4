"""The SNS ledger's fast paths against their plain definitions: a block's ICRC-3 hash computed
without building its value (`compute_block_hash`) is `compute_value_hash(block_value(...))`, the
values a query builds again from the blocks are the chain's, and the certified tip hashed
straight from the tip (`tip_digest`) is the root of `tip_tree`.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nns.ledger.accounts import Account, AccountIdentifier
from nns.ledger.types import Approve, Block, Burn, Mint, Operation, Transaction, Transfer
from replica.types import Principal
from sns.icrc3 import (
    BlockChain,
    block_value,
    compute_block_hash,
    compute_value_hash,
    tip_digest,
    tip_tree,
)

OWNERS = [Principal.self_authenticating(bytes([n])) for n in range(3)] + [
    Principal.from_canister_id(7)
]
SUBACCOUNTS = [None, bytes(32), bytes(31) + b"\x01", b"\xff" * 32]
ACCOUNTS = [Account.of(owner, sub) for owner in OWNERS for sub in SUBACCOUNTS]
BY_IDENTIFIER = {account.identifier(): account for account in ACCOUNTS}
IDENTIFIERS = sorted(BY_IDENTIFIER)

identifiers = st.sampled_from(IDENTIFIERS)
amounts = st.one_of(
    st.integers(min_value=0, max_value=300),
    st.integers(min_value=2**32 - 2, max_value=2**32 + 2),
    st.integers(min_value=0, max_value=2**64 - 1),
)
spenders = st.one_of(st.none(), identifiers)
operations: st.SearchStrategy[Operation] = st.one_of(
    st.builds(
        Transfer,
        from_account=identifiers,
        to=identifiers,
        amount_e8s=amounts,
        fee_e8s=amounts,
        spender=spenders,
    ),
    st.builds(Mint, to=identifiers, amount_e8s=amounts),
    st.builds(Burn, from_account=identifiers, amount_e8s=amounts, spender=spenders),
    st.builds(
        Approve,
        from_account=identifiers,
        spender=identifiers,
        allowance_e8s=amounts,
        expected_allowance_e8s=st.one_of(st.none(), amounts),
        expires_at_ns=st.one_of(st.none(), amounts),
        fee_e8s=amounts,
    ),
)
blocks = st.builds(
    Block,
    parent_hash=st.none(),
    transaction=st.builds(
        Transaction,
        operation=operations,
        memo=st.integers(min_value=0, max_value=2**64 - 1),
        icrc1_memo=st.one_of(st.none(), st.binary(max_size=32)),
        created_at_time_ns=st.one_of(st.none(), amounts),
    ),
    timestamp_ns=amounts,
)


def account_of(identifier: AccountIdentifier) -> Account:
    return BY_IDENTIFIER[identifier]


@settings(max_examples=400, deadline=None)
@given(block=blocks, parent=st.one_of(st.none(), st.binary(min_size=32, max_size=32)))
def test_a_blocks_hash_is_the_hash_of_its_value(block: Block, parent: bytes | None) -> None:
    expected = compute_value_hash(block_value(block, parent, account_of))
    assert compute_block_hash(block, parent, account_of) == expected
    assert compute_block_hash(block, parent, account_of) == expected  # remembered parts too


@settings(max_examples=50, deadline=None)
@given(chain=st.lists(blocks, min_size=1, max_size=8))
def test_the_chain_links_each_value_to_its_parents_hash(chain: list[Block]) -> None:
    log = BlockChain(account_of)
    log.extend(chain)
    values = log.values(0, chain)
    parent = None
    for block, value, block_hash in zip(chain, values, log.hashes, strict=True):
        assert value == block_value(block, parent, account_of)
        assert block_hash == compute_value_hash(value)
        parent = block_hash
    assert log.values(1, chain[1:]) == values[1:]


@given(
    index=st.one_of(st.integers(min_value=0, max_value=300), st.integers(min_value=0)),
    block_hash=st.binary(min_size=32, max_size=32),
)
def test_the_tip_digest_is_the_root_of_the_tip_tree(index: int, block_hash: bytes) -> None:
    assert tip_digest((index, block_hash)) == tip_tree((index, block_hash)).digest
    assert tip_digest(None) == tip_tree(None).digest
