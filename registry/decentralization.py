"""How decentralized a subnet is, and which unassigned node replaces a member best.

A subnet tolerates f = (n - 1) // 3 faulty members. What matters is not only
how many nodes fail but who can make them fail together: one node provider,
one data center, one data center owner, one node operator or one region may
control several members. For each such attribute the **Nakamoto coefficient**
is the smallest number of distinct actors (providers, data centers, ...) who
together control more than n // 3 members: sort the actors by the members they
control, largest first, and count until the sum exceeds n // 3. This is the
definition the IC's decentralization tooling uses (dfinity/dre,
`rs/decentralization/src/nakamoto/mod.rs`, `NakamotoScore::nakamoto`), and so
is the order of two scores (`partial_cmp` there): the higher minimum over all
attributes first, then the higher average of log2 of the coefficients, then
fewer members controlled by the top actors of the critical attributes (node
provider and region, where dre uses country), then more distinct actors of
those, then fewer coefficients below 3.

A replacement **keeps or improves** decentralization when no attribute's
coefficient falls below what the subnet has now; among those candidates the
best score wins, ties going to the smaller node id so the choice is
deterministic. A node whose attribute is unknown (an operator without a data
center, say) counts with every other unknown one as a single actor: unknown
is never taken for independent.

Everything here is pure: the attributes are read from a registry client at a
version (`get_node_attributes`), the scores are computed from values.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from registry.client import RegistryClient
from registry.records import (
    DataCenterRecord,
    NodeOperatorRecord,
    data_center_record_key,
    node_operator_record_key,
)
from replica.types import Principal

Feature = Literal["node_provider", "node_operator", "data_center", "data_center_owner", "region"]

FEATURES: Final[tuple[Feature, ...]] = (
    "node_provider",
    "node_operator",
    "data_center",
    "data_center_owner",
    "region",
)
CRITICAL_FEATURES: Final[tuple[Feature, ...]] = ("node_provider", "region")
"""dre's critical features are node provider and country; a data center's region stands for
the country here."""
LOW_COEFFICIENT: Final = 3
UNKNOWN: Final = "(unknown)"


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeAttributes:
    """Who controls a node: each attribute's actor, None when the registry does not say."""

    node_id: Principal
    node_provider: str | None = None
    node_operator: str | None = None
    data_center: str | None = None
    data_center_owner: str | None = None
    region: str | None = None

    def actor(self, feature: Feature) -> str:
        value: str | None = getattr(self, feature)
        return value or UNKNOWN

    def to_json(self) -> dict[str, Any]:
        return {"node_id": self.node_id.to_text(), **{f: self.actor(f) for f in FEATURES}}


def compute_nakamoto_coefficient(nodes_per_actor: Iterable[int]) -> int:
    """The fewest actors who together control more than a third (n // 3) of the nodes.

    0 for no nodes. dre: `NakamotoScore::nakamoto`.
    """
    counts = sorted((count for count in nodes_per_actor if count > 0), reverse=True)
    tolerated = sum(counts) // 3
    controlled = 0
    for actors, count in enumerate(counts, start=1):
        controlled += count
        if controlled > tolerated:
            return actors
    return 0


def _controlled_nodes(counts: Sequence[int]) -> int:
    """How many nodes the coefficient's top actors control together."""
    top = sorted(counts, reverse=True)[: compute_nakamoto_coefficient(counts)]
    return sum(top)


@dataclass(frozen=True, slots=True, kw_only=True)
class NakamotoScore:
    """The Nakamoto coefficient of every attribute of one set of nodes."""

    nodes: int
    coefficients: tuple[tuple[Feature, int], ...]
    actors: tuple[tuple[Feature, tuple[tuple[str, int], ...]], ...]
    """Per attribute, each actor and the nodes it controls, largest first."""

    def coefficient(self, feature: Feature) -> int:
        return dict(self.coefficients)[feature]

    def actors_of(self, feature: Feature) -> tuple[tuple[str, int], ...]:
        return dict(self.actors)[feature]

    @property
    def minimum(self) -> int:
        return min((value for _, value in self.coefficients), default=0)

    @property
    def average_log2(self) -> float:
        """The mean of log2 of the coefficients; -inf when one is 0 (an empty set)."""
        values = [value for _, value in self.coefficients]
        if not values or any(value == 0 for value in values):
            return -math.inf
        return sum(math.log2(value) for value in values) / len(values)

    def controlled_by_top_actors(self, feature: Feature) -> int:
        return _controlled_nodes([count for _, count in self.actors_of(feature)])

    def ranking_key(self) -> tuple[Any, ...]:
        """Larger is more decentralized (dre's `partial_cmp` order)."""
        return (
            self.minimum,
            self.average_log2,
            tuple(-self.controlled_by_top_actors(f) for f in CRITICAL_FEATURES),
            tuple(len(self.actors_of(f)) for f in CRITICAL_FEATURES),
            -sum(1 for _, value in self.coefficients if value < LOW_COEFFICIENT),
            tuple(value for _, value in self.coefficients),
        )

    def is_no_worse_than(self, other: NakamotoScore) -> bool:
        """No attribute's coefficient is below `other`'s."""
        return all(self.coefficient(f) >= other.coefficient(f) for f in FEATURES)

    def to_json(self) -> dict[str, Any]:
        return {
            "nodes": self.nodes,
            "nakamoto": dict(self.coefficients),
            "minimum": self.minimum,
            "actors": {feature: dict(actors) for feature, actors in self.actors},
        }


def compute_nakamoto_score(nodes: Sequence[NodeAttributes]) -> NakamotoScore:
    coefficients: list[tuple[Feature, int]] = []
    actors: list[tuple[Feature, tuple[tuple[str, int], ...]]] = []
    for feature in FEATURES:
        counts = Counter(node.actor(feature) for node in nodes)
        ordered = tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
        coefficients.append((feature, compute_nakamoto_coefficient(counts.values())))
        actors.append((feature, ordered))
    return NakamotoScore(nodes=len(nodes), coefficients=tuple(coefficients), actors=tuple(actors))


@dataclass(frozen=True, slots=True, kw_only=True)
class CandidateScore:
    candidate: NodeAttributes
    after: NakamotoScore
    keeps_decentralization: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplacementChoice:
    """The best unassigned node to replace `removed`, or None with the reason."""

    removed: Principal
    before: NakamotoScore
    chosen: CandidateScore | None
    candidates: tuple[CandidateScore, ...]
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "removed": self.removed.to_text(),
            "added": None if self.chosen is None else self.chosen.candidate.node_id.to_text(),
            "before": self.before.to_json(),
            "after": None if self.chosen is None else self.chosen.after.to_json(),
            "candidates": [
                {
                    **score.candidate.to_json(),
                    "nakamoto": dict(score.after.coefficients),
                    "keeps_decentralization": score.keeps_decentralization,
                }
                for score in self.candidates
            ],
            "reason": self.reason,
        }


def choose_replacement(
    members: Sequence[NodeAttributes],
    removed: Principal,
    candidates: Sequence[NodeAttributes],
) -> ReplacementChoice:
    """The candidate whose swap for `removed` keeps every coefficient and scores best."""
    before = compute_nakamoto_score(members)
    remaining = [node for node in members if node.node_id != removed]
    member_ids = {node.node_id for node in members}
    scored = []
    for candidate in sorted(candidates, key=lambda node: node.node_id.to_text()):
        if candidate.node_id in member_ids:
            continue
        after = compute_nakamoto_score([*remaining, candidate])
        scored.append(
            CandidateScore(
                candidate=candidate,
                after=after,
                keeps_decentralization=after.is_no_worse_than(before),
            )
        )
    eligible = [score for score in scored if score.keeps_decentralization]
    if len(remaining) == len(members):
        return ReplacementChoice(
            removed=removed,
            before=before,
            chosen=None,
            candidates=tuple(scored),
            reason=f"{removed} is not a member",
        )
    if not scored:
        reason = "no unassigned node to replace it with"
    elif not eligible:
        reason = "every unassigned node would lower a Nakamoto coefficient"
    else:
        best = max(eligible, key=lambda score: score.after.ranking_key())
        return ReplacementChoice(
            removed=removed,
            before=before,
            chosen=best,
            candidates=tuple(scored),
            reason="keeps or improves every Nakamoto coefficient",
        )
    return ReplacementChoice(
        removed=removed, before=before, chosen=None, candidates=tuple(scored), reason=reason
    )


def get_node_attributes(
    client: RegistryClient, node_id: Principal, version: int | None = None
) -> NodeAttributes:
    """A node's provider, operator, data center, its owner and region at a registry version."""
    record = client.get_node_record(node_id, version)
    if record is None:
        return NodeAttributes(node_id=node_id)
    operator: NodeOperatorRecord | None = client.get(
        node_operator_record_key(record.node_operator_id), version
    )
    provider = None if operator is None else operator.node_provider_principal_id.to_text()
    dc_id = None if operator is None or not operator.dc_id else operator.dc_id
    data_center: DataCenterRecord | None = (
        None if dc_id is None else client.get(data_center_record_key(dc_id), version)
    )
    return NodeAttributes(
        node_id=node_id,
        node_provider=provider,
        node_operator=record.node_operator_id.to_text(),
        data_center=dc_id,
        data_center_owner=None if data_center is None else data_center.owner,
        region=None if data_center is None else data_center.region,
    )
