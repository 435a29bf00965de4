"""Pure rules of the neuron commands: what a configure operation, a split and a merge do to
neurons, and the checks of a merge. Functions of neurons and the state they read; the
commands in `nns.governance.commands` write their results and talk to the ledger."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from nns.governance.enums import ErrorType, NeuronState, Topic, Visibility
from nns.governance.errors import (
    GovernanceError,
    invalid_command,
    not_authorized,
    not_found,
    precondition_failed,
)
from nns.governance.neuron import (
    Neuron,
    combine_aged_stakes,
    get_age_seconds,
    get_dissolve_delay_seconds,
    get_minted_stake_e8s,
    get_state,
    increase_dissolve_delay,
    set_dissolve_timestamp,
    start_dissolving,
    stop_dissolving,
)
from nns.governance.parameters import MAX_HOT_KEYS
from nns.governance.requests import (
    AddHotKey,
    ChangeAutoStakeMaturity,
    ConfigureOperation,
    IncreaseDissolveDelay,
    JoinCommunityFund,
    LeaveCommunityFund,
    RemoveHotKey,
    SetDissolveTimestamp,
    SetVisibility,
    StartDissolving,
    StopDissolving,
)
from nns.governance.state import GovernanceState
from replica.types import Principal


def apply_operation(
    neuron: Neuron, operation: ConfigureOperation, now: int, max_delay: int
) -> Neuron:
    """The neuron after one Configure operation (spec 2.2); refusals raise GovernanceError."""
    match operation:
        case IncreaseDissolveDelay():
            return increase_dissolve_delay(
                neuron, now, operation.additional_dissolve_delay_seconds, max_delay
            )
        case SetDissolveTimestamp():
            return set_dissolve_timestamp(
                neuron, now, operation.dissolve_timestamp_seconds, max_delay
            )
        case StartDissolving():
            return start_dissolving(neuron, now)
        case StopDissolving():
            return stop_dissolving(neuron, now)
        case AddHotKey():
            if operation.new_hot_key in neuron.hot_keys:
                raise GovernanceError(ErrorType.HOT_KEY, "Hot key duplicated.")
            if len(neuron.hot_keys) >= MAX_HOT_KEYS:
                raise GovernanceError(
                    ErrorType.RESOURCE_EXHAUSTED, "Reached the maximum number of hotkeys."
                )
            return replace(neuron, hot_keys=(*neuron.hot_keys, operation.new_hot_key))
        case RemoveHotKey():
            if operation.hot_key_to_remove not in neuron.hot_keys:
                raise not_found("Remove failed: Hot key not found.")
            return replace(
                neuron,
                hot_keys=tuple(k for k in neuron.hot_keys if k != operation.hot_key_to_remove),
            )
        case JoinCommunityFund():
            if neuron.joined_community_fund_timestamp_seconds:
                raise GovernanceError(ErrorType.ALREADY_JOINED_COMMUNITY_FUND, "")
            return replace(neuron, joined_community_fund_timestamp_seconds=now)
        case LeaveCommunityFund():
            if not neuron.joined_community_fund_timestamp_seconds:
                raise GovernanceError(ErrorType.NOT_IN_THE_COMMUNITY_FUND, "")
            return replace(neuron, joined_community_fund_timestamp_seconds=None)
        case ChangeAutoStakeMaturity():
            return replace(
                neuron, auto_stake_maturity=operation.requested_setting_for_auto_stake_maturity
            )
        case SetVisibility():
            return set_visibility(neuron, operation)
    raise invalid_command("Configure requires an operation.")


def set_visibility(neuron: Neuron, operation: SetVisibility) -> Neuron:
    """neuron/types.rs set_visibility: its checks, types and texts. Deliberate difference:
    Unspecified (0), which the IC stores, is refused like any value that is no visibility."""
    if operation.visibility is None:
        raise invalid_command("No visibility specified.")
    if operation.visibility not in (Visibility.PRIVATE, Visibility.PUBLIC):
        raise invalid_command(
            f"Tried to set the visibility of neuron {neuron.id} to {operation.visibility}, "
            "but that is not a valid value."
        )
    if neuron.known_neuron_data is not None:
        if operation.visibility == Visibility.PRIVATE:
            raise precondition_failed(
                "Setting the visibility of known neurons is not allowed (they are always public)."
            )
        return neuron
    return replace(neuron, visibility=Visibility(operation.visibility))


def split_neurons(
    parent: Neuron, child_id: int, child_subaccount: bytes, amount: int, now: int, fee: int
) -> tuple[Neuron, Neuron]:
    """The parent and its child once `amount` moved (less the fee): maturity moves in
    proportion; the child has the default visibility (governance.rs split_neuron)."""
    minted = max(1, get_minted_stake_e8s(parent))
    child_maturity = parent.maturity_e8s_equivalent * amount // minted
    child_staked = parent.staked_maturity_e8s_equivalent * amount // minted
    child = replace(
        parent,
        id=child_id,
        subaccount=child_subaccount,
        created_timestamp_seconds=now,
        voting_power_refreshed_timestamp_seconds=now,
        cached_neuron_stake_e8s=amount - fee,
        neuron_fees_e8s=0,
        maturity_e8s_equivalent=child_maturity,
        staked_maturity_e8s_equivalent=child_staked,
        known_neuron_data=None,
        spawn_at_timestamp_seconds=None,
        maturity_disbursements_in_progress=(),
        visibility=Visibility.PRIVATE,
    )
    new_parent = replace(
        parent,
        cached_neuron_stake_e8s=parent.cached_neuron_stake_e8s - amount,
        maturity_e8s_equivalent=parent.maturity_e8s_equivalent - child_maturity,
        staked_maturity_e8s_equivalent=parent.staked_maturity_e8s_equivalent - child_staked,
    )
    return new_parent, child


def validate_merge(
    state: GovernanceState,
    locks: Mapping[int, str],
    caller: Principal,
    target_id: int,
    source_id: int | None,
    now: int,
) -> tuple[Neuron, Neuron]:
    """(source, target) of an allowed merge; governance/merge_neurons.rs MergeNeuronsError
    gives the types and texts of the refusals."""
    if source_id is None:
        raise invalid_command("There was no source neuron id")
    if source_id == target_id:
        raise invalid_command("Source id and target id cannot be the same")
    source = state.neurons.get(source_id)
    if source is None:
        raise not_found("Source neuron not found")
    target = state.neurons.get(target_id)
    if target is None:
        raise not_found("Target neuron not found")
    for neuron, role in ((source, "Source"), (target, "Target")):
        if caller != neuron.controller:
            raise not_authorized(f"{role} neuron must be owned by the caller")
        if get_state(neuron, now) == NeuronState.SPAWNING:
            raise precondition_failed(
                f"Can't perform operation on neuron: {role} neuron is spawning."
            )
        if neuron.dissolve_delay_seconds is None or neuron.dissolve_delay_seconds == 0:
            raise GovernanceError(
                ErrorType.REQUIRES_NOT_DISSOLVING,
                "Only two non-dissolving neurons with a dissolve delay greater than 0 can be merged.",
            )
        if neuron.joined_community_fund_timestamp_seconds:
            raise precondition_failed(
                "Cannot merge neurons that have been dedicated to the Neurons' Fund"
            )
        if neuron.id in locks:
            raise GovernanceError(ErrorType.LEDGER_UPDATE_ONGOING, f"Neuron {neuron.id} is locked.")
        if any(
            record.managed_neuron_id == neuron.id and record.decided_timestamp_seconds == 0
            for record in state.proposals.values()
        ):
            raise precondition_failed("Cannot merge neurons that are involved in open proposals")
    if source.followees.get(Topic.NEURON_MANAGEMENT) != target.followees.get(
        Topic.NEURON_MANAGEMENT
    ):
        raise precondition_failed("ManageNeuron following of source and target does not match")
    for field in ("kyc_verified", "not_for_profit", "neuron_type"):
        if getattr(source, field) != getattr(target, field):
            raise precondition_failed(f"Source neuron's {field} field does not match target")
    return source, target


def merged_neurons(
    source: Neuron, target: Neuron, amount: int, now: int, fee: int
) -> tuple[Neuron, Neuron]:
    """(source, target) after `amount` of stake moved: the target takes the weighted age,
    the larger dissolve delay and all maturity; the source keeps only what was left."""
    target_stake, target_age = combine_aged_stakes(
        target.cached_neuron_stake_e8s,
        get_age_seconds(target, now),
        amount,
        get_age_seconds(source, now),
    )
    delay = max(get_dissolve_delay_seconds(source, now), get_dissolve_delay_seconds(target, now))
    new_target = replace(
        target,
        cached_neuron_stake_e8s=target_stake,
        aging_since_timestamp_seconds=now - target_age,
        dissolve_delay_seconds=delay,
        maturity_e8s_equivalent=target.maturity_e8s_equivalent + source.maturity_e8s_equivalent,
        staked_maturity_e8s_equivalent=target.staked_maturity_e8s_equivalent
        + source.staked_maturity_e8s_equivalent,
    )
    moved = amount + fee if amount > 0 else 0
    new_source = replace(
        source,
        cached_neuron_stake_e8s=max(0, source.cached_neuron_stake_e8s - moved),
        aging_since_timestamp_seconds=now if amount > 0 else source.aging_since_timestamp_seconds,
        maturity_e8s_equivalent=0,
        staked_maturity_e8s_equivalent=0,
    )
    return new_source, new_target
