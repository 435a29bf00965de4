"""CreateServiceNervousSystem and the Neurons' Fund: the NNS side of an SNS launch.

At submission the proposal's SNS init payload passes the pre-execution checks
(spec sns.md §2.3). At execution NNS governance picks the swap's start and due
times (§2.4), reserves the Neurons' Fund's largest possible participation from
its neurons' maturity (in proportion to maturity, §3.6), checks the payload
again with everything set (post-execution), and asks SNS-W to deploy. The
swap later settles: on commit NNS governance works out each fund neuron's
effective participation from the direct participation, mints that ICP to the
SNS governance's account, refunds the rest of the reserved maturity and
answers the portions; on abort it refunds all of it. `get_neurons_fund_audit_info`
shows the reserves, the final portions and the refunds. Sources: dfinity/ic
rs/nns/governance/src/proposals/create_service_nervous_system.rs and
rs/nns/governance/src/neurons_fund.rs (`settle_neurons_fund_participation`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from sqlmodel import Session

from nns.governance.contexts import ProposalContext
from nns.governance.core import GovernanceCore
from nns.governance.enums import Topic
from nns.governance.errors import invalid_command, invalid_proposal, not_authorized, not_found
from nns.governance.state import Setting
from nns.ledger.accounts import AccountIdentifier
from replica.environment import OutgoingCall, Reject
from replica.types import Principal
from sns.init import (
    SnsInitError,
    from_proposal,
    random_time_of_day,
    swap_start_and_due_timestamps,
    validate_post_execution,
    validate_pre_execution,
)
from sns.swap.neurons_fund import (
    FundNeuron,
    FundPortion,
    MatchingFunction,
    NeuronsFundConstraints,
    allocate,
)

SNS_WASM_CANISTER_ID: Final = Principal.from_canister_id(10)


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateServiceNervousSystem:
    """The proposal's Candid record, kept as given (converted by `sns.init.from_proposal`)."""

    record: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class FundReservation:
    neuron_id: int
    controller: Principal
    amount_e8s: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SnsLaunchRecord:
    """What NNS governance keeps of one launch: the SNS it deployed and the fund's part."""

    proposal_id: int
    swap_canister_id: Principal | None = None
    sns_governance_canister_id: Principal | None = None
    total_maturity_e8s: int = 0
    reservations: tuple[FundReservation, ...] = ()
    threshold_icp_e8s: int = 0
    max_neurons_fund_icp_e8s: int = 0
    matching: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)
    min_participant_icp_e8s: int = 0
    max_participant_icp_e8s: int = 0
    min_direct_icp_e8s: int = 0
    max_direct_icp_e8s: int = 0
    result: str | None = None
    direct_participation_icp_e8s: int | None = None
    portions: tuple[FundReservation, ...] = ()
    refunds: tuple[FundReservation, ...] = ()


SNS_LAUNCHES: Final = Setting[Mapping[int, SnsLaunchRecord]]("sns_launches", {})


def _init_error(error: SnsInitError) -> Exception:
    return invalid_proposal(f"Invalid CreateServiceNervousSystem: {error}")


def sns_launches(core: GovernanceCore) -> Mapping[int, SnsLaunchRecord]:
    return core.state.get(SNS_LAUNCHES)


def _put_launch(core: GovernanceCore, session: Session, record: SnsLaunchRecord) -> None:
    core.state.put(session, SNS_LAUNCHES, {**sns_launches(core), record.proposal_id: record})


def validate_create_service_nervous_system(action: CreateServiceNervousSystem) -> Topic:
    try:
        validate_pre_execution(from_proposal(action.record))
    except SnsInitError as error:
        raise _init_error(error) from None
    except (KeyError, TypeError, ValueError) as error:
        raise invalid_proposal(f"Malformed CreateServiceNervousSystem: {error}") from None
    return Topic.SNS_AND_COMMUNITY_FUND


def execute_create_service_nervous_system(
    core: GovernanceCore, session: Session, proposal_id: int, action: CreateServiceNervousSystem
) -> None:
    payload = from_proposal(action.record)
    now = core.now_seconds()
    time_of_day = payload.start_time_of_day_seconds
    if time_of_day is None:
        time_of_day = random_time_of_day(core.environment.random_bytes(8))
    start, due = swap_start_and_due_timestamps(time_of_day, payload.duration_seconds or 0, now)
    launch = SnsLaunchRecord(
        proposal_id=proposal_id,
        min_participant_icp_e8s=payload.min_participant_icp_e8s or 0,
        max_participant_icp_e8s=payload.max_participant_icp_e8s or 0,
        min_direct_icp_e8s=payload.min_direct_participation_icp_e8s or 0,
        max_direct_icp_e8s=payload.max_direct_participation_icp_e8s or 0,
    )
    constraints = None
    fund = sorted(
        (
            n
            for n in core.state.neurons.values()
            if n.joined_community_fund_timestamp_seconds and n.maturity_e8s_equivalent > 0
        ),
        key=lambda n: n.id,
    )
    if payload.neurons_fund_participation and fund:
        economics = core.economics.neurons_fund_economics
        total = sum(n.maturity_e8s_equivalent for n in fund)
        matching = MatchingFunction.from_economics(
            contribution_threshold_xdr=economics.neurons_fund_matched_funding_curve_contribution_threshold_xdr,
            one_third_participation_milestone_xdr=economics.one_third_participation_milestone_xdr,
            full_participation_milestone_xdr=economics.full_participation_milestone_xdr,
            max_theoretical_participation_xdr=economics.max_theoretical_neurons_fund_participation_amount_xdr,
            icp_xdr_rate_basis_points=economics.minimum_icp_xdr_rate_basis_points,
            total_maturity_e8s=total,
        )
        maximum = min(matching.cap, launch.max_direct_icp_e8s)
        threshold = min(max(matching.t1, launch.min_direct_icp_e8s), launch.max_direct_icp_e8s)
        constraints = NeuronsFundConstraints(
            min_direct_participation_threshold_icp_e8s=threshold,
            max_neurons_fund_participation_icp_e8s=maximum,
            matching=matching,
        )
        reservations = tuple(
            FundReservation(
                neuron_id=n.id,
                controller=n.controller,
                amount_e8s=n.maturity_e8s_equivalent * maximum // total,
            )
            for n in fund
        )
        launch = replace(
            launch,
            total_maturity_e8s=total,
            reservations=reservations,
            threshold_icp_e8s=threshold,
            max_neurons_fund_icp_e8s=maximum,
            matching=(matching.t1, matching.t2, matching.t3, matching.t4, matching.cap),
        )
    executed = replace(
        payload,
        nns_proposal_id=proposal_id,
        swap_start_timestamp_seconds=start,
        swap_due_timestamp_seconds=due,
        neurons_fund_constraints=constraints,
    )
    try:
        validate_post_execution(executed)
    except SnsInitError as error:
        raise _init_error(error) from None
    for reservation in launch.reservations:
        neuron = core.state.neurons[reservation.neuron_id]
        core.state.put_neuron(
            session,
            replace(
                neuron,
                maturity_e8s_equivalent=neuron.maturity_e8s_equivalent - reservation.amount_e8s,
            ),
        )
    _put_launch(core, session, launch)
    core.environment.call(
        OutgoingCall(
            callee=SNS_WASM_CANISTER_ID,
            method="deploy_new_sns",
            argument={"sns_init_payload": executed},
            on_reply="_on_sns_deployed",
            on_reject="_on_sns_deploy_failed",
            context=ProposalContext(proposal_id=proposal_id),
        )
    )


def _refund(core: GovernanceCore, session: Session, refunds: tuple[FundReservation, ...]) -> None:
    for refund in refunds:
        neuron = core.state.neurons.get(refund.neuron_id)
        if neuron is not None and refund.amount_e8s:
            core.state.put_neuron(
                session,
                replace(
                    neuron,
                    maturity_e8s_equivalent=neuron.maturity_e8s_equivalent + refund.amount_e8s,
                ),
            )


def on_sns_deployed(
    core: GovernanceCore, context: ProposalContext, reply: Mapping[str, Any]
) -> None:
    with core.transaction() as session:
        launch = sns_launches(core)[context.proposal_id]
        if reply.get("error") is not None or reply.get("canisters") is None:
            _refund(core, session, launch.reservations)
            _put_launch(
                core, session, replace(launch, result="Aborted", refunds=launch.reservations)
            )
            message = (reply.get("error") or {}).get("message", "SNS-W deployed nothing")
            core.mark_executed(session, context.proposal_id, f"Deploying the SNS failed: {message}")
            return
        canisters = reply["canisters"]
        _put_launch(
            core,
            session,
            replace(
                launch,
                swap_canister_id=canisters["swap"],
                sns_governance_canister_id=canisters["governance"],
            ),
        )
        core.mark_executed(session, context.proposal_id, None)


def on_sns_deploy_failed(core: GovernanceCore, context: ProposalContext, answer: object) -> None:
    message = answer.message if isinstance(answer, Reject) else str(answer)
    on_sns_deployed(core, context, {"error": {"message": message}, "canisters": None})


# -- the Neurons' Fund --------------------------------------------------------------------


def launch_of(core: GovernanceCore, proposal_id: int | None) -> SnsLaunchRecord:
    if proposal_id is None:
        raise invalid_command("nns_proposal_id is not specified.")
    if proposal_id not in core.state.proposals:
        raise not_found(f"Cannot find proposal {proposal_id}.")
    launch = sns_launches(core).get(proposal_id)
    if launch is None:
        raise not_found(f"Proposal {proposal_id} does not have Neurons' Fund data.")
    return launch


def settle_launch(
    core: GovernanceCore,
    caller: Principal,
    proposal_id: int | None,
    result: str | None,
    direct_e8s: int | None,
) -> object:
    if proposal_id is None:
        raise invalid_command("nns_proposal_id is not specified.")
    if result not in ("Committed", "Aborted"):
        raise invalid_command("result is not specified (Committed or Aborted).")
    if proposal_id not in core.state.proposals:
        raise not_found(f"Cannot find proposal {proposal_id}.")
    launch = sns_launches(core).get(proposal_id) or SnsLaunchRecord(proposal_id=proposal_id)
    if caller != launch.swap_canister_id:
        raise not_authorized(
            f"Caller {caller} is not the swap canister of an SNS created by proposal "
            f"{launch.proposal_id}; only that swap may settle its Neurons' Fund participation."
        )
    if launch.result is not None:  # settling again answers the same portions
        return _portions(launch)
    with core.transaction() as session:
        if result == "Aborted":
            _refund(core, session, launch.reservations)
            _put_launch(core, session, replace(launch, result=result, refunds=launch.reservations))
            return []
        direct = direct_e8s or 0
        t1, t2, t3, t4, cap = launch.matching
        constraints = NeuronsFundConstraints(
            min_direct_participation_threshold_icp_e8s=launch.threshold_icp_e8s,
            max_neurons_fund_participation_icp_e8s=launch.max_neurons_fund_icp_e8s,
            matching=MatchingFunction(t1=t1, t2=t2, t3=t3, t4=t4, cap=cap),
        )
        portions = allocate(
            [
                FundNeuron(
                    nns_neuron_id=r.neuron_id,
                    controller=r.controller,
                    maturity_e8s=r.amount_e8s,
                )
                for r in launch.reservations
            ],
            constraints.effective_icp_e8s(direct),
            min_participant_icp_e8s=launch.min_participant_icp_e8s,
            max_participant_icp_e8s=launch.max_participant_icp_e8s,
        )
        given = {p.nns_neuron_id: p.amount_icp_e8s for p in portions}
        refunds = tuple(
            replace(r, amount_e8s=r.amount_e8s - given.get(r.neuron_id, 0))
            for r in launch.reservations
        )
        _refund(core, session, refunds)
        settled = replace(
            launch,
            result=result,
            direct_participation_icp_e8s=direct,
            portions=tuple(
                FundReservation(
                    neuron_id=p.nns_neuron_id,
                    controller=p.controller,
                    amount_e8s=p.amount_icp_e8s,
                )
                for p in portions
            ),
            refunds=refunds,
        )
        _put_launch(core, session, settled)
    total = sum(given.values())
    if total and launch.sns_governance_canister_id is not None:
        # the fund's ICP is minted to the SNS governance's account (its ICP treasury)
        core.call_ledger_transfer(
            from_subaccount=None,
            to=AccountIdentifier.of(launch.sns_governance_canister_id),
            amount_e8s=total,
            fee_e8s=0,
            memo=launch.proposal_id,
            on_reply="_on_fund_minted",
            on_reject="_on_fund_mint_failed",
            context=ProposalContext(proposal_id=launch.proposal_id),
        )
    return _portions(sns_launches(core)[launch.proposal_id])


def on_fund_minted(core: GovernanceCore, context: ProposalContext, reply: object) -> None:
    return None


def on_fund_mint_failed(core: GovernanceCore, context: ProposalContext, answer: object) -> None:
    return None


def _portions(launch: SnsLaunchRecord) -> list[FundPortion]:
    return [
        FundPortion(nns_neuron_id=p.neuron_id, controller=p.controller, amount_icp_e8s=p.amount_e8s)
        for p in launch.portions
    ]


def neurons_fund_audit(core: GovernanceCore, proposal_id: int | None) -> SnsLaunchRecord:
    return launch_of(core, proposal_id)
