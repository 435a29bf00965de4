"""An SNS's DAO: its neurons (32-byte ids, written in hex) and its proposals.

`list_proposals` gives the rows the dashboard and `icbox sns proposal list`
show; voting, following and motions go through `manage_neuron` with the
caller's permissions on the neuron (the SNS permission model, not NNS hot keys).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sns.clients.governance import SnsGovernanceCanister, proposal_status
from sns.governance.candid import TOPIC_NAMES
from sns.governance.parameters import Permission
from sns.governance.proposals import Topic, Vote
from tui.ops.errors import UsageError
from tui.ops.session import Session
from tui.ops.sns import resolve_sns
from tui.ops.sns_errors import run

TOPICS_BY_NAME: Final = {topic.name.lower().replace("_", "-"): topic for topic in TOPIC_NAMES}
"""`dao-community-settings`, `governance`, ... -> the topic."""


def parse_neuron_id(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text.strip())
    except ValueError as error:
        raise UsageError(f"{text!r} is not a hex neuron id", kind="MalformedNeuronId") from error
    if len(raw) != 32:
        raise UsageError("an SNS neuron id has 32 bytes (64 hex digits)", kind="MalformedNeuronId")
    return raw


def parse_topic(text: str) -> Topic:
    try:
        return TOPICS_BY_NAME[text.strip().lower()]
    except KeyError as error:
        raise UsageError(
            f"unknown topic {text!r} (one of {', '.join(sorted(TOPICS_BY_NAME))})",
            kind="UnknownTopic",
        ) from error


@dataclass(frozen=True, slots=True, kw_only=True)
class SnsNeuronView:
    id: str
    stake_e8s: int
    maturity_e8s: int
    dissolve_delay_seconds: int | None
    when_dissolved_timestamp_seconds: int | None
    permissions: dict[str, list[str]]
    source_nns_neuron_id: int | None
    followees: dict[str, list[str]]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "stake_e8s": self.stake_e8s,
            "maturity_e8s": self.maturity_e8s,
            "dissolve_delay_seconds": self.dissolve_delay_seconds,
            "when_dissolved_timestamp_seconds": self.when_dissolved_timestamp_seconds,
            "permissions": self.permissions,
            "source_nns_neuron_id": self.source_nns_neuron_id,
            "followees": self.followees,
        }


def _permission_name(value: int) -> str:
    try:
        return Permission(value).name.lower().replace("_", "-")
    except ValueError:
        return str(value)


def neuron_view(neuron: dict[str, Any]) -> SnsNeuronView:
    dissolve = neuron["dissolve_state"] or {}
    topic_followees = (neuron["topic_followees"] or {}).get("topic_id_to_followees", [])
    followees: dict[str, list[str]] = {}
    for entry in topic_followees:
        topic = TOPIC_NAMES.get(Topic(int(entry["0"])), str(entry["0"]))
        followees[topic] = [
            f["neuron_id"]["id"].hex() for f in entry["1"]["followees"] if f["neuron_id"]
        ]
    return SnsNeuronView(
        id=bytes(neuron["id"]["id"]).hex(),
        stake_e8s=int(neuron["cached_neuron_stake_e8s"]),
        maturity_e8s=int(neuron["maturity_e8s_equivalent"]),
        dissolve_delay_seconds=dissolve.get("DissolveDelaySeconds"),
        when_dissolved_timestamp_seconds=dissolve.get("WhenDissolvedTimestampSeconds"),
        permissions={
            entry["principal"].to_text(): [_permission_name(p) for p in entry["permission_type"]]
            for entry in neuron["permissions"]
            if entry["principal"] is not None
        },
        source_nns_neuron_id=neuron["source_nns_neuron_id"],
        followees=followees,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SnsProposalView:
    id: int
    title: str
    action: int
    topic: str
    status: str
    yes_e8s: int
    no_e8s: int
    total_e8s: int
    deadline_timestamp_seconds: int | None
    proposer: str | None
    failure: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "action": self.action,
            "topic": self.topic,
            "status": self.status,
            "yes_e8s": self.yes_e8s,
            "no_e8s": self.no_e8s,
            "total_e8s": self.total_e8s,
            "deadline_timestamp_seconds": self.deadline_timestamp_seconds,
            "proposer": self.proposer,
            "failure": self.failure,
        }


def proposal_view(data: dict[str, Any]) -> SnsProposalView:
    tally = data["latest_tally"] or {"yes": 0, "no": 0, "total": 0}
    quiet = data["wait_for_quiet_state"]
    topic = data["topic"]
    return SnsProposalView(
        id=int(data["id"]["id"]),
        title=str((data["proposal"] or {}).get("title", "")),
        action=int(data["action"]),
        topic=next(iter(topic)) if topic else "",
        status=proposal_status(data),
        yes_e8s=int(tally["yes"]),
        no_e8s=int(tally["no"]),
        total_e8s=int(tally["total"]),
        deadline_timestamp_seconds=None
        if quiet is None
        else int(quiet["current_deadline_timestamp_seconds"]),
        proposer=None if data["proposer"] is None else bytes(data["proposer"]["id"]).hex(),
        failure=None
        if data["failure_reason"] is None
        else str(data["failure_reason"]["error_message"]),
    )


def _governance(session: Session, sns: str) -> SnsGovernanceCanister:
    _, deployed = resolve_sns(session, sns)
    return SnsGovernanceCanister(session.agent.inner, deployed.governance)


# -- neurons ----------------------------------------------------------------------------------


def list_neurons(session: Session, sns: str, *, mine: bool = True) -> list[SnsNeuronView]:
    governance = _governance(session, sns)
    neurons = run(
        session,
        governance.list_neurons(of_principal=session.principal if mine else None, limit=10_000),
    )
    return [neuron_view(n) for n in neurons]


def get_neuron(session: Session, sns: str, neuron_id: bytes) -> SnsNeuronView:
    return neuron_view(run(session, _governance(session, sns).get_neuron(neuron_id)))


def follow(
    session: Session, sns: str, neuron_id: bytes, topic: Topic, followees: Sequence[bytes]
) -> SnsNeuronView:
    governance = _governance(session, sns)
    run(
        session,
        governance.set_topic_followees(neuron_id=neuron_id, topic=topic, followees=followees),
    )
    return neuron_view(run(session, governance.get_neuron(neuron_id)))


def increase_dissolve_delay(
    session: Session, sns: str, neuron_id: bytes, seconds: int
) -> SnsNeuronView:
    governance = _governance(session, sns)
    run(session, governance.increase_dissolve_delay(neuron_id=neuron_id, seconds=seconds))
    return neuron_view(run(session, governance.get_neuron(neuron_id)))


# -- proposals --------------------------------------------------------------------------------


def list_proposals(
    session: Session, sns: str, *, limit: int = 20, before: int | None = None
) -> list[SnsProposalView]:
    governance = _governance(session, sns)
    found = run(session, governance.list_proposals(limit=limit, before_proposal=before))
    return [proposal_view(p) for p in found]


def get_proposal(session: Session, sns: str, proposal_id: int) -> SnsProposalView:
    return proposal_view(run(session, _governance(session, sns).get_proposal(proposal_id)))


def vote(
    session: Session, sns: str, proposal_id: int, neuron_ids: Sequence[bytes], *, yes: bool
) -> SnsProposalView:
    governance = _governance(session, sns)
    for neuron_id in neuron_ids:
        run(
            session,
            governance.register_vote(
                neuron_id=neuron_id, proposal_id=proposal_id, vote=Vote.YES if yes else Vote.NO
            ),
        )
    return proposal_view(run(session, governance.get_proposal(proposal_id)))


def make_motion(
    session: Session, sns: str, neuron_id: bytes, *, title: str, text: str, summary: str = ""
) -> SnsProposalView:
    governance = _governance(session, sns)
    proposal_id = run(
        session,
        governance.make_motion_proposal(
            neuron_id=neuron_id, title=title, summary=summary, motion_text=text
        ),
    )
    return proposal_view(run(session, governance.get_proposal(proposal_id)))
