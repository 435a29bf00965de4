"""Fault plans round-trip through text; Byzantine transformations change what a node sends."""

from __future__ import annotations

import random

import pytest

from replica.sim.faults import (
    Equivocator,
    FaultPlan,
    InvalidShares,
    MissingShares,
    StopsSigning,
    assign_faults,
)
from replica.types import Principal
from tests.replica.sim.doubles import ToyBlock, ToyForger, ToyShare

PEERS = tuple(Principal.self_authenticating(bytes([i])) for i in range(6))
MAKER = PEERS[0]
BLOCK = ToyBlock(height=3, parent=b"\x00" * 32, maker=MAKER)
SHARE = ToyShare(height=3, signer=MAKER, signature=b"ok")


@pytest.mark.parametrize(
    "text",
    [
        "none",
        "crash:1",
        "crash:2,equivocate:1",
        "partition:1-3.5",
        "drop:10",
        "down:1,stop-signing:1",
    ],
)
def test_a_plan_round_trips_through_text(text: str) -> None:
    assert FaultPlan.parse(text).to_text() == text


def test_unknown_faults_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        FaultPlan.parse("gremlins:1")


def test_mixed_plans_never_exceed_f_faulty_replicas() -> None:
    for seed in range(300):
        for nodes in (1, 4, 7):
            assert FaultPlan.mixed_for_seed(seed, nodes).faulty_nodes <= (nodes - 1) // 3


def test_assignment_is_a_function_of_the_seed_and_uses_distinct_nodes() -> None:
    plan = FaultPlan.parse("crash:1,invalid-shares:1")
    first = assign_faults(plan, 7, 42, horizon_ns=10**10)
    assert first == assign_faults(plan, 7, 42, horizon_ns=10**10)
    crashed = {crash.node for crash in first.crashes}
    assert len(crashed | set(first.behaviours)) == 2
    assert all(
        crash.restart_ns is not None and crash.restart_ns > crash.at_ns for crash in first.crashes
    )


def test_an_equivocator_sends_two_blocks_to_disjoint_halves() -> None:
    sends = Equivocator().transform([BLOCK, SHARE], PEERS[1:], random.Random(1), ToyForger())
    blocks = [send for send in sends if isinstance(send.artifact, ToyBlock)]
    assert len(blocks) == 2 and blocks[0].artifact != blocks[1].artifact
    assert set(blocks[0].receivers).isdisjoint(blocks[1].receivers)
    assert set(blocks[0].receivers) | set(blocks[1].receivers) == set(PEERS[1:])


def test_share_faults() -> None:
    forger = ToyForger()
    assert [
        s.artifact
        for s in StopsSigning().transform([BLOCK, SHARE], PEERS, random.Random(1), forger)
    ] == [BLOCK]
    broken = InvalidShares().transform([SHARE], PEERS, random.Random(1), forger)[0].artifact
    assert isinstance(broken, ToyShare) and broken.signature == b"bad"
    other = (
        InvalidShares(wrong_message=True)
        .transform([SHARE], PEERS, random.Random(1), forger)[0]
        .artifact
    )
    assert isinstance(other, ToyShare) and other.height == 4
    partial = MissingShares(0.5).transform([SHARE] * 20, PEERS, random.Random(1), forger)
    delivered = sum(len(send.receivers) for send in partial)
    assert 0 < delivered < 20 * len(PEERS)


def test_a_bad_dealer_replaces_only_its_own_dealings() -> None:
    from replica.sim.faults import BadDealer

    class DealingForger(ToyForger):
        def is_own_dealing(self, artifact: object) -> bool:
            return artifact == "own dealing"

        def bad_dealing(self, artifact: object, *, few: bool = False) -> object:
            return "bad dealing"

    sends = BadDealer().transform(
        ["own dealing", SHARE, BLOCK], PEERS[1:], random.Random(1), DealingForger()
    )
    assert [send.artifact for send in sends] == ["bad dealing", SHARE, BLOCK]
    assert all(send.receivers == PEERS[1:] for send in sends)
