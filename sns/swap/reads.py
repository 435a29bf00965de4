"""The swap's state as its read methods answer it (swap.did `get_init`, `get_state`,
`list_sns_neuron_recipes`), built from the swap core and its finalization journal.

Field by field as rs/sns/swap/src/swap.rs fills them: canister ids in `Init` are text, a
recipe's `sns` amount is its SNS tokens before the transfer fee and records the transfer once it
is swept, its `claimed_status` follows the claim (swap.proto `ClaimedStatus`: Pending 1,
Success 2), and a Neurons' Fund recipe names its NNS neuron (`CfInvestment`). What icbox does not
keep is left out where the official type makes it optional: timestamps of individual transfers
are 0, `cf_participants` is empty (the Neurons' Fund is settled with NNS governance and its
neurons appear in the recipes, as on the IC since matched funding), and the Neurons' Fund
constraints of `Init` are not repeated (icbox draws the matching curve with straight lines, not
the IC's serialized polynomial).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from replica.types import Principal
from sns.swap.core import Recipe, SwapCore
from sns.swap.finalize import Finalization

CLAIMED_PENDING: Final = 1
CLAIMED_SUCCESS: Final = 2
MAX_LIST_SNS_NEURON_RECIPES: Final = 10_000
"""At most this many recipes in one page (swap.rs `DEFAULT_LIST_SNS_NEURON_RECIPES_LIMIT`)."""


def _text(principal: Principal | None) -> str:
    return "" if principal is None else principal.to_text()


def init_candid(init: Mapping[str, Any], core: SwapCore) -> dict[str, Any]:
    """`Init` of swap.did from the init the swap was installed with."""
    p = core.params
    return {
        "nns_proposal_id": p.nns_proposal_id,
        "sns_root_canister_id": _text(init.get("sns_root_id")),
        "neurons_fund_participation": p.neurons_fund_participation,
        "min_participant_icp_e8s": p.min_participant_icp_e8s,
        "neuron_basket_construction_parameters": {
            "dissolve_delay_interval_seconds": p.basket_dissolve_delay_interval_seconds,
            "count": p.basket_count,
        },
        "fallback_controller_principal_ids": [
            _text(c) for c in init.get("fallback_controller_principal_ids", [])
        ],
        "confirmation_text": p.confirmation_text,
        "swap_start_timestamp_seconds": p.swap_start_timestamp_seconds,
        "swap_due_timestamp_seconds": p.swap_due_timestamp_seconds,
        "min_participants": p.min_participants,
        "sns_token_e8s": p.sns_token_e8s,
        "nns_governance_canister_id": _text(init.get("nns_governance_id")),
        "transaction_fee_e8s": p.sns_transaction_fee_e8s,
        "icp_ledger_canister_id": _text(init.get("icp_ledger_id")),
        "sns_ledger_canister_id": _text(init.get("sns_ledger_id")),
        "should_auto_finalize": bool(init.get("should_auto_finalize", True)),
        "max_participant_icp_e8s": p.max_participant_icp_e8s,
        "sns_governance_canister_id": _text(init.get("sns_governance_id")),
        "min_direct_participation_icp_e8s": p.min_direct_participation_icp_e8s,
        "max_direct_participation_icp_e8s": p.max_direct_participation_icp_e8s,
    }


def recipe_candid(recipe: Recipe, finalization: Finalization, fee_e8s: int) -> dict[str, Any]:
    """One `SnsNeuronRecipe`."""
    swept = recipe.neuron_id in finalization.sns_swept
    investor: dict[str, Any]
    if recipe.nns_neuron_id is not None:
        investor = {
            "CommunityFund": {
                "controller": recipe.nns_neuron_controller,
                "hotkey_principal": "",
                "hotkeys": None,
                "nns_neuron_id": recipe.nns_neuron_id,
            }
        }
    else:
        investor = {"Direct": {"buyer_principal": _text(recipe.buyer)}}
    return {
        "sns": {
            "amount_e8s": recipe.sns_e8s,
            "transfer_fee_paid_e8s": fee_e8s if swept else None,
            "amount_transferred_e8s": recipe.sns_e8s - fee_e8s if swept else None,
            "transfer_start_timestamp_seconds": 0,
            "transfer_success_timestamp_seconds": 0,
        },
        "claimed_status": CLAIMED_SUCCESS
        if recipe.neuron_id in finalization.claimed
        else CLAIMED_PENDING,
        "neuron_attributes": {
            "dissolve_delay_seconds": recipe.dissolve_delay_seconds,
            "memo": recipe.memo,
            "followees": [],
        },
        "investor": investor,
    }


def list_recipes(
    finalization: Finalization, fee_e8s: int, offset: int, limit: int | None
) -> list[dict[str, Any]]:
    """A page of the recipes (none before finalization computed them)."""
    recipes = finalization.recipes or []
    size = min(limit or MAX_LIST_SNS_NEURON_RECIPES, MAX_LIST_SNS_NEURON_RECIPES)
    return [recipe_candid(r, finalization, fee_e8s) for r in recipes[offset : offset + size]]
