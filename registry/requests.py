"""Payloads of the proposals that change the registry, and of node registration.

One record per NNS function that chain evolution needs (spec 4.1 ids, spec B
fields). `validate()` refuses what is malformed on its face; what depends on the
registry's state is checked by the mutation itself (and again by the
invariants). `PAYLOAD_TYPES` and `REGISTRY_METHODS` map NNS function ids to the
payload type and to the registry method an adopted proposal calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from registry.errors import InvalidPayload
from registry.node_rewards import UpdateNodeRewardsTableProposalPayload
from registry.records import (
    NO_SUBNET_FEATURES,
    CanisterCyclesCostSchedule,
    DataCenterRecord,
    Endpoint,
    SubnetFeatures,
    SubnetType,
)
from replica.types import Principal


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise InvalidPayload(message)


def _refuse_unsupported(value: object, field: str, reason: str) -> None:
    """A field of the official payload whose value icbox cannot honour is refused, never dropped."""
    _require(value is None, f"{field} is not supported: {reason}")


CHAIN_KEYS_UNSUPPORTED: Final = (
    "icbox subnets hold no chain keys (no threshold ECDSA, Schnorr or vetKD)"
)
SEV_UNSUPPORTED: Final = "icbox nodes do not run under AMD SEV-SNP"


def _unique_nodes(node_ids: tuple[Principal, ...], what: str) -> None:
    _require(len(set(node_ids)) == len(node_ids), f"{what} lists a node twice")


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateSubnetPayload:
    node_ids: tuple[Principal, ...]
    subnet_type: SubnetType
    replica_version_id: str
    dkg_interval_length: int
    unit_delay_millis: int
    initial_notary_delay_millis: int
    max_ingress_bytes_per_message: int = 2 * 1024 * 1024
    max_ingress_messages_per_block: int = 1_000
    max_block_payload_size: int = 4 * 1024 * 1024
    dkg_dealings_per_block: int = 1
    start_as_nns: bool = False
    is_halted: bool = False
    max_number_of_canisters: int = 0
    ssh_readonly_access: tuple[str, ...] = ()
    ssh_backup_access: tuple[str, ...] = ()
    subnet_id_override: Principal | None = None
    features: SubnetFeatures = NO_SUBNET_FEATURES
    canister_cycles_cost_schedule: CanisterCyclesCostSchedule = CanisterCyclesCostSchedule.NORMAL
    chain_key_config: object | None = None

    def validate(self) -> None:
        _refuse_unsupported(self.chain_key_config, "chain_key_config", CHAIN_KEYS_UNSUPPORTED)
        _require(
            not self.features.sev_enabled,
            f"features.sev_enabled is not supported: {SEV_UNSUPPORTED}",
        )
        _require(bool(self.node_ids), "a subnet needs at least one node")
        _unique_nodes(self.node_ids, "node_ids")
        _require(bool(self.replica_version_id), "replica_version_id is empty")
        _require(self.dkg_interval_length > 0, "dkg_interval_length must be positive")
        _require(self.unit_delay_millis > 0, "unit_delay_millis must be positive")
        _require(
            self.initial_notary_delay_millis > 0, "initial_notary_delay_millis must be positive"
        )
        _require(self.subnet_type != SubnetType.UNSPECIFIED, "subnet_type is unspecified")


@dataclass(frozen=True, slots=True, kw_only=True)
class AddNodesToSubnetPayload:
    subnet_id: Principal
    node_ids: tuple[Principal, ...]

    def validate(self) -> None:
        _require(bool(self.node_ids), "no nodes to add")
        _unique_nodes(self.node_ids, "node_ids")


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveNodesFromSubnetPayload:
    node_ids: tuple[Principal, ...]

    def validate(self) -> None:
        _require(bool(self.node_ids), "no nodes to remove")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeSubnetMembershipPayload:
    subnet_id: Principal
    node_ids_add: tuple[Principal, ...]
    node_ids_remove: tuple[Principal, ...]

    def validate(self) -> None:
        _require(bool(self.node_ids_add or self.node_ids_remove), "no nodes to add or remove")
        _unique_nodes(self.node_ids_add, "node_ids_add")
        _unique_nodes(self.node_ids_remove, "node_ids_remove")
        _require(
            not set(self.node_ids_add) & set(self.node_ids_remove),
            "a node cannot be both added and removed",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateSubnetPayload:
    """Optional fields merged into the subnet record; never membership or version."""

    subnet_id: Principal
    max_ingress_bytes_per_message: int | None = None
    max_ingress_messages_per_block: int | None = None
    max_block_payload_size: int | None = None
    unit_delay_millis: int | None = None
    initial_notary_delay_millis: int | None = None
    dkg_interval_length: int | None = None
    dkg_dealings_per_block: int | None = None
    start_as_nns: bool | None = None
    subnet_type: SubnetType | None = None
    is_halted: bool | None = None
    halt_at_cup_height: bool | None = None
    max_number_of_canisters: int | None = None
    ssh_readonly_access: tuple[str, ...] | None = None
    ssh_backup_access: tuple[str, ...] | None = None
    features: SubnetFeatures | None = None
    chain_key_config: object | None = None
    chain_key_signing_enable: tuple[object, ...] | None = None
    chain_key_signing_disable: tuple[object, ...] | None = None
    obsolete_gossip_fields: tuple[str, ...] = ()
    """The official payload's gossip settings that were set: the IC's replicas no longer read
    them."""

    def validate(self) -> None:
        _refuse_unsupported(self.chain_key_config, "chain_key_config", CHAIN_KEYS_UNSUPPORTED)
        _require(
            not self.chain_key_signing_enable,
            f"chain_key_signing_enable is not supported: {CHAIN_KEYS_UNSUPPORTED}",
        )
        _require(
            not self.chain_key_signing_disable,
            f"chain_key_signing_disable is not supported: {CHAIN_KEYS_UNSUPPORTED}",
        )
        _require(
            not self.obsolete_gossip_fields,
            f"{', '.join(self.obsolete_gossip_fields)}: icbox subnets have no gossip "
            "configuration to change",
        )
        _require(
            self.features is None or not self.features.sev_enabled,
            f"features.sev_enabled is not supported: {SEV_UNSUPPORTED}",
        )
        for name in ("unit_delay_millis", "initial_notary_delay_millis", "dkg_interval_length"):
            value = getattr(self, name)
            _require(value is None or value > 0, f"{name} must be positive")


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoverSubnetPayload:
    subnet_id: Principal
    height: int
    time_ns: int
    state_hash: bytes
    replacement_nodes: tuple[Principal, ...] | None = None
    registry_store_uri: object | None = None
    chain_key_config: object | None = None

    def validate(self) -> None:
        _refuse_unsupported(
            self.registry_store_uri,
            "registry_store_uri",
            "icbox recovers from its own registry, never from a downloaded store",
        )
        _refuse_unsupported(self.chain_key_config, "chain_key_config", CHAIN_KEYS_UNSUPPORTED)
        _require(len(self.state_hash) == 32, "state_hash must be 32 bytes")
        _require(self.height >= 0, "height must not be negative")
        if self.replacement_nodes is not None:
            _require(bool(self.replacement_nodes), "replacement_nodes is empty")
            _unique_nodes(self.replacement_nodes, "replacement_nodes")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviseElectedGuestosVersionsPayload:
    replica_version_to_elect: str | None = None
    release_package_sha256_hex: str | None = None
    release_package_urls: tuple[str, ...] = ()
    replica_versions_to_unelect: tuple[str, ...] = ()
    guest_launch_measurements: object | None = None

    def validate(self) -> None:
        _refuse_unsupported(
            self.guest_launch_measurements, "guest_launch_measurements", SEV_UNSUPPORTED
        )
        electing = (
            self.replica_version_to_elect is not None,
            self.release_package_sha256_hex is not None,
            bool(self.release_package_urls),
        )
        _require(
            all(electing) or not any(electing),
            "electing needs a version id, a sha256 and at least one URL",
        )
        _require(
            all(electing) or bool(self.replica_versions_to_unelect), "nothing to elect or unelect"
        )
        _require(
            self.replica_version_to_elect not in self.replica_versions_to_unelect,
            "cannot elect and unelect the same version",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DeployGuestosToAllSubnetNodesPayload:
    subnet_id: Principal
    replica_version_id: str

    def validate(self) -> None:
        _require(bool(self.replica_version_id), "replica_version_id is empty")


@dataclass(frozen=True, slots=True, kw_only=True)
class DeployGuestosToAllUnassignedNodesPayload:
    elected_replica_version: str

    def validate(self) -> None:
        _require(bool(self.elected_replica_version), "elected_replica_version is empty")


@dataclass(frozen=True, slots=True, kw_only=True)
class AddNodeOperatorPayload:
    """The official payload: both principal ids are `opt` on the wire and both are required."""

    node_operator_principal_id: Principal | None = None
    node_provider_principal_id: Principal | None = None
    node_allowance: int
    dc_id: str = ""
    ipv6: str | None = None
    rewardable_nodes: tuple[tuple[str, int], ...] = ()
    max_rewardable_nodes: tuple[tuple[str, int], ...] | None = None

    def validate(self) -> None:
        _require(
            self.node_operator_principal_id is not None, "node_operator_principal_id is missing"
        )
        _require(
            self.node_provider_principal_id is not None, "node_provider_principal_id is missing"
        )
        _require(self.node_allowance >= 0, "node_allowance must not be negative")


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateNodeOperatorConfigPayload:
    """The official payload: `node_operator_id` is `opt` on the wire and required."""

    node_operator_id: Principal | None = None
    node_allowance: int | None = None
    dc_id: str | None = None
    node_provider_id: Principal | None = None
    ipv6: str | None = None
    set_ipv6_to_none: bool | None = None
    rewardable_nodes: tuple[tuple[str, int], ...] = ()
    max_rewardable_nodes: tuple[tuple[str, int], ...] | None = None

    def validate(self) -> None:
        _require(self.node_operator_id is not None, "node_operator_id is missing")
        _require(
            not (self.ipv6 is not None and self.set_ipv6_to_none), "ipv6 is both set and cleared"
        )
        _require(
            self.node_allowance is None or self.node_allowance >= 0,
            "node_allowance must not be negative",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveNodesPayload:
    node_ids: tuple[Principal, ...]

    def validate(self) -> None:
        _require(bool(self.node_ids), "no nodes to remove")


@dataclass(frozen=True, slots=True, kw_only=True)
class AddOrRemoveDataCentersProposalPayload:
    data_centers_to_add: tuple[DataCenterRecord, ...] = ()
    data_centers_to_remove: tuple[str, ...] = ()

    def validate(self) -> None:
        added = [dc.id for dc in self.data_centers_to_add]
        _require(bool(added or self.data_centers_to_remove), "no data centers to add or remove")
        _require(len(set(added)) == len(added), "a data center is added twice")
        _require(
            all(0 < len(dc_id) <= 255 for dc_id in added),
            "data center ids have 1 to 255 characters",
        )
        _require(
            not set(added) & set(self.data_centers_to_remove),
            "a data center is both added and removed",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AddNodePayload:
    """What a node operator submits to register a node (not a proposal)."""

    node_signing_public_key_der: bytes
    committee_signing_public_key: bytes
    dkg_dealing_encryption_public_key: bytes
    transport_tls_certificate_der: bytes
    xnet_endpoint: Endpoint
    http_endpoint: Endpoint
    domain: str | None = None
    idkg_dealing_encryption_public_key: bytes | None = None
    node_reward_type: str | None = None
    chip_id: bytes | None = None
    public_ipv4_config: object | None = None

    def validate(self) -> None:
        _refuse_unsupported(self.chip_id, "chip_id", SEV_UNSUPPORTED)
        _refuse_unsupported(
            self.public_ipv4_config,
            "public_ipv4_config",
            "icbox nodes are reached on their endpoints only",
        )
        _require(bool(self.node_signing_public_key_der), "the node signing key is empty")
        _require(bool(self.committee_signing_public_key), "the committee signing key is empty")
        _require(
            bool(self.dkg_dealing_encryption_public_key), "the dealing encryption key is empty"
        )
        _require(bool(self.transport_tls_certificate_der), "the TLS certificate is empty")


PAYLOAD_TYPES: Final[dict[int, type]] = {
    1: CreateSubnetPayload,
    2: AddNodesToSubnetPayload,
    6: RecoverSubnetPayload,
    7: UpdateSubnetPayload,
    8: AddNodeOperatorPayload,
    11: DeployGuestosToAllSubnetNodesPayload,
    13: RemoveNodesFromSubnetPayload,
    16: UpdateNodeOperatorConfigPayload,
    18: RemoveNodesPayload,
    20: UpdateNodeRewardsTableProposalPayload,
    21: AddOrRemoveDataCentersProposalPayload,
    31: ChangeSubnetMembershipPayload,
    38: ReviseElectedGuestosVersionsPayload,
    48: DeployGuestosToAllUnassignedNodesPayload,
}

REGISTRY_METHODS: Final[dict[int, str]] = {
    1: "create_subnet",
    2: "add_nodes_to_subnet",
    6: "recover_subnet",
    7: "update_subnet",
    8: "add_node_operator",
    11: "deploy_guestos_to_all_subnet_nodes",
    13: "remove_nodes_from_subnet",
    16: "update_node_operator_config",
    18: "remove_nodes",
    20: "update_node_rewards_table",
    21: "add_or_remove_data_centers",
    31: "change_subnet_membership",
    38: "revise_elected_guestos_versions",
    48: "deploy_guestos_to_all_unassigned_nodes",
}
