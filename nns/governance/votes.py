"""A neuron's voting history: `list_neuron_votes` and `get_neuron_index`.

Governance keeps the ballots of open and unsettled proposals with the
proposals, and the Yes/No votes of settled proposals in their own table
(`governance_recent_ballot`), so a neuron's history outlives the garbage
collection of the proposals. `list_neuron_votes` pages over both, newest
first, for known neurons: as on mainnet, whose voting history records the
votes of known neurons, any other neuron has no listed votes. Every proposal
before `all_finalized_before_proposal` no longer accepts votes, so the votes
listed before it cannot change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import text

from nns.governance.enums import Vote
from nns.governance.errors import invalid_command, not_found
from nns.governance.settings import NEXT_PROPOSAL_ID
from nns.governance.state import GovernanceState

MAX_LIST_NEURON_VOTES: Final = 500
MAX_NEURON_PAGE_SIZE: Final = 500

_SETTLED_VOTES: Final = text(
    "SELECT proposal_id, vote FROM governance_recent_ballot "
    "WHERE neuron_id = :neuron_id AND proposal_id < :before ORDER BY proposal_id DESC LIMIT :limit"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ListNeuronVotes:
    neuron_id: int | None
    before_proposal: int | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NeuronVotes:
    votes: tuple[tuple[int, Vote], ...]
    all_finalized_before_proposal: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NeuronIndexRequest:
    exclusive_start_neuron_id: int | None = None
    page_size: int | None = None


def get_all_finalized_before_proposal(state: GovernanceState, now_seconds: int) -> int:
    """The oldest proposal still open for votes, or the next proposal id if none is."""
    open_ids = [
        record.id
        for record in state.proposals.values()
        if now_seconds < record.deadline_timestamp_seconds
    ]
    if open_ids:
        return min(open_ids)
    return state.get(NEXT_PROPOSAL_ID)


def list_neuron_votes(
    state: GovernanceState, request: ListNeuronVotes, now_seconds: int
) -> NeuronVotes:
    if request.neuron_id is None:
        raise invalid_command("list_neuron_votes needs a neuron_id.")
    neuron = state.neurons.get(request.neuron_id)
    if neuron is None:
        raise not_found(f"Neuron not found: {request.neuron_id}")
    finalized = get_all_finalized_before_proposal(state, now_seconds)
    limit = (
        MAX_LIST_NEURON_VOTES
        if request.limit is None
        else min(request.limit, MAX_LIST_NEURON_VOTES)
    )
    if neuron.known_neuron_data is None or limit == 0:
        return NeuronVotes(votes=(), all_finalized_before_proposal=finalized)
    before = 2**63 - 1 if request.before_proposal is None else request.before_proposal
    votes: dict[int, int] = {}
    for record in state.proposals.values():
        vote = record.ballots.votes.get(neuron.id, 0)
        if record.id < before and vote != Vote.UNSPECIFIED:
            votes[record.id] = vote
    with state.store.connection() as connection:
        for proposal_id, vote in connection.execute(
            _SETTLED_VOTES, {"neuron_id": neuron.id, "before": before, "limit": limit}
        ):
            votes.setdefault(int(proposal_id), int(vote))
    newest = sorted(votes.items(), reverse=True)[:limit]
    return NeuronVotes(
        votes=tuple((proposal_id, Vote(vote)) for proposal_id, vote in newest),
        all_finalized_before_proposal=finalized,
    )


def get_neuron_index_page(state: GovernanceState, request: NeuronIndexRequest) -> list[int]:
    """The ids of one page of all neurons, ascending, after `exclusive_start_neuron_id`."""
    size = (
        MAX_NEURON_PAGE_SIZE
        if request.page_size is None
        else min(request.page_size, MAX_NEURON_PAGE_SIZE)
    )
    start = -1 if request.exclusive_start_neuron_id is None else request.exclusive_start_neuron_id
    return sorted(neuron_id for neuron_id in state.neurons if neuron_id > start)[:size]
