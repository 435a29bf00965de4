"""Every refusal reason of the CreateServiceNervousSystem validation (spec sns.md §2.3, §2.4).

Source: dfinity/ic rs/sns/init/src/lib.rs (`validate_pre_execution`,
`validate_post_execution`, `validate_participation_constraints` checks 1-9) and
rs/nns/governance/src/proposals/create_service_nervous_system.rs (conversion and
start time).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from replica.types import Principal
from sns.init import (
    SnsInitError,
    from_proposal,
    swap_start_and_due_timestamps,
    validate_post_execution,
    validate_pre_execution,
)
from sns.swap.neurons_fund import MatchingFunction, NeuronsFundConstraints
from tests.sns.proposal import DAY, E8S, create_service_nervous_system, seconds, tokens

DEV = Principal.self_authenticating(b"dev")
DAPP = Principal.from_canister_id(1_000)
FALLBACK = [Principal.self_authenticating(b"fallback")]

Edit = Callable[[dict[str, Any]], object]


def proposal() -> dict[str, Any]:
    return create_service_nervous_system(dapps=[DAPP], fallback=FALLBACK, developer=DEV)


def swap(**changes: Any) -> Edit:
    return lambda p: p["swap_parameters"].update(changes)


def governance(**changes: Any) -> Edit:
    return lambda p: p["governance_parameters"].update(changes)


def ledger(**changes: Any) -> Edit:
    return lambda p: p["ledger_parameters"].update(changes)


def top(**changes: Any) -> Edit:
    return lambda p: p.update(changes)


def developer(**changes: Any) -> Edit:
    return lambda p: p["initial_token_distribution"]["developer_distribution"]["developer_neurons"][
        0
    ].update(changes)


def basket(**changes: Any) -> Edit:
    return lambda p: p["swap_parameters"]["neuron_basket_construction_parameters"].update(changes)


CASES: list[tuple[str, Edit]] = [
    ("metadata.name", top(name=None)),
    ("metadata.name", top(name="x" * 256)),
    ("metadata.description", top(description="x" * 2_001)),
    ("metadata.url", top(url="http://a")),
    ("metadata.url", top(url="https://" + "x" * 510)),
    ("metadata.token_symbol", ledger(token_symbol="AB")),
    ("metadata.token_symbol", ledger(token_symbol="ABCDEFGHIJK")),
    ("metadata.token_name", ledger(token_name="Abc")),
    ("metadata.token_name", ledger(token_name=" Dragginz")),
    ("metadata.token_name", ledger(token_name="Internet Computer")),
    ("metadata.token_symbol", ledger(token_symbol="ICP")),
    ("metadata.logo", top(logo=None)),
    ("metadata.logo", top(logo={"base64_encoding": "not a png"})),
    (
        "metadata.token_logo",
        ledger(token_logo={"base64_encoding": "data:image/png;base64," + "A" * 341_334}),
    ),
    ("percentage", governance(neuron_maximum_age_bonus={"basis_points": 2_550})),
    ("controllers.count", top(fallback_controller_principal_ids=[])),
    (
        "controllers.count",
        top(
            fallback_controller_principal_ids=[
                Principal.self_authenticating(bytes([i])) for i in range(16)
            ]
        ),
    ),
    ("controllers.duplicate", top(fallback_controller_principal_ids=FALLBACK * 2)),
    (
        "dapps.count",
        top(dapp_canisters=[{"id": Principal.from_canister_id(2_000 + i)} for i in range(26)]),
    ),
    ("dapps.id", top(dapp_canisters=[{"id": None}])),
    ("dapps.duplicate", top(dapp_canisters=[{"id": DAPP}, {"id": DAPP}])),
    ("dapps.nns", top(dapp_canisters=[{"id": Principal.from_canister_id(1)}])),
    (
        "governance.initial_reward_rate",
        governance(
            voting_reward_parameters={
                "reward_rate_transition_duration": seconds(DAY),
                "initial_reward_rate": {"basis_points": 10_100},
                "final_reward_rate": {"basis_points": 0},
            }
        ),
    ),
    (
        "governance.final_reward_rate",
        governance(
            voting_reward_parameters={
                "reward_rate_transition_duration": seconds(DAY),
                "initial_reward_rate": {"basis_points": 100},
                "final_reward_rate": {"basis_points": 200},
            }
        ),
    ),
    (
        "governance.dissolve_delay_bonus",
        governance(neuron_maximum_dissolve_delay_bonus={"basis_points": 90_100}),
    ),
    ("governance.age_bonus", governance(neuron_maximum_age_bonus={"basis_points": 40_100})),
    (
        "governance.initial_voting_period",
        governance(proposal_initial_voting_period=seconds(DAY - 1)),
    ),
    (
        "governance.initial_voting_period",
        governance(proposal_initial_voting_period=seconds(31 * DAY)),
    ),
    ("governance.wait_for_quiet", governance(proposal_wait_for_quiet_deadline_increase=seconds(0))),
    (
        "governance.wait_for_quiet",
        governance(proposal_wait_for_quiet_deadline_increase=seconds(3 * DAY)),
    ),
    (
        "governance.minimum_dissolve_delay",
        governance(neuron_minimum_dissolve_delay_to_vote=seconds(9 * 365 * DAY)),
    ),
    ("governance.developer_stake", developer(stake=tokens(E8S - 1))),
    (
        "distribution.swap",
        lambda p: p["initial_token_distribution"].update(swap_distribution={"total": tokens(0)}),
    ),
    (
        "distribution.swap_vs_developers",
        lambda p: p["initial_token_distribution"].update(
            swap_distribution={"total": tokens(999 * E8S)}
        ),
    ),
    ("swap.legacy", swap(minimum_icp=tokens(E8S))),
    ("swap.legacy", swap(neurons_fund_investment_icp=tokens(E8S))),
    ("swap.duration", swap(duration=None)),
    ("swap.start_time", swap(start_time={"seconds_after_utc_midnight": DAY})),
    ("basket.count", basket(count=1)),
    ("basket.count", basket(count=11)),
    ("basket.interval", basket(dissolve_delay_interval=seconds(0))),
    ("basket.max_dissolve_delay", basket(count=10, dissolve_delay_interval=seconds(365 * DAY))),
    ("participation.1", swap(minimum_participants=None)),
    ("participation.1", swap(maximum_participant_icp=None)),
    ("participation.2", swap(minimum_participants=0)),
    ("participation.2", swap(minimum_participants=2**32)),
    ("participation.2", swap(minimum_direct_participation_icp=tokens(0))),
    ("participation.3", swap(maximum_direct_participation_icp=tokens(20 * E8S))),
    ("participation.3", swap(maximum_participant_icp=tokens(5 * E8S))),
    ("participation.4", swap(maximum_participant_icp=tokens(300 * E8S))),
    (
        "participation.5",
        lambda p: p["swap_parameters"].update(
            maximum_direct_participation_icp=tokens(1_000_000_001 * E8S),
            maximum_participant_icp=tokens(1_000_000_001 * E8S),
        ),
    ),
    ("participation.6", swap(minimum_participants=21)),
    ("participation.7", ledger(transaction_fee=tokens(E8S))),
    ("participation.8", governance(neuron_minimum_stake=tokens(200 * E8S))),
    (
        "participation.9",
        lambda p: (
            p["swap_parameters"].update(minimum_participant_icp=tokens(999_999)),
            p["initial_token_distribution"].update(
                swap_distribution={"total": tokens(100_000 * E8S)}
            ),
        ),
    ),
]


def test_the_valid_proposal_passes_the_pre_execution_check() -> None:
    payload = from_proposal(proposal())
    validate_pre_execution(payload)
    assert payload.swap_e8s == 10_000 * E8S and payload.parameters.max_age_bonus_percentage == 25


@pytest.mark.parametrize(
    ("rule", "edit"), CASES, ids=[f"{r}-{i}" for i, (r, _) in enumerate(CASES)]
)
def test_each_reason_refuses(rule: str, edit: Edit) -> None:
    value = copy.deepcopy(proposal())
    edit(value)
    with pytest.raises(SnsInitError) as refused:
        validate_pre_execution(from_proposal(value))
    assert refused.value.rule == rule


def test_every_numbered_participation_check_has_a_case() -> None:
    assert {r for r, _ in CASES if r.startswith("participation.")} == {
        f"participation.{n}" for n in range(1, 10)
    }


def constraints(threshold: int, maximum: int) -> NeuronsFundConstraints:
    return NeuronsFundConstraints(
        min_direct_participation_threshold_icp_e8s=threshold,
        max_neurons_fund_participation_icp_e8s=maximum,
        matching=MatchingFunction.for_total_maturity(10_000 * E8S),
    )


def test_pre_and_post_execution_fields() -> None:
    payload = from_proposal(
        create_service_nervous_system(
            dapps=[DAPP], fallback=FALLBACK, developer=DEV, neurons_fund=True
        )
    )
    executed = replace(
        payload,
        nns_proposal_id=7,
        swap_start_timestamp_seconds=100,
        swap_due_timestamp_seconds=200,
        neurons_fund_constraints=constraints(50 * E8S, 100 * E8S),
    )
    validate_post_execution(executed)
    for field, rule in (
        ("nns_proposal_id", "pre.nns_proposal_id"),
        ("swap_start_timestamp_seconds", "pre.swap_start_timestamp_seconds"),
        ("swap_due_timestamp_seconds", "pre.swap_due_timestamp_seconds"),
        ("neurons_fund_constraints", "pre.neurons_fund_constraints"),
    ):
        with pytest.raises(SnsInitError) as refused:
            validate_pre_execution(replace(payload, **{field: getattr(executed, field)}))
        assert refused.value.rule == rule
        with pytest.raises(SnsInitError) as missing:
            validate_post_execution(replace(executed, **{field: None}))  # type: ignore[arg-type]
        assert missing.value.rule == rule.replace("pre.", "post.")
    for bad, rule in (
        (constraints(20 * E8S, 100 * E8S), "neurons_fund.threshold"),
        (constraints(300 * E8S, 100 * E8S), "neurons_fund.threshold"),
        (constraints(50 * E8S, 5 * E8S), "neurons_fund.minimum"),
        (constraints(50 * E8S, 201 * E8S), "neurons_fund.maximum"),
    ):
        with pytest.raises(SnsInitError) as refused:
            validate_post_execution(replace(executed, neurons_fund_constraints=bad))
        assert refused.value.rule == rule


def test_swap_start_time_rule() -> None:
    executed = 10 * DAY + 3_600  # 01:00 UTC on day 10
    # 02:00 is 25 h later on the next day: strictly more than 24 h after execution
    assert swap_start_and_due_timestamps(7_200, 7 * DAY, executed) == (
        11 * DAY + 7_200,
        18 * DAY + 7_200,
    )
    # 00:30 the next day is only 23.5 h away: the day after
    assert swap_start_and_due_timestamps(1_800, DAY, executed)[0] == 12 * DAY + 1_800
    # exactly 24 h later is not strictly more: the day after
    assert swap_start_and_due_timestamps(3_600, DAY, executed)[0] == 12 * DAY + 3_600
