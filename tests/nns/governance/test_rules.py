"""The fifteen rules of spec nns-governance section 12, one test each (plus close relatives)."""

from __future__ import annotations

import hashlib
import zlib
from fractions import Fraction

import pytest

from nns.governance.enums import REWARD_WEIGHT_HUNDREDTHS, ErrorType, ProposalStatus, Topic, Vote
from nns.governance.errors import GovernanceError
from nns.governance.following import compute_follow_vote, get_followees_for_topic
from nns.governance.neuron import (
    compute_deciding_voting_power,
    compute_neuron_staking_subaccount,
    compute_potential_voting_power,
    get_age_seconds,
)
from nns.governance.parameters import Durations, VotingPowerEconomics
from nns.governance.proposals import (
    can_decide_early,
    compute_wait_for_quiet_deadline,
    is_accepted,
)
from nns.governance.requests import (
    ClaimByMemo,
    ClaimOrRefresh,
    Configure,
    Disburse,
    Follow,
    IncreaseDissolveDelay,
    JoinCommunityFund,
    MakeProposal,
    ManageNeuronProposal,
    Proposal,
    RefreshVotingPower,
    RegisterVote,
    Split,
    StartDissolving,
    StopDissolving,
)
from nns.governance.rewards import compute_reward_rate
from nns.ledger.accounts import AccountIdentifier
from nns.ledger.types import TransferArgs
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID, LEDGER_CANISTER_ID
from replica.presets import MAINNET
from tests.nns.governance.world import E8S, ONE_DAY, SIX_MONTHS, make_world, principal

DURATIONS = Durations.of(MAINNET)
ONE_MONTH = 2_629_800
ONE_YEAR = 31_557_600


def test_rule_01_follow_majority_yes_needs_strict_majority_no_wins_ties() -> None:
    votes = {1: Vote.YES, 2: Vote.NO, 3: Vote.YES}
    assert compute_follow_vote((1, 2), votes) == Vote.NO  # 1 yes of 2 is no majority; 1 no is half
    assert compute_follow_vote((1, 3), votes) == Vote.YES
    assert compute_follow_vote((1, 4), votes) == Vote.UNSPECIFIED  # 1 of 2 yes, no No yet
    # the denominator counts duplicates and ballot-less followees
    assert compute_follow_vote((1, 1, 4, 5), votes) == Vote.UNSPECIFIED
    assert compute_follow_vote((1, 1, 1, 4), votes) == Vote.YES
    assert compute_follow_vote((2, 2, 4, 5), votes) == Vote.NO


def test_rule_02_catch_all_only_without_topic_entry_and_never_on_governance() -> None:
    followees = {0: (7,), Topic.SUBNET_MANAGEMENT: (8,)}
    assert get_followees_for_topic(followees, Topic.SUBNET_MANAGEMENT) == (8,)
    assert get_followees_for_topic(followees, Topic.NODE_ADMIN) == (7,)
    assert get_followees_for_topic(followees, Topic.GOVERNANCE) is None
    assert get_followees_for_topic(followees, Topic.SNS_AND_COMMUNITY_FUND) is None
    assert get_followees_for_topic({0: (7,), 4: (9,)}, Topic.GOVERNANCE) == (9,)


def test_rule_02_catch_all_does_not_cascade_on_motions() -> None:
    world = make_world()
    leader = world.stake("alice", 100)
    follower = world.stake("bob", 900)
    world.make_public("alice", leader)
    world.follow("bob", follower, 0, [leader])
    proposal = world.propose_motion("alice", leader)
    assert world.governance.state.proposals[proposal].ballots.votes[follower] == Vote.UNSPECIFIED
    world.follow("bob", follower, Topic.GOVERNANCE, [leader])
    second = world.propose_motion("alice", leader)
    assert world.governance.state.proposals[second].ballots.votes[follower] == Vote.YES


def test_rule_03_a_cast_ballot_never_changes_and_cycles_terminate() -> None:
    world = make_world()
    a, b, c = world.stake("alice", 10), world.stake("bob", 10), world.stake("carol", 900)
    for owner, neuron in (("alice", a), ("bob", b)):
        world.make_public(owner, neuron)
    world.make_public("carol", c)
    # a and b follow each other on Governance; c votes No directly before a votes Yes.
    world.follow("alice", a, Topic.GOVERNANCE, [b])
    world.follow("bob", b, Topic.GOVERNANCE, [a])
    world.follow("carol", c, Topic.GOVERNANCE, [a])
    proposal = world.propose_motion("carol", c)  # carol's Yes decides at once (1000 ICP)
    votes = world.governance.state.proposals[proposal].ballots.votes
    assert votes[c] == Vote.YES
    world.vote("alice", a, proposal, Vote.NO)
    assert votes[a] == Vote.NO and votes[b] == Vote.NO and votes[c] == Vote.YES
    before = world.governance.state_hash()
    with pytest.raises(GovernanceError, match="already voted") as raised:
        world.vote("bob", b, proposal, Vote.YES)
    assert raised.value.error_type == ErrorType.NEURON_ALREADY_VOTED
    assert world.governance.state_hash() == before


def test_rule_04_early_adoption_strict_majority_early_rejection_at_half() -> None:
    assert not can_decide_early(50, 0, 100)
    assert can_decide_early(51, 0, 100)
    assert can_decide_early(0, 50, 100)
    assert not can_decide_early(0, 49, 100)


def test_rule_05_deadline_adopts_iff_yes_beats_no_with_three_percent_quorum() -> None:
    assert is_accepted(3, 2, 100, is_manage_neuron=False)
    assert not is_accepted(2, 1, 100, is_manage_neuron=False)  # under 3% of the total
    assert not is_accepted(10, 10, 100, is_manage_neuron=False)
    assert is_accepted(3, 0, 100, is_manage_neuron=False)
    assert is_accepted(2, 0, 3, is_manage_neuron=True)
    assert not is_accepted(1, 0, 2, is_manage_neuron=True)


def test_rule_05_deadline_decision_in_a_world() -> None:
    world = make_world()
    proposer = world.stake("alice", 10)
    world.stake("bob", 900)
    proposal = world.propose_motion("alice", proposer)
    assert world.governance.state.proposals[proposal].get_status() == ProposalStatus.OPEN
    world.advance(days=4)
    record = world.governance.state.proposals[proposal]
    # alice's yes is ~1% of the total: below the 3% quorum
    assert record.get_status() == ProposalStatus.REJECTED


def test_rule_06_wait_for_quiet_moves_only_on_flip_and_never_shortens() -> None:
    period, increase = 4 * ONE_DAY, 2 * ONE_DAY
    common = dict(created_seconds=0, voting_period_seconds=period, increase_seconds=increase)
    unchanged = compute_wait_for_quiet_deadline(
        deadline_seconds=period,
        now_seconds=ONE_DAY,
        yes_was_winning=True,
        yes_is_winning=True,
        **common,
    )
    assert unchanged == period
    flipped = compute_wait_for_quiet_deadline(
        deadline_seconds=period,
        now_seconds=ONE_DAY,
        yes_was_winning=True,
        yes_is_winning=False,
        **common,
    )
    # now + W + P/2 − elapsed/2 = 1d + 2d + 2d − 0.5d
    assert flipped == ONE_DAY + increase + period // 2 - ONE_DAY // 2
    early = compute_wait_for_quiet_deadline(
        deadline_seconds=10 * ONE_DAY,
        now_seconds=ONE_DAY,
        yes_was_winning=True,
        yes_is_winning=False,
        **common,
    )
    assert early == 10 * ONE_DAY


def test_rule_06_wait_for_quiet_is_capped_at_period_plus_twice_the_increase() -> None:
    period, increase = 4 * ONE_DAY, 2 * ONE_DAY
    deadline, winning = period, True
    for now in range(0, 20 * ONE_DAY, 3_600):
        if now > deadline:
            break
        deadline = compute_wait_for_quiet_deadline(
            deadline_seconds=deadline,
            created_seconds=0,
            now_seconds=now,
            voting_period_seconds=period,
            increase_seconds=increase,
            yes_was_winning=winning,
            yes_is_winning=not winning,
        )
        winning = not winning
    assert deadline <= period + 2 * increase


def test_rule_06_wait_for_quiet_flip_in_a_world() -> None:
    world = make_world()
    a, b = world.stake("alice", 30), world.stake("bob", 20)
    world.stake("carol", 100)
    proposal = world.propose_motion("alice", a)
    record = world.governance.state.proposals[proposal]
    assert record.deadline_timestamp_seconds == world.now() + 4 * ONE_DAY
    created = record.proposal_timestamp_seconds
    world.advance(days=1)
    world.vote("bob", b, proposal, Vote.NO)  # yes 30 > no 20: no flip
    assert record.deadline_timestamp_seconds == created + 4 * ONE_DAY
    world.advance(days=1)
    c = world.names["carol:0"]
    world.vote("carol", c, proposal, Vote.NO)  # the majority flips to No... decided early
    assert world.governance.state.proposals[proposal].get_status() == ProposalStatus.REJECTED


def test_rule_07_ballots_use_deciding_power_frozen_at_creation() -> None:
    world = make_world()
    eligible = world.stake("alice", 10)
    short = world.stake("bob", 10, delay_seconds=SIX_MONTHS - 1)
    world.stake("carol", 900)
    proposal = world.propose_motion("alice", eligible)
    record = world.governance.state.proposals[proposal]
    assert short not in record.ballots
    power = record.ballots.power[eligible]
    world.manage(
        principal("alice"),
        eligible,
        Configure(operation=IncreaseDissolveDelay(additional_dissolve_delay_seconds=ONE_YEAR)),
    )
    assert world.governance.state.proposals[proposal].ballots.power[eligible] == power


def test_rule_07_manage_neuron_ballots_are_the_followees_with_power_one() -> None:
    world = make_world()
    managed = world.stake("alice", 10)
    manager_1, manager_2 = world.stake("bob", 10), world.stake("carol", 10)
    world.follow("alice", managed, Topic.NEURON_MANAGEMENT, [manager_1, manager_2])
    response = world.manage(
        principal("bob"),
        manager_1,
        MakeProposal(
            proposal=Proposal(
                title=None,
                summary="",
                url="",
                action=ManageNeuronProposal(neuron_id=managed, command=RefreshVotingPower()),
            )
        ),
    )
    record = world.governance.state.proposals[response.proposal_id]
    assert record.ballots.power == {manager_1: 1, manager_2: 1}
    assert record.get_status() == ProposalStatus.OPEN  # 1 of 2 is not a strict majority
    world.vote("carol", manager_2, record.id, Vote.YES)
    assert record.get_status() == ProposalStatus.EXECUTED


def test_rule_08_voting_power_integer_formula() -> None:
    stake, max_delay, max_age = (
        10 * E8S,
        DURATIONS.max_dissolve_delay_seconds,
        DURATIONS.max_neuron_age_for_age_bonus_seconds,
    )
    assert compute_potential_voting_power(stake, 0, 0, max_delay, max_age) == stake
    assert compute_potential_voting_power(stake, 8 * ONE_YEAR, 0, max_delay, max_age) == 2 * stake
    assert (
        compute_potential_voting_power(stake, 8 * ONE_YEAR, 4 * ONE_YEAR, max_delay, max_age)
        == 25 * E8S
    )
    assert (
        compute_potential_voting_power(stake, 20 * ONE_YEAR, 9 * ONE_YEAR, max_delay, max_age)
        == 25 * E8S
    )
    d, a = SIX_MONTHS, 100 * ONE_DAY
    ds = stake + stake * d // max_delay
    assert compute_potential_voting_power(stake, d, a, max_delay, max_age) == ds + ds * a // (
        4 * max_age
    )


def test_rule_08_stake_includes_staked_maturity_and_excludes_fees() -> None:
    world = make_world()
    neuron_id = world.stake("alice", 10, delay_seconds=8 * ONE_YEAR)
    from dataclasses import replace

    neuron = replace(
        world.neuron(neuron_id), neuron_fees_e8s=E8S, staked_maturity_e8s_equivalent=3 * E8S
    )
    from nns.governance.neuron import get_potential_voting_power

    assert get_potential_voting_power(neuron, world.now(), DURATIONS) == 2 * 12 * E8S


def test_rule_08_deciding_power_rounds_half_to_even() -> None:
    economics = world_economics()
    start, span = (
        economics.start_reducing_voting_power_after_seconds,
        economics.clear_following_after_seconds,
    )
    # potential 3 at half the span: 1.5 rounds to 2; potential 5: 2.5 rounds to 2
    assert compute_deciding_voting_power(3, start + span // 2, economics) == 2
    assert compute_deciding_voting_power(5, start + span // 2, economics) == 2
    assert compute_deciding_voting_power(7, start + span // 2, economics) == 4


def world_economics() -> VotingPowerEconomics:
    from nns.governance.parameters import NetworkEconomics

    return NetworkEconomics.default(DURATIONS).voting_power_economics


def test_rule_09_refresh_decay_and_following_pruning() -> None:
    economics = world_economics()
    assert compute_deciding_voting_power(1_000, 6 * ONE_MONTH, economics) == 1_000
    assert compute_deciding_voting_power(1_000, 6 * ONE_MONTH + ONE_MONTH // 4, economics) == 750
    assert compute_deciding_voting_power(1_000, 7 * ONE_MONTH, economics) == 0
    world = make_world()
    leader = world.stake("alice", 10, delay_seconds=8 * ONE_YEAR)
    follower = world.stake("bob", 10, delay_seconds=8 * ONE_YEAR)
    world.make_public("alice", leader)
    world.follow("bob", follower, Topic.NODE_ADMIN, [leader])
    world.follow("bob", follower, Topic.NEURON_MANAGEMENT, [leader])
    refreshed = world.neuron(follower).voting_power_refreshed_timestamp_seconds
    world.advance(seconds=7 * ONE_MONTH + 1)
    assert world.neuron(follower).followees == {Topic.NEURON_MANAGEMENT: (leader,)}
    assert world.neuron(follower).voting_power_refreshed_timestamp_seconds == refreshed


def test_rule_09_votes_by_following_do_not_refresh() -> None:
    world = make_world()
    leader, follower = world.stake("alice", 100), world.stake("bob", 10)
    world.make_public("alice", leader)
    world.follow("bob", follower, Topic.GOVERNANCE, [leader])
    refreshed = world.neuron(follower).voting_power_refreshed_timestamp_seconds
    world.advance(days=10)
    proposal = world.propose_motion("alice", leader)
    assert world.governance.state.proposals[proposal].ballots.votes[follower] == Vote.YES
    assert world.neuron(follower).voting_power_refreshed_timestamp_seconds == refreshed
    assert world.neuron(leader).voting_power_refreshed_timestamp_seconds == world.now()


def test_rule_10_reward_share_uses_total_potential_power_and_rolls_over_only_when_nothing_settled() -> (  # noqa: E501
    None
):
    world = make_world()
    voter = world.stake("alice", 100)
    abstainer = world.stake("bob", 100)
    world.advance(days=1)
    first = world.governance.get_latest_reward_event(GOVERNANCE_CANISTER_ID)
    assert first.settled_proposals == () and first.total_available_e8s_equivalent > 0
    proposal = world.propose_motion("alice", voter)
    world.advance(days=4)
    event = world.governance.get_latest_reward_event(GOVERNANCE_CANISTER_ID)
    assert event.settled_proposals == (proposal,)
    assert world.neuron(abstainer).maturity_e8s_equivalent == 0
    # the voter holds about half of the potential power, so about half the pool is minted
    pool = event.total_available_e8s_equivalent
    assert first.total_available_e8s_equivalent < pool
    reward = world.neuron(voter).maturity_e8s_equivalent
    assert reward == event.distributed_e8s_equivalent
    assert pool * 45 // 100 < reward < pool * 55 // 100
    world.advance(days=1)
    after = world.governance.get_latest_reward_event(GOVERNANCE_CANISTER_ID)
    assert after.settled_proposals == ()
    assert after.total_available_e8s_equivalent < pool  # nothing of the undistributed half rolled


def test_rule_11_reward_rate_schedule_and_topic_weights() -> None:
    assert compute_reward_rate(0) == Fraction(10, 100)
    assert round(float(compute_reward_rate(365)) * 100, 2) == 8.83
    assert round(float(compute_reward_rate(1826)) * 100, 2) == 5.70
    assert compute_reward_rate(2922) == Fraction(5, 100)
    assert compute_reward_rate(5000) == Fraction(5, 100)
    assert REWARD_WEIGHT_HUNDREDTHS[Topic.GOVERNANCE] == 20 * 100
    assert REWARD_WEIGHT_HUNDREDTHS[Topic.SNS_AND_COMMUNITY_FUND] == 20 * 100
    assert REWARD_WEIGHT_HUNDREDTHS[Topic.EXCHANGE_RATE] == 1
    assert REWARD_WEIGHT_HUNDREDTHS[Topic.SUBNET_MANAGEMENT] == 100
    assert Topic.NEURON_MANAGEMENT not in REWARD_WEIGHT_HUNDREDTHS


def test_rule_12_reject_cost_charged_at_submission_refunded_on_adoption() -> None:
    world = make_world()
    winner = world.stake("alice", 100)
    loser = world.stake("bob", 10)
    world.stake("carol", 50)
    rejected = world.propose_motion("bob", loser)
    assert world.neuron(loser).neuron_fees_e8s == E8S
    world.vote("alice", winner, rejected, Vote.NO)
    assert world.neuron(loser).neuron_fees_e8s == E8S
    world.propose_motion("alice", winner)
    assert world.neuron(winner).neuron_fees_e8s == 0


def test_rule_12_manage_neuron_fee_is_never_refunded_and_stake_must_cover_the_fee() -> None:
    world = make_world()
    managed, manager = world.stake("alice", 10), world.stake("bob", 1.005)
    world.follow("alice", managed, Topic.NEURON_MANAGEMENT, [manager])
    world.manage(
        principal("bob"),
        manager,
        MakeProposal(
            proposal=Proposal(
                title=None,
                summary="",
                url="",
                action=ManageNeuronProposal(neuron_id=managed, command=RefreshVotingPower()),
            )
        ),
    )
    assert world.neuron(manager).neuron_fees_e8s == 1_000_000
    before = world.governance.state_hash()
    with pytest.raises(GovernanceError, match="enough minted stake"):
        world.propose_motion("bob", manager)
    assert world.governance.state_hash() == before


def test_rule_13_staking_subaccount_and_account_identifier() -> None:
    controller = principal("alice")
    expected = hashlib.sha256(
        b"\x0cneuron-stake" + controller.raw + (42).to_bytes(8, "big")
    ).digest()
    assert compute_neuron_staking_subaccount(controller, 42) == expected
    digest = hashlib.sha224(b"\x0aaccount-id" + GOVERNANCE_CANISTER_ID.raw + expected).digest()
    assert (
        AccountIdentifier.of(GOVERNANCE_CANISTER_ID, expected).raw
        == zlib.crc32(digest).to_bytes(4, "big") + digest
    )


def test_rule_14_age_rules() -> None:
    world = make_world()
    neuron_id = world.stake("alice", 10)
    world.advance(days=100)
    assert get_age_seconds(world.neuron(neuron_id), world.now()) == 100 * ONE_DAY
    # top-up of equal size halves the age
    subaccount = world.neuron(neuron_id).subaccount
    world.router.call(
        LEDGER_CANISTER_ID,
        "transfer",
        principal("alice"),
        TransferArgs(
            memo=0,
            amount_e8s=10 * E8S,
            fee_e8s=10_000,
            from_subaccount=None,
            to=AccountIdentifier.of(GOVERNANCE_CANISTER_ID, subaccount),
        ),
    )
    world.manage(principal("alice"), neuron_id, ClaimOrRefresh(by=ClaimByMemo(memo=0)))
    assert get_age_seconds(world.neuron(neuron_id), world.now()) == 50 * ONE_DAY
    # split keeps the age
    child = world.manage(principal("alice"), neuron_id, Split(amount_e8s=5 * E8S)).created_neuron_id
    assert get_age_seconds(world.neuron(child), world.now()) == 50 * ONE_DAY
    # dissolving loses it; stopping restarts it at zero
    world.manage(principal("alice"), neuron_id, Configure(operation=StartDissolving()))
    assert get_age_seconds(world.neuron(neuron_id), world.now()) == 0
    world.advance(days=3)
    world.manage(principal("alice"), neuron_id, Configure(operation=StopDissolving()))
    assert get_age_seconds(world.neuron(neuron_id), world.now()) == 0
    world.advance(days=2)
    assert get_age_seconds(world.neuron(neuron_id), world.now()) == 2 * ONE_DAY


def test_rule_15_permission_split_between_controller_and_hot_keys() -> None:
    from nns.governance.requests import AddHotKey

    world = make_world()
    neuron_id, other = world.stake("alice", 10), world.stake("bob", 10)
    world.make_public("bob", other)
    hot = principal("hot")
    world.manage(principal("alice"), neuron_id, Configure(operation=AddHotKey(new_hot_key=hot)))
    # a hot key may follow (not on NeuronManagement), vote, refresh and join the Neurons' Fund
    world.manage(hot, neuron_id, Follow(topic=Topic.NODE_ADMIN, followees=(other,)))
    world.manage(hot, neuron_id, RefreshVotingPower())
    world.manage(hot, neuron_id, Configure(operation=JoinCommunityFund()))
    before = world.governance.state_hash()
    for command in (
        Follow(topic=Topic.NEURON_MANAGEMENT, followees=(other,)),
        Configure(operation=IncreaseDissolveDelay(additional_dissolve_delay_seconds=ONE_DAY)),
        Configure(operation=StartDissolving()),
        Disburse(),
        Split(amount_e8s=2 * E8S),
    ):
        with pytest.raises(GovernanceError) as refused:
            world.manage(hot, neuron_id, command)
        assert refused.value.error_type.name == "NOT_AUTHORIZED"
    assert world.governance.state_hash() == before
    proposal = world.propose_motion("bob", other)
    world.manage(hot, neuron_id, RegisterVote(proposal=proposal, vote=Vote.YES))
