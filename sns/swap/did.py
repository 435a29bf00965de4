"""The swap's Candid interface: the implemented methods in the names and types of
dfinity/ic rs/sns/swap/canister/swap.did."""

from __future__ import annotations

from typing import Final

from replica.candid.did import parse_did

SWAP_DID: Final = """
type CanisterCallError = record { code : opt int32; description : text };
type Icrc1Account = record { owner : opt principal; subaccount : opt blob };
type Ticket = record { creation_time : nat64; ticket_id : nat64; account : opt Icrc1Account;
  amount_icp_e8s : nat64 };
type TransferableAmount = record {
  transfer_fee_paid_e8s : opt nat64; transfer_start_timestamp_seconds : nat64; amount_e8s : nat64;
  amount_transferred_e8s : opt nat64; transfer_success_timestamp_seconds : nat64;
};
type BuyerState = record { icp : opt TransferableAmount; has_created_neuron_recipes : opt bool };
type SweepResult = record { failure : nat32; skipped : nat32; invalid : nat32; success : nat32;
  global_failures : nat32 };
type NeuronBasketConstructionParameters = record { dissolve_delay_interval_seconds : nat64; count
  : nat64 };
type Params = record {
  min_participant_icp_e8s : nat64; neuron_basket_construction_parameters : opt
    NeuronBasketConstructionParameters;
  max_icp_e8s : nat64; swap_due_timestamp_seconds : nat64; min_participants : nat32; sns_token_e8s
    : nat64;
  sale_delay_seconds : opt nat64; max_participant_icp_e8s : nat64;
    min_direct_participation_icp_e8s : opt nat64;
  min_icp_e8s : nat64; max_direct_participation_icp_e8s : opt nat64;
};
type FinalizeSwapResponse = record {
  sweep_icp_result : opt SweepResult; sweep_sns_result : opt SweepResult; claim_neuron_result :
    opt SweepResult;
  settle_neurons_fund_participation_result : opt record { possibility : opt variant { Ok : record
    { neurons_fund_participation_icp_e8s : opt nat64; neurons_fund_neurons_count : opt nat64 }; Err
    : record { message : opt text } } };
  set_mode_call_result : opt record { possibility : opt variant { Ok : record {}; Err :
    CanisterCallError } };
  set_dapp_controllers_call_result : opt record { possibility : opt variant { Ok : record {
    failed_updates : vec record { dapp_canister_id : opt principal } }; Err : CanisterCallError } };
  error_message : opt text;
};
type Init = record {
  nns_proposal_id : opt nat64; sns_root_canister_id : text; neurons_fund_participation : opt bool;
  min_participant_icp_e8s : opt nat64;
  neuron_basket_construction_parameters : opt NeuronBasketConstructionParameters;
  fallback_controller_principal_ids : vec text; confirmation_text : opt text;
  swap_start_timestamp_seconds : opt nat64; swap_due_timestamp_seconds : opt nat64;
  min_participants : opt nat32; sns_token_e8s : opt nat64; nns_governance_canister_id : text;
  transaction_fee_e8s : opt nat64; icp_ledger_canister_id : text; sns_ledger_canister_id : text;
  should_auto_finalize : opt bool; max_participant_icp_e8s : opt nat64;
  sns_governance_canister_id : text; min_direct_participation_icp_e8s : opt nat64;
  max_direct_participation_icp_e8s : opt nat64;
};
type CfInvestment = record { controller : opt principal; hotkey_principal : text; hotkeys : opt
  record { principals : vec principal }; nns_neuron_id : nat64 };
type SnsNeuronRecipe = record {
  sns : opt TransferableAmount; claimed_status : opt int32;
  neuron_attributes : opt record { dissolve_delay_seconds : nat64; memo : nat64; followees : vec
    record { id : blob } };
  investor : opt variant { CommunityFund : CfInvestment; Direct : record { buyer_principal : text
    } };
};
type CfParticipant = record { controller : opt principal; hotkey_principal : text; cf_neurons : vec
  record { has_created_neuron_recipes : opt bool; hotkeys : opt record { principals : vec principal
    }; nns_neuron_id : nat64; amount_icp_e8s : nat64 } };
type Swap = record {
  auto_finalize_swap_response : opt FinalizeSwapResponse; neuron_recipes : vec SnsNeuronRecipe;
  next_ticket_id : opt nat64; decentralization_sale_open_timestamp_seconds : opt nat64;
  finalize_swap_in_progress : opt bool; cf_participants : vec CfParticipant; init : opt Init;
  already_tried_to_auto_finalize : opt bool; neurons_fund_participation_icp_e8s : opt nat64;
  direct_participation_icp_e8s : opt nat64; lifecycle : int32;
  decentralization_swap_termination_timestamp_seconds : opt nat64;
  buyers : vec record { text; BuyerState }; params : opt Params;
};
type DerivedState = record {
  sns_tokens_per_icp : float32; buyer_total_icp_e8s : nat64; cf_participant_count : opt nat64;
  neurons_fund_participation_icp_e8s : opt nat64; direct_participation_icp_e8s : opt nat64;
  direct_participant_count : opt nat64; cf_neuron_count : opt nat64;
};
service : {
  get_init : (record {}) -> (record { init : opt Init }) query;
  get_state : (record {}) -> (record { swap : opt Swap; derived : opt DerivedState }) query;
  get_buyers_total : (record {}) -> (record { buyers_total : nat64 });
  get_auto_finalization_status : (record {}) -> (record {
    auto_finalize_swap_response : opt FinalizeSwapResponse; has_auto_finalize_been_attempted : opt
      bool;
    is_auto_finalize_enabled : opt bool }) query;
  list_sns_neuron_recipes : (record { offset : opt nat64; limit : opt nat32 }) -> (record {
    sns_neuron_recipes : vec SnsNeuronRecipe }) query;
  list_community_fund_participants : (record { offset : opt nat64; limit : opt nat32 }) -> (record
    { cf_participants : vec CfParticipant }) query;
  notify_payment_failure : (record {}) -> (record { ticket : opt Ticket });
  get_lifecycle : (record {}) -> (record {
    decentralization_sale_open_timestamp_seconds : opt nat64; lifecycle : opt int32;
    decentralization_swap_termination_timestamp_seconds : opt nat64 }) query;
  get_derived_state : (record {}) -> (record {
    sns_tokens_per_icp : opt float64; buyer_total_icp_e8s : opt nat64; cf_participant_count : opt
      nat64;
    neurons_fund_participation_icp_e8s : opt nat64; direct_participation_icp_e8s : opt nat64;
    direct_participant_count : opt nat64; cf_neuron_count : opt nat64 }) query;
  get_sale_parameters : (record {}) -> (record { params : opt Params }) query;
  get_buyer_state : (record { principal_id : opt principal }) -> (record { buyer_state : opt
    BuyerState }) query;
  list_direct_participants : (record { offset : opt nat32; limit : opt nat32 }) ->
    (record { participants : vec record { participant_id : opt principal; participation : opt
      BuyerState } }) query;
  get_open_ticket : (record {}) -> (record { result : opt variant { Ok : record { ticket : opt
    Ticket }; Err : record { error_type : opt int32 } } }) query;
  new_sale_ticket : (record { amount_icp_e8s : nat64; subaccount : opt blob }) -> (record { result
    : opt variant {
    Ok : record { ticket : opt Ticket };
    Err : record { invalid_user_amount : opt record { min_amount_icp_e8s_included : nat64;
      max_amount_icp_e8s_included : nat64 };
                   existing_ticket : opt Ticket; error_type : int32 } } });
  refresh_buyer_tokens : (record { confirmation_text : opt text; buyer : text }) ->
    (record { icp_accepted_participation_e8s : nat64; icp_ledger_account_balance_e8s : nat64 });
  finalize_swap : (record {}) -> (FinalizeSwapResponse);
  error_refund_icp : (record { source_principal_id : opt principal }) -> (record { result : opt
    variant {
    Ok : record { block_height : opt nat64 }; Err : record { description : opt text; error_type :
      opt int32 } } });
}
"""

SWAP_INTERFACE: Final = parse_did(SWAP_DID)
