"""ICRC-3 blocks of the SNS ledger: the Value hash against the standard's test vectors, and the
served block log verified the way a client verifies it (each block's hash is its child's phash).

Rules: dfinity/ICRC-1 standards/ICRC-3/README.md (legacy ICRC-1/ICRC-2 block schema, hashing) and
HASHINGVALUES.md; the vectors are also those of dfinity/ic packages/icrc-ledger-types
(`test_test_vectors` of the generic value).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from replica.candid.wire import leb128, sleb128
from sns.icrc3 import Value, compute_value_hash
from tests.sns.test_ledger_index import (
    ALICE,
    BOB,
    GOVERNANCE,
    LEDGER,
    account,
    make,
    transfer,
)

VECTOR_FROM = "00abcdef0012340056789a00bcdef000012345678900abcdef01"
VECTOR_TO = "00ab0def0012340056789a00bcdef000012345678900abcdef01"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (("Nat", 42), "684888c0ebb17f374298b65ee2807526c066094c701bcc7ebbe1c1095f494fc1"),
        (("Int", -42), "de5a6f78116eca62d7fc5ce159d23ae6b889b365a1739ad2cf36f925a140d0cc"),
        (
            ("Text", "Hello, World!"),
            "dffd6021bb2bd5b0af676290809ec3a53191dd81c7f70a4b28688a362182986f",
        ),
        (
            ("Blob", bytes.fromhex("01020304")),
            "9f64a747e1b97f131fabb6b447296c9b6f0201e79fb3c5356e6c77e89b6a806a",
        ),
        (
            ("Array", [("Nat", 3), ("Text", "foo"), ("Blob", bytes.fromhex("0506"))]),
            "514a04011caa503990d446b7dec5d79e19c221ae607fb08b2848c67734d468d6",
        ),
        (
            (
                "Map",
                [
                    ("from", ("Blob", bytes.fromhex(VECTOR_FROM))),
                    ("to", ("Blob", bytes.fromhex(VECTOR_TO))),
                    ("amount", ("Nat", 42)),
                    ("created_at", ("Nat", 1699218263)),
                    ("memo", ("Nat", 0)),
                ],
            ),
            "c56ece650e1de4269c5bdeff7875949e3e2033f85b2d193c2ff4f7f78bdcfc75",
        ),
    ],
)  # fmt: skip
def test_the_value_hash_matches_the_standards_vectors(value: Value, expected: str) -> None:
    assert compute_value_hash(value).hex() == expected


def test_leb128_and_sleb128() -> None:
    assert leb128(0) == b"\x00" and leb128(624485) == bytes([0xE5, 0x8E, 0x26])
    assert sleb128(0) == b"\x00" and sleb128(-123456) == bytes([0xC0, 0xBB, 0x78])


def candid_to_value(block: dict[str, Any]) -> Value:
    ((kind, inner),) = block.items()
    if kind == "Array":
        return ("Array", [candid_to_value(item) for item in inner])
    if kind == "Map":
        return ("Map", [(entry["0"], candid_to_value(entry["1"])) for entry in inner])
    return (kind, inner)


def fields(value: Value) -> dict[str, Any]:
    kind, inner = value
    assert kind == "Map"
    return {key: item for key, item in inner}


def test_the_block_log_chains_by_parent_hash_and_records_each_operation(tmp_path: Path) -> None:
    harness = make(tmp_path)
    harness.call(ALICE, LEDGER, "icrc1_transfer", transfer(account(BOB), 1_000_000))
    harness.call(ALICE, LEDGER, "icrc1_transfer", transfer(account(GOVERNANCE), 2_000_000))
    harness.call(GOVERNANCE, LEDGER, "icrc1_transfer", transfer(account(BOB, b"\x07" * 32), 5))
    (answer,) = harness.query(
        ALICE, LEDGER, "icrc3_get_blocks", [{"start": 0, "length": 100}, {"start": 9, "length": 1}]
    )
    assert answer["log_length"] == 5 and answer["archived_blocks"] == []
    blocks = [candid_to_value(entry["block"]) for entry in answer["blocks"]]
    assert [entry["id"] for entry in answer["blocks"]] == [0, 1, 2, 3, 4]
    assert "phash" not in fields(blocks[0])
    for parent, child in itertools.pairwise(blocks):
        assert fields(child)["phash"] == ("Blob", compute_value_hash(parent))
    txs = [dict(fields(block)["tx"][1]) for block in blocks]
    assert [tx["op"] for tx in txs] == [
        ("Text", op) for op in ("mint", "mint", "xfer", "burn", "mint")
    ]
    xfer = fields(blocks[2])
    assert dict(xfer["tx"][1])["from"] == ("Array", [("Blob", ALICE.raw)])
    assert dict(xfer["tx"][1])["amt"] == ("Nat", 1_000_000)
    assert xfer["fee"] == ("Nat", 100_000)
    minted = dict(fields(blocks[4])["tx"][1])
    assert minted["to"] == ("Array", [("Blob", BOB.raw), ("Blob", b"\x07" * 32)])
    assert "fee" not in fields(blocks[4])
    (types,) = harness.query(ALICE, LEDGER, "icrc3_supported_block_types")
    assert {entry["block_type"] for entry in types} == {
        "1burn",
        "1mint",
        "1xfer",
        "2approve",
        "2xfer",
    }
    assert harness.query(ALICE, LEDGER, "icrc3_get_archives", {"from": None}) == [[]]
    (standards,) = harness.query(ALICE, LEDGER, "icrc1_supported_standards")
    assert "ICRC-3" in {entry["name"] for entry in standards}


def test_get_blocks_serves_the_same_values_as_generic_blocks(tmp_path: Path) -> None:
    """`get_blocks` (pre-ICRC-3): the encoded blocks read as generic values, CBOR integers as
    Nat (rs/ledger_suite/icrc1/src/blocks.rs), so each value is the ICRC-3 block of that index;
    the range is cut at the chain's end, nothing is archived, and a replicated query gets no
    certificate."""
    harness = make(tmp_path)
    harness.call(ALICE, LEDGER, "icrc1_transfer", transfer(account(BOB), 1_000_000))
    (icrc3,) = harness.query(ALICE, LEDGER, "icrc3_get_blocks", [{"start": 0, "length": 100}])
    (answer,) = harness.query(ALICE, LEDGER, "get_blocks", {"start": 1, "length": 100})
    assert answer["first_index"] == 1 and answer["chain_length"] == 3
    assert answer["archived_blocks"] == [] and answer["certificate"] is None
    assert answer["blocks"] == [entry["block"] for entry in icrc3["blocks"][1:]]
    values = [candid_to_value(block) for block in answer["blocks"]]
    assert fields(values[1])["phash"] == ("Blob", compute_value_hash(values[0]))
    (past_the_end,) = harness.query(ALICE, LEDGER, "get_blocks", {"start": 7, "length": 2})
    assert past_the_end["first_index"] == 3 and past_the_end["blocks"] == []
    (none,) = harness.query(ALICE, LEDGER, "get_blocks", {"start": 0, "length": 0})
    assert none["blocks"] == [] and none["chain_length"] == 3
