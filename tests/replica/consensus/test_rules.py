"""The pure rules of consensus: thresholds, ranking, delays, the finalizer rule, active data."""

from __future__ import annotations

from replica.consensus.artifacts import (
    ZERO_HASH,
    Block,
    DkgSummary,
    KeyTranscript,
    RandomBeacon,
    ValidationContext,
)
from replica.consensus.finalizer import is_finalization_allowed
from replica.consensus.membership import (
    Purpose,
    compute_block_maker_ranks,
    compute_committee_size,
    compute_faults_tolerated,
    compute_high_threshold,
    compute_low_threshold,
    compute_notarization_committee,
    compute_notarization_threshold,
    compute_shuffled_nodes,
    compute_support_threshold,
    get_active_data_at,
)
from replica.consensus.notary import compute_notary_delay_ns
from replica.types import Principal

NODES = tuple(Principal.self_authenticating(bytes([i]) * 8) for i in range(13))
MS = 1_000_000


def beacon(tag: bytes) -> RandomBeacon:
    return RandomBeacon(height=1, parent=ZERO_HASH, signature=tag)


def test_thresholds_follow_the_fault_bound() -> None:
    assert [compute_faults_tolerated(n) for n in (1, 3, 4, 6, 7, 13, 40)] == [0, 0, 1, 1, 2, 4, 13]
    assert compute_committee_size(6) == 4 and compute_notarization_threshold(6) == 3
    assert compute_notarization_threshold(4) == 3 and compute_notarization_threshold(13) == 9
    for n in range(1, 50):
        c, f, t = (
            compute_committee_size(n),
            compute_faults_tolerated(n),
            compute_notarization_threshold(n),
        )
        assert c - (t - f) < t and c - f >= t  # safety and liveness (MEMB test)


def test_dealing_support_is_reachable_by_honest_receivers_and_leaves_at_most_f_cheated() -> None:
    assert [compute_support_threshold(n) for n in (1, 4, 5, 7, 13, 40)] == [1, 3, 4, 5, 9, 27]
    for n in range(1, 50):
        f = compute_faults_tolerated(n)
        support = compute_support_threshold(n)
        assert support <= n - f  # liveness: the honest receivers alone reach it
        assert n - support <= f  # a dealing that cheats f + 1 receivers never gets it
        low, high = compute_low_threshold(n), compute_high_threshold(n)
        assert support - f >= low  # t honest receivers with a checked share of the low key
        assert (support - f >= high) == (n >= 4 * f + 1)


def test_ranking_is_a_deterministic_shuffle_of_the_sorted_members() -> None:
    members = NODES[:7]
    shuffled = compute_shuffled_nodes(members, beacon(b"a"), Purpose.BLOCK_MAKER_RANKING)
    assert sorted(shuffled) == sorted(members)
    assert shuffled == compute_shuffled_nodes(
        tuple(reversed(members)), beacon(b"a"), Purpose.BLOCK_MAKER_RANKING
    )
    assert shuffled != compute_shuffled_nodes(members, beacon(b"b"), Purpose.BLOCK_MAKER_RANKING)
    assert shuffled != compute_shuffled_nodes(members, beacon(b"a"), Purpose.COMMITTEE_SAMPLING)
    ranks = compute_block_maker_ranks(members, beacon(b"a"))
    assert sorted(ranks.values()) == [0, 1, 2]  # f + 1 = 3 ranked makers
    assert [node for node, _ in sorted(ranks.items(), key=lambda item: item[1])] == list(
        shuffled[:3]
    )


def test_every_member_gets_rank_zero_sometimes() -> None:
    members = NODES[:4]
    primaries = {
        next(n for n, r in compute_block_maker_ranks(members, beacon(bytes([i]))).items() if r == 0)
        for i in range(64)
    }
    assert primaries == set(members)


def test_the_notarization_committee_is_sampled_beyond_three_f_plus_one() -> None:
    assert compute_notarization_committee(NODES[:4], beacon(b"x")) == frozenset(NODES[:4])
    committee = compute_notarization_committee(NODES[:6], beacon(b"x"))
    assert len(committee) == 4 and committee <= set(NODES[:6])


def test_notary_delay_formula() -> None:
    def delay(
        rank: int, notarized: int, finalized: int, certified: int, cup: int = 0
    ) -> int | None:
        return compute_notary_delay_ns(
            rank=rank,
            unit_delay_ms=1000,
            initial_notary_delay_ms=300,
            notarized_height=notarized,
            finalized_height=finalized,
            certified_height=certified,
            next_cup_height=cup,
        )

    assert delay(0, 10, 10, 10) == 300 * MS
    assert delay(2, 10, 10, 10) == (300 + 2000) * MS
    assert delay(1, 12, 10, 10) == (300 + 2250) * MS  # 1.5^2 = 2.25
    assert delay(0, 10, 10, 6) == (300 + 1000) * MS  # finalized − certified − 3 = 1
    assert delay(0, 10, 10, 7) == 300 * MS
    assert delay(0, 80, 80, 10, cup=75) is None  # notarized − certified >= 70
    assert delay(0, 79, 79, 10, cup=75) is not None
    assert delay(0, 80, 80, 80, cup=10) is None  # notarized − next CUP height >= 70


def test_finalizer_rule() -> None:
    assert is_finalization_allowed(b"b", [])
    assert is_finalization_allowed(b"b", [b"b"])
    assert not is_finalization_allowed(b"b", [b"b", b"c"])
    assert not is_finalization_allowed(b"b", [b"c"])


def transcript(tag: str, start: int) -> KeyTranscript:
    return KeyTranscript(
        tag=tag,  # type: ignore[arg-type]
        dkg_start_height=start,
        registry_version=1,
        committee=NODES[:4],
        threshold=2,
        commitments=(bytes(96),),
    )


def summary_block(
    height: int, *, registry_version: int, context_version: int, next_low: bool = True
) -> Block:
    summary = DkgSummary(
        registry_version=registry_version,
        configs=(),
        current_transcripts=(transcript("low", 0), transcript("high", 0)),
        next_transcripts=(transcript("low", 5), transcript("high", 5))
        if next_low
        else (transcript("high", 5),),
        interval_length=4,
        next_interval_length=9,
        height=height,
    )
    return Block(
        version="1",
        parent=ZERO_HASH,
        height=height,
        rank=0,
        context=ValidationContext(registry_version=context_version, certified_height=0, time_ns=0),
        payload=summary,
    )


def test_summary_heights_and_active_data() -> None:
    block = summary_block(10, registry_version=3, context_version=7)
    summary = block.summary
    assert summary.next_summary_height == 15
    assert [h for h in range(8, 30) if summary.is_in_interval(h)] == list(range(10, 15))
    assert [h for h in range(8, 30) if summary.is_in_next_interval(h)] == list(range(15, 25))
    here = get_active_data_at(block, 12)
    assert here is not None and here.registry_version == 3 and here.low.dkg_start_height == 0
    ahead = get_active_data_at(block, 20)
    assert ahead is not None and ahead.registry_version == 7 and ahead.summary_height == 15
    assert ahead.low.dkg_start_height == 5 and ahead.high.dkg_start_height == 5
    assert get_active_data_at(block, 25) is None and get_active_data_at(block, 9) is None
    fallback = get_active_data_at(
        summary_block(10, registry_version=3, context_version=7, next_low=False), 16
    )
    assert (
        fallback is not None
        and fallback.low.dkg_start_height == 0
        and fallback.high.dkg_start_height == 5
    )
