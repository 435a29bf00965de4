"""The official Candid definitions (governance.did) of the proposal action records that the
rest of `GOVERNANCE_DID` does not define: text only, so a client imports no canister code."""

from __future__ import annotations

from typing import Final

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
