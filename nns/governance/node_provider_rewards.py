"""Monthly node provider rewards, as NNS governance computes and pays them.

Every node provider is paid each month for the nodes it runs
(rs/nns/governance/src/governance.rs, `get_monthly_node_provider_rewards`,
`mint_monthly_node_provider_rewards`, `get_node_provider_reward`):

1. the registry answers each provider's monthly reward in 10,000ths of an XDR
   (`get_node_providers_monthly_xdr_rewards`, from its node rewards table);
2. the CMC answers the 30-day average ICP/XDR rate
   (`get_average_icp_xdr_conversion_rate`);
3. the rate used is the larger of the average and the economics' minimum
   (`minimum_icp_xdr_rate` × 100, in permyriad); each known node provider gets
   `xdr_permyriad_reward × 10^8 / rate` e8s, minted to its reward account (its
   default account if it set none).

The record of a month (`MonthlyNodeProviderRewards`) names the rewards, the
average rate, the minimum, the maximum per reward and the registry version.
Minting a month (after an adopted RewardNodeProviders proposal with
`use_registry_derived_rewards`, and then by the periodic task once
`NODE_PROVIDER_REWARD_PERIOD_SECONDS` have passed since the last one) pays
every reward, ignoring single failures as the IC does, and records the month:
it becomes the most recent one and joins the list `list_node_provider_rewards`
answers, newest first.

A node provider sets its own reward account with `update_node_provider`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from nns.governance.actions import NodeProvider, RewardNodeProvider, RewardToAccount
from nns.governance.errors import not_found, precondition_failed
from nns.governance.parameters import NetworkEconomics
from nns.ledger.accounts import AccountError, AccountIdentifier
from replica.types import Principal

NODE_PROVIDER_REWARD_PERIOD_SECONDS: Final = 2_629_800  # ONE_MONTH_SECONDS: 365.25 days / 12
ICP_XDR_RATE_TO_BASIS_POINT_MULTIPLIER: Final = 100
E8S_PER_ICP: Final = 100_000_000
LIST_NODE_PROVIDER_REWARDS_LIMIT: Final = 24


@dataclass(frozen=True, slots=True, kw_only=True)
class XdrConversionRate:
    timestamp_seconds: int
    xdr_permyriad_per_icp: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MonthlyNodeProviderRewards:
    timestamp: int
    rewards: tuple[RewardNodeProvider, ...]
    xdr_conversion_rate: XdrConversionRate
    minimum_xdr_permyriad_per_icp: int
    maximum_node_provider_rewards_e8s: int
    registry_version: int
    node_providers: tuple[NodeProvider, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DateRangeFilter:
    start_timestamp_seconds: int | None = None
    end_timestamp_seconds: int | None = None


def compute_node_provider_reward(
    provider: NodeProvider, xdr_permyriad_reward: int, xdr_permyriad_per_icp: int
) -> RewardNodeProvider | None:
    """`get_node_provider_reward`: the e8s the XDR reward buys, to the provider's reward account
    (its default account without one); None for a provider without an id."""
    if provider.id is None:
        return None
    amount_e8s = xdr_permyriad_reward * E8S_PER_ICP // xdr_permyriad_per_icp
    to_account = provider.reward_account or AccountIdentifier.of(provider.id)
    return RewardNodeProvider(
        node_provider=provider,
        amount_e8s=amount_e8s,
        reward_mode=RewardToAccount(to_account=to_account),
    )


def compute_monthly_node_provider_rewards(
    *,
    providers: Sequence[NodeProvider],
    xdr_rewards: Mapping[Principal, int],
    registry_version: int,
    average_rate: XdrConversionRate,
    economics: NetworkEconomics,
    now_seconds: int,
) -> MonthlyNodeProviderRewards:
    """The month's rewards of every known node provider (`get_monthly_node_provider_rewards`)."""
    minimum = economics.minimum_icp_xdr_rate * ICP_XDR_RATE_TO_BASIS_POINT_MULTIPLIER
    rate = max(average_rate.xdr_permyriad_per_icp, minimum)
    rewards = []
    for provider in providers:
        if provider.id is None:
            continue
        reward = compute_node_provider_reward(provider, xdr_rewards.get(provider.id, 0), rate)
        if reward is not None:
            rewards.append(reward)
    return MonthlyNodeProviderRewards(
        timestamp=now_seconds,
        rewards=tuple(rewards),
        xdr_conversion_rate=average_rate,
        minimum_xdr_permyriad_per_icp=minimum,
        maximum_node_provider_rewards_e8s=economics.maximum_node_provider_rewards_e8s,
        registry_version=registry_version,
        node_providers=tuple(providers),
    )


def is_time_to_mint(
    most_recent: MonthlyNodeProviderRewards | None,
    now_seconds: int,
    period_seconds: int = NODE_PROVIDER_REWARD_PERIOD_SECONDS,
) -> bool:
    """`is_time_to_mint_monthly_node_provider_rewards`: a month after the last minting (never
    before a first one, which an adopted RewardNodeProviders proposal starts). A preset that
    scales governance's durations scales the month too."""
    return most_recent is not None and now_seconds - most_recent.timestamp >= period_seconds


def select_rewards(
    log: Sequence[MonthlyNodeProviderRewards], date_filter: DateRangeFilter | None
) -> tuple[MonthlyNodeProviderRewards, ...]:
    """The recorded months inside the filter's bounds (inclusive), newest first, at most
    `LIST_NODE_PROVIDER_REWARDS_LIMIT` (node_provider_rewards.rs `list_node_provider_rewards`)."""
    start = 0 if date_filter is None else date_filter.start_timestamp_seconds or 0
    end = None if date_filter is None else date_filter.end_timestamp_seconds
    chosen = [
        record
        for record in log
        if record.timestamp >= start and (end is None or record.timestamp <= end)
    ]
    return tuple(reversed(chosen))[:LIST_NODE_PROVIDER_REWARDS_LIMIT]


def updated_node_provider(
    providers: Sequence[NodeProvider], caller: Principal, reward_account: bytes | None
) -> tuple[NodeProvider, ...]:
    """The providers after `update_node_provider` by `caller` (governance.rs): NotFound for a
    caller that is no node provider, PreconditionFailed without an account or with one that is
    not a valid 32-byte account identifier."""
    if not any(provider.id == caller for provider in providers):
        raise not_found(f"Node Provider {caller} is not known by the NNS")
    if reward_account is None:
        raise precondition_failed("reward_account not specified")
    if len(reward_account) != 32:
        raise precondition_failed(
            f"Invalid reward_account: the account identifier must be 32 bytes long, not "
            f"{len(reward_account)}"
        )
    try:
        account = AccountIdentifier(bytes(reward_account))
    except AccountError as error:
        raise precondition_failed(
            f"Invalid reward_account: the account identifier is not valid: {error}"
        ) from error
    return tuple(
        NodeProvider(id=provider.id, reward_account=account) if provider.id == caller else provider
        for provider in providers
    )
