"""The SNS governance core: neurons, proposals, voting and rewards, without I/O.

Every command checks everything before it changes anything, so a refused
command leaves the state exactly as it was (STYLE rule 5). Calls to other
canisters (the ledger for stakes and transfers, root for upgrades, a custom
function's validator and target) are made by the canister around this core:
the core says what to do (`Execution`) and is told how it went
(`mark_executed`). Sources: dfinity/ic rs/sns/governance/src/governance.rs
(`manage_neuron`, `make_proposal`, `register_vote`, `process_proposal`,
`distribute_rewards`, `claim_swap_neurons`), types.rs, following.rs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final

from nns.governance.neuron import compute_subaccount
from replica.types import Principal
from sns.governance.actions import (
    AddGenericNervousSystemFunction,
    DeregisterDappCanisters,
    ExecuteGenericNervousSystemFunction,
    GenericFunction,
    ManageNervousSystemParameters,
    ManageSnsMetadata,
    Motion,
    ProposalAction,
    RegisterDappCanisters,
    RemoveGenericNervousSystemFunction,
    SetTopicsForCustomProposals,
    function_id_of,
    native_action,
)
from sns.governance.errors import ErrorType, SnsGovernanceError
from sns.governance.following import FollowerIndex, cascade, validate_set_following
from sns.governance.neuron import Followee, Neuron, staking_subaccount
from sns.governance.parameters import (
    ONE_DAY_SECONDS,
    ONE_YEAR_SECONDS,
    NervousSystemParameters,
    Permission,
)
from sns.governance.proposals import (
    NATIVE_ACTION_TOPICS,
    RewardEvent,
    Tally,
    Topic,
    Vote,
    VotingRules,
    early_decision,
    is_accepted,
    is_critical,
    voting_rules,
    wait_for_quiet_deadline,
)
from sns.governance.validation import validate_action

MAX_FOLLOWEES_PER_FUNCTION: Final = 15
DISBURSE_MATURITY_DELAY_SECONDS: Final = 7 * ONE_DAY_SECONDS
"""A maturity disbursement settles after 7 days (rs/sns/governance/src/governance.rs)."""
TREASURY_SUBACCOUNT_NONCE: Final = 0
VOTING_PERMISSIONS: Final = frozenset({Permission.VOTE, Permission.SUBMIT_PROPOSAL})


class Mode(IntEnum):
    """`Governance.Mode` of governance.proto."""

    UNSPECIFIED = 0
    NORMAL = 1
    PRE_INITIALIZATION_SWAP = 2


def treasury_subaccount(governance_id: Principal) -> bytes:
    """`compute_distribution_subaccount_bytes(governance, 0)`: where the SNS-token treasury lives
    (the governance main account is the minting account, §2.2)."""
    return compute_subaccount(b"token-distribution", governance_id, TREASURY_SUBACCOUNT_NONCE)


def error(kind: ErrorType, message: str) -> SnsGovernanceError:
    return SnsGovernanceError(kind, message)


@dataclass(slots=True, kw_only=True)
class ProposalData:
    id: int
    proposer: bytes
    title: str
    summary: str
    url: str
    action: ProposalAction
    function_id: int
    topic: Topic | None
    rules: VotingRules
    reject_cost_e8s: int
    created_seconds: int
    deadline_seconds: int
    ballots: dict[bytes, list[int]]
    tally: Tally
    payload_text_rendering: str | None = None
    decided_seconds: int = 0
    executed_seconds: int = 0
    failed_seconds: int = 0
    failure_reason: str | None = None
    reward_event_round: int = 0

    @property
    def is_decided(self) -> bool:
        return self.decided_seconds > 0

    @property
    def is_adopted(self) -> bool:
        return self.is_decided and is_accepted(self.tally, self.rules)


@dataclass(frozen=True, slots=True)
class Execution:
    """An adopted proposal whose action the canister must carry out."""

    proposal_id: int
    action: ProposalAction


@dataclass(frozen=True, slots=True, kw_only=True)
class NeuronRecipe:
    """A neuron the swap asks governance to claim (`NeuronRecipe` of swap.proto)."""

    neuron_id: bytes
    controller: Principal
    stake_e8s: int
    dissolve_delay_seconds: int
    followees: tuple[bytes, ...] = ()
    source_nns_neuron_id: int | None = None
    nns_neuron_controller: Principal | None = None


@dataclass(slots=True, kw_only=True)
class Metadata:
    name: str = ""
    description: str = ""
    url: str = ""
    logo: str | None = None


@dataclass(slots=True)
class SnsGovernanceCore:
    parameters: NervousSystemParameters
    governance_id: Principal
    ledger_id: Principal
    root_id: Principal
    swap_id: Principal
    genesis_timestamp_seconds: int
    mode: Mode = Mode.PRE_INITIALIZATION_SWAP
    metadata: Metadata = field(default_factory=Metadata)
    neurons: dict[bytes, Neuron] = field(default_factory=dict)
    followers: FollowerIndex = field(default_factory=FollowerIndex)
    proposals: dict[int, ProposalData] = field(default_factory=dict)
    functions: dict[int, GenericFunction] = field(default_factory=dict)
    dapp_canisters: list[Principal] = field(default_factory=list)
    next_proposal_id: int = 1
    latest_reward_round: int = 0
    rewards_rollover_e8s: int = 0
    latest_reward_event: RewardEvent = field(init=False)
    maturity_modulation_basis_points: int | None = None
    """The CMC's maturity modulation as last fetched (None until the first answer)."""
    maturity_modulation_updated_at_seconds: int = 0

    def __post_init__(self) -> None:
        genesis = self.genesis_timestamp_seconds  # round 0 ends at genesis (governance.rs `new`)
        self.latest_reward_event = RewardEvent(
            actual_timestamp_seconds=genesis, end_timestamp_seconds=genesis
        )

    # -- reads ------------------------------------------------------------------------------

    def neuron(self, neuron_id: bytes) -> Neuron:
        found = self.neurons.get(bytes(neuron_id))
        if found is None:
            raise error(ErrorType.NOT_FOUND, f"No neuron for given NeuronId {neuron_id.hex()}.")
        return found

    def proposal(self, proposal_id: int) -> ProposalData:
        found = self.proposals.get(proposal_id)
        if found is None:
            raise error(ErrorType.NOT_FOUND, f"No proposal for given ProposalId {proposal_id}.")
        return found

    def neurons_of(self, principal: Principal) -> list[Neuron]:
        return [n for _, n in sorted(self.neurons.items()) if principal in n.permissions]

    def require_permission(
        self, caller: Principal, neuron_id: bytes, permission: Permission
    ) -> Neuron:
        neuron = self.neuron(neuron_id)
        if not neuron.has_permission(caller, permission):
            raise error(
                ErrorType.NOT_AUTHORIZED,
                f"Caller {caller} is not authorized to perform action {permission.name} "
                f"on neuron {neuron_id.hex()}.",
            )
        return neuron

    def require_normal_mode(self, what: str) -> None:
        if self.mode == Mode.PRE_INITIALIZATION_SWAP:
            raise error(
                ErrorType.PRECONDITION_FAILED,
                f"{what} is not allowed while governance is in PreInitializationSwap mode.",
            )

    # -- neurons ----------------------------------------------------------------------------

    def add_neuron(self, neuron: Neuron) -> None:
        if neuron.id in self.neurons:
            raise error(ErrorType.ALREADY_EXISTS, f"Neuron {neuron.id.hex()} already exists.")
        if len(self.neurons) >= self.parameters.max_number_of_neurons:
            raise error(ErrorType.RESOURCE_EXHAUSTED, "The maximum number of neurons is reached.")
        self.neurons[neuron.id] = neuron
        self.followers.add(neuron)

    def claimer_permissions(self) -> frozenset[Permission]:
        return frozenset(self.parameters.neuron_claimer_permissions)

    def claim_or_refresh(
        self, caller: Principal, controller: Principal, memo: int, balance_e8s: int, now: int
    ) -> bytes:
        """Claim a neuron from its staking subaccount's balance, or refresh its stake."""
        if self.mode == Mode.PRE_INITIALIZATION_SWAP and caller != self.swap_id:
            raise error(
                ErrorType.PRECONDITION_FAILED,
                "ClaimOrRefresh is only allowed for the swap canister in PreInitializationSwap "
                "mode.",
            )
        neuron_id = staking_subaccount(controller, memo)
        if neuron_id in self.neurons:
            self.refresh(neuron_id, balance_e8s, now)
            return neuron_id
        if balance_e8s < self.parameters.neuron_minimum_stake_e8s:
            raise error(
                ErrorType.INSUFFICIENT_FUNDS,
                f"Account does not have enough funds to stake a neuron: {balance_e8s} e8s; "
                f"the minimum stake is {self.parameters.neuron_minimum_stake_e8s} e8s.",
            )
        self.add_neuron(
            Neuron(
                id=neuron_id,
                permissions={controller: self.claimer_permissions()},
                cached_neuron_stake_e8s=balance_e8s,
                created_timestamp_seconds=now,
                aging_since_timestamp_seconds=now,
                dissolve_delay_seconds=0,
            )
        )
        return neuron_id

    def refresh(self, neuron_id: bytes, balance_e8s: int, now: int) -> None:
        """A top-up: the stake becomes the account's balance; the age is kept in proportion."""
        existing = self.neuron(neuron_id)
        if balance_e8s <= existing.cached_neuron_stake_e8s:
            return
        if existing.dissolve_delay_seconds is not None:
            new_age = existing.age_at(now) * existing.cached_neuron_stake_e8s // balance_e8s
            existing.aging_since_timestamp_seconds = now - new_age
        existing.cached_neuron_stake_e8s = balance_e8s

    def claim_swap_neurons(
        self, caller: Principal, recipes: Iterable[NeuronRecipe], now: int
    ) -> list[tuple[bytes, str]]:
        """Create the basket neurons of the swap (`claim_swap_neurons`); only the swap may.

        Returns per recipe ("created" | "already exists" | "invalid: ..."), so a finalization
        that is retried claims each neuron exactly once.
        """
        if caller != self.swap_id:
            raise error(ErrorType.NOT_AUTHORIZED, "Only the swap canister may claim swap neurons.")
        results: list[tuple[bytes, str]] = []
        claimer = self.claimer_permissions()  # the same for every recipe (and immutable)
        for recipe in recipes:
            neuron_id = recipe.neuron_id
            if neuron_id in self.neurons:
                results.append((neuron_id, "already exists"))
                continue
            if recipe.stake_e8s < self.parameters.neuron_minimum_stake_e8s:
                results.append((neuron_id, "invalid: stake below the neuron minimum stake"))
                continue
            permissions = {recipe.controller: claimer}
            if recipe.nns_neuron_controller is not None:
                permissions[recipe.nns_neuron_controller] = VOTING_PERMISSIONS
            neuron = Neuron(
                id=neuron_id,
                permissions=permissions,
                cached_neuron_stake_e8s=recipe.stake_e8s,
                created_timestamp_seconds=now,
                aging_since_timestamp_seconds=now,
                dissolve_delay_seconds=recipe.dissolve_delay_seconds,
                source_nns_neuron_id=recipe.source_nns_neuron_id,
                topic_followees={},
                function_followees={0: recipe.followees} if recipe.followees else {},
            )
            self.add_neuron(neuron)
            results.append((neuron_id, "created"))
        return results

    def set_mode(self, caller: Principal, mode: Mode) -> None:
        if caller != self.swap_id:
            raise error(ErrorType.NOT_AUTHORIZED, "Only the swap canister may set the mode.")
        if mode != Mode.NORMAL:
            raise error(ErrorType.INVALID_COMMAND, "The mode can only be set to Normal.")
        self.mode = Mode.NORMAL

    def increase_dissolve_delay(
        self, caller: Principal, neuron_id: bytes, additional_seconds: int, now: int
    ) -> None:
        neuron = self.require_permission(caller, neuron_id, Permission.CONFIGURE_DISSOLVE_STATE)
        self.require_normal_mode("Configuring the dissolve state")
        if additional_seconds <= 0:
            raise error(
                ErrorType.INVALID_COMMAND, "The additional dissolve delay must be positive."
            )
        maximum = self.parameters.max_dissolve_delay_seconds
        if neuron.dissolve_delay_seconds is not None:
            neuron.dissolve_delay_seconds = min(
                maximum, neuron.dissolve_delay_seconds + additional_seconds
            )
        else:
            remaining = neuron.dissolve_delay_at(now)
            neuron.when_dissolved_timestamp_seconds = now + min(
                maximum, remaining + additional_seconds
            )

    def set_dissolve_timestamp(
        self, caller: Principal, neuron_id: bytes, timestamp_seconds: int, now: int
    ) -> None:
        """Dissolve (or be able to) at `timestamp_seconds`: the dissolve delay grows to reach it,
        never shrinks (rs/sns/governance/src/neuron.rs `configure`, SetDissolveTimestamp)."""
        neuron = self.require_permission(caller, neuron_id, Permission.CONFIGURE_DISSOLVE_STATE)
        self.require_normal_mode("Configuring the dissolve state")
        if now > timestamp_seconds:
            raise error(
                ErrorType.INVALID_COMMAND, "The dissolve delay must be set to a future time."
            )
        desired, current = timestamp_seconds - now, neuron.dissolve_delay_at(now)
        if current > desired:
            raise error(
                ErrorType.INVALID_COMMAND,
                "Can't set a dissolve delay that is smaller than the current dissolve delay.",
            )
        if desired > current:
            self.increase_dissolve_delay(caller, neuron_id, desired - current, now)

    def change_auto_stake_maturity(self, caller: Principal, neuron_id: bytes, on: bool) -> None:
        """Rewards become staked maturity while on (neuron.rs, ChangeAutoStakeMaturity)."""
        neuron = self.require_permission(caller, neuron_id, Permission.CONFIGURE_DISSOLVE_STATE)
        self.require_normal_mode("Configuring the neuron")
        neuron.auto_stake_maturity = on

    def start_dissolving(self, caller: Principal, neuron_id: bytes, now: int) -> None:
        neuron = self.require_permission(caller, neuron_id, Permission.CONFIGURE_DISSOLVE_STATE)
        self.require_normal_mode("Configuring the dissolve state")
        if neuron.dissolve_delay_seconds is None:
            raise error(ErrorType.REQUIRES_NOT_DISSOLVING, "The neuron is already dissolving.")
        if neuron.is_vesting_at(now):
            raise error(ErrorType.NEURON_LOCKED, "The neuron is vesting and cannot dissolve.")
        neuron.when_dissolved_timestamp_seconds = now + neuron.dissolve_delay_seconds
        neuron.dissolve_delay_seconds = None

    def stop_dissolving(self, caller: Principal, neuron_id: bytes, now: int) -> None:
        neuron = self.require_permission(caller, neuron_id, Permission.CONFIGURE_DISSOLVE_STATE)
        self.require_normal_mode("Configuring the dissolve state")
        if neuron.dissolve_delay_seconds is not None:
            raise error(ErrorType.REQUIRES_DISSOLVING, "The neuron is not dissolving.")
        neuron.dissolve_delay_seconds = neuron.dissolve_delay_at(now)
        neuron.when_dissolved_timestamp_seconds = None
        neuron.aging_since_timestamp_seconds = now

    def add_permissions(
        self,
        caller: Principal,
        neuron_id: bytes,
        principal: Principal,
        permissions: Iterable[Permission],
    ) -> None:
        """`add_neuron_permissions`: ManagePrincipals may grant any grantable permission;
        ManageVotingPermission may grant only Vote and SubmitProposal (§4.3)."""
        neuron = self.neuron(neuron_id)
        wanted = frozenset(permissions)
        if not wanted:
            raise error(ErrorType.INVALID_COMMAND, "No permissions to add.")
        manages = neuron.has_permission(caller, Permission.MANAGE_PRINCIPALS)
        manages_voting = neuron.has_permission(caller, Permission.MANAGE_VOTING_PERMISSION)
        if not (manages or (manages_voting and wanted <= VOTING_PERMISSIONS)):
            raise error(
                ErrorType.NOT_AUTHORIZED,
                f"Caller {caller} may not grant {sorted(p.name for p in wanted)}.",
            )
        grantable = frozenset(self.parameters.neuron_grantable_permissions)
        if not wanted <= grantable:
            raise error(
                ErrorType.ACCESS_CONTROL_LIST,
                f"Permissions {sorted(p.name for p in wanted - grantable)} are not grantable "
                "(nervous system parameter neuron_grantable_permissions).",
            )
        if (
            principal not in neuron.permissions
            and len(neuron.permissions) >= self.parameters.max_number_of_principals_per_neuron
        ):
            raise error(
                ErrorType.PRECONDITION_FAILED,
                "The neuron already has the maximum number of principals "
                f"({self.parameters.max_number_of_principals_per_neuron}).",
            )
        neuron.permissions[principal] = neuron.permissions.get(principal, frozenset()) | wanted

    def remove_permissions(
        self,
        caller: Principal,
        neuron_id: bytes,
        principal: Principal,
        permissions: Iterable[Permission],
    ) -> None:
        neuron = self.neuron(neuron_id)
        unwanted = frozenset(permissions)
        manages = neuron.has_permission(caller, Permission.MANAGE_PRINCIPALS)
        manages_voting = neuron.has_permission(caller, Permission.MANAGE_VOTING_PERMISSION)
        own = caller == principal
        if not (manages or own or (manages_voting and unwanted <= VOTING_PERMISSIONS)):
            raise error(ErrorType.NOT_AUTHORIZED, f"Caller {caller} may not remove permissions.")
        held = neuron.permissions.get(principal, frozenset())
        if not unwanted <= held:
            raise error(
                ErrorType.ACCESS_CONTROL_LIST,
                f"Principal {principal} does not hold {sorted(p.name for p in unwanted - held)}.",
            )
        remaining = held - unwanted
        if remaining:
            neuron.permissions[principal] = remaining
        else:
            del neuron.permissions[principal]

    def follow(
        self, caller: Principal, neuron_id: bytes, function_id: int, followees: Iterable[bytes]
    ) -> None:
        """Legacy following per proposal type or custom function (`Follow`)."""
        neuron = self.require_permission(caller, neuron_id, Permission.VOTE)
        ids = tuple(bytes(f) for f in followees)
        if len(ids) > self.parameters.max_followees_per_function:
            raise error(
                ErrorType.INVALID_COMMAND,
                f"Too many followees: at most {self.parameters.max_followees_per_function}.",
            )
        known = {0, *(int(a) for a in NATIVE_ACTION_TOPICS), 6, *self.functions}
        if function_id not in known:
            raise error(ErrorType.NOT_FOUND, f"Function {function_id} does not exist.")
        for followee in ids:
            self.neuron(followee)
        self.followers.remove(neuron)
        if ids:
            neuron.function_followees[function_id] = ids
        else:
            neuron.function_followees.pop(function_id, None)
        self.followers.add(neuron)

    def set_following(
        self,
        caller: Principal,
        neuron_id: bytes,
        topic_following: Iterable[tuple[int, tuple[Followee, ...]]],
    ) -> None:
        neuron = self.require_permission(caller, neuron_id, Permission.VOTE)
        changes = validate_set_following(topic_following)
        for followees in changes.values():
            for followee in followees:
                self.neuron(followee.neuron_id)
        self.followers.remove(neuron)
        for topic, followees in changes.items():
            if followees:
                neuron.topic_followees[topic] = followees
            else:
                neuron.topic_followees.pop(topic, None)
        self.followers.add(neuron)

    # -- proposals --------------------------------------------------------------------------

    def topic_of(self, action: ProposalAction) -> Topic | None:
        if isinstance(action, ExecuteGenericNervousSystemFunction):
            return self.functions[action.function_id].topic
        return NATIVE_ACTION_TOPICS[native_action(action)]

    def validate_action(self, action: ProposalAction) -> None:
        """Everything about an action that can be checked before it is proposed."""
        validate_action(self, action)

    def eligible_voting_power(self, neuron: Neuron, now: int) -> int:
        """0 below the minimum dissolve delay to vote (such neurons get no ballot)."""
        if (
            neuron.dissolve_delay_at(now)
            < self.parameters.neuron_minimum_dissolve_delay_to_vote_seconds
        ):
            return 0
        return neuron.voting_power_at(now, self.parameters)

    def make_proposal(
        self,
        caller: Principal,
        neuron_id: bytes,
        *,
        title: str,
        summary: str,
        url: str,
        action: ProposalAction,
        now: int,
        payload_text_rendering: str | None = None,
    ) -> int:
        proposer = self.require_permission(caller, neuron_id, Permission.SUBMIT_PROPOSAL)
        if not title:
            raise error(ErrorType.INVALID_PROPOSAL, "A proposal needs a title.")
        self.validate_action(action)
        reject_cost = self.parameters.reject_cost_e8s
        if proposer.stake_e8s() < reject_cost:
            raise error(
                ErrorType.INSUFFICIENT_FUNDS,
                "Neuron doesn't have enough stake to submit a proposal: "
                f"{proposer.stake_e8s()} < reject cost {reject_cost}.",
            )
        if self.eligible_voting_power(proposer, now) == 0:
            raise error(
                ErrorType.PRECONDITION_FAILED,
                "Neuron's dissolve delay is too short to submit a proposal.",
            )
        open_with_ballots = sum(1 for p in self.proposals.values() if not p.is_decided)
        if open_with_ballots >= self.parameters.max_number_of_proposals_with_ballots:
            raise error(ErrorType.RESOURCE_EXHAUSTED, "Too many open proposals.")
        topic = self.topic_of(action)
        rules = voting_rules(
            topic,
            self.parameters.initial_voting_period_seconds,
            self.parameters.wait_for_quiet_deadline_increase_seconds,
        )
        ballots: dict[bytes, list[int]] = {}
        for neuron in self.neurons.values():
            power = self.eligible_voting_power(neuron, now)
            if power > 0:
                ballots[neuron.id] = [int(Vote.UNSPECIFIED), power]
        proposal_id = self.next_proposal_id
        self.next_proposal_id += 1
        proposer.neuron_fees_e8s += reject_cost
        proposal = ProposalData(
            id=proposal_id,
            proposer=proposer.id,
            title=title,
            summary=summary,
            url=url,
            action=action,
            function_id=function_id_of(action),
            topic=topic,
            rules=rules,
            reject_cost_e8s=reject_cost,
            created_seconds=now,
            deadline_seconds=now + rules.initial_voting_period_seconds,
            ballots=ballots,
            tally=Tally(0, 0, sum(b[1] for b in ballots.values())),
            payload_text_rendering=payload_text_rendering,
        )
        self.proposals[proposal_id] = proposal
        self._cast(proposal, proposer.id, Vote.YES, now)
        return proposal_id

    def register_vote(
        self, caller: Principal, neuron_id: bytes, proposal_id: int, vote: Vote, now: int
    ) -> None:
        self.require_permission(caller, neuron_id, Permission.VOTE)
        proposal = self.proposal(proposal_id)
        if vote not in (Vote.YES, Vote.NO):
            raise error(ErrorType.INVALID_COMMAND, "The vote must be Yes or No.")
        ballot = proposal.ballots.get(bytes(neuron_id))
        if ballot is None:
            raise error(
                ErrorType.NOT_AUTHORIZED,
                "Neuron not eligible to vote on proposal (no ballot; its dissolve delay was "
                "too short when the proposal was made).",
            )
        if ballot[0] != Vote.UNSPECIFIED:
            raise error(ErrorType.PRECONDITION_FAILED, "Neuron already voted on proposal.")
        if now >= proposal.deadline_seconds:
            raise error(
                ErrorType.PRECONDITION_FAILED, "Proposal deadline has passed; voting is closed."
            )
        self._cast(proposal, bytes(neuron_id), vote, now)

    def _cast(self, proposal: ProposalData, voter: bytes, vote: Vote, now: int) -> None:
        proposal.ballots[voter][0] = int(vote)
        cascade(
            voter=voter,
            ballots=proposal.ballots,
            index=self.followers,
            neuron=self.neurons.get,
            topic=proposal.topic,
            function_id=proposal.function_id,
            critical=is_critical(proposal.topic),
        )
        yes = no = 0
        for choice, power in proposal.ballots.values():
            if choice == Vote.YES:
                yes += power
            elif choice == Vote.NO:
                no += power
        new = Tally(yes, no, proposal.tally.total)
        proposal.deadline_seconds = wait_for_quiet_deadline(
            current_deadline_seconds=proposal.deadline_seconds,
            now_seconds=now,
            created_seconds=proposal.created_seconds,
            rules=proposal.rules,
            old=proposal.tally,
            new=new,
        )
        proposal.tally = new

    def process_proposals(self, now: int) -> list[Execution]:
        """Decide every open proposal that can be decided; adopted ones are to be executed."""
        executions: list[Execution] = []
        for proposal_id in sorted(self.proposals):
            proposal = self.proposals[proposal_id]
            if proposal.is_decided:
                continue
            early = early_decision(proposal.tally, proposal.rules)
            if early == Vote.UNSPECIFIED and now < proposal.deadline_seconds:
                continue
            proposal.decided_seconds = now
            if is_accepted(proposal.tally, proposal.rules):
                proposer = self.neurons.get(proposal.proposer)
                if proposer is not None:  # an adopted proposal's reject cost is returned
                    proposer.neuron_fees_e8s = max(
                        0, proposer.neuron_fees_e8s - proposal.reject_cost_e8s
                    )
                executions.append(Execution(proposal_id, proposal.action))
        return executions

    def apply_local_action(self, execution: Execution) -> bool:
        """Carry out an action that needs no other canister; False if it needs one."""
        action = execution.action
        match action:
            case Motion():
                pass
            case ManageNervousSystemParameters():
                self.parameters = self.parameters.updated(action.changes)
            case AddGenericNervousSystemFunction():
                self.functions[action.function.id] = action.function
            case RemoveGenericNervousSystemFunction():
                self.functions.pop(action.function_id, None)
            case ManageSnsMetadata():
                for name in ("name", "description", "url", "logo"):
                    if (value := getattr(action, name)) is not None:
                        setattr(self.metadata, name, value)
            case SetTopicsForCustomProposals():
                for function_id, topic in action.topics:
                    old = self.functions[function_id]
                    self.functions[function_id] = GenericFunction(
                        id=old.id,
                        name=old.name,
                        description=old.description,
                        target_canister_id=old.target_canister_id,
                        target_method_name=old.target_method_name,
                        validator_canister_id=old.validator_canister_id,
                        validator_method_name=old.validator_method_name,
                        topic=topic,
                    )
            case _:
                return False
        return True

    def mark_executed(self, proposal_id: int, failure: str | None, now: int) -> None:
        proposal = self.proposal(proposal_id)
        if failure is None:
            proposal.executed_seconds = now
            if isinstance(proposal.action, RegisterDappCanisters):
                self.dapp_canisters.extend(
                    c for c in proposal.action.canister_ids if c not in self.dapp_canisters
                )
            if isinstance(proposal.action, DeregisterDappCanisters):
                self.dapp_canisters = [
                    c for c in self.dapp_canisters if c not in proposal.action.canister_ids
                ]
        else:
            proposal.failed_seconds = now
            proposal.failure_reason = failure

    # -- rewards and maturity -----------------------------------------------------------------

    def reward_purse_e8s(self, total_supply_e8s: int, round_index: int) -> int:
        """supply x rate(t) x round / year, rate in basis points
        (rs/sns/governance/src/reward.rs)."""
        rewards = self.parameters.voting_rewards_parameters
        seconds_since_genesis = round_index * rewards.round_duration_seconds
        rate_bp = rewards.reward_rate_basis_points_at(seconds_since_genesis)
        return (
            total_supply_e8s
            * rate_bp
            * rewards.round_duration_seconds
            // (10_000 * ONE_YEAR_SECONDS)
        )

    def due_reward_round(self, now: int) -> int | None:
        """The round to distribute now, if one has ended since the last distribution."""
        if self.mode != Mode.NORMAL:
            return None
        round_seconds = self.parameters.voting_rewards_parameters.round_duration_seconds
        current = (now - self.genesis_timestamp_seconds) // round_seconds
        return current if current > self.latest_reward_round else None

    def distribute_rewards(self, now: int, total_supply_e8s: int) -> int:
        """Pay the rounds due as maturity, in proportion to the voting power each neuron used
        on the proposals settled in them; with nothing to settle the purse rolls over."""
        round_index = self.due_reward_round(now)
        if round_index is None:
            return 0
        purse = self.rewards_rollover_e8s
        for index in range(self.latest_reward_round + 1, round_index + 1):
            purse += self.reward_purse_e8s(total_supply_e8s, index)
        settled = [
            p
            for p in self.proposals.values()
            if p.is_decided and p.reward_event_round == 0 and now >= p.deadline_seconds
        ]
        used: dict[bytes, int] = {}
        for proposal in settled:
            for neuron_id, (choice, power) in proposal.ballots.items():
                if choice != Vote.UNSPECIFIED:
                    used[neuron_id] = used.get(neuron_id, 0) + power
            proposal.reward_event_round = round_index
        total_used = sum(used.values())
        previous_round = self.latest_reward_round
        self.latest_reward_round = round_index
        paid = 0
        if total_used == 0:
            self.rewards_rollover_e8s = purse
        else:
            for neuron_id, power in sorted(used.items()):
                neuron = self.neurons.get(neuron_id)
                if neuron is None:
                    continue
                share = purse * power // total_used
                if neuron.auto_stake_maturity:
                    neuron.staked_maturity_e8s_equivalent += share
                else:
                    neuron.maturity_e8s_equivalent += share
                paid += share
            self.rewards_rollover_e8s = 0
        round_seconds = self.parameters.voting_rewards_parameters.round_duration_seconds
        self.latest_reward_event = RewardEvent(
            round=round_index,
            actual_timestamp_seconds=now,
            end_timestamp_seconds=self.genesis_timestamp_seconds + round_index * round_seconds,
            settled_proposals=tuple(sorted(p.id for p in settled)),
            distributed_e8s_equivalent=paid,
            total_available_e8s_equivalent=purse,
            rounds_since_last_distribution=round_index - previous_round,
        )
        return paid

    def stake_maturity(self, caller: Principal, neuron_id: bytes, percentage: int | None) -> int:
        neuron = self.require_permission(caller, neuron_id, Permission.STAKE_MATURITY)
        self.require_normal_mode("StakeMaturity")
        share = 100 if percentage is None else percentage
        if not 0 < share <= 100:
            raise error(ErrorType.INVALID_COMMAND, "The percentage must be in 1..=100.")
        amount = neuron.maturity_e8s_equivalent * share // 100
        neuron.maturity_e8s_equivalent -= amount
        neuron.staked_maturity_e8s_equivalent += amount
        return amount

    def disburse_maturity(
        self,
        caller: Principal,
        neuron_id: bytes,
        percentage: int,
        to: tuple[Principal, bytes | None],
        now: int,
    ) -> int:
        """Start a disbursement that settles (is minted) after 7 days (§4.7)."""
        neuron = self.require_permission(caller, neuron_id, Permission.DISBURSE_MATURITY)
        self.require_normal_mode("DisburseMaturity")
        if not 0 < percentage <= 100:
            raise error(ErrorType.INVALID_COMMAND, "The percentage must be in 1..=100.")
        amount = neuron.maturity_e8s_equivalent * percentage // 100
        if amount <= self.parameters.transaction_fee_e8s:
            raise error(
                ErrorType.PRECONDITION_FAILED,
                "The amount of maturity to disburse must exceed the transaction fee.",
            )
        neuron.maturity_e8s_equivalent -= amount
        neuron.disbursements.append((now + DISBURSE_MATURITY_DELAY_SECONDS, amount, to[0], to[1]))
        return amount

    def maturity_modulation_due(self, now: int) -> bool:
        """Fetch the modulation again once a day (governance.rs
        `should_update_maturity_modulation`)."""
        return now - self.maturity_modulation_updated_at_seconds >= ONE_DAY_SECONDS

    def set_maturity_modulation(self, basis_points: int, now: int) -> None:
        self.maturity_modulation_basis_points = basis_points
        self.maturity_modulation_updated_at_seconds = now

    def effective_maturity_modulation(self) -> int | None:
        """0 when the parameters disable it, else the fetched value (None: not known yet, so
        no disbursement can settle; governance.rs `effective_maturity_modulation_basis_points`)."""
        if self.parameters.maturity_modulation_disabled:
            return 0
        return self.maturity_modulation_basis_points

    @staticmethod
    def modulated(amount_e8s: int, basis_points: int) -> int:
        """The maturity minted for `amount_e8s`: amount x (1 + bp / 10,000), rounded down
        (rs/nervous_system/common `apply_maturity_modulation`)."""
        return amount_e8s * (10_000 + basis_points) // 10_000

    def due_disbursements(self, now: int) -> list[tuple[bytes, int, Principal, bytes | None]]:
        """Take the maturity disbursements that are due (to be minted by the canister)."""
        due: list[tuple[bytes, int, Principal, bytes | None]] = []
        for neuron_id in sorted(self.neurons):
            neuron = self.neurons[neuron_id]
            keep = []
            for entry in neuron.disbursements:
                if entry[0] <= now:
                    due.append((neuron_id, entry[1], entry[2], entry[3]))
                else:
                    keep.append(entry)
            neuron.disbursements = keep
        return due
