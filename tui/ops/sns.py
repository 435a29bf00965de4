"""SNSs: which exist, one SNS's token, swap and DAO, and taking part in a swap.

An SNS is named on the command line by the id of any of its canisters, by its
number in `icbox sns list` (0 is the oldest), or by its token symbol. What
the dashboard shows of an SNS (its swap's progress, its proposals) is
`get_swap_progress` and `tui.ops.sns_governance.list_proposals`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from replica.types import Principal
from sns.clients import DeployedSns, SnsWasmCanister
from sns.clients.governance import SnsGovernanceCanister
from sns.clients.ledger import SnsLedgerCanister
from sns.clients.root import SnsRootCanister
from sns.clients.swap import SnsSwapCanister
from sns.swap.core import Lifecycle, principal_to_subaccount
from tui.ops.errors import UsageError
from tui.ops.session import Session
from tui.ops.sns_errors import run

LIFECYCLE_NAMES: Final = {
    Lifecycle.UNSPECIFIED: "unspecified",
    Lifecycle.PENDING: "pending",
    Lifecycle.ADOPTED: "adopted",
    Lifecycle.OPEN: "open",
    Lifecycle.COMMITTED: "committed",
    Lifecycle.ABORTED: "aborted",
}
MODE_NAMES: Final = {0: "unspecified", 1: "normal", 2: "pre-initialization-swap"}


@dataclass(frozen=True, slots=True, kw_only=True)
class SwapProgress:
    """Where a swap stands: its lifecycle, the ICP raised against its bounds, its times."""

    lifecycle: str
    direct_icp_e8s: int
    neurons_fund_icp_e8s: int
    direct_participants: int
    neurons_fund_neurons: int
    min_direct_icp_e8s: int | None
    max_direct_icp_e8s: int | None
    min_participants: int | None
    open_timestamp_seconds: int | None
    due_timestamp_seconds: int | None
    sns_tokens_per_icp: float | None

    @property
    def percent_of_max(self) -> float:
        if not self.max_direct_icp_e8s:
            return 0.0
        return 100.0 * self.direct_icp_e8s / self.max_direct_icp_e8s

    def to_json(self) -> dict[str, Any]:
        return {
            "lifecycle": self.lifecycle,
            "direct_icp_e8s": self.direct_icp_e8s,
            "neurons_fund_icp_e8s": self.neurons_fund_icp_e8s,
            "direct_participants": self.direct_participants,
            "neurons_fund_neurons": self.neurons_fund_neurons,
            "min_direct_icp_e8s": self.min_direct_icp_e8s,
            "max_direct_icp_e8s": self.max_direct_icp_e8s,
            "min_participants": self.min_participants,
            "open_timestamp_seconds": self.open_timestamp_seconds,
            "due_timestamp_seconds": self.due_timestamp_seconds,
            "sns_tokens_per_icp": self.sns_tokens_per_icp,
            "percent_of_max": round(self.percent_of_max, 2),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SnsSummary:
    number: int
    canisters: DeployedSns
    name: str
    symbol: str
    swap: SwapProgress

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "name": self.name,
            "symbol": self.symbol,
            "canisters": self.canisters.to_json(),
            "swap": self.swap.to_json(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SnsDetails:
    summary: SnsSummary
    mode: str
    fee_e8s: int
    total_supply_e8s: int
    dapps: tuple[str, ...]
    neuron_count: int
    proposal_count: int
    my_participation_icp_e8s: int

    def to_json(self) -> dict[str, Any]:
        return {
            **self.summary.to_json(),
            "mode": self.mode,
            "fee_e8s": self.fee_e8s,
            "total_supply_e8s": self.total_supply_e8s,
            "dapps": list(self.dapps),
            "neuron_count": self.neuron_count,
            "proposal_count": self.proposal_count,
            "my_participation_icp_e8s": self.my_participation_icp_e8s,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Participation:
    swap: str
    buyer: str
    amount_icp_e8s: int
    fee_e8s: int
    block_index: int
    accepted_icp_e8s: int

    def to_json(self) -> dict[str, Any]:
        return {
            "swap": self.swap,
            "buyer": self.buyer,
            "amount_icp_e8s": self.amount_icp_e8s,
            "fee_e8s": self.fee_e8s,
            "block_index": self.block_index,
            "accepted_icp_e8s": self.accepted_icp_e8s,
        }


# -- finding an SNS ---------------------------------------------------------------------------


def list_deployed(session: Session) -> list[DeployedSns]:
    wasm = SnsWasmCanister(session.agent.inner)
    return run(session, wasm.list_deployed_snses())


def resolve_sns(session: Session, text: str) -> tuple[int, DeployedSns]:
    """The SNS named by `text`: a canister id of it, its number in the list, or its symbol."""
    deployed = list_deployed(session)
    cleaned = text.strip()
    if cleaned.isdigit():
        number = int(cleaned)
        if number < len(deployed):
            return number, deployed[number]
        raise UsageError(
            f"there is no SNS number {number} ({len(deployed)} deployed)", kind="UnknownSns"
        )
    try:
        principal: Principal | None = Principal.from_text(cleaned)
    except Exception:
        principal = None
    for number, sns in enumerate(deployed):
        if principal is not None and principal in sns.canister_ids().values():
            return number, sns
    if principal is None:
        for number, sns in enumerate(deployed):
            ledger = SnsLedgerCanister(session.agent.inner, sns.ledger)
            metadata = run(session, ledger.metadata())
            if str(metadata.get("icrc1:symbol", "")).lower() == cleaned.lower():
                return number, sns
    raise UsageError(
        f"no SNS is named {text!r} (give a canister id, a number or a token symbol)",
        kind="UnknownSns",
    )


# -- reading ----------------------------------------------------------------------------------


def get_swap_progress(session: Session, sns: DeployedSns) -> SwapProgress:
    swap = SnsSwapCanister(session.agent.inner, sns.swap)
    lifecycle = run(session, swap.get_lifecycle())
    derived = run(session, swap.get_derived_state())
    params = run(session, swap.get_sale_parameters()) or {}
    code = int(lifecycle["lifecycle"] or 0)
    return SwapProgress(
        lifecycle=LIFECYCLE_NAMES.get(Lifecycle(code), str(code)),
        direct_icp_e8s=int(derived["direct_participation_icp_e8s"] or 0),
        neurons_fund_icp_e8s=int(derived["neurons_fund_participation_icp_e8s"] or 0),
        direct_participants=int(derived["direct_participant_count"] or 0),
        neurons_fund_neurons=int(derived["cf_neuron_count"] or 0),
        min_direct_icp_e8s=params.get("min_direct_participation_icp_e8s"),
        max_direct_icp_e8s=params.get("max_direct_participation_icp_e8s"),
        min_participants=params.get("min_participants"),
        open_timestamp_seconds=lifecycle["decentralization_sale_open_timestamp_seconds"],
        due_timestamp_seconds=params.get("swap_due_timestamp_seconds"),
        sns_tokens_per_icp=derived["sns_tokens_per_icp"],
    )


def _summary(session: Session, number: int, sns: DeployedSns) -> SnsSummary:
    metadata = run(session, SnsLedgerCanister(session.agent.inner, sns.ledger).metadata())
    return SnsSummary(
        number=number,
        canisters=sns,
        name=str(metadata.get("icrc1:name", "")),
        symbol=str(metadata.get("icrc1:symbol", "")),
        swap=get_swap_progress(session, sns),
    )


def list_snses(session: Session) -> list[SnsSummary]:
    return [_summary(session, n, sns) for n, sns in enumerate(list_deployed(session))]


def show_sns(session: Session, text: str) -> SnsDetails:
    number, sns = resolve_sns(session, text)
    agent = session.agent.inner
    ledger = SnsLedgerCanister(agent, sns.ledger)
    governance = SnsGovernanceCanister(agent, sns.governance)
    canisters = run(session, SnsRootCanister(agent, sns.root).list_sns_canisters())
    buyer = run(session, SnsSwapCanister(agent, sns.swap).get_buyer_state(session.principal))
    icp = (buyer or {}).get("icp") or {}
    proposals = run(session, governance.list_proposals(limit=1))
    return SnsDetails(
        summary=_summary(session, number, sns),
        mode=MODE_NAMES.get(run(session, governance.get_mode()), "unknown"),
        fee_e8s=run(session, ledger.transaction_fee()),
        total_supply_e8s=run(session, ledger.total_supply()),
        dapps=tuple(dapp.to_text() for dapp in canisters["dapps"]),
        neuron_count=len(run(session, governance.list_neurons(limit=10_000))),
        proposal_count=0 if not proposals else int(proposals[0]["id"]["id"]) + 1,
        my_participation_icp_e8s=int(icp.get("amount_e8s") or 0),
    )


# -- taking part ------------------------------------------------------------------------------


def participate(session: Session, text: str, amount_icp_e8s: int) -> Participation:
    """Buy into an open swap: a ticket, the ICP to the buyer's subaccount of the swap, and the
    swap told to count it (the three steps of the NNS dapp, spec sns.md §3.2)."""
    _, sns = resolve_sns(session, text)
    swap = SnsSwapCanister(session.agent.inner, sns.swap)
    me = session.principal
    run(session, swap.new_sale_ticket(amount_icp_e8s=amount_icp_e8s))
    fee = run(session, session.ledger.transaction_fee())
    block = run(
        session,
        session.ledger.icrc1_transfer(
            to_owner=sns.swap, to_subaccount=principal_to_subaccount(me), amount=amount_icp_e8s
        ),
    )
    accepted = run(session, swap.refresh_buyer_tokens(me))
    return Participation(
        swap=sns.swap.to_text(),
        buyer=me.to_text(),
        amount_icp_e8s=amount_icp_e8s,
        fee_e8s=fee,
        block_index=block,
        accepted_icp_e8s=int(accepted["icp_accepted_participation_e8s"]),
    )


def finalize(session: Session, text: str) -> dict[str, Any]:
    """Ask the swap to finalize (or resume finalizing); what each step reported."""
    _, sns = resolve_sns(session, text)
    return run(session, SnsSwapCanister(session.agent.inner, sns.swap).finalize_swap())
