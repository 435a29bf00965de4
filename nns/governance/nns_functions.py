"""ExecuteNnsFunction: the proposals that call another NNS canister.

Each function has an official numeric id, a topic, and a target: the canister
and method the adopted proposal calls with its payload (spec 4.1). Payloads are
typed records; `PAYLOAD_TYPES` names the record type each function accepts
(the registry's request types), and a payload's own `validate()` refuses a
malformed one at submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

from nns.governance.enums import Topic
from registry.requests import PAYLOAD_TYPES as REGISTRY_PAYLOAD_TYPES
from registry.requests import REGISTRY_METHODS
from replica.canister.nns_ids import CYCLES_MINTING_CANISTER_ID, REGISTRY_CANISTER_ID
from replica.types import Principal


class NnsFunction(IntEnum):
    UNSPECIFIED = 0
    CREATE_SUBNET = 1
    ADD_NODE_TO_SUBNET = 2
    NNS_CANISTER_INSTALL = 3
    NNS_CANISTER_UPGRADE = 4
    BLESS_REPLICA_VERSION = 5
    RECOVER_SUBNET = 6
    UPDATE_CONFIG_OF_SUBNET = 7
    ASSIGN_NOID = 8
    NNS_ROOT_UPGRADE = 9
    ICP_XDR_CONVERSION_RATE = 10
    DEPLOY_GUESTOS_TO_ALL_SUBNET_NODES = 11
    CLEAR_PROVISIONAL_WHITELIST = 12
    REMOVE_NODES_FROM_SUBNET = 13
    SET_AUTHORIZED_SUBNETWORKS = 14
    SET_FIREWALL_CONFIG = 15
    UPDATE_NODE_OPERATOR_CONFIG = 16
    STOP_OR_START_NNS_CANISTER = 17
    REMOVE_NODES = 18
    UNINSTALL_CODE = 19
    UPDATE_NODE_REWARDS_TABLE = 20
    ADD_OR_REMOVE_DATA_CENTERS = 21
    UPDATE_UNASSIGNED_NODES_CONFIG = 22
    REMOVE_NODE_OPERATORS = 23
    REROUTE_CANISTER_RANGES = 24
    CHANGE_SUBNET_MEMBERSHIP = 31
    RETIRE_REPLICA_VERSION = 36
    REVISE_ELECTED_GUESTOS_VERSIONS = 38
    UPDATE_ELECTED_HOSTOS_VERSIONS = 40
    UPDATE_NODES_HOSTOS_VERSION = 41
    UPDATE_API_BOUNDARY_NODES_VERSION = 46
    DEPLOY_GUESTOS_TO_ALL_UNASSIGNED_NODES = 48


OBSOLETE_FUNCTIONS: Final = frozenset(
    {
        NnsFunction.UNSPECIFIED,
        NnsFunction.NNS_CANISTER_UPGRADE,
        NnsFunction.NNS_ROOT_UPGRADE,
        NnsFunction.BLESS_REPLICA_VERSION,
        NnsFunction.RETIRE_REPLICA_VERSION,
        NnsFunction.UPDATE_ELECTED_HOSTOS_VERSIONS,
        NnsFunction.UPDATE_NODES_HOSTOS_VERSION,
        NnsFunction.UPDATE_API_BOUNDARY_NODES_VERSION,
        NnsFunction.UPDATE_UNASSIGNED_NODES_CONFIG,
        NnsFunction.STOP_OR_START_NNS_CANISTER,
    }
)
"""Deliberate difference: the IC refuses ICP_XDR_CONVERSION_RATE as obsolete since the exchange
rate canister feeds the CMC (proposals/execute_nns_function.rs); icbox has no exchange rate
canister, so its rate is set by proposal, with the validation the IC had (below)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IcpXdrConversionRatePayload:
    """UpdateIcpXdrConversionRatePayload (rs/nns/cmc), the payload of NNS function 10."""

    data_source: str
    timestamp_seconds: int
    xdr_permyriad_per_icp: int
    reason: str | None = None

    def argument(self) -> dict[str, Any]:
        """The CMC's `set_icp_xdr_conversion_rate` argument."""
        return {
            "data_source": self.data_source,
            "timestamp_seconds": self.timestamp_seconds,
            "xdr_permyriad_per_icp": self.xdr_permyriad_per_icp,
            "reason": None if self.reason is None else {self.reason: None},
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    topic: Topic
    canister_id: Principal
    method: str


def _registry(topic: Topic, method: str) -> Target:
    return Target(topic=topic, canister_id=REGISTRY_CANISTER_ID, method=method)


# The functions icbox executes: those chain evolution needs (spec 4.1 topics and targets).
TARGETS: Final[dict[NnsFunction, Target]] = {
    NnsFunction.CREATE_SUBNET: _registry(Topic.SUBNET_MANAGEMENT, "create_subnet"),
    NnsFunction.ADD_NODE_TO_SUBNET: _registry(Topic.SUBNET_MANAGEMENT, "add_nodes_to_subnet"),
    NnsFunction.RECOVER_SUBNET: _registry(Topic.SUBNET_MANAGEMENT, "recover_subnet"),
    NnsFunction.UPDATE_CONFIG_OF_SUBNET: _registry(Topic.SUBNET_MANAGEMENT, "update_subnet"),
    NnsFunction.ASSIGN_NOID: _registry(Topic.NODE_ADMIN, "add_node_operator"),
    NnsFunction.DEPLOY_GUESTOS_TO_ALL_SUBNET_NODES: _registry(
        Topic.IC_OS_VERSION_DEPLOYMENT, "deploy_guestos_to_all_subnet_nodes"
    ),
    NnsFunction.REMOVE_NODES_FROM_SUBNET: _registry(
        Topic.SUBNET_MANAGEMENT, "remove_nodes_from_subnet"
    ),
    NnsFunction.UPDATE_NODE_OPERATOR_CONFIG: _registry(
        Topic.NODE_ADMIN, "update_node_operator_config"
    ),
    NnsFunction.REMOVE_NODES: _registry(Topic.NODE_ADMIN, "remove_nodes"),
    NnsFunction.ADD_OR_REMOVE_DATA_CENTERS: _registry(
        Topic.PARTICIPANT_MANAGEMENT, "add_or_remove_data_centers"
    ),
    NnsFunction.CHANGE_SUBNET_MEMBERSHIP: _registry(
        Topic.SUBNET_MANAGEMENT, "change_subnet_membership"
    ),
    NnsFunction.REVISE_ELECTED_GUESTOS_VERSIONS: _registry(
        Topic.IC_OS_VERSION_ELECTION, "revise_elected_guestos_versions"
    ),
    NnsFunction.DEPLOY_GUESTOS_TO_ALL_UNASSIGNED_NODES: _registry(
        Topic.IC_OS_VERSION_DEPLOYMENT, "deploy_guestos_to_all_unassigned_nodes"
    ),
    NnsFunction.UPDATE_NODE_REWARDS_TABLE: _registry(
        Topic.NETWORK_ECONOMICS, "update_node_rewards_table"
    ),
    NnsFunction.ICP_XDR_CONVERSION_RATE: Target(
        topic=Topic.EXCHANGE_RATE,
        canister_id=CYCLES_MINTING_CANISTER_ID,
        method="set_icp_xdr_conversion_rate",
    ),
}

# Payload record type per function: the registry's request types.
if any(
    TARGETS[NnsFunction(function_id)].method != method
    for function_id, method in REGISTRY_METHODS.items()
):
    raise ImportError("the governance targets and the registry's methods disagree")

PAYLOAD_TYPES: dict[NnsFunction, type] = {
    NnsFunction(function_id): payload_type
    for function_id, payload_type in REGISTRY_PAYLOAD_TYPES.items()
} | {NnsFunction.ICP_XDR_CONVERSION_RATE: IcpXdrConversionRatePayload}
