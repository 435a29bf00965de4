"""Scenarios over several governance days: stake, follow, vote, statuses and rewards."""

from __future__ import annotations

from nns.governance.enums import ProposalStatus, RewardStatus, Topic, Vote
from nns.governance.requests import MakeProposal, ManageNeuronProposal, Proposal, RefreshVotingPower
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID
from tests.nns.governance.world import World, make_world, principal


def statuses(world: World, proposal_id: int) -> tuple[ProposalStatus, RewardStatus]:
    info = world.governance.get_proposal_info(principal("alice"), proposal_id)
    assert info is not None
    return ProposalStatus(info.status), RewardStatus(info.reward_status)


def total_maturity(world: World, *neuron_ids: int) -> int:
    return sum(world.neuron(n).maturity_e8s_equivalent for n in neuron_ids)


def test_rewards_over_several_days_roll_over_settle_and_pay_only_voters() -> None:
    world = make_world()
    alice, bob, carol = (
        world.stake("alice", 100),
        world.stake("bob", 100),
        world.stake("carol", 100),
    )
    world.make_public("carol", carol)
    world.follow("bob", bob, Topic.GOVERNANCE, [carol])

    first = world.propose_motion("carol", carol)  # bob follows: two of three, adopted at once
    world.vote("alice", alice, first, Vote.NO)
    assert statuses(world, first) == (ProposalStatus.EXECUTED, RewardStatus.ACCEPT_VOTES)

    world.advance(days=1)  # a reward event with nothing to settle: its pool rolls over
    rolled = world.governance.get_latest_reward_event(GOVERNANCE_CANISTER_ID)
    assert rolled.settled_proposals == () and rolled.distributed_e8s_equivalent == 0
    assert total_maturity(world, alice, bob, carol) == 0

    world.advance(days=3, tick=False)  # past the deadline, before the next reward event
    assert statuses(world, first) == (ProposalStatus.EXECUTED, RewardStatus.READY_TO_SETTLE)
    world.advance(days=1)
    settled = world.governance.get_latest_reward_event(GOVERNANCE_CANISTER_ID)
    assert settled.settled_proposals == (first,)
    assert (
        settled.total_available_e8s_equivalent > rolled.total_available_e8s_equivalent
    )  # it kept the rolled pool
    assert statuses(world, first) == (ProposalStatus.EXECUTED, RewardStatus.SETTLED)
    # every voter, Yes or No, directly or by following, shares the pool in proportion to its power
    shares = [world.neuron(n).maturity_e8s_equivalent for n in (alice, bob, carol)]
    assert all(share > 0 for share in shares) and max(shares) - min(shares) <= max(shares) // 50
    assert sum(shares) == settled.distributed_e8s_equivalent

    second = world.propose_motion("alice", alice)  # nobody follows alice: only she votes
    world.advance(days=5)
    assert statuses(world, second)[1] == RewardStatus.SETTLED
    assert world.neuron(bob).maturity_e8s_equivalent == shares[1]
    assert world.neuron(carol).maturity_e8s_equivalent == shares[2]
    assert world.neuron(alice).maturity_e8s_equivalent > shares[0]
    events = world.governance.get_latest_reward_event(GOVERNANCE_CANISTER_ID)
    assert (
        total_maturity(world, alice, bob, carol)
        == settled.distributed_e8s_equivalent + events.distributed_e8s_equivalent
    )


def test_a_rejected_proposal_and_an_ineligible_manage_neuron_proposal() -> None:
    world = make_world()
    alice, bob = world.stake("alice", 100), world.stake("bob", 300)
    rejected = world.propose_motion("alice", alice)
    world.vote("bob", bob, rejected, Vote.NO)
    assert statuses(world, rejected) == (ProposalStatus.REJECTED, RewardStatus.ACCEPT_VOTES)

    managed = world.stake("carol", 10)
    world.follow("carol", managed, Topic.NEURON_MANAGEMENT, [alice])
    response = world.manage(
        principal("alice"),
        alice,
        MakeProposal(
            proposal=Proposal(
                title=None,
                summary="",
                url="",
                action=ManageNeuronProposal(neuron_id=managed, command=RefreshVotingPower()),
            )
        ),
    )
    assert statuses(world, response.proposal_id) == (
        ProposalStatus.EXECUTED,
        RewardStatus.INELIGIBLE,
    )
    world.advance(days=5)
    assert statuses(world, rejected) == (ProposalStatus.REJECTED, RewardStatus.SETTLED)
    assert statuses(world, response.proposal_id)[1] == RewardStatus.INELIGIBLE
