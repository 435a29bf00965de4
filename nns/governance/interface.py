"""NNS governance behind its official Candid interface (the methods icbox implements).

`GOVERNANCE_DID` (in `nns.governance.did`) uses the names and types of the official
`governance.did` for `manage_neuron`, `claim_or_refresh_neuron_from_account`, neuron queries
(info, full neuron, list_neurons), proposal queries, reward events, known neurons and the
network economics, `simulate_manage_neuron`, `get_neuron_index`, `list_neuron_votes`,
`get_metrics`, `get_restore_aging_summary`, the node provider rewards
(`get_monthly_node_provider_rewards`, `get_most_recent_monthly_node_provider_rewards`,
`list_node_provider_rewards`, `update_node_provider`) and the Neurons' Fund methods;
`governance_interface` maps them onto the `Governance` canister: arguments through
`nns.governance.interface_requests`, replies through `nns.governance.interface_replies`.
Refusals become `ManageNeuronResponse{ command = Error }` (or the `Err` variant) as the
official interface answers them. ExecuteNnsFunction payloads arrive as Candid blobs of the
registry's payload records and are decoded into those records at submission. Proposal actions
that the reply type does not list (ManageNetworkEconomics, ManageNeuron) are answered with
`action = null`. An InstallCode proposal is made with the module and its argument and shown,
as officially, with their SHA-256 hashes.
"""

from __future__ import annotations

from typing import Any, Final

from nns.governance.canister import Governance
from nns.governance.did import GOVERNANCE_DID
from nns.governance.errors import GovernanceError
from nns.governance.interface_actions import (
    known_neuron_data,
)
from nns.governance.interface_replies import (
    audit_info,
    candid_metrics,
    error_record,
    full_neuron,
    manage_neuron_reply,
    monthly_rewards,
    network_economics,
    neuron_info,
    neuron_votes,
    proposal_info,
    simulated_reply,
)
from nns.governance.interface_requests import decode_id, decode_request
from nns.governance.neurons_fund import (
    NeuronsFundAuditInfoRequest,
    SettleCommunityFundParticipation,
    SettleNeuronsFundParticipation,
)
from nns.governance.node_provider_rewards import DateRangeFilter
from nns.governance.requests import (
    ClaimOrRefreshNeuronFromAccount,
    ListNeurons,
    ListProposalInfo,
    NeuronIdOrSubaccount,
)
from nns.governance.votes import ListNeuronVotes, NeuronIndexRequest
from replica.candid.did import parse_did
from replica.canister.errors import CanisterError
from replica.canister.sdk import Interface, MethodSpec

GOVERNANCE_INTERFACE: Final = parse_did(GOVERNANCE_DID)


def _neuron_id_or_subaccount(value: dict[str, Any]) -> NeuronIdOrSubaccount:
    ((kind, inner),) = value.items()
    if kind == "NeuronId":
        return NeuronIdOrSubaccount(neuron_id=inner["id"])
    return NeuronIdOrSubaccount(subaccount=inner)


def _list_neurons(governance: Governance, values: list[Any]) -> ListNeurons:
    value = values[0]
    ids = list(value["neuron_ids"])
    for entry in value["neuron_subaccounts"] or ():
        neuron_id = governance.state.by_subaccount.get(entry["subaccount"])
        if neuron_id is not None:
            ids.append(neuron_id)
    return ListNeurons(
        neuron_ids=tuple(ids),
        include_neurons_readable_by_caller=value["include_neurons_readable_by_caller"],
        include_empty_neurons_readable_by_caller=value["include_empty_neurons_readable_by_caller"],
        include_public_neurons_in_full_neurons=value["include_public_neurons_in_full_neurons"],
        page_number=value["page_number"],
        page_size=value["page_size"],
    )


def _spec(name: str, **conversions: Any) -> MethodSpec:
    signature = GOVERNANCE_INTERFACE.method(name)
    return MethodSpec(
        name=name,
        mode="query" if "query" in signature.modes else "update",
        arguments=signature.arguments,
        results=signature.results,
        **conversions,
    )


def _manage_neuron_error(error: CanisterError) -> list[Any]:
    if isinstance(error, GovernanceError):
        return [{"command": {"Error": error_record(error)}}]
    raise error


def governance_interface(governance: object) -> Interface:
    if not isinstance(governance, Governance):
        raise TypeError("governance_interface needs a Governance")

    def error_variant(error: CanisterError) -> list[Any]:
        if isinstance(error, GovernanceError):
            return [{"Err": error_record(error)}]
        raise error

    specs = [
        _spec(
            "manage_neuron",
            to_argument=decode_request,
            to_results=manage_neuron_reply,
            error_results=_manage_neuron_error,
        ),
        _spec(
            "claim_or_refresh_neuron_from_account",
            to_argument=lambda v: ClaimOrRefreshNeuronFromAccount(
                controller=v[0]["controller"], memo=v[0]["memo"]
            ),
            to_results=lambda r: [
                {
                    "result": {"Error": error_record(r)}
                    if isinstance(r, GovernanceError)
                    else {"NeuronId": {"id": r.refreshed_neuron_id}}
                }
            ],
            error_results=lambda e: (
                [{"result": {"Error": error_record(e)}}]
                if isinstance(e, GovernanceError)
                else _raise(e)
            ),
        ),
        _spec(
            "get_neuron_info",
            to_argument=lambda v: v[0],
            to_results=lambda info: [{"Ok": neuron_info(info)}],
            error_results=error_variant,
        ),
        _spec(
            "get_neuron_info_by_id_or_subaccount",
            to_argument=lambda v: _neuron_id_or_subaccount(v[0]),
            to_results=lambda info: [{"Ok": neuron_info(info)}],
            error_results=error_variant,
        ),
        _spec(
            "get_full_neuron",
            to_argument=lambda v: v[0],
            to_results=lambda neuron: [{"Ok": full_neuron(governance, neuron)}],
            error_results=error_variant,
        ),
        _spec(
            "get_full_neuron_by_id_or_subaccount",
            to_argument=lambda v: _neuron_id_or_subaccount(v[0]),
            to_results=lambda neuron: [{"Ok": full_neuron(governance, neuron)}],
            error_results=error_variant,
        ),
        _spec(
            "list_neurons",
            to_argument=lambda v: _list_neurons(governance, v),
            to_results=lambda r: [
                {
                    "neuron_infos": [(info.id, neuron_info(info)) for info in r.neuron_infos],
                    "full_neurons": [full_neuron(governance, neuron) for neuron in r.full_neurons],
                    "total_pages_available": r.total_pages_available,
                }
            ],
        ),
        _spec("get_network_economics_parameters", to_results=lambda e: [network_economics(e)]),
        _spec("get_neuron_ids", to_results=lambda ids: [list(ids)]),
        _spec(
            "get_proposal_info",
            to_argument=lambda v: v[0],
            to_results=lambda info: [None if info is None else proposal_info(info)],
        ),
        _spec(
            "get_pending_proposals", to_results=lambda infos: [[proposal_info(i) for i in infos]]
        ),
        _spec(
            "list_proposals",
            to_argument=lambda v: ListProposalInfo(
                limit=v[0]["limit"],
                before_proposal=decode_id(v[0]["before_proposal"]),
                exclude_topic=tuple(v[0]["exclude_topic"]),
                include_reward_status=tuple(v[0]["include_reward_status"]),
                include_status=tuple(v[0]["include_status"]),
                include_all_manage_neuron_proposals=v[0]["include_all_manage_neuron_proposals"],
                omit_large_fields=v[0]["omit_large_fields"],
            ),
            to_results=lambda infos: [{"proposal_info": [proposal_info(i) for i in infos]}],
        ),
        _spec(
            "get_latest_reward_event",
            to_results=lambda e: [
                {
                    "rounds_since_last_distribution": e.rounds_since_last_distribution,
                    "day_after_genesis": e.day_after_genesis,
                    "actual_timestamp_seconds": e.actual_timestamp_seconds,
                    "total_available_e8s_equivalent": e.total_available_e8s_equivalent,
                    "latest_round_available_e8s_equivalent": (
                        e.latest_round_available_e8s_equivalent
                    ),
                    "distributed_e8s_equivalent": e.distributed_e8s_equivalent,
                    "settled_proposals": [{"id": p} for p in e.settled_proposals],
                }
            ],
        ),
        _spec(
            "list_known_neurons",
            to_results=lambda known: [
                {
                    "known_neurons": [
                        {
                            "id": {"id": k.id},
                            "known_neuron_data": known_neuron_data(
                                k.name, k.description, k.links, k.committed_topics
                            ),
                        }
                        for k in known
                    ]
                }
            ],
        ),
        _spec(
            "list_node_providers",
            to_results=lambda providers: [
                {
                    "node_providers": [
                        {
                            "id": p.id,
                            "reward_account": None
                            if p.reward_account is None
                            else {"hash": p.reward_account.raw},
                        }
                        for p in providers
                    ]
                }
            ],
        ),
    ]
    specs += [
        _spec(
            "get_node_provider_by_caller",
            to_results=lambda p: [
                {
                    "Ok": {
                        "id": p.id,
                        "reward_account": None
                        if p.reward_account is None
                        else {"hash": p.reward_account.raw},
                    }
                }
            ],
            error_results=error_variant,
        ),
        _spec(
            "get_monthly_node_provider_rewards",
            to_results=lambda month: [{"Ok": monthly_rewards(month)}],
            error_results=error_variant,
        ),
        _spec(
            "get_most_recent_monthly_node_provider_rewards",
            to_results=lambda month: [None if month is None else monthly_rewards(month)],
        ),
        _spec(
            "list_node_provider_rewards",
            to_argument=lambda v: (
                None
                if v[0]["date_filter"] is None
                else DateRangeFilter(
                    start_timestamp_seconds=v[0]["date_filter"]["start_timestamp_seconds"],
                    end_timestamp_seconds=v[0]["date_filter"]["end_timestamp_seconds"],
                )
            ),
            to_results=lambda months: [{"rewards": [monthly_rewards(m) for m in months]}],
        ),
        _spec(
            "update_node_provider",
            to_argument=lambda v: (
                None if v[0]["reward_account"] is None else v[0]["reward_account"]["hash"]
            ),
            to_results=lambda _: [{"Ok": None}],
            error_results=error_variant,
        ),
        _spec(
            "claim_gtc_neurons",
            to_argument=lambda v: (v[0], tuple(n["id"] for n in v[1])),
            to_results=lambda _: [{"Ok": None}],
            error_results=error_variant,
        ),
        _spec(
            "transfer_gtc_neuron",
            to_argument=lambda v: (v[0]["id"], v[1]["id"]),
            to_results=lambda _: [{"Ok": None}],
            error_results=error_variant,
        ),
        _spec(
            "simulate_manage_neuron",
            to_argument=decode_request,
            to_results=lambda r: simulated_reply(governance, r),
            error_results=_manage_neuron_error,
        ),
        _spec(
            "get_neuron_index",
            to_argument=lambda v: NeuronIndexRequest(
                exclusive_start_neuron_id=decode_id(v[0]["exclusive_start_neuron_id"]),
                page_size=v[0]["page_size"],
            ),
            to_results=lambda infos: [{"Ok": {"neurons": [neuron_info(info) for info in infos]}}],
            error_results=error_variant,
        ),
        _spec(
            "list_neuron_votes",
            to_argument=lambda v: ListNeuronVotes(
                neuron_id=decode_id(v[0]["neuron_id"]),
                before_proposal=decode_id(v[0]["before_proposal"]),
                limit=v[0]["limit"],
            ),
            to_results=neuron_votes,
            error_results=error_variant,
        ),
        _spec(
            "get_metrics",
            to_results=lambda metrics: [{"Ok": candid_metrics(metrics)}],
            error_results=error_variant,
        ),
        _spec(
            "get_restore_aging_summary",
            to_results=lambda _: [{"groups": [], "timestamp_seconds": None}],
        ),
        _spec(
            "get_neurons_fund_audit_info",
            to_argument=lambda v: NeuronsFundAuditInfoRequest(
                nns_proposal_id=decode_id(v[0]["nns_proposal_id"])
            ),
            to_results=lambda launch: [
                {"result": {"Ok": {"neurons_fund_audit_info": audit_info(launch)}}}
            ],
            error_results=lambda e: (
                [{"result": {"Err": error_record(e)}}]
                if isinstance(e, GovernanceError)
                else _raise(e)
            ),
        ),
        _spec(
            "settle_neurons_fund_participation",
            to_argument=lambda v: SettleNeuronsFundParticipation(
                nns_proposal_id=v[0]["nns_proposal_id"],
                result=_outcome(v[0]["result"]),
                total_direct_participation_icp_e8s=(v[0]["result"] or {})
                .get("Committed", {})
                .get("total_direct_participation_icp_e8s"),
            ),
            to_results=lambda portions: [
                {
                    "result": {
                        "Ok": {
                            "neurons_fund_neuron_portions": [
                                {
                                    "controller": p.controller,
                                    "hotkeys": {"principals": []},
                                    "is_capped": None,
                                    "nns_neuron_id": p.nns_neuron_id,
                                    "amount_icp_e8s": p.amount_icp_e8s,
                                }
                                for p in portions
                            ]
                        }
                    }
                }
            ],
            error_results=lambda e: (
                [{"result": {"Err": error_record(e)}}]
                if isinstance(e, GovernanceError)
                else _raise(e)
            ),
        ),
        _spec(
            "settle_community_fund_participation",
            to_argument=lambda v: SettleCommunityFundParticipation(
                open_sns_token_swap_proposal_id=v[0]["open_sns_token_swap_proposal_id"],
                result=_outcome(v[0]["result"]),
            ),
            to_results=_never,
            error_results=error_variant,
        ),
    ]
    return Interface(methods={spec.name: spec for spec in specs}, heartbeat="heartbeat")


def _raise(error: CanisterError) -> list[Any]:
    raise error


def _never(reply: object) -> list[Any]:
    raise TypeError(f"this method only refuses, yet it answered {reply!r}")


def _outcome(value: dict[str, Any] | None) -> str | None:
    return None if value is None else next(iter(value))
