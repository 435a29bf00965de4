"""Splitting an SNS neuron: part of its stake becomes a new neuron of the caller.

rs/sns/governance/src/governance.rs `split_neuron`: the caller needs the Split permission on the
parent (and governance must be out of PreInitializationSwap mode, types.rs); the amount must
fund a neuron of at least the minimum stake plus the transfer fee, and the parent must keep at
least the minimum stake. The child's id is the staking subaccount of (caller, memo) and must be
free; it is added at once with no stake, a copy of the parent's permissions, dissolve state,
age, followees, vesting and auto-stake setting (no maturity), so no other command can take its
id while the ledger moves `amount - fee` from the parent's subaccount to the child's. When the
transfer succeeds the parent's stake drops by `amount` and the child's is `amount - fee`; when it
fails the child is removed and nothing else changed.
"""

from __future__ import annotations

from replica.types import Principal
from sns.governance.core import SnsGovernanceCore, error
from sns.governance.errors import ErrorType
from sns.governance.neuron import Neuron, staking_subaccount
from sns.governance.parameters import Permission


def prepare_split(
    core: SnsGovernanceCore,
    caller: Principal,
    parent_id: bytes,
    amount_e8s: int,
    memo: int,
    now: int,
) -> bytes:
    """Check the split and add the child without stake; its id."""
    parent = core.require_permission(caller, parent_id, Permission.SPLIT)
    core.require_normal_mode("Split")
    minimum = core.parameters.neuron_minimum_stake_e8s
    fee = core.parameters.transaction_fee_e8s
    if amount_e8s < minimum + fee:
        raise error(
            ErrorType.INSUFFICIENT_FUNDS,
            f"Trying to split a neuron with argument {amount_e8s} e8s. This is too little: at the "
            f"minimum the new neuron needs to be funded with {minimum + fee} e8s.",
        )
    stake = parent.stake_e8s()
    if stake < amount_e8s or stake - amount_e8s < minimum:
        raise error(
            ErrorType.INSUFFICIENT_FUNDS,
            f"Trying to split {amount_e8s} e8s out of neuron {parent_id.hex()}. This is not "
            f"allowed, because the parent has stake {stake} e8s. If the requested amount was "
            f"subtracted from it, there would be less than the minimum allowed stake, which is "
            f"{minimum} e8s.",
        )
    child_id = staking_subaccount(caller, memo)
    if child_id in core.neurons:
        raise error(
            ErrorType.PRECONDITION_FAILED, f"There is already a neuron with id: {child_id.hex()}"
        )
    child = Neuron(
        id=child_id,
        permissions=dict(parent.permissions),
        cached_neuron_stake_e8s=0,
        created_timestamp_seconds=now,
        aging_since_timestamp_seconds=parent.aging_since_timestamp_seconds,
        dissolve_delay_seconds=parent.dissolve_delay_seconds,
        when_dissolved_timestamp_seconds=parent.when_dissolved_timestamp_seconds,
        vesting_period_seconds=parent.vesting_period_seconds,
        source_nns_neuron_id=parent.source_nns_neuron_id,
        auto_stake_maturity=parent.auto_stake_maturity,
        topic_followees=dict(parent.topic_followees),
        function_followees=dict(parent.function_followees),
    )
    core.add_neuron(child)
    return child_id


def complete_split(
    core: SnsGovernanceCore, parent_id: bytes, child_id: bytes, amount_e8s: int
) -> None:
    """The ledger moved the stake: the parent pays `amount`, the child holds `amount - fee`."""
    fee = core.parameters.transaction_fee_e8s
    parent = core.neurons.get(parent_id)
    if parent is not None:
        parent.cached_neuron_stake_e8s -= amount_e8s
    child = core.neurons.get(child_id)
    if child is not None:
        child.cached_neuron_stake_e8s = amount_e8s - fee


def abandon_split(core: SnsGovernanceCore, child_id: bytes) -> None:
    """The transfer failed: the child goes away."""
    child = core.neurons.pop(child_id, None)
    if child is not None:
        core.followers.remove(child)
