"""The SNS governance client (`SnsGovernanceCanister` of `@dfinity/sns`).

Neuron ids are 32-byte blobs (the neuron's staking subaccount); `manage_neuron`
commands raise `SnsGovernanceError` when governance answers with an `Error`, as
the JS client throws. `proposal_status` derives a proposal's status from its
`ProposalData` the way `ProposalData::status` does in dfinity/ic
rs/sns/governance/src/proposal.rs (open until decided; then rejected unless
accepted; executed or failed once executed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from nns.clients.base import variant_of
from sns.clients.base import SnsClient
from sns.governance.candid import TOPIC_NAMES
from sns.governance.did import GOVERNANCE_INTERFACE
from sns.governance.proposals import Tally, Topic, Vote, VotingRules, is_accepted

PROPOSAL_STATUSES: Final = ("open", "rejected", "adopted", "executed", "failed")


class SnsGovernanceError(Exception):
    def __init__(self, error_type: int, message: str) -> None:
        super().__init__(f"SNS governance error {error_type}: {message}")
        self.error_type = error_type
        self.error_message = message


def _basis_points(value: dict[str, Any] | None) -> int:
    return int((value or {}).get("basis_points") or 0)


def proposal_status(data: dict[str, Any]) -> str:
    """open, rejected, adopted, executed or failed (`ProposalData::status`, proposal.rs)."""
    if not data["decided_timestamp_seconds"]:
        return "open"
    tally = data["latest_tally"] or {"yes": 0, "no": 0, "total": 0}
    rules = VotingRules(
        minimum_yes_proportion_of_total_bp=_basis_points(data["minimum_yes_proportion_of_total"]),
        minimum_yes_proportion_of_exercised_bp=_basis_points(
            data["minimum_yes_proportion_of_exercised"]
        ),
        initial_voting_period_seconds=int(data["initial_voting_period_seconds"]),
        wait_for_quiet_deadline_increase_seconds=int(
            data["wait_for_quiet_deadline_increase_seconds"]
        ),
    )
    if not is_accepted(Tally(tally["yes"], tally["no"], tally["total"]), rules):
        return "rejected"
    if data["executed_timestamp_seconds"]:
        return "executed"
    if data["failed_timestamp_seconds"]:
        return "failed"
    return "adopted"


class SnsGovernanceCanister(SnsClient):
    INTERFACE = GOVERNANCE_INTERFACE

    # -- reads --------------------------------------------------------------------------------

    async def get_neuron(self, neuron_id: bytes, *, certified: bool = False) -> dict[str, Any]:
        answer = await self.canister.call_one(
            "get_neuron", {"neuron_id": {"id": neuron_id}}, certified=certified
        )
        tag, value = variant_of(answer["result"])
        if tag == "Error":
            raise SnsGovernanceError(int(value["error_type"]), str(value["error_message"]))
        neuron: dict[str, Any] = value
        return neuron

    async def list_neurons(
        self,
        *,
        of_principal: Any = None,
        limit: int = 100,
        start_page_at: bytes | None = None,
        certified: bool = False,
    ) -> list[dict[str, Any]]:
        """Neurons in id order; with `of_principal`, those it holds a permission on."""
        request = {
            "of_principal": of_principal,
            "limit": limit,
            "start_page_at": None if start_page_at is None else {"id": start_page_at},
        }
        answer = await self.canister.call_one("list_neurons", request, certified=certified)
        return list(answer["neurons"])

    async def get_proposal(self, proposal_id: int, *, certified: bool = False) -> dict[str, Any]:
        answer = await self.canister.call_one(
            "get_proposal", {"proposal_id": {"id": proposal_id}}, certified=certified
        )
        tag, value = variant_of(answer["result"])
        if tag == "Error":
            raise SnsGovernanceError(int(value["error_type"]), str(value["error_message"]))
        proposal: dict[str, Any] = value
        return proposal

    async def list_proposals(
        self,
        *,
        limit: int = 100,
        before_proposal: int | None = None,
        exclude_type: Sequence[int] = (),
        topics: Sequence[Topic] | None = None,
        certified: bool = False,
    ) -> list[dict[str, Any]]:
        """Proposals, newest first (only those on `topics`, when given)."""
        request = {
            "limit": limit,
            "before_proposal": None if before_proposal is None else {"id": before_proposal},
            "exclude_type": list(exclude_type),
            "include_status": [],
            "include_reward_status": [],
            "include_topics": None
            if topics is None
            else [{"topic": {TOPIC_NAMES[topic]: None}} for topic in topics],
        }
        answer = await self.canister.call_one("list_proposals", request, certified=certified)
        return list(answer["proposals"])

    async def get_nervous_system_parameters(self, *, certified: bool = False) -> dict[str, Any]:
        answer: dict[str, Any] = await self.canister.call_one(
            "get_nervous_system_parameters", None, certified=certified
        )
        return answer

    async def get_mode(self, *, certified: bool = False) -> int:
        answer = await self.canister.call_one("get_mode", {}, certified=certified)
        return int(answer["mode"] or 0)

    async def get_metadata(self, *, certified: bool = False) -> dict[str, Any]:
        answer: dict[str, Any] = await self.canister.call_one(
            "get_metadata", {}, certified=certified
        )
        return answer

    async def list_nervous_system_functions(self, *, certified: bool = False) -> list[Any]:
        answer = await self.canister.call_one("list_nervous_system_functions", certified=certified)
        return list(answer["functions"])

    async def list_topics(self, *, certified: bool = False) -> dict[str, Any]:
        """Each topic with its native and custom functions and criticality, and the custom
        functions without a topic (`listTopics` of `@dfinity/sns`)."""
        answer: dict[str, Any] = await self.canister.call_one(
            "list_topics", {}, certified=certified
        )
        return answer

    # -- manage_neuron ------------------------------------------------------------------------

    async def manage_neuron(self, neuron_id: bytes, command: dict[str, Any]) -> tuple[str, Any]:
        """Run one command on the neuron; the response's tag and value, or the error."""
        answer = await self.canister.call_one(
            "manage_neuron", {"subaccount": neuron_id, "command": command}
        )
        response = answer["command"]
        if response is None:
            raise SnsGovernanceError(0, "governance answered without a command")
        tag, value = variant_of(response)
        if tag == "Error":
            raise SnsGovernanceError(int(value["error_type"]), str(value["error_message"]))
        return tag, value

    async def register_vote(self, *, neuron_id: bytes, proposal_id: int, vote: Vote) -> None:
        await self.manage_neuron(
            neuron_id, {"RegisterVote": {"vote": int(vote), "proposal": {"id": proposal_id}}}
        )

    async def set_topic_followees(
        self, *, neuron_id: bytes, topic: Topic, followees: Sequence[bytes]
    ) -> None:
        """Follow `followees` on `topic` (`SetFollowing`; an empty list stops following)."""
        following = {
            "topic": {TOPIC_NAMES[topic]: None},
            "followees": [{"neuron_id": {"id": f}, "alias": None} for f in followees],
        }
        await self.manage_neuron(neuron_id, {"SetFollowing": {"topic_following": [following]}})

    async def follow(
        self, *, neuron_id: bytes, function_id: int, followees: Sequence[bytes]
    ) -> None:
        """Follow `followees` on one proposal type (the legacy per-function `Follow`)."""
        await self.manage_neuron(
            neuron_id,
            {"Follow": {"function_id": function_id, "followees": [{"id": f} for f in followees]}},
        )

    async def increase_dissolve_delay(self, *, neuron_id: bytes, seconds: int) -> None:
        operation = {"IncreaseDissolveDelay": {"additional_dissolve_delay_seconds": seconds}}
        await self.manage_neuron(neuron_id, {"Configure": {"operation": operation}})

    async def start_dissolving(self, *, neuron_id: bytes) -> None:
        await self.manage_neuron(neuron_id, {"Configure": {"operation": {"StartDissolving": {}}}})

    async def stop_dissolving(self, *, neuron_id: bytes) -> None:
        await self.manage_neuron(neuron_id, {"Configure": {"operation": {"StopDissolving": {}}}})

    async def make_proposal(
        self, *, neuron_id: bytes, title: str, summary: str, url: str = "", action: dict[str, Any]
    ) -> int:
        """Submit a proposal; its id."""
        request = {"title": title, "summary": summary, "url": url, "action": action}
        _, value = await self.manage_neuron(neuron_id, {"MakeProposal": request})
        if value["proposal_id"] is None:
            raise SnsGovernanceError(0, "no proposal id")
        return int(value["proposal_id"]["id"])

    async def make_motion_proposal(
        self, *, neuron_id: bytes, title: str, summary: str, motion_text: str, url: str = ""
    ) -> int:
        return await self.make_proposal(
            neuron_id=neuron_id,
            title=title,
            summary=summary,
            url=url,
            action={"Motion": {"motion_text": motion_text}},
        )
