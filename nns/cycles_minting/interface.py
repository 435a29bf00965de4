"""The Candid types of the cycles minting canister (rs/nns/cmc/cmc.did, plus the methods only
NNS governance calls: `set_icp_xdr_conversion_rate` takes the payload of the IC's
`UpdateIcpXdrConversionRatePayload`, and `neuron_maturity_modulation`)."""

from __future__ import annotations

from typing import Final

from replica.candid.did import parse_did
from replica.candid.types import CandidType

CMC_DID: Final = """
type BlockIndex = nat64;
type log_visibility = variant { controllers; public; allowed_viewers : vec principal };
type CanisterSettings = record {
  controllers : opt vec principal; compute_allocation : opt nat; memory_allocation : opt nat;
  freezing_threshold : opt nat; reserved_cycles_limit : opt nat; log_visibility : opt
    log_visibility;
  wasm_memory_limit : opt nat; wasm_memory_threshold : opt nat;
  environment_variables : opt vec record { name : text; value : text }; log_memory_limit : opt nat;
};
type NotifyTopUpArg = record { block_index : BlockIndex; canister_id : principal };
type SubnetSelection = variant { Subnet : record { subnet : principal }; Filter : record {
  subnet_type : opt text } };
type CreateCanisterArg = record {
  settings : opt CanisterSettings; subnet_type : opt text; subnet_selection : opt SubnetSelection;
};
type NotifyCreateCanisterArg = record {
  block_index : BlockIndex; controller : principal; subnet_type : opt text;
  subnet_selection : opt SubnetSelection; settings : opt CanisterSettings;
};
type CreateCanisterError = variant { Refunded : record { refund_amount : nat; create_error : text
  } };
type NotifyError = variant {
  Refunded : record { reason : text; block_index : opt BlockIndex };
  Processing;
  TransactionTooOld : BlockIndex;
  InvalidTransaction : text;
  Other : record { error_code : nat64; error_message : text };
};
type NotifyMintCyclesArg = record {
  block_index : BlockIndex; to_subaccount : opt blob; deposit_memo : opt blob;
};
type NotifyMintCyclesSuccess = record { block_index : nat; minted : nat; balance : nat };
type IcpXdrConversionRate = record { timestamp_seconds : nat64; xdr_permyriad_per_icp : nat64 };
type UpdateIcpXdrConversionRatePayload = record {
  data_source : text; timestamp_seconds : nat64; xdr_permyriad_per_icp : nat64;
  reason : opt variant { OldRate; DivergedRate; EnableAutomaticExchangeRateUpdates };
};
type SubnetListWithType = record { subnets : vec principal; subnet_type : text };
service : {
  notify_top_up : (NotifyTopUpArg) -> (variant { Ok : nat; Err : NotifyError });
  notify_mint_cycles : (NotifyMintCyclesArg) -> (variant { Ok : NotifyMintCyclesSuccess; Err :
    NotifyError });
  create_canister : (CreateCanisterArg) -> (variant { Ok : principal; Err : CreateCanisterError });
  notify_create_canister : (NotifyCreateCanisterArg) -> (variant { Ok : principal; Err :
    NotifyError });
  get_icp_xdr_conversion_rate : () -> (record { data : IcpXdrConversionRate; hash_tree : blob;
    certificate : blob }) query;
  get_subnet_types_to_subnets : () -> (record { data : vec record { text; vec principal } }) query;
  get_principals_authorized_to_create_canisters_to_subnets : () ->
    (record { data : vec record { principal; vec principal } }) query;
  get_default_subnets : () -> (vec principal) query;
  get_build_metadata : () -> (text) query;
  set_authorized_subnetwork_list : (record { who : opt principal; subnets : vec principal }) -> ();
  update_subnet_type : (variant { Add : text; Remove : text }) -> ();
  change_subnet_type_assignment : (variant { Add : SubnetListWithType; Remove : SubnetListWithType
    }) -> ();
  set_icp_xdr_conversion_rate : (UpdateIcpXdrConversionRatePayload) -> (variant { Ok; Err : text });
  get_average_icp_xdr_conversion_rate : () -> (record { data : IcpXdrConversionRate; hash_tree :
    blob; certificate : blob }) query;
  neuron_maturity_modulation : () -> (variant { Ok : int32; Err : text }) query;
}
"""

CMC_INTERFACE: Final = parse_did(CMC_DID)


def arguments(method: str) -> list[CandidType]:
    return list(CMC_INTERFACE.method(method).arguments)


def results(method: str) -> list[CandidType]:
    return list(CMC_INTERFACE.method(method).results)
