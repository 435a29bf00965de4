"""Submitting and carrying out the proposal actions of `nns.governance.actions`.

StopOrStartCanister and UpdateCanisterSettings become calls to NNS root
(`stop_or_start_nns_canister`, `update_canister_settings`); the proposal is
executed when root answers and failed when it refuses. DeregisterKnownNeuron
and AddOrRemoveNodeProvider change governance state at once. RewardNodeProvider
and RewardNodeProviders mint each reward in turn (to an account, or to a new
neuron of the node provider), as governance.rs `reward_node_provider_helper`
and `mint_reward_to_neuron_or_account` do: a failed reward does not stop the
others, and the proposal fails with the first failure. With
`use_registry_derived_rewards`, RewardNodeProviders mints the month the
registry derives (`node_provider_payments`) and records it.

Validation, execution and the callbacks of root's and the ledger's answers are functions of
the governance state (`core`); the SNS launch's part is `nns.governance.sns_launch`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlmodel import Session

from nns.governance import node_provider_payments, sns_launch
from nns.governance.actions import (
    ROOT_CANISTER_ID,
    AddOrRemoveNodeProvider,
    DeregisterKnownNeuron,
    NodeProvider,
    RewardNodeProvider,
    RewardNodeProviders,
    RewardToAccount,
    RewardToNeuron,
    StopOrStartCanister,
    UnsupportedAction,
    UpdateCanisterSettings,
    node_provider_id,
    root_canister_settings,
    validate_add_or_remove_node_provider,
    validate_stop_or_start_canister,
    validate_update_canister_settings,
)
from nns.governance.contexts import (
    NodeProviderRewardContext,
    ProposalContext,
)
from nns.governance.core import GovernanceCore
from nns.governance.enums import (
    Topic,
)
from nns.governance.errors import (
    GovernanceError,
    invalid_proposal,
    not_found,
    precondition_failed,
)
from nns.governance.neuron import (
    Neuron,
)
from nns.governance.node_provider_payments import MonthlyRewardsContext
from nns.governance.settings import (
    DEFAULT_FOLLOWEES,
    NODE_PROVIDERS,
)
from nns.governance.sns_launch import CreateServiceNervousSystem
from nns.ledger.accounts import AccountIdentifier
from replica.environment import (
    OutgoingCall,
    Reject,
)


def validate_canister_and_provider_action(core: GovernanceCore, action: object) -> Topic:
    """The topic of a valid action; InvalidProposal (or the IC's type) otherwise."""
    match action:
        case StopOrStartCanister():
            return validate_stop_or_start_canister(action)[0]
        case UpdateCanisterSettings():
            return validate_update_canister_settings(action)
        case DeregisterKnownNeuron():
            validate_deregister_known_neuron(core, action)
            return Topic.GOVERNANCE
        case AddOrRemoveNodeProvider():
            validate_node_provider_change(core, action)
            return Topic.PARTICIPANT_MANAGEMENT
        case RewardNodeProvider():
            return Topic.NODE_PROVIDER_REWARDS
        case RewardNodeProviders():
            return Topic.NODE_PROVIDER_REWARDS
        case CreateServiceNervousSystem():
            return sns_launch.validate_create_service_nervous_system(action)
        case UnsupportedAction():
            raise invalid_proposal(f"The proposal action {action.name} is not supported by icbox.")
    raise invalid_proposal(f"Unsupported proposal action {type(action).__name__}.")


def validate_deregister_known_neuron(core: GovernanceCore, action: DeregisterKnownNeuron) -> Neuron:
    """proposals/deregister_known_neuron.rs DeregisterKnownNeuron::validate."""
    if action.id is None:
        raise invalid_proposal(
            "No neuron ID specified in the request to deregister a known neuron."
        )
    neuron = core.get_neuron(action.id)
    if neuron.known_neuron_data is None:
        raise precondition_failed(f"Neuron {action.id} is not a known neuron")
    return neuron


def validate_node_provider_change(
    core: GovernanceCore, action: AddOrRemoveNodeProvider
) -> NodeProvider:
    """proposals/add_or_remove_node_provider.rs: add a new id, remove an existing one."""
    provider = validate_add_or_remove_node_provider(action)
    provider_id = node_provider_id(provider)
    exists = any(known.id == provider_id for known in core.node_providers)
    if action.to_add is not None and exists:
        raise precondition_failed(f"NodeProvider with id {provider_id.to_text()} already exists")
    if action.to_remove is not None and not exists:
        raise precondition_failed(
            "AddOrRemoveNodeProvider ToRemove must target an existing Node Provider but "
            f"targeted {provider_id.to_text()}"
        )
    return provider


def execute_canister_and_provider_action(
    core: GovernanceCore, session: Session, proposal_id: int, action: object
) -> None:
    """Carry out an adopted action; a refusal raises GovernanceError (the proposal fails)."""
    match action:
        case CreateServiceNervousSystem():
            sns_launch.execute_create_service_nervous_system(core, session, proposal_id, action)
        case StopOrStartCanister():
            _, canister_action = validate_stop_or_start_canister(action)
            call_root(
                core,
                "stop_or_start_nns_canister",
                {
                    "canister_id": action.canister_id,
                    "action": {canister_action.name.capitalize(): None},
                },
                proposal_id,
            )
        case UpdateCanisterSettings():
            validate_update_canister_settings(action)
            assert action.settings is not None
            call_root(
                core,
                "update_canister_settings",
                {
                    "canister_id": action.canister_id,
                    "settings": root_canister_settings(action.settings),
                },
                proposal_id,
                on_reply="_on_canister_settings_updated",
            )
        case DeregisterKnownNeuron():
            neuron = validate_deregister_known_neuron(core, action)
            core.state.put_neuron(session, replace(neuron, known_neuron_data=None))
            core.mark_executed(session, proposal_id, None)
        case AddOrRemoveNodeProvider():
            provider = validate_node_provider_change(core, action)
            if action.to_add is not None:
                providers = (*core.node_providers, provider)
            else:
                providers = tuple(p for p in core.node_providers if p.id != provider.id)
            core.state.put(session, NODE_PROVIDERS, providers)
            core.mark_executed(session, proposal_id, None)
        case RewardNodeProviders() if action.use_registry_derived_rewards:
            # reward_node_providers_from_proposal: mint the month the registry derives
            node_provider_payments.mint_for_proposal(core, session, proposal_id)
        case RewardNodeProvider() | RewardNodeProviders():
            reward_next_node_provider(core, session, proposal_id, 0, None)


def call_root(
    core: GovernanceCore,
    method: str,
    argument: object,
    proposal_id: int,
    *,
    on_reply: str = "_on_proposal_executed",
) -> None:
    core.environment.call(
        OutgoingCall(
            callee=ROOT_CANISTER_ID,
            method=method,
            argument=argument,
            on_reply=on_reply,
            on_reject="_on_proposal_failed",
            context=ProposalContext(proposal_id=proposal_id),
        )
    )


def on_canister_settings_updated(
    core: GovernanceCore, context: ProposalContext, reply: object
) -> None:
    """Root answers `variant { Ok; Err : record { code; description } }`."""
    failure = None
    if isinstance(reply, dict) and "Err" in reply:
        error = reply["Err"]
        failure = str(error.get("description", error)) if isinstance(error, dict) else str(error)
    with core.transaction() as session:
        core.mark_executed(session, context.proposal_id, failure)


def on_monthly_rewards_computed(
    core: GovernanceCore, context: MonthlyRewardsContext, reply: Any
) -> object:
    """The CMC's average rate arrived: the month is the reply, or (when minting) every reward of
    it is minted in turn and the month recorded."""
    month = node_provider_payments.month_of(core, context, reply)
    if not context.mint:
        return month
    with core.transaction() as session:
        node_provider_payments.begin_minting(core, session, month)
        reward_next_node_provider(core, session, context.proposal_id or 0, 0, None, monthly=True)
    return None


def _rewards_of(
    core: GovernanceCore, proposal_id: int, monthly: bool
) -> tuple[RewardNodeProvider, ...]:
    if monthly:
        month = node_provider_payments.pending_rewards(core)
        return () if month is None else month.rewards
    action = core.state.proposals[proposal_id].proposal.action
    if isinstance(action, RewardNodeProvider):
        return (action,)
    if isinstance(action, RewardNodeProviders):
        return action.rewards
    return ()


def reward_next_node_provider(
    core: GovernanceCore,
    session: Session,
    proposal_id: int,
    index: int,
    failure: str | None,
    *,
    monthly: bool = False,
) -> None:
    """Mint reward `index` of the proposal (or of the month), or finish once every reward was
    tried."""
    rewards = _rewards_of(core, proposal_id, monthly)
    while index < len(rewards):
        try:
            _mint_node_provider_reward(
                core, proposal_id, index, failure, rewards[index], monthly=monthly
            )
            return
        except GovernanceError as error:
            failure = failure or error.error_message
            index += 1
    if monthly:
        node_provider_payments.record(core, session, proposal_id)
    else:
        core.mark_executed(session, proposal_id, failure)


def _mint_node_provider_reward(
    core: GovernanceCore,
    proposal_id: int,
    index: int,
    failure: str | None,
    reward: RewardNodeProvider,
    *,
    monthly: bool,
) -> None:
    """governance.rs reward_node_provider_helper, then the minting transfer."""
    provider = reward.node_provider
    if provider is None or provider.id is None:
        raise precondition_failed("Node provider has no ID.")
    if not any(known.id == provider.id for known in core.node_providers):
        raise not_found(f"Node provider with id {provider.id.to_text()} not found.")
    maximum = core.economics.maximum_node_provider_rewards_e8s
    if reward.amount_e8s > maximum:
        raise precondition_failed(
            f"Proposed reward {reward.amount_e8s} greater than maximum {maximum}"
        )
    context = NodeProviderRewardContext(
        proposal_id=proposal_id, index=index, failure=failure, monthly=monthly
    )
    match reward.reward_mode:
        case None:
            raise precondition_failed("Reward node provider proposal must have a reward mode.")
        case RewardToNeuron():
            subaccount = core.new_subaccount()
            to = AccountIdentifier.of(core.governance_id, subaccount)
            context = replace(context, subaccount=subaccount, neuron_id=core.new_neuron_id())
        case RewardToAccount():
            to = reward.reward_mode.to_account or AccountIdentifier.of(provider.id)
    core.call_ledger_transfer(
        from_subaccount=None,
        to=to,
        amount_e8s=reward.amount_e8s,
        fee_e8s=0,
        memo=0,
        on_reply="_on_node_provider_reward_minted",
        on_reject="_on_node_provider_reward_refused",
        context=context,
    )


def on_node_provider_reward_minted(
    core: GovernanceCore, context: NodeProviderRewardContext, block: object
) -> None:
    proposal_id, index = context.proposal_id, context.index
    with core.transaction() as session:
        reward = _rewards_of(core, proposal_id, context.monthly)[index]
        if isinstance(reward.reward_mode, RewardToNeuron) and reward.node_provider is not None:
            core.state.put_neuron(session, _reward_neuron(core, context, reward))
        reward_next_node_provider(
            core, session, proposal_id, index + 1, context.failure, monthly=context.monthly
        )


def on_node_provider_reward_refused(
    core: GovernanceCore, context: NodeProviderRewardContext, reject: object
) -> None:
    message = reject.message if isinstance(reject, Reject) else str(reject)
    failure = context.failure or f"Couldn't perform minting transfer: {message}"
    with core.transaction() as session:
        reward_next_node_provider(
            core, session, context.proposal_id, context.index + 1, failure, monthly=context.monthly
        )


def _reward_neuron(
    core: GovernanceCore, context: NodeProviderRewardContext, reward: RewardNodeProvider
) -> Neuron:
    """mint_reward_to_neuron_or_account: a KYC-verified neuron of the node provider."""
    assert isinstance(reward.reward_mode, RewardToNeuron)
    assert reward.node_provider is not None and reward.node_provider.id is not None
    assert context.neuron_id is not None and context.subaccount is not None
    now = core.now_seconds()
    delay = min(
        reward.reward_mode.dissolve_delay_seconds,
        core.durations.max_dissolve_delay_seconds,
    )
    return Neuron(
        id=context.neuron_id,
        subaccount=context.subaccount,
        controller=reward.node_provider.id,
        created_timestamp_seconds=now,
        voting_power_refreshed_timestamp_seconds=now,
        cached_neuron_stake_e8s=reward.amount_e8s,
        dissolve_delay_seconds=delay if delay > 0 else None,
        aging_since_timestamp_seconds=now,
        when_dissolved_timestamp_seconds=None if delay > 0 else now,
        kyc_verified=True,
        followees=dict(core.state.get(DEFAULT_FOLLOWEES)),
    )
