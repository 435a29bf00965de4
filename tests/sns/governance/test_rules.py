"""SNS governance rules against spec sns.md §4.2-§4.7.

Sources: dfinity/ic rs/sns/governance/src/types.rs (defaults, bounds, native action
ids, PreInitializationSwap), topics.rs (topics), proposal.rs (`is_accepted`,
`majority_decision`, wait-for-quiet), neuron.rs (voting power), following.rs,
reward.rs.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from sns.governance.actions import (
    AddGenericNervousSystemFunction,
    ExecuteGenericNervousSystemFunction,
    GenericFunction,
    ManageNervousSystemParameters,
    Motion,
    TransferSnsTreasuryFunds,
    UpgradeSnsControlledCanister,
)
from sns.governance.core import Mode, treasury_subaccount
from sns.governance.errors import ErrorType, SnsGovernanceError
from sns.governance.neuron import Followee, compute_voting_power, staking_subaccount
from sns.governance.parameters import (
    ONE_DAY_SECONDS,
    ONE_MONTH_SECONDS,
    ONE_YEAR_SECONDS,
    NervousSystemParameters,
    ParameterError,
    Permission,
    VotingRewardsParameters,
    validate_parameters,
)
from sns.governance.proposals import (
    CRITICAL_TOPICS,
    NATIVE_ACTION_TOPICS,
    Action,
    Tally,
    Topic,
    Vote,
    is_accepted,
    majority_decision,
    voting_rules,
)
from tests.sns.governance.helpers import (
    DAPP,
    E8S,
    GOVERNANCE,
    ROOT,
    SWAP,
    T0,
    add_neuron,
    make_core,
    principal,
    snapshot,
)


def test_defaults_are_the_spec_table() -> None:
    p = NervousSystemParameters()
    assert p.reject_cost_e8s == E8S and p.neuron_minimum_stake_e8s == E8S
    assert p.transaction_fee_e8s == 10_000
    assert p.max_proposals_to_keep_per_action == 100
    assert p.initial_voting_period_seconds == 4 * ONE_DAY_SECONDS
    assert p.wait_for_quiet_deadline_increase_seconds == ONE_DAY_SECONDS
    assert p.max_number_of_neurons == 200_000
    assert p.neuron_minimum_dissolve_delay_to_vote_seconds == 6 * ONE_MONTH_SECONDS
    assert p.max_followees_per_function == 15
    assert p.max_dissolve_delay_seconds == 8 * ONE_YEAR_SECONDS
    assert p.max_neuron_age_for_age_bonus == 4 * ONE_YEAR_SECONDS
    assert p.max_number_of_proposals_with_ballots == 700
    assert p.neuron_grantable_permissions == ()
    assert p.max_number_of_principals_per_neuron == 5
    assert (p.max_dissolve_delay_bonus_percentage, p.max_age_bonus_percentage) == (100, 25)
    assert p.maturity_modulation_disabled is False
    assert p.automatically_advance_target_version is True
    validate_parameters(p)


@pytest.mark.parametrize(
    "changes",
    [
        {"neuron_minimum_stake_e8s": 10_000},  # must exceed the fee
        {"max_proposals_to_keep_per_action": 701},
        {"initial_voting_period_seconds": ONE_DAY_SECONDS - 1},
        {"initial_voting_period_seconds": 30 * ONE_DAY_SECONDS + 1},
        {"wait_for_quiet_deadline_increase_seconds": 0},
        {"wait_for_quiet_deadline_increase_seconds": 2 * ONE_DAY_SECONDS + 1},  # > half of 4 days
        {"max_number_of_neurons": 200_001},
        {"neuron_minimum_dissolve_delay_to_vote_seconds": 8 * ONE_YEAR_SECONDS + 1},
        {"max_followees_per_function": 16},
        {"max_number_of_proposals_with_ballots": 701},
        {"neuron_claimer_permissions": (Permission.VOTE, Permission.SUBMIT_PROPOSAL)},
        {"max_number_of_principals_per_neuron": 4},
        {"max_number_of_principals_per_neuron": 16},
        {"max_dissolve_delay_bonus_percentage": 901},
        {"max_age_bonus_percentage": 401},
        {
            "voting_rewards_parameters": VotingRewardsParameters(
                initial_reward_rate_basis_points=100, final_reward_rate_basis_points=200
            )
        },
        {
            "voting_rewards_parameters": VotingRewardsParameters(
                initial_reward_rate_basis_points=10_001, final_reward_rate_basis_points=0
            )
        },
    ],
)
def test_each_bound_refuses(changes: dict[str, Any]) -> None:
    with pytest.raises(ParameterError):
        NervousSystemParameters().updated(changes)


def test_the_ceilings_themselves_are_allowed() -> None:
    NervousSystemParameters().updated(
        {
            "max_proposals_to_keep_per_action": 700,
            "max_number_of_principals_per_neuron": 15,
            "max_dissolve_delay_bonus_percentage": 900,
            "max_age_bonus_percentage": 400,
            "initial_voting_period_seconds": 30 * ONE_DAY_SECONDS,
        }
    )


def test_native_action_ids_topics_and_criticality() -> None:
    assert [a.value for a in Action] == list(range(20))
    critical = {a for a, t in NATIVE_ACTION_TOPICS.items() if t in CRITICAL_TOPICS}
    assert critical == {
        Action.MANAGE_NERVOUS_SYSTEM_PARAMETERS,
        Action.ADD_GENERIC_NERVOUS_SYSTEM_FUNCTION,
        Action.REMOVE_GENERIC_NERVOUS_SYSTEM_FUNCTION,
        Action.MANAGE_SNS_METADATA,
        Action.TRANSFER_SNS_TREASURY_FUNDS,
        Action.DEREGISTER_DAPP_CANISTERS,
        Action.MINT_SNS_TOKENS,
        Action.MANAGE_LEDGER_PARAMETERS,
        Action.SET_TOPICS_FOR_CUSTOM_PROPOSALS,
        Action.REGISTER_EXTENSION,
        Action.UPGRADE_EXTENSION,
    }
    assert NATIVE_ACTION_TOPICS[Action.MOTION] == Topic.GOVERNANCE
    assert NATIVE_ACTION_TOPICS[Action.UPGRADE_SNS_CONTROLLED_CANISTER] == (
        Topic.DAPP_CANISTER_MANAGEMENT
    )
    assert Action.EXECUTE_GENERIC_NERVOUS_SYSTEM_FUNCTION not in NATIVE_ACTION_TOPICS


def test_thresholds_non_critical_3_50_and_critical_20_67() -> None:
    normal = voting_rules(Topic.GOVERNANCE, 4 * ONE_DAY_SECONDS, ONE_DAY_SECONDS)
    critical = voting_rules(Topic.TREASURY_ASSET_MANAGEMENT, 4 * ONE_DAY_SECONDS, ONE_DAY_SECONDS)
    assert critical.initial_voting_period_seconds == 5 * ONE_DAY_SECONDS
    assert critical.wait_for_quiet_deadline_increase_seconds == 5 * ONE_DAY_SECONDS // 2
    assert is_accepted(Tally(3, 0, 100), normal)
    assert not is_accepted(Tally(2, 0, 100), normal)
    assert not is_accepted(Tally(5, 5, 100), normal)  # a tie is no majority
    assert is_accepted(Tally(51, 49, 100), normal)
    assert not is_accepted(Tally(19, 0, 100), critical)
    assert is_accepted(Tally(20, 0, 100), critical)
    assert not is_accepted(Tally(67, 33, 100), critical)  # 67 % of exercised is not more than 67 %
    assert is_accepted(Tally(68, 32, 100), critical)
    assert majority_decision(51, 0, 100, 5_000) == Vote.YES
    assert majority_decision(0, 50, 100, 5_000) == Vote.NO
    assert majority_decision(50, 0, 100, 5_000) == Vote.UNSPECIFIED
    assert majority_decision(0, 33, 100, 6_700) == Vote.NO


def test_voting_power_formula() -> None:
    p = NervousSystemParameters()
    stake = 100 * E8S
    assert (
        compute_voting_power(stake_e8s=stake, dissolve_delay_seconds=0, age_seconds=0, parameters=p)
        == stake
    )
    full = compute_voting_power(
        stake_e8s=stake,
        dissolve_delay_seconds=8 * ONE_YEAR_SECONDS,
        age_seconds=4 * ONE_YEAR_SECONDS,
        parameters=p,
    )
    assert full == stake * 2 * 125 // 100  # +100 % and +25 %, multiplied
    half = compute_voting_power(
        stake_e8s=stake,
        dissolve_delay_seconds=4 * ONE_YEAR_SECONDS,
        age_seconds=10 * ONE_YEAR_SECONDS,
        parameters=p,
    )
    assert half == (stake + stake // 2) * 125 // 100


def test_neuron_ids_are_32_byte_staking_subaccounts() -> None:
    core = make_core()
    neuron_id = core.claim_or_refresh(principal("a"), principal("a"), 7, 5 * E8S, T0)
    assert len(neuron_id) == 32 and neuron_id == staking_subaccount(principal("a"), 7)
    assert core.neuron(neuron_id).has_permission(principal("a"), Permission.DISBURSE)
    # a top-up refreshes the same neuron
    assert core.claim_or_refresh(principal("a"), principal("a"), 7, 8 * E8S, T0) == neuron_id
    assert core.neuron(neuron_id).cached_neuron_stake_e8s == 8 * E8S
    before = snapshot(core)
    with pytest.raises(SnsGovernanceError) as refused:
        core.claim_or_refresh(principal("b"), principal("b"), 1, E8S - 1, T0)
    assert refused.value.error_type == ErrorType.INSUFFICIENT_FUNDS
    assert snapshot(core) == before
    assert len(treasury_subaccount(GOVERNANCE)) == 32


def test_permissions_per_principal() -> None:
    params = NervousSystemParameters(
        neuron_grantable_permissions=(Permission.VOTE, Permission.SUBMIT_PROPOSAL, Permission.SPLIT)
    )
    core = make_core(parameters=params)
    neuron = add_neuron(core, "owner", 10)
    owner, helper = principal("owner"), principal("helper")
    core.add_permissions(owner, neuron, helper, [Permission.VOTE])
    assert core.neuron(neuron).has_permission(helper, Permission.VOTE)
    before = snapshot(core)
    for caller, wanted, kind in (
        (helper, [Permission.VOTE], ErrorType.NOT_AUTHORIZED),  # helper cannot manage
        (owner, [Permission.DISBURSE], ErrorType.ACCESS_CONTROL_LIST),  # not grantable
    ):
        with pytest.raises(SnsGovernanceError) as refused:
            core.add_permissions(caller, neuron, principal("x"), wanted)
        assert refused.value.error_type == kind
    for index in range(3):
        core.add_permissions(owner, neuron, principal(f"p{index}"), [Permission.VOTE])
    with pytest.raises(SnsGovernanceError):  # the sixth principal exceeds the limit of 5
        core.add_permissions(owner, neuron, principal("p9"), [Permission.VOTE])
    assert snapshot(core) != before
    core.remove_permissions(helper, neuron, helper, [Permission.VOTE])  # one may drop one's own
    assert helper not in core.neuron(neuron).permissions


def test_set_following_rules() -> None:
    core = make_core()
    a, b = add_neuron(core, "a", 10), add_neuron(core, "b", 10)
    owner = principal("a")
    before = snapshot(core)
    bad: list[list[tuple[int, tuple[Followee, ...]]]] = [
        [],
        [(0, (Followee(b),))],
        [(1, (Followee(b),)), (1, ())],
        [(1, tuple(Followee(bytes([i]) * 32) for i in range(16)))],
        [(1, (Followee(b), Followee(b)))],
        [(1, (Followee(b, ""),))],
        [(1, (Followee(b, "x" * 129),))],
        [(1, (Followee(b, "one"),)), (2, (Followee(b, "two"),))],
    ]
    for following in bad:
        with pytest.raises(SnsGovernanceError) as refused:
            core.set_following(owner, a, following)
        assert refused.value.error_type == ErrorType.INVALID_COMMAND
    assert snapshot(core) == before
    core.set_following(owner, a, [(int(Topic.GOVERNANCE), (Followee(b, "bee"),))])
    assert core.neuron(a).topic_followees[int(Topic.GOVERNANCE)] == (Followee(b, "bee"),)
    core.set_following(owner, a, [(int(Topic.GOVERNANCE), ())])  # an empty list clears it
    assert core.neuron(a).topic_followees == {}


def test_votes_cascade_by_topic_and_critical_topics_ignore_catch_all() -> None:
    core = make_core()
    leader = add_neuron(core, "leader", 100)
    chain = [add_neuron(core, f"f{i}", 1) for i in range(5)]
    catch_all = add_neuron(core, "lazy", 1)
    previous = leader
    for index, neuron in enumerate(chain):
        core.set_following(
            principal(f"f{index}"), neuron, [(int(Topic.GOVERNANCE), (Followee(previous),))]
        )
        previous = neuron
    core.follow(principal("lazy"), catch_all, 0, [leader])
    motion = core.make_proposal(
        principal("leader"),
        leader,
        title="m",
        summary="",
        url="",
        action=Motion(motion_text="x"),
        now=T0,
    )
    ballots = core.proposal(motion).ballots
    assert all(ballots[n][0] == Vote.YES for n in [*chain, catch_all])
    change = core.make_proposal(
        principal("leader"),
        leader,
        title="p",
        summary="",
        url="",
        action=ManageNervousSystemParameters(changes={"reject_cost_e8s": 2 * E8S}),
        now=T0,
    )
    ballots = core.proposal(change).ballots
    assert ballots[catch_all][0] == Vote.UNSPECIFIED  # no catch-all on a critical topic
    assert ballots[chain[0]][0] == Vote.UNSPECIFIED  # followed on Governance, not this topic


def test_proposals_decide_execute_and_refund_the_reject_cost() -> None:
    core = make_core()
    big, small = add_neuron(core, "big", 100), add_neuron(core, "small", 10)
    proposal_id = core.make_proposal(
        principal("small"),
        small,
        title="m",
        summary="",
        url="",
        action=Motion(motion_text="x"),
        now=T0,
    )
    assert core.neuron(small).neuron_fees_e8s == E8S
    assert core.process_proposals(T0 + 1) == []  # 10/110 yes: no early decision
    core.register_vote(principal("big"), big, proposal_id, Vote.YES, T0 + 2)
    (execution,) = core.process_proposals(T0 + 3)
    assert execution.proposal_id == proposal_id
    assert core.neuron(small).neuron_fees_e8s == 0
    with pytest.raises(SnsGovernanceError):
        core.register_vote(principal("big"), big, proposal_id, Vote.NO, T0 + 4)
    rejected = core.make_proposal(
        principal("small"),
        small,
        title="m",
        summary="",
        url="",
        action=Motion(motion_text="y"),
        now=T0,
    )
    core.register_vote(principal("big"), big, rejected, Vote.NO, T0 + 5)
    assert core.process_proposals(T0 + 6) == []
    assert core.proposal(rejected).is_decided and not core.proposal(rejected).is_adopted
    assert core.neuron(small).neuron_fees_e8s == E8S  # a rejected proposal costs its proposer


def test_wait_for_quiet_extends_on_a_flip() -> None:
    core = make_core()
    a, b = add_neuron(core, "a", 10), add_neuron(core, "b", 30)
    c, d = add_neuron(core, "c", 25), add_neuron(core, "d", 20)
    proposal_id = core.make_proposal(
        principal("a"), a, title="m", summary="", url="", action=Motion(motion_text="x"), now=T0
    )
    deadline = core.proposal(proposal_id).deadline_seconds
    day3 = T0 + 3 * ONE_DAY_SECONDS
    core.register_vote(principal("c"), c, proposal_id, Vote.YES, day3)
    core.register_vote(principal("b"), b, proposal_id, Vote.NO, day3)
    assert core.proposal(proposal_id).deadline_seconds == deadline  # yes still leads: no flip
    core.register_vote(principal("d"), d, proposal_id, Vote.NO, day3)  # now no leads: a flip
    # required margin = increase + initial/2 - elapsed/2 = 1 + 2 - 1.5 days
    assert core.proposal(proposal_id).deadline_seconds == day3 + 3 * ONE_DAY_SECONDS // 2


def test_pre_initialization_swap_mode_refusals_change_nothing() -> None:
    core = make_core(mode=Mode.PRE_INITIALIZATION_SWAP)
    dev = add_neuron(core, "dev", 10)
    owner = principal("dev")
    before = snapshot(core)
    for action in (
        ManageNervousSystemParameters(changes={"reject_cost_e8s": 2 * E8S}),
        UpgradeSnsControlledCanister(
            canister_id=DAPP, new_canister_wasm=b"x", canister_upgrade_arg=None
        ),
        TransferSnsTreasuryFunds(
            from_treasury=2, amount_e8s=E8S, to_principal=owner, to_subaccount=None
        ),
    ):
        with pytest.raises(SnsGovernanceError) as refused:
            core.make_proposal(owner, dev, title="t", summary="", url="", action=action, now=T0)
        assert refused.value.error_type == ErrorType.PRECONDITION_FAILED
    with pytest.raises(SnsGovernanceError):
        core.start_dissolving(owner, dev, T0)
    with pytest.raises(SnsGovernanceError):
        core.claim_or_refresh(owner, owner, 5, 10 * E8S, T0)  # only the swap may claim
    with pytest.raises(SnsGovernanceError):
        core.set_mode(owner, Mode.NORMAL)
    assert snapshot(core) == before
    core.make_proposal(
        owner, dev, title="t", summary="", url="", action=Motion(motion_text="ok"), now=T0
    )
    core.set_mode(SWAP, Mode.NORMAL)
    assert core.mode == Mode.NORMAL


def test_generic_functions_are_validated() -> None:
    core = make_core()
    dev = add_neuron(core, "dev", 10)
    owner = principal("dev")

    def function(function_id: int, target: Any = DAPP) -> AddGenericNervousSystemFunction:
        return AddGenericNervousSystemFunction(
            function=GenericFunction(
                id=function_id,
                name="f",
                description=None,
                target_canister_id=target,
                target_method_name="do",
                validator_canister_id=DAPP,
                validator_method_name="check",
                topic=Topic.APPLICATION_BUSINESS_LOGIC,
            )
        )

    for action in (function(999), function(1000, target=ROOT), function(1000, target=GOVERNANCE)):
        with pytest.raises(SnsGovernanceError) as refused:
            core.make_proposal(owner, dev, title="t", summary="", url="", action=action, now=T0)
        assert refused.value.error_type == ErrorType.INVALID_PROPOSAL
    with pytest.raises(SnsGovernanceError):
        core.make_proposal(
            owner,
            dev,
            title="t",
            summary="",
            url="",
            action=ExecuteGenericNervousSystemFunction(function_id=1000, payload=b""),
            now=T0,
        )
    proposal_id = core.make_proposal(
        owner, dev, title="t", summary="", url="", action=function(1000), now=T0
    )
    (execution,) = core.process_proposals(T0 + 1)
    assert core.apply_local_action(execution)
    core.mark_executed(proposal_id, None, T0 + 1)
    assert core.functions[1000].topic == Topic.APPLICATION_BUSINESS_LOGIC
    assert core.topic_of(ExecuteGenericNervousSystemFunction(function_id=1000, payload=b"")) == (
        Topic.APPLICATION_BUSINESS_LOGIC
    )


def test_reward_rate_decays_quadratically_and_rewards_become_maturity() -> None:
    rewards = VotingRewardsParameters(
        round_duration_seconds=ONE_DAY_SECONDS,
        reward_rate_transition_duration_seconds=100,
        initial_reward_rate_basis_points=1_000,
        final_reward_rate_basis_points=200,
    )
    assert rewards.reward_rate_basis_points_at(0) == 1_000
    assert rewards.reward_rate_basis_points_at(50) == 200 + 800 // 4
    assert rewards.reward_rate_basis_points_at(100) == 200
    core = make_core(parameters=NervousSystemParameters(voting_rewards_parameters=rewards))
    a, b = add_neuron(core, "a", 10), add_neuron(core, "b", 30)
    proposal_id = core.make_proposal(
        principal("a"), a, title="m", summary="", url="", action=Motion(motion_text="x"), now=T0
    )
    core.register_vote(principal("b"), b, proposal_id, Vote.YES, T0 + 1)
    core.process_proposals(T0 + 2)
    supply = 1_000_000 * E8S
    now = core.proposal(proposal_id).deadline_seconds + 1
    paid = core.distribute_rewards(now, supply)
    purse = sum(core.reward_purse_e8s(supply, r) for r in range(1, core.latest_reward_round + 1))
    assert (
        purse
        == supply * 200 * ONE_DAY_SECONDS // (10_000 * ONE_YEAR_SECONDS) * core.latest_reward_round
    )
    va, vb = (core.proposal(proposal_id).ballots[n][1] for n in (a, b))
    assert core.neuron(a).maturity_e8s_equivalent == purse * va // (va + vb)
    assert core.neuron(b).maturity_e8s_equivalent == purse * vb // (va + vb)
    assert paid <= purse
    event = core.latest_reward_event  # get_latest_reward_event (governance.proto RewardEvent)
    assert (event.round, event.actual_timestamp_seconds) == (core.latest_reward_round, now)
    assert event.settled_proposals == (proposal_id,)
    assert (event.distributed_e8s_equivalent, event.total_available_e8s_equivalent) == (paid, purse)
    assert event.rounds_since_last_distribution == core.latest_reward_round
    assert event.end_timestamp_seconds == T0 + core.latest_reward_round * ONE_DAY_SECONDS
    staked = core.stake_maturity(principal("a"), a, 50)
    assert core.neuron(a).staked_maturity_e8s_equivalent == staked
    amount = core.disburse_maturity(principal("b"), b, 100, (principal("b"), None), now)
    assert core.due_disbursements(now) == []
    assert core.due_disbursements(now + 7 * ONE_DAY_SECONDS) == [(b, amount, principal("b"), None)]


def test_record_fields_cover_the_parameter_table() -> None:
    names = {f.name for f in fields(NervousSystemParameters)}
    assert len(names) == 21


def test_set_dissolve_timestamp_only_lengthens_and_auto_stake_moves_rewards_to_staked() -> None:
    """rs/sns/governance/src/neuron.rs `configure`: SetDissolveTimestamp must be in the future
    and not shorten the delay (it adds the difference, capped at the maximum);
    ChangeAutoStakeMaturity makes rewards staked maturity (governance.rs `distribute_rewards`)."""
    rewards = VotingRewardsParameters(
        round_duration_seconds=ONE_DAY_SECONDS,
        reward_rate_transition_duration_seconds=100,
        initial_reward_rate_basis_points=1_000,
        final_reward_rate_basis_points=200,
    )
    core = make_core(parameters=NervousSystemParameters(voting_rewards_parameters=rewards))
    a = add_neuron(core, "a", 10)
    now = T0 + 100
    with pytest.raises(SnsGovernanceError, match="future time"):
        core.set_dissolve_timestamp(principal("a"), a, now - 1, now)
    with pytest.raises(SnsGovernanceError, match="smaller than the current"):
        core.set_dissolve_timestamp(principal("a"), a, now + ONE_YEAR_SECONDS - 1, now)
    with pytest.raises(SnsGovernanceError) as refused:
        core.set_dissolve_timestamp(principal("b"), a, now + 2 * ONE_YEAR_SECONDS, now)
    assert refused.value.error_type == ErrorType.NOT_AUTHORIZED
    core.set_dissolve_timestamp(principal("a"), a, now + 2 * ONE_YEAR_SECONDS, now)
    assert core.neuron(a).dissolve_delay_seconds == 2 * ONE_YEAR_SECONDS
    core.start_dissolving(principal("a"), a, now)
    core.set_dissolve_timestamp(principal("a"), a, now + 3 * ONE_YEAR_SECONDS, now + 10)
    assert core.neuron(a).when_dissolved_timestamp_seconds == now + 3 * ONE_YEAR_SECONDS

    b = add_neuron(core, "b", 30)
    core.change_auto_stake_maturity(principal("b"), b, True)
    proposal_id = core.make_proposal(
        principal("b"), b, title="m", summary="", url="", action=Motion(motion_text="x"), now=T0
    )
    core.process_proposals(T0 + 2)
    paid = core.distribute_rewards(core.proposal(proposal_id).deadline_seconds + 1, 10**15)
    assert paid > 0 and core.neuron(b).staked_maturity_e8s_equivalent == paid
    assert core.neuron(b).maturity_e8s_equivalent == 0
    preinit = make_core(mode=Mode.PRE_INITIALIZATION_SWAP)
    c = add_neuron(preinit, "c", 10)
    with pytest.raises(SnsGovernanceError):
        preinit.change_auto_stake_maturity(principal("c"), c, True)


def test_maturity_modulation_is_fetched_daily_and_applied_when_maturity_is_minted() -> None:
    """governance.rs `should_update_maturity_modulation` (a day old), `effective_maturity_
    modulation_basis_points` (0 when disabled; unknown blocks disbursements) and
    rs/nervous_system/common `apply_maturity_modulation`."""
    core = make_core()
    assert core.maturity_modulation_due(T0) and core.effective_maturity_modulation() is None
    core.set_maturity_modulation(-250, T0)
    assert not core.maturity_modulation_due(T0 + ONE_DAY_SECONDS - 1)
    assert core.maturity_modulation_due(T0 + ONE_DAY_SECONDS)
    assert core.effective_maturity_modulation() == -250
    assert core.modulated(10_000 * E8S, -250) == 9_750 * E8S
    assert core.modulated(1_000, 500) == 1_050
    disabled = make_core(parameters=NervousSystemParameters(maturity_modulation_disabled=True))
    assert disabled.effective_maturity_modulation() == 0
