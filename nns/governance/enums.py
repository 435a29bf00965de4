"""Closed sets of the governance interface, with the official numeric values."""

from __future__ import annotations

from enum import IntEnum
from typing import Final


class Topic(IntEnum):
    """Proposal topics; 0 doubles as the catch-all key of following."""

    UNSPECIFIED = 0
    NEURON_MANAGEMENT = 1
    EXCHANGE_RATE = 2
    NETWORK_ECONOMICS = 3
    GOVERNANCE = 4
    NODE_ADMIN = 5
    PARTICIPANT_MANAGEMENT = 6
    SUBNET_MANAGEMENT = 7
    APPLICATION_CANISTER_MANAGEMENT = 8
    KYC = 9
    NODE_PROVIDER_REWARDS = 10
    SNS_DECENTRALIZATION_SALE = 11
    IC_OS_VERSION_DEPLOYMENT = 12
    IC_OS_VERSION_ELECTION = 13
    SNS_AND_COMMUNITY_FUND = 14
    API_BOUNDARY_NODE_MANAGEMENT = 15
    SUBNET_RENTAL = 16
    PROTOCOL_CANISTER_MANAGEMENT = 17
    SERVICE_NERVOUS_SYSTEM_MANAGEMENT = 18


CATCH_ALL: Final = Topic.UNSPECIFIED


# Reward weights of spec 3.1 in hundredths (20, 20, 0.01 and 1), so that the
# reward split stays in integers; only their ratios matter.
def _reward_weights() -> dict[Topic, int]:
    weights: dict[Topic, int] = {
        topic: 100 for topic in Topic if topic not in (Topic.UNSPECIFIED, Topic.NEURON_MANAGEMENT)
    }
    weights.update({Topic.GOVERNANCE: 2_000, Topic.SNS_AND_COMMUNITY_FUND: 2_000})
    weights[Topic.EXCHANGE_RATE] = 1
    return weights


REWARD_WEIGHT_HUNDREDTHS: Final = _reward_weights()

# Topics on which catch-all following never applies (spec 3.4, rule 2 of section 12).
NO_CATCH_ALL_TOPICS: Final = frozenset({Topic.GOVERNANCE, Topic.SNS_AND_COMMUNITY_FUND})


class Vote(IntEnum):
    UNSPECIFIED = 0
    YES = 1
    NO = 2


class ProposalStatus(IntEnum):
    UNKNOWN = 0
    OPEN = 1
    REJECTED = 2
    ADOPTED = 3
    EXECUTED = 4
    FAILED = 5


class RewardStatus(IntEnum):
    UNKNOWN = 0
    ACCEPT_VOTES = 1
    READY_TO_SETTLE = 2
    SETTLED = 3
    INELIGIBLE = 4


class NeuronState(IntEnum):
    UNSPECIFIED = 0
    NOT_DISSOLVING = 1
    DISSOLVING = 2
    DISSOLVED = 3
    SPAWNING = 4


class Visibility(IntEnum):
    UNSPECIFIED = 0
    PRIVATE = 1
    PUBLIC = 2


class NeuronType(IntEnum):
    UNSPECIFIED = 0
    SEED = 1
    ECT = 2


class ErrorType(IntEnum):
    """`GovernanceError.error_type` values of the official interface."""

    UNSPECIFIED = 0
    OK = 1
    UNAVAILABLE = 2
    NOT_AUTHORIZED = 3
    NOT_FOUND = 4
    INVALID_COMMAND = 5
    REQUIRES_NOT_DISSOLVING = 6
    REQUIRES_DISSOLVING = 7
    REQUIRES_DISSOLVED = 8
    HOT_KEY = 9
    RESOURCE_EXHAUSTED = 10
    PRECONDITION_FAILED = 11
    EXTERNAL = 12
    LEDGER_UPDATE_ONGOING = 13
    INSUFFICIENT_FUNDS = 14
    INVALID_PRINCIPAL = 15
    INVALID_PROPOSAL = 16
    ALREADY_JOINED_COMMUNITY_FUND = 17
    NOT_IN_THE_COMMUNITY_FUND = 18
    NEURON_ALREADY_VOTED = 19
