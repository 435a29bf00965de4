"""The NNS governance client (`GovernanceCanister` of `@dfinity/nns`).

Reads take `certified` as in the JS client: `certified=True` sends the query
method as an update, so the answer carries a certificate. The JS client
defaults to True; here the default is False (a query whose reply is checked
against the node signatures), because the execution engine still refuses
ingress messages to query methods, which the IC runs as replicated queries. `manage_neuron`
commands raise `GovernanceError` when governance answers with an `Error`
(or with no command at all), as the JS client throws.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from nns.clients.base import NnsClient, variant_of
from nns.governance.did import GOVERNANCE_DID
from replica.candid.did import parse_did
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID
from replica.types import Principal

VOTE_YES: Final = 1
VOTE_NO: Final = 2


class GovernanceError(Exception):
    def __init__(self, error_type: int, message: str) -> None:
        super().__init__(f"governance error {error_type}: {message}")
        self.error_type = error_type
        self.error_message = message


class GovernanceCanister(NnsClient):
    DEFAULT_CANISTER_ID = GOVERNANCE_CANISTER_ID
    INTERFACE = parse_did(GOVERNANCE_DID)

    # -- reads --------------------------------------------------------------------------------

    async def list_proposals(
        self,
        *,
        limit: int = 100,
        before_proposal: int | None = None,
        include_status: Sequence[int] = (),
        include_reward_status: Sequence[int] = (),
        exclude_topic: Sequence[int] = (),
        certified: bool = False,
    ) -> list[dict[str, Any]]:
        request = {
            "limit": limit,
            "before_proposal": None if before_proposal is None else {"id": before_proposal},
            "include_status": list(include_status),
            "include_reward_status": list(include_reward_status),
            "exclude_topic": list(exclude_topic),
            "omit_large_fields": None,
            "include_all_manage_neuron_proposals": None,
        }
        answer = await self.canister.call_one("list_proposals", request, certified=certified)
        return list(answer["proposal_info"])

    async def get_proposal(
        self, proposal_id: int, *, certified: bool = False
    ) -> dict[str, Any] | None:
        answer: dict[str, Any] | None = await self.canister.call_one(
            "get_proposal_info", proposal_id, certified=certified
        )
        return answer

    async def list_neurons(
        self,
        *,
        neuron_ids: Sequence[int] = (),
        include_readable_by_caller: bool = True,
        certified: bool = False,
    ) -> dict[str, Any]:
        request = {
            "neuron_ids": list(neuron_ids),
            "include_neurons_readable_by_caller": include_readable_by_caller,
            "include_empty_neurons_readable_by_caller": None,
            "include_public_neurons_in_full_neurons": None,
            "page_number": None,
            "page_size": None,
            "neuron_subaccounts": None,
        }
        answer: dict[str, Any] = await self.canister.call_one(
            "list_neurons", request, certified=certified
        )
        return answer

    async def get_neuron(self, neuron_id: int, *, certified: bool = False) -> dict[str, Any] | None:
        answer = await self.list_neurons(
            neuron_ids=[neuron_id], include_readable_by_caller=False, certified=certified
        )
        neurons = [neuron for neuron in answer["full_neurons"] if neuron["id"] == {"id": neuron_id}]
        return neurons[0] if neurons else None

    async def get_latest_reward_event(self, *, certified: bool = False) -> dict[str, Any]:
        answer: dict[str, Any] = await self.canister.call_one(
            "get_latest_reward_event", certified=certified
        )
        return answer

    # -- manage_neuron ------------------------------------------------------------------------

    async def manage_neuron(
        self, neuron_id: int | None, command: dict[str, Any]
    ) -> tuple[str, Any]:
        """Run one command; the response command's tag and value, or `GovernanceError`."""
        request = {
            "id": None if neuron_id is None else {"id": neuron_id},
            "command": command,
            "neuron_id_or_subaccount": None,
        }
        answer = await self.canister.call_one("manage_neuron", request)
        response = answer["command"]
        if response is None:
            raise GovernanceError(0, "governance answered without a command")
        tag, value = variant_of(response)
        if tag == "Error":
            raise GovernanceError(int(value["error_type"]), str(value["error_message"]))
        return tag, value

    async def register_vote(self, *, neuron_id: int, proposal_id: int, vote: int) -> None:
        await self.manage_neuron(
            neuron_id, {"RegisterVote": {"vote": vote, "proposal": {"id": proposal_id}}}
        )

    async def set_followees(self, *, neuron_id: int, topic: int, followees: Sequence[int]) -> None:
        await self.manage_neuron(
            neuron_id, {"Follow": {"topic": topic, "followees": [{"id": f} for f in followees]}}
        )

    async def increase_dissolve_delay(
        self, *, neuron_id: int, additional_dissolve_delay_seconds: int
    ) -> None:
        operation = {
            "IncreaseDissolveDelay": {
                "additional_dissolve_delay_seconds": additional_dissolve_delay_seconds
            }
        }
        await self.manage_neuron(neuron_id, {"Configure": {"operation": operation}})

    async def make_proposal(
        self, *, neuron_id: int, title: str, summary: str, url: str = "", action: dict[str, Any]
    ) -> int:
        """Submit a proposal; its id."""
        request = {"title": title, "summary": summary, "url": url, "action": action}
        _, value = await self.manage_neuron(neuron_id, {"MakeProposal": request})
        proposal = value.get("proposal_id")
        if proposal is None:
            raise GovernanceError(0, str(value.get("message") or "no proposal id"))
        return int(proposal["id"])

    async def make_motion_proposal(
        self, *, neuron_id: int, title: str, summary: str, motion_text: str, url: str = ""
    ) -> int:
        return await self.make_proposal(
            neuron_id=neuron_id,
            title=title,
            summary=summary,
            url=url,
            action={"Motion": {"motion_text": motion_text}},
        )

    async def claim_or_refresh_neuron_from_account(
        self, *, memo: int, controller: Principal | None = None
    ) -> int:
        """Claim (or refresh) the neuron staked by a transfer with `memo`; its id."""
        by = {"MemoAndController": {"memo": memo, "controller": controller}}
        _, value = await self.manage_neuron(None, {"ClaimOrRefresh": {"by": by}})
        neuron = value.get("refreshed_neuron_id")
        if neuron is None:
            raise GovernanceError(0, "no neuron was claimed")
        return int(neuron["id"])
