"""Nervous-system parameters: their defaults and the framework's bounds (spec sns.md §4.2).

Defaults are `NervousSystemParameters::with_default_values` and the ceilings
are the constants beside it in dfinity/ic rs/sns/governance/src/types.rs; the
CreateServiceNervousSystem bounds on voting periods and bonuses (§2.3) come
from rs/sns/init/src/lib.rs. A parameter set is validated as a whole
(`validate_parameters`); a change (ManageNervousSystemParameters) is the old
set with the given fields replaced, validated again.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import IntEnum
from typing import Any, Final

ONE_DAY_SECONDS: Final = 24 * 3_600
ONE_YEAR_SECONDS: Final = (4 * 365 + 1) * ONE_DAY_SECONDS // 4
ONE_MONTH_SECONDS: Final = ONE_YEAR_SECONDS // 12
E8S_PER_TOKEN: Final = 100_000_000

MAX_PROPOSALS_TO_KEEP_PER_ACTION_CEILING: Final = 700
MAX_NUMBER_OF_NEURONS_CEILING: Final = 200_000
MAX_NUMBER_OF_PROPOSALS_WITH_BALLOTS_CEILING: Final = 700
MAX_FOLLOWEES_PER_FUNCTION_CEILING: Final = 15
MAX_NUMBER_OF_PRINCIPALS_PER_NEURON_FLOOR: Final = 5
MAX_NUMBER_OF_PRINCIPALS_PER_NEURON_CEILING: Final = 15
MAX_DISSOLVE_DELAY_BONUS_PERCENTAGE_CEILING: Final = 900
MAX_AGE_BONUS_PERCENTAGE_CEILING: Final = 400
INITIAL_VOTING_PERIOD_SECONDS_FLOOR: Final = ONE_DAY_SECONDS
INITIAL_VOTING_PERIOD_SECONDS_CEILING: Final = 30 * ONE_DAY_SECONDS
WAIT_FOR_QUIET_DEADLINE_INCREASE_SECONDS_FLOOR: Final = 1
WAIT_FOR_QUIET_DEADLINE_INCREASE_SECONDS_CEILING: Final = 30 * ONE_DAY_SECONDS
INITIAL_REWARD_RATE_BASIS_POINTS_CEILING: Final = 10_000
DEFAULT_TRANSACTION_FEE_E8S: Final = 10_000


class Permission(IntEnum):
    """`NeuronPermissionType` (governance.proto)."""

    UNSPECIFIED = 0
    CONFIGURE_DISSOLVE_STATE = 1
    MANAGE_PRINCIPALS = 2
    SUBMIT_PROPOSAL = 3
    VOTE = 4
    DISBURSE = 5
    SPLIT = 6
    MERGE_MATURITY = 7
    DISBURSE_MATURITY = 8
    STAKE_MATURITY = 9
    MANAGE_VOTING_PERMISSION = 10


ALL_PERMISSIONS: Final = tuple(p for p in Permission if p is not Permission.UNSPECIFIED)
REQUIRED_CLAIMER_PERMISSIONS: Final = frozenset(
    {Permission.MANAGE_PRINCIPALS, Permission.VOTE, Permission.SUBMIT_PROPOSAL}
)


class ParameterError(ValueError):
    """A parameter set outside the framework's bounds."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VotingRewardsParameters:
    """Reward rate decaying quadratically from initial to final over the transition (§2.2, §4.7)."""

    round_duration_seconds: int = ONE_DAY_SECONDS
    reward_rate_transition_duration_seconds: int = 0
    initial_reward_rate_basis_points: int = 0
    final_reward_rate_basis_points: int = 0

    def reward_rate_basis_points_at(self, seconds_since_genesis: int) -> int:
        """rate(t) = final + (initial - final) * ((T - t) / T)^2 for t < T, final after.

        rs/sns/governance/src/reward.rs (`VotingRewardsParameters::reward_rate_at`), in
        integer basis points rounded down.
        """
        transition = self.reward_rate_transition_duration_seconds
        final = self.final_reward_rate_basis_points
        if transition <= 0 or seconds_since_genesis >= transition:
            return final
        remaining = transition - max(0, seconds_since_genesis)
        spread = self.initial_reward_rate_basis_points - final
        return final + spread * remaining * remaining // (transition * transition)


@dataclass(frozen=True, slots=True, kw_only=True)
class NervousSystemParameters:
    reject_cost_e8s: int = E8S_PER_TOKEN
    neuron_minimum_stake_e8s: int = E8S_PER_TOKEN
    transaction_fee_e8s: int = DEFAULT_TRANSACTION_FEE_E8S
    max_proposals_to_keep_per_action: int = 100
    initial_voting_period_seconds: int = 4 * ONE_DAY_SECONDS
    wait_for_quiet_deadline_increase_seconds: int = ONE_DAY_SECONDS
    default_followees: tuple[tuple[int, tuple[bytes, ...]], ...] = ()
    max_number_of_neurons: int = 200_000
    neuron_minimum_dissolve_delay_to_vote_seconds: int = 6 * ONE_MONTH_SECONDS
    max_followees_per_function: int = 15
    max_dissolve_delay_seconds: int = 8 * ONE_YEAR_SECONDS
    max_neuron_age_for_age_bonus: int = 4 * ONE_YEAR_SECONDS
    max_number_of_proposals_with_ballots: int = 700
    neuron_claimer_permissions: tuple[Permission, ...] = ALL_PERMISSIONS
    neuron_grantable_permissions: tuple[Permission, ...] = ()
    max_number_of_principals_per_neuron: int = 5
    voting_rewards_parameters: VotingRewardsParameters = VotingRewardsParameters()
    max_dissolve_delay_bonus_percentage: int = 100
    max_age_bonus_percentage: int = 25
    maturity_modulation_disabled: bool = False
    automatically_advance_target_version: bool = True

    def updated(self, changes: dict[str, Any]) -> NervousSystemParameters:
        """These parameters with the fields in `changes` (None: unchanged) replaced, validated."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ParameterError(f"unknown nervous system parameters: {', '.join(unknown)}")
        result = replace(self, **{k: v for k, v in changes.items() if v is not None})
        validate_parameters(result)
        return result


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ParameterError(message)


def validate_parameters(p: NervousSystemParameters) -> None:
    """`NervousSystemParameters::validate` (rs/sns/governance/src/types.rs), bound by bound."""
    _check(
        p.neuron_minimum_stake_e8s > p.transaction_fee_e8s,
        "neuron_minimum_stake_e8s must be greater than transaction_fee_e8s",
    )
    _check(
        1 <= p.max_proposals_to_keep_per_action <= MAX_PROPOSALS_TO_KEEP_PER_ACTION_CEILING,
        f"max_proposals_to_keep_per_action must be in 1..={MAX_PROPOSALS_TO_KEEP_PER_ACTION_CEILING}",
    )
    _check(
        INITIAL_VOTING_PERIOD_SECONDS_FLOOR
        <= p.initial_voting_period_seconds
        <= INITIAL_VOTING_PERIOD_SECONDS_CEILING,
        "initial_voting_period_seconds must be between 1 day and 30 days",
    )
    _check(
        WAIT_FOR_QUIET_DEADLINE_INCREASE_SECONDS_FLOOR
        <= p.wait_for_quiet_deadline_increase_seconds
        <= WAIT_FOR_QUIET_DEADLINE_INCREASE_SECONDS_CEILING,
        "wait_for_quiet_deadline_increase_seconds must be between 1 second and 30 days",
    )
    _check(
        p.wait_for_quiet_deadline_increase_seconds <= p.initial_voting_period_seconds // 2,
        "wait_for_quiet_deadline_increase_seconds must be at most half the initial voting period",
    )
    _check(
        1 <= p.max_number_of_neurons <= MAX_NUMBER_OF_NEURONS_CEILING,
        f"max_number_of_neurons must be in 1..={MAX_NUMBER_OF_NEURONS_CEILING}",
    )
    _check(
        p.neuron_minimum_dissolve_delay_to_vote_seconds <= p.max_dissolve_delay_seconds,
        "neuron_minimum_dissolve_delay_to_vote_seconds must be at most max_dissolve_delay_seconds",
    )
    _check(
        1 <= p.max_followees_per_function <= MAX_FOLLOWEES_PER_FUNCTION_CEILING,
        f"max_followees_per_function must be in 1..={MAX_FOLLOWEES_PER_FUNCTION_CEILING}",
    )
    _check(
        1 <= p.max_number_of_proposals_with_ballots <= MAX_NUMBER_OF_PROPOSALS_WITH_BALLOTS_CEILING,
        "max_number_of_proposals_with_ballots must be in "
        f"1..={MAX_NUMBER_OF_PROPOSALS_WITH_BALLOTS_CEILING}",
    )
    _check(
        set(p.neuron_claimer_permissions) >= REQUIRED_CLAIMER_PERMISSIONS,
        "neuron_claimer_permissions must include ManagePrincipals, Vote and SubmitProposal",
    )
    _check(
        MAX_NUMBER_OF_PRINCIPALS_PER_NEURON_FLOOR
        <= p.max_number_of_principals_per_neuron
        <= MAX_NUMBER_OF_PRINCIPALS_PER_NEURON_CEILING,
        "max_number_of_principals_per_neuron must be between 5 and 15",
    )
    _check(
        0 <= p.max_dissolve_delay_bonus_percentage <= MAX_DISSOLVE_DELAY_BONUS_PERCENTAGE_CEILING,
        "max_dissolve_delay_bonus_percentage must be at most 900",
    )
    _check(
        0 <= p.max_age_bonus_percentage <= MAX_AGE_BONUS_PERCENTAGE_CEILING,
        "max_age_bonus_percentage must be at most 400",
    )
    rewards = p.voting_rewards_parameters
    _check(rewards.round_duration_seconds > 0, "round_duration_seconds must be positive")
    _check(
        rewards.initial_reward_rate_basis_points <= INITIAL_REWARD_RATE_BASIS_POINTS_CEILING,
        "initial_reward_rate_basis_points must be at most 10,000",
    )
    _check(
        rewards.final_reward_rate_basis_points <= rewards.initial_reward_rate_basis_points,
        "final_reward_rate_basis_points must be at most initial_reward_rate_basis_points",
    )
