"""Neurons: locked ICP with a dissolve delay, an age and voting power.

A neuron is either not dissolving (it has a dissolve delay and ages) or
dissolving/dissolved (it has the time at which it is or was dissolved, and no
age). Its voting power grows with the stake, the dissolve delay (up to 2x at 8
years) and the age (up to 1.25x at 4 years), with the integer formula of spec
1.5. The voting power that counts in ballots is the *deciding* voting power:
the potential one scaled down linearly once the neuron has not confirmed its
following for six months, to zero after seven (spec 1.6).

Every function here is pure: it takes a neuron and the time and returns a
value or a new neuron; refusals raise `GovernanceError`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Final

from nns.governance.enums import ErrorType, NeuronState, NeuronType, Topic, Visibility
from nns.governance.errors import GovernanceError, invalid_command
from nns.governance.parameters import Durations, VotingPowerEconomics
from replica.types import Principal

U64_MAX: Final = 2**64 - 1
U32_MAX: Final = 2**32 - 1


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownNeuronData:
    name: str
    description: str | None = None
    links: tuple[str, ...] = ()
    committed_topics: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class MaturityDisbursement:
    amount_e8s: int
    timestamp_of_disbursement_seconds: int
    finalize_disbursement_timestamp_seconds: int
    account_identifier: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Neuron:
    id: int
    subaccount: bytes
    controller: Principal
    created_timestamp_seconds: int
    voting_power_refreshed_timestamp_seconds: int
    hot_keys: tuple[Principal, ...] = ()
    cached_neuron_stake_e8s: int = 0
    neuron_fees_e8s: int = 0
    # Not dissolving iff dissolve_delay_seconds is set; then it ages from aging_since.
    dissolve_delay_seconds: int | None = None
    aging_since_timestamp_seconds: int = 0
    when_dissolved_timestamp_seconds: int | None = None
    spawn_at_timestamp_seconds: int | None = None
    followees: dict[int, tuple[int, ...]] = field(default_factory=dict)
    kyc_verified: bool = True
    maturity_e8s_equivalent: int = 0
    staked_maturity_e8s_equivalent: int = 0
    auto_stake_maturity: bool = False
    not_for_profit: bool = False
    joined_community_fund_timestamp_seconds: int | None = None
    known_neuron_data: KnownNeuronData | None = None
    neuron_type: NeuronType = NeuronType.UNSPECIFIED
    visibility: Visibility = Visibility.PRIVATE
    maturity_disbursements_in_progress: tuple[MaturityDisbursement, ...] = ()

    @property
    def is_not_dissolving(self) -> bool:
        return self.dissolve_delay_seconds is not None

    def is_authorized(self, principal: Principal) -> bool:
        """Controller or hot key: may vote, propose, follow (not on NeuronManagement)."""
        return principal == self.controller or principal in self.hot_keys

    def followees_for(self, topic: int) -> tuple[int, ...] | None:
        return self.followees.get(topic)


def _compile_with_maturity() -> Callable[[Neuron, int, int], Neuron]:
    """Build `with_maturity` as straight-line code over the neuron's slots.

    A reward event changes the two maturity fields of up to every neuron at once;
    `dataclasses.replace` costs about 11 µs a neuron, this about a third of it.
    """
    kept = [
        field.name
        for field in dataclasses.fields(Neuron)
        if field.name not in ("maturity_e8s_equivalent", "staked_maturity_e8s_equivalent")
    ]
    lines = [
        "def with_maturity(neuron, maturity_e8s, staked_maturity_e8s):",
        "    clone = new(Neuron)",
    ]
    lines += [f"    set_(clone, {name!r}, neuron.{name})" for name in kept]
    lines += [
        "    set_(clone, 'maturity_e8s_equivalent', maturity_e8s)",
        "    set_(clone, 'staked_maturity_e8s_equivalent', staked_maturity_e8s)",
        "    return clone",
    ]
    namespace: dict[str, Any] = {
        "new": object.__new__,
        "set_": object.__setattr__,
        "Neuron": Neuron,
    }
    exec("\n".join(lines), namespace)
    function: Callable[[Neuron, int, int], Neuron] = namespace["with_maturity"]
    return function


with_maturity: Final = _compile_with_maturity()


# -- subaccounts (spec 2.3) ---------------------------------------------------------------------


def compute_subaccount(domain: bytes, controller: Principal, nonce: int) -> bytes:
    """SHA-256(len(domain) ‖ domain ‖ controller ‖ nonce as u64 big endian)."""
    return hashlib.sha256(
        bytes([len(domain)]) + domain + controller.raw + nonce.to_bytes(8, "big")
    ).digest()


def compute_neuron_staking_subaccount(controller: Principal, nonce: int) -> bytes:
    return compute_subaccount(b"neuron-stake", controller, nonce)


def compute_split_subaccount(controller: Principal, memo: int) -> bytes:
    return compute_subaccount(b"split-neuron", controller, memo)


def compute_disburse_to_neuron_subaccount(controller: Principal, nonce: int) -> bytes:
    return compute_subaccount(b"neuron-split", controller, nonce)


# -- dissolve state and age (spec 1.2, 1.3) ------------------------------------------------------


def get_dissolve_delay_seconds(neuron: Neuron, now_seconds: int) -> int:
    if neuron.dissolve_delay_seconds is not None:
        return neuron.dissolve_delay_seconds
    when = neuron.when_dissolved_timestamp_seconds or 0
    return max(0, when - now_seconds)


def get_age_seconds(neuron: Neuron, now_seconds: int) -> int:
    if neuron.dissolve_delay_seconds is None:
        return 0
    return max(0, now_seconds - neuron.aging_since_timestamp_seconds)


def get_state(neuron: Neuron, now_seconds: int) -> NeuronState:
    if neuron.spawn_at_timestamp_seconds is not None:
        return NeuronState.SPAWNING
    if neuron.dissolve_delay_seconds is not None:
        return NeuronState.NOT_DISSOLVING
    if now_seconds >= (neuron.when_dissolved_timestamp_seconds or 0):
        return NeuronState.DISSOLVED
    return NeuronState.DISSOLVING


def start_dissolving(neuron: Neuron, now_seconds: int) -> Neuron:
    """neuron/types.rs start_dissolving: only a non-dissolving neuron with a delay (a stored
    delay of 0 is the legacy dissolved state); else RequiresNotDissolving, no message."""
    if not neuron.dissolve_delay_seconds:
        raise GovernanceError(ErrorType.REQUIRES_NOT_DISSOLVING, "")
    return replace(
        neuron,
        dissolve_delay_seconds=None,
        aging_since_timestamp_seconds=0,
        when_dissolved_timestamp_seconds=now_seconds + neuron.dissolve_delay_seconds,
    )


def stop_dissolving(neuron: Neuron, now_seconds: int) -> Neuron:
    remaining = get_dissolve_delay_seconds(neuron, now_seconds)
    if neuron.dissolve_delay_seconds is not None or remaining == 0:
        raise GovernanceError(ErrorType.REQUIRES_DISSOLVING, "")
    return _locked(neuron, remaining, now_seconds)


def increase_dissolve_delay(
    neuron: Neuron, now_seconds: int, additional_seconds: int, max_dissolve_delay_seconds: int
) -> Neuron:
    if additional_seconds <= 0:
        raise invalid_command("Additional delay is 0.")
    if additional_seconds > U32_MAX:
        raise invalid_command("Additional delay does not fit in 32 bits.")
    if neuron.dissolve_delay_seconds is not None:
        delay = min(neuron.dissolve_delay_seconds + additional_seconds, max_dissolve_delay_seconds)
        return replace(neuron, dissolve_delay_seconds=delay)
    remaining = get_dissolve_delay_seconds(neuron, now_seconds)
    if remaining > 0:
        delay = min(remaining + additional_seconds, max_dissolve_delay_seconds)
        return replace(neuron, when_dissolved_timestamp_seconds=now_seconds + delay)
    return _locked(neuron, min(additional_seconds, max_dissolve_delay_seconds), now_seconds)


def set_dissolve_timestamp(
    neuron: Neuron, now_seconds: int, timestamp_seconds: int, max_dissolve_delay_seconds: int
) -> Neuron:
    """neuron/types.rs Neuron::configure, SetDissolveTimestamp: its checks and texts."""
    if timestamp_seconds < now_seconds:
        raise invalid_command("The dissolve delay must be set to a future time.")
    desired = timestamp_seconds - now_seconds
    current = get_dissolve_delay_seconds(neuron, now_seconds)
    if current > desired:
        raise invalid_command(
            "Can't set a dissolve delay that is smaller than the current dissolve delay."
        )
    difference = desired - current
    if difference == 0:
        raise invalid_command("Additional delay is 0.")
    if difference > U32_MAX:
        raise invalid_command("Can't convert u64 dissolve delay into u32.")
    return increase_dissolve_delay(neuron, now_seconds, difference, max_dissolve_delay_seconds)


def _locked(neuron: Neuron, delay_seconds: int, now_seconds: int) -> Neuron:
    return replace(
        neuron,
        dissolve_delay_seconds=delay_seconds,
        aging_since_timestamp_seconds=now_seconds,
        when_dissolved_timestamp_seconds=None,
    )


def combine_aged_stakes(
    stake_e8s: int, age_seconds: int, other_stake_e8s: int, other_age_seconds: int
) -> tuple[int, int]:
    """Stake-weighted average age of two stakes (integer floor)."""
    total = stake_e8s + other_stake_e8s
    if total == 0:
        return 0, 0
    return total, (stake_e8s * age_seconds + other_stake_e8s * other_age_seconds) // total


def update_stake_adjust_age(neuron: Neuron, new_stake_e8s: int, now_seconds: int) -> Neuron:
    """A top-up dilutes the age (the added stake has age 0); a decrease keeps it."""
    old = neuron.cached_neuron_stake_e8s
    if new_stake_e8s <= old or neuron.dissolve_delay_seconds is None:
        return replace(neuron, cached_neuron_stake_e8s=new_stake_e8s)
    _total, age = combine_aged_stakes(
        old, get_age_seconds(neuron, now_seconds), new_stake_e8s - old, 0
    )
    return replace(
        neuron,
        cached_neuron_stake_e8s=new_stake_e8s,
        aging_since_timestamp_seconds=now_seconds - age,
    )


# -- stake and voting power (spec 1.4-1.7) -------------------------------------------------------


def get_minted_stake_e8s(neuron: Neuron) -> int:
    return max(0, neuron.cached_neuron_stake_e8s - neuron.neuron_fees_e8s)


def get_stake_e8s(neuron: Neuron) -> int:
    return get_minted_stake_e8s(neuron) + neuron.staked_maturity_e8s_equivalent


def compute_potential_voting_power(
    stake_e8s: int,
    dissolve_delay_seconds: int,
    age_seconds: int,
    max_dissolve_delay_seconds: int,
    max_neuron_age_seconds: int,
) -> int:
    """The classic integer formula: `ds = s + s·d/8y`, `vp = ds + ds·a/16y` (floors, u64 cap)."""
    delay = min(dissolve_delay_seconds, max_dissolve_delay_seconds)
    with_delay = stake_e8s + stake_e8s * delay // max_dissolve_delay_seconds
    age = min(age_seconds, max_neuron_age_seconds)
    power = with_delay + with_delay * age // (4 * max_neuron_age_seconds)
    return min(power, U64_MAX)


def get_potential_voting_power(neuron: Neuron, now_seconds: int, durations: Durations) -> int:
    return compute_potential_voting_power(
        get_stake_e8s(neuron),
        get_dissolve_delay_seconds(neuron, now_seconds),
        get_age_seconds(neuron, now_seconds),
        durations.max_dissolve_delay_seconds,
        durations.max_neuron_age_for_age_bonus_seconds,
    )


def compute_deciding_voting_power_adjustment(
    seconds_since_refresh: int, economics: VotingPowerEconomics
) -> Fraction:
    """1 up to the start of reduction, then linear down to 0 over the clearing period."""
    start = economics.start_reducing_voting_power_after_seconds
    span = economics.clear_following_after_seconds
    if seconds_since_refresh <= start:
        return Fraction(1)
    if seconds_since_refresh >= start + span:
        return Fraction(0)
    return 1 - Fraction(seconds_since_refresh - start, span)


def compute_deciding_voting_power(
    potential_voting_power: int, seconds_since_refresh: int, economics: VotingPowerEconomics
) -> int:
    """round_half_even(f(t) × potential), computed exactly."""
    factor = compute_deciding_voting_power_adjustment(seconds_since_refresh, economics)
    return round(factor * potential_voting_power)


def get_deciding_voting_power(
    neuron: Neuron, now_seconds: int, durations: Durations, economics: VotingPowerEconomics
) -> int:
    return compute_deciding_voting_power(
        get_potential_voting_power(neuron, now_seconds, durations),
        now_seconds - neuron.voting_power_refreshed_timestamp_seconds,
        economics,
    )


def is_inactive(neuron: Neuron, now_seconds: int, durations: Durations) -> bool:
    """Unfunded, dissolved for at least 14 days, not Seed/ECT, not in the Neurons' Fund."""
    if neuron.neuron_type in (NeuronType.SEED, NeuronType.ECT):
        return False
    if neuron.joined_community_fund_timestamp_seconds:
        return False
    if get_stake_e8s(neuron) + neuron.maturity_e8s_equivalent > 0:
        return False
    when = neuron.when_dissolved_timestamp_seconds
    if neuron.dissolve_delay_seconds is not None or when is None:
        return False
    return when <= now_seconds - durations.inactive_after_dissolved_seconds


def is_stale(neuron: Neuron, now_seconds: int, economics: VotingPowerEconomics) -> bool:
    """Not refreshed for the reduction plus clearing periods: its following is pruned."""
    limit = (
        economics.start_reducing_voting_power_after_seconds
        + economics.clear_following_after_seconds
    )
    return neuron.voting_power_refreshed_timestamp_seconds < now_seconds - limit


def prune_following(neuron: Neuron) -> Neuron:
    """Drop every followee list except NeuronManagement's."""
    kept = {
        topic: followees
        for topic, followees in neuron.followees.items()
        if topic == Topic.NEURON_MANAGEMENT
    }
    return replace(neuron, followees=kept)


def apply_maturity_modulation(amount_e8s: int, modulation_basis_points: int) -> int:
    """`amount × (10_000 + mm) / 10_000`, integer floor."""
    return amount_e8s * (10_000 + modulation_basis_points) // 10_000
