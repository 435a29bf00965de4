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

from collections.abc import Iterable, Mapping, MutableMapping
from typing import Final

from nns.governance.enums import CATCH_ALL, NO_CATCH_ALL_TOPICS, Topic, Vote

NO_LISTS: Final[Mapping[int, tuple[int, ...]]] = {}
NO_FOLLOWERS: Final[Mapping[int, dict[int, None]]] = {}
# The votes as module constants: in the cascade's inner loop, looking up an enum
# member (Vote.YES) costs more than the comparison it is used in.
UNSPECIFIED: Final = Vote.UNSPECIFIED
YES: Final = Vote.YES
NO: Final = Vote.NO


def get_followees_for_topic(
    followees: Mapping[int, tuple[int, ...]], topic: int
) -> tuple[int, ...] | None:
    """The list that decides a follower's vote on `topic` (spec 3.3 step 1)."""
    if topic in followees:
        return followees[topic]
    if topic in NO_CATCH_ALL_TOPICS or topic == Topic.NEURON_MANAGEMENT:
        return None
    return followees.get(CATCH_ALL)


def compute_follow_vote(followees: tuple[int, ...] | None, votes: Mapping[int, int]) -> Vote:
    """Yes on a strict majority of Yes; No on at least half No; otherwise no vote yet."""
    if not followees:
        return UNSPECIFIED
    yes = no = 0
    for followee in followees:
        vote = votes.get(followee, UNSPECIFIED)
        if vote == YES:
            yes += 1
        elif vote == NO:
            no += 1
    if 2 * yes > len(followees):
        return YES
    if 2 * no >= len(followees):
        return NO
    return UNSPECIFIED


class FollowerIndex:
    """Following in both directions, kept in step with every neuron's followees.

    followee → topic → followers says whom a cast ballot may move; topic →
    follower → list gives the list that decides each of them, so the cascade
    never has to look at the neurons themselves. Equal lists are stored once:
    most neurons follow the same few known neurons. Followers are kept as
    insertion-ordered dicts (keys only), so removing one follower of a known
    neuron with many thousands of followers costs the same as adding one.
    """

    def __init__(self) -> None:
        self._followers: dict[int, dict[int, dict[int, None]]] = {}
        self._lists: dict[int, dict[int, tuple[int, ...]]] = {}
        self._shared: dict[tuple[int, ...], tuple[int, ...]] = {}
        self._uses: dict[tuple[int, ...], int] = {}

    def add(self, follower: int, followees: Mapping[int, tuple[int, ...]]) -> None:
        for topic, followee_ids in followees.items():
            for followee in set(followee_ids):
                self._followers.setdefault(followee, {}).setdefault(topic, {})[follower] = None
            self._lists.setdefault(topic, {})[follower] = self._share(followee_ids)

    def remove(self, follower: int, followees: Mapping[int, tuple[int, ...]]) -> None:
        for topic, followee_ids in followees.items():
            for followee in set(followee_ids):
                by_topic = self._followers.get(followee)
                if by_topic is None or topic not in by_topic:
                    continue
                del by_topic[topic][follower]
                if not by_topic[topic]:
                    del by_topic[topic]
                if not by_topic:
                    del self._followers[followee]
            lists = self._lists.get(topic)
            if lists is not None and follower in lists:
                self._unshare(lists.pop(follower))
                if not lists:
                    del self._lists[topic]

    def _share(self, followee_ids: tuple[int, ...]) -> tuple[int, ...]:
        shared = self._shared.setdefault(followee_ids, followee_ids)
        self._uses[shared] = self._uses.get(shared, 0) + 1
        return shared

    def _unshare(self, shared: tuple[int, ...]) -> None:
        uses = self._uses[shared] - 1
        if uses:
            self._uses[shared] = uses
        else:
            del self._uses[shared], self._shared[shared]

    def followers_of(self, followee: int, topic: int) -> list[int]:
        return list(self.followers_by_topic(followee).get(topic, ()))

    def followers_by_topic(self, followee: int) -> Mapping[int, dict[int, None]]:
        return self._followers.get(followee, NO_FOLLOWERS)

    def lists_for_topic(self, topic: int) -> Mapping[int, tuple[int, ...]]:
        """follower → its list for exactly this topic (the catch-all list is topic 0)."""
        return self._lists.get(topic, NO_LISTS)

    def count_followers(self, followee: int) -> int:
        return sum(len(followers) for followers in self.followers_by_topic(followee).values())


def cascade_votes(
    *,
    topic: int,
    votes: MutableMapping[int, int],
    direct_votes: Iterable[tuple[int, Vote]],
    index: FollowerIndex,
) -> list[int]:
    """Cast the direct votes and every vote that follows from them.

    `votes` maps each neuron that has a ballot to its vote (UNSPECIFIED while
    not cast); neurons without a ballot are absent. It is updated in place;
    the neurons whose ballot was cast are returned in the order it happened.
    """
    cast: list[int] = []
    for neuron_id, vote in direct_votes:
        if votes.get(neuron_id) == UNSPECIFIED:
            votes[neuron_id] = vote
            cast.append(neuron_id)
    if topic == Topic.NEURON_MANAGEMENT:
        return cast
    follow_catch_all = topic not in NO_CATCH_ALL_TOPICS
    topic_lists = index.lists_for_topic(topic)
    catch_all_lists = index.lists_for_topic(CATCH_ALL) if follow_catch_all else NO_LISTS
    # `cast` is also the queue: each neuron appended to it is visited in turn.
    for followee in cast:
        by_topic = index.followers_by_topic(followee)
        for followers in (
            by_topic.get(topic),
            by_topic.get(CATCH_ALL) if follow_catch_all else None,
        ):
            for follower in followers or ():
                if votes.get(follower) != UNSPECIFIED:
                    continue
                followee_ids = topic_lists.get(follower)
                if followee_ids is None:  # spec 3.3 step 1: no list for the topic
                    followee_ids = catch_all_lists.get(follower)
                vote = compute_follow_vote(followee_ids, votes)
                if vote != UNSPECIFIED:
                    votes[follower] = vote
                    cast.append(follower)
    return cast
