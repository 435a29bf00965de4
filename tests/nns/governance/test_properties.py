"""Properties: the cascade reaches the fixpoint of the majority rule, voting power is never
negative, and replaying the same commands gives the same state hash."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nns.governance.enums import Topic, Vote
from nns.governance.errors import GovernanceError
from nns.governance.following import (
    FollowerIndex,
    cascade_votes,
    compute_follow_vote,
    get_followees_for_topic,
)
from nns.governance.neuron import compute_deciding_voting_power, compute_potential_voting_power
from nns.governance.parameters import Durations, NetworkEconomics
from nns.governance.requests import (
    Configure,
    Follow,
    IncreaseDissolveDelay,
    RegisterVote,
    SetVisibility,
    Split,
    StartDissolving,
)
from replica.presets import MAINNET
from tests.nns.governance.world import E8S, make_world, memory_matches_tables, principal

TOPICS = [0, Topic.NODE_ADMIN, Topic.GOVERNANCE, Topic.SUBNET_MANAGEMENT]


@st.composite
def follow_graphs(
    draw: st.DrawFn,
) -> tuple[int, dict[int, dict[int, tuple[int, ...]]], dict[int, Vote], int]:
    size = draw(st.integers(2, 14))
    followees: dict[int, dict[int, tuple[int, ...]]] = {}
    for neuron in range(size):
        entries = {}
        for topic in draw(st.lists(st.sampled_from(TOPICS), max_size=2, unique=True)):
            entries[topic] = tuple(draw(st.lists(st.integers(0, size - 1), min_size=0, max_size=4)))
        followees[neuron] = entries
    direct = draw(
        st.dictionaries(st.integers(0, size - 1), st.sampled_from([Vote.YES, Vote.NO]), max_size=4)
    )
    topic = draw(st.sampled_from([Topic.NODE_ADMIN, Topic.GOVERNANCE, Topic.SUBNET_MANAGEMENT]))
    return size, followees, direct, topic


def naive_fixpoint(
    size: int, followees: dict[int, dict[int, tuple[int, ...]]], direct: dict[int, Vote], topic: int
) -> dict[int, int]:
    votes: dict[int, int] = dict.fromkeys(range(size), Vote.UNSPECIFIED)
    votes.update(direct)
    changed = True
    while changed:
        changed = False
        for neuron in range(size):
            if votes[neuron] != Vote.UNSPECIFIED:
                continue
            vote = compute_follow_vote(get_followees_for_topic(followees[neuron], topic), votes)
            if vote != Vote.UNSPECIFIED:
                votes[neuron] = vote
                changed = True
    return votes


@settings(max_examples=150, deadline=None)
@given(follow_graphs())
def test_cascade_equals_the_fixpoint_of_the_majority_rule(
    graph: tuple[int, dict[int, dict[int, tuple[int, ...]]], dict[int, Vote], int],
) -> None:
    size, followees, direct, topic = graph
    index = FollowerIndex()
    for neuron, entries in followees.items():
        index.add(neuron, entries)
    votes: dict[int, int] = dict.fromkeys(range(size), Vote.UNSPECIFIED)
    cascade_votes(topic=topic, votes=votes, direct_votes=list(direct.items()), index=index)
    assert votes == naive_fixpoint(size, followees, direct, topic)


@settings(max_examples=100, deadline=None)
@given(
    follow_graphs(),
    st.lists(
        st.tuples(
            st.integers(0, 13), st.sampled_from(TOPICS), st.lists(st.integers(0, 13), max_size=3)
        ),
        max_size=8,
    ),
)
def test_the_follower_index_stays_in_step_when_following_changes(
    graph: tuple[int, dict[int, dict[int, tuple[int, ...]]], dict[int, Vote], int],
    changes: list[tuple[int, int, list[int]]],
) -> None:
    size, followees, direct, topic = graph
    index = FollowerIndex()
    for neuron, entries in followees.items():
        index.add(neuron, entries)
    for neuron, changed_topic, new_list in changes:
        if neuron >= size:
            continue
        old = followees[neuron]
        new = {key: value for key, value in old.items() if key != changed_topic}
        if new_list:
            new[changed_topic] = tuple(followee % size for followee in new_list)
        index.remove(neuron, old)
        index.add(neuron, new)
        followees[neuron] = new
    for list_topic in TOPICS:
        expected = {
            neuron: entries[list_topic]
            for neuron, entries in followees.items()
            if list_topic in entries
        }
        assert dict(index.lists_for_topic(list_topic)) == expected
    votes: dict[int, int] = dict.fromkeys(range(size), Vote.UNSPECIFIED)
    cascade_votes(topic=topic, votes=votes, direct_votes=list(direct.items()), index=index)
    assert votes == naive_fixpoint(size, followees, direct, topic)


DURATIONS = Durations.of(MAINNET)
ECONOMICS = NetworkEconomics.default(DURATIONS).voting_power_economics


@given(
    st.integers(0, 2**63),
    st.integers(0, 2**40),
    st.integers(0, 2**40),
    st.integers(-(2**34), 2**34),
)
def test_voting_power_is_never_negative_nor_above_two_and_a_half_times(
    stake: int, delay: int, age: int, since_refresh: int
) -> None:
    potential = compute_potential_voting_power(
        stake,
        delay,
        age,
        DURATIONS.max_dissolve_delay_seconds,
        DURATIONS.max_neuron_age_for_age_bonus_seconds,
    )
    assert stake <= potential <= min(stake * 5 // 2, 2**64 - 1) or potential == 2**64 - 1
    deciding = compute_deciding_voting_power(potential, since_refresh, ECONOMICS)
    assert 0 <= deciding <= potential


command_strategy = st.lists(
    st.tuples(
        st.sampled_from(
            ["follow", "vote", "delay", "dissolve", "public", "split", "advance", "propose"]
        ),
        st.integers(0, 3),
        st.integers(0, 3),
    ),
    max_size=12,
)


def run_commands(commands: list[tuple[str, int, int]]) -> tuple[bytes, int, int]:
    """Run the commands; every refusal must leave tables and indexes as they were.

    Returns the final state hash and how many commands succeeded and were refused."""
    world = make_world(seed=11)
    owners = ["alice", "bob", "carol", "dave"]
    neurons = [world.stake(owner, 20 + 10 * i) for i, owner in enumerate(owners)]
    proposals: list[int] = []
    succeeded = refused = 0
    for kind, who, other in commands:
        owner, neuron = owners[who], neurons[who]
        before = world.governance.state_hash()
        try:
            if kind == "follow":
                world.manage(
                    principal(owner),
                    neuron,
                    Follow(topic=Topic.GOVERNANCE, followees=(neurons[other],)),
                )
            elif kind == "vote" and proposals:
                world.manage(
                    principal(owner),
                    neuron,
                    RegisterVote(proposal=proposals[-1], vote=1 + other % 2),
                )
            elif kind == "delay":
                world.manage(
                    principal(owner),
                    neuron,
                    Configure(
                        operation=IncreaseDissolveDelay(
                            additional_dissolve_delay_seconds=other * 1_000
                        )
                    ),
                )
            elif kind == "dissolve":
                world.manage(principal(owner), neuron, Configure(operation=StartDissolving()))
            elif kind == "public":
                world.manage(
                    principal(owner),
                    neuron,
                    Configure(operation=SetVisibility(visibility=1 + other % 2)),
                )
            elif kind == "split":
                world.manage(principal(owner), neuron, Split(amount_e8s=(other + 1) * 3 * E8S))
            elif kind == "advance":
                world.advance(days=other)
            elif kind == "propose":
                proposals.append(world.propose_motion(owner, neuron))
            else:
                continue
            succeeded += 1
        except GovernanceError:
            refused += 1
            assert world.governance.state_hash() == before
            assert memory_matches_tables(world.governance)
    return world.governance.state_hash(), succeeded, refused


@settings(max_examples=12, deadline=None)
@given(command_strategy)
def test_two_replays_of_the_same_commands_give_the_same_state_hash(
    commands: list[tuple[str, int, int]],
) -> None:
    assert run_commands(commands)[0] == run_commands(commands)[0]


def test_refusals_change_nothing_while_most_commands_succeed() -> None:
    """Issue 9 item 13: the property is worth something only if many commands are accepted."""
    counts: list[tuple[int, int]] = []

    @settings(max_examples=15, deadline=None, database=None, derandomize=True)
    @given(command_strategy)
    def check(commands: list[tuple[str, int, int]]) -> None:
        _, succeeded, refused = run_commands(commands)
        counts.append((succeeded, refused))

    check()
    succeeded = sum(ok for ok, _ in counts)
    refused = sum(no for _, no in counts)
    assert refused > 0, "no command was refused: the property was not exercised"
    assert succeeded >= (succeeded + refused) // 3, (
        f"only {succeeded} of {succeeded + refused} commands succeeded"
    )
