"""Fault plans round-trip through text; Byzantine transformations change what a node sends."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from replica.sim.faults import (
    Combined,
    Equivocator,
    FaultPlan,
    InvalidShares,
    MissingShares,
    OutsideCommittee,
    StopsSigning,
    assign_faults,
    get_behaviour,
)
from replica.sim.sweep import sweep_nodes
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
        for nodes in (1, 4, 5, 6, 7):
            assert FaultPlan.mixed_for_seed(seed, nodes).faulty_nodes <= (nodes - 1) // 3


def test_outside_committee_is_planned_only_where_a_member_is_outside_the_committee() -> None:
    """Subnets of 5 and 6 (n > 3f + 1) always get it, those of 3f + 1 never, and a plan naming it
    for one is refused: it could never strike there."""
    for seed in range(200):
        for nodes in (4, 7):
            assert "outside-committee" not in FaultPlan.mixed_for_seed(seed, nodes).to_text()
        for nodes in (5, 6):
            plan = FaultPlan.mixed_for_seed(seed, nodes)
            assert plan.byzantine[0][0].startswith("outside-committee")
            plan.check_subnet(nodes)
    for nodes in (1, 4, 7):
        with pytest.raises(ValueError, match="outside the committee"):
            FaultPlan.parse("drop:5,stop-signing+outside-committee:1").check_subnet(nodes)
    FaultPlan.parse("stop-signing:1").check_subnet(4)


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


def test_an_outsider_combines_a_notarization_from_quorum_less_one_honest_shares() -> None:
    """Honest shares reach it through `watch`; at a height where it is outside the committee it
    combines a notarization as soon as it holds n − f − 1 of a block's shares (its own completes
    it), once per block, and sends what the honest code sends unchanged."""

    class Outsider(ToyForger):
        def notarization_share_of(self, artifact: object) -> tuple[int, bytes, Principal] | None:
            if not isinstance(artifact, tuple):
                return None
            height, block, signer = artifact
            return height, block, signer

        def quorum(self) -> int:
            return 3

        def outside_committee(self, height: int) -> bool:
            return height == 5

        def notarization(
            self, height: int, block: bytes, shares: Sequence[object]
        ) -> object | None:
            return ("notarization", height, block, len(shares))

    forger, rng, behaviour = Outsider(), random.Random(1), OutsideCommittee()
    assert [s.artifact for s in behaviour.transform([BLOCK, SHARE], PEERS, rng, forger)] == [
        BLOCK,
        SHARE,
    ]
    a, b = PEERS[1], PEERS[2]
    assert behaviour.watch(a, [(4, b"x", a)], PEERS, rng, forger) == []  # in the committee
    assert behaviour.watch(a, [(5, b"x", a)], PEERS, rng, forger) == []  # one share of two
    assert behaviour.watch(a, [(5, b"x", a)], PEERS, rng, forger) == []  # the same one again
    assert behaviour.watch(a, [(5, b"x", b)], PEERS, rng, forger) == []  # not its sender's
    sends = behaviour.watch(b, [(5, b"x", b)], PEERS, rng, forger)
    assert [(send.artifact, send.receivers) for send in sends] == [
        (("notarization", 5, b"x", 3), PEERS)
    ]
    assert behaviour.watch(PEERS[3], [(5, b"x", PEERS[3])], PEERS, rng, forger) == []


def test_one_replica_with_several_kinds_of_misbehaviour_does_each() -> None:
    """`stop-signing+equivocate`: its block goes out in two versions and no share at all."""
    behaviour = get_behaviour("stop-signing+equivocate")
    assert isinstance(behaviour, Combined) and behaviour.name == "stop-signing+equivocate"
    sends = behaviour.transform([BLOCK, SHARE], PEERS[1:], random.Random(1), ToyForger())
    assert all(isinstance(send.artifact, ToyBlock) for send in sends)
    assert len({send.artifact for send in sends}) == 2
    assert FaultPlan.parse("stop-signing+equivocate:1").faulty_nodes == 1


def test_the_default_sweep_gives_subnets_of_four_several_kinds_of_misbehaviour() -> None:
    several = [
        seed
        for seed in range(150)
        if sweep_nodes(seed) == 4
        and any(
            len(kind.split("+")) == 3 for kind, _ in FaultPlan.mixed_for_seed(seed, 4).byzantine
        )
    ]
    assert len(several) >= 3


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
