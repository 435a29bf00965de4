"""The SNS ledger's certified tip: `icrc3_get_tip_certificate` and `get_data_certificate`.

Rules: ICRC-3 (dfinity/ICRC-1 standards/ICRC-3/README.md, "icrc3_get_tip_certificate") and the
IC's ICRC-1 ledger (rs/ledger_suite/icrc1/ledger/src/lib.rs `construct_hash_tree`, main.rs
`icrc3_get_tip_certificate`): the certified data is the root of
`fork(last_block_hash -> hash, last_block_index -> leb128(index))`, and the certificate is only
present in a non-replicated query. Here the subnet's certificate is signed with a test key over
the harness's state, as a replica's certification would be.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from replica.candid import decode, encode
from replica.candid.wire import leb128
from replica.crypto import bls, hashtree
from replica.crypto.certificate import Certificate, sign_tree
from replica.execution.harness import SubnetHarness
from sns.icrc3 import compute_value_hash
from sns.tip_certificate import TipCertificateError, verify_tip_certificate
from tests.sns.test_icrc3 import candid_to_value
from tests.sns.test_ledger_index import ALICE, BOB, LEDGER, account, make, transfer

SECRET = 0x5A5A_1CE5
ROOT_KEY = bls.public_key_to_der(bls.public_key(SECRET))


def subnet_certificate(harness: SubnetHarness, secret: int = SECRET) -> Certificate:
    """The certificate a subnet would give now: the ledger's certified data and the time."""
    certified = harness.engine.canisters[LEDGER].certified_data
    tree = hashtree.build(
        {"canister": {LEDGER.raw: {"certified_data": certified}}, "time": harness.time_ns}
    )
    return sign_tree(tree, secret)


def tip_certificate(harness: SubnetHarness, certificate: Certificate | None) -> Any:
    spec = harness.engine.canisters[LEDGER].interface.methods["icrc3_get_tip_certificate"]
    answer = harness.engine.query(
        LEDGER, "icrc3_get_tip_certificate", encode([], []), ALICE, certificate=certificate
    )
    assert isinstance(answer, bytes)
    (reply,) = decode(answer, spec.results)
    return reply


def tip(harness: SubnetHarness) -> tuple[int, bytes]:
    (answer,) = harness.query(ALICE, LEDGER, "icrc3_get_blocks", [{"start": 0, "length": 1000}])
    last = answer["blocks"][-1]
    return last["id"], compute_value_hash(candid_to_value(last["block"]))


def test_the_certificate_proves_the_tip_of_the_initial_distribution_and_after_transfers(
    tmp_path: Path,
) -> None:
    harness = make(tmp_path)
    harness.run_round()  # the heartbeat certifies the initial distribution's tip
    proven = verify_tip_certificate(
        tip_certificate(harness, subnet_certificate(harness)), LEDGER, ROOT_KEY, now_ns=None
    )
    assert (proven.last_block_index, proven.last_block_hash) == tip(harness) == (1, tip(harness)[1])
    assert proven.certified_at_ns == harness.time_ns
    harness.call(ALICE, LEDGER, "icrc1_transfer", transfer(account(BOB), 1_000_000))
    proven = verify_tip_certificate(
        tip_certificate(harness, subnet_certificate(harness)), LEDGER, ROOT_KEY, now_ns=None
    )
    assert (proven.last_block_index, proven.last_block_hash) == tip(harness)
    assert proven.last_block_index == 2


def test_the_tree_is_the_ic_ledgers_and_the_legacy_query_carries_the_same(tmp_path: Path) -> None:
    harness = make(tmp_path)
    harness.call(ALICE, LEDGER, "icrc1_transfer", transfer(account(BOB), 1_000_000))
    index, block_hash = tip(harness)
    expected = hashtree.Fork(
        hashtree.Labeled(b"last_block_hash", hashtree.Leaf(block_hash)),
        hashtree.Labeled(b"last_block_index", hashtree.Leaf(leb128(index))),
    )
    assert harness.engine.canisters[LEDGER].certified_data == expected.digest
    reply = tip_certificate(harness, subnet_certificate(harness))
    assert hashtree.decode(reply["hash_tree"]) == expected
    (legacy,) = harness.query(ALICE, LEDGER, "get_data_certificate")
    assert legacy["certificate"] is None  # a replicated query has no certificate
    assert hashtree.decode(legacy["hash_tree"]) == expected


def test_no_certificate_in_a_replicated_query_or_for_stale_data(tmp_path: Path) -> None:
    harness = make(tmp_path)
    harness.run_round()
    assert harness.query(ALICE, LEDGER, "icrc3_get_tip_certificate") == [None]
    stale = subnet_certificate(harness)
    harness.call(ALICE, LEDGER, "icrc1_transfer", transfer(account(BOB), 1_000_000))
    assert tip_certificate(harness, stale) is None  # it certifies older data: none is given
    with pytest.raises(TipCertificateError, match="no certificate"):
        verify_tip_certificate(None, LEDGER, ROOT_KEY)


def test_a_wrong_key_or_a_tampered_tree_fails(tmp_path: Path) -> None:
    harness = make(tmp_path)
    harness.run_round()
    forged = tip_certificate(harness, subnet_certificate(harness, secret=SECRET + 1))
    with pytest.raises(TipCertificateError, match="do not verify"):
        verify_tip_certificate(forged, LEDGER, ROOT_KEY, now_ns=None)
    reply = tip_certificate(harness, subnet_certificate(harness))
    tampered = hashtree.encode(
        hashtree.build({b"last_block_hash": b"\x00" * 32, b"last_block_index": leb128(1)})
    )
    with pytest.raises(TipCertificateError, match="not the ledger's certified data"):
        verify_tip_certificate({**reply, "hash_tree": tampered}, LEDGER, ROOT_KEY, now_ns=None)
