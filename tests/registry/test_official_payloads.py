"""Every field of the official registry payloads (rs/registry/canister/canister/registry.did) is
read: what the IC stores is stored and returned, a value icbox cannot honour is refused with an
error naming it. Payloads arrive as Candid, exactly as in an ExecuteNnsFunction proposal."""

from __future__ import annotations

from typing import Any

import pytest

from registry.errors import InvalidPayload
from registry.interface import decode_payload, payload_candid_type
from registry.records import (
    CanisterCyclesCostSchedule,
    SubnetFeatures,
    SubnetType,
    node_operator_record_key,
)
from replica.candid import encode
from replica.types import Principal
from tests.registry.world import GOVERNANCE, make_registry


def payload(function: int, value: dict[str, Any]) -> Any:
    return decode_payload(function, encode([payload_candid_type(function)], [value]))


def create_subnet_value(node_ids: list[Principal], **changes: Any) -> dict[str, Any]:
    """A CreateSubnetPayload as ic-admin sends it: every non-opt field present."""
    value: dict[str, Any] = {
        "node_ids": node_ids,
        "subnet_type": {"application": None},
        "replica_version_id": "0.1.0",
        "dkg_interval_length": 99,
        "unit_delay_millis": 1_000,
        "initial_notary_delay_millis": 600,
        "max_ingress_bytes_per_message": 2_097_152,
        "max_ingress_messages_per_block": 1_000,
        "max_block_payload_size": 4_194_304,
        "start_as_nns": False,
        "is_halted": False,
        "dkg_dealings_per_block": 1,
        "features": {"canister_sandboxing": True, "http_requests": True, "sev_enabled": None},
        "max_number_of_canisters": 120_000,
        "ssh_readonly_access": ["ssh-ed25519 AAAA reader"],
        "ssh_backup_access": ["ssh-ed25519 AAAA backup"],
        "canister_cycles_cost_schedule": {"Free": None},
        "chain_key_config": None,
        "subnet_id_override": None,
        "ingress_bytes_per_block_soft_cap": 0,
        "gossip_max_artifact_streams_per_peer": 20,
        "gossip_max_chunk_size": 4096,
        "gossip_max_chunk_wait_ms": 15_000,
        "gossip_max_duplicity": 1,
        "gossip_pfn_evaluation_period_ms": 3_000,
        "gossip_receive_check_cache_size": 5_000,
        "gossip_registry_poll_period_ms": 3_000,
        "gossip_retransmission_request_ms": 60_000,
    }
    value.update(changes)
    return value


def test_create_subnet_stores_features_type_limits_access_and_cost_schedule() -> None:
    world = make_registry()
    created = payload(1, create_subnet_value(world.unassigned[:1]))
    subnet_id = world.registry.create_subnet(GOVERNANCE, created)
    record = world.registry._subnet(subnet_id)
    assert record.features == SubnetFeatures(canister_sandboxing=True, http_requests=True)
    assert record.max_number_of_canisters == 120_000 and record.dkg_dealings_per_block == 1
    assert record.ssh_readonly_access == ("ssh-ed25519 AAAA reader",)
    assert record.ssh_backup_access == ("ssh-ed25519 AAAA backup",)
    assert record.canister_cycles_cost_schedule == CanisterCyclesCostSchedule.FREE


def test_create_subnet_refuses_chain_keys_and_sev() -> None:
    world = make_registry()
    key = {
        "key_configs": [{"key_config": None, "subnet_id": None}],
        "signature_request_timeout_ns": None,
        "idkg_key_rotation_period_ms": None,
        "max_parallel_pre_signature_transcripts_in_creation": None,
    }
    with pytest.raises(InvalidPayload, match="chain_key_config is not supported"):
        payload(1, create_subnet_value(world.unassigned[:1], chain_key_config=key)).validate()
    sev = {"canister_sandboxing": False, "http_requests": False, "sev_enabled": True}
    with pytest.raises(InvalidPayload, match="sev_enabled is not supported"):
        world.registry.create_subnet(
            GOVERNANCE, payload(1, create_subnet_value(world.unassigned[:1], features=sev))
        )


def update_subnet_value(subnet_id: Principal, **changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {"subnet_id": subnet_id, "set_gossip_config_to_default": False}
    value.update(changes)
    return value


def test_update_subnet_stores_features_and_type_and_refuses_what_it_cannot_honour() -> None:
    world = make_registry()
    features = {"canister_sandboxing": False, "http_requests": True, "sev_enabled": False}
    world.registry.update_subnet(
        GOVERNANCE,
        payload(
            7,
            update_subnet_value(
                world.app_subnet,
                features=features,
                subnet_type={"verified_application": None},
                max_number_of_canisters=7,
            ),
        ),
    )
    record = world.registry._subnet(world.app_subnet)
    assert record.features == SubnetFeatures(http_requests=True, sev_enabled=False)
    assert (
        record.subnet_type == SubnetType.VERIFIED_APPLICATION
        and record.max_number_of_canisters == 7
    )
    with pytest.raises(
        InvalidPayload,
        match="max_chunk_size, set_gossip_config_to_default: icbox subnets have no gossip",
    ):
        payload(
            7,
            update_subnet_value(
                world.app_subnet, max_chunk_size=10, set_gossip_config_to_default=True
            ),
        ).validate()
    with pytest.raises(InvalidPayload, match="chain_key_signing_enable is not supported"):
        payload(
            7,
            update_subnet_value(
                world.app_subnet,
                chain_key_signing_enable=[
                    {"Ecdsa": {"name": "key_1", "curve": {"secp256k1": None}}}
                ],
            ),
        ).validate()


def test_node_operator_ids_are_opt_principals_and_every_field_is_kept() -> None:
    world = make_registry()
    operator, provider = (
        Principal.self_authenticating(b"operator"),
        Principal.self_authenticating(b"provider"),
    )
    added = payload(
        8,
        {
            "node_operator_principal_id": operator,
            "node_provider_principal_id": provider,
            "node_allowance": 3,
            "dc_id": "zh1",
            "ipv6": "2001:db8::/64",
            "rewardable_nodes": [("type1", 2)],
            "max_rewardable_nodes": [("type1", 3)],
        },
    )
    world.registry.add_node_operator(GOVERNANCE, added)
    record = world.registry.registry.get(node_operator_record_key(operator))
    assert record.node_provider_principal_id == provider and record.ipv6 == "2001:db8::/64"
    assert record.rewardable_nodes == (("type1", 2),) and record.max_rewardable_nodes == (
        ("type1", 3),
    )
    with pytest.raises(InvalidPayload, match="node_operator_principal_id is missing"):
        payload(
            8,
            {
                "node_operator_principal_id": None,
                "node_provider_principal_id": provider,
                "node_allowance": 1,
                "dc_id": "",
                "rewardable_nodes": [],
            },
        ).validate()
    update = {
        "node_operator_id": operator,
        "rewardable_nodes": [],
        "set_ipv6_to_none": True,
        "node_allowance": 5,
    }
    world.registry.update_node_operator_config(GOVERNANCE, payload(16, update))
    record = world.registry.registry.get(node_operator_record_key(operator))
    assert record.ipv6 is None and record.node_allowance == 5
    with pytest.raises(InvalidPayload, match="node_operator_id is missing"):
        payload(16, {"node_operator_id": None, "rewardable_nodes": []}).validate()


def test_recover_subnet_and_version_election_refuse_what_icbox_cannot_honour() -> None:
    world = make_registry()
    recover = {
        "subnet_id": world.app_subnet,
        "height": 10,
        "time_ns": 1,
        "state_hash": bytes(32),
        "replacement_nodes": None,
        "registry_store_uri": ("https://example.org/store", "00", 3),
        "chain_key_config": None,
    }
    with pytest.raises(InvalidPayload, match="registry_store_uri is not supported"):
        payload(6, recover).validate()
    elect = {
        "replica_version_to_elect": "v2",
        "release_package_sha256_hex": "ab" * 32,
        "release_package_urls": ["https://example.org/v2.tar.zst"],
        "replica_versions_to_unelect": [],
        "guest_launch_measurements": {
            "guest_launch_measurements": [{"metadata": None, "measurement": b"m"}]
        },
    }
    with pytest.raises(InvalidPayload, match="guest_launch_measurements is not supported"):
        payload(38, elect).validate()


def test_data_centers_keep_their_gps_position() -> None:
    world = make_registry()
    added = payload(
        21,
        {
            "data_centers_to_add": [
                {
                    "id": "zh9",
                    "region": "Europe",
                    "owner": "Owner",
                    "gps": {"latitude": 47.5, "longitude": 8.5},
                }
            ],
            "data_centers_to_remove": [],
        },
    )
    assert (added.data_centers_to_add[0].latitude, added.data_centers_to_add[0].longitude) == (
        47.5,
        8.5,
    )
    world.registry.add_or_remove_data_centers(GOVERNANCE, added)
