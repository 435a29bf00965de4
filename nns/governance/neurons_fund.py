"""The Neurons' Fund methods, for a network where the fund never participates.

On mainnet an adopted CreateServiceNervousSystem proposal reserves maturity of
Neurons' Fund neurons for the new SNS's swap, which later settles the
participation (`settle_neurons_fund_participation`; the legacy
`settle_community_fund_participation` for OpenSnsTokenSwap proposals), and
`get_neurons_fund_audit_info` shows what was reserved and refunded. icbox has
no SNS proposals and no swaps: no proposal has Neurons' Fund data, and no
caller is the swap canister of an SNS a proposal created. The methods answer
with the refusals the NNS gives in those cases, after checking the request as
it does; a refusal changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NoReturn

from nns.governance.errors import invalid_command, not_authorized, not_found
from nns.governance.proposals import ProposalRecord
from replica.types import Principal


@dataclass(frozen=True, slots=True, kw_only=True)
class NeuronsFundAuditInfoRequest:
    nns_proposal_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleNeuronsFundParticipation:
    """The swap's outcome: `Committed` or `Aborted` (None if the request gives neither)."""

    nns_proposal_id: int | None
    result: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleCommunityFundParticipation:
    open_sns_token_swap_proposal_id: int | None
    result: str | None


def _proposal(proposals: Mapping[int, ProposalRecord], proposal_id: int) -> ProposalRecord:
    record = proposals.get(proposal_id)
    if record is None:
        raise not_found(f"Cannot find proposal {proposal_id}.")
    return record


def refuse_neurons_fund_audit_info(
    proposals: Mapping[int, ProposalRecord], request: NeuronsFundAuditInfoRequest
) -> NoReturn:
    if request.nns_proposal_id is None:
        raise invalid_command("nns_proposal_id is not specified.")
    record = _proposal(proposals, request.nns_proposal_id)
    raise not_found(f"Proposal {record.id} does not have Neurons' Fund data.")


def refuse_neurons_fund_settlement(
    proposals: Mapping[int, ProposalRecord],
    caller: Principal,
    request: SettleNeuronsFundParticipation,
) -> NoReturn:
    if request.nns_proposal_id is None:
        raise invalid_command("nns_proposal_id is not specified.")
    if request.result is None:
        raise invalid_command("result is not specified (Committed or Aborted).")
    record = _proposal(proposals, request.nns_proposal_id)
    raise not_authorized(
        f"Caller {caller} is not the swap canister of an SNS created by proposal {record.id}; "
        "only that swap may settle its Neurons' Fund participation."
    )


def refuse_community_fund_settlement(
    proposals: Mapping[int, ProposalRecord],
    caller: Principal,
    request: SettleCommunityFundParticipation,
) -> NoReturn:
    if request.open_sns_token_swap_proposal_id is None:
        raise invalid_command("open_sns_token_swap_proposal_id is not specified.")
    if request.result is None:
        raise invalid_command("result is not specified (Committed or Aborted).")
    record = _proposal(proposals, request.open_sns_token_swap_proposal_id)
    raise not_authorized(
        f"Caller {caller} is not the target swap canister of an OpenSnsTokenSwap proposal "
        f"{record.id}."
    )
