"""ICRC-3 blocks of the SNS ledger: each block as a `Value`, linked by the hash of its parent.

ICRC-3 (dfinity/ICRC-1 standards/ICRC-3/README.md) serves a ledger's block log losslessly as the
generic `Value` type and chains the blocks with the representation-independent hash of the IC
interface spec ("hash of map"): a blob hashes its bytes, a text its UTF-8, a nat its LEB128, an
int its SLEB128, an array the concatenation of its elements' hashes, and a map the sorted
concatenation of (hash of key, hash of value) pairs. ICRC-1 and ICRC-2 blocks keep the legacy
schema (no `btype`): `ts`, `tx` with `op` = xfer, mint, burn or approve, `phash` except in the
genesis block, and a top-level `fee` with the fee the ledger charged (the IC's ICRC-1 ledger,
rs/ledger_suite/icrc1/src/lib.rs, writes the same fields).

Values are plain Python values tagged by their ICRC-3 case, `("Nat", 5)`, `("Map", [...])`, the
shape the Candid `ICRC3Value` variant decodes to once wrapped (`icrc3_candid`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from nns.ledger.accounts import Account, AccountIdentifier
from nns.ledger.types import Approve, Block, Burn, Mint, Transfer
from replica.candid.wire import leb128, sleb128
from replica.crypto import hashtree

_sha256: Final = hashlib.sha256

Value = tuple[str, Any]

ICRC1_URL: Final = "https://github.com/dfinity/ICRC-1/blob/main/standards/ICRC-1/README.md"
ICRC2_URL: Final = "https://github.com/dfinity/ICRC-1/blob/main/standards/ICRC-2/README.md"
SUPPORTED_BLOCK_TYPES: Final = (
    ("1burn", ICRC1_URL),
    ("1mint", ICRC1_URL),
    ("1xfer", ICRC1_URL),
    ("2approve", ICRC2_URL),
    ("2xfer", ICRC2_URL),
)
"""`icrc3_supported_block_types` of the ICRC-1 ledger (legacy blocks carry no `btype`)."""


_KEY_HASHES: dict[str, bytes] = {}
"""The hashes of map keys seen so far (a ledger's blocks use a handful of keys)."""


def _key_hash(key: str) -> bytes:
    cached = _KEY_HASHES.get(key)
    if cached is None:
        cached = hashlib.sha256(key.encode()).digest()
        if len(_KEY_HASHES) < 1_024:
            _KEY_HASHES[key] = cached
    return cached


_SMALL_NATS: Final = tuple(bytes((n,)) for n in range(0x80))
"""LEB128 of the naturals below 128: one byte each."""


def compute_value_hash(value: Value) -> bytes:
    """The representation-independent hash of an ICRC-3 `Value`."""
    kind, inner = value
    # the cases in the order a block's value meets them most
    if kind == "Map":
        data = b"".join(sorted([_key_hash(key) + compute_value_hash(item) for key, item in inner]))
    elif kind == "Nat":
        number = int(inner)
        data = _SMALL_NATS[number] if 0 <= number < 0x80 else leb128(number)
    elif kind == "Blob":
        data = inner if type(inner) is bytes else bytes(inner)
    elif kind == "Array":
        data = b"".join([compute_value_hash(item) for item in inner])
    elif kind == "Text":
        data = str(inner).encode()
    elif kind == "Int":
        data = sleb128(int(inner))
    else:
        raise ValueError(f"not an ICRC-3 value: {kind}")
    return _sha256(data).digest()


def account_value(account: Account) -> Value:
    """An account as `Array [owner]` or `Array [owner, subaccount]`."""
    parts: list[Value] = [("Blob", account.owner.raw)]
    if not account.is_default_subaccount:
        parts.append(("Blob", account.subaccount))
    return ("Array", parts)


AccountOf = Callable[[AccountIdentifier], Account]


def block_value(block: Block, parent_hash: bytes | None, account_of: AccountOf) -> Value:
    """One ledger block in the legacy ICRC-1/ICRC-2 schema."""
    transaction = block.transaction
    operation = transaction.operation
    tx: list[tuple[str, Value]] = []
    fee: int | None = None
    match operation:
        case Transfer():
            tx += [
                ("op", ("Text", "xfer")),
                ("from", account_value(account_of(operation.from_account))),
                ("to", account_value(account_of(operation.to))),
                ("amt", ("Nat", operation.amount_e8s)),
            ]
            fee = operation.fee_e8s
        case Mint():
            tx += [
                ("op", ("Text", "mint")),
                ("to", account_value(account_of(operation.to))),
                ("amt", ("Nat", operation.amount_e8s)),
            ]
        case Burn():
            tx += [
                ("op", ("Text", "burn")),
                ("from", account_value(account_of(operation.from_account))),
                ("amt", ("Nat", operation.amount_e8s)),
            ]
        case Approve():
            tx += [
                ("op", ("Text", "approve")),
                ("from", account_value(account_of(operation.from_account))),
                ("spender", account_value(account_of(operation.spender))),
                ("amt", ("Nat", operation.allowance_e8s)),
            ]
            if operation.expected_allowance_e8s is not None:
                tx.append(("expected_allowance", ("Nat", operation.expected_allowance_e8s)))
            if operation.expires_at_ns is not None:
                tx.append(("expires_at", ("Nat", operation.expires_at_ns)))
            fee = operation.fee_e8s
    spender = getattr(operation, "spender", None)
    if spender is not None and not isinstance(operation, Approve):
        tx.append(("spender", account_value(account_of(spender))))
    if transaction.icrc1_memo is not None:
        tx.append(("memo", ("Blob", transaction.icrc1_memo)))
    if transaction.created_at_time_ns is not None:
        tx.append(("ts", ("Nat", transaction.created_at_time_ns)))
    fields: list[tuple[str, Value]] = [
        ("ts", ("Nat", block.timestamp_ns)),
        ("tx", ("Map", tx)),
    ]
    if parent_hash is not None:
        fields.append(("phash", ("Blob", parent_hash)))
    if fee is not None:
        fields.append(("fee", ("Nat", fee)))
    return ("Map", fields)


_MAX_REMEMBERED: Final = 4_096
_NAT_HASHES: dict[int, bytes] = {}
_last_large_nat: tuple[int, bytes] = (-1, b"")
_ACCOUNT_HASHES: dict[Account, bytes] = {}
_OPERATION_HASHES: Final = {
    name: _key_hash("op") + compute_value_hash(("Text", name)) for name in ("xfer", "mint", "burn")
}
"""The (key hash + value hash) of the `op` entry of each operation."""


def _nat_hash(number: int) -> bytes:
    """The hash of a natural; those below 2^32 (fees, amounts) are remembered, and so is the last
    larger one (the blocks of one round share their timestamp)."""
    if number >= 2**32:
        global _last_large_nat
        if number == _last_large_nat[0]:
            return _last_large_nat[1]
        large = _sha256(leb128(number)).digest()
        _last_large_nat = (number, large)
        return large
    small = _NAT_HASHES.get(number)
    if small is None:
        small = compute_value_hash(("Nat", number))
        if len(_NAT_HASHES) >= _MAX_REMEMBERED:
            _NAT_HASHES.clear()
        _NAT_HASHES[number] = small
    return small


def _account_entry(key: str, account: Account) -> bytes:
    """The (key hash + value hash) of an account's map entry."""
    found = _ACCOUNT_HASHES.get(account)
    if found is None:
        found = compute_value_hash(account_value(account))
        if len(_ACCOUNT_HASHES) >= _MAX_REMEMBERED:
            _ACCOUNT_HASHES.clear()
        _ACCOUNT_HASHES[account] = found
    return _key_hash(key) + found


def compute_block_hash(block: Block, parent_hash: bytes | None, account_of: AccountOf) -> bytes:
    """`compute_value_hash(block_value(block, parent_hash, account_of))` without building the
    value, for the blocks a ledger writes most (transfers, mints and burns without a spender);
    the other blocks take the plain way. The same bytes as the plain definition (tested against
    it)."""
    transaction = block.transaction
    operation = transaction.operation
    fee: int | None = None
    if isinstance(operation, Transfer) and operation.spender is None:
        hashes = [
            _OPERATION_HASHES["xfer"],
            _account_entry("from", account_of(operation.from_account)),
            _account_entry("to", account_of(operation.to)),
        ]
        fee = operation.fee_e8s
    elif isinstance(operation, Mint):
        hashes = [_OPERATION_HASHES["mint"], _account_entry("to", account_of(operation.to))]
    elif isinstance(operation, Burn) and operation.spender is None:
        hashes = [
            _OPERATION_HASHES["burn"],
            _account_entry("from", account_of(operation.from_account)),
        ]
    else:
        return compute_value_hash(block_value(block, parent_hash, account_of))
    amount = operation.amount_e8s
    timestamp = block.timestamp_ns
    if not (
        type(amount) is int
        and type(timestamp) is int
        and amount >= 0
        and timestamp >= 0
        and (fee is None or (type(fee) is int and fee >= 0))
    ):
        # not a ledger amount: the plain way decides what it hashes to (or refuses it)
        return compute_value_hash(block_value(block, parent_hash, account_of))
    hashes.append(_key_hash("amt") + _nat_hash(amount))
    memo = transaction.icrc1_memo
    if memo is not None:
        hashes.append(_key_hash("memo") + compute_value_hash(("Blob", memo)))
    created = transaction.created_at_time_ns
    if created is not None:
        hashes.append(_key_hash("ts") + compute_value_hash(("Nat", created)))
    hashes.sort()
    top = [
        _key_hash("ts") + _nat_hash(timestamp),
        _key_hash("tx") + _sha256(b"".join(hashes)).digest(),
    ]
    if parent_hash is not None:
        top.append(_key_hash("phash") + compute_value_hash(("Blob", parent_hash)))
    if fee is not None:
        top.append(_key_hash("fee") + _nat_hash(fee))
    top.sort()
    return _sha256(b"".join(top)).digest()


def icrc3_candid(value: Value) -> dict[str, Any]:
    """A value as the Candid `ICRC3Value` variant."""
    kind, inner = value
    if kind == "Array":
        return {"Array": [icrc3_candid(item) for item in inner]}
    if kind == "Map":
        return {"Map": [{"0": key, "1": icrc3_candid(item)} for key, item in inner]}
    return {kind: inner}


LAST_BLOCK_HASH: Final = b"last_block_hash"
LAST_BLOCK_INDEX: Final = b"last_block_index"
_LEAF_PREFIX: Final = hashtree.domain_separator("ic-hashtree-leaf")
_HASH_LABEL_PREFIX: Final = hashtree.domain_separator("ic-hashtree-labeled") + LAST_BLOCK_HASH
_INDEX_LABEL_PREFIX: Final = hashtree.domain_separator("ic-hashtree-labeled") + LAST_BLOCK_INDEX
_FORK_PREFIX: Final = hashtree.domain_separator("ic-hashtree-fork")


def tip_digest(tip: tuple[int, bytes] | None) -> bytes:
    """`tip_tree(tip).digest`, hashed straight from the tip without building the tree (what a
    ledger certifies after every block; tested against the tree)."""
    if tip is None:
        return hashtree.EMPTY_HASH
    index, block_hash = tip
    hash_leaf = _sha256(_LEAF_PREFIX + block_hash).digest()
    index_leaf = _sha256(_LEAF_PREFIX + leb128(index)).digest()
    return _sha256(
        _FORK_PREFIX
        + _sha256(_HASH_LABEL_PREFIX + hash_leaf).digest()
        + _sha256(_INDEX_LABEL_PREFIX + index_leaf).digest()
    ).digest()


def tip_tree(tip: tuple[int, bytes] | None) -> hashtree.HashTree:
    """The tree a ledger certifies: its last block's hash and index (LEB128), or an empty tree
    before the first block.

    ICRC-3 ("icrc3_get_tip_certificate") and the IC's ICRC-1 ledger
    (rs/ledger_suite/icrc1/ledger/src/lib.rs `construct_hash_tree`: `fork(label("last_block_hash",
    leaf(hash)), label("last_block_index", leaf(leb128(index))))`); the labels are in
    increasing order, as a well-formed tree needs. (The legacy ledger core certified
    `tip_hash` and a big-endian index; the ICRC-1 ledger of current SNSs follows the standard.)
    """
    if tip is None:
        return hashtree.EMPTY
    index, block_hash = tip
    return hashtree.Fork(
        hashtree.Labeled(LAST_BLOCK_HASH, hashtree.Leaf(block_hash)),
        hashtree.Labeled(LAST_BLOCK_INDEX, hashtree.Leaf(leb128(index))),
    )


def value_of_candid(candid: Mapping[str, Any]) -> Value:
    """The value of a Candid `ICRC3Value` (the inverse of `icrc3_candid`)."""
    ((kind, inner),) = candid.items()
    if kind == "Array":
        return ("Array", [value_of_candid(item) for item in inner])
    if kind == "Map":
        return ("Map", [(entry["0"], value_of_candid(entry["1"])) for entry in inner])
    return (kind, inner)


class BlockChain:
    """The ICRC-3 hashes of a ledger's blocks, computed once per block, in order (a block's value
    holds its parent's hash). Only the hashes are kept: a block's value is built again from the
    ledger's block when it is served (`values`), so the log costs 32 bytes a block in memory."""

    def __init__(self, account_of: AccountOf) -> None:
        self.account_of = account_of
        self.hashes: list[bytes] = []

    def __len__(self) -> int:
        return len(self.hashes)

    def extend(self, blocks: Sequence[Block]) -> None:
        """Append the next blocks of the chain (the first is block `len(self)`)."""
        for block in blocks:
            parent = self.hashes[-1] if self.hashes else None
            self.hashes.append(compute_block_hash(block, parent, self.account_of))

    def values(self, start: int, blocks: Sequence[Block]) -> list[Value]:
        """The ICRC-3 values of blocks `start`, `start + 1`, ... (the ledger's blocks of those
        indexes, already hashed into the chain)."""
        return [
            block_value(
                block, self.hashes[start + offset - 1] if start + offset else None, self.account_of
            )
            for offset, block in enumerate(blocks)
        ]
