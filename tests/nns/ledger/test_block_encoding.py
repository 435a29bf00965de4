"""A block's bytes are the canonical CBOR of its map, however they are built.

`Block.encode` splices the transaction's own encoding into the block and writes maps whose
keys are already in canonical order without asking the encoder to sort them; the reference
here is the plain definition: `cbor2.dumps(..., canonical=True)` of the whole map.
"""

from __future__ import annotations

from typing import Any

import cbor2
from hypothesis import given
from hypothesis import strategies as st

from nns.ledger.accounts import AccountIdentifier
from nns.ledger.types import Approve, Block, Burn, Mint, Operation, Transaction, Transfer
from replica.types import Principal

ACCOUNTS = [AccountIdentifier.of(Principal.self_authenticating(bytes([i]))) for i in range(3)]
amounts = st.integers(0, 2**64 - 1)
optional_amounts = st.none() | amounts
accounts = st.sampled_from(ACCOUNTS)
optional_accounts = st.none() | accounts

operations = st.one_of(
    st.builds(Mint, to=accounts, amount_e8s=amounts),
    st.builds(Burn, from_account=accounts, amount_e8s=amounts, spender=optional_accounts),
    st.builds(
        Transfer,
        from_account=accounts,
        to=accounts,
        amount_e8s=amounts,
        fee_e8s=amounts,
        spender=optional_accounts,
    ),
    st.builds(
        Approve,
        from_account=accounts,
        spender=accounts,
        allowance_e8s=amounts,
        expected_allowance_e8s=optional_amounts,
        expires_at_ns=optional_amounts,
        fee_e8s=amounts,
    ),
)
transactions = st.builds(
    Transaction,
    operation=operations,
    memo=amounts,
    icrc1_memo=st.none() | st.binary(max_size=32),
    created_at_time_ns=optional_amounts,
)
blocks = st.builds(
    Block,
    parent_hash=st.none() | st.binary(min_size=32, max_size=32),
    transaction=transactions,
    timestamp_ns=amounts,
)


def reference_operation(operation: Operation) -> dict[str, Any]:
    def raw(account: AccountIdentifier | None) -> bytes | None:
        return None if account is None else account.raw

    match operation:
        case Mint():
            return {"Mint": {"to": operation.to.raw, "amount": operation.amount_e8s}}
        case Burn():
            return {
                "Burn": {
                    "from": operation.from_account.raw,
                    "amount": operation.amount_e8s,
                    "spender": raw(operation.spender),
                }
            }
        case Transfer():
            return {
                "Transfer": {
                    "from": operation.from_account.raw,
                    "to": operation.to.raw,
                    "amount": operation.amount_e8s,
                    "fee": operation.fee_e8s,
                    "spender": raw(operation.spender),
                }
            }
        case Approve():
            return {
                "Approve": {
                    "from": operation.from_account.raw,
                    "spender": operation.spender.raw,
                    "allowance": operation.allowance_e8s,
                    "expected_allowance": operation.expected_allowance_e8s,
                    "expires_at": operation.expires_at_ns,
                    "fee": operation.fee_e8s,
                }
            }


def reference_transaction(transaction: Transaction) -> dict[str, Any]:
    return {
        "operation": reference_operation(transaction.operation),
        "memo": transaction.memo,
        "icrc1_memo": transaction.icrc1_memo,
        "created_at_time": transaction.created_at_time_ns,
    }


@given(blocks)
def test_a_block_encodes_as_the_canonical_cbor_of_its_map(block: Block) -> None:
    reference = cbor2.dumps(
        {
            "parent_hash": block.parent_hash,
            "transaction": reference_transaction(block.transaction),
            "timestamp": block.timestamp_ns,
        },
        canonical=True,
    )
    assert block.encode() == reference
    assert block.encode(block.transaction.encode()) == reference
    assert Block.decode(reference) == block


@given(transactions)
def test_a_transaction_encodes_as_the_canonical_cbor_of_its_map(transaction: Transaction) -> None:
    assert transaction.encode() == cbor2.dumps(reference_transaction(transaction), canonical=True)
