"""Proposal actions in Candid: every action of the official `ProposalActionRequest` decodes.

`ACTIONS_DID` holds the official definitions (governance.did at the release the
spec names) of the action records that the rest of `GOVERNANCE_DID` does not
define. `decode_action` turns each case into a typed action; the cases icbox
does not carry out (ApproveGenesisKyc, CreateServiceNervousSystem,
FulfillSubnetRentalRequest) decode into `UnsupportedAction`, refused at
submission with the action's name. `encode_action` answers a proposal's action
at the official `Action` type; a ManageNeuron action is shown with its neuron,
its command left out (the field is optional).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from nns.governance.actions import (
    AddOrRemoveNodeProvider,
    CanisterSettings,
    DeregisterKnownNeuron,
    NodeProvider,
    RewardNodeProvider,
    RewardNodeProviders,
    RewardToAccount,
    RewardToNeuron,
    StopOrStartCanister,
    UnsupportedAction,
    UpdateCanisterSettings,
)
from nns.governance.enums import Topic
from nns.governance.errors import invalid_proposal
from nns.governance.parameters import NetworkEconomics, NeuronsFundEconomics, VotingPowerEconomics
from nns.governance.requests import (
    ManageNetworkEconomics,
    ManageNeuronProposal,
    RegisterKnownNeuron,
)
from nns.governance.sns_launch import CreateServiceNervousSystem
from nns.ledger.accounts import AccountIdentifier

ACTIONS_DID: Final = """
type TopicToFollow = variant { CatchAll; NeuronManagement; ExchangeRate; NetworkEconomics;
  Governance; NodeAdmin; ParticipantManagement; SubnetManagement; Kyc; NodeProviderRewards;
  IcOsVersionDeployment; IcOsVersionElection; SnsAndCommunityFund; ApiBoundaryNodeManagement;
  SubnetRental; ApplicationCanisterManagement; ProtocolCanisterManagement;
  ServiceNervousSystemManagement; };
type Account = record { owner: opt principal; subaccount: opt blob; };
type AddOrRemoveNodeProvider = record { change : opt Change; };
type Canister = record { id : opt principal; };
type CanisterSettings = record { freezing_threshold : opt nat64; controllers : opt Controllers;
  log_visibility : opt int32; wasm_memory_limit : opt nat64; memory_allocation : opt nat64;
  compute_allocation : opt nat64; wasm_memory_threshold : opt nat64; };
type Change = variant { ToRemove : NodeProvider; ToAdd : NodeProvider; };
type Controllers = record { controllers : vec principal; };
type Countries = record { iso_codes : vec text; };
type CreateServiceNervousSystem = record { url : opt text; governance_parameters : opt
  GovernanceParameters; fallback_controller_principal_ids : vec principal; logo : opt Image; name :
  opt text; ledger_parameters : opt LedgerParameters; description : opt text; dapp_canisters : vec
  Canister; swap_parameters : opt SwapParameters; initial_token_distribution : opt
  InitialTokenDistribution; };
type DeregisterKnownNeuron = record { id : opt NeuronId; };
type DeveloperDistribution = record { developer_neurons : vec NeuronDistribution; };
type Duration = record { seconds : opt nat64; };
type FulfillSubnetRentalRequest = record { user : opt principal; node_ids : opt vec principal;
  replica_version_id : opt text; };
type GlobalTimeOfDay = record { seconds_after_utc_midnight : opt nat64; };
type GovernanceParameters = record { neuron_maximum_dissolve_delay_bonus : opt Percentage;
  neuron_maximum_age_for_age_bonus : opt Duration; neuron_maximum_dissolve_delay : opt Duration;
  neuron_minimum_dissolve_delay_to_vote : opt Duration; neuron_maximum_age_bonus : opt Percentage;
  neuron_minimum_stake : opt Tokens; proposal_wait_for_quiet_deadline_increase : opt Duration;
  proposal_initial_voting_period : opt Duration; proposal_rejection_fee : opt Tokens;
  voting_reward_parameters : opt VotingRewardParameters; };
type Image = record { base64_encoding : opt text; };
type InitialTokenDistribution = record { treasury_distribution : opt SwapDistribution;
  developer_distribution : opt DeveloperDistribution; swap_distribution : opt SwapDistribution; };
type LedgerParameters = record { transaction_fee : opt Tokens; token_symbol : opt text; token_logo
  : opt Image; token_name : opt text; };
type NeuronBasketConstructionParameters = record { dissolve_delay_interval : opt Duration; count :
  opt nat64; };
type NeuronDistribution = record { controller : opt principal; dissolve_delay : opt Duration; memo
  : opt nat64; vesting_period : opt Duration; stake : opt Tokens; };
type NodeProvider = record { id : opt principal; reward_account : opt AccountIdentifier; };
type RewardMode = variant { RewardToNeuron : RewardToNeuron; RewardToAccount : RewardToAccount; };
type RewardNodeProvider = record { node_provider : opt NodeProvider; reward_mode : opt RewardMode;
  amount_e8s : nat64; };
type RewardNodeProviders = record { use_registry_derived_rewards : opt bool; rewards : vec
  RewardNodeProvider; };
type RewardToAccount = record { to_account : opt AccountIdentifier; };
type RewardToNeuron = record { dissolve_delay_seconds : nat64; };
type StopOrStartCanister = record { action : opt int32; canister_id : opt principal; };
type SwapDistribution = record { total : opt Tokens; };
type SwapParameters = record { minimum_participants : opt nat64; neurons_fund_participation : opt
  bool; duration : opt Duration; neuron_basket_construction_parameters : opt
  NeuronBasketConstructionParameters; confirmation_text : opt text; maximum_participant_icp : opt
  Tokens; minimum_icp : opt Tokens; minimum_direct_participation_icp : opt Tokens;
  minimum_participant_icp : opt Tokens; start_time : opt GlobalTimeOfDay;
  maximum_direct_participation_icp : opt Tokens; maximum_icp : opt Tokens;
  neurons_fund_investment_icp : opt Tokens; restricted_countries : opt Countries; };
type Tokens = record { e8s : opt nat64; };
type UpdateCanisterSettings = record { canister_id : opt principal; settings : opt
  CanisterSettings; };
type VotingRewardParameters = record { reward_rate_transition_duration : opt Duration;
  initial_reward_rate : opt Percentage; final_reward_rate : opt Percentage; };
type ManageNeuronProposal = record { id : opt NeuronId; neuron_id_or_subaccount : opt
  NeuronIdOrSubaccount };
"""

# TopicToFollow cases and the topics they name
TOPIC_TO_FOLLOW: Final = {
    "CatchAll": Topic.UNSPECIFIED,
    "NeuronManagement": Topic.NEURON_MANAGEMENT,
    "ExchangeRate": Topic.EXCHANGE_RATE,
    "NetworkEconomics": Topic.NETWORK_ECONOMICS,
    "Governance": Topic.GOVERNANCE,
    "NodeAdmin": Topic.NODE_ADMIN,
    "ParticipantManagement": Topic.PARTICIPANT_MANAGEMENT,
    "SubnetManagement": Topic.SUBNET_MANAGEMENT,
    "Kyc": Topic.KYC,
    "NodeProviderRewards": Topic.NODE_PROVIDER_REWARDS,
    "IcOsVersionDeployment": Topic.IC_OS_VERSION_DEPLOYMENT,
    "IcOsVersionElection": Topic.IC_OS_VERSION_ELECTION,
    "SnsAndCommunityFund": Topic.SNS_AND_COMMUNITY_FUND,
    "ApiBoundaryNodeManagement": Topic.API_BOUNDARY_NODE_MANAGEMENT,
    "SubnetRental": Topic.SUBNET_RENTAL,
    "ApplicationCanisterManagement": Topic.APPLICATION_CANISTER_MANAGEMENT,
    "ProtocolCanisterManagement": Topic.PROTOCOL_CANISTER_MANAGEMENT,
    "ServiceNervousSystemManagement": Topic.SERVICE_NERVOUS_SYSTEM_MANAGEMENT,
}
TOPIC_NAMES: Final = {topic: name for name, topic in TOPIC_TO_FOLLOW.items()}
UNSUPPORTED: Final = frozenset({"ApproveGenesisKyc", "FulfillSubnetRentalRequest"})


def committed_topics(value: list[dict[str, None] | None] | None) -> tuple[int, ...]:
    """`opt vec opt TopicToFollow`: unknown (null) entries are skipped."""
    return tuple(
        int(TOPIC_TO_FOLLOW[next(iter(entry))]) for entry in value or () if entry is not None
    )


def candid_committed_topics(topics: tuple[int, ...]) -> list[dict[str, None]]:
    return [{TOPIC_NAMES[Topic(topic)]: None} for topic in topics]


def known_neuron_data(
    name: str, description: str | None, links: tuple[str, ...], topics: tuple[int, ...]
) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "links": list(links),
        "committed_topics": candid_committed_topics(topics),
    }


def _account(value: dict[str, Any] | None) -> AccountIdentifier | None:
    return None if value is None else AccountIdentifier.from_bytes(value["hash"])


def _node_provider(value: dict[str, Any] | None) -> NodeProvider | None:
    if value is None:
        return None
    return NodeProvider(id=value["id"], reward_account=_account(value["reward_account"]))


def _reward(value: dict[str, Any]) -> RewardNodeProvider:
    mode: RewardToNeuron | RewardToAccount | None = None
    if value["reward_mode"] is not None:
        ((kind, inner),) = value["reward_mode"].items()
        if kind == "RewardToNeuron":
            mode = RewardToNeuron(dissolve_delay_seconds=inner["dissolve_delay_seconds"])
        else:
            mode = RewardToAccount(to_account=_account(inner["to_account"]))
    return RewardNodeProvider(
        node_provider=_node_provider(value["node_provider"]),
        amount_e8s=value["amount_e8s"],
        reward_mode=mode,
    )


def _xdr(value: dict[str, Any] | None) -> int:
    """A `Decimal` of whole XDR; absent means 0 (keep the current value)."""
    text = None if value is None else value["human_readable"]
    if text is None:
        return 0
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise invalid_proposal(f"Not a decimal number: {text!r}.") from None
    if number != number.to_integral_value() or number < 0:
        raise invalid_proposal(f"icbox keeps XDR amounts in whole XDR, got {text}.")
    return int(number)


def _basis_points(value: dict[str, Any] | None) -> int:
    return 0 if value is None or value["basis_points"] is None else int(value["basis_points"])


def network_economics(value: dict[str, Any]) -> NetworkEconomics:
    """The official NetworkEconomics as an update: an absent or zero field keeps its value."""
    voting = value["voting_power_economics"] or {}
    fund = value["neurons_fund_economics"] or {}
    curve = fund.get("neurons_fund_matched_funding_curve_coefficients") or {}
    return NetworkEconomics(
        reject_cost_e8s=value["reject_cost_e8s"],
        neuron_minimum_stake_e8s=value["neuron_minimum_stake_e8s"],
        neuron_management_fee_per_proposal_e8s=value["neuron_management_fee_per_proposal_e8s"],
        minimum_icp_xdr_rate=value["minimum_icp_xdr_rate"],
        neuron_spawn_dissolve_delay_seconds=value["neuron_spawn_dissolve_delay_seconds"],
        maximum_node_provider_rewards_e8s=value["maximum_node_provider_rewards_e8s"],
        transaction_fee_e8s=value["transaction_fee_e8s"],
        max_proposals_to_keep_per_topic=value["max_proposals_to_keep_per_topic"],
        voting_power_economics=VotingPowerEconomics(
            start_reducing_voting_power_after_seconds=voting.get(
                "start_reducing_voting_power_after_seconds"
            )
            or 0,
            clear_following_after_seconds=voting.get("clear_following_after_seconds") or 0,
            neuron_minimum_dissolve_delay_to_vote_seconds=voting.get(
                "neuron_minimum_dissolve_delay_to_vote_seconds"
            )
            or 0,
        ),
        neurons_fund_economics=NeuronsFundEconomics(
            max_theoretical_neurons_fund_participation_amount_xdr=_xdr(
                fund.get("max_theoretical_neurons_fund_participation_amount_xdr")
            ),
            neurons_fund_matched_funding_curve_contribution_threshold_xdr=_xdr(
                curve.get("contribution_threshold_xdr")
            ),
            one_third_participation_milestone_xdr=_xdr(
                curve.get("one_third_participation_milestone_xdr")
            ),
            full_participation_milestone_xdr=_xdr(curve.get("full_participation_milestone_xdr")),
            minimum_icp_xdr_rate_basis_points=_basis_points(fund.get("minimum_icp_xdr_rate")),
            maximum_icp_xdr_rate_basis_points=_basis_points(fund.get("maximum_icp_xdr_rate")),
        ),
    )


def decode_action(
    tag: str, fields: Any, manage_neuron: Callable[[Any], ManageNeuronProposal]
) -> object | None:
    """The typed action of one `ProposalActionRequest` case, or None for the cases decoded
    elsewhere (Motion, ExecuteNnsFunction, InstallCode)."""
    match tag:
        case "RegisterKnownNeuron":
            data = fields["known_neuron_data"] or {}
            return RegisterKnownNeuron(
                id=0 if fields["id"] is None else fields["id"]["id"],
                name=data.get("name", ""),
                description=data.get("description"),
                links=tuple(data.get("links") or ()),
                committed_topics=committed_topics(data.get("committed_topics")),
            )
        case "ManageNetworkEconomics":
            return ManageNetworkEconomics(economics=network_economics(fields))
        case "ManageNeuron":
            return manage_neuron(fields)
        case "StopOrStartCanister":
            return StopOrStartCanister(canister_id=fields["canister_id"], action=fields["action"])
        case "UpdateCanisterSettings":
            settings = fields["settings"]
            return UpdateCanisterSettings(
                canister_id=fields["canister_id"],
                settings=None
                if settings is None
                else CanisterSettings(
                    controllers=None
                    if settings["controllers"] is None
                    else tuple(settings["controllers"]["controllers"]),
                    compute_allocation=settings["compute_allocation"],
                    memory_allocation=settings["memory_allocation"],
                    freezing_threshold=settings["freezing_threshold"],
                    log_visibility=settings["log_visibility"],
                    wasm_memory_limit=settings["wasm_memory_limit"],
                    wasm_memory_threshold=settings["wasm_memory_threshold"],
                ),
            )
        case "DeregisterKnownNeuron":
            return DeregisterKnownNeuron(id=None if fields["id"] is None else fields["id"]["id"])
        case "AddOrRemoveNodeProvider":
            change = fields["change"]
            if change is None:
                return AddOrRemoveNodeProvider()
            ((kind, provider),) = change.items()
            if kind == "ToAdd":
                return AddOrRemoveNodeProvider(to_add=_node_provider(provider))
            return AddOrRemoveNodeProvider(to_remove=_node_provider(provider))
        case "RewardNodeProvider":
            return _reward(fields)
        case "CreateServiceNervousSystem":
            return CreateServiceNervousSystem(record=fields)
        case "RewardNodeProviders":
            return RewardNodeProviders(
                rewards=tuple(_reward(reward) for reward in fields["rewards"]),
                use_registry_derived_rewards=fields["use_registry_derived_rewards"],
            )
    if tag in UNSUPPORTED:
        return UnsupportedAction(name=tag)
    return None


def _plain(value: Any) -> Any:
    """A stored record back in Candid's shapes (stable memory keeps vectors as tuples)."""
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _candid_account(account: AccountIdentifier | None) -> dict[str, Any] | None:
    return None if account is None else {"hash": account.raw}


def candid_provider(provider: NodeProvider | None) -> dict[str, Any] | None:
    if provider is None:
        return None
    return {"id": provider.id, "reward_account": _candid_account(provider.reward_account)}


def candid_reward(reward: RewardNodeProvider) -> dict[str, Any]:
    mode: dict[str, Any] | None = None
    if isinstance(reward.reward_mode, RewardToNeuron):
        mode = {
            "RewardToNeuron": {"dissolve_delay_seconds": reward.reward_mode.dissolve_delay_seconds}
        }
    elif isinstance(reward.reward_mode, RewardToAccount):
        mode = {"RewardToAccount": {"to_account": _candid_account(reward.reward_mode.to_account)}}
    return {
        "node_provider": candid_provider(reward.node_provider),
        "reward_mode": mode,
        "amount_e8s": reward.amount_e8s,
    }


def encode_action(
    action: object, economics: Callable[[NetworkEconomics], dict[str, Any]]
) -> dict[str, Any] | None:
    """The official `Action` case of an action this module decodes, or None."""
    match action:
        case CreateServiceNervousSystem():
            return {"CreateServiceNervousSystem": _plain(action.record)}
        case RegisterKnownNeuron():
            return {
                "RegisterKnownNeuron": {
                    "id": {"id": action.id},
                    "known_neuron_data": known_neuron_data(
                        action.name, action.description, action.links, action.committed_topics
                    ),
                }
            }
        case ManageNetworkEconomics():
            return {"ManageNetworkEconomics": economics(action.economics)}
        case ManageNeuronProposal():
            return {
                "ManageNeuron": {"id": {"id": action.neuron_id}, "neuron_id_or_subaccount": None}
            }
        case StopOrStartCanister():
            return {
                "StopOrStartCanister": {"canister_id": action.canister_id, "action": action.action}
            }
        case UpdateCanisterSettings():
            settings = action.settings
            return {
                "UpdateCanisterSettings": {
                    "canister_id": action.canister_id,
                    "settings": None
                    if settings is None
                    else {
                        "controllers": None
                        if settings.controllers is None
                        else {"controllers": list(settings.controllers)},
                        "compute_allocation": settings.compute_allocation,
                        "memory_allocation": settings.memory_allocation,
                        "freezing_threshold": settings.freezing_threshold,
                        "log_visibility": settings.log_visibility,
                        "wasm_memory_limit": settings.wasm_memory_limit,
                        "wasm_memory_threshold": settings.wasm_memory_threshold,
                    },
                }
            }
        case DeregisterKnownNeuron():
            return {
                "DeregisterKnownNeuron": {"id": None if action.id is None else {"id": action.id}}
            }
        case AddOrRemoveNodeProvider():
            if action.to_add is not None:
                change: dict[str, Any] | None = {"ToAdd": candid_provider(action.to_add)}
            elif action.to_remove is not None:
                change = {"ToRemove": candid_provider(action.to_remove)}
            else:
                change = None
            return {"AddOrRemoveNodeProvider": {"change": change}}
        case RewardNodeProvider():
            return {"RewardNodeProvider": candid_reward(action)}
        case RewardNodeProviders():
            return {
                "RewardNodeProviders": {
                    "use_registry_derived_rewards": action.use_registry_derived_rewards,
                    "rewards": [candid_reward(reward) for reward in action.rewards],
                }
            }
    return None
