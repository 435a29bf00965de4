"""A valid CreateServiceNervousSystem proposal record (Candid values), for tests and tools."""

from __future__ import annotations

from typing import Any

from replica.types import Principal

E8S = 100_000_000
DAY = 86_400
LOGO = "data:image/png;base64,iVBORw0KGgo="


def tokens(e8s: int) -> dict[str, int]:
    return {"e8s": e8s}


def seconds(value: int) -> dict[str, int]:
    return {"seconds": value}


def create_service_nervous_system(
    *,
    dapps: list[Principal],
    fallback: list[Principal],
    developer: Principal,
    neurons_fund: bool = False,
    start_time_of_day: int | None = 0,
    min_participants: int = 3,
    min_direct_icp: int = 30,
    max_direct_icp: int = 200,
    min_participant_icp: int = 10,
    max_participant_icp: int = 100,
) -> dict[str, Any]:
    return {
        "name": "Dragginz",
        "description": "A game run by its players",
        "url": "https://dragginz.example",
        "logo": {"base64_encoding": LOGO},
        "fallback_controller_principal_ids": fallback,
        "dapp_canisters": [{"id": d} for d in dapps],
        "ledger_parameters": {
            "transaction_fee": tokens(10_000),
            "token_symbol": "DKP",
            "token_logo": {"base64_encoding": LOGO},
            "token_name": "Dragginz Tokens",
        },
        "governance_parameters": {
            "neuron_maximum_dissolve_delay_bonus": {"basis_points": 10_000},
            "neuron_maximum_age_for_age_bonus": seconds(4 * 365 * DAY),
            "neuron_maximum_dissolve_delay": seconds(8 * 365 * DAY),
            "neuron_minimum_dissolve_delay_to_vote": seconds(30 * DAY),
            "neuron_maximum_age_bonus": {"basis_points": 2_500},
            "neuron_minimum_stake": tokens(E8S),
            "proposal_wait_for_quiet_deadline_increase": seconds(DAY),
            "proposal_initial_voting_period": seconds(4 * DAY),
            "proposal_rejection_fee": tokens(E8S),
            "voting_reward_parameters": {
                "reward_rate_transition_duration": seconds(365 * DAY),
                "initial_reward_rate": {"basis_points": 1_000},
                "final_reward_rate": {"basis_points": 200},
            },
        },
        "initial_token_distribution": {
            "developer_distribution": {
                "developer_neurons": [
                    {
                        "controller": developer,
                        "dissolve_delay": seconds(180 * DAY),
                        "memo": 0,
                        "vesting_period": seconds(365 * DAY),
                        "stake": tokens(1_000 * E8S),
                    }
                ]
            },
            "treasury_distribution": {"total": tokens(5_000 * E8S)},
            "swap_distribution": {"total": tokens(10_000 * E8S)},
        },
        "swap_parameters": {
            "minimum_participants": min_participants,
            "neurons_fund_investment_icp": None,
            "duration": seconds(7 * DAY),
            "neuron_basket_construction_parameters": {
                "dissolve_delay_interval": seconds(90 * DAY),
                "count": 3,
            },
            "confirmation_text": None,
            "maximum_participant_icp": tokens(max_participant_icp * E8S),
            "minimum_icp": None,
            "minimum_direct_participation_icp": tokens(min_direct_icp * E8S),
            "minimum_participant_icp": tokens(min_participant_icp * E8S),
            "start_time": None
            if start_time_of_day is None
            else {"seconds_after_utc_midnight": start_time_of_day},
            "maximum_direct_participation_icp": tokens(max_direct_icp * E8S),
            "maximum_icp": None,
            "neurons_fund_participation": neurons_fund,
            "restricted_countries": None,
        },
    }
