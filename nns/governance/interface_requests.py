"""Governance's Candid arguments into typed requests: ManageNeuron commands, configure
operations and proposal actions (`decode_request` is the argument of manage_neuron and
simulate_manage_neuron)."""

from __future__ import annotations

from typing import Any

from nns.governance.errors import GovernanceError
from nns.governance.interface_actions import (
    decode_action,
)
from nns.governance.nns_functions import IcpXdrConversionRatePayload, NnsFunction
from nns.governance.requests import (
    AddHotKey,
    ChangeAutoStakeMaturity,
    ClaimByMemo,
    ClaimByMemoAndController,
    ClaimByNeuronIdOrSubaccount,
    ClaimOrRefresh,
    Configure,
    Disburse,
    DisburseMaturity,
    DisburseToNeuron,
    ExecuteNnsFunction,
    Follow,
    FolloweesForTopic,
    IncreaseDissolveDelay,
    InstallCode,
    JoinCommunityFund,
    LeaveCommunityFund,
    MakeProposal,
    ManageNeuronProposal,
    ManageNeuronRequest,
    Merge,
    MergeMaturity,
    Motion,
    NeuronIdOrSubaccount,
    Proposal,
    RefreshVotingPower,
    RegisterVote,
    RemoveHotKey,
    SetDissolveTimestamp,
    SetFollowing,
    SetVisibility,
    Spawn,
    Split,
    StakeMaturity,
    StartDissolving,
    StopDissolving,
)
from nns.ledger.accounts import Account, AccountIdentifier
from registry.interface import decode_payload
from registry.requests import PAYLOAD_TYPES as REGISTRY_PAYLOAD_TYPES
from replica.candid import CandidError, decode


def decode_id(value: dict[str, int] | None) -> int | None:
    return None if value is None else value["id"]


def _operation(value: dict[str, Any] | None) -> Any:
    if value is None:
        return None
    ((tag, fields),) = value.items()
    match tag:
        case "IncreaseDissolveDelay":
            return IncreaseDissolveDelay(
                additional_dissolve_delay_seconds=fields["additional_dissolve_delay_seconds"]
            )
        case "SetDissolveTimestamp":
            return SetDissolveTimestamp(
                dissolve_timestamp_seconds=fields["dissolve_timestamp_seconds"]
            )
        case "StartDissolving":
            return StartDissolving()
        case "StopDissolving":
            return StopDissolving()
        case "AddHotKey":
            if fields["new_hot_key"] is None:
                raise GovernanceError(
                    _invalid(),
                    "Operation AddHotKey requires the hot key to add to be specified in the input",
                )
            return AddHotKey(new_hot_key=fields["new_hot_key"])
        case "RemoveHotKey":
            if fields["hot_key_to_remove"] is None:
                raise GovernanceError(
                    _invalid(),
                    "Operation RemoveHotKey requires the hot key to remove to be specified in the input",
                )
            return RemoveHotKey(hot_key_to_remove=fields["hot_key_to_remove"])
        case "JoinCommunityFund":
            return JoinCommunityFund()
        case "LeaveCommunityFund":
            return LeaveCommunityFund()
        case "ChangeAutoStakeMaturity":
            return ChangeAutoStakeMaturity(
                requested_setting_for_auto_stake_maturity=fields[
                    "requested_setting_for_auto_stake_maturity"
                ]
            )
        case "SetVisibility":
            return SetVisibility(visibility=fields["visibility"])
    raise GovernanceError(_invalid(), f"unknown operation {tag}")


def _invalid() -> Any:
    from nns.governance.enums import ErrorType

    return ErrorType.INVALID_COMMAND


def _action(value: dict[str, Any] | None) -> Any:
    if value is None:
        return None
    ((tag, fields),) = value.items()
    decoded = decode_action(tag, fields, _manage_neuron_action)
    if decoded is not None:
        return decoded
    if tag == "Motion":
        return Motion(motion_text=fields["motion_text"])
    if tag == "InstallCode":
        if fields["canister_id"] is None or fields["wasm_module"] is None:
            from nns.governance.errors import invalid_proposal

            raise invalid_proposal("InstallCode needs canister_id and wasm_module.")
        return InstallCode(
            canister_id=fields["canister_id"],
            wasm_module=fields["wasm_module"],
            arg=fields["arg"] or b"",
            install_mode=fields["install_mode"] or 0,
            skip_stopping_before_installing=bool(fields["skip_stopping_before_installing"]),
        )
    function = fields["nns_function"]
    if function == NnsFunction.ICP_XDR_CONVERSION_RATE:
        return ExecuteNnsFunction(
            nns_function=function, payload=decode_rate_payload(fields["payload"])
        )
    if function not in REGISTRY_PAYLOAD_TYPES:
        return ExecuteNnsFunction(nns_function=function, payload=fields["payload"])
    try:
        payload = decode_payload(function, fields["payload"])
    except (CandidError, TypeError, ValueError) as error:
        from nns.governance.errors import invalid_proposal

        raise invalid_proposal(
            f"The payload of NNS function {function} does not decode: {error}"
        ) from error
    return ExecuteNnsFunction(nns_function=function, payload=payload)


def _manage_neuron_action(fields: Any) -> ManageNeuronProposal:
    """A ManageNeuron action names its neuron by id and carries a command."""
    request = decode_request([fields])
    from nns.governance.errors import invalid_proposal

    if (
        request.neuron_id_or_subaccount is not None
        and request.neuron_id_or_subaccount.neuron_id is not None
    ):
        neuron_id = request.neuron_id_or_subaccount.neuron_id
    elif request.neuron_id_or_subaccount is None and request.id is not None:
        neuron_id = request.id
    else:
        raise invalid_proposal("A ManageNeuron proposal must name the managed neuron by its id.")
    if request.command is None:
        raise invalid_proposal("A ManageNeuron proposal must have a command.")
    return ManageNeuronProposal(neuron_id=neuron_id, command=request.command)


def _command(value: dict[str, Any] | None) -> Any:
    if value is None:
        return None
    ((tag, fields),) = value.items()
    match tag:
        case "Configure":
            return Configure(operation=_operation(fields["operation"]))
        case "Follow":
            return Follow(
                topic=fields["topic"], followees=tuple(f["id"] for f in fields["followees"])
            )
        case "RegisterVote":
            return RegisterVote(proposal=decode_id(fields["proposal"]), vote=fields["vote"])
        case "ClaimOrRefresh":
            by = fields["by"]
            if by is None:
                return ClaimOrRefresh(by=None)
            ((kind, inner),) = by.items()
            if kind == "Memo":
                return ClaimOrRefresh(by=ClaimByMemo(memo=inner))
            if kind == "MemoAndController":
                return ClaimOrRefresh(
                    by=ClaimByMemoAndController(memo=inner["memo"], controller=inner["controller"])
                )
            return ClaimOrRefresh(by=ClaimByNeuronIdOrSubaccount())
        case "MakeProposal":
            return MakeProposal(
                proposal=Proposal(
                    title=fields["title"],
                    summary=fields["summary"],
                    url=fields["url"],
                    action=_action(fields["action"]),
                )
            )
        case "Split":
            return Split(amount_e8s=fields["amount_e8s"], memo=fields["memo"])
        case "Spawn":
            return Spawn(
                percentage_to_spawn=fields["percentage_to_spawn"],
                new_controller=fields["new_controller"],
                nonce=fields["nonce"],
            )
        case "Merge":
            return Merge(source_neuron_id=decode_id(fields["source_neuron_id"]))
        case "StakeMaturity":
            return StakeMaturity(percentage_to_stake=fields["percentage_to_stake"])
        case "Disburse":
            to = fields["to_account"]
            amount = fields["amount"]
            return Disburse(
                to_account=None if to is None else AccountIdentifier.from_bytes(to["hash"]),
                amount_e8s=None if amount is None else amount["e8s"],
            )
        case "RefreshVotingPower":
            return RefreshVotingPower()
        case "DisburseMaturity":
            to = fields["to_account_identifier"]
            return DisburseMaturity(
                percentage_to_disburse=fields["percentage_to_disburse"],
                to_account=_icrc_account(fields["to_account"]),
                to_account_identifier=None
                if to is None
                else AccountIdentifier.from_bytes(to["hash"]),
            )
        case "DisburseToNeuron":
            return DisburseToNeuron(
                new_controller=fields["new_controller"],
                amount_e8s=fields["amount_e8s"],
                dissolve_delay_seconds=fields["dissolve_delay_seconds"],
                kyc_verified=fields["kyc_verified"],
                nonce=fields["nonce"],
            )
        case "SetFollowing":
            following = fields["topic_following"]
            return SetFollowing(
                topic_following=None
                if following is None
                else tuple(
                    FolloweesForTopic(
                        topic=entry["topic"],
                        followees=None
                        if entry["followees"] is None
                        else tuple(f["id"] for f in entry["followees"]),
                    )
                    for entry in following
                )
            )
        case "MergeMaturity":
            return MergeMaturity(percentage_to_merge=fields["percentage_to_merge"])
    raise GovernanceError(_invalid(), f"unknown command {tag}")


def _icrc_account(value: dict[str, Any] | None) -> Account | None:
    """An ICRC-1 account of DisburseMaturity; it must name its owner."""
    if value is None:
        return None
    if value["owner"] is None:
        raise GovernanceError(_invalid(), "The account to disburse maturity to must have an owner.")
    try:
        return Account.of(value["owner"], value["subaccount"])
    except ValueError as error:
        raise GovernanceError(
            _invalid(), f"Invalid account to disburse maturity to: {error}"
        ) from error


def decode_request(values: list[Any]) -> ManageNeuronRequest:
    value = values[0]
    which = value["neuron_id_or_subaccount"]
    target = None
    if which is not None:
        ((kind, inner),) = which.items()
        target = (
            NeuronIdOrSubaccount(neuron_id=inner["id"])
            if kind == "NeuronId"
            else NeuronIdOrSubaccount(subaccount=inner)
        )
    return ManageNeuronRequest(
        command=_command(value["command"]),
        neuron_id_or_subaccount=target,
        id=decode_id(value["id"]),
    )


def decode_rate_payload(data: bytes) -> IcpXdrConversionRatePayload:
    """NNS function 10's payload, refused as the IC refused it (governance.rs, before the
    exchange rate canister: 'could not be decoded into a UpdateIcpXdrConversionRatePayload')."""
    from nns.cycles_minting.interface import arguments
    from nns.governance.errors import invalid_proposal

    try:
        (value,) = decode(data, arguments("set_icp_xdr_conversion_rate"))
    except (CandidError, TypeError, ValueError) as error:
        raise invalid_proposal(
            f"The payload could not be decoded into a UpdateIcpXdrConversionRatePayload: {error}"
        ) from error
    reason = value["reason"]
    return IcpXdrConversionRatePayload(
        data_source=value["data_source"],
        timestamp_seconds=value["timestamp_seconds"],
        xdr_permyriad_per_icp=value["xdr_permyriad_per_icp"],
        reason=None if reason is None else next(iter(reason)),
    )
