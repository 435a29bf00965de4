"""Proposals: ballots, tallies, decisions and wait-for-quiet.

At creation a proposal gets one ballot per eligible neuron, holding that
neuron's deciding voting power, frozen (spec 4.3). It is decided early once Yes
holds a strict absolute majority or No at least half of the total; otherwise at
its deadline, where it is adopted iff Yes beats No and reaches 3% of the total
(spec 4.5). Wait-for-quiet moves the deadline when the majority flips
(spec 4.6). ManageNeuron proposals have no quorum and no wait-for-quiet: they
need a strict majority of their followees' ballots.
"""

from __future__ import annotations

import sys
from array import array
from dataclasses import dataclass, field

from nns.governance.enums import ProposalStatus, RewardStatus, Topic, Vote
from nns.governance.requests import Proposal


def can_decide_early(yes: int, no: int, total: int) -> bool:
    """`yes > total − yes` (strict absolute majority) or `no ≥ total − no`."""
    return yes > total - yes or no >= total - no


def is_accepted(yes: int, no: int, total: int, *, is_manage_neuron: bool) -> bool:
    if is_manage_neuron:
        return yes > total - yes
    # yes ≥ 3% of total, in integers: 100·yes ≥ 3·total
    return 100 * yes >= 3 * total and yes > no


def compute_wait_for_quiet_deadline(
    *,
    deadline_seconds: int,
    created_seconds: int,
    now_seconds: int,
    voting_period_seconds: int,
    increase_seconds: int,
    yes_was_winning: bool,
    yes_is_winning: bool,
) -> int:
    """The deadline after a tally change: moved out only on a flip of `yes > no`."""
    if yes_was_winning == yes_is_winning or now_seconds > deadline_seconds:
        return deadline_seconds
    elapsed = now_seconds - created_seconds
    margin = max(0, increase_seconds + voting_period_seconds // 2 - elapsed // 2)
    return max(deadline_seconds, now_seconds + margin)


def is_undecided_for_wait_for_quiet(yes: int, no: int, total: int) -> bool:
    """`yes < total/2 + 1` and `no < ceil(total/2)` (integer halves)."""
    return yes < total // 2 + 1 and no < (total + 1) // 2


class Ballots:
    """The electoral roll of one proposal: neuron id → (vote, voting power)."""

    __slots__ = ("power", "votes")

    def __init__(self, power: dict[int, int], votes: dict[int, int] | None = None) -> None:
        self.power = power
        self.votes: dict[int, int] = votes if votes is not None else dict.fromkeys(power, 0)

    def __len__(self) -> int:
        return len(self.power)

    def __contains__(self, neuron_id: object) -> bool:
        return neuron_id in self.power

    def tally(self) -> tuple[int, int, int]:
        yes = no = total = 0
        for neuron_id, power in self.power.items():
            total += power
            vote = self.votes[neuron_id]
            if vote == Vote.YES:
                yes += power
            elif vote == Vote.NO:
                no += power
        return yes, no, total

    def encode(self) -> bytes:
        """Packed, canonical: ids, powers (u64 little endian) and one vote byte each."""
        ids = sorted(self.power)
        id_array = array("Q", ids)
        power_array = array("Q", (self.power[i] for i in ids))
        if sys.byteorder != "little":
            id_array.byteswap()
            power_array.byteswap()
        count = len(ids).to_bytes(8, "little")
        votes = bytes(self.votes[i] for i in ids)
        return count + id_array.tobytes() + power_array.tobytes() + votes

    @classmethod
    def decode(cls, data: bytes) -> Ballots:
        count = int.from_bytes(data[:8], "little")
        id_array, power_array = array("Q"), array("Q")
        id_array.frombytes(data[8 : 8 + 8 * count])
        power_array.frombytes(data[8 + 8 * count : 8 + 16 * count])
        if sys.byteorder != "little":
            id_array.byteswap()
            power_array.byteswap()
        votes = data[8 + 16 * count :]
        return cls(
            dict(zip(id_array, power_array, strict=True)), dict(zip(id_array, votes, strict=True))
        )


@dataclass(slots=True, kw_only=True)
class ProposalRecord:
    """Everything governance keeps about one proposal (ballots aside)."""

    id: int
    proposer: int
    proposal: Proposal
    topic: Topic
    reject_cost_e8s: int
    proposal_timestamp_seconds: int
    deadline_timestamp_seconds: int
    total_potential_voting_power: int
    yes: int = 0
    no: int = 0
    total: int = 0
    tally_timestamp_seconds: int = 0
    decided_timestamp_seconds: int = 0
    accepted: bool = False
    executed_timestamp_seconds: int = 0
    failed_timestamp_seconds: int = 0
    failure_reason: str | None = None
    reward_event_round: int = 0
    managed_neuron_id: int | None = None
    # set when a voting-power spike made the ballots come from an earlier snapshot
    previous_ballots_timestamp_seconds: int | None = None
    ballots: Ballots = field(default_factory=lambda: Ballots({}), metadata={"stored_apart": True})

    @property
    def is_manage_neuron(self) -> bool:
        return self.topic == Topic.NEURON_MANAGEMENT

    def get_status(self) -> ProposalStatus:
        if self.decided_timestamp_seconds == 0:
            return ProposalStatus.OPEN
        if not self.accepted:
            return ProposalStatus.REJECTED
        if self.executed_timestamp_seconds:
            return ProposalStatus.EXECUTED
        if self.failed_timestamp_seconds:
            return ProposalStatus.FAILED
        return ProposalStatus.ADOPTED

    def get_reward_status(self, now_seconds: int) -> RewardStatus:
        if self.is_manage_neuron:
            return RewardStatus.INELIGIBLE
        if self.reward_event_round > 0:
            return RewardStatus.SETTLED
        if now_seconds < self.deadline_timestamp_seconds:
            return RewardStatus.ACCEPT_VOTES
        return RewardStatus.READY_TO_SETTLE

    def is_final(self, now_seconds: int) -> bool:
        return self.get_status() in (
            ProposalStatus.REJECTED,
            ProposalStatus.EXECUTED,
            ProposalStatus.FAILED,
        ) and self.get_reward_status(now_seconds) in (RewardStatus.SETTLED, RewardStatus.INELIGIBLE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Tally:
    yes: int
    no: int
    total: int
    timestamp_seconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Ballot:
    vote: Vote
    voting_power: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposalInfo:
    id: int
    proposer: int
    proposal: Proposal | None
    topic: int
    status: int
    reward_status: int
    ballots: tuple[tuple[int, Ballot], ...]
    proposal_timestamp_seconds: int
    deadline_timestamp_seconds: int
    decided_timestamp_seconds: int
    executed_timestamp_seconds: int
    failed_timestamp_seconds: int
    failure_reason: str | None
    reward_event_round: int
    reject_cost_e8s: int
    latest_tally: Tally
    total_potential_voting_power: int


def is_caller_hidden_from(record: ProposalRecord, caller_neurons: set[int]) -> bool:
    """ManageNeuron proposals are shown only to those holding one of their ballots."""
    if not record.is_manage_neuron:
        return False
    return not any(neuron_id in record.ballots for neuron_id in caller_neurons)
