"""ManageNeuron commands that move ICP (spec sections 2.3-2.6, 2.10).

Commands that move ICP (claim or refresh, disburse, split, merge, disburse to
neuron) lock the neuron, call the ledger, and finish in the callback that
receives the ledger's answer; the answer to the caller comes from there. A
ledger refusal unlocks the neuron and answers with an External error.

Commands and callbacks are functions of the governance state (`core`): a command takes the
message's session, the caller, the neuron, the command and the id of the ManageNeuron proposal
that runs it (if one does), which its callback context carries to the callback; a callback
takes its context (`nns.governance.contexts`) and the ledger's answer, and runs in a
transaction of its own.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from nns.governance.contexts import (
    ClaimContext,
    DisburseContext,
    DisburseToNeuronContext,
    MergeContext,
    NeuronTransferContext,
    SplitContext,
)
from nns.governance.core import GovernanceCore
from nns.governance.enums import (
    ErrorType,
)
from nns.governance.errors import (
    GovernanceError,
    insufficient_funds,
    invalid_command,
    not_authorized,
    not_found,
    precondition_failed,
)
from nns.governance.neuron import (
    Neuron,
    compute_disburse_to_neuron_subaccount,
    compute_neuron_staking_subaccount,
    compute_split_subaccount,
    get_minted_stake_e8s,
    update_stake_adjust_age,
)
from nns.governance.neuron_changes import (
    merged_neurons,
    split_neurons,
    validate_merge,
)
from nns.governance.neuron_commands import require_dissolved
from nns.governance.parameters import (
    MAX_NEURONS,
)
from nns.governance.requests import (
    ClaimByMemo,
    ClaimByMemoAndController,
    ClaimByNeuronIdOrSubaccount,
    ClaimOrRefresh,
    ClaimOrRefreshResponse,
    Disburse,
    DisburseResponse,
    DisburseToNeuron,
    Merge,
    MergeResponse,
    SpawnResponse,
    Split,
)
from nns.governance.settings import (
    DEFAULT_FOLLOWEES,
)
from nns.ledger.accounts import AccountIdentifier
from nns.ledger.types import AccountBalanceArgs
from replica.environment import (
    DEFERRED,
    OutgoingCall,
    Reject,
)
from replica.types import Principal


def claim_or_refresh(
    core: GovernanceCore,
    session: Session,
    caller: Principal,
    neuron_id: int | None,
    subaccount: bytes | None,
    command: ClaimOrRefresh,
) -> object:
    by = command.by
    if isinstance(by, ClaimByMemo):
        subaccount, controller = compute_neuron_staking_subaccount(caller, by.memo), caller
    elif isinstance(by, ClaimByMemoAndController):
        controller = by.controller or caller
        subaccount = compute_neuron_staking_subaccount(controller, by.memo)
    elif isinstance(by, ClaimByNeuronIdOrSubaccount):
        if neuron_id is not None:
            subaccount = core.get_neuron(neuron_id).subaccount
        if subaccount is None or subaccount not in core.state.by_subaccount:
            raise not_found("No neuron with this id or subaccount.")
        controller = core.state.neurons[core.state.by_subaccount[subaccount]].controller
    else:
        raise invalid_command("ClaimOrRefresh requires `by`.")
    existing = core.state.by_subaccount.get(subaccount)
    if existing is not None:
        core.lock_neuron(session, existing, "ClaimOrRefresh")
    elif len(core.state.neurons) >= MAX_NEURONS:
        raise GovernanceError(
            ErrorType.RESOURCE_EXHAUSTED, "Reached the maximum number of neurons."
        )
    core.environment.call(
        OutgoingCall(
            callee=core.ledger_id,
            method="account_balance",
            argument=AccountBalanceArgs(
                account=AccountIdentifier.of(core.governance_id, subaccount)
            ),
            on_reply="_on_claim_balance",
            on_reject="_on_claim_rejected",
            context=ClaimContext(subaccount=subaccount, controller=controller),
        )
    )
    return DEFERRED


def on_claim_balance(core: GovernanceCore, context: ClaimContext, balance: object) -> object:
    subaccount = context.subaccount
    if not isinstance(balance, int):
        raise TypeError("the ledger answered a balance that is not an integer")
    with core.transaction() as session:
        existing = core.state.by_subaccount.get(subaccount)
        if existing is not None:
            core.unlock_neuron(session, existing)
        minimum = core.economics.neuron_minimum_stake_e8s
        if balance < minimum:
            # governance.rs claim_neuron / refresh_neuron: the same check, its own verb.
            verb = "stake" if existing is None else "refresh"
            return insufficient_funds(
                f"Account does not have enough funds to {verb} a neuron. Please make sure "
                f"that account has at least {minimum} e8s (was {balance} e8s)"
            )
        now = core.now_seconds()
        if existing is not None:
            neuron = core.state.neurons[existing]
            if balance != neuron.cached_neuron_stake_e8s:
                core.state.put_neuron(session, update_stake_adjust_age(neuron, balance, now))
            return ClaimOrRefreshResponse(refreshed_neuron_id=existing)
        core.take_rate_limit_slot(session)
        neuron = Neuron(
            id=core.new_neuron_id(),
            subaccount=subaccount,
            controller=context.controller,
            created_timestamp_seconds=now,
            voting_power_refreshed_timestamp_seconds=now,
            cached_neuron_stake_e8s=balance,
            dissolve_delay_seconds=core.durations.initial_neuron_dissolve_delay_seconds,
            aging_since_timestamp_seconds=now,
            followees=dict(core.state.get(DEFAULT_FOLLOWEES)),
        )
        core.state.put_neuron(session, neuron)
        return ClaimOrRefreshResponse(refreshed_neuron_id=neuron.id)


def on_claim_rejected(core: GovernanceCore, context: ClaimContext, reject: object) -> object:
    subaccount = context.subaccount
    with core.transaction() as session:
        existing = core.state.by_subaccount.get(subaccount)
        if existing is not None:
            core.unlock_neuron(session, existing)
    return _external(reject)


def disburse(
    core: GovernanceCore,
    session: Session,
    caller: Principal,
    neuron_id: int,
    command: Disburse,
    proposal_id: int | None,
) -> object:
    neuron = core.get_controlled_neuron(caller, neuron_id)
    require_dissolved(neuron, core.now_seconds())
    if not neuron.kyc_verified:
        raise precondition_failed(f"Neuron {neuron_id} is not kyc verified.")
    fee = core.economics.transaction_fee_e8s
    # governance.rs disburse_neuron: the fees owed are burned first and taken out of the
    # requested amount (saturating); the amount is not compared with the stake, the
    # ledger refuses what the account cannot pay.
    if command.amount_e8s is None:
        amount = get_minted_stake_e8s(neuron)
    else:
        amount = max(0, command.amount_e8s - neuron.neuron_fees_e8s)
    if amount > fee:
        amount -= fee
    destination = command.to_account or AccountIdentifier.of(caller)
    core.lock_neuron(session, neuron_id, "Disburse")
    step = DisburseContext(
        neuron_id=neuron_id, amount=amount, to=destination, proposal_id=proposal_id
    )
    if neuron.neuron_fees_e8s > fee:
        _burn_fees(core, neuron, "_on_disburse_fees_burned", "_on_neuron_ledger_rejected", step)
    else:
        _disburse_transfer(core, step)
    return DEFERRED


def _disburse_transfer(core: GovernanceCore, context: DisburseContext) -> None:
    neuron = core.state.neurons[context.neuron_id]
    core.call_ledger_transfer(
        from_subaccount=neuron.subaccount,
        to=context.to,
        amount_e8s=context.amount,
        fee_e8s=core.economics.transaction_fee_e8s,
        memo=0,
        on_reply="_on_disbursed",
        on_reject="_on_neuron_ledger_rejected",
        context=context,
    )


def on_disburse_fees_burned(
    core: GovernanceCore, context: DisburseContext, block: object
) -> object:
    with core.transaction() as session:
        _fees_burned(core, session, context.neuron_id)
        _disburse_transfer(core, context)
    return DEFERRED


def on_disbursed(core: GovernanceCore, context: DisburseContext, block: object) -> object:
    if not isinstance(block, int):
        raise TypeError("the ledger answered a block index that is not an integer")
    with core.transaction() as session:
        neuron = core.state.neurons[context.neuron_id]
        spent = context.amount + core.economics.transaction_fee_e8s
        core.state.put_neuron(
            session,
            replace(neuron, cached_neuron_stake_e8s=max(0, neuron.cached_neuron_stake_e8s - spent)),
        )
        core.unlock_neuron(session, neuron.id)
        return core.finish_command(
            session, context.proposal_id, DisburseResponse(transfer_block_height=block)
        )


def on_neuron_ledger_rejected(
    core: GovernanceCore, context: NeuronTransferContext, reject: object
) -> object:
    with core.transaction() as session:
        core.unlock_neuron(session, context.neuron_id)
        return core.finish_command(session, context.proposal_id, _external(reject))


def split(
    core: GovernanceCore,
    session: Session,
    caller: Principal,
    neuron_id: int,
    command: Split,
    proposal_id: int | None,
) -> object:
    """governance.rs split_neuron: its checks in its order, types and texts."""
    neuron = core.get_neuron(neuron_id)
    core.require_not_spawning(neuron)
    if caller != neuron.controller:
        raise not_authorized("")
    economics = core.economics
    minimum, fee = economics.neuron_minimum_stake_e8s, economics.transaction_fee_e8s
    if command.amount_e8s < minimum + fee:
        raise insufficient_funds(
            f"Trying to split a neuron with argument {command.amount_e8s} e8s. This is too "
            f"little: at the minimum, one needs the minimum neuron stake, which is {minimum} "
            f"e8s, plus the transaction fee, which is {fee}. Hence the minimum split amount "
            f"is {minimum + fee}."
        )
    minted = get_minted_stake_e8s(neuron)
    if minted < minimum + command.amount_e8s:
        raise insufficient_funds(
            f"Trying to split {command.amount_e8s} e8s out of neuron {neuron_id}. This is "
            f"not allowed, because the parent has stake {minted} e8s. If the requested amount "
            f"was subtracted from it, there would be less than the minimum allowed stake, "
            f"which is {minimum} e8s. "
        )
    if command.memo is not None:
        child_subaccount = compute_split_subaccount(neuron.controller, command.memo)
        if child_subaccount in core.state.by_subaccount:
            raise precondition_failed("There is already a neuron with the same subaccount.")
    else:
        child_subaccount = core.new_subaccount()
    core.take_rate_limit_slot(session)
    core.lock_neuron(session, neuron_id, "Split")
    child_id = core.new_neuron_id()
    core.call_ledger_transfer(
        from_subaccount=neuron.subaccount,
        to=AccountIdentifier.of(core.governance_id, child_subaccount),
        amount_e8s=command.amount_e8s - fee,
        fee_e8s=fee,
        memo=0,
        on_reply="_on_split_transferred",
        on_reject="_on_neuron_ledger_rejected",
        context=SplitContext(
            neuron_id=neuron_id,
            child_id=child_id,
            child_subaccount=child_subaccount,
            amount=command.amount_e8s,
            proposal_id=proposal_id,
        ),
    )
    return DEFERRED


def on_split_transferred(core: GovernanceCore, context: SplitContext, block: object) -> object:
    with core.transaction() as session:
        parent = core.state.neurons[context.neuron_id]
        amount = context.amount
        new_parent, child = split_neurons(
            parent,
            context.child_id,
            context.child_subaccount,
            amount,
            core.now_seconds(),
            core.economics.transaction_fee_e8s,
        )
        core.state.put_neurons(session, [new_parent, child])
        core.unlock_neuron(session, parent.id)
        return core.finish_command(
            session,
            context.proposal_id,
            SpawnResponse(created_neuron_id=child.id, command="Split"),
        )


def merge(
    core: GovernanceCore,
    session: Session,
    caller: Principal,
    neuron_id: int,
    command: Merge,
    proposal_id: int | None,
) -> object:
    source, target = validate_merge(
        core.state,
        core.locks,
        caller,
        neuron_id,
        command.source_neuron_id,
        core.now_seconds(),
    )
    core.lock_neuron(session, source.id, "Merge")
    core.lock_neuron(session, target.id, "Merge")
    step = MergeContext(source_id=source.id, target_id=target.id, proposal_id=proposal_id)
    fee = core.economics.transaction_fee_e8s
    if source.neuron_fees_e8s > fee:
        _burn_fees(core, source, "_on_merge_fees_burned", "_on_merge_rejected", step)
        return DEFERRED
    return _merge_transfer(core, session, step)


def on_merge_fees_burned(core: GovernanceCore, context: MergeContext, block: object) -> object:
    with core.transaction() as session:
        _fees_burned(core, session, context.source_id)
        return _merge_transfer(core, session, context)


def _merge_transfer(core: GovernanceCore, session: Session, context: MergeContext) -> object:
    source = core.state.neurons[context.source_id]
    target = core.state.neurons[context.target_id]
    fee = core.economics.transaction_fee_e8s
    amount = get_minted_stake_e8s(source) - fee
    if amount <= 0:
        return _finish_merge(core, session, context, 0)
    core.call_ledger_transfer(
        from_subaccount=source.subaccount,
        to=core.neuron_account(target),
        amount_e8s=amount,
        fee_e8s=fee,
        memo=0,
        on_reply="_on_merge_transferred",
        on_reject="_on_merge_rejected",
        context=replace(context, amount=amount),
    )
    return DEFERRED


def on_merge_transferred(core: GovernanceCore, context: MergeContext, block: object) -> object:
    with core.transaction() as session:
        return _finish_merge(core, session, context, context.amount)


def _finish_merge(
    core: GovernanceCore, session: Session, context: MergeContext, amount: int
) -> object:
    source = core.state.neurons[context.source_id]
    target = core.state.neurons[context.target_id]
    new_source, new_target = merged_neurons(
        source, target, amount, core.now_seconds(), core.economics.transaction_fee_e8s
    )
    core.state.put_neurons(session, [new_source, new_target])
    core.unlock_neuron(session, source.id)
    core.unlock_neuron(session, target.id)
    return core.finish_command(
        session,
        context.proposal_id,
        MergeResponse(source_neuron_id=source.id, target_neuron_id=target.id),
    )


def on_merge_rejected(core: GovernanceCore, context: MergeContext, reject: object) -> object:
    with core.transaction() as session:
        core.unlock_neuron(session, context.source_id)
        core.unlock_neuron(session, context.target_id)
        return core.finish_command(session, context.proposal_id, _external(reject))


def disburse_to_neuron(
    core: GovernanceCore,
    session: Session,
    caller: Principal,
    neuron_id: int,
    command: DisburseToNeuron,
    proposal_id: int | None,
) -> object:
    parent = core.get_controlled_neuron(caller, neuron_id)
    require_dissolved(parent, core.now_seconds())
    if not parent.kyc_verified:
        raise precondition_failed(f"Neuron {neuron_id} is not kyc verified.")
    if command.new_controller is None:
        raise invalid_command("Must specify a new controller for disburse to neuron.")
    economics = core.economics
    minimum, fee = economics.neuron_minimum_stake_e8s, economics.transaction_fee_e8s
    if command.amount_e8s < minimum + fee:
        raise insufficient_funds("The amount is below the minimum stake plus the fee.")
    if get_minted_stake_e8s(parent) < minimum + command.amount_e8s:
        raise insufficient_funds("The parent would keep less than the minimum stake.")
    subaccount = compute_disburse_to_neuron_subaccount(command.new_controller, command.nonce)
    if subaccount in core.state.by_subaccount:
        raise precondition_failed("A neuron already uses the subaccount of this nonce.")
    core.take_rate_limit_slot(session)
    core.lock_neuron(session, neuron_id, "DisburseToNeuron")
    core.call_ledger_transfer(
        from_subaccount=parent.subaccount,
        to=AccountIdentifier.of(core.governance_id, subaccount),
        amount_e8s=command.amount_e8s - fee,
        fee_e8s=fee,
        memo=core.now_seconds(),
        on_reply="_on_disbursed_to_neuron",
        on_reject="_on_neuron_ledger_rejected",
        context=DisburseToNeuronContext(
            neuron_id=neuron_id,
            child_id=core.new_neuron_id(),
            child_subaccount=subaccount,
            amount=command.amount_e8s,
            controller=command.new_controller,
            dissolve_delay_seconds=command.dissolve_delay_seconds,
            kyc_verified=command.kyc_verified,
            proposal_id=proposal_id,
        ),
    )
    return DEFERRED


def on_disbursed_to_neuron(
    core: GovernanceCore, context: DisburseToNeuronContext, block: object
) -> object:
    with core.transaction() as session:
        parent = core.state.neurons[context.neuron_id]
        amount = context.amount
        now = core.now_seconds()
        delay = min(context.dissolve_delay_seconds, core.durations.max_dissolve_delay_seconds)
        child = Neuron(
            id=context.child_id,
            subaccount=context.child_subaccount,
            controller=context.controller,
            created_timestamp_seconds=now,
            voting_power_refreshed_timestamp_seconds=now,
            cached_neuron_stake_e8s=amount - core.economics.transaction_fee_e8s,
            dissolve_delay_seconds=delay if delay > 0 else None,
            aging_since_timestamp_seconds=now,
            when_dissolved_timestamp_seconds=None if delay > 0 else now,
            kyc_verified=context.kyc_verified,
            followees=dict(core.state.get(DEFAULT_FOLLOWEES)),
        )
        core.state.put_neurons(
            session,
            [
                replace(parent, cached_neuron_stake_e8s=parent.cached_neuron_stake_e8s - amount),
                child,
            ],
        )
        core.unlock_neuron(session, parent.id)
        return core.finish_command(
            session,
            context.proposal_id,
            SpawnResponse(created_neuron_id=child.id, command="DisburseToNeuron"),
        )


def _external(reject: object) -> GovernanceError:
    message = reject.message if isinstance(reject, Reject) else str(reject)
    return GovernanceError(ErrorType.EXTERNAL, f"Ledger refused the transfer: {message}")


def _burn_fees(
    core: GovernanceCore, neuron: Neuron, on_reply: str, on_reject: str, context: object
) -> None:
    """Burn the fees a neuron owes (its rejected proposals' costs) before its stake moves."""
    core.call_ledger_transfer(
        from_subaccount=neuron.subaccount,
        to=core.minting_account(),
        amount_e8s=neuron.neuron_fees_e8s,
        fee_e8s=0,
        memo=0,
        on_reply=on_reply,
        on_reject=on_reject,
        context=context,
    )


def _fees_burned(core: GovernanceCore, session: Session, neuron_id: int) -> None:
    """The ledger burned the neuron's fees: they leave its stake."""
    neuron = core.state.neurons[neuron_id]
    core.state.put_neuron(
        session,
        replace(
            neuron,
            cached_neuron_stake_e8s=neuron.cached_neuron_stake_e8s - neuron.neuron_fees_e8s,
            neuron_fees_e8s=0,
        ),
    )
