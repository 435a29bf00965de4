"""The requests of the Neurons' Fund methods.

An adopted CreateServiceNervousSystem proposal reserves maturity of Neurons'
Fund neurons for the new SNS's swap, which later settles the participation
(`settle_neurons_fund_participation`, carried out by `nns.governance.sns_launch`),
and `get_neurons_fund_audit_info` shows what was reserved and refunded. The
legacy `settle_community_fund_participation` (OpenSnsTokenSwap proposals, which
icbox does not have) answers the refusal the NNS gives when no such proposal
exists; a refusal changes nothing.
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
    total_direct_participation_icp_e8s: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleCommunityFundParticipation:
    open_sns_token_swap_proposal_id: int | None
    result: str | None


def _proposal(proposals: Mapping[int, ProposalRecord], proposal_id: int) -> ProposalRecord:
    record = proposals.get(proposal_id)
    if record is None:
        raise not_found(f"Cannot find proposal {proposal_id}.")
    return record


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
        f"Caller {caller} is not the target swap canister of an OpenSnsTokenSwap proposal {record.id}."
    )
