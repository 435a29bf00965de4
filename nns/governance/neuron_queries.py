"""Reading neurons: infos, full neurons, the caller's neurons, known neurons, the neuron
index, votes and metrics, as functions of the governance state (`core`) and the caller.
"""

from __future__ import annotations

from nns.governance.core import GovernanceCore
from nns.governance.enums import (
    ErrorType,
    Visibility,
    Vote,
)
from nns.governance.errors import (
    GovernanceError,
    not_authorized,
    not_found,
)
from nns.governance.metrics import GovernanceCachedMetrics, compute_cached_metrics
from nns.governance.neuron import (
    Neuron,
    get_age_seconds,
    get_deciding_voting_power,
    get_dissolve_delay_seconds,
    get_minted_stake_e8s,
    get_potential_voting_power,
    get_state,
)
from nns.governance.parameters import (
    MAX_LIST_NEURONS,
    MAX_RECENT_BALLOTS,
)
from nns.governance.requests import (
    BallotInfo,
    KnownNeuron,
    ListNeurons,
    ListNeuronsResponse,
    NeuronIdOrSubaccount,
    NeuronInfo,
)
from nns.governance.settings import (
    TOTAL_SUPPLY_E8S,
)
from nns.governance.votes import (
    ListNeuronVotes,
    NeuronIndexRequest,
    NeuronVotes,
    get_neuron_index_page,
)
from nns.governance.votes import list_neuron_votes as votes_page
from replica.types import Principal


def neuron_info(core: GovernanceCore, neuron: Neuron, caller: Principal) -> NeuronInfo:
    now = core.now_seconds()
    readable = neuron.visibility == Visibility.PUBLIC or neuron.is_authorized(caller)
    ballots = (
        tuple(
            BallotInfo(proposal_id=proposal_id, vote=Vote(vote))
            for proposal_id, vote in core.state.get_recent_ballots(neuron.id, MAX_RECENT_BALLOTS)
        )
        if readable
        else ()
    )
    potential = get_potential_voting_power(neuron, now, core.durations)
    deciding = get_deciding_voting_power(
        neuron, now, core.durations, core.economics.voting_power_economics
    )
    return NeuronInfo(
        id=neuron.id,
        dissolve_delay_seconds=get_dissolve_delay_seconds(neuron, now),
        recent_ballots=ballots,
        neuron_type=int(neuron.neuron_type) or None,
        created_timestamp_seconds=neuron.created_timestamp_seconds,
        state=int(get_state(neuron, now)),
        stake_e8s=get_minted_stake_e8s(neuron),
        joined_community_fund_timestamp_seconds=(
            neuron.joined_community_fund_timestamp_seconds if readable else None
        ),
        retrieved_at_timestamp_seconds=now,
        visibility=int(neuron.visibility),
        known_neuron_name=None
        if neuron.known_neuron_data is None
        else neuron.known_neuron_data.name,
        age_seconds=get_age_seconds(neuron, now),
        voting_power=deciding,
        voting_power_refreshed_timestamp_seconds=neuron.voting_power_refreshed_timestamp_seconds,
        deciding_voting_power=deciding,
        potential_voting_power=potential,
        known_neuron_data=neuron.known_neuron_data,
    )


def can_read_full_neuron(core: GovernanceCore, neuron: Neuron, caller: Principal) -> bool:
    """Controller, hot keys, or those who can vote on ManageNeuron proposals for it."""
    if neuron.is_authorized(caller):
        return True
    managers = neuron.followees.get(1, ())
    return any(
        manager in core.state.neurons and core.state.neurons[manager].is_authorized(caller)
        for manager in managers
    )


def get_full_neuron(core: GovernanceCore, caller: Principal, neuron_id: int) -> Neuron:
    neuron = core.get_neuron(neuron_id)
    if not can_read_full_neuron(core, neuron, caller):
        raise not_authorized(f"Caller is not authorized to read neuron {neuron_id}.")
    return neuron


def get_neuron_by_id_or_subaccount(core: GovernanceCore, which: NeuronIdOrSubaccount) -> Neuron:
    if which.neuron_id is not None:
        return core.get_neuron(which.neuron_id)
    neuron_id = core.state.by_subaccount.get(which.subaccount or b"")
    if neuron_id is None:
        raise not_found(f"No neuron has subaccount {(which.subaccount or b'').hex()}")
    return core.get_neuron(neuron_id)


def get_neuron_info(core: GovernanceCore, caller: Principal, neuron_id: int) -> NeuronInfo:
    return neuron_info(core, core.get_neuron(neuron_id), caller)


def get_neuron_info_by_id_or_subaccount(
    core: GovernanceCore, caller: Principal, which: NeuronIdOrSubaccount
) -> NeuronInfo:
    return neuron_info(core, get_neuron_by_id_or_subaccount(core, which), caller)


def get_full_neuron_by_id_or_subaccount(
    core: GovernanceCore, caller: Principal, which: NeuronIdOrSubaccount
) -> Neuron:
    return get_full_neuron(core, caller, get_neuron_by_id_or_subaccount(core, which).id)


def get_recent_ballots(core: GovernanceCore, neuron: Neuron) -> tuple[BallotInfo, ...]:
    return tuple(
        BallotInfo(proposal_id=proposal_id, vote=Vote(vote))
        for proposal_id, vote in core.state.get_recent_ballots(neuron.id, MAX_RECENT_BALLOTS)
    )


def get_voting_powers(core: GovernanceCore, neuron: Neuron) -> tuple[int, int]:
    """(deciding, potential) voting power now."""
    now = core.now_seconds()
    potential = get_potential_voting_power(neuron, now, core.durations)
    deciding = get_deciding_voting_power(
        neuron, now, core.durations, core.economics.voting_power_economics
    )
    return deciding, potential


def get_neuron_ids(core: GovernanceCore, caller: Principal) -> tuple[int, ...]:
    return tuple(sorted(core.state.neurons_of(caller)))


def list_neurons(
    core: GovernanceCore, caller: Principal, request: ListNeurons
) -> ListNeuronsResponse:
    ids = set(request.neuron_ids)
    if request.include_neurons_readable_by_caller:
        for neuron_id in core.state.neurons_of(caller):
            neuron = core.state.neurons[neuron_id]
            empty = (
                neuron.cached_neuron_stake_e8s
                + neuron.maturity_e8s_equivalent
                + neuron.staked_maturity_e8s_equivalent
                == 0
            )
            if not empty or request.include_empty_neurons_readable_by_caller is not False:
                ids.add(neuron_id)
    ordered = sorted(i for i in ids if i in core.state.neurons)
    page_size = min(request.page_size or MAX_LIST_NEURONS, MAX_LIST_NEURONS)
    page_number = request.page_number or 0
    pages = max(1, -(-len(ordered) // page_size))
    page = ordered[page_number * page_size : (page_number + 1) * page_size]
    infos, full = [], []
    for neuron_id in page:
        neuron = core.state.neurons[neuron_id]
        infos.append(neuron_info(core, neuron, caller))
        if can_read_full_neuron(core, neuron, caller) or (
            request.include_public_neurons_in_full_neurons
            and neuron.visibility == Visibility.PUBLIC
        ):
            full.append(neuron)
    return ListNeuronsResponse(
        neuron_infos=tuple(infos), full_neurons=tuple(full), total_pages_available=pages
    )


def list_known_neurons(core: GovernanceCore, caller: Principal) -> tuple[KnownNeuron, ...]:
    return tuple(
        KnownNeuron(
            id=neuron.id,
            name=neuron.known_neuron_data.name,
            description=neuron.known_neuron_data.description,
            links=neuron.known_neuron_data.links,
            committed_topics=neuron.known_neuron_data.committed_topics,
        )
        for neuron in sorted(core.state.neurons.values(), key=lambda n: n.id)
        if neuron.known_neuron_data is not None
    )


def get_neuron_index(
    core: GovernanceCore, caller: Principal, request: NeuronIndexRequest
) -> tuple[NeuronInfo, ...]:
    """Every neuron, a page at a time in id order, as the caller may see it."""
    return tuple(
        neuron_info(core, core.state.neurons[neuron_id], caller)
        for neuron_id in get_neuron_index_page(core.state, request)
    )


def list_neuron_votes(
    core: GovernanceCore, caller: Principal, request: ListNeuronVotes
) -> NeuronVotes:
    return votes_page(core.state, request, core.now_seconds())


def get_metrics(core: GovernanceCore, caller: Principal) -> GovernanceCachedMetrics:
    """Metrics of all neurons now; unavailable until governance has read the total supply."""
    supply = core.state.get(TOTAL_SUPPLY_E8S)
    if supply is None:
        raise GovernanceError(
            ErrorType.UNAVAILABLE,
            "Metrics not available: governance has not read the ledger's total supply yet "
            "(it does at each reward event).",
        )
    return compute_cached_metrics(
        core.state.neurons.values(),
        now_seconds=core.now_seconds(),
        durations=core.durations,
        economics=core.economics,
        total_supply_e8s=int(supply),
    )
