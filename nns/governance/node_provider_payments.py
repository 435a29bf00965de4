"""Computing and minting the monthly node provider rewards (see `node_provider_rewards`).

`start` asks the registry for each provider's XDR reward, then the CMC for the
average rate, and `month_of` computes the month. Asked through
`get_monthly_node_provider_rewards`, the month is the reply; when minting (an
adopted RewardNodeProviders proposal with `use_registry_derived_rewards`, or
the periodic task a month after the last minting), `action_execution` mints
every reward in turn and `record` records the month.

Every step is a function of the governance state (`core`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlmodel import Session

from nns.governance.core import GovernanceCore
from nns.governance.enums import ErrorType
from nns.governance.errors import GovernanceError
from nns.governance.node_provider_rewards import (
    MonthlyNodeProviderRewards,
    XdrConversionRate,
    compute_monthly_node_provider_rewards,
    is_time_to_mint,
)
from nns.governance.settings import (
    MONTHLY_NODE_PROVIDER_REWARDS_UNDER_WAY,
    MOST_RECENT_MONTHLY_NODE_PROVIDER_REWARDS,
    NODE_PROVIDER_REWARDS_LOG,
    PENDING_MONTHLY_NODE_PROVIDER_REWARDS,
)
from replica.canister.nns_ids import REGISTRY_CANISTER_ID
from replica.environment import DEFERRED, OutgoingCall, Reject
from replica.types import Principal


@dataclass(frozen=True, slots=True, kw_only=True)
class MonthlyRewardsContext:
    """One computation: `mint` pays and records it (for `proposal_id`, or the periodic task when
    None); otherwise the month is the reply."""

    mint: bool
    proposal_id: int | None = None
    xdr_rewards: tuple[tuple[str, int], ...] = ()  # provider ids as text (contexts are stored)
    registry_version: int = 0


def _message(answer: object) -> str:
    return answer.message if isinstance(answer, Reject) else str(answer)


# -- computing a month ------------------------------------------------------------------------


def start(core: GovernanceCore, context: MonthlyRewardsContext) -> object:
    core.environment.call(
        OutgoingCall(
            callee=REGISTRY_CANISTER_ID,
            method="get_node_providers_monthly_xdr_rewards",
            argument=None,
            on_reply="_on_node_provider_xdr_rewards",
            on_reject="_on_monthly_rewards_failed",
            context=context,
        )
    )
    return DEFERRED


def on_xdr_rewards(core: GovernanceCore, context: MonthlyRewardsContext, reply: Any) -> object:
    rewards, version = reply
    core.environment.call(
        OutgoingCall(
            callee=core.cycles_minting_id,
            method="get_average_icp_xdr_conversion_rate",
            argument=None,
            on_reply="_on_average_icp_xdr_rate",
            on_reject="_on_monthly_rewards_failed",
            context=replace(
                context,
                xdr_rewards=tuple((p.to_text(), xdr) for p, xdr in rewards),
                registry_version=version,
            ),
        )
    )
    return DEFERRED


def month_of(
    core: GovernanceCore, context: MonthlyRewardsContext, reply: Any
) -> MonthlyNodeProviderRewards:
    """The month, from the registry's XDR rewards (in `context`) and the CMC's average rate."""
    rate = reply["data"]
    return compute_monthly_node_provider_rewards(
        providers=core.node_providers,
        xdr_rewards={Principal.from_text(p): xdr for p, xdr in context.xdr_rewards},
        registry_version=context.registry_version,
        average_rate=XdrConversionRate(
            timestamp_seconds=rate["timestamp_seconds"],
            xdr_permyriad_per_icp=rate["xdr_permyriad_per_icp"],
        ),
        economics=core.economics,
        now_seconds=core.now_seconds(),
    )


def on_failed(core: GovernanceCore, context: MonthlyRewardsContext, answer: object) -> object:
    error = GovernanceError(
        ErrorType.EXTERNAL, f"Could not compute the node provider rewards: {_message(answer)}"
    )
    if not context.mint:
        raise error
    with core.transaction() as session:
        core.state.put(session, MONTHLY_NODE_PROVIDER_REWARDS_UNDER_WAY, False)
        if context.proposal_id is not None:
            core.mark_executed(session, context.proposal_id, error.error_message)
    return None


# -- minting ----------------------------------------------------------------------------------


def mint_for_proposal(core: GovernanceCore, session: Session, proposal_id: int) -> None:
    core.state.put(session, MONTHLY_NODE_PROVIDER_REWARDS_UNDER_WAY, True)
    start(core, MonthlyRewardsContext(mint=True, proposal_id=proposal_id))


def maybe_mint(core: GovernanceCore, session: Session) -> None:
    """The periodic task: mint a month after the last minting, once at a time."""
    if core.state.get(MONTHLY_NODE_PROVIDER_REWARDS_UNDER_WAY):
        return
    if not is_time_to_mint(
        core.state.get(MOST_RECENT_MONTHLY_NODE_PROVIDER_REWARDS),
        core.now_seconds(),
        core.durations.one_month_seconds,
    ):
        return
    core.state.put(session, MONTHLY_NODE_PROVIDER_REWARDS_UNDER_WAY, True)
    start(core, MonthlyRewardsContext(mint=True))


def begin_minting(
    core: GovernanceCore, session: Session, month: MonthlyNodeProviderRewards
) -> None:
    """The month being minted, read back by `pending_rewards` as each reward is minted."""
    core.state.put(session, PENDING_MONTHLY_NODE_PROVIDER_REWARDS, month)


def pending_rewards(core: GovernanceCore) -> MonthlyNodeProviderRewards | None:
    return core.state.get(PENDING_MONTHLY_NODE_PROVIDER_REWARDS)


def record(core: GovernanceCore, session: Session, proposal_id: int) -> None:
    """Every reward was tried: the month becomes the most recent one and joins the list
    (`update_most_recent_monthly_node_provider_rewards`); single failures are ignored."""
    month = pending_rewards(core)
    state = core.state
    if month is not None:
        state.put(session, MOST_RECENT_MONTHLY_NODE_PROVIDER_REWARDS, month)
        state.put(
            session, NODE_PROVIDER_REWARDS_LOG, (*state.get(NODE_PROVIDER_REWARDS_LOG), month)
        )
    state.put(session, PENDING_MONTHLY_NODE_PROVIDER_REWARDS, None)
    state.put(session, MONTHLY_NODE_PROVIDER_REWARDS_UNDER_WAY, False)
    if proposal_id:
        core.mark_executed(session, proposal_id, None)
