"""Liquid democracy seen from one neuron: who decides its vote, and a projected tally.

Pure functions over a snapshot of the neurons a caller can see (their voting
power and, where readable, their followees). Following is governance's own
rule (`nns.governance.following`, after rs/nns/governance/src/neuron_store.rs
and governance.rs `cast_vote_and_cascade_follow`): per topic a neuron follows
a list, falling back to the catch-all list except on Governance and
SnsAndCommunityFund; it votes Yes once a strict majority of its list voted
Yes, and No once at least half voted No.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nns.governance.enums import Vote
from nns.governance.following import compute_follow_vote, get_followees_for_topic


@dataclass(frozen=True, slots=True, kw_only=True)
class NeuronNode:
    """What the graph needs of one neuron; `followees` None when its following is not readable."""

    neuron_id: int
    voting_power: int
    followees: Mapping[int, tuple[int, ...]] | None
    name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """A neuron in the tree of who decides: its own vote, or the majority rule over its list."""

    neuron_id: int
    voting_power: int
    name: str | None
    rule: str
    """`votes itself`, `following not readable`, `cycle`, `unknown neuron`, or the majority rule."""
    followees: tuple[Decision, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "neuron_id": self.neuron_id,
            "voting_power": self.voting_power,
            "name": self.name,
            "rule": self.rule,
            "followees": [f.to_json() for f in self.followees],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Decider:
    """A neuron that votes by itself and decides (part of) the vote; the chains that lead to it."""

    neuron_id: int
    name: str | None
    voting_power: int
    voting_power_behind: int
    """Its own voting power and that of every visible neuron whose vote follows it on this topic."""
    chains: tuple[tuple[int, ...], ...]
    sole: bool
    """True when this neuron alone decides the vote (every chain is a chain of single followees)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "neuron_id": self.neuron_id,
            "name": self.name,
            "voting_power": self.voting_power,
            "voting_power_behind": self.voting_power_behind,
            "chains": [list(c) for c in self.chains],
            "sole": self.sole,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class WhoDecides:
    neuron_id: int
    topic: int
    tree: Decision
    deciders: tuple[Decider, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "neuron_id": self.neuron_id,
            "topic": self.topic,
            "tree": self.tree.to_json(),
            "deciders": [d.to_json() for d in self.deciders],
        }


def _rule(count: int) -> str:
    yes = count // 2 + 1
    no = (count + 1) // 2
    return f"follows {count}: Yes when {yes} vote Yes, No when {no} vote No"


def build_tree(
    neuron_id: int, topic: int, neurons: Mapping[int, NeuronNode], path: tuple[int, ...] = ()
) -> Decision:
    node = neurons.get(neuron_id)
    if node is None:
        return Decision(neuron_id=neuron_id, voting_power=0, name=None, rule="unknown neuron")
    if neuron_id in path:
        return Decision(
            neuron_id=neuron_id, voting_power=node.voting_power, name=node.name, rule="cycle"
        )
    if node.followees is None:
        return Decision(
            neuron_id=neuron_id,
            voting_power=node.voting_power,
            name=node.name,
            rule="following not readable",
        )
    followees = get_followees_for_topic(node.followees, topic)
    if not followees:
        return Decision(
            neuron_id=neuron_id, voting_power=node.voting_power, name=node.name, rule="votes itself"
        )
    children = tuple(build_tree(f, topic, neurons, (*path, neuron_id)) for f in followees)
    return Decision(
        neuron_id=neuron_id,
        voting_power=node.voting_power,
        name=node.name,
        rule=_rule(len(followees)),
        followees=children,
    )


def _chains(tree: Decision, prefix: tuple[int, ...] = ()) -> list[tuple[int, ...]]:
    here = (*prefix, tree.neuron_id)
    if not tree.followees:
        return [here] if tree.rule != "cycle" else []
    return [chain for child in tree.followees for chain in _chains(child, here)]


def voting_power_behind(leader: int, topic: int, neurons: Mapping[int, NeuronNode]) -> int:
    """The voting power of `leader` and of every neuron whose followee lists lead to it."""
    followers: dict[int, list[int]] = {}
    for node in neurons.values():
        if node.followees is None:
            continue
        for followee in get_followees_for_topic(node.followees, topic) or ():
            followers.setdefault(followee, []).append(node.neuron_id)
    seen = {leader}
    queue = [leader]
    for current in queue:
        for follower in followers.get(current, ()):
            if follower not in seen:
                seen.add(follower)
                queue.append(follower)
    return sum(neurons[n].voting_power for n in seen if n in neurons)


def who_decides(neuron_id: int, topic: int, neurons: Mapping[int, NeuronNode]) -> WhoDecides:
    tree = build_tree(neuron_id, topic, neurons)
    chains = _chains(tree)
    by_leaf: dict[int, list[tuple[int, ...]]] = {}
    for chain in chains:
        by_leaf.setdefault(chain[-1], []).append(chain)
    deciders = []
    for leaf, leaf_chains in by_leaf.items():
        node = neurons.get(leaf)
        deciders.append(
            Decider(
                neuron_id=leaf,
                name=node.name if node else None,
                voting_power=node.voting_power if node else 0,
                voting_power_behind=voting_power_behind(leaf, topic, neurons),
                chains=tuple(leaf_chains),
                sole=len(by_leaf) == 1,
            )
        )
    deciders.sort(key=lambda d: (-d.voting_power_behind, d.neuron_id))
    return WhoDecides(neuron_id=neuron_id, topic=topic, tree=tree, deciders=tuple(deciders))


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectedTally:
    yes: int
    no: int
    undecided: int
    total: int
    neurons_voting_yes: tuple[int, ...]
    neurons_seen: int
    adopted_at_once: bool
    """Yes is more than half of the total: adopted as soon as it is made (spec 3.5)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "yes": self.yes,
            "no": self.no,
            "undecided": self.undecided,
            "total": self.total,
            "neurons_voting_yes": list(self.neurons_voting_yes),
            "neurons_seen": self.neurons_seen,
            "adopted_at_once": self.adopted_at_once,
        }


def project_tally(
    proposer: int,
    topic: int,
    neurons: Mapping[int, NeuronNode],
    eligible: frozenset[int] | None = None,
) -> ProjectedTally:
    """The tally right after the proposer votes Yes and following cascades, over the visible
    neurons."""
    voters = [n for n in neurons.values() if eligible is None or n.neuron_id in eligible]
    votes: dict[int, int] = {n.neuron_id: Vote.UNSPECIFIED for n in voters}
    if proposer in votes:
        votes[proposer] = Vote.YES
    changed = True
    while changed:
        changed = False
        for node in voters:
            if votes[node.neuron_id] != Vote.UNSPECIFIED or node.followees is None:
                continue
            decided = compute_follow_vote(get_followees_for_topic(node.followees, topic), votes)
            if decided != Vote.UNSPECIFIED:
                votes[node.neuron_id] = decided
                changed = True
    power = {n.neuron_id: n.voting_power for n in voters}
    yes = sum(power[n] for n, v in votes.items() if v == Vote.YES)
    no = sum(power[n] for n, v in votes.items() if v == Vote.NO)
    total = sum(power.values())
    return ProjectedTally(
        yes=yes,
        no=no,
        undecided=total - yes - no,
        total=total,
        neurons_voting_yes=tuple(sorted(n for n, v in votes.items() if v == Vote.YES)),
        neurons_seen=len(voters),
        adopted_at_once=2 * yes > total,
    )
