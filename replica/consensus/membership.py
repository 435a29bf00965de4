"""Who does what at a height: committees, thresholds, block-maker ranks (spec D.1).

A subnet of n nodes tolerates f = (n−1)//3 faults. The notarization committee
has 3f+1 members and signs with n−f shares (committee size minus f). At each
height the *sorted* member list is shuffled by a generator seeded from the
previous height's random beacon and a purpose tag; the first f+1 nodes of the
block-maker shuffle get ranks 0..f (rank 0 is the primary), the first 3f+1
of the committee shuffle form the notarization committee.

Which registry version and which threshold keys hold at a height comes from
the summary blocks (`get_active_data_at`, spec D.3): a height in a summary's
own interval uses the summary's registry version and current transcripts; a
height in the interval after uses the summary block's validation-context
registry version and its next transcripts (the current ones where a DKG
failed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Final

from replica.consensus.artifacts import Block, KeyTranscript, RandomBeacon
from replica.crypto.dkg import DkgTag
from replica.types import Principal


class Purpose(Enum):
    BLOCK_MAKER_RANKING = b"blockmaker_ranking"
    COMMITTEE_SAMPLING = b"committee_sampling"


_SHUFFLE_DOMAIN: Final = b"\x0fic-csprng-seed"


def compute_faults_tolerated(nodes: int) -> int:
    """f = (n − 1) // 3."""
    return max(0, (nodes - 1) // 3)


def compute_committee_size(nodes: int) -> int:
    """3f + 1: nodes beyond it are not sampled into the notarization committee."""
    return 3 * compute_faults_tolerated(nodes) + 1


def compute_notarization_threshold(nodes: int) -> int:
    """Committee size minus f (n − f when n = 3f + 1); also the finalization threshold."""
    return compute_committee_size(nodes) - compute_faults_tolerated(nodes)


def compute_low_threshold(nodes: int) -> int:
    return compute_faults_tolerated(nodes) + 1


def compute_high_threshold(nodes: int) -> int:
    return compute_committee_size(nodes) - compute_faults_tolerated(nodes)


def compute_support_threshold(receivers: int) -> int:
    """How many receivers must support a dealing before a block may include it (see `dealings`):
    n − f, the most the honest receivers alone always reach. It is at least threshold + f for the
    low threshold (so `threshold` honest receivers hold a checked share), and for the high
    threshold when n ≥ 4f + 1; and it leaves at most f receivers without a checked share."""
    return receivers - compute_faults_tolerated(receivers)


class _Stream:
    """A SHA-256 counter-mode byte stream: the CSPRNG of the shuffles."""

    def __init__(self, seed: bytes) -> None:
        self._seed = seed
        self._counter = 0
        self._buffer = b""

    def _take(self, count: int) -> bytes:
        while len(self._buffer) < count:
            self._buffer += hashlib.sha256(self._seed + self._counter.to_bytes(8, "big")).digest()
            self._counter += 1
        out, self._buffer = self._buffer[:count], self._buffer[count:]
        return out

    def below(self, bound: int) -> int:
        """Uniform in [0, bound), by rejection sampling on 8-byte draws."""
        limit = (1 << 64) // bound * bound
        while True:
            value = int.from_bytes(self._take(8), "big")
            if value < limit:
                return value % bound


def compute_shuffled_nodes(
    members: Sequence[Principal], beacon: RandomBeacon, purpose: Purpose
) -> tuple[Principal, ...]:
    """Fisher–Yates over the sorted members, seeded by the beacon and the purpose."""
    nodes = sorted(members)
    stream = _Stream(hashlib.sha256(_SHUFFLE_DOMAIN + purpose.value + beacon.id).digest())
    for index in range(len(nodes) - 1, 0, -1):
        other = stream.below(index + 1)
        nodes[index], nodes[other] = nodes[other], nodes[index]
    return tuple(nodes)


def compute_block_maker_ranks(
    members: Sequence[Principal], beacon: RandomBeacon
) -> dict[Principal, int]:
    """Ranks 0..f of the first f+1 nodes of the block-maker shuffle."""
    shuffled = compute_shuffled_nodes(members, beacon, Purpose.BLOCK_MAKER_RANKING)
    makers = compute_faults_tolerated(len(members)) + 1
    return {node: rank for rank, node in enumerate(shuffled[:makers])}


def compute_notarization_committee(
    members: Sequence[Principal], beacon: RandomBeacon
) -> frozenset[Principal]:
    """The first 3f+1 nodes of the committee shuffle (everyone when n = 3f+1)."""
    size = compute_committee_size(len(members))
    if size >= len(members):
        return frozenset(members)
    return frozenset(compute_shuffled_nodes(members, beacon, Purpose.COMMITTEE_SAMPLING)[:size])


@dataclass(frozen=True, slots=True, kw_only=True)
class ActiveData:
    """The registry version and threshold keys that hold at one height."""

    registry_version: int
    summary_height: int
    low: KeyTranscript
    high: KeyTranscript

    def transcript(self, tag: DkgTag) -> KeyTranscript:
        return self.low if tag == "low" else self.high


def get_active_data_at(summary_block: Block, height: int) -> ActiveData | None:
    """Spec D.3 `get_active_data_at`, from the latest summary block at or below `height`."""
    summary = summary_block.summary
    if summary.is_in_interval(height):
        low, high = summary.get_current("low"), summary.get_current("high")
        if low is None or high is None:
            return None
        return ActiveData(
            registry_version=summary.registry_version,
            summary_height=summary.height,
            low=low,
            high=high,
        )
    if summary.is_in_next_interval(height):
        low = summary.get_next("low") or summary.get_current("low")
        high = summary.get_next("high") or summary.get_current("high")
        if low is None or high is None:
            return None
        return ActiveData(
            registry_version=summary_block.context.registry_version,
            summary_height=summary.next_summary_height,
            low=low,
            high=high,
        )
    return None


def is_summary_height(summary_block: Block, height: int) -> bool:
    """Whether the block at `height` after this summary must be the next summary block."""
    return height == summary_block.summary.next_summary_height
