"""NNS governance behind its official Candid interface (the methods icbox implements).

`GOVERNANCE_DID` (in `nns.governance.did`) uses the names and types of the official `governance.did`
for
`manage_neuron`, `claim_or_refresh_neuron_from_account`, neuron queries (info,
full neuron, list_neurons), proposal queries, reward events, known neurons and
the network economics, `simulate_manage_neuron`, `get_neuron_index`,
`list_neuron_votes`, `get_metrics`, `get_restore_aging_summary` and the
Neurons' Fund methods; `governance_interface` maps them onto
the `Governance` canister. Refusals become `ManageNeuronResponse{ command =
Error }` (or the `Err` variant) as the official interface answers them.
ExecuteNnsFunction payloads arrive as Candid blobs of the registry's payload
records and are decoded into those records at submission. Proposal actions
that the reply type does not list (ManageNetworkEconomics, ManageNeuron) are
answered with `action = null`. An InstallCode proposal is made with the module
and its argument and shown, as officially, with their SHA-256 hashes.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any, Final

from nns.governance.canister import Governance
from nns.governance.did import GOVERNANCE_DID
from nns.governance.enums import Vote
from nns.governance.errors import GovernanceError
from nns.governance.interface_actions import (
    encode_action,
    known_neuron_data,
)
from nns.governance.interface_requests import decode_id, decode_request
from nns.governance.metrics import GovernanceCachedMetrics, NeuronSubsetMetrics
from nns.governance.neuron import KnownNeuronData, Neuron
from nns.governance.neurons_fund import (
    NeuronsFundAuditInfoRequest,
    SettleCommunityFundParticipation,
    SettleNeuronsFundParticipation,
)
from nns.governance.nns_functions import IcpXdrConversionRatePayload
from nns.governance.parameters import NetworkEconomics
from nns.governance.proposals import ProposalInfo
from nns.governance.requests import (
    ClaimOrRefreshNeuronFromAccount,
    ClaimOrRefreshResponse,
    DisburseMaturityResponse,
    DisburseResponse,
    EmptyResponse,
    ExecuteNnsFunction,
    InstallCode,
    ListNeurons,
    ListProposalInfo,
    MakeProposalResponse,
    MergeResponse,
    Motion,
    NeuronIdOrSubaccount,
    NeuronInfo,
    SpawnResponse,
    StakeMaturityResponse,
)
from nns.governance.simulation import SimulatedMergeResponse
from nns.governance.sns_launch import SnsLaunchRecord
from nns.governance.votes import ListNeuronVotes, NeuronIndexRequest, NeuronVotes
from replica.candid import encode
from replica.candid.did import parse_did
from replica.canister.errors import CanisterError
from replica.canister.sdk import Interface, MethodSpec

GOVERNANCE_INTERFACE: Final = parse_did(GOVERNANCE_DID)


def _error(error: GovernanceError) -> dict[str, Any]:
    return {"error_message": error.error_message, "error_type": int(error.error_type)}


def _response(reply: Any) -> list[Any]:
    match reply:
        case GovernanceError():
            command: dict[str, Any] = {"Error": _error(reply)}
        case ClaimOrRefreshResponse():
            command = {"ClaimOrRefresh": {"refreshed_neuron_id": {"id": reply.refreshed_neuron_id}}}
        case SpawnResponse():
            command = {reply.command: {"created_neuron_id": {"id": reply.created_neuron_id}}}
        case DisburseResponse():
            command = {"Disburse": {"transfer_block_height": reply.transfer_block_height}}
        case MakeProposalResponse():
            command = {
                "MakeProposal": {"message": reply.message, "proposal_id": {"id": reply.proposal_id}}
            }
        case StakeMaturityResponse():
            command = {
                "StakeMaturity": {
                    "maturity_e8s": reply.maturity_e8s,
                    "staked_maturity_e8s": reply.staked_maturity_e8s,
                }
            }
        case DisburseMaturityResponse():
            command = {"DisburseMaturity": {"amount_disbursed_e8s": reply.amount_disbursed_e8s}}
        case MergeResponse():
            command = {
                "Merge": {
                    "target_neuron": None,
                    "source_neuron": None,
                    "target_neuron_info": None,
                    "source_neuron_info": None,
                }
            }
        case EmptyResponse():
            command = {reply.command: {}}
        case _:
            raise TypeError(f"unexpected ManageNeuron reply {reply!r}")
    return [{"command": command}]


def _neuron_info(info: NeuronInfo) -> dict[str, Any]:
    return {
        "id": {"id": info.id},
        "dissolve_delay_seconds": info.dissolve_delay_seconds,
        "recent_ballots": [
            {"vote": int(b.vote), "proposal_id": {"id": b.proposal_id}} for b in info.recent_ballots
        ],
        "neuron_type": info.neuron_type,
        "created_timestamp_seconds": info.created_timestamp_seconds,
        "state": info.state,
        "stake_e8s": info.stake_e8s,
        "joined_community_fund_timestamp_seconds": info.joined_community_fund_timestamp_seconds,
        "retrieved_at_timestamp_seconds": info.retrieved_at_timestamp_seconds,
        "visibility": info.visibility,
        "known_neuron_data": None
        if info.known_neuron_data is None
        else _known_neuron_data(info.known_neuron_data),
        "voting_power": info.voting_power,
        "voting_power_refreshed_timestamp_seconds": info.voting_power_refreshed_timestamp_seconds,
        "age_seconds": info.age_seconds,
        "deciding_voting_power": info.deciding_voting_power,
        "potential_voting_power": info.potential_voting_power,
    }


def _candid_action(action: Any) -> Any:
    encoded = encode_action(action, _network_economics)
    if encoded is not None:
        return encoded
    match action:
        case Motion():
            return {"Motion": {"motion_text": action.motion_text}}
        case InstallCode():
            return {
                "InstallCode": {
                    "skip_stopping_before_installing": action.skip_stopping_before_installing,
                    "wasm_module_hash": hashlib.sha256(action.wasm_module).digest(),
                    "canister_id": action.canister_id,
                    "arg_hash": hashlib.sha256(action.arg).digest(),
                    "install_mode": action.install_mode,
                }
            }
        case ExecuteNnsFunction() if isinstance(action.payload, bytes):
            return {
                "ExecuteNnsFunction": {
                    "nns_function": action.nns_function,
                    "payload": action.payload,
                }
            }
        case ExecuteNnsFunction() if isinstance(action.payload, IcpXdrConversionRatePayload):
            from nns.cycles_minting.interface import arguments

            return {
                "ExecuteNnsFunction": {
                    "nns_function": action.nns_function,
                    "payload": encode(
                        arguments("set_icp_xdr_conversion_rate"), [action.payload.argument()]
                    ),
                }
            }
        case ExecuteNnsFunction():
            from registry.interface import payload_candid_type

            return {
                "ExecuteNnsFunction": {
                    "nns_function": action.nns_function,
                    "payload": _encode_payload(
                        payload_candid_type(action.nns_function), action.payload
                    ),
                }
            }
    return None


def _encode_payload(candid_type: Any, payload: Any) -> bytes:
    import dataclasses

    from registry.records import SubnetFeatures

    value: dict[str, Any] = {}
    for field in dataclasses.fields(payload):
        item = getattr(payload, field.name)
        if field.name == "subnet_type" and item is not None:
            # UpdateSubnet's subnet_type is optional; CreateSubnet's is not.
            item = {item.name.lower(): None}
        elif field.name == "data_centers_to_add":
            item = [{"id": dc.id, "region": dc.region, "owner": dc.owner} for dc in item]
        elif field.name == "features" and isinstance(item, SubnetFeatures):
            item = dataclasses.asdict(item)  # a SubnetFeatures record (CreateSubnet's default)
        elif field.name == "canister_cycles_cost_schedule" and item is not None:
            item = {item.name.capitalize(): None}  # the variant Normal or Free
        elif isinstance(item, tuple):
            item = list(item)
        value[field.name] = item
    return encode([candid_type], [value])


def _proposal_info(info: ProposalInfo) -> dict[str, Any]:
    proposal = info.proposal
    return {
        "id": {"id": info.id},
        "status": info.status,
        "topic": info.topic,
        "failure_reason": None
        if info.failure_reason is None
        else {"error_message": info.failure_reason, "error_type": 12},
        "ballots": [
            (neuron, {"vote": int(b.vote), "voting_power": b.voting_power})
            for neuron, b in info.ballots
        ],
        "proposal_timestamp_seconds": info.proposal_timestamp_seconds,
        "reward_event_round": info.reward_event_round,
        "deadline_timestamp_seconds": info.deadline_timestamp_seconds,
        "failed_timestamp_seconds": info.failed_timestamp_seconds,
        "reject_cost_e8s": info.reject_cost_e8s,
        "latest_tally": {
            "no": info.latest_tally.no,
            "yes": info.latest_tally.yes,
            "total": info.latest_tally.total,
            "timestamp_seconds": info.latest_tally.timestamp_seconds,
        },
        "total_potential_voting_power": info.total_potential_voting_power,
        "reward_status": info.reward_status,
        "decided_timestamp_seconds": info.decided_timestamp_seconds,
        "proposal": None
        if proposal is None
        else {
            "url": proposal.url,
            "title": proposal.title,
            "summary": proposal.summary,
            "action": _candid_action(proposal.action),
        },
        "proposer": {"id": info.proposer},
        "executed_timestamp_seconds": info.executed_timestamp_seconds,
    }


def _known_neuron_data(known: KnownNeuronData) -> dict[str, Any]:
    return known_neuron_data(known.name, known.description, known.links, known.committed_topics)


def _neuron_id_or_subaccount(value: dict[str, Any]) -> NeuronIdOrSubaccount:
    ((kind, inner),) = value.items()
    if kind == "NeuronId":
        return NeuronIdOrSubaccount(neuron_id=inner["id"])
    return NeuronIdOrSubaccount(subaccount=inner)


def _full_neuron(governance: Governance, neuron: Neuron) -> dict[str, Any]:
    """The official `Neuron` record: the stored neuron plus its ballots and voting power now."""
    if neuron.dissolve_delay_seconds is not None:
        dissolve_state: Any = {"DissolveDelaySeconds": neuron.dissolve_delay_seconds}
    elif neuron.when_dissolved_timestamp_seconds is not None:
        dissolve_state = {"WhenDissolvedTimestampSeconds": neuron.when_dissolved_timestamp_seconds}
    else:
        dissolve_state = None
    deciding, potential = governance.get_voting_powers(neuron)
    known = neuron.known_neuron_data
    return {
        "id": {"id": neuron.id},
        "staked_maturity_e8s_equivalent": neuron.staked_maturity_e8s_equivalent or None,
        "controller": neuron.controller,
        "recent_ballots": [
            {"vote": int(b.vote), "proposal_id": {"id": b.proposal_id}}
            for b in governance.get_recent_ballots(neuron)
        ],
        "kyc_verified": neuron.kyc_verified,
        "neuron_type": int(neuron.neuron_type) or None,
        "not_for_profit": neuron.not_for_profit,
        "maturity_e8s_equivalent": neuron.maturity_e8s_equivalent,
        "cached_neuron_stake_e8s": neuron.cached_neuron_stake_e8s,
        "created_timestamp_seconds": neuron.created_timestamp_seconds,
        "auto_stake_maturity": neuron.auto_stake_maturity or None,
        "aging_since_timestamp_seconds": neuron.aging_since_timestamp_seconds,
        "hot_keys": list(neuron.hot_keys),
        "account": neuron.subaccount,
        "joined_community_fund_timestamp_seconds": neuron.joined_community_fund_timestamp_seconds,
        "dissolve_state": dissolve_state,
        "followees": [
            (topic, {"followees": [{"id": f} for f in followees]})
            for topic, followees in sorted(neuron.followees.items())
        ],
        "neuron_fees_e8s": neuron.neuron_fees_e8s,
        "visibility": int(neuron.visibility),
        "transfer": None,
        "known_neuron_data": None if known is None else _known_neuron_data(known),
        "spawn_at_timestamp_seconds": neuron.spawn_at_timestamp_seconds,
        "voting_power_refreshed_timestamp_seconds": neuron.voting_power_refreshed_timestamp_seconds,
        "deciding_voting_power": deciding,
        "potential_voting_power": potential,
    }


def _network_economics(economics: NetworkEconomics) -> dict[str, Any]:
    voting, fund = economics.voting_power_economics, economics.neurons_fund_economics

    def xdr(amount: int) -> dict[str, Any]:
        return {"human_readable": str(amount)}

    return {
        "neuron_minimum_stake_e8s": economics.neuron_minimum_stake_e8s,
        "max_proposals_to_keep_per_topic": economics.max_proposals_to_keep_per_topic,
        "neuron_management_fee_per_proposal_e8s": economics.neuron_management_fee_per_proposal_e8s,
        "reject_cost_e8s": economics.reject_cost_e8s,
        "transaction_fee_e8s": economics.transaction_fee_e8s,
        "neuron_spawn_dissolve_delay_seconds": economics.neuron_spawn_dissolve_delay_seconds,
        "minimum_icp_xdr_rate": economics.minimum_icp_xdr_rate,
        "maximum_node_provider_rewards_e8s": economics.maximum_node_provider_rewards_e8s,
        "neurons_fund_economics": {
            "maximum_icp_xdr_rate": {"basis_points": fund.maximum_icp_xdr_rate_basis_points},
            "neurons_fund_matched_funding_curve_coefficients": {
                "contribution_threshold_xdr": xdr(
                    fund.neurons_fund_matched_funding_curve_contribution_threshold_xdr
                ),
                "one_third_participation_milestone_xdr": xdr(
                    fund.one_third_participation_milestone_xdr
                ),
                "full_participation_milestone_xdr": xdr(fund.full_participation_milestone_xdr),
            },
            "max_theoretical_neurons_fund_participation_amount_xdr": xdr(
                fund.max_theoretical_neurons_fund_participation_amount_xdr
            ),
            "minimum_icp_xdr_rate": {"basis_points": fund.minimum_icp_xdr_rate_basis_points},
        },
        "voting_power_economics": {
            "start_reducing_voting_power_after_seconds": (
                voting.start_reducing_voting_power_after_seconds
            ),
            "clear_following_after_seconds": voting.clear_following_after_seconds,
            "neuron_minimum_dissolve_delay_to_vote_seconds": (
                voting.neuron_minimum_dissolve_delay_to_vote_seconds
            ),
        },
    }


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
        return [{"command": {"Error": _error(error)}}]
    raise error


def governance_interface(governance: object) -> Interface:
    if not isinstance(governance, Governance):
        raise TypeError("governance_interface needs a Governance")

    def error_variant(error: CanisterError) -> list[Any]:
        if isinstance(error, GovernanceError):
            return [{"Err": _error(error)}]
        raise error

    specs = [
        _spec(
            "manage_neuron",
            to_argument=decode_request,
            to_results=_response,
            error_results=_manage_neuron_error,
        ),
        _spec(
            "claim_or_refresh_neuron_from_account",
            to_argument=lambda v: ClaimOrRefreshNeuronFromAccount(
                controller=v[0]["controller"], memo=v[0]["memo"]
            ),
            to_results=lambda r: [
                {
                    "result": {"Error": _error(r)}
                    if isinstance(r, GovernanceError)
                    else {"NeuronId": {"id": r.refreshed_neuron_id}}
                }
            ],
            error_results=lambda e: (
                [{"result": {"Error": _error(e)}}] if isinstance(e, GovernanceError) else _raise(e)
            ),
        ),
        _spec(
            "get_neuron_info",
            to_argument=lambda v: v[0],
            to_results=lambda info: [{"Ok": _neuron_info(info)}],
            error_results=error_variant,
        ),
        _spec(
            "get_neuron_info_by_id_or_subaccount",
            to_argument=lambda v: _neuron_id_or_subaccount(v[0]),
            to_results=lambda info: [{"Ok": _neuron_info(info)}],
            error_results=error_variant,
        ),
        _spec(
            "get_full_neuron",
            to_argument=lambda v: v[0],
            to_results=lambda neuron: [{"Ok": _full_neuron(governance, neuron)}],
            error_results=error_variant,
        ),
        _spec(
            "get_full_neuron_by_id_or_subaccount",
            to_argument=lambda v: _neuron_id_or_subaccount(v[0]),
            to_results=lambda neuron: [{"Ok": _full_neuron(governance, neuron)}],
            error_results=error_variant,
        ),
        _spec(
            "list_neurons",
            to_argument=lambda v: _list_neurons(governance, v),
            to_results=lambda r: [
                {
                    "neuron_infos": [(info.id, _neuron_info(info)) for info in r.neuron_infos],
                    "full_neurons": [_full_neuron(governance, neuron) for neuron in r.full_neurons],
                    "total_pages_available": r.total_pages_available,
                }
            ],
        ),
        _spec("get_network_economics_parameters", to_results=lambda e: [_network_economics(e)]),
        _spec("get_neuron_ids", to_results=lambda ids: [list(ids)]),
        _spec(
            "get_proposal_info",
            to_argument=lambda v: v[0],
            to_results=lambda info: [None if info is None else _proposal_info(info)],
        ),
        _spec(
            "get_pending_proposals", to_results=lambda infos: [[_proposal_info(i) for i in infos]]
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
            to_results=lambda infos: [{"proposal_info": [_proposal_info(i) for i in infos]}],
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
            to_results=lambda r: _simulated_response(governance, r),
            error_results=_manage_neuron_error,
        ),
        _spec(
            "get_neuron_index",
            to_argument=lambda v: NeuronIndexRequest(
                exclusive_start_neuron_id=decode_id(v[0]["exclusive_start_neuron_id"]),
                page_size=v[0]["page_size"],
            ),
            to_results=lambda infos: [{"Ok": {"neurons": [_neuron_info(info) for info in infos]}}],
            error_results=error_variant,
        ),
        _spec(
            "list_neuron_votes",
            to_argument=lambda v: ListNeuronVotes(
                neuron_id=decode_id(v[0]["neuron_id"]),
                before_proposal=decode_id(v[0]["before_proposal"]),
                limit=v[0]["limit"],
            ),
            to_results=_neuron_votes,
            error_results=error_variant,
        ),
        _spec(
            "get_metrics",
            to_results=lambda metrics: [{"Ok": _candid_metrics(metrics)}],
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
                {"result": {"Ok": {"neurons_fund_audit_info": _audit_info(launch)}}}
            ],
            error_results=lambda e: (
                [{"result": {"Err": _error(e)}}] if isinstance(e, GovernanceError) else _raise(e)
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
                [{"result": {"Err": _error(e)}}] if isinstance(e, GovernanceError) else _raise(e)
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


def _snapshot(entries: Any) -> dict[str, Any]:
    return {
        "neurons_fund_neuron_portions": [
            {
                "controller": entry.controller,
                "hotkeys": [],
                "is_capped": None,
                "maturity_equivalent_icp_e8s": None,
                "nns_neuron_id": {"id": entry.neuron_id},
                "amount_icp_e8s": entry.amount_e8s,
            }
            for entry in entries
        ]
    }


def _audit_info(launch: SnsLaunchRecord) -> dict[str, Any]:
    """`NeuronsFundAuditInfo`: what was reserved, what the fund finally gave, what came back."""
    limits = {
        "min_participant_icp_e8s": launch.min_participant_icp_e8s,
        "max_participant_icp_e8s": launch.max_participant_icp_e8s,
        "min_direct_participation_icp_e8s": launch.min_direct_icp_e8s,
        "max_direct_participation_icp_e8s": launch.max_direct_icp_e8s,
    }
    t1, t2, t3, t4, cap = launch.matching
    function = {
        "serialized_representation": f'{{"t_1":{t1},"t_2":{t2},"t_3":{t3},"t_4":{t4},"cap":{cap}}}'
    }

    def participation(portions: Any, direct: int | None) -> dict[str, Any]:
        allocated = sum(p.amount_e8s for p in portions)
        return {
            "total_maturity_equivalent_icp_e8s": launch.total_maturity_e8s,
            "intended_neurons_fund_participation_icp_e8s": allocated,
            "direct_participation_icp_e8s": direct,
            "swap_participation_limits": limits,
            "max_neurons_fund_swap_participation_icp_e8s": launch.max_neurons_fund_icp_e8s,
            "neurons_fund_reserves": _snapshot(portions),
            "ideal_matched_participation_function": function,
            "allocated_neurons_fund_participation_icp_e8s": allocated,
        }

    return {
        "initial_neurons_fund_participation": participation(launch.reservations, None),
        "final_neurons_fund_participation": None
        if launch.result is None
        else participation(launch.portions, launch.direct_participation_icp_e8s),
        "neurons_fund_refunds": None if launch.result is None else _snapshot(launch.refunds),
    }


def _never(reply: object) -> list[Any]:
    raise TypeError(f"this method only refuses, yet it answered {reply!r}")


def _simulated_response(governance: Governance, reply: Any) -> list[Any]:
    if isinstance(reply, SimulatedMergeResponse):
        return [
            {
                "command": {
                    "Merge": {
                        "target_neuron": _full_neuron(governance, reply.target_neuron),
                        "source_neuron": _full_neuron(governance, reply.source_neuron),
                        "target_neuron_info": _neuron_info(reply.target_neuron_info),
                        "source_neuron_info": _neuron_info(reply.source_neuron_info),
                    }
                }
            }
        ]
    return _response(reply)


_VOTE_NAMES: Final = {Vote.UNSPECIFIED: "Unspecified", Vote.YES: "Yes", Vote.NO: "No"}


def _neuron_votes(votes: NeuronVotes) -> list[Any]:
    return [
        {
            "Ok": {
                "votes": [
                    {"proposal_id": {"id": proposal_id}, "vote": {_VOTE_NAMES[vote]: None}}
                    for proposal_id, vote in votes.votes
                ],
                "all_finalized_before_proposal": {"id": votes.all_finalized_before_proposal},
            }
        }
    ]


def _candid_metrics(value: GovernanceCachedMetrics | NeuronSubsetMetrics) -> dict[str, Any]:
    """Field by field: bucket maps become sorted `vec record { bucket; amount }`."""
    record: dict[str, Any] = {}
    for item in dataclasses.fields(value):
        entry = getattr(value, item.name)
        if isinstance(entry, dict):
            entry = sorted(entry.items())
        elif isinstance(entry, NeuronSubsetMetrics):
            entry = _candid_metrics(entry)
        record[item.name] = entry
    return record


def _outcome(value: dict[str, Any] | None) -> str | None:
    return None if value is None else next(iter(value))
