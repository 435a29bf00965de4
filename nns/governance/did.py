"""The Candid interface of governance: the official `governance.did` types and methods icbox
implements (the proposal actions' records come from `nns.governance.interface_actions`)."""

from __future__ import annotations

from typing import Final

from nns.governance.interface_actions import ACTIONS_DID

GOVERNANCE_DID: Final = (
    """
type NeuronId = record { id : nat64 };
type ProposalId = record { id : nat64 };
type AccountIdentifier = record { hash : blob };
type Amount = record { e8s : nat64 };
type GovernanceError = record { error_message : text; error_type : int32 };
type NeuronIdOrSubaccount = variant { Subaccount : blob; NeuronId : NeuronId };
type ClaimOrRefreshNeuronFromAccount = record { controller : opt principal; memo : nat64 };
type By = variant { NeuronIdOrSubaccount : record {}; MemoAndController :
  ClaimOrRefreshNeuronFromAccount; Memo : nat64 };
type Operation = variant {
  RemoveHotKey : record { hot_key_to_remove : opt principal };
  AddHotKey : record { new_hot_key : opt principal };
  ChangeAutoStakeMaturity : record { requested_setting_for_auto_stake_maturity : bool };
  StopDissolving : record {};
  StartDissolving : record {};
  IncreaseDissolveDelay : record { additional_dissolve_delay_seconds : nat32 };
  SetVisibility : record { visibility : opt int32 };
  JoinCommunityFund : record {};
  LeaveCommunityFund : record {};
  SetDissolveTimestamp : record { dissolve_timestamp_seconds : nat64 };
};
type KnownNeuronData = record {
  name : text; description : opt text; links : opt vec text; committed_topics : opt vec opt
    TopicToFollow;
};
type KnownNeuron = record { id : opt NeuronId; known_neuron_data : opt KnownNeuronData };
type InstallCode = record {
  skip_stopping_before_installing : opt bool; wasm_module_hash : opt blob; canister_id : opt
    principal;
  arg_hash : opt blob; install_mode : opt int32;
};
type InstallCodeRequest = record {
  arg : opt blob; wasm_module : opt blob; skip_stopping_before_installing : opt bool; canister_id
    : opt principal;
  install_mode : opt int32;
};
type Action = variant {
  Motion : record { motion_text : text };
  ExecuteNnsFunction : record { nns_function : int32; payload : blob };
  RegisterKnownNeuron : KnownNeuron;
  InstallCode : InstallCode;
  ManageNeuron : ManageNeuronProposal;
  ManageNetworkEconomics : NetworkEconomics;
  StopOrStartCanister : StopOrStartCanister;
  UpdateCanisterSettings : UpdateCanisterSettings;
  DeregisterKnownNeuron : DeregisterKnownNeuron;
  AddOrRemoveNodeProvider : AddOrRemoveNodeProvider;
  RewardNodeProvider : RewardNodeProvider;
  RewardNodeProviders : RewardNodeProviders;
  CreateServiceNervousSystem : CreateServiceNervousSystem;
};
type ProposalActionRequest = variant {
  RegisterKnownNeuron : KnownNeuron;
  DeregisterKnownNeuron : DeregisterKnownNeuron;
  ManageNeuron : ManageNeuronRequest;
  UpdateCanisterSettings : UpdateCanisterSettings;
  InstallCode : InstallCodeRequest;
  StopOrStartCanister : StopOrStartCanister;
  CreateServiceNervousSystem : CreateServiceNervousSystem;
  ExecuteNnsFunction : record { nns_function : int32; payload : blob };
  RewardNodeProvider : RewardNodeProvider;
  RewardNodeProviders : RewardNodeProviders;
  ManageNetworkEconomics : NetworkEconomics;
  ApproveGenesisKyc : Principals;
  AddOrRemoveNodeProvider : AddOrRemoveNodeProvider;
  Motion : record { motion_text : text };
  FulfillSubnetRentalRequest : FulfillSubnetRentalRequest;
};
type MakeProposalRequest = record { url : text; title : opt text; action : opt
  ProposalActionRequest; summary : text };
type Proposal = record { url : text; title : opt text; action : opt Action; summary : text };
type FolloweesForTopic = record { topic : opt int32; followees : opt vec NeuronId };
type ManageNeuronCommandRequest = variant {
  Spawn : record { percentage_to_spawn : opt nat32; new_controller : opt principal; nonce : opt
    nat64 };
  Split : record { amount_e8s : nat64; memo : opt nat64 };
  Follow : record { topic : int32; followees : vec NeuronId };
  ClaimOrRefresh : record { by : opt By };
  Configure : record { operation : opt Operation };
  RegisterVote : record { vote : int32; proposal : opt ProposalId };
  Merge : record { source_neuron_id : opt NeuronId };
  MakeProposal : MakeProposalRequest;
  StakeMaturity : record { percentage_to_stake : opt nat32 };
  Disburse : record { to_account : opt AccountIdentifier; amount : opt Amount };
  RefreshVotingPower : record {};
  DisburseMaturity : record {
    percentage_to_disburse : nat32; to_account : opt Account; to_account_identifier : opt
      AccountIdentifier;
  };
  DisburseToNeuron : record {
    dissolve_delay_seconds : nat64; kyc_verified : bool; amount_e8s : nat64; new_controller : opt
      principal; nonce : nat64;
  };
  SetFollowing : record { topic_following : opt vec FolloweesForTopic };
  MergeMaturity : record { percentage_to_merge : nat32 };
};
type ManageNeuronRequest = record {
  id : opt NeuronId; command : opt ManageNeuronCommandRequest; neuron_id_or_subaccount : opt
    NeuronIdOrSubaccount;
};
type SpawnResponse = record { created_neuron_id : opt NeuronId };
type Command_1 = variant {
  Error : GovernanceError;
  Spawn : SpawnResponse;
  Split : SpawnResponse;
  Follow : record {};
  ClaimOrRefresh : record { refreshed_neuron_id : opt NeuronId };
  Configure : record {};
  RegisterVote : record {};
  Merge : record {
    target_neuron : opt Neuron; source_neuron : opt Neuron; target_neuron_info : opt NeuronInfo;
    source_neuron_info : opt NeuronInfo;
  };
  DisburseToNeuron : SpawnResponse;
  MakeProposal : record { message : opt text; proposal_id : opt ProposalId };
  StakeMaturity : record { maturity_e8s : nat64; staked_maturity_e8s : nat64 };
  Disburse : record { transfer_block_height : nat64 };
  RefreshVotingPower : record {};
  DisburseMaturity : record { amount_disbursed_e8s : opt nat64 };
  SetFollowing : record {};
};
type ManageNeuronResponse = record { command : opt Command_1 };
type BallotInfo = record { vote : int32; proposal_id : opt ProposalId };
type NeuronInfo = record {
  id : opt NeuronId; dissolve_delay_seconds : nat64; recent_ballots : vec BallotInfo; neuron_type
    : opt int32;
  created_timestamp_seconds : nat64; state : int32; stake_e8s : nat64;
  joined_community_fund_timestamp_seconds : opt nat64; retrieved_at_timestamp_seconds : nat64;
  visibility : opt int32; known_neuron_data : opt KnownNeuronData; voting_power : nat64;
  voting_power_refreshed_timestamp_seconds : opt nat64; age_seconds : nat64;
  deciding_voting_power : opt nat64; potential_voting_power : opt nat64;
};
type Ballot = record { vote : int32; voting_power : nat64 };
type Tally = record { no : nat64; yes : nat64; total : nat64; timestamp_seconds : nat64 };
type ProposalInfo = record {
  id : opt ProposalId; status : int32; topic : int32; failure_reason : opt GovernanceError;
  ballots : vec record { nat64; Ballot }; proposal_timestamp_seconds : nat64; reward_event_round :
    nat64;
  deadline_timestamp_seconds : opt nat64; failed_timestamp_seconds : nat64; reject_cost_e8s : nat64;
  latest_tally : opt Tally; total_potential_voting_power : opt nat64; reward_status : int32;
  decided_timestamp_seconds : nat64; proposal : opt Proposal; proposer : opt NeuronId;
  executed_timestamp_seconds : nat64;
};
type ListProposalInfo = record {
  include_reward_status : vec int32; omit_large_fields : opt bool; before_proposal : opt ProposalId;
  limit : nat32; exclude_topic : vec int32; include_all_manage_neuron_proposals : opt bool;
  include_status : vec int32;
};
type Followees = record { followees : vec NeuronId };
type DissolveState = variant { DissolveDelaySeconds : nat64; WhenDissolvedTimestampSeconds : nat64
  };
type NeuronStakeTransfer = record {
  to_subaccount : blob; neuron_stake_e8s : nat64; from : opt principal; memo : nat64;
    from_subaccount : blob;
  transfer_timestamp : nat64; block_height : nat64;
};
type Neuron = record {
  id : opt NeuronId; staked_maturity_e8s_equivalent : opt nat64; controller : opt principal;
  recent_ballots : vec BallotInfo; kyc_verified : bool; neuron_type : opt int32; not_for_profit :
    bool;
  maturity_e8s_equivalent : nat64; cached_neuron_stake_e8s : nat64; created_timestamp_seconds :
    nat64;
  auto_stake_maturity : opt bool; aging_since_timestamp_seconds : nat64; hot_keys : vec principal;
    account : blob;
  joined_community_fund_timestamp_seconds : opt nat64; dissolve_state : opt DissolveState;
  followees : vec record { int32; Followees }; neuron_fees_e8s : nat64; visibility : opt int32;
  transfer : opt NeuronStakeTransfer; known_neuron_data : opt KnownNeuronData;
    spawn_at_timestamp_seconds : opt nat64;
  voting_power_refreshed_timestamp_seconds : opt nat64; deciding_voting_power : opt nat64;
  potential_voting_power : opt nat64;
};
type NeuronResult = variant { Ok : Neuron; Err : GovernanceError };
type NeuronInfoResult = variant { Ok : NeuronInfo; Err : GovernanceError };
type ListNeurons = record {
  neuron_ids : vec nat64; include_neurons_readable_by_caller : bool;
    include_empty_neurons_readable_by_caller : opt bool;
  include_public_neurons_in_full_neurons : opt bool; page_number : opt nat64; page_size : opt nat64;
  neuron_subaccounts : opt vec record { subaccount : blob };
};
type ListNeuronsResponse = record {
  neuron_infos : vec record { nat64; NeuronInfo }; full_neurons : vec Neuron;
    total_pages_available : opt nat64;
};
type Percentage = record { basis_points : opt nat64 };
type Decimal = record { human_readable : opt text };
type NeuronsFundMatchedFundingCurveCoefficients = record {
  contribution_threshold_xdr : opt Decimal; one_third_participation_milestone_xdr : opt Decimal;
  full_participation_milestone_xdr : opt Decimal;
};
type NeuronsFundEconomics = record {
  maximum_icp_xdr_rate : opt Percentage;
  neurons_fund_matched_funding_curve_coefficients : opt NeuronsFundMatchedFundingCurveCoefficients;
  max_theoretical_neurons_fund_participation_amount_xdr : opt Decimal; minimum_icp_xdr_rate : opt
    Percentage;
};
type VotingPowerEconomics = record {
  start_reducing_voting_power_after_seconds : opt nat64; clear_following_after_seconds : opt nat64;
  neuron_minimum_dissolve_delay_to_vote_seconds : opt nat64;
};
type NetworkEconomics = record {
  neuron_minimum_stake_e8s : nat64; max_proposals_to_keep_per_topic : nat32;
  neuron_management_fee_per_proposal_e8s : nat64; reject_cost_e8s : nat64; transaction_fee_e8s :
    nat64;
  neuron_spawn_dissolve_delay_seconds : nat64; minimum_icp_xdr_rate : nat64;
    maximum_node_provider_rewards_e8s : nat64;
  neurons_fund_economics : opt NeuronsFundEconomics; voting_power_economics : opt
    VotingPowerEconomics;
};
type RewardEvent = record {
  rounds_since_last_distribution : opt nat64; day_after_genesis : nat64; actual_timestamp_seconds
    : nat64;
  total_available_e8s_equivalent : nat64; latest_round_available_e8s_equivalent : opt nat64;
  distributed_e8s_equivalent : nat64; settled_proposals : vec ProposalId;
};
type Vote = variant { Unspecified; Yes; No };
type NeuronVote = record { proposal_id : opt ProposalId; vote : opt Vote };
type ListNeuronVotesRequest = record { neuron_id : opt NeuronId; before_proposal : opt ProposalId;
  limit : opt nat64 };
type ListNeuronVotesResponse = variant {
  Ok : record { votes : opt vec NeuronVote; all_finalized_before_proposal : opt ProposalId };
  Err : GovernanceError;
};
type GetNeuronIndexRequest = record { exclusive_start_neuron_id : opt NeuronId; page_size : opt
  nat32 };
type NeuronIndexData = record { neurons : vec NeuronInfo };
type GetNeuronIndexResult = variant { Ok : NeuronIndexData; Err : GovernanceError };
type NeuronSubsetMetrics = record {
  count : opt nat64; total_staked_e8s : opt nat64; total_maturity_e8s_equivalent : opt nat64;
  total_staked_maturity_e8s_equivalent : opt nat64; total_voting_power : opt nat64;
  total_deciding_voting_power : opt nat64; total_potential_voting_power : opt nat64;
  count_buckets : vec record { nat64; nat64 }; staked_e8s_buckets : vec record { nat64; nat64 };
  maturity_e8s_equivalent_buckets : vec record { nat64; nat64 };
  staked_maturity_e8s_equivalent_buckets : vec record { nat64; nat64 };
  voting_power_buckets : vec record { nat64; nat64 }; deciding_voting_power_buckets : vec record {
    nat64; nat64 };
  potential_voting_power_buckets : vec record { nat64; nat64 };
};
type GovernanceCachedMetrics = record {
  total_maturity_e8s_equivalent : nat64; not_dissolving_neurons_e8s_buckets : vec record { nat64;
    float64 };
  dissolving_neurons_staked_maturity_e8s_equivalent_sum : nat64; garbage_collectable_neurons_count
    : nat64;
  dissolving_neurons_staked_maturity_e8s_equivalent_buckets : vec record { nat64; float64 };
  neurons_with_invalid_stake_count : nat64; not_dissolving_neurons_count_buckets : vec record {
    nat64; nat64 };
  ect_neuron_count : nat64; total_supply_icp : nat64;
    neurons_with_less_than_6_months_dissolve_delay_count : nat64;
  dissolved_neurons_count : nat64; community_fund_total_maturity_e8s_equivalent : nat64;
  total_staked_e8s_seed : nat64; total_staked_maturity_e8s_equivalent_ect : nat64;
    total_staked_e8s : nat64;
  not_dissolving_neurons_count : nat64; total_locked_e8s : nat64;
    neurons_fund_total_active_neurons : nat64;
  total_voting_power_non_self_authenticating_controller : opt nat64;
    total_staked_maturity_e8s_equivalent : nat64;
  not_dissolving_neurons_e8s_buckets_ect : vec record { nat64; float64 }; total_staked_e8s_ect :
    nat64;
  not_dissolving_neurons_staked_maturity_e8s_equivalent_sum : nat64; dissolved_neurons_e8s : nat64;
  total_staked_e8s_non_self_authenticating_controller : opt nat64;
  dissolving_neurons_e8s_buckets_seed : vec record { nat64; float64 };
  neurons_with_less_than_6_months_dissolve_delay_e8s : nat64;
  not_dissolving_neurons_staked_maturity_e8s_equivalent_buckets : vec record { nat64; float64 };
  dissolving_neurons_count_buckets : vec record { nat64; nat64 };
  dissolving_neurons_e8s_buckets_ect : vec record { nat64; float64 }; dissolving_neurons_count :
    nat64;
  dissolving_neurons_e8s_buckets : vec record { nat64; float64 };
    total_staked_maturity_e8s_equivalent_seed : nat64;
  community_fund_total_staked_e8s : nat64; not_dissolving_neurons_e8s_buckets_seed : vec record {
    nat64; float64 };
  timestamp_seconds : nat64; seed_neuron_count : nat64; spawning_neurons_count : nat64;
  non_self_authenticating_controller_neuron_subset_metrics : opt NeuronSubsetMetrics;
  public_neuron_subset_metrics : opt NeuronSubsetMetrics;
  declining_voting_power_neuron_subset_metrics : opt NeuronSubsetMetrics;
  fully_lost_voting_power_neuron_subset_metrics : opt NeuronSubsetMetrics;
};
type GetMetricsResult = variant { Ok : GovernanceCachedMetrics; Err : GovernanceError };
type RestoreAgingNeuronGroup = record {
  count : opt nat64; previous_total_stake_e8s : opt nat64; current_total_stake_e8s : opt nat64;
    group_type : int32;
};
type RestoreAgingSummary = record { groups : vec RestoreAgingNeuronGroup; timestamp_seconds : opt
  nat64 };
type Principals = record { principals : vec principal };
type SwapParticipationLimits = record {
  min_participant_icp_e8s : opt nat64; max_participant_icp_e8s : opt nat64;
  min_direct_participation_icp_e8s : opt nat64; max_direct_participation_icp_e8s : opt nat64;
};
type NeuronsFundNeuronPortion = record {
  controller : opt principal; hotkeys : vec principal; is_capped : opt bool;
    maturity_equivalent_icp_e8s : opt nat64;
  nns_neuron_id : opt NeuronId; amount_icp_e8s : opt nat64;
};
type NeuronsFundSnapshot = record { neurons_fund_neuron_portions : vec NeuronsFundNeuronPortion };
type IdealMatchedParticipationFunction = record { serialized_representation : opt text };
type NeuronsFundParticipation = record {
  total_maturity_equivalent_icp_e8s : opt nat64; intended_neurons_fund_participation_icp_e8s : opt
    nat64;
  direct_participation_icp_e8s : opt nat64; swap_participation_limits : opt SwapParticipationLimits;
  max_neurons_fund_swap_participation_icp_e8s : opt nat64; neurons_fund_reserves : opt
    NeuronsFundSnapshot;
  ideal_matched_participation_function : opt IdealMatchedParticipationFunction;
  allocated_neurons_fund_participation_icp_e8s : opt nat64;
};
type NeuronsFundAuditInfo = record {
  final_neurons_fund_participation : opt NeuronsFundParticipation;
  initial_neurons_fund_participation : opt NeuronsFundParticipation;
  neurons_fund_refunds : opt NeuronsFundSnapshot;
};
type GetNeuronsFundAuditInfoRequest = record { nns_proposal_id : opt ProposalId };
type GetNeuronsFundAuditInfoResponse = record {
  result : opt variant { Ok : record { neurons_fund_audit_info : opt NeuronsFundAuditInfo }; Err :
    GovernanceError };
};
type Committed = record {
  total_direct_contribution_icp_e8s : opt nat64; total_neurons_fund_contribution_icp_e8s : opt
    nat64;
  sns_governance_canister_id : opt principal;
};
type Committed_1 = record {
  total_direct_participation_icp_e8s : opt nat64; total_neurons_fund_participation_icp_e8s : opt
    nat64;
  sns_governance_canister_id : opt principal;
};
type NeuronsFundNeuron = record {
  controller : opt principal; hotkeys : opt Principals; is_capped : opt bool; nns_neuron_id : opt
    nat64;
  amount_icp_e8s : opt nat64;
};
type SettleNeuronsFundParticipationRequest = record {
  result : opt variant { Committed : Committed_1; Aborted : record {} }; nns_proposal_id : opt
    nat64;
};
type SettleNeuronsFundParticipationResponse = record {
  result : opt variant { Ok : record { neurons_fund_neuron_portions : vec NeuronsFundNeuron }; Err
    : GovernanceError };
};
type SettleCommunityFundParticipation = record {
  result : opt variant { Committed : Committed; Aborted : record {} };
    open_sns_token_swap_proposal_id : opt nat64;
};
type Result = variant { Ok; Err : GovernanceError };
type ListNodeProvidersResponse = record { node_providers : vec NodeProvider };
type DateUtc = record { year : nat32; month : nat32; day : nat32 };
type XdrConversionRate = record {
  xdr_permyriad_per_icp : opt nat64; timestamp_seconds : opt nat64;
};
type MonthlyNodeProviderRewards = record {
  minimum_xdr_permyriad_per_icp : opt nat64; registry_version : opt nat64; algorithm_version : opt
    nat32;
  node_providers : vec NodeProvider; timestamp : nat64; start_date : opt DateUtc; end_date : opt
    DateUtc;
  rewards : vec RewardNodeProvider; xdr_conversion_rate : opt XdrConversionRate;
  maximum_node_provider_rewards_e8s : opt nat64;
};
type DateRangeFilter = record {
  start_timestamp_seconds : opt nat64; end_timestamp_seconds : opt nat64;
};
type ListNodeProviderRewardsRequest = record { date_filter : opt DateRangeFilter };
type ListNodeProviderRewardsResponse = record { rewards : vec MonthlyNodeProviderRewards };
type UpdateNodeProvider = record { reward_account : opt AccountIdentifier };
service : {
  manage_neuron : (ManageNeuronRequest) -> (ManageNeuronResponse);
  simulate_manage_neuron : (ManageNeuronRequest) -> (ManageNeuronResponse);
  get_neuron_index : (GetNeuronIndexRequest) -> (GetNeuronIndexResult) query;
  list_neuron_votes : (ListNeuronVotesRequest) -> (ListNeuronVotesResponse) query;
  get_metrics : () -> (GetMetricsResult) query;
  get_restore_aging_summary : () -> (RestoreAgingSummary) query;
  get_neurons_fund_audit_info : (GetNeuronsFundAuditInfoRequest) ->
    (GetNeuronsFundAuditInfoResponse) query;
  settle_neurons_fund_participation : (SettleNeuronsFundParticipationRequest) ->
    (SettleNeuronsFundParticipationResponse);
  settle_community_fund_participation : (SettleCommunityFundParticipation) -> (Result);
  claim_or_refresh_neuron_from_account : (ClaimOrRefreshNeuronFromAccount) ->
    (record { result : opt variant { Error : GovernanceError; NeuronId : NeuronId } });
  get_neuron_info : (nat64) -> (NeuronInfoResult) query;
  get_neuron_info_by_id_or_subaccount : (NeuronIdOrSubaccount) -> (NeuronInfoResult) query;
  get_full_neuron : (nat64) -> (NeuronResult) query;
  get_full_neuron_by_id_or_subaccount : (NeuronIdOrSubaccount) -> (NeuronResult) query;
  list_neurons : (ListNeurons) -> (ListNeuronsResponse) query;
  get_network_economics_parameters : () -> (NetworkEconomics) query;
  get_neuron_ids : () -> (vec nat64) query;
  get_proposal_info : (nat64) -> (opt ProposalInfo) query;
  get_pending_proposals : () -> (vec ProposalInfo) query;
  list_proposals : (ListProposalInfo) -> (record { proposal_info : vec ProposalInfo }) query;
  get_latest_reward_event : () -> (RewardEvent) query;
  list_known_neurons : () -> (record { known_neurons : vec KnownNeuron }) query;
  list_node_providers : () -> (ListNodeProvidersResponse) query;
  get_node_provider_by_caller : (null) -> (variant { Ok : NodeProvider; Err : GovernanceError })
    query;
  get_monthly_node_provider_rewards : () -> (variant { Ok : MonthlyNodeProviderRewards; Err :
    GovernanceError });
  get_most_recent_monthly_node_provider_rewards : () -> (opt MonthlyNodeProviderRewards) query;
  list_node_provider_rewards : (ListNodeProviderRewardsRequest) ->
    (ListNodeProviderRewardsResponse) query;
  update_node_provider : (UpdateNodeProvider) -> (Result);
  claim_gtc_neurons : (principal, vec NeuronId) -> (Result);
  transfer_gtc_neuron : (NeuronId, NeuronId) -> (Result);
}
"""
    + ACTIONS_DID
)
