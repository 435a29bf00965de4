"""Neuron creation is rate limited as on the IC (rs/nns/governance/src/governance.rs:
MAX_SUSTAINED_NEURONS_PER_HOUR = 15, MAX_NEURON_CREATION_SPIKE = 300, one new slot every
3600 / 15 s): 300 claims at once, then one per slot; the interval is governance time, so it
scales with the preset as every other governance duration does."""

from __future__ import annotations

from functools import partial

import pytest

from nns.governance.enums import ErrorType
from nns.governance.neuron import compute_neuron_staking_subaccount
from nns.governance.requests import ClaimByMemo, ClaimOrRefresh
from nns.ledger.accounts import AccountIdentifier
from nns.ledger.types import TransferArgs
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID, LEDGER_CANISTER_ID
from replica.presets import LOCAL, MAINNET, Preset
from tests.nns.governance.test_neuron_commands import refused
from tests.nns.governance.world import E8S, World, make_world, principal

ALICE = principal("alice")


def send_stake(world: World, memo: int) -> None:
    subaccount = compute_neuron_staking_subaccount(ALICE, memo)
    world.router.call(
        LEDGER_CANISTER_ID,
        "transfer",
        ALICE,
        TransferArgs(
            memo=memo,
            amount_e8s=E8S,
            fee_e8s=10_000,
            from_subaccount=None,
            to=AccountIdentifier.of(GOVERNANCE_CANISTER_ID, subaccount),
        ),
    )


def claim(world: World, memo: int) -> int:
    neuron_id: int = world.manage(
        ALICE, None, ClaimOrRefresh(by=ClaimByMemo(memo=memo))
    ).refreshed_neuron_id
    return neuron_id


@pytest.mark.parametrize(("preset", "interval"), [(MAINNET, 240), (LOCAL, 1)])
def test_300_neurons_at_once_then_one_per_slot_of_governance_time(
    preset: Preset, interval: int
) -> None:
    world = make_world(preset=preset, balances_icp={"alice": 400})
    assert world.governance.durations.neuron_creation_interval_seconds == interval
    for memo in range(300):
        send_stake(world, memo)
        claim(world, memo)
    send_stake(world, 300)
    error = refused(world, ErrorType.UNAVAILABLE, partial(claim, world, 300))
    assert error.error_message == (
        "Reached maximum number of neurons that can be created in this hour. "
        "Please wait and try again later."
    )
    world.advance(seconds=interval, tick=False)
    assert claim(world, 300) > 0
    send_stake(world, 301)
    refused(world, ErrorType.UNAVAILABLE, partial(claim, world, 301))
    # A claim of an existing neuron is a refresh: it takes no slot.
    assert claim(world, 300) == claim(world, 300)
