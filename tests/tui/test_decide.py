"""Who decides a neuron's vote, and the projected tally, on small following graphs.

The following rule is governance's (rs/nns/governance/src/governance.rs,
`cast_vote_and_cascade_follow`): a strict majority of Yes, or at least half No,
of a neuron's followees for the topic (catch-all except on Governance).
"""

from __future__ import annotations

from nns.governance.enums import Topic
from tui.ops.decide import NeuronNode, project_tally, who_decides

SUBNET = int(Topic.SUBNET_MANAGEMENT)
GOVERNANCE = int(Topic.GOVERNANCE)


def node(
    neuron_id: int, power: int, followees: dict[int, tuple[int, ...]] | None = None
) -> NeuronNode:
    return NeuronNode(
        neuron_id=neuron_id,
        voting_power=power,
        followees=followees if followees is not None else {},
    )


def test_a_chain_of_single_followees_ends_at_the_one_neuron_that_decides() -> None:
    neurons = {1: node(1, 100), 2: node(2, 10, {0: (1,)}), 3: node(3, 5, {SUBNET: (2,)})}
    result = who_decides(3, SUBNET, neurons)
    assert [d.neuron_id for d in result.deciders] == [1]
    decider = result.deciders[0]
    assert decider.sole and decider.chains == ((3, 2, 1),)
    assert decider.voting_power_behind == 115
    assert result.tree.followees[0].followees[0].rule == "votes itself"


def test_catch_all_following_does_not_reach_the_governance_topic() -> None:
    neurons = {1: node(1, 100), 2: node(2, 10, {0: (1,)})}
    result = who_decides(2, GOVERNANCE, neurons)
    assert [d.neuron_id for d in result.deciders] == [2] and result.tree.rule == "votes itself"


def test_a_majority_of_three_shares_the_decision_and_a_cycle_is_cut() -> None:
    neurons = {
        1: node(1, 50),
        2: node(2, 30),
        3: node(3, 20, {SUBNET: (4,)}),
        4: node(4, 1, {SUBNET: (3,)}),
        9: node(9, 7, {SUBNET: (1, 2, 3)}),
    }
    result = who_decides(9, SUBNET, neurons)
    assert result.tree.rule.startswith("follows 3: Yes when 2 vote Yes, No when 2 vote No")
    assert sorted(d.neuron_id for d in result.deciders) == [1, 2]
    assert not any(d.sole for d in result.deciders)
    assert result.tree.followees[2].followees[0].followees[0].rule == "cycle"


def test_unreadable_following_is_said_so() -> None:
    neurons = {
        1: NeuronNode(neuron_id=1, voting_power=5, followees=None),
        2: node(2, 1, {SUBNET: (1,)}),
    }
    assert who_decides(2, SUBNET, neurons).tree.followees[0].rule == "following not readable"


def test_the_projected_tally_cascades_the_proposers_yes_through_following() -> None:
    neurons = {
        1: node(1, 60),
        2: node(2, 30, {0: (1,)}),
        3: node(3, 20, {SUBNET: (1, 4)}),
        4: node(4, 10),
    }
    tally = project_tally(1, SUBNET, neurons)
    assert (tally.yes, tally.no, tally.total) == (90, 0, 120)
    assert tally.neurons_voting_yes == (1, 2) and tally.adopted_at_once
    on_governance = project_tally(1, GOVERNANCE, neurons)
    assert on_governance.yes == 60 and not on_governance.adopted_at_once
