"""The ManageNeuron commands that change only governance state (spec sections 2.2, 3.2,
2.7-2.9): configure, following, spawn, stake and disburse maturity, refresh voting power.

Each command is a function of the governance state (`core`), the message's session, the
caller, the neuron and the command; each validates before it changes anything and answers at
once. `nns.governance.commands` names them in the dispatch table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Final

from sqlmodel import Session

from nns.governance.core import GovernanceCore
from nns.governance.enums import (
    NeuronState,
    Topic,
    Visibility,
)
from nns.governance.errors import (
    insufficient_funds,
    invalid_command,
    not_authorized,
    precondition_failed,
)
from nns.governance.neuron import (
    MaturityDisbursement,
    Neuron,
    compute_neuron_staking_subaccount,
    get_state,
)
from nns.governance.neuron_changes import (
    apply_operation,
)
from nns.governance.parameters import (
    MAX_DISBURSEMENTS_IN_PROGRESS,
    MAX_FOLLOWEES_PER_TOPIC,
    MIN_MATURITY_MODULATION_BASIS_POINTS,
)
from nns.governance.requests import (
    Configure,
    DisburseMaturity,
    DisburseMaturityResponse,
    EmptyResponse,
    Follow,
    JoinCommunityFund,
    LeaveCommunityFund,
    MergeMaturity,
    RefreshVotingPower,
    SetFollowing,
    Spawn,
    SpawnResponse,
    StakeMaturity,
    StakeMaturityResponse,
)
from nns.ledger.accounts import AccountIdentifier
from replica.types import Principal

E8S_PER_ICP: Final = 100_000_000
MIN_DISBURSE_MATURITY_E8S: Final = E8S_PER_ICP


def configure(
    core: GovernanceCore, session: Session, caller: Principal, neuron_id: int, command: Configure
) -> EmptyResponse:
    """governance.rs configure_neuron then neuron/types.rs Neuron::configure: the neuron's
    lock, the neuron, the operation, then who may (controller; hot keys too for the
    Neurons' Fund), each with the IC's type and text."""
    core.require_unlocked(neuron_id)
    neuron = core.get_neuron(neuron_id)
    operation = command.operation
    if operation is None:
        raise invalid_command("Configure must have an operation.")
    if isinstance(operation, JoinCommunityFund | LeaveCommunityFund):
        if not neuron.is_authorized(caller):
            raise not_authorized(
                f"Caller '{caller}' must be the controller or hotkey of the neuron to join "
                "or leave the neuron fund."
            )
    elif caller != neuron.controller:
        raise not_authorized(
            f"Caller '{caller}' must be the controller of the neuron to perform this "
            f"operation: {type(operation).__name__}"
        )
    updated = apply_operation(
        neuron,
        operation,
        core.now_seconds(),
        core.durations.max_dissolve_delay_seconds,
    )
    core.state.put_neuron(session, updated)
    return EmptyResponse(command="Configure")


def follow(
    core: GovernanceCore, session: Session, caller: Principal, neuron_id: int, command: Follow
) -> EmptyResponse:
    _apply_following(core, session, caller, neuron_id, {command.topic: command.followees})
    return EmptyResponse(command="Follow")


def set_following(
    core: GovernanceCore, session: Session, caller: Principal, neuron_id: int, command: SetFollowing
) -> EmptyResponse:
    entries = command.topic_following or ()
    changes: dict[int, tuple[int, ...]] = {}
    for entry in entries:
        topic = 0 if entry.topic is None else entry.topic
        if topic in changes:
            raise invalid_command(f"Topic {topic} appears more than once.")
        changes[topic] = entry.followees or ()
    _apply_following(core, session, caller, neuron_id, changes)
    return EmptyResponse(command="SetFollowing")


def _apply_following(
    core: GovernanceCore,
    session: Session,
    caller: Principal,
    neuron_id: int,
    changes: Mapping[int, tuple[int, ...]],
) -> None:
    neuron = core.get_neuron(neuron_id)
    if not neuron.is_authorized(caller):
        raise not_authorized()
    for topic, followees in changes.items():
        if topic not in Topic._value2member_map_ or topic == Topic.SNS_DECENTRALIZATION_SALE:
            raise invalid_command(f"Not a known topic number: {topic}.")
        if len(followees) > MAX_FOLLOWEES_PER_TOPIC:
            raise invalid_command(
                f"Too many followees: {len(followees)} (at most {MAX_FOLLOWEES_PER_TOPIC})."
            )
        if topic == Topic.NEURON_MANAGEMENT and caller != neuron.controller:
            raise not_authorized(
                "Only the controller may set following on the NeuronManagement topic."
            )
        if topic != Topic.NEURON_MANAGEMENT:
            _check_follow_restrictions(core, neuron, topic, followees)
    followees_by_topic = dict(neuron.followees)
    for topic, followees in changes.items():
        if followees:
            followees_by_topic[topic] = tuple(followees)
        else:
            followees_by_topic.pop(topic, None)
    updated = replace(
        neuron,
        followees=followees_by_topic,
        voting_power_refreshed_timestamp_seconds=core.now_seconds(),
    )
    core.state.put_neuron(session, updated)


def _check_follow_restrictions(
    core: GovernanceCore, follower: Neuron, topic: int, followees: tuple[int, ...]
) -> None:
    """A newly added followee must be public, or share the controller, or list it as hot key."""
    existing = set(follower.followees.get(topic, ()))
    invalid = []
    for followee_id in followees:
        if followee_id in existing:
            continue
        followee = core.state.neurons.get(followee_id)
        if followee is None or not (
            followee.visibility == Visibility.PUBLIC
            or followee.controller == follower.controller
            or follower.controller in followee.hot_keys
        ):
            invalid.append(followee_id)
    if invalid:
        listed = ", ".join(str(i) for i in sorted(set(invalid)))
        raise precondition_failed(
            f"Neurons may only follow public neurons or neurons of the same controller; "
            f"not allowed: {listed}."
        )


def spawn(
    core: GovernanceCore, session: Session, caller: Principal, neuron_id: int, command: Spawn
) -> SpawnResponse:
    """governance.rs spawn_neuron: its checks in its order, types and texts."""
    parent = core.get_neuron(neuron_id)
    if get_state(parent, core.now_seconds()) == NeuronState.SPAWNING:
        raise precondition_failed("Can't perform operation on neuron: Target neuron is spawning.")
    if caller != parent.controller:
        raise not_authorized("")
    percentage = 100 if command.percentage_to_spawn is None else command.percentage_to_spawn
    if not 1 <= percentage <= 100:
        raise precondition_failed(
            "The percentage of maturity to spawn must be a value between 1 and 100 (inclusive)."
        )
    maturity = parent.maturity_e8s_equivalent * percentage // 100
    minimum = core.economics.neuron_minimum_stake_e8s
    # The IC's own float: (maturity_to_spawn as f64 * (1f64 - 0.05)) as u64.
    if int(maturity * (1.0 - 0.05)) < minimum:
        raise insufficient_funds(
            "There isn't enough maturity to spawn a new neuron due to worst case maturity "
            "modulation."
        )
    controller = command.new_controller or parent.controller
    if command.nonce is not None:
        subaccount = compute_neuron_staking_subaccount(controller, command.nonce)
        if subaccount in core.state.by_subaccount:
            raise precondition_failed("There is already a neuron with the same subaccount.")
    else:
        subaccount = core.new_subaccount()
    now = core.now_seconds()
    spawn_at = now + core.economics.neuron_spawn_dissolve_delay_seconds
    child = Neuron(
        id=core.new_neuron_id(),
        subaccount=subaccount,
        controller=controller,
        created_timestamp_seconds=now,
        voting_power_refreshed_timestamp_seconds=now,
        hot_keys=parent.hot_keys,
        followees=dict(parent.followees),
        kyc_verified=parent.kyc_verified,
        when_dissolved_timestamp_seconds=spawn_at,
        spawn_at_timestamp_seconds=spawn_at,
        maturity_e8s_equivalent=maturity,
    )
    core.state.put_neurons(
        session,
        [
            replace(parent, maturity_e8s_equivalent=parent.maturity_e8s_equivalent - maturity),
            child,
        ],
    )
    return SpawnResponse(created_neuron_id=child.id)


def stake_maturity(
    core: GovernanceCore,
    session: Session,
    caller: Principal,
    neuron_id: int,
    command: StakeMaturity,
) -> StakeMaturityResponse:
    """governance.rs stake_maturity_of_neuron: its checks in its order, types and texts."""
    neuron = core.get_neuron(neuron_id)
    core.require_not_spawning(neuron)
    if caller != neuron.controller:
        raise not_authorized("")
    percentage = 100 if command.percentage_to_stake is None else command.percentage_to_stake
    if not 1 <= percentage <= 100:
        raise precondition_failed(
            "The percentage of maturity to stake must be a value between 0 (exclusive) and "
            "100 (inclusive)."
        )
    moved = neuron.maturity_e8s_equivalent * percentage // 100
    updated = replace(
        neuron,
        maturity_e8s_equivalent=neuron.maturity_e8s_equivalent - moved,
        staked_maturity_e8s_equivalent=neuron.staked_maturity_e8s_equivalent + moved,
    )
    core.state.put_neuron(session, updated)
    return StakeMaturityResponse(
        maturity_e8s=updated.maturity_e8s_equivalent,
        staked_maturity_e8s=updated.staked_maturity_e8s_equivalent,
    )


def disburse_maturity(
    core: GovernanceCore,
    session: Session,
    caller: Principal,
    neuron_id: int,
    command: DisburseMaturity,
) -> DisburseMaturityResponse:
    """governance/disburse_maturity.rs initiate_maturity_disbursement: its checks, types and
    order."""
    percentage = command.percentage_to_disburse
    if not 1 <= percentage <= 100:
        raise invalid_command("Invalid percentage: must be between 1 and 100")
    if command.to_account is not None and command.to_account_identifier is not None:
        raise invalid_command("Give at most one of to_account and to_account_identifier.")
    neuron = core.get_neuron(neuron_id)
    amount = neuron.maturity_e8s_equivalent * percentage // 100
    worst_case = amount * (10_000 + MIN_MATURITY_MODULATION_BASIS_POINTS) // 10_000
    if worst_case < MIN_DISBURSE_MATURITY_E8S:
        raise precondition_failed(
            f"Disbursement ({amount}) is too small. After the worst case maturity modulation "
            f"({MIN_MATURITY_MODULATION_BASIS_POINTS}) the amount should be at least: "
            f"{MIN_DISBURSE_MATURITY_E8S} e8s"
        )
    if get_state(neuron, core.now_seconds()) == NeuronState.SPAWNING:
        raise invalid_command("Neuron is spawning and cannot be disbursed")
    if caller != neuron.controller:
        raise invalid_command("Caller is not the neuron controller")
    if len(neuron.maturity_disbursements_in_progress) >= MAX_DISBURSEMENTS_IN_PROGRESS:
        raise precondition_failed(
            f"Too many disbursements in progress. Max: {MAX_DISBURSEMENTS_IN_PROGRESS}"
        )
    if command.to_account is not None:
        destination = command.to_account.identifier()
    elif command.to_account_identifier is not None:
        destination = command.to_account_identifier
    else:
        destination = AccountIdentifier.of(caller)
    now = core.now_seconds()
    disbursement = MaturityDisbursement(
        amount_e8s=amount,
        timestamp_of_disbursement_seconds=now,
        finalize_disbursement_timestamp_seconds=now
        + core.durations.disburse_maturity_delay_seconds,
        account_identifier=destination.raw,
    )
    core.state.put_neuron(
        session,
        replace(
            neuron,
            maturity_e8s_equivalent=neuron.maturity_e8s_equivalent - amount,
            maturity_disbursements_in_progress=(
                *neuron.maturity_disbursements_in_progress,
                disbursement,
            ),
        ),
    )
    return DisburseMaturityResponse(amount_disbursed_e8s=amount)


def refresh_voting_power(
    core: GovernanceCore,
    session: Session,
    caller: Principal,
    neuron_id: int,
    command: RefreshVotingPower,
) -> EmptyResponse:
    core.refresh_voting_power(session, core.get_authorized_neuron(caller, neuron_id))
    return EmptyResponse(command="RefreshVotingPower")


def merge_maturity(
    core: GovernanceCore,
    session: Session,
    caller: Principal,
    neuron_id: int,
    command: MergeMaturity,
) -> EmptyResponse:
    """Gone from the IC: every MergeMaturity is refused."""
    raise invalid_command(
        "The command MergeMaturity is no longer available, use StakeMaturity instead."
    )


def require_dissolved(neuron: Neuron, now_seconds: int) -> None:
    """PreconditionFailed unless dissolved, with the IC's text (governance.rs disburse_neuron)."""
    state = get_state(neuron, now_seconds)
    if state != NeuronState.DISSOLVED:
        name = "".join(word.capitalize() for word in state.name.split("_"))
        raise precondition_failed(
            f"Neuron {neuron.id} has NOT been dissolved. It is in state {name}"
        )
