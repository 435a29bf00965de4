"""The SNS governance Candid interface: the methods icbox implements, in the official names
and types of dfinity/ic rs/sns/governance/canister/governance.did."""

from __future__ import annotations

from typing import Final

from replica.candid.did import parse_did
from sns.canister_status import CANISTER_STATUS_DID

GOVERNANCE_DID: Final = (
    """
type NeuronId = record { id : blob };
type ProposalId = record { id : nat64 };
type Subaccount = record { subaccount : blob };
type Account = record { owner : opt principal; subaccount : opt Subaccount };
type GovernanceError = record { error_message : text; error_type : int32 };
type Percentage = record { basis_points : opt nat64 };
type Topic = variant {
  DappCanisterManagement; DaoCommunitySettings; ApplicationBusinessLogic; CriticalDappOperations;
  TreasuryAssetManagement; Governance; SnsFrameworkManagement;
};
type NeuronPermissionList = record { permissions : vec int32 };
type NeuronPermission = record { "principal" : opt principal; permission_type : vec int32 };
type Followees = record { followees : vec NeuronId };
type Followee = record { neuron_id : opt NeuronId; alias : opt text };
type FolloweesForTopic = record { topic : opt Topic; followees : vec Followee };
type DissolveState = variant { DissolveDelaySeconds : nat64; WhenDissolvedTimestampSeconds : nat64
  };
type DisburseMaturityInProgress = record {
  timestamp_of_disbursement_seconds : nat64; amount_e8s : nat64; account_to_disburse_to : opt
    Account;
  finalize_disbursement_timestamp_seconds : opt nat64;
};
type Neuron = record {
  id : opt NeuronId; staked_maturity_e8s_equivalent : opt nat64; permissions : vec NeuronPermission;
  maturity_e8s_equivalent : nat64; cached_neuron_stake_e8s : nat64; created_timestamp_seconds :
    nat64;
  source_nns_neuron_id : opt nat64; auto_stake_maturity : opt bool; aging_since_timestamp_seconds
    : nat64;
  dissolve_state : opt DissolveState; voting_power_percentage_multiplier : nat64;
  vesting_period_seconds : opt nat64; disburse_maturity_in_progress : vec
    DisburseMaturityInProgress;
  followees : vec record { nat64; Followees }; neuron_fees_e8s : nat64;
  topic_followees : opt record { topic_id_to_followees : vec record { int32; FolloweesForTopic } };
};
type VotingRewardsParameters = record {
  final_reward_rate_basis_points : opt nat64; initial_reward_rate_basis_points : opt nat64;
  reward_rate_transition_duration_seconds : opt nat64; round_duration_seconds : opt nat64;
};
type NervousSystemParameters = record {
  default_followees : opt record { followees : vec record { nat64; Followees } };
  max_dissolve_delay_seconds : opt nat64; max_dissolve_delay_bonus_percentage : opt nat64;
  max_followees_per_function : opt nat64; automatically_advance_target_version : opt bool;
  neuron_claimer_permissions : opt NeuronPermissionList; neuron_minimum_stake_e8s : opt nat64;
  max_neuron_age_for_age_bonus : opt nat64; initial_voting_period_seconds : opt nat64;
  neuron_minimum_dissolve_delay_to_vote_seconds : opt nat64; reject_cost_e8s : opt nat64;
  max_proposals_to_keep_per_action : opt nat32; wait_for_quiet_deadline_increase_seconds : opt
    nat64;
  max_number_of_neurons : opt nat64; transaction_fee_e8s : opt nat64;
  max_number_of_proposals_with_ballots : opt nat64; max_age_bonus_percentage : opt nat64;
  neuron_grantable_permissions : opt NeuronPermissionList;
  voting_rewards_parameters : opt VotingRewardsParameters; maturity_modulation_disabled : opt bool;
  max_number_of_principals_per_neuron : opt nat64;
};
type GenericNervousSystemFunction = record {
  validator_canister_id : opt principal; target_canister_id : opt principal;
  validator_method_name : opt text; target_method_name : opt text; topic : opt Topic;
};
type FunctionType = variant {
  NativeNervousSystemFunction : record {}; GenericNervousSystemFunction :
    GenericNervousSystemFunction;
};
type NervousSystemFunction = record {
  id : nat64; name : text; description : opt text; function_type : opt FunctionType;
};
type Action = variant {
  ManageNervousSystemParameters : NervousSystemParameters;
  AddGenericNervousSystemFunction : NervousSystemFunction;
  ManageDappCanisterSettings : record { canister_ids : vec principal };
  RemoveGenericNervousSystemFunction : nat64;
  SetTopicsForCustomProposals : record { custom_function_id_to_topic : vec record { nat64; Topic }
    };
  UpgradeSnsToNextVersion : record {};
  RegisterDappCanisters : record { canister_ids : vec principal };
  TransferSnsTreasuryFunds : record {
    from_treasury : int32; to_principal : opt principal; to_subaccount : opt Subaccount;
    memo : opt nat64; amount_e8s : nat64;
  };
  UpgradeSnsControlledCanister : record {
    new_canister_wasm : blob; mode : opt int32; canister_id : opt principal; canister_upgrade_arg
      : opt blob;
  };
  DeregisterDappCanisters : record { canister_ids : vec principal; new_controllers : vec principal
    };
  MintSnsTokens : record {
    to_principal : opt principal; to_subaccount : opt Subaccount; memo : opt nat64; amount_e8s :
      opt nat64;
  };
  ManageSnsMetadata : record { url : opt text; logo : opt text; name : opt text; description : opt
    text };
  ExecuteGenericNervousSystemFunction : record { function_id : nat64; payload : blob };
  Motion : record { motion_text : text };
  Unspecified : record {};
};
type Proposal = record { url : text; title : text; action : opt Action; summary : text };
type By = variant {
  MemoAndController : record { controller : opt principal; memo : nat64 }; NeuronId : record {};
};
type Operation = variant {
  StopDissolving : record {}; StartDissolving : record {};
  IncreaseDissolveDelay : record { additional_dissolve_delay_seconds : nat32 };
  SetDissolveTimestamp : record { dissolve_timestamp_seconds : nat64 };
  ChangeAutoStakeMaturity : record { requested_setting_for_auto_stake_maturity : bool };
};
type Command = variant {
  Follow : record { function_id : nat64; followees : vec NeuronId };
  DisburseMaturity : record { to_account : opt Account; percentage_to_disburse : nat32 };
  ClaimOrRefresh : record { by : opt By };
  Configure : record { operation : opt Operation };
  RegisterVote : record { vote : int32; proposal : opt ProposalId };
  SetFollowing : record { topic_following : vec FolloweesForTopic };
  MakeProposal : Proposal;
  StakeMaturity : record { percentage_to_stake : opt nat32 };
  RemoveNeuronPermissions : record { permissions_to_remove : opt NeuronPermissionList;
    principal_id : opt principal };
  AddNeuronPermissions : record { permissions_to_add : opt NeuronPermissionList; principal_id :
    opt principal };
  Disburse : record { to_account : opt Account; amount : opt record { e8s : nat64 } };
  Split : record { memo : nat64; amount_e8s : nat64 };
};
type Command_1 = variant {
  Error : GovernanceError;
  Follow : record {};
  DisburseMaturity : record { amount_disbursed_e8s : nat64; amount_deducted_e8s : opt nat64 };
  ClaimOrRefresh : record { refreshed_neuron_id : opt NeuronId };
  Configure : record {};
  RegisterVote : record {};
  SetFollowing : record {};
  MakeProposal : record { proposal_id : opt ProposalId };
  RemoveNeuronPermission : record {};
  StakeMaturity : record { maturity_e8s : nat64; staked_maturity_e8s : nat64 };
  Disburse : record { transfer_block_height : nat64 };
  Split : record { created_neuron_id : opt NeuronId };
  AddNeuronPermission : record {};
};
type Ballot = record { vote : int32; cast_timestamp_seconds : nat64; voting_power : nat64 };
type Tally = record { no : nat64; yes : nat64; total : nat64; timestamp_seconds : nat64 };
type ProposalData = record {
  id : opt ProposalId; payload_text_rendering : opt text; action : nat64; failure_reason : opt
    GovernanceError;
  ballots : vec record { text; Ballot }; minimum_yes_proportion_of_total : opt Percentage;
  reward_event_round : nat64; failed_timestamp_seconds : nat64;
  proposal_creation_timestamp_seconds : nat64; initial_voting_period_seconds : nat64;
    reject_cost_e8s : nat64;
  latest_tally : opt Tally; wait_for_quiet_deadline_increase_seconds : nat64;
    decided_timestamp_seconds : nat64;
  proposal : opt Proposal; proposer : opt NeuronId;
  wait_for_quiet_state : opt record { current_deadline_timestamp_seconds : nat64 };
  minimum_yes_proportion_of_exercised : opt Percentage; is_eligible_for_rewards : bool;
  executed_timestamp_seconds : nat64; topic : opt Topic;
};
type NeuronsFundParticipant = record {
  nns_neuron_controller : opt principal; nns_neuron_id : opt nat64;
  nns_neuron_hotkeys : opt record { principals : vec principal };
};
type NeuronRecipe = record {
  controller : opt principal; dissolve_delay_seconds : opt nat64;
  participant : opt variant { NeuronsFund : NeuronsFundParticipant; Direct : record {} };
  stake_e8s : opt nat64; followees : opt record { neuron_ids : vec NeuronId }; neuron_id : opt
    NeuronId;
};
type SwapNeuron = record { id : opt NeuronId; status : int32 };
type TopicInfo = record {
  topic : opt Topic; name : opt text; description : opt text;
  native_functions : opt vec NervousSystemFunction; custom_functions : opt vec
    NervousSystemFunction;
  is_critical : opt bool;
};
type RewardEvent = record {
  rounds_since_last_distribution : opt nat64; actual_timestamp_seconds : nat64;
  end_timestamp_seconds : opt nat64; total_available_e8s_equivalent : opt nat64;
  distributed_e8s_equivalent : nat64; round : nat64; settled_proposals : vec ProposalId;
};
"""
    + CANISTER_STATUS_DID
    + """service : {
  get_maturity_modulation : (record {}) -> (record { maturity_modulation : opt record {
    current_basis_points : opt int32; updated_at_timestamp_seconds : opt nat64 } });
  get_root_canister_status : (null) -> (CanisterStatusResultV2);
  get_latest_reward_event : () -> (RewardEvent) query;
  manage_neuron : (record { subaccount : blob; command : opt Command }) -> (record { command : opt
    Command_1 });
  get_neuron : (record { neuron_id : opt NeuronId }) -> (record { result : opt variant { Error :
    GovernanceError; Neuron : Neuron } }) query;
  list_neurons : (record { of_principal : opt principal; limit : nat32; start_page_at : opt
    NeuronId }) -> (record { neurons : vec Neuron }) query;
  get_proposal : (record { proposal_id : opt ProposalId }) -> (record { result : opt variant {
    Error : GovernanceError; Proposal : ProposalData } }) query;
  list_proposals : (record { limit : nat32; before_proposal : opt ProposalId; exclude_type : vec
    nat64; include_status : vec int32; include_reward_status : vec int32;
    include_topics : opt vec record { topic : opt Topic } }) -> (record { proposals :
    vec ProposalData; include_ballots_by_caller : opt bool; include_topic_filtering : opt bool })
    query;
  get_nervous_system_parameters : (null) -> (NervousSystemParameters) query;
  get_mode : (record {}) -> (record { mode : opt int32 }) query;
  set_mode : (record { mode : int32 }) -> (record {});
  list_nervous_system_functions : () -> (record { reserved_ids : vec nat64; functions : vec
    NervousSystemFunction }) query;
  list_topics : (record {}) -> (record { topics : opt vec TopicInfo; uncategorized_functions : opt
    vec NervousSystemFunction }) query;
  get_metadata : (record {}) -> (record { url : opt text; logo : opt text; name : opt text;
    description : opt text }) query;
  claim_swap_neurons : (record { neuron_recipes : opt record { neuron_recipes : vec NeuronRecipe }
    }) ->
    (record { claim_swap_neurons_result : opt variant { Ok : record { swap_neurons : vec
      SwapNeuron }; Err : int32 } });
}
"""
)

GOVERNANCE_INTERFACE: Final = parse_did(GOVERNANCE_DID)
