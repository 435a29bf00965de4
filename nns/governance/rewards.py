"""Voting rewards: the rate schedule and the split among neurons.

Each governance day the NNS mints a pool of `total supply × R(d) / 365.25`,
where R falls quadratically from 10% a year at genesis to 5% at day 2922
(eight years) and stays there (spec 5.1). A reward event settles the proposals
whose voting ended; each neuron gets `used × pool / total`, where `used` is the
weighted voting power of its Yes/No ballots and `total` the weighted *potential*
voting power of the settled proposals (spec 5.3), so abstentions are simply not
minted. The pool rolls over only when no proposal was settled.

Amounts are computed exactly with fractions and floored to e8s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

INITIAL_REWARD_RATE: Final = Fraction(10, 100)
FINAL_REWARD_RATE: Final = Fraction(5, 100)
REWARD_FLATTENING_DAY: Final = 2_922  # 8 × 365.25 days
DAYS_PER_YEAR: Final = Fraction(1_461, 4)


@dataclass(frozen=True, slots=True, kw_only=True)
class RewardEvent:
    day_after_genesis: int
    actual_timestamp_seconds: int
    settled_proposals: tuple[int, ...]
    distributed_e8s_equivalent: int
    total_available_e8s_equivalent: int
    rounds_since_last_distribution: int
    latest_round_available_e8s_equivalent: int


def compute_reward_rate(day_after_genesis: int) -> Fraction:
    """R(d) = Rf + (R0 − Rf)·((d − T)/(0 − T))² for d ≤ T, else Rf (a yearly fraction)."""
    if day_after_genesis >= REWARD_FLATTENING_DAY:
        return FINAL_REWARD_RATE
    position = Fraction(day_after_genesis - REWARD_FLATTENING_DAY, -REWARD_FLATTENING_DAY)
    return FINAL_REWARD_RATE + (INITIAL_REWARD_RATE - FINAL_REWARD_RATE) * position * position


def compute_reward_pool_e8s(total_supply_e8s: int, days: Iterable[int]) -> int:
    """The supply times the sum of the daily fractions R(d)/365.25 of the given days."""
    fraction = sum((compute_reward_rate(day) / DAYS_PER_YEAR for day in days), Fraction(0))
    return int(total_supply_e8s * fraction)


def compute_neuron_rewards(
    used_voting_power: Mapping[int, int], total_voting_power: int, pool_e8s: int
) -> dict[int, int]:
    """floor(used × pool / total) per neuron; nothing when the total is zero."""
    if total_voting_power <= 0 or pool_e8s <= 0:
        return {}
    return {
        neuron_id: used * pool_e8s // total_voting_power
        for neuron_id, used in used_voting_power.items()
        if used > 0
    }
