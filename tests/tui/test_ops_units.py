"""Durations in governance time, and the ManageNetworkEconomics action the CLI builds."""

from __future__ import annotations

from typing import Any

import pytest

from nns.governance.interface import governance_interface
from nns.governance.parameters import Durations
from replica.candid import encode
from replica.presets import get_preset
from tests.nns.governance.world import make_world
from tui.ops.actions import manage_network_economics
from tui.ops.durations import Duration, describe, parse_duration
from tui.ops.errors import UsageError
from tui.ops.proposals import economics_changes


@pytest.mark.parametrize("preset", ["mainnet", "local", "test"])
def test_a_duration_with_a_unit_is_governance_time_on_every_preset(preset: str) -> None:
    scale = get_preset(preset).governance_time_scale
    durations = Durations.of(get_preset(preset))
    # 8y is governance's maximum dissolve delay, 6mo its minimum to vote, on every preset.
    assert parse_duration("8y").seconds(scale) == durations.max_dissolve_delay_seconds
    assert (
        parse_duration("6mo").seconds(scale)
        == durations.minimum_dissolve_delay_to_vote_upper_bound_seconds
    )
    assert parse_duration("1d").seconds(scale) == durations.one_day_seconds
    assert parse_duration("3600").seconds(scale) == 3600  # a bare number: the network's seconds
    assert describe(durations.max_dissolve_delay_seconds, scale) == "8y"


def test_durations_refuse_what_is_not_one() -> None:
    assert parse_duration(" 1.5h ") == Duration(5400, governance=True)
    assert parse_duration("30min") == Duration(1800, governance=True)
    for text in ("", "30m", "-1d", "abc", "d", "1x"):
        with pytest.raises(UsageError) as refused:
            parse_duration(text)
        assert refused.value.kind == "MalformedDuration"
    assert describe(0, 1) == "0s" and describe(86_400 + 3_600, 1) == "1d 1h"


def test_the_economics_action_sends_zero_for_what_stays_and_decodes_as_governance_reads_it() -> (
    None
):
    action = manage_network_economics(
        {"reject_cost_e8s": 2 * 10**8, "neuron_minimum_dissolve_delay_to_vote_seconds": 1_000}
    )
    spec = governance_interface(make_world().governance).methods["manage_neuron"]
    request: dict[str, Any] = {
        "id": {"id": 1},
        "neuron_id_or_subaccount": None,
        "command": {
            "MakeProposal": {"url": "", "title": "t", "summary": "", "action": action.action}
        },
    }
    decoded = spec.decode_argument(encode(spec.arguments, [request])).command.proposal.action
    assert decoded.economics.reject_cost_e8s == 2 * 10**8
    assert decoded.economics.neuron_minimum_stake_e8s == 0  # zero: inherit the current value
    voting = decoded.economics.voting_power_economics
    assert voting.neuron_minimum_dissolve_delay_to_vote_seconds == 1_000
    assert voting.start_reducing_voting_power_after_seconds == 0
    assert int(action.topic) == 3  # NetworkEconomics
    for wrong in ({}, {"reject_cost_e8s": 0}, {"no_such_field": 1}):
        with pytest.raises(UsageError):
            manage_network_economics(wrong)


def test_the_economics_preview_shows_each_change_from_the_current_value() -> None:
    current = {
        "reject_cost_e8s": 10**8,
        "voting_power_economics": {"neuron_minimum_dissolve_delay_to_vote_seconds": 50},
    }
    given = {"reject_cost_e8s": 2 * 10**8, "neuron_minimum_dissolve_delay_to_vote_seconds": 25}
    assert economics_changes(current, given) == {
        "reject_cost_e8s": {"from": 10**8, "to": 2 * 10**8},
        "neuron_minimum_dissolve_delay_to_vote_seconds": {"from": 50, "to": 25},
    }
