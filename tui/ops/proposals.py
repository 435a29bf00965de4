"""Proposals: list, show, vote, watch until decided, and make with a preview first.

`preview_proposal` is what `icbox proposal make` shows before it asks: the
action, the reject cost the proposer's neuron pays if the proposal is
rejected, the registry diff from the registry's own validation
(`tui.ops.preview`), and the tally projected from the current following.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from nns.clients.base import variant_of
from nns.governance.enums import ProposalStatus, RewardStatus
from tui.ops.decide import ProjectedTally, project_tally
from tui.ops.errors import Refused, UsageError
from tui.ops.neurons import neuron_graph, pair_of, topic_name
from tui.ops.session import Session

if TYPE_CHECKING:
    from registry.store import RegistryDelta
    from tui.ops.actions import ProposalAction
    from tui.ops.preview import RegistryPreview


def status_name(status: int) -> str:
    try:
        return ProposalStatus(status).name.lower()
    except ValueError:
        return str(status)


def parse_status(text: str) -> ProposalStatus:
    try:
        return ProposalStatus[text.strip().upper()]
    except KeyError as error:
        raise UsageError(
            f"unknown status {text!r}; one of open, rejected, adopted, executed, failed"
        ) from error


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposalView:
    proposal_id: int
    title: str
    summary: str
    url: str
    topic: str
    status: str
    reward_status: str
    proposer: int | None
    action: str
    action_details: dict[str, Any]
    yes: int
    no: int
    total: int
    created_s: int
    deadline_s: int | None
    decided_s: int
    executed_s: int
    failure: str | None
    reject_cost_e8s: int

    @property
    def is_decided(self) -> bool:
        return self.status != "open"

    @property
    def is_final(self) -> bool:
        return self.status in ("rejected", "executed", "failed")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.proposal_id,
            "title": self.title,
            "summary": self.summary,
            "url": self.url,
            "topic": self.topic,
            "status": self.status,
            "reward_status": self.reward_status,
            "proposer": self.proposer,
            "action": self.action,
            "action_details": self.action_details,
            "tally": {"yes": self.yes, "no": self.no, "total": self.total},
            "created_timestamp_seconds": self.created_s,
            "deadline_timestamp_seconds": self.deadline_s,
            "decided_timestamp_seconds": self.decided_s,
            "executed_timestamp_seconds": self.executed_s,
            "failure": self.failure,
            "reject_cost_e8s": self.reject_cost_e8s,
        }


def _details(tag: str, value: Any) -> dict[str, Any]:
    if tag == "ExecuteNnsFunction":
        return {"nns_function": int(value["nns_function"]), "payload_bytes": len(value["payload"])}
    if tag == "Motion":
        return {"motion_text": value["motion_text"]}
    if tag == "RegisterKnownNeuron":
        data = value.get("known_neuron_data") or {}
        return {"neuron_id": (value.get("id") or {}).get("id"), "name": data.get("name")}
    if tag == "InstallCode":
        return {
            "canister_id": value["canister_id"].to_text() if value.get("canister_id") else None,
            "install_mode": value.get("install_mode"),
        }
    return {}


def view_of(info: dict[str, Any]) -> ProposalView:
    proposal = info.get("proposal") or {}
    tally = info.get("latest_tally") or {"yes": 0, "no": 0, "total": 0}
    action = proposal.get("action")
    tag, value = variant_of(action) if action else ("none", {})
    try:
        reward = RewardStatus(info["reward_status"]).name.lower()
    except ValueError:
        reward = str(info["reward_status"])
    failure = info.get("failure_reason")
    return ProposalView(
        proposal_id=int(info["id"]["id"]),
        title=proposal.get("title") or "",
        summary=proposal.get("summary", ""),
        url=proposal.get("url", ""),
        topic=topic_name(int(info["topic"])),
        status=status_name(int(info["status"])),
        reward_status=reward,
        proposer=int(info["proposer"]["id"]) if info.get("proposer") else None,
        action=tag,
        action_details=_details(tag, value),
        yes=int(tally["yes"]),
        no=int(tally["no"]),
        total=int(tally["total"]),
        created_s=int(info["proposal_timestamp_seconds"]),
        deadline_s=int(info["deadline_timestamp_seconds"])
        if info.get("deadline_timestamp_seconds")
        else None,
        decided_s=int(info["decided_timestamp_seconds"]),
        executed_s=int(info["executed_timestamp_seconds"]),
        failure=failure["error_message"] if failure else None,
        reject_cost_e8s=int(info["reject_cost_e8s"]),
    )


def list_proposals(
    session: Session,
    *,
    limit: int = 20,
    before: int | None = None,
    status: tuple[ProposalStatus, ...] = (),
) -> list[ProposalView]:
    infos = session.run(
        session.governance.list_proposals(
            limit=limit,
            before_proposal=before,
            include_status=[int(s) for s in status],
            certified=False,
        )
    )
    return [view_of(info) for info in infos]


def get_proposal(session: Session, proposal_id: int) -> ProposalView:
    info = session.run(session.governance.get_proposal(proposal_id, certified=False))
    if info is None:
        raise Refused(f"there is no proposal {proposal_id}", kind="NotFound")
    return view_of(info)


@dataclass(frozen=True, slots=True, kw_only=True)
class Ballot:
    vote: str
    """`yes`, `no`, or `unspecified` (not voted yet)."""
    voting_power: int


VOTE_NAMES = {0: "unspecified", 1: "yes", 2: "no"}


def get_ballots(session: Session, proposal_id: int) -> dict[int, Ballot]:
    """The ballots of the caller's neurons (controlled or hot key) on the proposal, by neuron id:
    governance shows a caller only its own neurons' ballots."""
    info = session.run(session.governance.get_proposal(proposal_id, certified=False))
    if info is None:
        raise Refused(f"there is no proposal {proposal_id}", kind="NotFound")
    ballots = {}
    for entry in info["ballots"]:
        neuron_id, ballot = pair_of(entry)
        vote = int(ballot["vote"])
        ballots[neuron_id] = Ballot(
            vote=VOTE_NAMES.get(vote, str(vote)), voting_power=int(ballot["voting_power"])
        )
    return ballots


def vote(
    session: Session, proposal_id: int, neuron_ids: tuple[int, ...], *, yes: bool
) -> ProposalView:
    get_proposal(session, proposal_id)
    return register_votes(session, proposal_id, neuron_ids, yes=yes)


def register_votes(
    session: Session, proposal_id: int, neuron_ids: tuple[int, ...], *, yes: bool
) -> ProposalView:
    """Each neuron's ballot on a proposal known to exist; the proposal after them."""
    for neuron_id in neuron_ids:
        session.run(
            session.governance.register_vote(
                neuron_id=neuron_id, proposal_id=proposal_id, vote=1 if yes else 2
            )
        )
    return get_proposal(session, proposal_id)


def watch(
    session: Session,
    proposal_id: int,
    *,
    interval_s: float = 0.5,
    timeout_s: float = 600.0,
    until: Callable[[ProposalView], bool] = lambda view: view.is_final,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[ProposalView]:
    """Each change of the proposal (tally, status, deadline: wait-for-quiet moves it), until
    `until`."""
    deadline = time.monotonic() + timeout_s
    last: ProposalView | None = None
    while True:
        view = get_proposal(session, proposal_id)
        if view != last:
            yield view
            last = view
        if until(view):
            return
        if time.monotonic() > deadline:
            raise Refused(
                f"proposal {proposal_id} was not decided within {timeout_s:.0f} s", kind="Timeout"
            )
        sleep(interval_s)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposalPreview:
    neuron_id: int
    title: str
    summary: str
    url: str
    action: ProposalAction
    reject_cost_e8s: int
    registry: RegistryPreview | None
    projected: ProjectedTally

    def to_json(self) -> dict[str, Any]:
        return {
            "neuron_id": self.neuron_id,
            "title": self.title,
            "summary": self.summary,
            "url": self.url,
            "kind": self.action.kind,
            "topic": topic_name(int(self.action.topic)),
            "action": self.action.summary_of_action,
            "reject_cost_e8s": self.reject_cost_e8s,
            "registry": None if self.registry is None else self.registry.to_json(),
            "projected_tally": self.projected.to_json(),
        }


def get_network_economics(session: Session) -> dict[str, Any]:
    economics: dict[str, Any] = session.run(
        session.governance.canister.call_one("get_network_economics_parameters")
    )
    return economics


def economics_changes(current: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """What a ManageNetworkEconomics proposal would change: each given field, from and to."""
    voting = current.get("voting_power_economics") or {}
    return {
        name: {"from": voting.get(name) if name in voting else current.get(name), "to": value}
        for name, value in given.items()
    }


def preview_proposal(
    session: Session, *, neuron_id: int, title: str, summary: str, url: str, action: ProposalAction
) -> ProposalPreview:
    registry_preview = None
    if action.nns_function is not None and action.payload is not None:
        # The registry's own code, imported only to preview (a query never needs it).
        from tui.ops.preview import preview_registry_call
        from tui.ops.topology import fetch_registry

        log: list[RegistryDelta] = []
        client = fetch_registry(session, log)
        registry_preview = preview_registry_call(client, log, action.nns_function, action.payload)
    economics = get_network_economics(session)
    if "ManageNetworkEconomics" in action.action:
        action = replace(
            action, summary_of_action=economics_changes(economics, action.summary_of_action)
        )
    graph = neuron_graph(session, (neuron_id,))
    return ProposalPreview(
        neuron_id=neuron_id,
        title=title,
        summary=summary,
        url=url,
        action=action,
        reject_cost_e8s=int(economics["reject_cost_e8s"]),
        registry=registry_preview,
        projected=project_tally(neuron_id, int(action.topic), graph),
    )


def submit_proposal(session: Session, preview: ProposalPreview) -> int:
    if preview.registry is not None and not preview.registry.valid:
        raise Refused(
            f"the registry would refuse this proposal: {preview.registry.error}",
            kind="InvalidProposal",
        )
    return session.run(
        session.governance.make_proposal(
            neuron_id=preview.neuron_id,
            title=preview.title,
            summary=preview.summary,
            url=preview.url,
            action=preview.action.action,
        )
    )
