"""Making proposals, voting on them, deciding and executing them (spec section 4).

`make_proposal` validates the proposal and the proposer, charges the reject
cost, builds the ballots from deciding voting power and casts the proposer's
Yes. Every vote runs the following cascade, updates the tally, applies
wait-for-quiet and then processes the proposal: once decided, an adopted
proposal is executed at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Final, Protocol, runtime_checkable
from urllib.parse import urlparse

from sqlmodel import Session

from nns.governance.action_execution import ActionExecution
from nns.governance.actions import (
    AddOrRemoveNodeProvider,
    DeregisterKnownNeuron,
    RewardNodeProvider,
    RewardNodeProviders,
    StopOrStartCanister,
    UpdateCanisterSettings,
)
from nns.governance.contexts import ProposalContext
from nns.governance.enums import ErrorType, ProposalStatus, Topic, Visibility, Vote
from nns.governance.errors import (
    GovernanceError,
    insufficient_funds,
    invalid_command,
    invalid_proposal,
    not_authorized,
    not_found,
    precondition_failed,
)
from nns.governance.following import cascade_votes
from nns.governance.neuron import (
    KnownNeuronData,
    get_dissolve_delay_seconds,
    get_minted_stake_e8s,
)
from nns.governance.nns_functions import (
    OBSOLETE_FUNCTIONS,
    PAYLOAD_TYPES,
    TARGETS,
    IcpXdrConversionRatePayload,
    NnsFunction,
)
from nns.governance.parameters import (
    GC_NEW_PROPOSALS_TRIGGER,
    MAX_MOTION_TEXT_BYTES,
    MAX_OPEN_MANAGE_NEURON_PROPOSALS,
    MAX_PAYLOAD_BYTES,
    MAX_SUMMARY_BYTES,
    MAX_TITLE_BYTES,
    MAX_UNSETTLED_PROPOSALS_WITH_BALLOTS,
    MAX_URL_CHARS,
    MIN_TITLE_BYTES,
    MIN_URL_CHARS,
)
from nns.governance.proposals import (
    Ballot,
    Ballots,
    ProposalInfo,
    ProposalRecord,
    Tally,
    can_decide_early,
    compute_wait_for_quiet_deadline,
    is_accepted,
    is_undecided_for_wait_for_quiet,
)
from nns.governance.requests import (
    ClaimOrRefresh,
    Configure,
    Disburse,
    DisburseMaturity,
    DisburseToNeuron,
    EmptyResponse,
    ExecuteNnsFunction,
    Follow,
    InstallCode,
    InstallMode,
    ListProposalInfo,
    MakeProposal,
    MakeProposalResponse,
    ManageNetworkEconomics,
    ManageNeuronProposal,
    Merge,
    MergeMaturity,
    Motion,
    Proposal,
    RefreshVotingPower,
    RegisterKnownNeuron,
    RegisterVote,
    SetFollowing,
    Spawn,
    Split,
    StakeMaturity,
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
from nns.governance.voting_power import compute_ballots
from registry.errors import InvalidPayload
from replica.canister import codec
from replica.canister.nns_ids import (
    CYCLES_MINTING_CANISTER_ID,
    GOVERNANCE_CANISTER_ID,
    LEDGER_CANISTER_ID,
    REGISTRY_CANISTER_ID,
    ROOT_CANISTER_ID,
)
from replica.environment import DEFERRED, OutgoingCall, Reject
from replica.types import Principal

# The canisters NNS root controls and may change by an InstallCode proposal: registry,
# governance, ledger and cycles minting (root itself is changed through the lifeline).
ROOT_CONTROLLED_CANISTERS: Final = frozenset(
    (REGISTRY_CANISTER_ID, GOVERNANCE_CANISTER_ID, LEDGER_CANISTER_ID, CYCLES_MINTING_CANISTER_ID)
)
EMPTY_CANDID_ARGUMENTS: Final = b"DIDL\x00\x00"
MAX_KNOWN_NEURON_NAME_BYTES = 200
MAX_KNOWN_NEURON_DESCRIPTION_BYTES = 3_000
MAX_KNOWN_NEURON_LINKS = 10
MAX_KNOWN_NEURON_LINK_BYTES = 100


@runtime_checkable
class ValidatedPayload(Protocol):
    """A payload that checks itself; it raises `InvalidPayload` for a malformed one."""

    def validate(self) -> None: ...


def validate_install_code(action: InstallCode) -> None:
    """An InstallCode proposal names a canister root controls, a module and a mode."""
    if action.canister_id not in ROOT_CONTROLLED_CANISTERS:
        raise invalid_proposal(
            f"Canister {action.canister_id} is not an NNS canister that root controls."
        )
    if action.install_mode not in tuple(InstallMode):
        raise invalid_proposal(f"Invalid install mode: {action.install_mode}.")
    if not action.wasm_module:
        raise invalid_proposal("InstallCode needs a wasm module.")
    size = len(action.wasm_module) + len(action.arg)
    if size > MAX_PAYLOAD_BYTES:
        raise invalid_proposal(
            f"The maximum InstallCode size is {MAX_PAYLOAD_BYTES} bytes, this one is {size} bytes."
        )


class ProposalVoting(ActionExecution):
    """Proposals from submission to execution."""

    # -- submission (spec 4.2, 4.3) ---------------------------------------------------------

    def make_proposal(
        self, session: Session, caller: Principal, neuron_id: int, command: MakeProposal
    ) -> MakeProposalResponse:
        proposer = self.get_authorized_neuron(caller, neuron_id)
        proposal = command.proposal
        topic, managed_neuron_id = self.validate_proposal(proposal)
        is_manage_neuron = topic == Topic.NEURON_MANAGEMENT
        now = self.now_seconds()
        economics = self.economics
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
        minimum_delay = (
            economics.voting_power_economics.neuron_minimum_dissolve_delay_to_vote_seconds
        )
        if not is_manage_neuron and get_dissolve_delay_seconds(proposer, now) < minimum_delay:
            raise insufficient_funds("Neuron's dissolve delay is too short.")
        open_records = [r for r in self.state.proposals.values() if r.reward_event_round == 0]
        if is_manage_neuron:
            if (
                sum(
                    1
                    for r in open_records
                    if r.is_manage_neuron and r.decided_timestamp_seconds == 0
                )
                >= MAX_OPEN_MANAGE_NEURON_PROPOSALS
            ):
                raise GovernanceError(
                    ErrorType.RESOURCE_EXHAUSTED,
                    "Reached maximum number of proposals that have not yet been taken into account for voting rewards.",
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
            ballots, total_potential = self._manage_neuron_ballots(managed_id, proposer.id)
            proposal = replace(proposal, title=f"Manage neuron proposal for neuron: {managed_id}")
            period = self.durations.neuron_management_voting_period_seconds
        else:
            ballots, total_potential = self.compute_ballots(now)
            previous = previous_ballots_if_spike(self.voting_power_snapshots, total_potential, now)
            if previous is not None:
                ballots = previous.voting_power()
                total_potential = previous.total_potential_voting_power
                previous_ballots_timestamp = previous.timestamp_seconds
            period = self.durations.initial_voting_period_seconds
        if not ballots:
            raise precondition_failed("No eligible voters.")
        # governance.rs make_proposal: the reject cost is charged after the ballots are made,
        # so it lowers neither the proposer's ballot nor the total potential voting power
        proposer = replace(proposer, neuron_fees_e8s=proposer.neuron_fees_e8s + fee)
        self.state.put_neuron(session, proposer)
        proposal_id = self.state.get(NEXT_PROPOSAL_ID)
        self.state.put(session, NEXT_PROPOSAL_ID, proposal_id + 1)
        self.state.put(session, PROPOSALS_SINCE_GC, self.state.get(PROPOSALS_SINCE_GC) + 1)
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
        self.state.put_proposal(session, record)
        self.refresh_voting_power(session, self.state.neurons[proposer.id])
        if proposer.id in record.ballots:
            self.cast_votes(session, record, [(proposer.id, Vote.YES)])
        else:
            self.process_proposal(session, record)
        return MakeProposalResponse(proposal_id=proposal_id, message=None)

    def compute_ballots(self, now_seconds: int) -> tuple[dict[int, int], int]:
        """Deciding voting power of every eligible neuron, and the total potential power."""
        return compute_ballots(
            self.state.neurons.values(),
            now_seconds,
            self.durations,
            self.economics.voting_power_economics,
        )

    def _manage_neuron_ballots(
        self, managed_neuron_id: int, proposer_id: int
    ) -> tuple[dict[int, int], int]:
        """One ballot of weight 1 per NeuronManagement followee id, whether or not a neuron has
        that id (governance.rs make_proposal); only a followee may propose."""
        managed = self.get_neuron(managed_neuron_id)
        followees = managed.followees.get(Topic.NEURON_MANAGEMENT, ())
        if proposer_id not in followees:
            raise precondition_failed("Proposer not among the followees of neuron.")
        ballots = dict.fromkeys(followees, 1)
        return ballots, len(ballots)

    @property
    def voting_power_snapshots(self) -> Snapshots:
        return self.state.get(VOTING_POWER_SNAPSHOTS)

    def snapshot_voting_power(self, session: Session, now_seconds: int) -> None:
        """The daily snapshot (timer_tasks/snapshot_voting_power.rs): none while the latest
        snapshot is a spike."""
        due = self.state.get(VOTING_POWER_SNAPSHOT_DUE)
        if now_seconds < due:
            return
        self.state.put(
            session, VOTING_POWER_SNAPSHOT_DUE, now_seconds + self.durations.one_day_seconds
        )
        snapshots = self.voting_power_snapshots
        if is_latest_snapshot_a_spike(snapshots, now_seconds):
            return
        power, total_potential = self.compute_ballots(now_seconds)
        recorded = record_snapshot(
            snapshots, VotingPowerSnapshot.of(now_seconds, power, total_potential)
        )
        if recorded != snapshots:
            self.state.put(session, VOTING_POWER_SNAPSHOTS, recorded)

    def validate_proposal(self, proposal: Proposal) -> tuple[Topic, int | None]:
        """Refuse a malformed proposal before anyone votes; return its topic."""
        action = proposal.action
        if action is None:
            raise invalid_proposal("Proposal lacks an action.")
        if len(proposal.summary.encode()) > MAX_SUMMARY_BYTES:
            raise invalid_proposal(
                f"The maximum proposal summary size is {MAX_SUMMARY_BYTES} bytes, this proposal "
                f"is: {len(proposal.summary.encode())} bytes"
            )
        if proposal.url and not MIN_URL_CHARS <= len(proposal.url) <= MAX_URL_CHARS:
            raise invalid_proposal(
                f"The url must be between {MIN_URL_CHARS} and {MAX_URL_CHARS} characters long."
            )
        if not isinstance(action, ManageNeuronProposal):
            title = proposal.title or ""
            if not MIN_TITLE_BYTES <= len(title.encode()) <= MAX_TITLE_BYTES:
                raise invalid_proposal(
                    f"Proposal title must be between {MIN_TITLE_BYTES} and {MAX_TITLE_BYTES} "
                    "bytes long."
                )
        match action:
            case Motion():
                if len(action.motion_text.encode()) > MAX_MOTION_TEXT_BYTES:
                    raise invalid_proposal(
                        f"The maximum motion text size in bytes is {MAX_MOTION_TEXT_BYTES}, this "
                        f"motion text is: {len(action.motion_text.encode())} bytes"
                    )
                return Topic.GOVERNANCE, None
            case ManageNetworkEconomics():
                self.economics.inherit(action.economics).validate(self.durations)
                return Topic.NETWORK_ECONOMICS, None
            case RegisterKnownNeuron():
                self.validate_known_neuron(action)
                return Topic.GOVERNANCE, None
            case ManageNeuronProposal():
                managed = self.get_neuron(action.neuron_id)
                if not managed.followees.get(Topic.NEURON_MANAGEMENT):
                    raise invalid_proposal(
                        "The neuron to manage has no followees on the NeuronManagement topic."
                    )
                if isinstance(action.command, MakeProposal):
                    raise invalid_proposal("A ManageNeuron proposal cannot make a proposal.")
                return Topic.NEURON_MANAGEMENT, action.neuron_id
            case ExecuteNnsFunction():
                return self.validate_nns_function(action), None
            case InstallCode():
                validate_install_code(action)
                return Topic.PROTOCOL_CANISTER_MANAGEMENT, None
        return self.validate_canister_and_provider_action(action), None

    def validate_nns_function(self, action: ExecuteNnsFunction) -> Topic:
        try:
            function = NnsFunction(action.nns_function)
        except ValueError:
            raise invalid_proposal(f"Invalid NnsFunction id: {action.nns_function}") from None
        if function in OBSOLETE_FUNCTIONS:
            raise invalid_proposal(f"{function.name} is obsolete.")
        target = TARGETS.get(function)
        payload_type = PAYLOAD_TYPES.get(function)
        if target is None or payload_type is None:
            raise invalid_proposal(f"{function.name} is not supported by this network.")
        if not isinstance(action.payload, payload_type):
            raise invalid_proposal(
                f"{function.name} takes a {payload_type.__name__} payload, got "
                f"{type(action.payload).__name__}."
            )
        size = len(codec.encode(action.payload))
        if size > MAX_PAYLOAD_BYTES:
            raise invalid_proposal(
                f"The maximum NNS function payload size is {MAX_PAYLOAD_BYTES} bytes, "
                f"this payload is {size} bytes."
            )
        if isinstance(action.payload, ValidatedPayload):
            try:
                action.payload.validate()
            except InvalidPayload as error:
                raise invalid_proposal(f"Invalid {function.name} payload: {error}") from error
        if isinstance(action.payload, IcpXdrConversionRatePayload):
            rate, minimum = (
                action.payload.xdr_permyriad_per_icp,
                self.economics.minimum_icp_xdr_rate,
            )
            if rate < minimum:  # governance.rs (IcpXdrConversionRate, before it was obsolete)
                raise invalid_proposal(
                    f"The proposed rate {rate} is below the minimum allowable rate"
                )
        return target.topic

    def validate_known_neuron(self, action: RegisterKnownNeuron) -> None:
        if action.id not in self.state.neurons:
            raise invalid_proposal(f"Neuron {action.id} does not exist.")
        name_bytes = len(action.name.encode())
        if not 0 < name_bytes <= MAX_KNOWN_NEURON_NAME_BYTES:
            raise invalid_proposal(
                f"The known neuron name must have between 1 and {MAX_KNOWN_NEURON_NAME_BYTES} bytes."
            )
        for neuron in self.state.neurons.values():
            data = neuron.known_neuron_data
            if data is not None and data.name == action.name and neuron.id != action.id:
                raise invalid_proposal(f"The name {action.name} already belongs to a known neuron.")
        if (
            action.description is not None
            and len(action.description.encode()) > MAX_KNOWN_NEURON_DESCRIPTION_BYTES
        ):
            raise invalid_proposal(
                f"The description has more than {MAX_KNOWN_NEURON_DESCRIPTION_BYTES} bytes."
            )
        if len(action.links) > MAX_KNOWN_NEURON_LINKS:
            raise invalid_proposal(f"A known neuron has at most {MAX_KNOWN_NEURON_LINKS} links.")
        for link in action.links:
            parsed = urlparse(link)
            if len(link.encode()) > MAX_KNOWN_NEURON_LINK_BYTES or not (
                parsed.scheme in ("http", "https") and parsed.netloc
            ):
                raise invalid_proposal(f"Invalid link: {link!r}.")

    # -- voting (spec 4.4, 3.4) -------------------------------------------------------------

    def register_vote(
        self, session: Session, caller: Principal, neuron_id: int, command: RegisterVote
    ) -> EmptyResponse:
        neuron = self.get_authorized_neuron(caller, neuron_id)
        # governance.rs register_vote: both refusals are PreconditionFailed
        if command.proposal is None:
            raise precondition_failed("Vote must include a proposal id.")
        record = self.get_proposal(command.proposal)
        if command.vote not in (Vote.YES, Vote.NO):
            raise precondition_failed("Invalid vote specified.")
        if self.now_seconds() >= record.deadline_timestamp_seconds:
            raise precondition_failed("Proposal deadline has passed.")
        current = record.ballots.votes.get(neuron_id)
        if current is None:
            raise not_authorized("Neuron not authorized to vote on proposal.")
        if current != Vote.UNSPECIFIED:
            raise GovernanceError(
                ErrorType.NEURON_ALREADY_VOTED, "Neuron already voted on proposal."
            )
        self.refresh_voting_power(session, neuron)
        self.cast_votes(session, record, [(neuron_id, Vote(command.vote))])
        return EmptyResponse(command="RegisterVote")

    def cast_votes(
        self, session: Session, record: ProposalRecord, direct: list[tuple[int, Vote]]
    ) -> None:
        """Cast the votes and their cascade, re-tally, apply wait-for-quiet, then process."""
        votes = record.ballots.votes
        self.state.touch_proposal(record)
        cast = cascade_votes(
            topic=record.topic, votes=votes, direct_votes=direct, index=self.state.followers
        )
        self.state.journal_cast_votes(votes, cast)
        power = record.ballots.power
        yes, no = record.yes, record.no
        # in id order, the order of the ballot tables, which is much faster for a large cascade
        for neuron_id in sorted(cast):
            if votes[neuron_id] == Vote.YES:
                yes += power[neuron_id]
            else:
                no += power[neuron_id]
        now = self.now_seconds()
        if not record.is_manage_neuron and is_undecided_for_wait_for_quiet(yes, no, record.total):
            record.deadline_timestamp_seconds = compute_wait_for_quiet_deadline(
                deadline_seconds=record.deadline_timestamp_seconds,
                created_seconds=record.proposal_timestamp_seconds,
                now_seconds=now,
                voting_period_seconds=self.durations.initial_voting_period_seconds,
                increase_seconds=self.durations.wait_for_quiet_deadline_increase_seconds,
                yes_was_winning=record.yes > record.no,
                yes_is_winning=yes > no,
            )
        record.yes, record.no, record.tally_timestamp_seconds = yes, no, now
        self.state.put_proposal(session, record)
        self.process_proposal(session, record)

    # -- decision and execution (spec 4.5, 4.8) ---------------------------------------------

    def process_proposal(self, session: Session, record: ProposalRecord) -> None:
        if record.decided_timestamp_seconds:
            return
        now = self.now_seconds()
        if not (
            can_decide_early(record.yes, record.no, record.total)
            or now >= record.deadline_timestamp_seconds
        ):
            return
        self.state.touch_proposal(record)
        record.decided_timestamp_seconds = now
        record.accepted = is_accepted(
            record.yes, record.no, record.total, is_manage_neuron=record.is_manage_neuron
        )
        if record.accepted and not record.is_manage_neuron:
            proposer = self.state.neurons.get(record.proposer)
            if proposer is not None and proposer.neuron_fees_e8s >= record.reject_cost_e8s:
                self.state.put_neuron(
                    session,
                    replace(
                        proposer, neuron_fees_e8s=proposer.neuron_fees_e8s - record.reject_cost_e8s
                    ),
                )
        self.state.put_proposal(session, record, ballots=False)
        if record.accepted:
            self.execute_proposal(session, record)

    def execute_proposal(self, session: Session, record: ProposalRecord) -> None:
        action = record.proposal.action
        try:
            match action:
                case Motion():
                    self.mark_executed(session, record.id, None)
                case ManageNetworkEconomics():
                    economics = self.economics.inherit(action.economics)
                    economics.validate(self.durations)
                    self.state.put(session, ECONOMICS, economics)
                    self.mark_executed(session, record.id, None)
                case RegisterKnownNeuron():
                    self.validate_known_neuron(action)
                    neuron = self.get_neuron(action.id)
                    self.state.put_neuron(
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
                    self.mark_executed(session, record.id, None)
                case ManageNeuronProposal():
                    self.execute_manage_neuron_proposal(session, record, action)
                case ExecuteNnsFunction():
                    self.validate_nns_function(action)
                    target = TARGETS[NnsFunction(action.nns_function)]
                    payload = action.payload
                    if isinstance(payload, IcpXdrConversionRatePayload):
                        payload = payload.argument()
                    self.environment.call(
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
                ):
                    self.execute_canister_and_provider_action(session, record.id, action)
                case InstallCode():
                    validate_install_code(action)
                    self.environment.call(
                        OutgoingCall(
                            callee=ROOT_CANISTER_ID,
                            method="change_nns_canister",
                            argument={
                                "canister_id": action.canister_id,
                                "mode": {InstallMode(action.install_mode).name.lower(): None},
                                "wasm_module": action.wasm_module,
                                "arg": action.arg or EMPTY_CANDID_ARGUMENTS,
                                "stop_before_installing": not action.skip_stopping_before_installing,
                            },
                            on_reply="_on_proposal_executed",
                            on_reject="_on_proposal_failed",
                            context=ProposalContext(proposal_id=record.id),
                        )
                    )
        except GovernanceError as error:
            self.mark_executed(session, record.id, error.error_message)

    def execute_manage_neuron_proposal(
        self, session: Session, record: ProposalRecord, action: ManageNeuronProposal
    ) -> None:
        managed = self.get_neuron(action.neuron_id)
        outcome = self.run_command(
            session, managed.controller, action.neuron_id, None, action.command, record.id
        )
        if outcome is not DEFERRED:
            self.finish_command(session, record.id, outcome)

    def run_command(
        self,
        session: Session,
        caller: Principal,
        neuron_id: int | None,
        subaccount: bytes | None,
        command: object,
        proposal_id: int | None,
    ) -> object:
        """The one door of ManageNeuron: dispatch a command to its handler."""
        if isinstance(command, ClaimOrRefresh):
            return self.claim_or_refresh(session, caller, neuron_id, subaccount, command)
        if neuron_id is None:
            if subaccount is None or subaccount not in self.state.by_subaccount:
                raise not_found("No neuron id or subaccount given, or no neuron has it.")
            neuron_id = self.state.by_subaccount[subaccount]
        entry = COMMANDS.get(type(command))
        if entry is None:
            raise invalid_command("No command given.")
        handler, allowed_while_locked = entry
        if neuron_id in self.locks and not allowed_while_locked:
            raise GovernanceError(
                ErrorType.LEDGER_UPDATE_ONGOING,
                f"Neuron {neuron_id} has an ongoing ledger update ({self.locks[neuron_id]}).",
            )
        return handler(self, session, caller, neuron_id, command, proposal_id)

    def refresh_voting_power_command(
        self, session: Session, caller: Principal, neuron_id: int
    ) -> EmptyResponse:
        self.refresh_voting_power(session, self.get_authorized_neuron(caller, neuron_id))
        return EmptyResponse(command="RefreshVotingPower")

    def merge_maturity(self, *_: object) -> object:
        raise invalid_command(
            "The command MergeMaturity is no longer available, use StakeMaturity instead."
        )

    def finish_command(self, session: Session, proposal_id: int | None, outcome: object) -> object:
        if proposal_id is not None:
            failure = outcome.error_message if isinstance(outcome, GovernanceError) else None
            self.mark_executed(session, proposal_id, failure)
        return outcome

    def _on_proposal_executed(self, context: ProposalContext, reply: object) -> None:
        # A `variant { Ok; Err : text }` reply (the CMC's rate) that is Err fails the proposal.
        failure = None
        if isinstance(reply, dict) and set(reply) == {"Err"}:
            failure = str(reply["Err"])
        with self.transaction() as session:
            self.mark_executed(session, context.proposal_id, failure)

    def _on_proposal_failed(self, context: ProposalContext, reject: object) -> None:
        message = reject.message if isinstance(reject, Reject) else str(reject)
        with self.transaction() as session:
            self.mark_executed(session, context.proposal_id, message)

    # -- reading (spec 7.3, 9) --------------------------------------------------------------

    def proposal_info(self, record: ProposalRecord, caller: Principal) -> ProposalInfo:
        mine = self.state.neurons_of(caller)
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
            reward_status=int(record.get_reward_status(self.now_seconds())),
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

    def is_visible(self, record: ProposalRecord, caller: Principal) -> bool:
        """ManageNeuron proposals are shown only to holders of one of their ballots."""
        if not record.is_manage_neuron:
            return True
        return any(n in record.ballots.power for n in self.state.neurons_of(caller))

    def get_proposal_info(self, caller: Principal, proposal_id: int) -> ProposalInfo | None:
        record = self.state.proposals.get(proposal_id)
        if record is None or not self.is_visible(record, caller):
            return None
        return self.proposal_info(record, caller)

    def get_pending_proposals(
        self, caller: Principal, argument: object = None
    ) -> tuple[ProposalInfo, ...]:
        return tuple(
            self.proposal_info(record, caller)
            for record in sorted(self.state.proposals.values(), key=lambda r: -r.id)
            if record.get_status() == ProposalStatus.OPEN and self.is_visible(record, caller)
        )

    def list_proposals(
        self, caller: Principal, request: ListProposalInfo
    ) -> tuple[ProposalInfo, ...]:
        limit = request.limit if 0 < request.limit <= 100 else 100
        now = self.now_seconds()
        found: list[ProposalInfo] = []
        for proposal_id in sorted(self.state.proposals, reverse=True):
            if request.before_proposal is not None and proposal_id >= request.before_proposal:
                continue
            record = self.state.proposals[proposal_id]
            if record.topic in request.exclude_topic:
                continue
            if request.include_status and record.get_status() not in request.include_status:
                continue
            if (
                request.include_reward_status
                and record.get_reward_status(now) not in request.include_reward_status
            ):
                continue
            if not (request.include_all_manage_neuron_proposals or self.is_visible(record, caller)):
                continue
            found.append(self.proposal_info(record, caller))
            if len(found) == limit:
                break
        return tuple(found)

    # -- garbage collection (spec 7.3) ------------------------------------------------------

    def maybe_collect_garbage(self, session: Session) -> int:
        now = self.now_seconds()
        last = self.state.get(LAST_GC_TIMESTAMP_SECONDS)
        since = self.state.get(PROPOSALS_SINCE_GC)
        if since <= GC_NEW_PROPOSALS_TRIGGER and now - last <= self.durations.one_day_seconds:
            return 0
        keep = self.economics.max_proposals_to_keep_per_topic
        by_topic: dict[Topic, list[ProposalRecord]] = {}
        for record in self.state.proposals.values():
            by_topic.setdefault(record.topic, []).append(record)
        deleted = 0
        for topic, records in sorted(by_topic.items()):
            if topic == Topic.SNS_AND_COMMUNITY_FUND or len(records) <= keep:
                continue
            records.sort(key=lambda r: r.id)
            for record in records[: len(records) - keep]:
                if record.is_final(now):
                    self.state.delete_proposal(session, record.id)
                    deleted += 1
        self.state.put(session, LAST_GC_TIMESTAMP_SECONDS, now)
        self.state.put(session, PROPOSALS_SINCE_GC, 0)
        return deleted


# The commands of ManageNeuron (ClaimOrRefresh aside, which names no neuron): each one's handler
# and whether it runs on a neuron locked by an ongoing ledger update.
Handler = Callable[[ProposalVoting, Session, Principal, int, Any, "int | None"], object]
COMMANDS: Final[dict[type, tuple[Handler, bool]]] = {
    Configure: (lambda g, s, c, n, command, p: g.configure(s, c, n, command), False),
    Follow: (lambda g, s, c, n, command, p: g.follow(s, c, n, command), True),
    SetFollowing: (lambda g, s, c, n, command, p: g.set_following(s, c, n, command), True),
    RegisterVote: (lambda g, s, c, n, command, p: g.register_vote(s, c, n, command), True),
    MakeProposal: (lambda g, s, c, n, command, p: g.make_proposal(s, c, n, command), True),
    RefreshVotingPower: (
        lambda g, s, c, n, command, p: g.refresh_voting_power_command(s, c, n),
        True,
    ),
    Disburse: (lambda g, s, c, n, command, p: g.disburse(s, c, n, command, p), False),
    Split: (lambda g, s, c, n, command, p: g.split(s, c, n, command, p), False),
    Merge: (lambda g, s, c, n, command, p: g.merge(s, c, n, command, p), False),
    Spawn: (lambda g, s, c, n, command, p: g.spawn(s, c, n, command), False),
    StakeMaturity: (lambda g, s, c, n, command, p: g.stake_maturity(s, c, n, command), False),
    DisburseMaturity: (lambda g, s, c, n, command, p: g.disburse_maturity(s, c, n, command), False),
    DisburseToNeuron: (
        lambda g, s, c, n, command, p: g.disburse_to_neuron(s, c, n, command, p),
        False,
    ),
    MergeMaturity: (lambda g, s, c, n, command, p: g.merge_maturity(), False),
}
