"""The proposal actions SNS governance carries out, and custom (generic) functions.

Each action is a frozen record; `action_id` gives its native id (types.rs
`native_action_ids`). Custom functions are registered by
AddGenericNervousSystemFunction with an id of at least 1000, a target and a
validator method, and a topic (§4.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from replica.types import Principal
from sns.governance.proposals import Action, Topic


@dataclass(frozen=True, slots=True, kw_only=True)
class GenericFunction:
    id: int
    name: str
    description: str | None
    target_canister_id: Principal
    target_method_name: str
    validator_canister_id: Principal
    validator_method_name: str
    topic: Topic | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Motion:
    motion_text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ManageNervousSystemParameters:
    changes: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class UpgradeSnsControlledCanister:
    canister_id: Principal
    new_canister_wasm: bytes
    canister_upgrade_arg: bytes | None
    mode: str = "upgrade"


@dataclass(frozen=True, slots=True, kw_only=True)
class AddGenericNervousSystemFunction:
    function: GenericFunction


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveGenericNervousSystemFunction:
    function_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecuteGenericNervousSystemFunction:
    function_id: int
    payload: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferSnsTreasuryFunds:
    from_treasury: int
    """1: ICP (governance's account on the ICP ledger), 2: SNS tokens (the treasury subaccount)."""
    amount_e8s: int
    to_principal: Principal
    to_subaccount: bytes | None
    memo: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MintSnsTokens:
    amount_e8s: int
    to_principal: Principal
    to_subaccount: bytes | None
    memo: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterDappCanisters:
    canister_ids: tuple[Principal, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeregisterDappCanisters:
    canister_ids: tuple[Principal, ...]
    new_controllers: tuple[Principal, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ManageSnsMetadata:
    name: str | None = None
    description: str | None = None
    url: str | None = None
    logo: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetTopicsForCustomProposals:
    topics: tuple[tuple[int, Topic], ...]


ProposalAction = (
    Motion
    | ManageNervousSystemParameters
    | UpgradeSnsControlledCanister
    | AddGenericNervousSystemFunction
    | RemoveGenericNervousSystemFunction
    | ExecuteGenericNervousSystemFunction
    | TransferSnsTreasuryFunds
    | MintSnsTokens
    | RegisterDappCanisters
    | DeregisterDappCanisters
    | ManageSnsMetadata
    | SetTopicsForCustomProposals
)

_IDS: dict[type, Action] = {
    Motion: Action.MOTION,
    ManageNervousSystemParameters: Action.MANAGE_NERVOUS_SYSTEM_PARAMETERS,
    UpgradeSnsControlledCanister: Action.UPGRADE_SNS_CONTROLLED_CANISTER,
    AddGenericNervousSystemFunction: Action.ADD_GENERIC_NERVOUS_SYSTEM_FUNCTION,
    RemoveGenericNervousSystemFunction: Action.REMOVE_GENERIC_NERVOUS_SYSTEM_FUNCTION,
    ExecuteGenericNervousSystemFunction: Action.EXECUTE_GENERIC_NERVOUS_SYSTEM_FUNCTION,
    TransferSnsTreasuryFunds: Action.TRANSFER_SNS_TREASURY_FUNDS,
    MintSnsTokens: Action.MINT_SNS_TOKENS,
    RegisterDappCanisters: Action.REGISTER_DAPP_CANISTERS,
    DeregisterDappCanisters: Action.DEREGISTER_DAPP_CANISTERS,
    ManageSnsMetadata: Action.MANAGE_SNS_METADATA,
    SetTopicsForCustomProposals: Action.SET_TOPICS_FOR_CUSTOM_PROPOSALS,
}


def native_action(action: ProposalAction) -> Action:
    return _IDS[type(action)]


def function_id_of(action: ProposalAction) -> int:
    """The id a proposal is filed under: the custom function's, or the native action's."""
    if isinstance(action, ExecuteGenericNervousSystemFunction):
        return action.function_id
    return int(native_action(action))


PRE_INITIALIZATION_SWAP_REFUSED: frozenset[Action] = frozenset(
    {
        Action.MANAGE_NERVOUS_SYSTEM_PARAMETERS,
        Action.TRANSFER_SNS_TREASURY_FUNDS,
        Action.MINT_SNS_TOKENS,
        Action.UPGRADE_SNS_CONTROLLED_CANISTER,
        Action.REGISTER_DAPP_CANISTERS,
        Action.DEREGISTER_DAPP_CANISTERS,
    }
)
"""Refused until the swap ends (types.rs, `Mode::PreInitializationSwap`, spec §2.6)."""
