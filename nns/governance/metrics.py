"""Governance metrics: what the neurons hold, summed and bucketed.

`compute_cached_metrics` is the pure function behind `get_metrics`, over every
neuron at one moment (the IC's `GovernanceCachedMetrics`). Neurons are
classified by state (not dissolving, dissolving, dissolved; spawning neurons
are counted apart, `spawning_neurons_count`, and otherwise only in the
totals) and bucketed by dissolve delay in half years: bucket `b` holds the
neurons with `b × ½ year ≤ dissolve delay < (b+1) × ½ year`. Stakes are minted stakes (cached stake
less fees). Subsets (public
neurons, neurons whose controller is not a self-authenticating principal,
neurons whose deciding voting power declines or is lost) get the same sums and
buckets. `total_supply_icp` is the ledger's supply as governance last read it
(at the latest reward event), in whole ICP.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from nns.governance.enums import NeuronState, NeuronType, Visibility
from nns.governance.neuron import (
    Neuron,
    get_deciding_voting_power,
    get_dissolve_delay_seconds,
    get_minted_stake_e8s,
    get_potential_voting_power,
    get_state,
    is_inactive,
)
from nns.governance.parameters import Durations, NetworkEconomics

E8S_PER_ICP: Final = 100_000_000
_SELF_AUTHENTICATING_CLASS: Final = 0x02


@dataclass(slots=True)
class NeuronSubsetMetrics:
    count: int = 0
    total_staked_e8s: int = 0
    total_maturity_e8s_equivalent: int = 0
    total_staked_maturity_e8s_equivalent: int = 0
    total_voting_power: int = 0
    total_deciding_voting_power: int = 0
    total_potential_voting_power: int = 0
    count_buckets: dict[int, int] = field(default_factory=dict)
    staked_e8s_buckets: dict[int, int] = field(default_factory=dict)
    maturity_e8s_equivalent_buckets: dict[int, int] = field(default_factory=dict)
    staked_maturity_e8s_equivalent_buckets: dict[int, int] = field(default_factory=dict)
    voting_power_buckets: dict[int, int] = field(default_factory=dict)
    deciding_voting_power_buckets: dict[int, int] = field(default_factory=dict)
    potential_voting_power_buckets: dict[int, int] = field(default_factory=dict)

    def add(
        self,
        bucket: int,
        stake: int,
        maturity: int,
        staked_maturity: int,
        deciding: int,
        potential: int,
    ) -> None:
        self.count += 1
        self.total_staked_e8s += stake
        self.total_maturity_e8s_equivalent += maturity
        self.total_staked_maturity_e8s_equivalent += staked_maturity
        self.total_voting_power += deciding
        self.total_deciding_voting_power += deciding
        self.total_potential_voting_power += potential
        for buckets, amount in (
            (self.count_buckets, 1),
            (self.staked_e8s_buckets, stake),
            (self.maturity_e8s_equivalent_buckets, maturity),
            (self.staked_maturity_e8s_equivalent_buckets, staked_maturity),
            (self.voting_power_buckets, deciding),
            (self.deciding_voting_power_buckets, deciding),
            (self.potential_voting_power_buckets, potential),
        ):
            buckets[bucket] = buckets.get(bucket, 0) + amount


@dataclass(slots=True)
class GovernanceCachedMetrics:
    timestamp_seconds: int
    total_supply_icp: int
    total_staked_e8s: int = 0
    total_locked_e8s: int = 0
    total_maturity_e8s_equivalent: int = 0
    total_staked_maturity_e8s_equivalent: int = 0
    dissolving_neurons_count: int = 0
    dissolving_neurons_count_buckets: dict[int, int] = field(default_factory=dict)
    dissolving_neurons_e8s_buckets: dict[int, float] = field(default_factory=dict)
    dissolving_neurons_e8s_buckets_seed: dict[int, float] = field(default_factory=dict)
    dissolving_neurons_e8s_buckets_ect: dict[int, float] = field(default_factory=dict)
    dissolving_neurons_staked_maturity_e8s_equivalent_buckets: dict[int, float] = field(
        default_factory=dict
    )
    dissolving_neurons_staked_maturity_e8s_equivalent_sum: int = 0
    not_dissolving_neurons_count: int = 0
    not_dissolving_neurons_count_buckets: dict[int, int] = field(default_factory=dict)
    not_dissolving_neurons_e8s_buckets: dict[int, float] = field(default_factory=dict)
    not_dissolving_neurons_e8s_buckets_seed: dict[int, float] = field(default_factory=dict)
    not_dissolving_neurons_e8s_buckets_ect: dict[int, float] = field(default_factory=dict)
    not_dissolving_neurons_staked_maturity_e8s_equivalent_buckets: dict[int, float] = field(
        default_factory=dict
    )
    not_dissolving_neurons_staked_maturity_e8s_equivalent_sum: int = 0
    dissolved_neurons_count: int = 0
    dissolved_neurons_e8s: int = 0
    garbage_collectable_neurons_count: int = 0
    neurons_with_invalid_stake_count: int = 0
    neurons_with_less_than_6_months_dissolve_delay_count: int = 0
    neurons_with_less_than_6_months_dissolve_delay_e8s: int = 0
    community_fund_total_staked_e8s: int = 0
    community_fund_total_maturity_e8s_equivalent: int = 0
    neurons_fund_total_active_neurons: int = 0
    seed_neuron_count: int = 0
    ect_neuron_count: int = 0
    spawning_neurons_count: int = 0
    total_staked_e8s_seed: int = 0
    total_staked_e8s_ect: int = 0
    total_staked_maturity_e8s_equivalent_seed: int = 0
    total_staked_maturity_e8s_equivalent_ect: int = 0
    total_staked_e8s_non_self_authenticating_controller: int = 0
    total_voting_power_non_self_authenticating_controller: int = 0
    public_neuron_subset_metrics: NeuronSubsetMetrics = field(default_factory=NeuronSubsetMetrics)
    non_self_authenticating_controller_neuron_subset_metrics: NeuronSubsetMetrics = field(
        default_factory=NeuronSubsetMetrics
    )
    declining_voting_power_neuron_subset_metrics: NeuronSubsetMetrics = field(
        default_factory=NeuronSubsetMetrics
    )
    fully_lost_voting_power_neuron_subset_metrics: NeuronSubsetMetrics = field(
        default_factory=NeuronSubsetMetrics
    )


def _add(buckets: dict[int, float], bucket: int, amount: int) -> None:
    buckets[bucket] = buckets.get(bucket, 0.0) + float(amount)


def compute_cached_metrics(
    neurons: Iterable[Neuron],
    *,
    now_seconds: int,
    durations: Durations,
    economics: NetworkEconomics,
    total_supply_e8s: int,
) -> GovernanceCachedMetrics:
    metrics = GovernanceCachedMetrics(
        timestamp_seconds=now_seconds, total_supply_icp=total_supply_e8s // E8S_PER_ICP
    )
    half_year = durations.one_year_seconds // 2
    voting = economics.voting_power_economics
    start, span = (
        voting.start_reducing_voting_power_after_seconds,
        voting.clear_following_after_seconds,
    )
    for neuron in neurons:
        stake = get_minted_stake_e8s(neuron)
        maturity, staked_maturity = (
            neuron.maturity_e8s_equivalent,
            neuron.staked_maturity_e8s_equivalent,
        )
        delay = get_dissolve_delay_seconds(neuron, now_seconds)
        bucket = delay // half_year
        state = get_state(neuron, now_seconds)
        metrics.total_staked_e8s += stake
        metrics.total_maturity_e8s_equivalent += maturity
        metrics.total_staked_maturity_e8s_equivalent += staked_maturity
        if neuron.cached_neuron_stake_e8s < economics.neuron_minimum_stake_e8s:
            metrics.neurons_with_invalid_stake_count += 1
        if delay < half_year:
            metrics.neurons_with_less_than_6_months_dissolve_delay_count += 1
            metrics.neurons_with_less_than_6_months_dissolve_delay_e8s += stake
        if is_inactive(neuron, now_seconds, durations):
            metrics.garbage_collectable_neurons_count += 1
        if neuron.joined_community_fund_timestamp_seconds:
            metrics.community_fund_total_staked_e8s += stake
            metrics.community_fund_total_maturity_e8s_equivalent += maturity
            metrics.neurons_fund_total_active_neurons += 1
        seed, ect = neuron.neuron_type == NeuronType.SEED, neuron.neuron_type == NeuronType.ECT
        if seed:
            metrics.seed_neuron_count += 1
            metrics.total_staked_e8s_seed += stake
            metrics.total_staked_maturity_e8s_equivalent_seed += staked_maturity
        if ect:
            metrics.ect_neuron_count += 1
            metrics.total_staked_e8s_ect += stake
            metrics.total_staked_maturity_e8s_equivalent_ect += staked_maturity
        if state == NeuronState.NOT_DISSOLVING:
            metrics.total_locked_e8s += stake
            metrics.not_dissolving_neurons_count += 1
            counts = metrics.not_dissolving_neurons_count_buckets
            counts[bucket] = counts.get(bucket, 0) + 1
            _add(metrics.not_dissolving_neurons_e8s_buckets, bucket, stake)
            _add(
                metrics.not_dissolving_neurons_staked_maturity_e8s_equivalent_buckets,
                bucket,
                staked_maturity,
            )
            metrics.not_dissolving_neurons_staked_maturity_e8s_equivalent_sum += staked_maturity
            if seed:
                _add(metrics.not_dissolving_neurons_e8s_buckets_seed, bucket, stake)
            if ect:
                _add(metrics.not_dissolving_neurons_e8s_buckets_ect, bucket, stake)
        elif state == NeuronState.DISSOLVING:
            metrics.total_locked_e8s += stake
            metrics.dissolving_neurons_count += 1
            counts = metrics.dissolving_neurons_count_buckets
            counts[bucket] = counts.get(bucket, 0) + 1
            _add(metrics.dissolving_neurons_e8s_buckets, bucket, stake)
            _add(
                metrics.dissolving_neurons_staked_maturity_e8s_equivalent_buckets,
                bucket,
                staked_maturity,
            )
            metrics.dissolving_neurons_staked_maturity_e8s_equivalent_sum += staked_maturity
            if seed:
                _add(metrics.dissolving_neurons_e8s_buckets_seed, bucket, stake)
            if ect:
                _add(metrics.dissolving_neurons_e8s_buckets_ect, bucket, stake)
        elif state == NeuronState.DISSOLVED:
            metrics.dissolved_neurons_count += 1
            metrics.dissolved_neurons_e8s += stake
        elif state == NeuronState.SPAWNING:
            metrics.spawning_neurons_count += 1
        potential = get_potential_voting_power(neuron, now_seconds, durations)
        deciding = get_deciding_voting_power(neuron, now_seconds, durations, voting)
        entry = (bucket, stake, maturity, staked_maturity, deciding, potential)
        if neuron.visibility == Visibility.PUBLIC:
            metrics.public_neuron_subset_metrics.add(*entry)
        if neuron.controller.raw[-1:] != bytes([_SELF_AUTHENTICATING_CLASS]):
            metrics.total_staked_e8s_non_self_authenticating_controller += stake
            metrics.total_voting_power_non_self_authenticating_controller += deciding
            metrics.non_self_authenticating_controller_neuron_subset_metrics.add(*entry)
        since_refresh = now_seconds - neuron.voting_power_refreshed_timestamp_seconds
        if start < since_refresh < start + span:
            metrics.declining_voting_power_neuron_subset_metrics.add(*entry)
        elif since_refresh >= start + span:
            metrics.fully_lost_voting_power_neuron_subset_metrics.add(*entry)
    return metrics
