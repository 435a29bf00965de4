"""SNS proposals: native action ids, topics, criticality and the decision rule.

Native action ids are `native_action_ids` of dfinity/ic
rs/sns/governance/src/types.rs and their topics `topic_descriptions()` of
rs/sns/governance/src/topics.rs (spec sns.md §4.4). Critical proposals need
20 % of the total voting power and 67 % of the exercised voting power, and
vote for at least 5 days (extendable by wait-for-quiet to 10); the others need
3 % and 50 % over the SNS's configured period. The decision rule is
`ProposalData::is_accepted`, `early_decision` and `majority_decision` of
rs/sns/governance/src/proposal.rs; wait-for-quiet is `evaluate_wait_for_quiet`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from sns.governance.parameters import ONE_DAY_SECONDS


class Topic(IntEnum):
    """`Topic` of governance.proto (the seven topics of 2025)."""

    UNSPECIFIED = 0
    DAO_COMMUNITY_SETTINGS = 1
    SNS_FRAMEWORK_MANAGEMENT = 2
    DAPP_CANISTER_MANAGEMENT = 3
    APPLICATION_BUSINESS_LOGIC = 4
    GOVERNANCE = 5
    TREASURY_ASSET_MANAGEMENT = 6
    CRITICAL_DAPP_OPERATIONS = 7


CRITICAL_TOPICS: Final = frozenset(
    {Topic.DAO_COMMUNITY_SETTINGS, Topic.TREASURY_ASSET_MANAGEMENT, Topic.CRITICAL_DAPP_OPERATIONS}
)


class Action(IntEnum):
    """Native action ids (types.rs `native_action_ids`)."""

    UNSPECIFIED = 0
    MOTION = 1
    MANAGE_NERVOUS_SYSTEM_PARAMETERS = 2
    UPGRADE_SNS_CONTROLLED_CANISTER = 3
    ADD_GENERIC_NERVOUS_SYSTEM_FUNCTION = 4
    REMOVE_GENERIC_NERVOUS_SYSTEM_FUNCTION = 5
    EXECUTE_GENERIC_NERVOUS_SYSTEM_FUNCTION = 6
    UPGRADE_SNS_TO_NEXT_VERSION = 7
    MANAGE_SNS_METADATA = 8
    TRANSFER_SNS_TREASURY_FUNDS = 9
    REGISTER_DAPP_CANISTERS = 10
    DEREGISTER_DAPP_CANISTERS = 11
    MINT_SNS_TOKENS = 12
    MANAGE_LEDGER_PARAMETERS = 13
    MANAGE_DAPP_CANISTER_SETTINGS = 14
    ADVANCE_SNS_TARGET_VERSION = 15
    SET_TOPICS_FOR_CUSTOM_PROPOSALS = 16
    REGISTER_EXTENSION = 17
    EXECUTE_EXTENSION_OPERATION = 18
    UPGRADE_EXTENSION = 19


NATIVE_ACTION_TOPICS: Final[dict[Action, Topic]] = {
    Action.MOTION: Topic.GOVERNANCE,
    Action.MANAGE_NERVOUS_SYSTEM_PARAMETERS: Topic.DAO_COMMUNITY_SETTINGS,
    Action.UPGRADE_SNS_CONTROLLED_CANISTER: Topic.DAPP_CANISTER_MANAGEMENT,
    Action.ADD_GENERIC_NERVOUS_SYSTEM_FUNCTION: Topic.CRITICAL_DAPP_OPERATIONS,
    Action.REMOVE_GENERIC_NERVOUS_SYSTEM_FUNCTION: Topic.CRITICAL_DAPP_OPERATIONS,
    Action.UPGRADE_SNS_TO_NEXT_VERSION: Topic.SNS_FRAMEWORK_MANAGEMENT,
    Action.MANAGE_SNS_METADATA: Topic.DAO_COMMUNITY_SETTINGS,
    Action.TRANSFER_SNS_TREASURY_FUNDS: Topic.TREASURY_ASSET_MANAGEMENT,
    Action.REGISTER_DAPP_CANISTERS: Topic.DAPP_CANISTER_MANAGEMENT,
    Action.DEREGISTER_DAPP_CANISTERS: Topic.CRITICAL_DAPP_OPERATIONS,
    Action.MINT_SNS_TOKENS: Topic.TREASURY_ASSET_MANAGEMENT,
    Action.MANAGE_LEDGER_PARAMETERS: Topic.DAO_COMMUNITY_SETTINGS,
    Action.MANAGE_DAPP_CANISTER_SETTINGS: Topic.DAPP_CANISTER_MANAGEMENT,
    Action.ADVANCE_SNS_TARGET_VERSION: Topic.SNS_FRAMEWORK_MANAGEMENT,
    Action.SET_TOPICS_FOR_CUSTOM_PROPOSALS: Topic.CRITICAL_DAPP_OPERATIONS,
    Action.REGISTER_EXTENSION: Topic.CRITICAL_DAPP_OPERATIONS,
    Action.UPGRADE_EXTENSION: Topic.CRITICAL_DAPP_OPERATIONS,
}
"""Every native action but the two whose topic is their function's (6 and 18)."""

FIRST_GENERIC_FUNCTION_ID: Final = 1_000
"""Ids below 1000 are reserved for native actions (§4.5)."""

BASIS_POINTS: Final = 10_000
NON_CRITICAL_YES_OF_TOTAL_BP: Final = 300
NON_CRITICAL_YES_OF_EXERCISED_BP: Final = 5_000
CRITICAL_YES_OF_TOTAL_BP: Final = 2_000
CRITICAL_YES_OF_EXERCISED_BP: Final = 6_700
CRITICAL_INITIAL_VOTING_PERIOD_SECONDS: Final = 5 * ONE_DAY_SECONDS
CRITICAL_WAIT_FOR_QUIET_DEADLINE_INCREASE_SECONDS: Final = 5 * ONE_DAY_SECONDS // 2


def is_critical(topic: Topic | None) -> bool:
    """A function without a topic falls back to non-critical (§4.5)."""
    return topic in CRITICAL_TOPICS


@dataclass(frozen=True, slots=True, kw_only=True)
class VotingRules:
    """What a proposal on a topic needs, fixed when it is made."""

    minimum_yes_proportion_of_total_bp: int
    minimum_yes_proportion_of_exercised_bp: int
    initial_voting_period_seconds: int
    wait_for_quiet_deadline_increase_seconds: int


def voting_rules(
    topic: Topic | None, initial_voting_period_seconds: int, wait_for_quiet_increase_seconds: int
) -> VotingRules:
    if is_critical(topic):
        return VotingRules(
            minimum_yes_proportion_of_total_bp=CRITICAL_YES_OF_TOTAL_BP,
            minimum_yes_proportion_of_exercised_bp=CRITICAL_YES_OF_EXERCISED_BP,
            initial_voting_period_seconds=max(
                initial_voting_period_seconds, CRITICAL_INITIAL_VOTING_PERIOD_SECONDS
            ),
            wait_for_quiet_deadline_increase_seconds=max(
                wait_for_quiet_increase_seconds, CRITICAL_WAIT_FOR_QUIET_DEADLINE_INCREASE_SECONDS
            ),
        )
    return VotingRules(
        minimum_yes_proportion_of_total_bp=NON_CRITICAL_YES_OF_TOTAL_BP,
        minimum_yes_proportion_of_exercised_bp=NON_CRITICAL_YES_OF_EXERCISED_BP,
        initial_voting_period_seconds=initial_voting_period_seconds,
        wait_for_quiet_deadline_increase_seconds=wait_for_quiet_increase_seconds,
    )


class Vote(IntEnum):
    UNSPECIFIED = 0
    YES = 1
    NO = 2


@dataclass(frozen=True, slots=True)
class Tally:
    yes: int
    no: int
    total: int


def majority_decision(yes: int, no: int, total: int, required_yes_bp: int) -> Vote:
    """Yes if yes > required of total; No if no >= (1 - required) of total (proposal.rs)."""
    if yes * BASIS_POINTS > total * required_yes_bp:
        return Vote.YES
    if no * BASIS_POINTS >= total * (BASIS_POINTS - required_yes_bp):
        return Vote.NO
    return Vote.UNSPECIFIED


def is_accepted(tally: Tally, rules: VotingRules) -> bool:
    """Quorum (yes >= share of total) and majority (yes > share of exercised)."""
    majority = (
        majority_decision(
            tally.yes, tally.no, tally.yes + tally.no, rules.minimum_yes_proportion_of_exercised_bp
        )
        == Vote.YES
    )
    quorum = tally.yes * BASIS_POINTS >= tally.total * rules.minimum_yes_proportion_of_total_bp
    return quorum and majority


def early_decision(tally: Tally, rules: VotingRules) -> Vote:
    return majority_decision(
        tally.yes, tally.no, tally.total, rules.minimum_yes_proportion_of_exercised_bp
    )


def wait_for_quiet_deadline(
    *,
    current_deadline_seconds: int,
    now_seconds: int,
    created_seconds: int,
    rules: VotingRules,
    old: Tally,
    new: Tally,
) -> int:
    """The deadline after a tally change: extended only when the leading side flips."""

    def winning(t: Tally) -> Vote:
        return Vote.YES if t.yes > t.no else Vote.NO

    if now_seconds >= current_deadline_seconds or winning(old) == winning(new):
        return current_deadline_seconds
    elapsed = max(0, now_seconds - created_seconds)
    required_margin = max(
        0,
        rules.wait_for_quiet_deadline_increase_seconds
        + rules.initial_voting_period_seconds // 2
        - elapsed // 2,
    )
    return max(current_deadline_seconds, now_seconds + required_margin)


@dataclass(frozen=True, slots=True, kw_only=True)
class RewardEvent:
    """The last distribution of voting rewards (`RewardEvent` of governance.proto): the round
    it paid up to, when, the proposals it settled, what was available and what was paid (the
    rest rolls over when nobody voted)."""

    round: int = 0
    actual_timestamp_seconds: int = 0
    end_timestamp_seconds: int = 0
    settled_proposals: tuple[int, ...] = ()
    distributed_e8s_equivalent: int = 0
    total_available_e8s_equivalent: int = 0
    rounds_since_last_distribution: int = 0
