"""Finalization: a journal of steps that can stop anywhere and resume exactly once.

After the swap commits: sweep each buyer's ICP to SNS governance, settle the
Neurons' Fund with NNS governance, compute the neuron recipes, sweep SNS
tokens into each recipe's staking subaccount, claim the neurons in SNS
governance, put governance in Normal mode, and give the dapps to SNS root
alone. After an abort: refund each buyer, settle the fund as aborted (its
maturity returns), and give the dapps back to the fallback controllers
(spec sns.md §3.4, §3.7; swap.rs `finalize`).

Each item (a buyer, a recipe, a step) is marked done when its call succeeds;
a failed call stops the run and leaves the item pending, so the next
`finalize_swap` resumes from there and never repeats a done item. A lock
keeps two runs from overlapping. `next_action` says what to do next and
`record` is told how it went: the canister only carries calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from replica.types import Principal
from sns.swap.core import Lifecycle, Recipe, SwapCore

CLAIM_BATCH: Final = 500


@dataclass(frozen=True, slots=True)
class Action:
    """One call to make: its kind and the item it is for."""

    kind: str
    """sweep_icp | settle_neurons_fund | sweep_sns | claim_neurons | set_mode |
    set_dapp_controllers"""
    key: object = None


@dataclass(slots=True)
class StepCounts:
    success: int = 0
    failure: int = 0
    skipped: int = 0
    invalid: int = 0


@dataclass(slots=True)
class Finalization:
    icp_swept: set[Principal] = field(default_factory=set)
    neurons_fund_settled: bool = False
    recipes: list[Recipe] | None = None
    recipes_by_id: dict[bytes, Recipe] = field(default_factory=dict)
    sweep_cursor: int = 0
    claim_cursor: int = 0
    buyer_order: list[Principal] | None = None
    buyer_cursor: int = 0
    sns_swept: set[bytes] = field(default_factory=set)
    claimed: set[bytes] = field(default_factory=set)
    mode_set: bool = False
    controllers_set: bool = False
    in_progress: bool = False
    counts: dict[str, StepCounts] = field(default_factory=dict)
    error_message: str | None = None

    def count(self, kind: str) -> StepCounts:
        return self.counts.setdefault(kind, StepCounts())

    def is_done(self, swap: SwapCore) -> bool:
        return self.next_action(swap, Principal.anonymous()) is None

    def next_action(self, swap: SwapCore, nns_governance_id: Principal) -> Action | None:
        committed = swap.lifecycle == Lifecycle.COMMITTED
        if self.buyer_order is None:
            self.buyer_order = sorted(swap.buyers)
        while self.buyer_cursor < len(self.buyer_order):
            buyer = self.buyer_order[self.buyer_cursor]
            if buyer not in self.icp_swept:
                return Action("sweep_icp", buyer)
            self.buyer_cursor += 1
        if swap.params.neurons_fund_participation and not self.neurons_fund_settled:
            return Action("settle_neurons_fund")
        if committed:
            if self.recipes is None:
                self.recipes = swap.recipes(nns_governance_id)
                self.recipes_by_id = {r.neuron_id: r for r in self.recipes}
            # items are done in order, so a cursor skips the done prefix (resumes stay exact)
            while self.sweep_cursor < len(self.recipes):
                recipe = self.recipes[self.sweep_cursor]
                if recipe.neuron_id not in self.sns_swept:
                    return Action("sweep_sns", recipe.neuron_id)
                self.sweep_cursor += 1
            while (
                self.claim_cursor < len(self.recipes)
                and self.recipes[self.claim_cursor].neuron_id in self.claimed
            ):
                self.claim_cursor += 1
            batch = [
                r
                for r in self.recipes[self.claim_cursor : self.claim_cursor + CLAIM_BATCH]
                if r.neuron_id not in self.claimed
            ]
            if batch:
                return Action("claim_neurons", tuple(r.neuron_id for r in batch))
            if not self.mode_set:
                return Action("set_mode")
        if not self.controllers_set:
            return Action("set_dapp_controllers")
        return None

    def recipe(self, neuron_id: bytes) -> Recipe:
        return self.recipes_by_id[neuron_id]

    def record(self, action: Action, ok: bool) -> None:
        counts = self.count(action.kind)
        if not ok:
            counts.failure += 1
            return
        match action.kind:
            case "sweep_icp":
                if isinstance(action.key, Principal):
                    self.icp_swept.add(action.key)
                counts.success += 1
            case "settle_neurons_fund":
                self.neurons_fund_settled = True
                counts.success += 1
            case "sweep_sns":
                if isinstance(action.key, bytes):
                    self.sns_swept.add(action.key)
                counts.success += 1
            case "claim_neurons":
                if isinstance(action.key, tuple):
                    self.claimed.update(action.key)
                    counts.success += len(action.key)
            case "set_mode":
                self.mode_set = True
                counts.success += 1
            case "set_dapp_controllers":
                self.controllers_set = True
                counts.success += 1

    def skip_sweep(self, kind: str, key: object) -> None:
        """An item with nothing to move (below the fee) is done without a call."""
        self.count(kind).skipped += 1
        if kind == "sweep_icp" and isinstance(key, Principal):
            self.icp_swept.add(key)
        if kind == "sweep_sns" and isinstance(key, bytes):
            self.sns_swept.add(key)
