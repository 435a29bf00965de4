"""Governance constants and the network economics parameters.

`Durations` holds every governance duration of the spec, scaled by the preset
(mainnet seconds on `mainnet`). `NetworkEconomics` holds the parameters a
ManageNetworkEconomics proposal can change, with the defaults of spec section
10 and its "inherit" rule: a zero field in a proposal keeps the current value,
so no field can be set to zero by proposal.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Final, cast

from nns.governance.errors import invalid_proposal
from replica.presets import ONE_DAY_SECONDS, ONE_MONTH_SECONDS, ONE_YEAR_SECONDS, Preset

E8S_PER_ICP: Final = 100_000_000
MAX_HOT_KEYS: Final = 10
MAX_FOLLOWEES_PER_TOPIC: Final = 15
MAX_RECENT_BALLOTS: Final = 100
MAX_NEURONS: Final = 500_000
MAX_LIST_PROPOSALS: Final = 100
MAX_LIST_NEURONS: Final = 500
MAX_OPEN_MANAGE_NEURON_PROPOSALS: Final = 10_000
MAX_UNSETTLED_PROPOSALS_WITH_BALLOTS: Final = 200
MAX_MOTION_TEXT_BYTES: Final = 10_000
MIN_TITLE_BYTES: Final = 5
MAX_TITLE_BYTES: Final = 256
MAX_SUMMARY_BYTES: Final = 30_000
MIN_URL_CHARS: Final = 10
MAX_URL_CHARS: Final = 2_048
MAX_PAYLOAD_BYTES: Final = 70_000
MAX_DISBURSEMENTS_IN_PROGRESS: Final = 10
MIN_MATURITY_MODULATION_BASIS_POINTS: Final = -500
MAX_MATURITY_MODULATION_BASIS_POINTS: Final = 500
# Neuron creation rate limit (governance.rs MAX_SUSTAINED_NEURONS_PER_HOUR = 15,
# MAX_NEURON_CREATION_SPIKE = 300): one slot every 3600/15 s of governance time (scaled by
# the preset, `Durations.neuron_creation_interval_seconds`), burst capacity 15 × 20.
NEURON_RATE_LIMIT_CAPACITY: Final = 300
NEURON_RATE_LIMIT_REFILL_SECONDS: Final = 240
# Proposal garbage collection runs after this many new proposals or a day.
GC_NEW_PROPOSALS_TRIGGER: Final = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class Durations:
    """Every governance duration, in the preset's seconds."""

    one_day_seconds: int
    one_year_seconds: int
    one_month_seconds: int
    max_dissolve_delay_seconds: int
    max_neuron_age_for_age_bonus_seconds: int
    initial_neuron_dissolve_delay_seconds: int
    initial_voting_period_seconds: int
    neuron_management_voting_period_seconds: int
    wait_for_quiet_deadline_increase_seconds: int
    inactive_after_dissolved_seconds: int
    disburse_maturity_delay_seconds: int
    minimum_dissolve_delay_to_vote_lower_bound_seconds: int
    minimum_dissolve_delay_to_vote_upper_bound_seconds: int
    neuron_creation_interval_seconds: int
    """A new neuron-creation slot every this many seconds (at least 1 on fast presets)."""

    @classmethod
    def of(cls, preset: Preset) -> Durations:
        scaled = preset.governance_seconds
        return cls(
            one_day_seconds=scaled(ONE_DAY_SECONDS),
            one_year_seconds=scaled(ONE_YEAR_SECONDS),
            one_month_seconds=scaled(ONE_MONTH_SECONDS),
            max_dissolve_delay_seconds=scaled(8 * ONE_YEAR_SECONDS),
            max_neuron_age_for_age_bonus_seconds=scaled(4 * ONE_YEAR_SECONDS),
            initial_neuron_dissolve_delay_seconds=scaled(7 * ONE_DAY_SECONDS),
            initial_voting_period_seconds=scaled(4 * ONE_DAY_SECONDS),
            neuron_management_voting_period_seconds=scaled(2 * ONE_DAY_SECONDS),
            wait_for_quiet_deadline_increase_seconds=scaled(2 * ONE_DAY_SECONDS),
            inactive_after_dissolved_seconds=scaled(14 * ONE_DAY_SECONDS),
            disburse_maturity_delay_seconds=scaled(7 * ONE_DAY_SECONDS),
            minimum_dissolve_delay_to_vote_lower_bound_seconds=scaled(3 * ONE_MONTH_SECONDS),
            minimum_dissolve_delay_to_vote_upper_bound_seconds=scaled(6 * ONE_MONTH_SECONDS),
            neuron_creation_interval_seconds=scaled(NEURON_RATE_LIMIT_REFILL_SECONDS),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class VotingPowerEconomics:
    start_reducing_voting_power_after_seconds: int
    clear_following_after_seconds: int
    neuron_minimum_dissolve_delay_to_vote_seconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NeuronsFundEconomics:
    max_theoretical_neurons_fund_participation_amount_xdr: int = 750_000
    neurons_fund_matched_funding_curve_contribution_threshold_xdr: int = 75_000
    one_third_participation_milestone_xdr: int = 225_000
    full_participation_milestone_xdr: int = 375_000
    minimum_icp_xdr_rate_basis_points: int = 10_000
    maximum_icp_xdr_rate_basis_points: int = 1_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkEconomics:
    reject_cost_e8s: int
    neuron_minimum_stake_e8s: int
    neuron_management_fee_per_proposal_e8s: int
    minimum_icp_xdr_rate: int
    neuron_spawn_dissolve_delay_seconds: int
    maximum_node_provider_rewards_e8s: int
    transaction_fee_e8s: int
    max_proposals_to_keep_per_topic: int
    voting_power_economics: VotingPowerEconomics
    neurons_fund_economics: NeuronsFundEconomics

    @classmethod
    def default(cls, durations: Durations) -> NetworkEconomics:
        """The code defaults of spec section 10 (reject cost 1 ICP)."""
        return cls(
            reject_cost_e8s=E8S_PER_ICP,
            neuron_minimum_stake_e8s=E8S_PER_ICP,
            neuron_management_fee_per_proposal_e8s=1_000_000,
            minimum_icp_xdr_rate=100,
            neuron_spawn_dissolve_delay_seconds=7 * durations.one_day_seconds,
            maximum_node_provider_rewards_e8s=1_000_000 * E8S_PER_ICP,
            transaction_fee_e8s=10_000,
            max_proposals_to_keep_per_topic=100,
            voting_power_economics=VotingPowerEconomics(
                start_reducing_voting_power_after_seconds=6 * durations.one_month_seconds,
                clear_following_after_seconds=durations.one_month_seconds,
                neuron_minimum_dissolve_delay_to_vote_seconds=6 * durations.one_month_seconds,
            ),
            neurons_fund_economics=NeuronsFundEconomics(),
        )

    def inherit(self, update: NetworkEconomics) -> NetworkEconomics:
        """Non-zero fields of `update` overwrite; zero fields keep the current value."""
        return cast(NetworkEconomics, _inherit(self, update))

    def validate(self, durations: Durations) -> None:
        """Refuse economics that the NNS would refuse (spec section 10)."""
        if self.max_proposals_to_keep_per_topic <= 0:
            raise invalid_proposal("max_proposals_to_keep_per_topic must be positive")
        fund = self.neurons_fund_economics
        if fund.maximum_icp_xdr_rate_basis_points < fund.minimum_icp_xdr_rate_basis_points:
            raise invalid_proposal("the Neurons' Fund maximum ICP/XDR rate is below its minimum")
        if fund.one_third_participation_milestone_xdr >= fund.full_participation_milestone_xdr:
            raise invalid_proposal(
                "the one-third participation milestone must lie below the full participation one"
            )
        delay = self.voting_power_economics.neuron_minimum_dissolve_delay_to_vote_seconds
        low = durations.minimum_dissolve_delay_to_vote_lower_bound_seconds
        high = durations.minimum_dissolve_delay_to_vote_upper_bound_seconds
        if not low <= delay <= high:
            raise invalid_proposal(
                f"neuron_minimum_dissolve_delay_to_vote_seconds must lie in [{low}, {high}], "
                f"got {delay}"
            )


def _inherit(current: object, update: object) -> object:
    changes: dict[str, object] = {}
    for field in fields(current):  # type: ignore[arg-type]
        new = getattr(update, field.name)
        old = getattr(current, field.name)
        if isinstance(new, int):
            if new != 0:
                changes[field.name] = new
        elif new is not None:
            changes[field.name] = _inherit(old, new)
    return replace(current, **changes)  # type: ignore[type-var]


def zero_economics() -> NetworkEconomics:
    """An update that changes nothing: the base to set a few fields of a proposal on."""
    return NetworkEconomics(
        reject_cost_e8s=0,
        neuron_minimum_stake_e8s=0,
        neuron_management_fee_per_proposal_e8s=0,
        minimum_icp_xdr_rate=0,
        neuron_spawn_dissolve_delay_seconds=0,
        maximum_node_provider_rewards_e8s=0,
        transaction_fee_e8s=0,
        max_proposals_to_keep_per_topic=0,
        voting_power_economics=VotingPowerEconomics(
            start_reducing_voting_power_after_seconds=0,
            clear_following_after_seconds=0,
            neuron_minimum_dissolve_delay_to_vote_seconds=0,
        ),
        neurons_fund_economics=NeuronsFundEconomics(
            max_theoretical_neurons_fund_participation_amount_xdr=0,
            neurons_fund_matched_funding_curve_contribution_threshold_xdr=0,
            one_third_participation_milestone_xdr=0,
            full_participation_milestone_xdr=0,
            minimum_icp_xdr_rate_basis_points=0,
            maximum_icp_xdr_rate_basis_points=0,
        ),
    )
