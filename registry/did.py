"""The registry canister's Candid interface (`registry.did` field names): text only, so a
client imports no canister code."""

from __future__ import annotations

from typing import Final

REGISTRY_DID: Final = """
type SubnetType = variant { application; verified_application; system; cloud_engine };
type SubnetFeatures = record { canister_sandboxing : bool; http_requests : bool; sev_enabled : opt
  bool };
type CanisterCyclesCostSchedule = variant { Normal; Free };
type MasterPublicKeyId = variant {
  Schnorr : record { algorithm : variant { ed25519; bip340secp256k1 }; name : text };
  Ecdsa : record { name : text; curve : variant { secp256k1 } };
  VetKd : record { curve : variant { bls12_381_g2 }; name : text };
};
type KeyConfig = record {
  key_id : opt MasterPublicKeyId; pre_signatures_to_create_in_advance : opt nat32; max_queue_size
    : opt nat32;
};
type InitialChainKeyConfig = record {
  key_configs : vec record { key_config : opt KeyConfig; subnet_id : opt principal };
  signature_request_timeout_ns : opt nat64; idkg_key_rotation_period_ms : opt nat64;
  max_parallel_pre_signature_transcripts_in_creation : opt nat32;
};
type ChainKeyConfig = record {
  key_configs : vec KeyConfig; signature_request_timeout_ns : opt nat64;
    idkg_key_rotation_period_ms : opt nat64;
  max_parallel_pre_signature_transcripts_in_creation : opt nat32;
};
type CreateSubnetPayload = record {
  node_ids : vec principal; subnet_type : SubnetType; replica_version_id : text;
  dkg_interval_length : nat64; unit_delay_millis : nat64; initial_notary_delay_millis : nat64;
  max_ingress_bytes_per_message : opt nat64; max_ingress_messages_per_block : opt nat64;
  max_block_payload_size : opt nat64; start_as_nns : opt bool; is_halted : opt bool;
  subnet_id_override : opt principal; features : opt SubnetFeatures; dkg_dealings_per_block : opt
    nat64;
  max_number_of_canisters : opt nat64; chain_key_config : opt InitialChainKeyConfig;
  ssh_backup_access : opt vec text; ssh_readonly_access : opt vec text;
  canister_cycles_cost_schedule : opt CanisterCyclesCostSchedule;
  ingress_bytes_per_block_soft_cap : opt nat64; gossip_max_artifact_streams_per_peer : opt nat32;
  gossip_max_chunk_size : opt nat32; gossip_max_chunk_wait_ms : opt nat32; gossip_max_duplicity :
    opt nat32;
  gossip_pfn_evaluation_period_ms : opt nat32; gossip_receive_check_cache_size : opt nat32;
  gossip_registry_poll_period_ms : opt nat32; gossip_retransmission_request_ms : opt nat32;
};
type CreateSubnetResponse = variant { Ok : record { new_subnet_id : opt principal }; Err : text };
type AddNodesToSubnetPayload = record { subnet_id : principal; node_ids : vec principal };
type RemoveNodesFromSubnetPayload = record { node_ids : vec principal };
type ChangeSubnetMembershipPayload = record {
  subnet_id : principal; node_ids_add : vec principal; node_ids_remove : vec principal;
};
type UpdateSubnetPayload = record {
  subnet_id : principal; max_ingress_bytes_per_message : opt nat64; max_ingress_messages_per_block
    : opt nat64;
  max_block_payload_size : opt nat64; unit_delay_millis : opt nat64; initial_notary_delay_millis :
    opt nat64;
  dkg_interval_length : opt nat64; dkg_dealings_per_block : opt nat64; start_as_nns : opt bool;
  is_halted : opt bool; halt_at_cup_height : opt bool; max_number_of_canisters : opt nat64;
  ssh_readonly_access : opt vec text; ssh_backup_access : opt vec text; subnet_type : opt
    SubnetType;
  features : opt SubnetFeatures; chain_key_config : opt ChainKeyConfig;
  chain_key_signing_enable : opt vec MasterPublicKeyId; chain_key_signing_disable : opt vec
    MasterPublicKeyId;
  set_gossip_config_to_default : opt bool; max_duplicity : opt nat32; pfn_evaluation_period_ms :
    opt nat32;
  retransmission_request_ms : opt nat32; registry_poll_period_ms : opt nat32; max_chunk_wait_ms :
    opt nat32;
  receive_check_cache_size : opt nat32; max_chunk_size : opt nat32; max_artifact_streams_per_peer
    : opt nat32;
};
type RecoverSubnetPayload = record {
  subnet_id : principal; height : nat64; time_ns : nat64; state_hash : blob; replacement_nodes :
    opt vec principal;
  registry_store_uri : opt record { text; text; nat64 }; chain_key_config : opt
    InitialChainKeyConfig;
};
type ReviseElectedGuestosVersionsPayload = record {
  replica_version_to_elect : opt text; release_package_sha256_hex : opt text;
  release_package_urls : vec text; replica_versions_to_unelect : vec text;
  guest_launch_measurements : opt record {
    guest_launch_measurements : vec record { metadata : opt record { kernel_cmdline : text };
      measurement : blob };
  };
};
type DeployGuestosToAllSubnetNodesPayload = record { subnet_id : principal; replica_version_id :
  text };
type DeployGuestosToAllUnassignedNodesPayload = record { elected_replica_version : text };
type AddNodeOperatorPayload = record {
  node_operator_principal_id : opt principal; node_provider_principal_id : opt principal;
    node_allowance : nat64;
  dc_id : text; ipv6 : opt text; rewardable_nodes : vec record { text; nat32 };
  max_rewardable_nodes : opt vec record { text; nat32 };
};
type UpdateNodeOperatorConfigPayload = record {
  node_operator_id : opt principal; node_allowance : opt nat64; dc_id : opt text; node_provider_id
    : opt principal;
  ipv6 : opt text; set_ipv6_to_none : opt bool; rewardable_nodes : vec record { text; nat32 };
  max_rewardable_nodes : opt vec record { text; nat32 };
};
type RemoveNodesPayload = record { node_ids : vec principal };
type DataCenterRecord = record {
  id : text; region : text; owner : text; gps : opt record { latitude : float32; longitude :
    float32 };
};
type AddOrRemoveDataCentersProposalPayload = record {
  data_centers_to_add : vec DataCenterRecord; data_centers_to_remove : vec text;
};
type AddNodePayload = record {
  node_signing_pk : blob; committee_signing_pk : blob; ni_dkg_dealing_encryption_pk : blob;
    transport_tls_cert : blob;
  xnet_endpoint : text; http_endpoint : text; domain : opt text; idkg_dealing_encryption_pk : opt
    blob;
  node_reward_type : opt text; chip_id : opt blob; public_ipv4_config : opt record {
    prefix_length : nat32; gateway_ip_addr : text; ip_addr : text;
  };
  prometheus_metrics_endpoint : opt text; p2p_flow_endpoints : opt vec text;
};
type NodeRewardRate = record {
  xdr_permyriad_per_node_per_month : nat64; reward_coefficient_percent : opt int32;
};
type NodeRewardRates = record { rates : vec record { text; NodeRewardRate } };
type UpdateNodeRewardsTableProposalPayload = record {
  new_entries : vec record { text; NodeRewardRates };
};
type GetNodeProvidersMonthlyXdrRewardsRequest = record { registry_version : opt nat64 };
type GetNodeProvidersMonthlyXdrRewardsResponse = variant {
  Ok : record { rewards : vec record { text; nat64 }; registry_version : opt nat64 };
  Err : text;
};
type Delta = record { key : text; values : vec record { version : nat64; value : opt blob } };
service : {
  get_latest_version : () -> (nat64) query;
  get_changes_since : (nat64) -> (record { deltas : vec Delta; version : nat64 }) query;
  create_subnet : (CreateSubnetPayload) -> (CreateSubnetResponse);
  add_nodes_to_subnet : (AddNodesToSubnetPayload) -> ();
  remove_nodes_from_subnet : (RemoveNodesFromSubnetPayload) -> ();
  change_subnet_membership : (ChangeSubnetMembershipPayload) -> ();
  update_subnet : (UpdateSubnetPayload) -> ();
  recover_subnet : (RecoverSubnetPayload) -> ();
  revise_elected_guestos_versions : (ReviseElectedGuestosVersionsPayload) -> ();
  deploy_guestos_to_all_subnet_nodes : (DeployGuestosToAllSubnetNodesPayload) -> ();
  deploy_guestos_to_all_unassigned_nodes : (DeployGuestosToAllUnassignedNodesPayload) -> ();
  add_node_operator : (AddNodeOperatorPayload) -> ();
  update_node_operator_config : (UpdateNodeOperatorConfigPayload) -> ();
  remove_nodes : (RemoveNodesPayload) -> ();
  add_or_remove_data_centers : (AddOrRemoveDataCentersProposalPayload) -> ();
  update_node_rewards_table : (UpdateNodeRewardsTableProposalPayload) -> ();
  get_node_providers_monthly_xdr_rewards : (opt GetNodeProvidersMonthlyXdrRewardsRequest) ->
    (GetNodeProvidersMonthlyXdrRewardsResponse) query;
  add_node : (AddNodePayload) -> (principal);
  get_build_metadata : () -> (text) query;
  get_subnet_for_canister : (record { "principal" : opt principal }) ->
    (variant { Ok : record { subnet_id : opt principal }; Err : text }) query;
}
"""
