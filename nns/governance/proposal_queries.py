"""Reading proposals (spec 7.3, 9): one proposal, the open ones, a filtered page, as
functions of the governance state (`core`) and the caller."""

from __future__ import annotations

from nns.governance.core import GovernanceCore
from nns.governance.enums import (
    ProposalStatus,
    Vote,
)
from nns.governance.proposals import (
    Ballot,
    ProposalInfo,
    ProposalRecord,
    Tally,
)
from nns.governance.requests import (
    ListProposalInfo,
)
from replica.types import Principal


def proposal_info(core: GovernanceCore, record: ProposalRecord, caller: Principal) -> ProposalInfo:
    mine = core.state.neurons_of(caller)
    ballots = tuple(
        (neuron_id, Ballot(vote=Vote(record.ballots.votes[neuron_id]), voting_power=power))
        for neuron_id, power in sorted(record.ballots.power.items())
        if neuron_id in mine
    )
    return ProposalInfo(
        id=record.id,
        proposer=record.proposer,
        proposal=record.proposal,
        topic=int(record.topic),
        status=int(record.get_status()),
        reward_status=int(record.get_reward_status(core.now_seconds())),
        ballots=ballots,
        proposal_timestamp_seconds=record.proposal_timestamp_seconds,
        deadline_timestamp_seconds=record.deadline_timestamp_seconds,
        decided_timestamp_seconds=record.decided_timestamp_seconds,
        executed_timestamp_seconds=record.executed_timestamp_seconds,
        failed_timestamp_seconds=record.failed_timestamp_seconds,
        failure_reason=record.failure_reason,
        reward_event_round=record.reward_event_round,
        reject_cost_e8s=record.reject_cost_e8s,
        latest_tally=Tally(
            yes=record.yes,
            no=record.no,
            total=record.total,
            timestamp_seconds=record.tally_timestamp_seconds,
        ),
        total_potential_voting_power=record.total_potential_voting_power,
    )


def is_visible(core: GovernanceCore, record: ProposalRecord, caller: Principal) -> bool:
    """ManageNeuron proposals are shown only to holders of one of their ballots."""
    if not record.is_manage_neuron:
        return True
    return any(n in record.ballots.power for n in core.state.neurons_of(caller))


def get_proposal_info(
    core: GovernanceCore, caller: Principal, proposal_id: int
) -> ProposalInfo | None:
    record = core.state.proposals.get(proposal_id)
    if record is None or not is_visible(core, record, caller):
        return None
    return proposal_info(core, record, caller)


def get_pending_proposals(core: GovernanceCore, caller: Principal) -> tuple[ProposalInfo, ...]:
    return tuple(
        proposal_info(core, record, caller)
        for record in sorted(core.state.proposals.values(), key=lambda r: -r.id)
        if record.get_status() == ProposalStatus.OPEN and is_visible(core, record, caller)
    )


def list_proposals(
    core: GovernanceCore, caller: Principal, request: ListProposalInfo
) -> tuple[ProposalInfo, ...]:
    limit = request.limit if 0 < request.limit <= 100 else 100
    now = core.now_seconds()
    found: list[ProposalInfo] = []
    for proposal_id in sorted(core.state.proposals, reverse=True):
        if request.before_proposal is not None and proposal_id >= request.before_proposal:
            continue
        record = core.state.proposals[proposal_id]
        if record.topic in request.exclude_topic:
            continue
        if request.include_status and record.get_status() not in request.include_status:
            continue
        if (
            request.include_reward_status
            and record.get_reward_status(now) not in request.include_reward_status
        ):
            continue
        if not (request.include_all_manage_neuron_proposals or is_visible(core, record, caller)):
            continue
        found.append(proposal_info(core, record, caller))
        if len(found) == limit:
            break
    return tuple(found)
