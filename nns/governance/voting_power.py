"""Ballots of a new proposal: every eligible neuron's deciding voting power, fast.

The rule has one source: `get_potential_voting_power` and
`get_deciding_voting_power` in `nns.governance.neuron` (spec 1.5, 1.6), which
the queries use and which the tests hold against the spec's integer formula.
Building the ballots of a proposal applies that rule to every neuron (100,000
and more on mainnet), so `compute_ballots` inlines it over plain integers;
`ballot_of` is the same thing through the reference functions, one neuron at a
time, and a property test holds the two equal (STYLE rule 7).
"""

from __future__ import annotations

from collections.abc import Iterable

from nns.governance.neuron import (
    U64_MAX,
    Neuron,
    get_deciding_voting_power,
    get_dissolve_delay_seconds,
    get_potential_voting_power,
    is_inactive,
)
from nns.governance.parameters import Durations, VotingPowerEconomics


def ballot_of(
    neuron: Neuron, now_seconds: int, durations: Durations, economics: VotingPowerEconomics
) -> tuple[int, int] | None:
    """(deciding, potential) voting power of an eligible neuron; None if it gets no ballot.

    Eligible: a dissolve delay of at least the minimum to vote, and not inactive (spec 4.3)."""
    minimum = economics.neuron_minimum_dissolve_delay_to_vote_seconds
    if get_dissolve_delay_seconds(neuron, now_seconds) < minimum:
        return None
    if is_inactive(neuron, now_seconds, durations):
        return None
    return (
        get_deciding_voting_power(neuron, now_seconds, durations, economics),
        get_potential_voting_power(neuron, now_seconds, durations),
    )


def compute_ballots(
    neurons: Iterable[Neuron],
    now_seconds: int,
    durations: Durations,
    economics: VotingPowerEconomics,
) -> tuple[dict[int, int], int]:
    """neuron id → deciding voting power of every eligible neuron, and the total potential.

    Equal to `ballot_of` applied to each neuron (tested), with the functions inlined."""
    minimum = economics.neuron_minimum_dissolve_delay_to_vote_seconds
    max_delay = durations.max_dissolve_delay_seconds
    max_age = durations.max_neuron_age_for_age_bonus_seconds
    reduce_after = economics.start_reducing_voting_power_after_seconds
    clear_after = economics.clear_following_after_seconds
    ballots: dict[int, int] = {}
    total_potential = 0
    for neuron in neurons:
        delay = neuron.dissolve_delay_seconds
        if delay is None:
            when = neuron.when_dissolved_timestamp_seconds or 0
            delay = when - now_seconds if when > now_seconds else 0
            age = 0
        else:
            age = now_seconds - neuron.aging_since_timestamp_seconds
            age = age if age > 0 else 0
        if delay < minimum or is_inactive(neuron, now_seconds, durations):
            continue
        stake = neuron.cached_neuron_stake_e8s - neuron.neuron_fees_e8s
        stake = (stake if stake > 0 else 0) + neuron.staked_maturity_e8s_equivalent
        capped_delay = delay if delay < max_delay else max_delay
        with_delay = stake + stake * capped_delay // max_delay
        capped_age = age if age < max_age else max_age
        potential = with_delay + with_delay * capped_age // (4 * max_age)
        potential = potential if potential < U64_MAX else U64_MAX
        since = now_seconds - neuron.voting_power_refreshed_timestamp_seconds
        if since <= reduce_after:
            deciding = potential
        elif since >= reduce_after + clear_after:
            deciding = 0
        else:
            # round-half-even of potential × (1 − (since − reduce)/clear), exactly
            quotient, remainder = divmod(
                potential * (reduce_after + clear_after - since), clear_after
            )
            doubled = 2 * remainder
            if doubled > clear_after or (doubled == clear_after and quotient % 2 == 1):
                quotient += 1
            deciding = quotient
        ballots[neuron.id] = deciding
        total_potential += potential
    return ballots, total_potential
