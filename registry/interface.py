"""The registry canister's Candid interface, and the Candid form of proposal payloads.

Mutation methods take the payload records of the official registry interface
(field names as in `registry.did`), add_node among them (called by a node
operator, endpoints as `address:port` text); queries answer the latest version,
the log's deltas and the subnet of a canister id. Deliberate difference: the IC's registry answers
`get_value` and
`get_changes_since` in protobuf; icbox answers in Candid, with each value as the
canonical CBOR of its record.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Final

from registry.canister import Registry
from registry.errors import InvalidPayload
from registry.node_rewards import NodeRewardRate
from registry.records import (
    CanisterCyclesCostSchedule,
    DataCenterRecord,
    Endpoint,
    SubnetFeatures,
    SubnetType,
)
from registry.requests import PAYLOAD_TYPES, REGISTRY_METHODS, AddNodePayload, UpdateSubnetPayload
from replica.candid import decode
from replica.candid.did import parse_did
from replica.candid.types import CandidType
from replica.canister.sdk import Interface, MethodSpec
from replica.types import Principal

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

REGISTRY_INTERFACE: Final = parse_did(REGISTRY_DID)

_SUBNET_TYPES: Final = {
    "application": SubnetType.APPLICATION,
    "verified_application": SubnetType.VERIFIED_APPLICATION,
    "system": SubnetType.SYSTEM,
    "cloud_engine": SubnetType.CLOUD_ENGINE,
}


_COST_SCHEDULES: Final = {
    "Normal": CanisterCyclesCostSchedule.NORMAL,
    "Free": CanisterCyclesCostSchedule.FREE,
}

# UpdateSubnetPayload's gossip settings: still in the official payload, read by no IC replica any
# more.
_GOSSIP_FIELDS: Final = (
    "max_duplicity",
    "pfn_evaluation_period_ms",
    "retransmission_request_ms",
    "registry_poll_period_ms",
    "max_chunk_wait_ms",
    "receive_check_cache_size",
    "max_chunk_size",
    "max_artifact_streams_per_peer",
)


def _node_counts(entries: list[dict[str, Any]]) -> tuple[tuple[str, int], ...]:
    return tuple((entry["0"], entry["1"]) for entry in entries)


def _data_center(entry: dict[str, Any]) -> DataCenterRecord:
    gps = entry.get("gps")
    return DataCenterRecord(
        id=entry["id"],
        region=entry["region"],
        owner=entry["owner"],
        latitude=None if gps is None else gps["latitude"],
        longitude=None if gps is None else gps["longitude"],
    )


def _convert(name: str, item: Any) -> Any:
    if name == "subnet_type" and isinstance(item, dict):
        (tag,) = item
        return _SUBNET_TYPES[tag]
    if name == "features":
        return SubnetFeatures(
            canister_sandboxing=item["canister_sandboxing"],
            http_requests=item["http_requests"],
            sev_enabled=item.get("sev_enabled"),
        )
    if name == "canister_cycles_cost_schedule":
        (tag,) = item
        return _COST_SCHEDULES[tag]
    if name in ("rewardable_nodes", "max_rewardable_nodes"):
        return _node_counts(item)
    if name == "new_entries":
        return tuple(
            (
                entry["0"],
                tuple(
                    (
                        rate["0"],
                        NodeRewardRate(
                            xdr_permyriad_per_node_per_month=rate["1"][
                                "xdr_permyriad_per_node_per_month"
                            ],
                            reward_coefficient_percent=rate["1"]["reward_coefficient_percent"],
                        ),
                    )
                    for rate in entry["1"]["rates"]
                ),
            )
            for entry in item
        )
    if name == "data_centers_to_add":
        return tuple(_data_center(entry) for entry in item)
    if isinstance(item, list):
        return tuple(item)
    return item


def payload_from_candid(payload_type: type, value: dict[str, Any]) -> Any:
    """Build a payload record from its Candid value (fields by name; absent opts keep defaults).

    Every field of the official payload is declared in the Candid type, so none is skipped
    unread: the ones icbox stores become the record's fields, the ones it cannot honour are
    kept for `validate()` to refuse with a clear error.
    """
    arguments: dict[str, Any] = {}
    for field in dataclasses.fields(payload_type):
        if field.name not in value or value[field.name] is None:
            continue
        arguments[field.name] = _convert(field.name, value[field.name])
    if payload_type is UpdateSubnetPayload:
        gossip = [name for name in _GOSSIP_FIELDS if value.get(name) is not None]
        if value.get("set_gossip_config_to_default"):
            gossip.append("set_gossip_config_to_default")
        arguments["obsolete_gossip_fields"] = tuple(gossip)
    return payload_type(**arguments)


def payload_candid_type(nns_function: int) -> CandidType:
    method = REGISTRY_METHODS[nns_function]
    return REGISTRY_INTERFACE.method(method).arguments[0]


def decode_payload(nns_function: int, data: bytes) -> Any:
    """An ExecuteNnsFunction payload blob as the registry's typed payload."""
    (value,) = decode(data, [payload_candid_type(nns_function)])
    return payload_from_candid(PAYLOAD_TYPES[nns_function], value)


def parse_endpoint(text: str) -> Endpoint:
    """`1.2.3.4:4100` or `[2001:db8::1]:4100`, as the official add_node takes endpoints."""
    host, separator, port = text.rpartition(":")
    if not separator or not port.isdigit():
        raise InvalidPayload(f"not an endpoint of the form address:port: {text!r}")
    return Endpoint(ip_addr=host.removeprefix("[").removesuffix("]"), port=int(port))


def _add_node_payload(value: dict[str, Any]) -> AddNodePayload:
    return AddNodePayload(
        node_signing_public_key_der=value["node_signing_pk"],
        committee_signing_public_key=value["committee_signing_pk"],
        dkg_dealing_encryption_public_key=value["ni_dkg_dealing_encryption_pk"],
        transport_tls_certificate_der=value["transport_tls_cert"],
        xnet_endpoint=parse_endpoint(value["xnet_endpoint"]),
        http_endpoint=parse_endpoint(value["http_endpoint"]),
        domain=value["domain"],
        idkg_dealing_encryption_public_key=value["idkg_dealing_encryption_pk"],
        node_reward_type=value["node_reward_type"],
        chip_id=value["chip_id"],
        public_ipv4_config=value["public_ipv4_config"],
    )


def _canister_argument(values: list[Any]) -> Principal:
    canister: Principal | None = values[0]["principal"]
    if canister is None:
        raise InvalidPayload("get_subnet_for_canister needs a principal")
    return canister


def _mutation(name: str, payload_type: type) -> MethodSpec:
    signature = REGISTRY_INTERFACE.method(name)
    # create_subnet answers the official CreateSubnetResponse; the other mutations answer nothing.
    to_results: Callable[[Any], list[Any]] = (
        (lambda subnet_id: [{"Ok": {"new_subnet_id": subnet_id}}])
        if name == "create_subnet"
        else (lambda reply: [])
    )
    return MethodSpec(
        name=name,
        mode="update",
        arguments=signature.arguments,
        results=signature.results,
        to_argument=lambda values: payload_from_candid(payload_type, values[0]),
        to_results=to_results,
    )


def registry_interface(registry: object) -> Interface:
    if not isinstance(registry, Registry):
        raise TypeError("registry_interface needs a Registry")
    specs: list[MethodSpec] = [
        _mutation(REGISTRY_METHODS[f], PAYLOAD_TYPES[f]) for f in sorted(REGISTRY_METHODS)
    ]
    # The IC keeps revise_elected_replica_versions as the old name of
    # revise_elected_guestos_versions.
    elect = REGISTRY_INTERFACE.method("revise_elected_guestos_versions")
    elect_payload = PAYLOAD_TYPES[38]
    specs.append(
        MethodSpec(
            name="revise_elected_replica_versions",
            mode="update",
            arguments=elect.arguments,
            results=elect.results,
            to_argument=lambda values: payload_from_candid(elect_payload, values[0]),
            to_results=lambda reply: [],
            python_name="revise_elected_guestos_versions",
        )
    )
    build = REGISTRY_INTERFACE.method("get_build_metadata")
    specs.append(
        MethodSpec(
            name="get_build_metadata",
            mode="query",
            arguments=build.arguments,
            results=build.results,
            to_argument=lambda values: None,
            to_results=lambda text: [text],
        )
    )
    latest = REGISTRY_INTERFACE.method("get_latest_version")
    changes = REGISTRY_INTERFACE.method("get_changes_since")
    to_changes: Callable[[Any], list[Any]] = lambda reply: [  # noqa: E731
        {
            "deltas": [
                {
                    "key": delta.key,
                    "values": [{"version": v, "value": data} for v, data in delta.values],
                }
                for delta in reply[0]
            ],
            "version": reply[1],
        }
    ]
    add_node = REGISTRY_INTERFACE.method("add_node")
    subnet_for = REGISTRY_INTERFACE.method("get_subnet_for_canister")
    monthly = REGISTRY_INTERFACE.method("get_node_providers_monthly_xdr_rewards")
    specs += [
        MethodSpec(
            name="add_node",
            mode="update",
            arguments=add_node.arguments,
            results=add_node.results,
            to_argument=lambda values: _add_node_payload(values[0]),
            to_results=lambda node_id: [node_id],
        ),
        MethodSpec(
            name="get_subnet_for_canister",
            mode="query",
            arguments=subnet_for.arguments,
            results=subnet_for.results,
            to_argument=_canister_argument,
            to_results=lambda subnet: [{"Ok": {"subnet_id": subnet}}],
            error_results=lambda error: [{"Err": str(error)}],
        ),
        MethodSpec(
            name="get_node_providers_monthly_xdr_rewards",
            mode="query",
            arguments=monthly.arguments,
            results=monthly.results,
            to_argument=lambda values: (values[0] or {}).get("registry_version"),
            to_results=lambda reply: [
                {
                    "Ok": {
                        "rewards": [(provider.to_text(), xdr) for provider, xdr in reply[0]],
                        "registry_version": reply[1],
                    }
                }
            ],
            error_results=lambda error: [{"Err": str(error)}],
        ),
        MethodSpec(
            name="get_latest_version",
            mode="query",
            arguments=latest.arguments,
            results=latest.results,
        ),
        MethodSpec(
            name="get_changes_since",
            mode="query",
            arguments=changes.arguments,
            results=changes.results,
            to_argument=lambda values: values[0],
            to_results=to_changes,
        ),
    ]
    return Interface(methods={spec.name: spec for spec in specs})
