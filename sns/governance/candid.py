"""Candid values of the SNS governance interface to the core's records, and back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any, Final

from replica.types import Principal
from sns.governance.actions import (
    AddGenericNervousSystemFunction,
    DeregisterDappCanisters,
    ExecuteGenericNervousSystemFunction,
    GenericFunction,
    ManageNervousSystemParameters,
    ManageSnsMetadata,
    MintSnsTokens,
    Motion,
    ProposalAction,
    RegisterDappCanisters,
    RemoveGenericNervousSystemFunction,
    SetTopicsForCustomProposals,
    TransferSnsTreasuryFunds,
    UpgradeSnsControlledCanister,
)
from sns.governance.core import ProposalData
from sns.governance.errors import ErrorType, SnsGovernanceError
from sns.governance.neuron import Followee, Neuron
from sns.governance.parameters import (
    NervousSystemParameters,
    Permission,
    VotingRewardsParameters,
)
from sns.governance.proposals import Topic

TOPIC_NAMES: Final = {
    Topic.DAO_COMMUNITY_SETTINGS: "DaoCommunitySettings",
    Topic.SNS_FRAMEWORK_MANAGEMENT: "SnsFrameworkManagement",
    Topic.DAPP_CANISTER_MANAGEMENT: "DappCanisterManagement",
    Topic.APPLICATION_BUSINESS_LOGIC: "ApplicationBusinessLogic",
    Topic.GOVERNANCE: "Governance",
    Topic.TREASURY_ASSET_MANAGEMENT: "TreasuryAssetManagement",
    Topic.CRITICAL_DAPP_OPERATIONS: "CriticalDappOperations",
}
TOPICS_BY_NAME: Final = {name: topic for topic, name in TOPIC_NAMES.items()}
_INSTALL_MODES: Final = {1: "install", 2: "reinstall", 3: "upgrade"}


def invalid(message: str) -> SnsGovernanceError:
    return SnsGovernanceError(ErrorType.INVALID_COMMAND, message)


def variant(value: Mapping[str, Any]) -> tuple[str, Any]:
    ((tag, inner),) = value.items()
    return tag, inner


def topic_value(value: Mapping[str, Any] | None) -> Topic | None:
    return None if value is None else TOPICS_BY_NAME[variant(value)[0]]


def topic_candid(topic: Topic | None) -> dict[str, None] | None:
    return None if topic is None else {TOPIC_NAMES[topic]: None}


def neuron_id_value(value: Mapping[str, Any] | None) -> bytes:
    if value is None or len(value["id"]) != 32:
        raise invalid("A neuron id of 32 bytes is required.")
    return bytes(value["id"])


def permissions_value(value: Mapping[str, Any] | None) -> list[Permission]:
    if value is None:
        raise invalid("Permissions are required.")
    try:
        return [Permission(p) for p in value["permissions"]]
    except ValueError:
        raise invalid("Unknown permission type.") from None


def subaccount_value(value: Mapping[str, Any] | None) -> bytes | None:
    return None if value is None else bytes(value["subaccount"])


def account_value(
    value: Mapping[str, Any] | None, caller: Principal
) -> tuple[Principal, bytes | None]:
    if value is None:
        return caller, None
    return value["owner"] or caller, subaccount_value(value["subaccount"])


def parameter_changes(value: Mapping[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name, item in value.items():
        if item is None or name == "default_followees":
            continue
        if name in ("neuron_claimer_permissions", "neuron_grantable_permissions"):
            changes[name] = tuple(permissions_value(item))
        elif name == "voting_rewards_parameters":
            defaults = VotingRewardsParameters()
            changes[name] = VotingRewardsParameters(
                **{
                    f.name: getattr(defaults, f.name) if item[f.name] is None else item[f.name]
                    for f in fields(VotingRewardsParameters)
                }
            )
        else:
            changes[name] = item
    return changes


def parameters_candid(p: NervousSystemParameters) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for f in fields(p):
        item = getattr(p, f.name)
        if f.name in ("neuron_claimer_permissions", "neuron_grantable_permissions"):
            value[f.name] = {"permissions": [int(x) for x in item]}
        elif f.name == "voting_rewards_parameters":
            value[f.name] = {g.name: getattr(item, g.name) for g in fields(item)}
        elif f.name == "default_followees":
            value[f.name] = {"followees": []}
        else:
            value[f.name] = item
    return value


def function_value(value: Mapping[str, Any]) -> GenericFunction:
    kind = value["function_type"]
    if kind is None or variant(kind)[0] != "GenericNervousSystemFunction":
        raise invalid("Only generic nervous system functions can be added.")
    generic = variant(kind)[1]
    target, validator = generic["target_canister_id"], generic["validator_canister_id"]
    if target is None or validator is None:
        raise invalid("A generic function needs a target and a validator canister.")
    return GenericFunction(
        id=value["id"],
        name=value["name"],
        description=value["description"],
        target_canister_id=target,
        target_method_name=generic["target_method_name"] or "",
        validator_canister_id=validator,
        validator_method_name=generic["validator_method_name"] or "",
        topic=topic_value(generic["topic"]),
    )


def function_candid(function: GenericFunction) -> dict[str, Any]:
    return {
        "id": function.id,
        "name": function.name,
        "description": function.description,
        "function_type": {
            "GenericNervousSystemFunction": {
                "target_canister_id": function.target_canister_id,
                "target_method_name": function.target_method_name,
                "validator_canister_id": function.validator_canister_id,
                "validator_method_name": function.validator_method_name,
                "topic": topic_candid(function.topic),
            }
        },
    }


def action_value(value: Mapping[str, Any] | None) -> ProposalAction:
    if value is None:
        raise invalid("A proposal needs an action.")
    tag, inner = variant(value)
    match tag:
        case "Motion":
            return Motion(motion_text=inner["motion_text"])
        case "ManageNervousSystemParameters":
            return ManageNervousSystemParameters(changes=parameter_changes(inner))
        case "UpgradeSnsControlledCanister":
            if inner["canister_id"] is None:
                raise invalid("UpgradeSnsControlledCanister needs a canister id.")
            return UpgradeSnsControlledCanister(
                canister_id=inner["canister_id"],
                new_canister_wasm=bytes(inner["new_canister_wasm"]),
                canister_upgrade_arg=inner["canister_upgrade_arg"],
                mode=_INSTALL_MODES.get(inner["mode"] or 3, "upgrade"),
            )
        case "AddGenericNervousSystemFunction":
            return AddGenericNervousSystemFunction(function=function_value(inner))
        case "RemoveGenericNervousSystemFunction":
            return RemoveGenericNervousSystemFunction(function_id=inner)
        case "ExecuteGenericNervousSystemFunction":
            return ExecuteGenericNervousSystemFunction(
                function_id=inner["function_id"], payload=bytes(inner["payload"])
            )
        case "TransferSnsTreasuryFunds":
            if inner["to_principal"] is None:
                raise invalid("TransferSnsTreasuryFunds needs to_principal.")
            return TransferSnsTreasuryFunds(
                from_treasury=inner["from_treasury"],
                amount_e8s=inner["amount_e8s"],
                to_principal=inner["to_principal"],
                to_subaccount=subaccount_value(inner["to_subaccount"]),
                memo=inner["memo"],
            )
        case "MintSnsTokens":
            if inner["to_principal"] is None or inner["amount_e8s"] is None:
                raise invalid("MintSnsTokens needs to_principal and amount_e8s.")
            return MintSnsTokens(
                amount_e8s=inner["amount_e8s"],
                to_principal=inner["to_principal"],
                to_subaccount=subaccount_value(inner["to_subaccount"]),
                memo=inner["memo"],
            )
        case "RegisterDappCanisters":
            return RegisterDappCanisters(canister_ids=tuple(inner["canister_ids"]))
        case "DeregisterDappCanisters":
            return DeregisterDappCanisters(
                canister_ids=tuple(inner["canister_ids"]),
                new_controllers=tuple(inner["new_controllers"]),
            )
        case "ManageSnsMetadata":
            return ManageSnsMetadata(**inner)
        case "SetTopicsForCustomProposals":
            return SetTopicsForCustomProposals(
                topics=tuple(
                    (entry["0"], TOPICS_BY_NAME[variant(entry["1"])[0]])
                    for entry in inner["custom_function_id_to_topic"]
                )
            )
    raise SnsGovernanceError(
        ErrorType.INVALID_PROPOSAL, f"Proposal action {tag} is not supported by icbox."
    )


def action_candid(action: ProposalAction) -> dict[str, Any]:
    match action:
        case Motion():
            return {"Motion": {"motion_text": action.motion_text}}
        case UpgradeSnsControlledCanister():
            return {
                "UpgradeSnsControlledCanister": {
                    "new_canister_wasm": action.new_canister_wasm,
                    "mode": {v: k for k, v in _INSTALL_MODES.items()}[action.mode],
                    "canister_id": action.canister_id,
                    "canister_upgrade_arg": action.canister_upgrade_arg,
                }
            }
        case ExecuteGenericNervousSystemFunction():
            return {
                "ExecuteGenericNervousSystemFunction": {
                    "function_id": action.function_id,
                    "payload": action.payload,
                }
            }
        case AddGenericNervousSystemFunction():
            return {"AddGenericNervousSystemFunction": function_candid(action.function)}
        case RemoveGenericNervousSystemFunction():
            return {"RemoveGenericNervousSystemFunction": action.function_id}
        case RegisterDappCanisters():
            return {"RegisterDappCanisters": {"canister_ids": list(action.canister_ids)}}
        case TransferSnsTreasuryFunds():
            return {
                "TransferSnsTreasuryFunds": {
                    "from_treasury": action.from_treasury,
                    "to_principal": action.to_principal,
                    "to_subaccount": None
                    if action.to_subaccount is None
                    else {"subaccount": action.to_subaccount},
                    "memo": action.memo,
                    "amount_e8s": action.amount_e8s,
                }
            }
        case MintSnsTokens():
            return {
                "MintSnsTokens": {
                    "to_principal": action.to_principal,
                    "to_subaccount": None
                    if action.to_subaccount is None
                    else {"subaccount": action.to_subaccount},
                    "memo": action.memo,
                    "amount_e8s": action.amount_e8s,
                }
            }
    # the other actions are shown by their kind only
    return {"Unspecified": {}}


def neuron_candid(neuron: Neuron) -> dict[str, Any]:
    if neuron.dissolve_delay_seconds is not None:
        dissolve: dict[str, int] = {"DissolveDelaySeconds": neuron.dissolve_delay_seconds}
    else:
        dissolve = {"WhenDissolvedTimestampSeconds": neuron.when_dissolved_timestamp_seconds or 0}
    return {
        "id": {"id": neuron.id},
        "staked_maturity_e8s_equivalent": neuron.staked_maturity_e8s_equivalent,
        "permissions": [
            {"principal": who, "permission_type": sorted(int(p) for p in held)}
            for who, held in sorted(neuron.permissions.items())
        ],
        "maturity_e8s_equivalent": neuron.maturity_e8s_equivalent,
        "cached_neuron_stake_e8s": neuron.cached_neuron_stake_e8s,
        "created_timestamp_seconds": neuron.created_timestamp_seconds,
        "source_nns_neuron_id": neuron.source_nns_neuron_id,
        "auto_stake_maturity": True if neuron.auto_stake_maturity else None,
        "aging_since_timestamp_seconds": neuron.aging_since_timestamp_seconds,
        "dissolve_state": dissolve,
        "voting_power_percentage_multiplier": 100,
        "vesting_period_seconds": neuron.vesting_period_seconds,
        "disburse_maturity_in_progress": [
            {
                "timestamp_of_disbursement_seconds": due - 7 * 86_400,
                "amount_e8s": amount,
                "account_to_disburse_to": {
                    "owner": owner,
                    "subaccount": None if sub is None else {"subaccount": sub},
                },
                "finalize_disbursement_timestamp_seconds": due,
            }
            for due, amount, owner, sub in neuron.disbursements
        ],
        "followees": [
            {"0": function_id, "1": {"followees": [{"id": f} for f in ids]}}
            for function_id, ids in sorted(neuron.function_followees.items())
        ],
        "neuron_fees_e8s": neuron.neuron_fees_e8s,
        "topic_followees": {
            "topic_id_to_followees": [
                {
                    "0": topic,
                    "1": {
                        "topic": topic_candid(Topic(topic)),
                        "followees": [
                            {"neuron_id": {"id": f.neuron_id}, "alias": f.alias} for f in followees
                        ],
                    },
                }
                for topic, followees in sorted(neuron.topic_followees.items())
            ]
        },
    }


def followees_value(value: list[Mapping[str, Any]]) -> list[tuple[int, tuple[Followee, ...]]]:
    result = []
    for entry in value:
        topic = topic_value(entry["topic"])
        result.append(
            (
                0 if topic is None else int(topic),
                tuple(
                    Followee(neuron_id_value(f["neuron_id"]), f["alias"])
                    for f in entry["followees"]
                ),
            )
        )
    return result


def proposal_candid(proposal: ProposalData, *, with_ballots: bool = True) -> dict[str, Any]:
    rules = proposal.rules
    return {
        "id": {"id": proposal.id},
        "payload_text_rendering": proposal.payload_text_rendering,
        "action": proposal.function_id,
        "failure_reason": None
        if proposal.failure_reason is None
        else {"error_message": proposal.failure_reason, "error_type": int(ErrorType.EXTERNAL)},
        "ballots": [
            {
                "0": neuron_id.hex(),
                "1": {"vote": vote, "cast_timestamp_seconds": 0, "voting_power": power},
            }
            for neuron_id, (vote, power) in sorted(proposal.ballots.items())
        ]
        if with_ballots
        else [],
        "minimum_yes_proportion_of_total": {
            "basis_points": rules.minimum_yes_proportion_of_total_bp
        },
        "reward_event_round": proposal.reward_event_round,
        "failed_timestamp_seconds": proposal.failed_seconds,
        "proposal_creation_timestamp_seconds": proposal.created_seconds,
        "initial_voting_period_seconds": rules.initial_voting_period_seconds,
        "reject_cost_e8s": proposal.reject_cost_e8s,
        "latest_tally": {
            "yes": proposal.tally.yes,
            "no": proposal.tally.no,
            "total": proposal.tally.total,
            "timestamp_seconds": proposal.created_seconds,
        },
        "wait_for_quiet_deadline_increase_seconds": rules.wait_for_quiet_deadline_increase_seconds,
        "decided_timestamp_seconds": proposal.decided_seconds,
        "proposal": {
            "url": proposal.url,
            "title": proposal.title,
            "summary": proposal.summary,
            "action": action_candid(proposal.action),
        },
        "proposer": {"id": proposal.proposer},
        "wait_for_quiet_state": {"current_deadline_timestamp_seconds": proposal.deadline_seconds},
        "minimum_yes_proportion_of_exercised": {
            "basis_points": rules.minimum_yes_proportion_of_exercised_bp
        },
        "is_eligible_for_rewards": True,
        "executed_timestamp_seconds": proposal.executed_seconds,
        "topic": topic_candid(proposal.topic),
    }
