"""Following: how a neuron's vote follows the votes of the neurons it follows.

A neuron follows a list of neurons per topic; topic 0 is the catch-all list,
used for a topic the neuron has no list for, except on Governance and
SnsAndCommunityFund (spec 3.2-3.4). A follower votes Yes once a strict majority
of its list voted Yes, and No once at least half voted No; the list counts
duplicates and followees that have no ballot. A ballot once cast never
changes, so the cascade terminates on cycles and reaches the least fixpoint of
this rule whatever order it visits neurons in.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, MutableMapping

from nns.governance.enums import CATCH_ALL, NO_CATCH_ALL_TOPICS, Topic, Vote

FolloweesOf = Callable[[int], Mapping[int, tuple[int, ...]]]
FollowersOf = Callable[[int, int], Iterable[int]]


def get_followees_for_topic(
    followees: Mapping[int, tuple[int, ...]], topic: int
) -> tuple[int, ...] | None:
    """The list that decides a follower's vote on `topic` (spec 3.3 step 1)."""
    if topic in followees:
        return followees[topic]
    if topic in NO_CATCH_ALL_TOPICS or topic == Topic.NEURON_MANAGEMENT:
        return None
    return followees.get(CATCH_ALL)


def compute_follow_vote(
    followees: tuple[int, ...] | None, votes: Mapping[int, int]
) -> Vote:
    """Yes on a strict majority of Yes; No on at least half No; otherwise no vote yet."""
    if not followees:
        return Vote.UNSPECIFIED
    yes = no = 0
    for followee in followees:
        vote = votes.get(followee, Vote.UNSPECIFIED)
        if vote == Vote.YES:
            yes += 1
        elif vote == Vote.NO:
            no += 1
    if 2 * yes > len(followees):
        return Vote.YES
    if 2 * no >= len(followees):
        return Vote.NO
    return Vote.UNSPECIFIED


def cascade_votes(
    *,
    topic: int,
    votes: MutableMapping[int, int],
    direct_votes: Iterable[tuple[int, Vote]],
    followees_of: FolloweesOf,
    followers_of: FollowersOf,
) -> list[tuple[int, Vote]]:
    """Cast the direct votes and every vote that follows from them.

    `votes` maps each neuron that has a ballot to its vote (UNSPECIFIED while
    not cast); neurons without a ballot are absent. It is updated in place and
    the casts are returned in the order they happened.
    """
    cast: list[tuple[int, Vote]] = []
    queue: deque[int] = deque()
    for neuron_id, vote in direct_votes:
        if votes.get(neuron_id) == Vote.UNSPECIFIED:
            votes[neuron_id] = vote
            cast.append((neuron_id, vote))
            queue.append(neuron_id)
    if topic == Topic.NEURON_MANAGEMENT:
        return cast
    follow_catch_all = topic not in NO_CATCH_ALL_TOPICS
    while queue:
        followee = queue.popleft()
        candidates = list(followers_of(followee, topic))
        if follow_catch_all:
            candidates.extend(followers_of(followee, CATCH_ALL))
        for follower in candidates:
            if votes.get(follower) != Vote.UNSPECIFIED:
                continue
            vote = compute_follow_vote(
                get_followees_for_topic(followees_of(follower), topic), votes
            )
            if vote != Vote.UNSPECIFIED:
                votes[follower] = vote
                cast.append((follower, vote))
                queue.append(follower)
    return cast


class FollowerIndex:
    """followee → topic → followers, kept in step with every neuron's followees."""

    def __init__(self) -> None:
        self._index: dict[int, dict[int, list[int]]] = {}

    def add(self, follower: int, followees: Mapping[int, tuple[int, ...]]) -> None:
        for topic, followee_ids in followees.items():
            for followee in set(followee_ids):
                self._index.setdefault(followee, {}).setdefault(topic, []).append(follower)

    def remove(self, follower: int, followees: Mapping[int, tuple[int, ...]]) -> None:
        for topic, followee_ids in followees.items():
            for followee in set(followee_ids):
                by_topic = self._index.get(followee)
                if by_topic is None or topic not in by_topic:
                    continue
                by_topic[topic].remove(follower)
                if not by_topic[topic]:
                    del by_topic[topic]
                if not by_topic:
                    del self._index[followee]

    def followers_of(self, followee: int, topic: int) -> list[int]:
        by_topic = self._index.get(followee)
        if by_topic is None:
            return []
        return by_topic.get(topic, [])

    def count_followers(self, followee: int) -> int:
        return sum(len(followers) for followers in self._index.get(followee, {}).values())
