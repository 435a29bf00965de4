"""Which replacement proposals to file now: the decisions, without the filing.

Sans-I/O. Given the dead members (`health.DeadNode`), each subnet's members
and the unassigned nodes with their attributes, the ChangeSubnetMembership
proposals still open (open or adopted and not yet executed, read from
governance, so a restarted monitor sees what it filed before) and the times
the monitor's neuron filed replacements lately, `plan_replacements` returns
one decision per dead member:

- `already_open`: a proposal that removes it is open: never a second one;
- `subnet_busy`: its subnet already has `max_open_per_subnet` open replacements;
- `rate_limited`: `max_proposals` were filed within the last `window_s`;
- `no_candidate`: no unassigned node keeps the subnet's decentralization
  (`registry.decentralization.choose_replacement`);
- otherwise `file`, with the choice and the Nakamoto coefficients before and after.

An unassigned node named in an open proposal, or chosen earlier in the same
plan, is not offered again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from registry.decentralization import NodeAttributes, ReplacementChoice, choose_replacement
from replica.types import Principal
from tui.monitor.health import DeadNode

DecisionKind = Literal["file", "already_open", "subnet_busy", "rate_limited", "no_candidate"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimit:
    max_proposals: int = 3
    """At most this many replacement proposals ..."""
    window_s: float = 3600.0
    """... within this many seconds."""
    max_open_per_subnet: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenReplacement:
    """A ChangeSubnetMembership proposal that governance has not executed (or refused) yet."""

    proposal_id: int
    subnet_id: Principal
    added: tuple[Principal, ...]
    removed: tuple[Principal, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    kind: DecisionKind
    dead: DeadNode
    reason: str
    choice: ReplacementChoice | None = None
    proposal_id: int | None = None
    """The open proposal that already replaces the node (`already_open`)."""

    @property
    def added(self) -> Principal | None:
        chosen = None if self.choice is None else self.choice.chosen
        return None if chosen is None else chosen.candidate.node_id


def count_recent(filed_at_s: Sequence[float], now_s: float, window_s: float) -> int:
    return sum(1 for moment in filed_at_s if now_s - window_s < moment <= now_s)


def plan_replacements(
    *,
    now_s: float,
    dead: Sequence[DeadNode],
    members: Mapping[Principal, Sequence[NodeAttributes]],
    unassigned: Sequence[NodeAttributes],
    open_proposals: Sequence[OpenReplacement],
    filed_at_s: Sequence[float],
    limit: RateLimit,
) -> list[Decision]:
    decisions: list[Decision] = []
    reserved = {node for proposal in open_proposals for node in proposal.added}
    open_per_subnet: dict[Principal, int] = {}
    for proposal in open_proposals:
        open_per_subnet[proposal.subnet_id] = open_per_subnet.get(proposal.subnet_id, 0) + 1
    filed = list(filed_at_s)
    for node in dead:
        replacing = next((p for p in open_proposals if node.node_id in p.removed), None)
        if replacing is not None:
            decisions.append(
                Decision(
                    kind="already_open",
                    dead=node,
                    reason=f"proposal {replacing.proposal_id} already replaces it",
                    proposal_id=replacing.proposal_id,
                )
            )
            continue
        if open_per_subnet.get(node.subnet_id, 0) >= limit.max_open_per_subnet:
            decisions.append(
                Decision(
                    kind="subnet_busy",
                    dead=node,
                    reason=f"subnet {node.subnet_id} has {open_per_subnet[node.subnet_id]} open "
                    f"replacement proposal(s) (at most {limit.max_open_per_subnet})",
                )
            )
            continue
        recent = count_recent(filed, now_s, limit.window_s)
        if recent >= limit.max_proposals:
            decisions.append(
                Decision(
                    kind="rate_limited",
                    dead=node,
                    reason=f"{recent} replacement proposal(s) filed in the last "
                    f"{limit.window_s:.0f} s (at most {limit.max_proposals})",
                )
            )
            continue
        candidates = [n for n in unassigned if n.node_id not in reserved]
        choice = choose_replacement(members.get(node.subnet_id, ()), node.node_id, candidates)
        if choice.chosen is None:
            decisions.append(
                Decision(kind="no_candidate", dead=node, reason=choice.reason, choice=choice)
            )
            continue
        reserved.add(choice.chosen.candidate.node_id)
        open_per_subnet[node.subnet_id] = open_per_subnet.get(node.subnet_id, 0) + 1
        filed.append(now_s)
        decisions.append(Decision(kind="file", dead=node, reason=choice.reason, choice=choice))
    return decisions
