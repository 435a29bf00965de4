"""Topic following and the vote cascade (spec sns.md §4.6).

`validate_set_following` is the rule set of rs/sns/governance/src/following.rs:
at least one topic entry, each topic at most once, no unspecified topic, at
most 15 followees per topic, no followee twice in a topic, aliases non-empty and
at most 128 bytes, and one neuron never under two different aliases. An empty
followee list clears that topic.

Which followees decide for a neuron on a proposal: its followees on the
proposal's topic; without those, its legacy followees for the proposal's
function id; without those, its catch-all (function 0) followees, for
non-critical proposals only (rs/sns/governance/src/governance.rs,
`cast_vote_and_cascade_follow`). A follower votes yes once more than half of
those followees voted yes, and no once at least half voted no, the NNS's rule
for followers (`would_follow_ballots`). A vote cascades: whenever a neuron's
ballot is cast, its followers are re-examined, breadth first; cycles end
because a ballot is cast at most once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from sns.governance.errors import ErrorType, SnsGovernanceError
from sns.governance.neuron import Followee, Neuron
from sns.governance.proposals import Topic, Vote

MAX_FOLLOWEES_PER_TOPIC: Final = 15
MAX_ALIAS_BYTES: Final = 128
CATCH_ALL_FUNCTION_ID: Final = 0


def _invalid(message: str) -> SnsGovernanceError:
    return SnsGovernanceError(ErrorType.INVALID_COMMAND, message)


def validate_set_following(
    topic_following: Iterable[tuple[int, tuple[Followee, ...]]],
) -> dict[int, tuple[Followee, ...]]:
    entries = list(topic_following)
    if not entries:
        raise _invalid("SetFollowing must name at least one topic.")
    seen_topics: set[int] = set()
    aliases: dict[bytes, str | None] = {}
    result: dict[int, tuple[Followee, ...]] = {}
    for topic, followees in entries:
        if topic not in {int(t) for t in Topic} or topic == Topic.UNSPECIFIED:
            raise _invalid(f"Topic {topic} is unspecified or unknown.")
        if topic in seen_topics:
            raise _invalid(f"Topic {Topic(topic).name} appears more than once.")
        seen_topics.add(topic)
        if len(followees) > MAX_FOLLOWEES_PER_TOPIC:
            raise _invalid(
                f"Topic {Topic(topic).name} has {len(followees)} followees; at most "
                f"{MAX_FOLLOWEES_PER_TOPIC} are allowed."
            )
        ids = [f.neuron_id for f in followees]
        if len(set(ids)) != len(ids):
            raise _invalid(f"Topic {Topic(topic).name} lists a followee more than once.")
        for followee in followees:
            if followee.alias is not None:
                if not followee.alias:
                    raise _invalid("A followee alias must not be empty.")
                if len(followee.alias.encode()) > MAX_ALIAS_BYTES:
                    raise _invalid(f"A followee alias has at most {MAX_ALIAS_BYTES} bytes.")
            known = aliases.setdefault(followee.neuron_id, followee.alias)
            if known != followee.alias:
                raise _invalid(f"Neuron {followee.neuron_id.hex()} is given two different aliases.")
        result[topic] = tuple(followees)
    return result


def followees_for(
    neuron: Neuron, topic: Topic | None, function_id: int, critical: bool
) -> tuple[bytes, ...]:
    if topic is not None and (by_topic := neuron.topic_followees.get(int(topic))):
        return tuple(f.neuron_id for f in by_topic)
    if by_function := neuron.function_followees.get(function_id):
        return by_function
    if not critical:
        return neuron.function_followees.get(CATCH_ALL_FUNCTION_ID, ())
    return ()


def follow_vote(followees: tuple[bytes, ...], ballots: Mapping[bytes, list[int]]) -> Vote:
    if not followees:
        return Vote.UNSPECIFIED
    yes = no = 0
    for followee in followees:
        ballot = ballots.get(followee)
        if ballot is None:
            continue
        if ballot[0] == Vote.YES:
            yes += 1
        elif ballot[0] == Vote.NO:
            no += 1
    if 2 * yes > len(followees):
        return Vote.YES
    if 2 * no >= len(followees):
        return Vote.NO
    return Vote.UNSPECIFIED


@dataclass(slots=True)
class FollowerIndex:
    """Who follows whom: key (kind, topic or function id) -> followee -> followers."""

    edges: dict[tuple[str, int], dict[bytes, set[bytes]]] = field(default_factory=dict)

    def add(self, neuron: Neuron) -> None:
        for topic, followees in neuron.topic_followees.items():
            for followee in followees:
                self.edges.setdefault(("topic", topic), {}).setdefault(
                    followee.neuron_id, set()
                ).add(neuron.id)
        for function_id, ids in neuron.function_followees.items():
            for followee_id in ids:
                self.edges.setdefault(("function", function_id), {}).setdefault(
                    followee_id, set()
                ).add(neuron.id)

    def remove(self, neuron: Neuron) -> None:
        for topic, followees in neuron.topic_followees.items():
            for followee in followees:
                self.edges.get(("topic", topic), {}).get(followee.neuron_id, set()).discard(
                    neuron.id
                )
        for function_id, ids in neuron.function_followees.items():
            for followee_id in ids:
                self.edges.get(("function", function_id), {}).get(followee_id, set()).discard(
                    neuron.id
                )

    def followers(
        self, followee: bytes, topic: Topic | None, function_id: int, critical: bool
    ) -> set[bytes]:
        found: set[bytes] = set()
        if topic is not None:
            found |= self.edges.get(("topic", int(topic)), {}).get(followee, set())
        found |= self.edges.get(("function", function_id), {}).get(followee, set())
        if not critical:
            found |= self.edges.get(("function", CATCH_ALL_FUNCTION_ID), {}).get(followee, set())
        return found


def cascade(
    *,
    voter: bytes,
    ballots: dict[bytes, list[int]],
    index: FollowerIndex,
    neuron: Callable[[bytes], Neuron | None],
    topic: Topic | None,
    function_id: int,
    critical: bool,
) -> list[bytes]:
    """Cast the followers' votes after `voter`'s ballot changed; returns who newly voted.

    `ballots` maps neuron id -> [vote, voting power] and is updated in place.
    """
    newly: list[bytes] = []
    queue = deque([voter])
    while queue:
        followee = queue.popleft()
        for follower_id in sorted(index.followers(followee, topic, function_id, critical)):
            ballot = ballots.get(follower_id)
            if ballot is None or ballot[0] != Vote.UNSPECIFIED:
                continue
            follower = neuron(follower_id)
            if follower is None:
                continue
            vote = follow_vote(followees_for(follower, topic, function_id, critical), ballots)
            if vote == Vote.UNSPECIFIED:
                continue
            ballot[0] = int(vote)
            newly.append(follower_id)
            queue.append(follower_id)
    return newly
