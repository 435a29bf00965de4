"""The named values of governance's settings table, each with its type.

`state.get(ECONOMICS)` and `state.put(session, LOCKS, locks)` replace string
keys: a misspelt name or a value of the wrong type is a type error.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from nns.governance.actions import NodeProvider
from nns.governance.node_provider_rewards import MonthlyNodeProviderRewards
from nns.governance.parameters import NetworkEconomics
from nns.governance.rewards import RewardEvent
from nns.governance.snapshots import VotingPowerSnapshot
from nns.governance.state import Setting

_EMPTY: Final[Mapping[int, object]] = MappingProxyType({})

# written at installation
ECONOMICS: Final = Setting[NetworkEconomics]("economics")
GENESIS_TIMESTAMP_SECONDS: Final = Setting[int]("genesis_timestamp_seconds")
LATEST_REWARD_EVENT: Final = Setting[RewardEvent]("latest_reward_event")
DEFAULT_FOLLOWEES: Final = Setting[Mapping[int, tuple[int, ...]]]("default_followees", _EMPTY)
MATURITY_MODULATION_BASIS_POINTS: Final = Setting[int]("maturity_modulation_basis_points", 0)

# neuron id → the command holding its ledger lock
LOCKS: Final = Setting[Mapping[int, str]]("locks", _EMPTY)
# (slots available, time of the last refill) of the neuron creation rate limit
NEURON_RATE_LIMIT: Final = Setting[tuple[int, int] | None]("neuron_rate_limit", None)
NEXT_PROPOSAL_ID: Final = Setting[int]("next_proposal_id", 1)
PROPOSALS_SINCE_GC: Final = Setting[int]("proposals_since_gc", 0)
LAST_GC_TIMESTAMP_SECONDS: Final = Setting[int]("last_gc_timestamp_seconds", 0)
# the ledger's total supply as last read (at a reward event); None before the first
TOTAL_SUPPLY_E8S: Final = Setting[int | None]("total_supply_e8s", None)
VOTING_POWER_SNAPSHOTS: Final = Setting[tuple[VotingPowerSnapshot, ...]](
    "voting_power_snapshots", ()
)
VOTING_POWER_SNAPSHOT_DUE: Final = Setting[int]("voting_power_snapshot_due", 0)
NODE_PROVIDERS: Final = Setting[tuple[NodeProvider, ...]]("node_providers", ())
MOST_RECENT_MONTHLY_NODE_PROVIDER_REWARDS: Final = Setting[MonthlyNodeProviderRewards | None](
    "most_recent_monthly_node_provider_rewards", None
)
NODE_PROVIDER_REWARDS_LOG: Final = Setting[tuple[MonthlyNodeProviderRewards, ...]](
    "node_provider_rewards_log", ()
)
# the month being minted, and whether a computation or minting is under way
PENDING_MONTHLY_NODE_PROVIDER_REWARDS: Final = Setting[MonthlyNodeProviderRewards | None](
    "pending_monthly_node_provider_rewards", None
)
MONTHLY_NODE_PROVIDER_REWARDS_UNDER_WAY: Final = Setting[bool](
    "monthly_node_provider_rewards_under_way", False
)
