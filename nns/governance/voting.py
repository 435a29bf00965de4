"""Making proposals, voting on them, deciding and executing them (spec section 4).

`make_proposal` validates the proposal and the proposer, charges the reject
cost, builds the ballots from deciding voting power and casts the proposer's
Yes. Every vote runs the following cascade, updates the tally, applies
wait-for-quiet and then processes the proposal: once decided, an adopted
proposal is executed at once.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final, Protocol

from sqlmodel import Session

from nns.governance import action_execution
from nns.governance.actions import (
    ROOT_CANISTER_ID,
    AddOrRemoveNodeProvider,
    DeregisterKnownNeuron,
    RewardNodeProvider,
    RewardNodeProviders,
    StopOrStartCanister,
    UpdateCanisterSettings,
)
from nns.governance.contexts import (
    ProposalContext,
)
from nns.governance.core import GovernanceCore
from nns.governance.enums import (
    ErrorType,
    Topic,
    Visibility,
    Vote,
)
from nns.governance.errors import (
    GovernanceError,
    insufficient_funds,
    not_authorized,
    precondition_failed,
)
from nns.governance.following import cascade_votes
from nns.governance.neuron import (
    KnownNeuronData,
    get_dissolve_delay_seconds,
    get_minted_stake_e8s,
)
from nns.governance.nns_functions import TARGETS, IcpXdrConversionRatePayload, NnsFunction
from nns.governance.parameters import (
    GC_NEW_PROPOSALS_TRIGGER,
    MAX_OPEN_MANAGE_NEURON_PROPOSALS,
    MAX_UNSETTLED_PROPOSALS_WITH_BALLOTS,
)
from nns.governance.proposal_validation import (
    validate_install_code,
    validate_known_neuron,
    validate_nns_function,
    validate_proposal,
)
from nns.governance.proposals import (
    Ballots,
    ProposalRecord,
    can_decide_early,
    compute_wait_for_quiet_deadline,
    is_accepted,
    is_undecided_for_wait_for_quiet,
)
from nns.governance.requests import (
    EmptyResponse,
    ExecuteNnsFunction,
    InstallCode,
    InstallMode,
    MakeProposal,
    MakeProposalResponse,
    ManageNetworkEconomics,
    ManageNeuronProposal,
    Motion,
    RegisterKnownNeuron,
    RegisterVote,
)
from nns.governance.settings import (
    ECONOMICS,
    LAST_GC_TIMESTAMP_SECONDS,
    NEXT_PROPOSAL_ID,
    PROPOSALS_SINCE_GC,
    VOTING_POWER_SNAPSHOT_DUE,
    VOTING_POWER_SNAPSHOTS,
)
from nns.governance.snapshots import (
    Snapshots,
    VotingPowerSnapshot,
    is_latest_snapshot_a_spike,
    previous_ballots_if_spike,
    record_snapshot,
)
from nns.governance.sns_launch import CreateServiceNervousSystem
from nns.governance.voting_power import compute_ballots
from replica.environment import (
    DEFERRED,
    OutgoingCall,
    Reject,
)
from replica.types import Principal

EMPTY_CANDID_ARGUMENTS: Final = b"DIDL\x00\x00"


class RunCommand(Protocol):
    """The door of ManageNeuron (`commands.run_command`), through which an adopted ManageNeuron
    proposal runs its command. Voting receives it as an argument: commands sit above voting
    (RegisterVote and MakeProposal are commands), and a vote may execute a proposal that runs
    a command."""

    def __call__(
        self,
        core: GovernanceCore,
        session: Session,
        caller: Principal,
        neuron_id: int | None,
        subaccount: bytes | None,
        command: object,
        proposal_id: int | None,
    ) -> object: ...


def make_proposal(
    core: GovernanceCore,
    session: Session,
    caller: Principal,
    neuron_id: int,
    command: MakeProposal,
    run_command: RunCommand,
) -> MakeProposalResponse:
    proposer = core.get_authorized_neuron(caller, neuron_id)
    proposal = command.proposal
    topic, managed_neuron_id = validate_proposal(core, proposal)
    is_manage_neuron = topic == Topic.NEURON_MANAGEMENT
    now = core.now_seconds()
    economics = core.economics
    fee = (
        economics.neuron_management_fee_per_proposal_e8s
        if is_manage_neuron
        else economics.reject_cost_e8s
    )
    minted = get_minted_stake_e8s(proposer)
    if minted < fee:
        raise insufficient_funds(
            f"Neuron doesn't have enough minted stake to submit proposal: {minted}"
        )
    minimum_delay = economics.voting_power_economics.neuron_minimum_dissolve_delay_to_vote_seconds
    if not is_manage_neuron and get_dissolve_delay_seconds(proposer, now) < minimum_delay:
        raise insufficient_funds("Neuron's dissolve delay is too short.")
    open_records = [r for r in core.state.proposals.values() if r.reward_event_round == 0]
    if is_manage_neuron:
        if (
            sum(1 for r in open_records if r.is_manage_neuron and r.decided_timestamp_seconds == 0)
            >= MAX_OPEN_MANAGE_NEURON_PROPOSALS
        ):
            raise GovernanceError(
                ErrorType.RESOURCE_EXHAUSTED,
                "Reached maximum number of proposals that have not yet been taken into "
                "account for voting rewards.",
            )
    elif (
        sum(1 for r in open_records if not r.is_manage_neuron)
        >= MAX_UNSETTLED_PROPOSALS_WITH_BALLOTS
    ):
        raise GovernanceError(
            ErrorType.RESOURCE_EXHAUSTED,
            "Reached maximum number of proposals that have not yet been taken into account "
            "for voting rewards. Please try again later.",
        )
    previous_ballots_timestamp: int | None = None
    if is_manage_neuron:
        managed_id = managed_neuron_id if managed_neuron_id is not None else 0
        ballots, total_potential = _manage_neuron_ballots(core, managed_id, proposer.id)
        proposal = replace(proposal, title=f"Manage neuron proposal for neuron: {managed_id}")
        period = core.durations.neuron_management_voting_period_seconds
    else:
        ballots, total_potential = deciding_ballots(core, now)
        previous = previous_ballots_if_spike(voting_power_snapshots(core), total_potential, now)
        if previous is not None:
            ballots = previous.voting_power()
            total_potential = previous.total_potential_voting_power
            previous_ballots_timestamp = previous.timestamp_seconds
        period = core.durations.initial_voting_period_seconds
    if not ballots:
        raise precondition_failed("No eligible voters.")
    # governance.rs make_proposal: the reject cost is charged after the ballots are made,
    # so it lowers neither the proposer's ballot nor the total potential voting power
    proposer = replace(proposer, neuron_fees_e8s=proposer.neuron_fees_e8s + fee)
    core.state.put_neuron(session, proposer)
    proposal_id = core.state.get(NEXT_PROPOSAL_ID)
    core.state.put(session, NEXT_PROPOSAL_ID, proposal_id + 1)
    core.state.put(session, PROPOSALS_SINCE_GC, core.state.get(PROPOSALS_SINCE_GC) + 1)
    record = ProposalRecord(
        id=proposal_id,
        proposer=proposer.id,
        proposal=proposal,
        topic=topic,
        reject_cost_e8s=0 if is_manage_neuron else fee,
        proposal_timestamp_seconds=now,
        deadline_timestamp_seconds=now + period,
        total_potential_voting_power=total_potential,
        managed_neuron_id=managed_neuron_id,
        previous_ballots_timestamp_seconds=previous_ballots_timestamp,
        ballots=Ballots(ballots),
    )
    record.yes, record.no, record.total = record.ballots.tally()
    record.tally_timestamp_seconds = now
    core.state.put_proposal(session, record)
    core.refresh_voting_power(session, core.state.neurons[proposer.id])
    if proposer.id in record.ballots:
        cast_votes(core, session, record, [(proposer.id, Vote.YES)], run_command)
    else:
        process_proposal(core, session, record, run_command)
    return MakeProposalResponse(proposal_id=proposal_id, message=None)


def deciding_ballots(core: GovernanceCore, now_seconds: int) -> tuple[dict[int, int], int]:
    """Deciding voting power of every eligible neuron, and the total potential power."""
    return compute_ballots(
        core.state.neurons.values(),
        now_seconds,
        core.durations,
        core.economics.voting_power_economics,
    )


def _manage_neuron_ballots(
    core: GovernanceCore, managed_neuron_id: int, proposer_id: int
) -> tuple[dict[int, int], int]:
    """One ballot of weight 1 per NeuronManagement followee id, whether or not a neuron has
    that id (governance.rs make_proposal); only a followee may propose."""
    managed = core.get_neuron(managed_neuron_id)
    followees = managed.followees.get(Topic.NEURON_MANAGEMENT, ())
    if proposer_id not in followees:
        raise precondition_failed("Proposer not among the followees of neuron.")
    ballots = dict.fromkeys(followees, 1)
    return ballots, len(ballots)


def voting_power_snapshots(core: GovernanceCore) -> Snapshots:
    return core.state.get(VOTING_POWER_SNAPSHOTS)


def snapshot_voting_power(core: GovernanceCore, session: Session, now_seconds: int) -> None:
    """The daily snapshot (timer_tasks/snapshot_voting_power.rs): none while the latest
    snapshot is a spike."""
    due = core.state.get(VOTING_POWER_SNAPSHOT_DUE)
    if now_seconds < due:
        return
    core.state.put(session, VOTING_POWER_SNAPSHOT_DUE, now_seconds + core.durations.one_day_seconds)
    snapshots = voting_power_snapshots(core)
    if is_latest_snapshot_a_spike(snapshots, now_seconds):
        return
    power, total_potential = deciding_ballots(core, now_seconds)
    recorded = record_snapshot(
        snapshots, VotingPowerSnapshot.of(now_seconds, power, total_potential)
    )
    if recorded != snapshots:
        core.state.put(session, VOTING_POWER_SNAPSHOTS, recorded)


def register_vote(
    core: GovernanceCore,
    session: Session,
    caller: Principal,
    neuron_id: int,
    command: RegisterVote,
    run_command: RunCommand,
) -> EmptyResponse:
    neuron = core.get_authorized_neuron(caller, neuron_id)
    # governance.rs register_vote: both refusals are PreconditionFailed
    if command.proposal is None:
        raise precondition_failed("Vote must include a proposal id.")
    record = core.get_proposal(command.proposal)
    if command.vote not in (Vote.YES, Vote.NO):
        raise precondition_failed("Invalid vote specified.")
    if core.now_seconds() >= record.deadline_timestamp_seconds:
        raise precondition_failed("Proposal deadline has passed.")
    current = record.ballots.votes.get(neuron_id)
    if current is None:
        raise not_authorized("Neuron not authorized to vote on proposal.")
    if current != Vote.UNSPECIFIED:
        raise GovernanceError(ErrorType.NEURON_ALREADY_VOTED, "Neuron already voted on proposal.")
    core.refresh_voting_power(session, neuron)
    cast_votes(core, session, record, [(neuron_id, Vote(command.vote))], run_command)
    return EmptyResponse(command="RegisterVote")


def cast_votes(
    core: GovernanceCore,
    session: Session,
    record: ProposalRecord,
    direct: list[tuple[int, Vote]],
    run_command: RunCommand,
) -> None:
    """Cast the votes and their cascade, re-tally, apply wait-for-quiet, then process."""
    votes = record.ballots.votes
    core.state.touch_proposal(record)
    cast = cascade_votes(
        topic=record.topic, votes=votes, direct_votes=direct, index=core.state.followers
    )
    core.state.journal_cast_votes(votes, cast)
    power = record.ballots.power
    yes, no = record.yes, record.no
    # in id order, the order of the ballot tables, which is much faster for a large cascade
    for neuron_id in sorted(cast):
        if votes[neuron_id] == Vote.YES:
            yes += power[neuron_id]
        else:
            no += power[neuron_id]
    now = core.now_seconds()
    if not record.is_manage_neuron and is_undecided_for_wait_for_quiet(yes, no, record.total):
        record.deadline_timestamp_seconds = compute_wait_for_quiet_deadline(
            deadline_seconds=record.deadline_timestamp_seconds,
            created_seconds=record.proposal_timestamp_seconds,
            now_seconds=now,
            voting_period_seconds=core.durations.initial_voting_period_seconds,
            increase_seconds=core.durations.wait_for_quiet_deadline_increase_seconds,
            yes_was_winning=record.yes > record.no,
            yes_is_winning=yes > no,
        )
    record.yes, record.no, record.tally_timestamp_seconds = yes, no, now
    core.state.put_proposal(session, record)
    process_proposal(core, session, record, run_command)


def process_proposal(
    core: GovernanceCore, session: Session, record: ProposalRecord, run_command: RunCommand
) -> None:
    """Decide the proposal if it can be decided now; execute it at once if adopted."""
    if record.decided_timestamp_seconds:
        return
    now = core.now_seconds()
    if not (
        can_decide_early(record.yes, record.no, record.total)
        or now >= record.deadline_timestamp_seconds
    ):
        return
    core.state.touch_proposal(record)
    record.decided_timestamp_seconds = now
    record.accepted = is_accepted(
        record.yes, record.no, record.total, is_manage_neuron=record.is_manage_neuron
    )
    if record.accepted and not record.is_manage_neuron:
        proposer = core.state.neurons.get(record.proposer)
        if proposer is not None and proposer.neuron_fees_e8s >= record.reject_cost_e8s:
            core.state.put_neuron(
                session,
                replace(
                    proposer, neuron_fees_e8s=proposer.neuron_fees_e8s - record.reject_cost_e8s
                ),
            )
    core.state.put_proposal(session, record, ballots=False)
    if record.accepted:
        execute_proposal(core, session, record, run_command)


def execute_proposal(
    core: GovernanceCore, session: Session, record: ProposalRecord, run_command: RunCommand
) -> None:
    action = record.proposal.action
    try:
        match action:
            case Motion():
                core.mark_executed(session, record.id, None)
            case ManageNetworkEconomics():
                economics = core.economics.inherit(action.economics)
                economics.validate(core.durations)
                core.state.put(session, ECONOMICS, economics)
                core.mark_executed(session, record.id, None)
            case RegisterKnownNeuron():
                validate_known_neuron(core, action)
                neuron = core.get_neuron(action.id)
                core.state.put_neuron(
                    session,
                    replace(
                        neuron,
                        visibility=Visibility.PUBLIC,
                        known_neuron_data=KnownNeuronData(
                            name=action.name,
                            description=action.description,
                            links=action.links,
                            committed_topics=action.committed_topics,
                        ),
                    ),
                )
                core.mark_executed(session, record.id, None)
            case ManageNeuronProposal():
                execute_manage_neuron_proposal(core, session, record, action, run_command)
            case ExecuteNnsFunction():
                validate_nns_function(core, action)
                target = TARGETS[NnsFunction(action.nns_function)]
                payload = action.payload
                if isinstance(payload, IcpXdrConversionRatePayload):
                    payload = payload.argument()
                core.environment.call(
                    OutgoingCall(
                        callee=target.canister_id,
                        method=target.method,
                        argument=payload,
                        on_reply="_on_proposal_executed",
                        on_reject="_on_proposal_failed",
                        context=ProposalContext(proposal_id=record.id),
                    )
                )
            case (
                StopOrStartCanister()
                | UpdateCanisterSettings()
                | DeregisterKnownNeuron()
                | AddOrRemoveNodeProvider()
                | RewardNodeProvider()
                | RewardNodeProviders()
                | CreateServiceNervousSystem()
            ):
                action_execution.execute_canister_and_provider_action(
                    core, session, record.id, action
                )
            case InstallCode():
                validate_install_code(action)
                core.environment.call(
                    OutgoingCall(
                        callee=ROOT_CANISTER_ID,
                        method="change_nns_canister",
                        argument={
                            "canister_id": action.canister_id,
                            "mode": {InstallMode(action.install_mode).name.lower(): None},
                            "wasm_module": action.wasm_module,
                            "arg": action.arg or EMPTY_CANDID_ARGUMENTS,
                            "stop_before_installing": (not action.skip_stopping_before_installing),
                        },
                        on_reply="_on_proposal_executed",
                        on_reject="_on_proposal_failed",
                        context=ProposalContext(proposal_id=record.id),
                    )
                )
    except GovernanceError as error:
        core.mark_executed(session, record.id, error.error_message)


def execute_manage_neuron_proposal(
    core: GovernanceCore,
    session: Session,
    record: ProposalRecord,
    action: ManageNeuronProposal,
    run_command: RunCommand,
) -> None:
    managed = core.get_neuron(action.neuron_id)
    outcome = run_command(
        core, session, managed.controller, action.neuron_id, None, action.command, record.id
    )
    if outcome is not DEFERRED:
        core.finish_command(session, record.id, outcome)


def on_proposal_executed(core: GovernanceCore, context: ProposalContext, reply: object) -> None:
    # A `variant { Ok; Err : text }` reply (the CMC's rate) that is Err fails the proposal.
    failure = None
    if isinstance(reply, dict) and set(reply) == {"Err"}:
        failure = str(reply["Err"])
    with core.transaction() as session:
        core.mark_executed(session, context.proposal_id, failure)


def on_proposal_failed(core: GovernanceCore, context: ProposalContext, reject: object) -> None:
    message = reject.message if isinstance(reject, Reject) else str(reject)
    with core.transaction() as session:
        core.mark_executed(session, context.proposal_id, message)


def maybe_collect_garbage(core: GovernanceCore, session: Session) -> int:
    now = core.now_seconds()
    last = core.state.get(LAST_GC_TIMESTAMP_SECONDS)
    since = core.state.get(PROPOSALS_SINCE_GC)
    if since <= GC_NEW_PROPOSALS_TRIGGER and now - last <= core.durations.one_day_seconds:
        return 0
    keep = core.economics.max_proposals_to_keep_per_topic
    by_topic: dict[Topic, list[ProposalRecord]] = {}
    for record in core.state.proposals.values():
        by_topic.setdefault(record.topic, []).append(record)
    deleted = 0
    for topic, records in sorted(by_topic.items()):
        if topic == Topic.SNS_AND_COMMUNITY_FUND or len(records) <= keep:
            continue
        records.sort(key=lambda r: r.id)
        for record in records[: len(records) - keep]:
            if record.is_final(now):
                core.state.delete_proposal(session, record.id)
                deleted += 1
    core.state.put(session, LAST_GC_TIMESTAMP_SECONDS, now)
    core.state.put(session, PROPOSALS_SINCE_GC, 0)
    return deleted
