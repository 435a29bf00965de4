"""Time-driven work (`run_periodic_tasks`): decisions at deadlines, spawning, maturity
disbursements, unstaking the maturity of dissolved neurons, pruning the following of stale
neurons, daily reward events (spec 5) and garbage collection.

The tasks and the callbacks of the ledger calls they make are functions of the governance
state (`core`); deciding a proposal at its deadline may execute it, through the ManageNeuron
door of `nns.governance.commands` for a ManageNeuron proposal.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from nns.governance import node_provider_payments, voting
from nns.governance.commands import run_command
from nns.governance.contexts import (
    MintContext,
    TotalSupplyContext,
)
from nns.governance.core import GovernanceCore
from nns.governance.enums import (
    REWARD_WEIGHT_HUNDREDTHS,
    NeuronState,
    Vote,
)
from nns.governance.neuron import (
    apply_maturity_modulation,
    get_state,
    is_stale,
    prune_following,
    with_maturity,
)
from nns.governance.proposals import (
    ProposalRecord,
)
from nns.governance.rewards import RewardEvent, compute_neuron_rewards, compute_reward_pool_e8s
from nns.governance.settings import (
    LATEST_REWARD_EVENT,
    MATURITY_MODULATION_BASIS_POINTS,
    TOTAL_SUPPLY_E8S,
)
from nns.ledger.accounts import AccountIdentifier
from replica.environment import (
    OutgoingCall,
)

UNSTAKE_BATCH = 100


def run_periodic_tasks(core: GovernanceCore, session: Session) -> None:
    """Everything that happens because time passed."""
    now = core.now_seconds()
    for record in sorted(core.state.proposals.values(), key=lambda r: r.id):
        voting.process_proposal(core, session, record, run_command)
    _spawn_neurons(core, session, now)
    _finalize_maturity_disbursements(core, session, now)
    _unstake_maturity_of_dissolved_neurons(core, session, now)
    _prune_following(core, session, now)
    _maybe_start_reward_event(core, now)
    voting.snapshot_voting_power(core, session, now)
    voting.maybe_collect_garbage(core, session)
    node_provider_payments.maybe_mint(core, session)


def _spawn_neurons(core: GovernanceCore, session: Session, now: int) -> None:
    modulation = core.state.get(MATURITY_MODULATION_BASIS_POINTS)
    for neuron in sorted(core.state.neurons.values(), key=lambda n: n.id):
        spawn_at = neuron.spawn_at_timestamp_seconds
        if spawn_at is None or spawn_at > now or neuron.id in core.locks:
            continue
        amount = apply_maturity_modulation(neuron.maturity_e8s_equivalent, modulation)
        core.lock_neuron(session, neuron.id, "Spawn")
        core.call_ledger_transfer(
            from_subaccount=None,
            to=core.neuron_account(neuron),
            amount_e8s=amount,
            fee_e8s=0,
            memo=0,
            on_reply="_on_spawn_minted",
            on_reject="_on_mint_rejected",
            context=MintContext(neuron_id=neuron.id, amount=amount),
        )


def on_spawn_minted(core: GovernanceCore, context: MintContext, block: object) -> None:
    with core.transaction() as session:
        neuron = core.state.neurons[context.neuron_id]
        core.state.put_neuron(
            session,
            replace(
                neuron,
                cached_neuron_stake_e8s=context.amount,
                maturity_e8s_equivalent=0,
                spawn_at_timestamp_seconds=None,
            ),
        )
        core.unlock_neuron(session, neuron.id)


def on_mint_rejected(core: GovernanceCore, context: MintContext, reject: object) -> None:
    with core.transaction() as session:
        core.unlock_neuron(session, context.neuron_id)


def _finalize_maturity_disbursements(core: GovernanceCore, session: Session, now: int) -> None:
    modulation = core.state.get(MATURITY_MODULATION_BASIS_POINTS)
    for neuron in sorted(core.state.neurons.values(), key=lambda n: n.id):
        if not neuron.maturity_disbursements_in_progress or neuron.id in core.locks:
            continue
        first = neuron.maturity_disbursements_in_progress[0]
        if first.finalize_disbursement_timestamp_seconds > now:
            continue
        core.lock_neuron(session, neuron.id, "DisburseMaturity")
        core.call_ledger_transfer(
            from_subaccount=None,
            to=AccountIdentifier(first.account_identifier),
            amount_e8s=apply_maturity_modulation(first.amount_e8s, modulation),
            fee_e8s=0,
            memo=0,
            on_reply="_on_maturity_disbursed",
            on_reject="_on_mint_rejected",
            context=MintContext(neuron_id=neuron.id),
        )


def on_maturity_disbursed(core: GovernanceCore, context: MintContext, block: object) -> None:
    with core.transaction() as session:
        neuron = core.state.neurons[context.neuron_id]
        core.state.put_neuron(
            session,
            replace(
                neuron,
                maturity_disbursements_in_progress=neuron.maturity_disbursements_in_progress[1:],
            ),
        )
        core.unlock_neuron(session, neuron.id)


def _unstake_maturity_of_dissolved_neurons(
    core: GovernanceCore, session: Session, now: int
) -> None:
    changed = []
    for neuron in core.state.neurons.values():
        if (
            neuron.staked_maturity_e8s_equivalent
            and get_state(neuron, now) == NeuronState.DISSOLVED
        ):
            changed.append(
                replace(
                    neuron,
                    maturity_e8s_equivalent=neuron.maturity_e8s_equivalent
                    + neuron.staked_maturity_e8s_equivalent,
                    staked_maturity_e8s_equivalent=0,
                )
            )
            if len(changed) == UNSTAKE_BATCH:
                break
    core.state.set_maturities(session, changed)


def _prune_following(core: GovernanceCore, session: Session, now: int) -> None:
    economics = core.economics.voting_power_economics
    stale = [
        prune_following(neuron)
        for neuron in core.state.neurons.values()
        if is_stale(neuron, now, economics) and any(topic != 1 for topic in neuron.followees)
    ]
    core.state.put_neurons(session, stale)


def _maybe_start_reward_event(core: GovernanceCore, now: int) -> None:
    latest = core.latest_reward_event
    day = core.durations.one_day_seconds
    due = core.genesis_timestamp_seconds + (latest.day_after_genesis + 1) * day
    if now < due:
        return
    core.environment.call(
        OutgoingCall(
            callee=core.ledger_id,
            method="icrc1_total_supply",
            argument=None,
            on_reply="_on_total_supply",
            on_reject="_on_total_supply_rejected",
            context=TotalSupplyContext(),
        )
    )


def on_total_supply_rejected(
    core: GovernanceCore, context: TotalSupplyContext, reject: object
) -> None:
    return None


def on_total_supply(core: GovernanceCore, context: TotalSupplyContext, supply: object) -> None:
    if not isinstance(supply, int):
        raise TypeError("the ledger answered a total supply that is not an integer")
    with core.transaction() as session:
        core.state.put(session, TOTAL_SUPPLY_E8S, supply)
        distribute_rewards(core, session, supply)


def distribute_rewards(
    core: GovernanceCore, session: Session, total_supply_e8s: int
) -> RewardEvent | None:
    """One reward event: settle what is ready, mint the pool as maturity."""
    now = core.now_seconds()
    day = core.durations.one_day_seconds
    genesis = core.genesis_timestamp_seconds
    today = (now - genesis) // day
    latest = core.latest_reward_event
    if today <= latest.day_after_genesis:
        return None
    new_days = range(latest.day_after_genesis, today)
    rolled_over = 0 if latest.settled_proposals else latest.total_available_e8s_equivalent
    pool = compute_reward_pool_e8s(total_supply_e8s, new_days) + rolled_over
    cutoff = genesis + today * day
    settled = [
        record
        for record in sorted(core.state.proposals.values(), key=lambda r: r.id)
        if not record.is_manage_neuron
        and record.reward_event_round == 0
        and record.deadline_timestamp_seconds <= cutoff
    ]
    distributed = 0
    if settled:
        used: dict[int, int] = {}
        total = 0
        for record in settled:
            weight = REWARD_WEIGHT_HUNDREDTHS.get(record.topic, 100)
            total += weight * record.total_potential_voting_power
            votes = record.ballots.votes
            for neuron_id, power in record.ballots.power.items():
                if votes[neuron_id] != Vote.UNSPECIFIED and power:
                    used[neuron_id] = used.get(neuron_id, 0) + weight * power
        rewards = compute_neuron_rewards(used, total, pool)
        updated = []
        for neuron_id, reward in sorted(rewards.items()):
            neuron = core.state.neurons.get(neuron_id)
            if neuron is None:
                continue
            distributed += reward
            maturity = neuron.maturity_e8s_equivalent
            staked = neuron.staked_maturity_e8s_equivalent
            if neuron.auto_stake_maturity:
                staked += reward
            else:
                maturity += reward
            updated.append(with_maturity(neuron, maturity, staked))
        core.state.set_maturities(session, updated)
        for record in settled:
            _settle(core, session, record, today)
    event = RewardEvent(
        day_after_genesis=today,
        actual_timestamp_seconds=now,
        settled_proposals=tuple(record.id for record in settled),
        distributed_e8s_equivalent=distributed,
        total_available_e8s_equivalent=pool,
        rounds_since_last_distribution=len(new_days)
        + (0 if latest.settled_proposals else latest.rounds_since_last_distribution),
        latest_round_available_e8s_equivalent=compute_reward_pool_e8s(
            total_supply_e8s, [today - 1]
        ),
    )
    core.state.put(session, LATEST_REWARD_EVENT, event)
    return event


def _settle(
    core: GovernanceCore, session: Session, record: ProposalRecord, round_number: int
) -> None:
    """Mark settled, keep its Yes/No ballots in the neurons' history, drop the ballots."""
    votes = record.ballots.votes
    core.state.record_recent_ballots(
        session,
        [
            (neuron_id, record.id, vote)
            for neuron_id, vote in votes.items()
            if vote != Vote.UNSPECIFIED
        ],
    )
    core.state.touch_proposal(record)
    record.reward_event_round = round_number
    record.ballots = type(record.ballots)({})
    core.state.put_proposal(session, record)
