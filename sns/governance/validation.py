"""What a proposal's action must satisfy before it is proposed (SNS governance).

`validate_action` is `validate_and_render_action` of dfinity/ic
rs/sns/governance/src/proposal.rs in the parts icbox carries out, plus the
PreInitializationSwap refusals of rs/sns/governance/src/types.rs (spec sns.md
§2.6, §4.4, §4.5). It reads the governance core and changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sns.governance.actions import (
    PRE_INITIALIZATION_SWAP_REFUSED,
    AddGenericNervousSystemFunction,
    DeregisterDappCanisters,
    ExecuteGenericNervousSystemFunction,
    ManageNervousSystemParameters,
    ManageSnsMetadata,
    MintSnsTokens,
    Motion,
    ProposalAction,
    RegisterDappCanisters,
    RemoveGenericNervousSystemFunction,
    SetTopicsForCustomProposals,
    TransferSnsTreasuryFunds,
    UpgradeSnsControlledCanister,
    native_action,
)
from sns.governance.errors import ErrorType, SnsGovernanceError
from sns.governance.parameters import ParameterError
from sns.governance.proposals import FIRST_GENERIC_FUNCTION_ID

if TYPE_CHECKING:
    from sns.governance.core import SnsGovernanceCore


def validate_action(core: SnsGovernanceCore, action: ProposalAction) -> None:
    """Refuse an action that cannot be proposed now; return if it can."""
    from sns.governance.core import Mode, error

    def invalid(message: str) -> SnsGovernanceError:
        return error(ErrorType.INVALID_PROPOSAL, message)

    action_id = native_action(action)
    if core.mode == Mode.PRE_INITIALIZATION_SWAP and action_id in PRE_INITIALIZATION_SWAP_REFUSED:
        raise error(
            ErrorType.PRECONDITION_FAILED,
            f"{action_id.name} proposals are not allowed while governance is in "
            "PreInitializationSwap mode.",
        )
    protected = {core.root_id, core.governance_id, core.ledger_id}
    match action:
        case Motion():
            if not action.motion_text:
                raise invalid("A motion needs a motion text.")
        case ManageNervousSystemParameters():
            try:
                core.parameters.updated(action.changes)
            except ParameterError as problem:
                raise invalid(str(problem)) from None
        case UpgradeSnsControlledCanister():
            if action.canister_id not in core.dapp_canisters:
                raise invalid(
                    f"Canister {action.canister_id} is not a dapp canister registered with "
                    "SNS root."
                )
            if not action.new_canister_wasm:
                raise invalid("The new canister wasm is empty.")
        case AddGenericNervousSystemFunction():
            function = action.function
            if function.id < FIRST_GENERIC_FUNCTION_ID:
                raise invalid(
                    f"Function id {function.id} is reserved: custom functions have ids "
                    f">= {FIRST_GENERIC_FUNCTION_ID}."
                )
            if function.id in core.functions:
                raise invalid(f"Function id {function.id} is already in use.")
            if {function.target_canister_id, function.validator_canister_id} & protected:
                raise invalid("A custom function may not target SNS root, governance or ledger.")
            if not function.target_method_name or not function.validator_method_name:
                raise invalid("A custom function names its target and validator methods.")
        case RemoveGenericNervousSystemFunction():
            if action.function_id not in core.functions:
                raise invalid(f"Function {action.function_id} does not exist.")
        case ExecuteGenericNervousSystemFunction():
            custom = core.functions.get(action.function_id)
            if custom is None:
                raise invalid(f"Function {action.function_id} does not exist.")
            if core.mode == Mode.PRE_INITIALIZATION_SWAP and (
                custom.target_canister_id in protected
            ):
                raise error(
                    ErrorType.PRECONDITION_FAILED,
                    "A custom function targeting SNS root, governance or ledger is not "
                    "allowed in PreInitializationSwap mode.",
                )
        case TransferSnsTreasuryFunds():
            if action.from_treasury not in (1, 2):
                raise invalid("from_treasury must be 1 (ICP) or 2 (SNS token).")
            if action.amount_e8s <= core.parameters.transaction_fee_e8s:
                raise invalid("The amount must exceed the transaction fee.")
        case MintSnsTokens():
            if action.amount_e8s <= 0:
                raise invalid("The amount to mint must be positive.")
        case RegisterDappCanisters():
            if not action.canister_ids:
                raise invalid("No canisters to register.")
            already = [c for c in action.canister_ids if c in core.dapp_canisters]
            if already:
                raise invalid(f"Canisters {already} are registered already.")
        case DeregisterDappCanisters():
            unknown = [c for c in action.canister_ids if c not in core.dapp_canisters]
            if not action.canister_ids or unknown:
                raise invalid(f"Canisters {unknown} are not registered dapp canisters.")
            if not action.new_controllers:
                raise invalid("Deregistered canisters need new controllers.")
        case ManageSnsMetadata():
            if action.url is not None and not 10 <= len(action.url.encode()) <= 512:
                raise invalid("The url has 10 to 512 bytes.")
        case SetTopicsForCustomProposals():
            unknown_ids = [i for i, _ in action.topics if i not in core.functions]
            if unknown_ids:
                raise invalid(f"Custom functions {unknown_ids} do not exist.")
