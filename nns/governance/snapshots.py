"""The voting-power spike guard (rs/nns/governance/src/governance/voting_power_snapshots.rs).

Once a day governance records a snapshot of every eligible neuron's deciding
voting power with the totals (timer_tasks/snapshot_voting_power.rs), keeping
the latest seven. A new standard proposal compares its total potential voting
power with the smallest total among the snapshots at most three months old:
above 1.5 times that, it is a spike, and the ballots come from that smallest
snapshot instead of from the neurons now. No snapshot is recorded while the
latest one is itself a spike, and a snapshot whose total is at most the
largest number of followees (15, the size of a ManageNeuron electorate) is
never recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from nns.governance.parameters import MAX_FOLLOWEES_PER_TOPIC
from nns.governance.proposals import Ballots

MAX_VOTING_POWER_SNAPSHOTS: Final = 7
MULTIPLIER_THRESHOLD_FOR_VOTING_POWER_SPIKE: Final = 1.5
ONE_MONTH_SECONDS: Final = 2_629_800
MAXIMUM_STALENESS_SECONDS: Final = 3 * ONE_MONTH_SECONDS
VOTING_POWER_SNAPSHOT_INTERVAL_SECONDS: Final = 86_400


@dataclass(frozen=True, slots=True, kw_only=True)
class VotingPowerSnapshot:
    """Deciding voting power of every eligible neuron at one time, packed, and the totals."""

    timestamp_seconds: int
    total_potential_voting_power: int
    total_deciding_voting_power: int
    packed_voting_power: bytes

    @classmethod
    def of(
        cls, timestamp_seconds: int, power: dict[int, int], total_potential: int
    ) -> VotingPowerSnapshot:
        return cls(
            timestamp_seconds=timestamp_seconds,
            total_potential_voting_power=total_potential,
            total_deciding_voting_power=sum(power.values()),
            packed_voting_power=Ballots(power).encode(),
        )

    def voting_power(self) -> dict[int, int]:
        """neuron id → deciding voting power, the ballots of a proposal made in a spike."""
        return Ballots.decode(self.packed_voting_power).power


Snapshots = tuple[VotingPowerSnapshot, ...]


def record_snapshot(snapshots: Snapshots, snapshot: VotingPowerSnapshot) -> Snapshots:
    """Add a snapshot (replacing one of the same time), keeping the latest seven."""
    if snapshot.total_potential_voting_power <= MAX_FOLLOWEES_PER_TOPIC:
        return snapshots
    kept = [s for s in snapshots if s.timestamp_seconds != snapshot.timestamp_seconds]
    kept.append(snapshot)
    kept.sort(key=lambda s: s.timestamp_seconds)
    return tuple(kept[-MAX_VOTING_POWER_SNAPSHOTS:])


def minimum_snapshot_if_spiked(
    snapshots: Snapshots, now_seconds: int, total_potential_voting_power: int
) -> VotingPowerSnapshot | None:
    """The fresh snapshot of least total potential power, if the given total is a spike over it."""
    fresh = [s for s in snapshots if now_seconds - s.timestamp_seconds <= MAXIMUM_STALENESS_SECONDS]
    if not fresh:
        return None
    # the first of equal minima, in timestamp order, as Rust's min_by_key keeps
    minimum = min(fresh, key=lambda s: s.total_potential_voting_power)
    threshold = (
        float(minimum.total_potential_voting_power) * MULTIPLIER_THRESHOLD_FOR_VOTING_POWER_SPIKE
    )
    return minimum if float(total_potential_voting_power) > threshold else None


def is_latest_snapshot_a_spike(snapshots: Snapshots, now_seconds: int) -> bool:
    if not snapshots:
        return False
    latest = snapshots[-1]
    return (
        minimum_snapshot_if_spiked(snapshots, now_seconds, latest.total_potential_voting_power)
        is not None
    )


def previous_ballots_if_spike(
    snapshots: Snapshots, total_potential_voting_power: int, now_seconds: int
) -> VotingPowerSnapshot | None:
    """The snapshot to build ballots from, once seven snapshots exist and the total spiked."""
    if len(snapshots) < MAX_VOTING_POWER_SNAPSHOTS:
        return None
    return minimum_snapshot_if_spiked(snapshots, now_seconds, total_potential_voting_power)
