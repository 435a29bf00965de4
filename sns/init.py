"""The SNS init payload of a CreateServiceNervousSystem proposal, and its two validations.

`from_proposal` reads the proposal's Candid record (the TryFrom conversion of
dfinity/ic rs/nns/governance/src/proposals/create_service_nervous_system.rs);
`validate_pre_execution` runs at submission and `validate_post_execution` at
execution, when NNS governance has set the proposal id, the swap's start and
due times and the Neurons' Fund constraints (rs/sns/init/src/lib.rs,
`validate_pre_execution` / `validate_post_execution`). Every refusal is an
`SnsInitError` with the rule it breaks (`rule`, e.g. "participation.6" for
check 6 of `validate_participation_constraints`), spec sns.md §2.3.
`swap_start_and_due_timestamps` is the start-time rule of §2.4.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from replica.types import Principal
from sns.governance.parameters import (
    INITIAL_REWARD_RATE_BASIS_POINTS_CEILING,
    MAX_AGE_BONUS_PERCENTAGE_CEILING,
    MAX_DISSOLVE_DELAY_BONUS_PERCENTAGE_CEILING,
    ONE_DAY_SECONDS,
    NervousSystemParameters,
    VotingRewardsParameters,
)
from sns.swap.neurons_fund import NeuronsFundConstraints

E8S: Final = 100_000_000
MAX_FALLBACK_CONTROLLERS: Final = 15
MAX_DAPP_CANISTERS: Final = 25
MAX_NAME_BYTES: Final = 255
MAX_DESCRIPTION_BYTES: Final = 2_000
MIN_URL_BYTES, MAX_URL_BYTES = 10, 512
MIN_TOKEN_SYMBOL_BYTES, MAX_TOKEN_SYMBOL_BYTES = 3, 10
MIN_TOKEN_NAME_BYTES, MAX_TOKEN_NAME_BYTES = 4, 255
MAX_LOGO_BYTES: Final = 341_334
MAX_DIRECT_ICP_E8S: Final = 1_000_000_000 * E8S
MIN_PARTICIPANT_ICP_FLOOR_E8S: Final = 1_000_000
MIN_BASKET_COUNT, MAX_BASKET_COUNT = 2, 10
MAX_U32: Final = 2**32 - 1
NNS_CANISTER_INDEX_LIMIT: Final = 16
"""Canister ids 0..15 of the NNS subnet's first range are NNS canisters here."""
FORBIDDEN_TOKEN_NAMES: Final = ("internetcomputer", "internetcomputerprotocol", "icp")


class SnsInitError(ValueError):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"[{rule}] {message}")
        self.rule = rule


@dataclass(frozen=True, slots=True, kw_only=True)
class DeveloperNeuron:
    controller: Principal
    stake_e8s: int
    memo: int
    dissolve_delay_seconds: int
    vesting_period_seconds: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SnsInitPayload:
    name: str | None
    description: str | None
    url: str | None
    logo: str | None
    token_name: str | None
    token_symbol: str | None
    token_logo: str | None
    transaction_fee_e8s: int | None
    fallback_controller_principal_ids: tuple[Principal, ...]
    dapp_canisters: tuple[Principal | None, ...]
    developer_neurons: tuple[DeveloperNeuron, ...]
    treasury_e8s: int
    swap_e8s: int
    parameters: NervousSystemParameters
    min_participants: int | None
    min_direct_participation_icp_e8s: int | None
    max_direct_participation_icp_e8s: int | None
    min_participant_icp_e8s: int | None
    max_participant_icp_e8s: int | None
    basket_count: int | None
    basket_dissolve_delay_interval_seconds: int | None
    confirmation_text: str | None
    restricted_countries: tuple[str, ...]
    start_time_of_day_seconds: int | None
    duration_seconds: int | None
    neurons_fund_participation: bool
    legacy_fields: tuple[str, ...] = ()
    nns_proposal_id: int | None = None
    swap_start_timestamp_seconds: int | None = None
    swap_due_timestamp_seconds: int | None = None
    neurons_fund_constraints: NeuronsFundConstraints | None = None


def _opt(value: Mapping[str, Any] | None, field: str) -> Any:
    return None if value is None else value[field]


def _tokens(value: Mapping[str, Any] | None) -> int | None:
    found = _opt(value, "e8s")
    return None if found is None else int(found)


def _seconds(value: Mapping[str, Any] | None) -> int | None:
    found = _opt(value, "seconds")
    return None if found is None else int(found)


def _basis_points(value: Mapping[str, Any] | None) -> int | None:
    found = _opt(value, "basis_points")
    return None if found is None else int(found)


def _whole_percent(value: Mapping[str, Any] | None, name: str) -> int | None:
    bp = _basis_points(value)
    if bp is None:
        return None
    if bp % 100 != 0:
        raise SnsInitError("percentage", f"{name} must be a whole percentage ({bp} basis points)")
    return bp // 100


def from_proposal(value: Mapping[str, Any]) -> SnsInitPayload:
    """The init payload of a CreateServiceNervousSystem Candid record (checks come after)."""
    ledger = value["ledger_parameters"] or {}
    distribution = value["initial_token_distribution"] or {}
    swap = value["swap_parameters"] or {}
    governance = value["governance_parameters"] or {}
    basket = swap.get("neuron_basket_construction_parameters") or {}
    developers = (distribution.get("developer_distribution") or {}).get("developer_neurons", [])
    rewards = governance.get("voting_reward_parameters") or {}
    defaults = NervousSystemParameters()
    changes: dict[str, Any] = {
        "reject_cost_e8s": _tokens(governance.get("proposal_rejection_fee")),
        "initial_voting_period_seconds": _seconds(governance.get("proposal_initial_voting_period")),
        "wait_for_quiet_deadline_increase_seconds": _seconds(
            governance.get("proposal_wait_for_quiet_deadline_increase")
        ),
        "neuron_minimum_stake_e8s": _tokens(governance.get("neuron_minimum_stake")),
        "neuron_minimum_dissolve_delay_to_vote_seconds": _seconds(
            governance.get("neuron_minimum_dissolve_delay_to_vote")
        ),
        "max_dissolve_delay_seconds": _seconds(governance.get("neuron_maximum_dissolve_delay")),
        "max_dissolve_delay_bonus_percentage": _whole_percent(
            governance.get("neuron_maximum_dissolve_delay_bonus"),
            "neuron_maximum_dissolve_delay_bonus",
        ),
        "max_neuron_age_for_age_bonus": _seconds(
            governance.get("neuron_maximum_age_for_age_bonus")
        ),
        "max_age_bonus_percentage": _whole_percent(
            governance.get("neuron_maximum_age_bonus"), "neuron_maximum_age_bonus"
        ),
        "transaction_fee_e8s": _tokens(ledger.get("transaction_fee")),
    }
    parameters = replace(defaults, **{k: v for k, v in changes.items() if v is not None})
    if rewards:
        parameters = replace(
            parameters,
            voting_rewards_parameters=VotingRewardsParameters(
                reward_rate_transition_duration_seconds=_seconds(
                    rewards.get("reward_rate_transition_duration")
                )
                or 0,
                initial_reward_rate_basis_points=_basis_points(rewards.get("initial_reward_rate"))
                or 0,
                final_reward_rate_basis_points=_basis_points(rewards.get("final_reward_rate")) or 0,
            ),
        )
    legacy = tuple(
        name
        for name in ("minimum_icp", "maximum_icp", "neurons_fund_investment_icp")
        if swap.get(name) is not None
    )
    return SnsInitPayload(
        name=value["name"],
        description=value["description"],
        url=value["url"],
        logo=_opt(value["logo"], "base64_encoding"),
        token_name=ledger.get("token_name"),
        token_symbol=ledger.get("token_symbol"),
        token_logo=_opt(ledger.get("token_logo"), "base64_encoding"),
        transaction_fee_e8s=_tokens(ledger.get("transaction_fee")),
        fallback_controller_principal_ids=tuple(value["fallback_controller_principal_ids"]),
        dapp_canisters=tuple(c["id"] for c in value["dapp_canisters"]),
        developer_neurons=tuple(
            DeveloperNeuron(
                controller=n["controller"] or Principal.anonymous(),
                stake_e8s=_tokens(n["stake"]) or 0,
                memo=n["memo"] or 0,
                dissolve_delay_seconds=_seconds(n["dissolve_delay"]) or 0,
                vesting_period_seconds=_seconds(n["vesting_period"]),
            )
            for n in developers
        ),
        treasury_e8s=_tokens(_opt(distribution.get("treasury_distribution"), "total")) or 0,
        swap_e8s=_tokens(_opt(distribution.get("swap_distribution"), "total")) or 0,
        parameters=parameters,
        min_participants=swap.get("minimum_participants"),
        min_direct_participation_icp_e8s=_tokens(swap.get("minimum_direct_participation_icp")),
        max_direct_participation_icp_e8s=_tokens(swap.get("maximum_direct_participation_icp")),
        min_participant_icp_e8s=_tokens(swap.get("minimum_participant_icp")),
        max_participant_icp_e8s=_tokens(swap.get("maximum_participant_icp")),
        basket_count=basket.get("count"),
        basket_dissolve_delay_interval_seconds=_seconds(basket.get("dissolve_delay_interval")),
        confirmation_text=swap.get("confirmation_text"),
        restricted_countries=tuple((swap.get("restricted_countries") or {}).get("iso_codes", [])),
        start_time_of_day_seconds=_opt(swap.get("start_time"), "seconds_after_utc_midnight"),
        duration_seconds=_seconds(swap.get("duration")),
        neurons_fund_participation=bool(swap.get("neurons_fund_participation")),
        legacy_fields=legacy,
    )


def _fail(rule: str, message: str) -> None:
    raise SnsInitError(rule, message)


def _check(ok: bool, rule: str, message: str) -> None:
    if not ok:
        _fail(rule, message)


def validate_metadata(p: SnsInitPayload) -> None:
    for field, text, low, high in (
        ("name", p.name, 1, MAX_NAME_BYTES),
        ("description", p.description, 1, MAX_DESCRIPTION_BYTES),
        ("url", p.url, MIN_URL_BYTES, MAX_URL_BYTES),
        ("token_name", p.token_name, MIN_TOKEN_NAME_BYTES, MAX_TOKEN_NAME_BYTES),
        ("token_symbol", p.token_symbol, MIN_TOKEN_SYMBOL_BYTES, MAX_TOKEN_SYMBOL_BYTES),
    ):
        _check(text is not None, f"metadata.{field}", f"{field} is required")
        size = len((text or "").encode())
        _check(
            low <= size <= high,
            f"metadata.{field}",
            f"{field} has {low} to {high} bytes, not {size}",
        )
    for field, text in (("token_name", p.token_name), ("token_symbol", p.token_symbol)):
        value = text or ""
        _check(value == value.strip(), f"metadata.{field}", f"{field} has surrounding spaces")
        squashed = "".join(value.lower().split())
        _check(
            squashed not in FORBIDDEN_TOKEN_NAMES,
            f"metadata.{field}",
            f"{field} may not impersonate ICP ({value!r})",
        )
    for field, logo in (("logo", p.logo), ("token_logo", p.token_logo)):
        _check(logo is not None, f"metadata.{field}", f"{field} is required")
        _check(
            len((logo or "").encode()) < MAX_LOGO_BYTES,
            f"metadata.{field}",
            f"{field} is at most {MAX_LOGO_BYTES} bytes",
        )
        _check(
            (logo or "").startswith("data:image/png;base64,"),
            f"metadata.{field}",
            f"{field} is a base64 PNG",
        )
    _check(p.transaction_fee_e8s is not None, "metadata.transaction_fee", "the fee is required")


def validate_canisters(p: SnsInitPayload) -> None:
    controllers = p.fallback_controller_principal_ids
    _check(
        1 <= len(controllers) <= MAX_FALLBACK_CONTROLLERS,
        "controllers.count",
        f"there are 1 to {MAX_FALLBACK_CONTROLLERS} fallback controllers, not {len(controllers)}",
    )
    _check(
        len(set(controllers)) == len(controllers),
        "controllers.duplicate",
        "duplicate fallback controller",
    )
    _check(
        all(not c.is_anonymous for c in controllers),
        "controllers.invalid",
        "invalid fallback controller",
    )
    dapps = p.dapp_canisters
    _check(
        len(dapps) <= MAX_DAPP_CANISTERS,
        "dapps.count",
        f"at most {MAX_DAPP_CANISTERS} dapp canisters",
    )
    _check(all(d is not None for d in dapps), "dapps.id", "every dapp canister needs an id")
    _check(len(set(dapps)) == len(dapps), "dapps.duplicate", "duplicate dapp canister")
    for dapp in dapps:
        if dapp is not None and dapp in _nns_canisters():
            _fail("dapps.nns", f"{dapp} is an NNS canister")


def _nns_canisters() -> frozenset[Principal]:
    return frozenset(Principal.from_canister_id(i) for i in range(NNS_CANISTER_INDEX_LIMIT))


def validate_governance(p: SnsInitPayload) -> None:
    q = p.parameters
    rewards = q.voting_rewards_parameters
    _check(
        rewards.initial_reward_rate_basis_points <= INITIAL_REWARD_RATE_BASIS_POINTS_CEILING,
        "governance.initial_reward_rate",
        "the initial reward rate is above the ceiling",
    )
    _check(
        rewards.final_reward_rate_basis_points <= rewards.initial_reward_rate_basis_points,
        "governance.final_reward_rate",
        "the final reward rate exceeds the initial one",
    )
    _check(
        q.max_dissolve_delay_bonus_percentage <= MAX_DISSOLVE_DELAY_BONUS_PERCENTAGE_CEILING,
        "governance.dissolve_delay_bonus",
        "the dissolve-delay bonus is at most 900 %",
    )
    _check(
        q.max_age_bonus_percentage <= MAX_AGE_BONUS_PERCENTAGE_CEILING,
        "governance.age_bonus",
        "the age bonus is at most 400 %",
    )
    _check(
        ONE_DAY_SECONDS <= q.initial_voting_period_seconds <= 30 * ONE_DAY_SECONDS,
        "governance.initial_voting_period",
        "the initial voting period is between 1 and 30 days",
    )
    increase = q.wait_for_quiet_deadline_increase_seconds
    _check(
        1 <= increase <= 30 * ONE_DAY_SECONDS and increase <= q.initial_voting_period_seconds // 2,
        "governance.wait_for_quiet",
        "the wait-for-quiet increase is 1 s to 30 days and at most half the voting period",
    )
    _check(
        q.neuron_minimum_dissolve_delay_to_vote_seconds <= q.max_dissolve_delay_seconds,
        "governance.minimum_dissolve_delay",
        "the minimum dissolve delay to vote exceeds the maximum dissolve delay",
    )
    for neuron in p.developer_neurons:
        _check(
            neuron.stake_e8s >= q.neuron_minimum_stake_e8s,
            "governance.developer_stake",
            f"a developer neuron's stake {neuron.stake_e8s} is below the minimum stake",
        )
    memos = [(n.controller, n.memo) for n in p.developer_neurons]
    _check(len(set(memos)) == len(memos), "distribution.memo", "developer neuron memos repeat")


def validate_distribution(p: SnsInitPayload) -> None:
    _check(p.swap_e8s > 0, "distribution.swap", "the swap allocation must be positive")
    developers = sum(n.stake_e8s for n in p.developer_neurons)
    _check(
        p.swap_e8s >= developers,
        "distribution.swap_vs_developers",
        f"the swap allocation {p.swap_e8s} is below the developer allocation {developers}",
    )


def validate_participation(p: SnsInitPayload) -> None:
    """`validate_participation_constraints`, checks 1 to 9 (§2.3)."""
    values = (
        p.min_participants,
        p.min_direct_participation_icp_e8s,
        p.max_direct_participation_icp_e8s,
        p.min_participant_icp_e8s,
        p.max_participant_icp_e8s,
    )
    if any(v is None for v in values):
        _fail("participation.1", "all five participation values are required")
    min_participants, min_direct, max_direct, min_participant, max_participant = (
        int(v or 0) for v in values
    )
    _check(
        min_direct > 0 and min_participant > 0 and 0 < min_participants <= MAX_U32,
        "participation.2",
        "min_direct_participation_icp, min_participant_icp and min_participants must be positive "
        "(min_participants fits in u32)",
    )
    _check(
        max_direct >= min_direct and max_participant >= min_participant,
        "participation.3",
        "a maximum is below its minimum",
    )
    _check(
        max_participant <= max_direct,
        "participation.4",
        "the per-participant maximum exceeds the direct maximum",
    )
    _check(
        max_direct <= MAX_DIRECT_ICP_E8S, "participation.5", "the direct maximum exceeds 1e9 ICP"
    )
    _check(
        max_direct >= min_participants * min_participant,
        "participation.6",
        "the direct maximum cannot admit min_participants x min_participant_icp",
    )
    fee = p.transaction_fee_e8s or 0
    min_stake = p.parameters.neuron_minimum_stake_e8s
    _check(min_stake > fee, "participation.7", "the neuron minimum stake must exceed the fee")
    count = p.basket_count or 0
    _check(
        min_participant * p.swap_e8s // max(1, max_direct) >= count * (min_stake + fee),
        "participation.8",
        "the smallest participation cannot buy a whole basket of neurons",
    )
    _check(
        min_participant >= MIN_PARTICIPANT_ICP_FLOOR_E8S,
        "participation.9",
        "min_participant_icp is below 0.01 ICP",
    )


def validate_basket(p: SnsInitPayload) -> None:
    count, interval = p.basket_count, p.basket_dissolve_delay_interval_seconds
    _check(
        count is not None and MIN_BASKET_COUNT <= count <= MAX_BASKET_COUNT,
        "basket.count",
        "the basket has 2 to 10 neurons",
    )
    _check(
        interval is not None and interval >= 1, "basket.interval", "the interval is at least 1 s"
    )
    _check(
        (int(count or 0) - 1) * int(interval or 0) <= p.parameters.max_dissolve_delay_seconds,
        "basket.max_dissolve_delay",
        "the basket's longest dissolve delay exceeds the maximum dissolve delay",
    )


def validate_swap_fields(p: SnsInitPayload) -> None:
    _check(
        not p.legacy_fields, "swap.legacy", f"legacy fields {list(p.legacy_fields)} are not allowed"
    )
    _check(
        p.duration_seconds is not None and p.duration_seconds > 0,
        "swap.duration",
        "a duration is required",
    )
    start = p.start_time_of_day_seconds
    _check(
        start is None or 0 <= start < ONE_DAY_SECONDS,
        "swap.start_time",
        "the start time is a time of day",
    )


def validate_common(p: SnsInitPayload) -> None:
    validate_metadata(p)
    validate_canisters(p)
    validate_governance(p)
    validate_distribution(p)
    validate_swap_fields(p)
    validate_basket(p)
    validate_participation(p)


def validate_pre_execution(p: SnsInitPayload) -> None:
    validate_common(p)
    for field in ("nns_proposal_id", "swap_start_timestamp_seconds", "swap_due_timestamp_seconds"):
        _check(
            getattr(p, field) is None, f"pre.{field}", f"{field} must not be set before execution"
        )
    _check(
        p.neurons_fund_constraints is None,
        "pre.neurons_fund_constraints",
        "neurons_fund_participation_constraints must not be set before execution",
    )


def validate_post_execution(p: SnsInitPayload) -> None:
    validate_common(p)
    for field in ("nns_proposal_id", "swap_start_timestamp_seconds", "swap_due_timestamp_seconds"):
        _check(
            getattr(p, field) is not None, f"post.{field}", f"{field} must be set after execution"
        )
    constraints = p.neurons_fund_constraints
    if p.neurons_fund_participation:
        _check(
            constraints is not None, "post.neurons_fund_constraints", "the constraints are missing"
        )
    if constraints is not None:
        threshold = constraints.min_direct_participation_threshold_icp_e8s
        _check(
            (p.min_direct_participation_icp_e8s or 0)
            <= threshold
            <= (p.max_direct_participation_icp_e8s or 0),
            "neurons_fund.threshold",
            "the direct-participation threshold lies outside the swap's direct bounds",
        )
        nf_max = constraints.max_neurons_fund_participation_icp_e8s
        _check(
            nf_max == 0 or nf_max >= (p.min_participant_icp_e8s or 0),
            "neurons_fund.minimum",
            "the fund's maximum is neither 0 nor at least the per-participant minimum",
        )
        _check(
            nf_max <= (p.max_direct_participation_icp_e8s or 0),
            "neurons_fund.maximum",
            "the fund never contributes more than the direct maximum",
        )


def swap_start_and_due_timestamps(
    start_time_of_day_seconds: int, duration_seconds: int, executed_seconds: int
) -> tuple[int, int]:
    """The first time of day `start_time_of_day_seconds` strictly more than 24 h after the
    execution (looking at most two days ahead), and that plus the duration (§2.4)."""
    midnight = executed_seconds - executed_seconds % ONE_DAY_SECONDS
    start = midnight + start_time_of_day_seconds
    for _ in range(3):
        if start > executed_seconds + ONE_DAY_SECONDS:
            break
        start += ONE_DAY_SECONDS
    return start, start + duration_seconds


def random_time_of_day(random_bytes: bytes) -> int:
    """An absent start time: a time of day drawn from the subnet's randomness (mainnet rule)."""
    return int.from_bytes(random_bytes[:8], "big") % ONE_DAY_SECONDS
