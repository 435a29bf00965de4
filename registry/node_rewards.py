"""Node provider rewards from the registry's node rewards table.

The table (registry key `node_rewards_table`) maps a region prefix such as
"North America,US" or "Europe" to a rate per node type ("type0", "type3.1",
...): the monthly reward of one node in 10,000ths of an XDR and, for type3
nodes, a reward coefficient. `update_node_rewards_table` (NNS function 20)
extends the table region by region, the new rates replacing the old ones of
the same node type (`NodeRewardsTable::extend`, rs/protobuf/src/registry/
node_rewards.rs).

Each node operator record names its data center (whose region is looked up),
its node provider and how many nodes of each type are rewardable. A node
provider's monthly reward is the sum over its operators
(`calculate_rewards_v0`, rs/registry/node_provider_rewards/src/lib.rs):

- a node type's rate is taken from the most specific prefix of the region that
  has a rate for that type ("North America,US,NY", then "North America,US",
  then "North America"); with none, the rate is 1 (and coefficient 100%);
- type3 nodes are rewarded less the more a provider has in one country: the
  n-th node of a provider in a continent and country earns the base rate times
  coefficient^(n-1) (coefficient 80% when the rate names none), in floating
  point and truncated per node, operators taken in key order as on the IC;
- other types earn count × rate.

A node operator whose data center is not in the registry makes the whole
computation fail, as on the IC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from registry.errors import InvalidPayload
from registry.records import DataCenterRecord, NodeOperatorRecord
from replica.types import Principal

NODE_REWARDS_TABLE_KEY: Final = "node_rewards_table"
DEFAULT_TYPE3_COEFFICIENT_PERCENT: Final = 80


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeRewardRate:
    xdr_permyriad_per_node_per_month: int
    reward_coefficient_percent: int | None = None


RATE_NOT_IN_TABLE: Final = NodeRewardRate(
    xdr_permyriad_per_node_per_month=1, reward_coefficient_percent=100
)


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeRewardsTable:
    """Region prefix → (node type → rate), both sorted."""

    table: tuple[tuple[str, tuple[tuple[str, NodeRewardRate], ...]], ...] = ()

    def rates(self) -> dict[str, dict[str, NodeRewardRate]]:
        return {region: dict(rates) for region, rates in self.table}

    def extended(self, entries: Mapping[str, Mapping[str, NodeRewardRate]]) -> NodeRewardsTable:
        merged = self.rates()
        for region, rates in entries.items():
            merged.setdefault(region, {}).update(rates)
        return NodeRewardsTable(
            table=tuple(
                (region, tuple(sorted(rates.items()))) for region, rates in sorted(merged.items())
            )
        )

    def get_rate(self, region: str, node_type: str) -> NodeRewardRate | None:
        """The rate of the most specific prefix of `region` that rates `node_type`."""
        table = self.rates()
        parts = region.split(",")
        for length in range(len(parts), 0, -1):
            rate = table.get(",".join(parts[:length]), {}).get(node_type)
            if rate is not None:
                return rate
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateNodeRewardsTableProposalPayload:
    new_entries: tuple[tuple[str, tuple[tuple[str, NodeRewardRate], ...]], ...] = ()

    def validate(self) -> None:
        for region, rates in self.new_entries:
            if not region:
                raise InvalidPayload("a node rewards table region is empty")
            for node_type, rate in rates:
                percent = rate.reward_coefficient_percent
                if percent is not None and percent < 0:
                    raise InvalidPayload(
                        f"the reward coefficient of {node_type} in {region} is negative"
                    )

    def entries(self) -> dict[str, dict[str, NodeRewardRate]]:
        return {region: dict(rates) for region, rates in self.new_entries}


def _country_key(provider: Principal, region: str) -> str:
    """The provider and the region's continent and country (the IC's `np_coefficients_key`)."""
    return f"{provider}:{':'.join(region.split(',', 2)[:2])}"


def compute_rewards_per_node_provider(
    table: NodeRewardsTable,
    operators: Sequence[tuple[str, NodeOperatorRecord]],
    data_centers: Mapping[str, DataCenterRecord],
) -> dict[Principal, int]:
    """Each node provider's monthly reward in 10,000ths of an XDR (`calculate_rewards_v0`);
    `operators` are (registry key, record) in key order."""
    coefficients: dict[str, float] = {}
    rewards: dict[Principal, int] = {}
    for _, operator in operators:
        provider = operator.node_provider_principal_id
        data_center = data_centers.get(operator.dc_id)
        if data_center is None:
            raise InvalidPayload(
                f"Node Operator with key '{operator.node_operator_principal_id}' has data center "
                f"ID '{operator.dc_id}' not found in the Registry"
            )
        region = data_center.region
        total = rewards.setdefault(provider, 0)
        for node_type, count in operator.rewardable_nodes:
            rate = table.get_rate(region, node_type) or RATE_NOT_IN_TABLE
            if node_type.startswith("type3"):
                key = _country_key(provider, region)
                coefficient = coefficients.get(key, 1.0)
                percent = rate.reward_coefficient_percent
                factor = (DEFAULT_TYPE3_COEFFICIENT_PERCENT if percent is None else percent) / 100.0
                base = float(rate.xdr_permyriad_per_node_per_month)
                reward = 0
                for _ in range(count):
                    reward += int(base * coefficient)
                    coefficient *= factor
                coefficients[key] = coefficient
            else:
                reward = count * rate.xdr_permyriad_per_node_per_month
            total += reward
        rewards[provider] = total
    return rewards
