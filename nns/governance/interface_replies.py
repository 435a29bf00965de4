"""Governance's replies in Candid: the records of the core (neurons, neuron and proposal
infos, proposal actions, economics, metrics, votes, Neurons' Fund audits) as the values of the
official `governance.did` types, and ManageNeuron outcomes as `ManageNeuronResponse`.

`nns.governance.interface_requests` is the other direction (Candid arguments into typed
requests); `nns.governance.interface` pairs both per method.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any, Final

from nns.governance.canister import Governance
from nns.governance.enums import Vote
from nns.governance.errors import GovernanceError
from nns.governance.interface_actions import (
    candid_provider,
    candid_reward,
    encode_action,
    known_neuron_data,
)
from nns.governance.metrics import GovernanceCachedMetrics, NeuronSubsetMetrics
from nns.governance.neuron import KnownNeuronData, Neuron
from nns.governance.nns_functions import IcpXdrConversionRatePayload
from nns.governance.node_provider_rewards import MonthlyNodeProviderRewards
from nns.governance.parameters import NetworkEconomics
from nns.governance.proposals import ProposalInfo
from nns.governance.requests import (
    ClaimOrRefreshResponse,
    DisburseMaturityResponse,
    DisburseResponse,
    EmptyResponse,
    ExecuteNnsFunction,
    InstallCode,
    MakeProposalResponse,
    MergeResponse,
    Motion,
    NeuronInfo,
    SpawnResponse,
    StakeMaturityResponse,
)
from nns.governance.simulation import SimulatedMergeResponse
from nns.governance.sns_launch import SnsLaunchRecord
from nns.governance.votes import NeuronVotes
from replica.candid import encode


def error_record(error: GovernanceError) -> dict[str, Any]:
    return {"error_message": error.error_message, "error_type": int(error.error_type)}


def manage_neuron_reply(reply: Any) -> list[Any]:
    match reply:
        case GovernanceError():
            command: dict[str, Any] = {"Error": error_record(reply)}
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


def neuron_info(info: NeuronInfo) -> dict[str, Any]:
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


def candid_action(action: Any) -> Any:
    encoded = encode_action(action, network_economics)
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


def proposal_info(info: ProposalInfo) -> dict[str, Any]:
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
            "action": candid_action(proposal.action),
        },
        "proposer": {"id": info.proposer},
        "executed_timestamp_seconds": info.executed_timestamp_seconds,
    }


def _known_neuron_data(known: KnownNeuronData) -> dict[str, Any]:
    return known_neuron_data(known.name, known.description, known.links, known.committed_topics)


def full_neuron(governance: Governance, neuron: Neuron) -> dict[str, Any]:
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


def network_economics(economics: NetworkEconomics) -> dict[str, Any]:
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


def audit_info(launch: SnsLaunchRecord) -> dict[str, Any]:
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


def simulated_reply(governance: Governance, reply: Any) -> list[Any]:
    if isinstance(reply, SimulatedMergeResponse):
        return [
            {
                "command": {
                    "Merge": {
                        "target_neuron": full_neuron(governance, reply.target_neuron),
                        "source_neuron": full_neuron(governance, reply.source_neuron),
                        "target_neuron_info": neuron_info(reply.target_neuron_info),
                        "source_neuron_info": neuron_info(reply.source_neuron_info),
                    }
                }
            }
        ]
    return manage_neuron_reply(reply)


_VOTE_NAMES: Final = {Vote.UNSPECIFIED: "Unspecified", Vote.YES: "Yes", Vote.NO: "No"}


def neuron_votes(votes: NeuronVotes) -> list[Any]:
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


def candid_metrics(value: GovernanceCachedMetrics | NeuronSubsetMetrics) -> dict[str, Any]:
    """Field by field: bucket maps become sorted `vec record { bucket; amount }`."""
    record: dict[str, Any] = {}
    for item in dataclasses.fields(value):
        entry = getattr(value, item.name)
        if isinstance(entry, dict):
            entry = sorted(entry.items())
        elif isinstance(entry, NeuronSubsetMetrics):
            entry = candid_metrics(entry)
        record[item.name] = entry
    return record


def monthly_rewards(month: MonthlyNodeProviderRewards) -> dict[str, Any]:
    """MonthlyNodeProviderRewards of the registry-derived rewards: no dates, no algorithm
    version (those belong to the IC's later node rewards canister)."""
    rate = month.xdr_conversion_rate
    return {
        "minimum_xdr_permyriad_per_icp": month.minimum_xdr_permyriad_per_icp,
        "registry_version": month.registry_version,
        "algorithm_version": None,
        "node_providers": [candid_provider(p) for p in month.node_providers],
        "timestamp": month.timestamp,
        "start_date": None,
        "end_date": None,
        "rewards": [candid_reward(reward) for reward in month.rewards],
        "xdr_conversion_rate": {
            "xdr_permyriad_per_icp": rate.xdr_permyriad_per_icp,
            "timestamp_seconds": rate.timestamp_seconds,
        },
        "maximum_node_provider_rewards_e8s": month.maximum_node_provider_rewards_e8s,
    }
