"""The proposal actions of the official interface beyond Motion, known neurons, NNS functions,
InstallCode, economics and ManageNeuron: their typed records and the checks made at submission.

Implemented (rs/nns/governance/src/proposals/*.rs): StopOrStartCanister and
UpdateCanisterSettings (NNS root does them), DeregisterKnownNeuron,
AddOrRemoveNodeProvider, RewardNodeProvider and RewardNodeProviders (minted
by the ledger). The other actions of the interface decode into
`UnsupportedAction` and are refused at submission with an error naming them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from nns.governance.enums import Topic
from nns.governance.errors import invalid_proposal
from nns.ledger.accounts import AccountIdentifier
from replica.types import Principal

ROOT_CANISTER_ID: Final = Principal.from_canister_id(3)
GOVERNANCE_CANISTER_ID: Final = Principal.from_canister_id(1)
LIFELINE_CANISTER_ID: Final = Principal.from_canister_id(5)
SNS_WASM_CANISTER_ID: Final = Principal.from_canister_id(10)
# registry, governance, ledger, root, cycles minting, lifeline, genesis token
PROTOCOL_CANISTERS: Final = frozenset(Principal.from_canister_id(index) for index in range(7))
# stop_or_start_canister.rs: CANISTERS_NOT_ALLOWED_TO_STOP
CANISTERS_NOT_ALLOWED_TO_STOP: Final = frozenset(
    (ROOT_CANISTER_ID, GOVERNANCE_CANISTER_ID, LIFELINE_CANISTER_ID)
)


class CanisterAction(IntEnum):
    UNSPECIFIED = 0
    STOP = 1
    START = 2


class LogVisibility(IntEnum):
    UNSPECIFIED = 0
    CONTROLLERS = 1
    PUBLIC = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class StopOrStartCanister:
    canister_id: Principal | None
    action: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CanisterSettings:
    controllers: tuple[Principal, ...] | None = None
    compute_allocation: int | None = None
    memory_allocation: int | None = None
    freezing_threshold: int | None = None
    log_visibility: int | None = None
    wasm_memory_limit: int | None = None
    wasm_memory_threshold: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateCanisterSettings:
    canister_id: Principal | None
    settings: CanisterSettings | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeregisterKnownNeuron:
    id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeProvider:
    id: Principal | None
    reward_account: AccountIdentifier | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AddOrRemoveNodeProvider:
    """At most one of the two is set (the official `change` variant)."""

    to_add: NodeProvider | None = None
    to_remove: NodeProvider | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RewardToNeuron:
    dissolve_delay_seconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RewardToAccount:
    to_account: AccountIdentifier | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RewardNodeProvider:
    node_provider: NodeProvider | None
    amount_e8s: int
    reward_mode: RewardToNeuron | RewardToAccount | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RewardNodeProviders:
    rewards: tuple[RewardNodeProvider, ...]
    use_registry_derived_rewards: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UnsupportedAction:
    """An action of the official interface that icbox does not carry out."""

    name: str


# -- checks at submission --------------------------------------------------------------------


def topic_to_manage_canister(canister_id: Principal) -> Topic:
    """proposals/mod.rs topic_to_manage_canister: NNS canisters, SNS-W, the rest."""
    if canister_id in PROTOCOL_CANISTERS:
        return Topic.PROTOCOL_CANISTER_MANAGEMENT
    if canister_id == SNS_WASM_CANISTER_ID:
        return Topic.SERVICE_NERVOUS_SYSTEM_MANAGEMENT
    return Topic.APPLICATION_CANISTER_MANAGEMENT


def valid_canister_id(canister_id: Principal | None) -> Principal:
    if canister_id is None:
        raise invalid_proposal("Canister ID is required")
    if canister_id.canister_index() is None:
        raise invalid_proposal("Invalid canister ID")
    return canister_id


def validate_stop_or_start_canister(action: StopOrStartCanister) -> tuple[Topic, CanisterAction]:
    """proposals/stop_or_start_canister.rs StopOrStartCanister::validate."""
    canister_id = valid_canister_id(action.canister_id)
    if action.action is None:
        raise invalid_proposal("Canister action is required")
    if action.action not in (CanisterAction.STOP, CanisterAction.START):
        raise invalid_proposal("Canister action is unspecified or unrecognized")
    canister_action = CanisterAction(action.action)
    if canister_id in CANISTERS_NOT_ALLOWED_TO_STOP and canister_action == CanisterAction.STOP:
        raise invalid_proposal("Canister is not allowed to be stopped")
    return topic_to_manage_canister(canister_id), canister_action


def validate_update_canister_settings(action: UpdateCanisterSettings) -> Topic:
    """proposals/update_canister_settings.rs UpdateCanisterSettings::validate."""
    canister_id = valid_canister_id(action.canister_id)
    settings = action.settings
    if settings is None:
        raise invalid_proposal("Settings are required")
    if all(
        value is None
        for value in (
            settings.controllers,
            settings.compute_allocation,
            settings.memory_allocation,
            settings.freezing_threshold,
            settings.log_visibility,
            settings.wasm_memory_limit,
            settings.wasm_memory_threshold,
        )
    ):
        raise invalid_proposal("At least one setting must be provided")
    if settings.log_visibility is not None and settings.log_visibility not in (
        LogVisibility.CONTROLLERS,
        LogVisibility.PUBLIC,
    ):
        raise invalid_proposal(f"Invalid log visibility {settings.log_visibility}")
    if canister_id == ROOT_CANISTER_ID:
        # the IC asks the lifeline canister (update_root_settings), which icbox does not have
        raise invalid_proposal(
            "Updating the settings of root needs the lifeline canister, which icbox does not run."
        )
    return topic_to_manage_canister(canister_id)


def root_canister_settings(settings: CanisterSettings) -> dict[str, object]:
    """The settings as root's `update_canister_settings` takes them (reserved cycles: none)."""
    log_visibility = None
    if settings.log_visibility is not None:
        log_visibility = {LogVisibility(settings.log_visibility).name.lower(): None}
    return {
        "controllers": None if settings.controllers is None else list(settings.controllers),
        "compute_allocation": settings.compute_allocation,
        "memory_allocation": settings.memory_allocation,
        "freezing_threshold": settings.freezing_threshold,
        "wasm_memory_limit": settings.wasm_memory_limit,
        "wasm_memory_threshold": settings.wasm_memory_threshold,
        "log_visibility": log_visibility,
        "reserved_cycles_limit": None,
    }


def node_provider_id(provider: NodeProvider | None) -> Principal:
    """proposals/add_or_remove_node_provider.rs: a change names a node provider by id."""
    if provider is None or provider.id is None:
        raise invalid_proposal("AddOrRemoveNodeProvider proposal must have a node provider id")
    return provider.id


def validate_add_or_remove_node_provider(action: AddOrRemoveNodeProvider) -> NodeProvider:
    if (action.to_add is None) == (action.to_remove is None):
        raise invalid_proposal("AddOrRemoveNodeProvider proposal must have a change field")
    provider = action.to_add if action.to_add is not None else action.to_remove
    node_provider_id(provider)
    assert provider is not None
    return provider
