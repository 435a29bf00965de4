"""The proposal actions of chain evolution, built as governance's Candid expects them.

Each `ProposalAction` is a ready `action` value of `MakeProposalRequest`, the
topic governance files it under, and, for the registry's functions, the NNS
function id and the Candid payload blob that the registry decodes on
adoption (rs/nns/governance/src/proposals/ and the registry's
`do_*` mutations in rs/registry/canister/src/mutations/).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nns.governance.enums import Topic
from nns.governance.nns_functions import TARGETS, NnsFunction
from registry.interface import payload_candid_type
from replica.candid import encode
from replica.types import Principal
from tui.ops.errors import UsageError
from tui.ops.ledger import parse_principal


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposalAction:
    kind: str
    topic: Topic
    action: dict[str, Any]
    summary_of_action: dict[str, Any]
    nns_function: int | None = None
    payload: bytes | None = None


def _registry_action(kind: str, function: NnsFunction, payload: dict[str, Any]) -> ProposalAction:
    blob = encode([payload_candid_type(int(function))], [payload])
    shown = {
        key: (
            value.to_text()
            if isinstance(value, Principal)
            else [v.to_text() if isinstance(v, Principal) else v for v in value]
            if isinstance(value, list)
            else value
        )
        for key, value in payload.items()
        if value is not None
    }
    return ProposalAction(
        kind=kind,
        topic=TARGETS[function].topic,
        nns_function=int(function),
        payload=blob,
        action={"ExecuteNnsFunction": {"nns_function": int(function), "payload": blob}},
        summary_of_action={"nns_function": function.name, "payload": shown},
    )


def principals(texts: tuple[str, ...] | list[str]) -> list[Principal]:
    return [parse_principal(text) for text in texts]


def motion(text: str) -> ProposalAction:
    return ProposalAction(
        kind="motion",
        topic=Topic.GOVERNANCE,
        action={"Motion": {"motion_text": text}},
        summary_of_action={"motion_text": text},
    )


def create_subnet(
    nodes: list[str],
    *,
    replica_version: str,
    subnet_type: str = "application",
    dkg_interval_length: int = 19,
    unit_delay_millis: int = 1000,
    initial_notary_delay_millis: int = 600,
) -> ProposalAction:
    if subnet_type not in ("application", "verified_application", "system", "cloud_engine"):
        raise UsageError(f"unknown subnet type {subnet_type!r}")
    payload = {
        "node_ids": principals(nodes),
        "subnet_type": {subnet_type: None},
        "replica_version_id": replica_version,
        "dkg_interval_length": dkg_interval_length,
        "unit_delay_millis": unit_delay_millis,
        "initial_notary_delay_millis": initial_notary_delay_millis,
        "max_ingress_bytes_per_message": None,
        "max_ingress_messages_per_block": None,
        "max_block_payload_size": None,
        "start_as_nns": None,
        "is_halted": None,
        "subnet_id_override": None,
    }
    return _registry_action("create-subnet", NnsFunction.CREATE_SUBNET, payload)


def add_nodes_to_subnet(subnet: str, nodes: list[str]) -> ProposalAction:
    return _registry_action(
        "add-nodes",
        NnsFunction.ADD_NODE_TO_SUBNET,
        {"subnet_id": parse_principal(subnet), "node_ids": principals(nodes)},
    )


def remove_nodes_from_subnet(nodes: list[str]) -> ProposalAction:
    return _registry_action(
        "remove-nodes", NnsFunction.REMOVE_NODES_FROM_SUBNET, {"node_ids": principals(nodes)}
    )


def change_subnet_membership(subnet: str, add: list[str], remove: list[str]) -> ProposalAction:
    return _registry_action(
        "change-membership",
        NnsFunction.CHANGE_SUBNET_MEMBERSHIP,
        {
            "subnet_id": parse_principal(subnet),
            "node_ids_add": principals(add),
            "node_ids_remove": principals(remove),
        },
    )


UPDATE_SUBNET_FIELDS = (
    "max_ingress_bytes_per_message",
    "max_ingress_messages_per_block",
    "max_block_payload_size",
    "unit_delay_millis",
    "initial_notary_delay_millis",
    "dkg_interval_length",
    "dkg_dealings_per_block",
    "start_as_nns",
    "is_halted",
    "halt_at_cup_height",
    "max_number_of_canisters",
    "ssh_readonly_access",
    "ssh_backup_access",
)


def update_subnet(
    subnet: str,
    *,
    is_halted: bool | None = None,
    dkg_interval_length: int | None = None,
    unit_delay_millis: int | None = None,
) -> ProposalAction:
    payload: dict[str, Any] = dict.fromkeys(UPDATE_SUBNET_FIELDS)
    payload.update(
        subnet_id=parse_principal(subnet),
        is_halted=is_halted,
        dkg_interval_length=dkg_interval_length,
        unit_delay_millis=unit_delay_millis,
    )
    if all(payload[name] is None for name in UPDATE_SUBNET_FIELDS):
        raise UsageError(
            "update-subnet changes nothing: give --halt, --unhalt, --dkg-interval or "
            "--unit-delay-ms"
        )
    return _registry_action("update-subnet", NnsFunction.UPDATE_CONFIG_OF_SUBNET, payload)


def elect_replica_version(
    version: str, *, urls: list[str], sha256_hex: str | None = None, package: bytes | None = None
) -> ProposalAction:
    digest = sha256_hex or (hashlib.sha256(package).hexdigest() if package is not None else None)
    if digest is None:
        raise UsageError("electing a version needs --sha256 (or --package FILE to hash)")
    return _registry_action(
        "elect-version",
        NnsFunction.REVISE_ELECTED_GUESTOS_VERSIONS,
        {
            "replica_version_to_elect": version,
            "release_package_sha256_hex": digest,
            "release_package_urls": list(urls),
            "replica_versions_to_unelect": [],
        },
    )


def retire_replica_versions(versions: list[str]) -> ProposalAction:
    return _registry_action(
        "retire-version",
        NnsFunction.REVISE_ELECTED_GUESTOS_VERSIONS,
        {
            "replica_version_to_elect": None,
            "release_package_sha256_hex": None,
            "release_package_urls": [],
            "replica_versions_to_unelect": list(versions),
        },
    )


def recover_subnet(
    subnet: str,
    *,
    height: int,
    time_ns: int,
    state_hash: bytes,
    replacement_nodes: list[str] | None = None,
) -> ProposalAction:
    """RecoverSubnet (NNS function 6): a recovery CUP at `height` with the state hash the members'
    checkpoint has there, and new threshold keys (`do_recover_subnet.rs`)."""
    return _registry_action(
        "recover-subnet",
        NnsFunction.RECOVER_SUBNET,
        {
            "subnet_id": parse_principal(subnet),
            "height": height,
            "time_ns": time_ns,
            "state_hash": state_hash,
            "replacement_nodes": (
                None if replacement_nodes is None else principals(replacement_nodes)
            ),
            "registry_store_uri": None,
            "chain_key_config": None,
        },
    )


def deploy_to_subnet(subnet: str, version: str) -> ProposalAction:
    return _registry_action(
        "deploy-subnet",
        NnsFunction.DEPLOY_GUESTOS_TO_ALL_SUBNET_NODES,
        {"subnet_id": parse_principal(subnet), "replica_version_id": version},
    )


def deploy_to_unassigned(version: str) -> ProposalAction:
    return _registry_action(
        "deploy-unassigned",
        NnsFunction.DEPLOY_GUESTOS_TO_ALL_UNASSIGNED_NODES,
        {"elected_replica_version": version},
    )


def add_node_operator(
    operator: str, provider: str, *, allowance: int, data_center: str
) -> ProposalAction:
    return _registry_action(
        "add-node-operator",
        NnsFunction.ASSIGN_NOID,
        {
            "node_operator_principal_id": parse_principal(operator),
            "node_provider_principal_id": parse_principal(provider),
            "node_allowance": allowance,
            "dc_id": data_center,
            "ipv6": None,
            "rewardable_nodes": [],
            "max_rewardable_nodes": None,
        },
    )


def data_centers(add: list[str], remove: list[str]) -> ProposalAction:
    """`add` entries are `id:region:owner`."""
    records = []
    for entry in add:
        parts = entry.split(":")
        if len(parts) != 3 or not all(parts):
            raise UsageError(f"a data center is id:region:owner, not {entry!r}")
        records.append({"id": parts[0], "region": parts[1], "owner": parts[2]})
    return _registry_action(
        "data-centers",
        NnsFunction.ADD_OR_REMOVE_DATA_CENTERS,
        {"data_centers_to_add": records, "data_centers_to_remove": list(remove)},
    )


INSTALL_MODES = {"install": 1, "reinstall": 2, "upgrade": 3}


def install_code(
    canister: str, wasm: bytes, *, mode: str = "upgrade", arg: bytes = b""
) -> ProposalAction:
    if mode not in INSTALL_MODES:
        raise UsageError(f"install mode is one of {', '.join(INSTALL_MODES)}")
    request = {
        "canister_id": parse_principal(canister),
        "wasm_module": wasm,
        "arg": arg,
        "install_mode": INSTALL_MODES[mode],
        "skip_stopping_before_installing": None,
    }
    return ProposalAction(
        kind="install-code",
        topic=Topic.PROTOCOL_CANISTER_MANAGEMENT,
        action={"InstallCode": request},
        summary_of_action={
            "canister_id": canister,
            "install_mode": mode,
            "wasm_module_hash": hashlib.sha256(wasm).hexdigest(),
            "arg_hash": hashlib.sha256(arg).hexdigest(),
        },
    )


def register_known_neuron(
    neuron_id: int, name: str, description: str | None = None
) -> ProposalAction:
    data = {"name": name, "description": description, "links": None}
    return ProposalAction(
        kind="register-known-neuron",
        topic=Topic.GOVERNANCE,
        action={"RegisterKnownNeuron": {"id": {"id": neuron_id}, "known_neuron_data": data}},
        summary_of_action={"neuron_id": neuron_id, "name": name, "description": description},
    )


ECONOMICS_FIELDS = (
    "reject_cost_e8s",
    "neuron_minimum_stake_e8s",
    "neuron_management_fee_per_proposal_e8s",
    "minimum_icp_xdr_rate",
    "neuron_spawn_dissolve_delay_seconds",
    "maximum_node_provider_rewards_e8s",
    "transaction_fee_e8s",
    "max_proposals_to_keep_per_topic",
)
VOTING_POWER_FIELDS = (
    "start_reducing_voting_power_after_seconds",
    "clear_following_after_seconds",
    "neuron_minimum_dissolve_delay_to_vote_seconds",
)


def manage_network_economics(changes: Mapping[str, int | None]) -> ProposalAction:
    """ManageNetworkEconomics with the given fields; every field left out (zero) keeps its value.

    Governance reads a zero or absent field as "unchanged" and validates the
    result as a whole (`NetworkEconomics` in rs/nns/governance/src/network_economics.rs).
    """
    given = {name: value for name, value in changes.items() if value is not None}
    unknown = sorted(set(given) - {*ECONOMICS_FIELDS, *VOTING_POWER_FIELDS})
    if unknown:
        raise UsageError(f"not a network economics parameter: {', '.join(unknown)}")
    if not given:
        raise UsageError("give at least one parameter to change")
    if any(value <= 0 for value in given.values()):
        raise UsageError("a parameter is positive (zero means unchanged on the IC)")
    voting = {name: given.get(name) for name in VOTING_POWER_FIELDS}
    economics: dict[str, Any] = {name: given.get(name, 0) for name in ECONOMICS_FIELDS}
    economics["voting_power_economics"] = (
        voting if any(value is not None for value in voting.values()) else None
    )
    economics["neurons_fund_economics"] = None
    return ProposalAction(
        kind="network-economics",
        topic=Topic.NETWORK_ECONOMICS,
        action={"ManageNetworkEconomics": economics},
        summary_of_action=dict(sorted(given.items())),
    )
