"""SNS neurons: 32-byte ids, permissions per principal, dissolve state and voting power.

A neuron's id is its staking subaccount on the SNS ledger: SHA-256 over the
length-prefixed domain "neuron-stake", the controller's principal bytes and
the memo as a big-endian u64 (`compute_neuron_staking_subaccount`,
rs/nervous_system/common; the NNS derives its staking accounts the same way,
so the function is shared with `nns.governance.neuron`). Access is a list of
principals each holding a set of `Permission`s (§4.3), not the NNS's one
controller plus hot keys.

Voting power (rs/sns/governance/src/neuron.rs `voting_power`): with stake =
cached stake - fees + staked maturity, d = min(dissolve delay, max) and
a = min(age, max),

    d_stake  = stake   + stake   * d * max_dissolve_delay_bonus_percentage / (100 *
    max_dissolve_delay)
    ad_stake = d_stake + d_stake * a * max_age_bonus_percentage          / (100 * max_age)

in integers; the two bonuses multiply (§4.2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from nns.governance.neuron import compute_neuron_staking_subaccount
from replica.types import Principal
from sns.governance.parameters import NervousSystemParameters, Permission

NEURON_ID_BYTES: Final = 32

__all__ = ["Neuron", "compute_neuron_staking_subaccount", "compute_voting_power"]


def validate_neuron_id(neuron_id: bytes) -> bytes:
    if len(neuron_id) != NEURON_ID_BYTES:
        raise ValueError(f"an SNS neuron id has 32 bytes, not {len(neuron_id)}")
    return bytes(neuron_id)


@dataclass(frozen=True, slots=True)
class Followee:
    neuron_id: bytes
    alias: str | None = None


@dataclass(slots=True, kw_only=True)
class Neuron:
    """One neuron's state (owned and mutated only by the governance core)."""

    id: bytes
    permissions: dict[Principal, frozenset[Permission]]
    cached_neuron_stake_e8s: int
    created_timestamp_seconds: int
    aging_since_timestamp_seconds: int
    dissolve_delay_seconds: int | None = 0
    """Set while not dissolving; None once dissolving (then `when_dissolved` is set)."""
    when_dissolved_timestamp_seconds: int | None = None
    neuron_fees_e8s: int = 0
    maturity_e8s_equivalent: int = 0
    staked_maturity_e8s_equivalent: int = 0
    vesting_period_seconds: int | None = None
    source_nns_neuron_id: int | None = None
    auto_stake_maturity: bool = False
    """Rewards go to staked maturity instead of maturity (ChangeAutoStakeMaturity)."""
    topic_followees: dict[int, tuple[Followee, ...]] = field(default_factory=dict)
    function_followees: dict[int, tuple[bytes, ...]] = field(default_factory=dict)
    disbursements: list[tuple[int, int, Principal, bytes | None]] = field(default_factory=list)
    """Maturity disbursements in progress: (finalize at, amount, to owner, to subaccount)."""

    def has_permission(self, principal: Principal, permission: Permission) -> bool:
        return permission in self.permissions.get(principal, frozenset())

    def stake_e8s(self) -> int:
        return max(0, self.cached_neuron_stake_e8s - self.neuron_fees_e8s)

    def voting_power_stake_e8s(self) -> int:
        return self.stake_e8s() + self.staked_maturity_e8s_equivalent

    def dissolve_delay_at(self, now_seconds: int) -> int:
        if self.dissolve_delay_seconds is not None:
            return self.dissolve_delay_seconds
        return max(0, (self.when_dissolved_timestamp_seconds or 0) - now_seconds)

    def age_at(self, now_seconds: int) -> int:
        if self.dissolve_delay_seconds is None:  # dissolving neurons do not age
            return 0
        return max(0, now_seconds - self.aging_since_timestamp_seconds)

    def is_dissolved_at(self, now_seconds: int) -> bool:
        return self.dissolve_delay_at(now_seconds) == 0

    def is_vesting_at(self, now_seconds: int) -> bool:
        """Until its vesting period ends a (developer) neuron cannot start dissolving (§2.2)."""
        if self.vesting_period_seconds is None:
            return False
        return now_seconds < self.created_timestamp_seconds + self.vesting_period_seconds

    def voting_power_at(self, now_seconds: int, parameters: NervousSystemParameters) -> int:
        return compute_voting_power(
            stake_e8s=self.voting_power_stake_e8s(),
            dissolve_delay_seconds=self.dissolve_delay_at(now_seconds),
            age_seconds=self.age_at(now_seconds),
            parameters=parameters,
        )


def compute_voting_power(
    *,
    stake_e8s: int,
    dissolve_delay_seconds: int,
    age_seconds: int,
    parameters: NervousSystemParameters,
) -> int:
    max_delay = parameters.max_dissolve_delay_seconds
    max_age = parameters.max_neuron_age_for_age_bonus
    delay = min(dissolve_delay_seconds, max_delay)
    age = min(age_seconds, max_age)
    d_stake = stake_e8s
    if max_delay > 0:
        d_stake += (
            stake_e8s * delay * parameters.max_dissolve_delay_bonus_percentage // (100 * max_delay)
        )
    ad_stake = d_stake
    if max_age > 0:
        ad_stake += d_stake * age * parameters.max_age_bonus_percentage // (100 * max_age)
    return ad_stake


def staking_subaccount(controller: Principal, memo: int) -> bytes:
    """The neuron id of the neuron `controller` stakes with `memo`."""
    return compute_neuron_staking_subaccount(controller, memo)
