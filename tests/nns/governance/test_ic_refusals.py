"""ManageNeuron refusals of Configure, Split, Spawn, StakeMaturity and ClaimOrRefresh: each with
the IC's error type and text, checked in the IC's order (rs/nns/governance/src/governance.rs
split_neuron, spawn_neuron, stake_maturity_of_neuron, configure_neuron, claim_neuron and
refresh_neuron; rs/nns/governance/src/neuron/types.rs Neuron::configure)."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from nns.governance.enums import ErrorType
from nns.governance.errors import GovernanceError
from nns.governance.requests import (
    AddHotKey,
    ClaimByNeuronIdOrSubaccount,
    ClaimOrRefresh,
    Configure,
    ConfigureOperation,
    IncreaseDissolveDelay,
    JoinCommunityFund,
    SetDissolveTimestamp,
    SetVisibility,
    Spawn,
    Split,
    StakeMaturity,
    StartDissolving,
    StopDissolving,
)
from nns.governance.settings import ECONOMICS
from tests.nns.governance.test_neuron_commands import refused
from tests.nns.governance.world import E8S, World, make_world, principal

ALICE, BOB = principal("alice"), principal("bob")
FEE = 10_000


def with_maturity(world: World, neuron_id: int, maturity_e8s: int) -> None:
    with world.governance.transaction() as session:
        world.governance.state.put_neuron(
            session, replace(world.neuron(neuron_id), maturity_e8s_equivalent=maturity_e8s)
        )


def spawning_neuron(world: World) -> int:
    parent = world.stake("alice", 10, memo=7)
    with_maturity(world, parent, 10 * E8S)
    child: int = world.manage(ALICE, parent, Spawn(nonce=99)).created_neuron_id
    return child


def test_split_checks_spawning_then_the_controller_then_the_amounts() -> None:
    world = make_world()
    neuron_id = world.stake("alice", 10)
    child = spawning_neuron(world)
    error = refused(
        world,
        ErrorType.PRECONDITION_FAILED,
        partial(world.manage, ALICE, child, Split(amount_e8s=E8S)),
    )
    assert error.error_message == "Can't perform operation on neuron: Neuron is spawning."
    # A stranger is NotAuthorized (no text) before any amount is looked at.
    error = refused(
        world, ErrorType.NOT_AUTHORIZED, partial(world.manage, BOB, neuron_id, Split(amount_e8s=1))
    )
    assert error.error_message == ""
    error = refused(
        world,
        ErrorType.INSUFFICIENT_FUNDS,
        partial(world.manage, ALICE, neuron_id, Split(amount_e8s=E8S)),
    )
    assert error.error_message == (
        f"Trying to split a neuron with argument {E8S} e8s. This is too little: at the minimum, "
        f"one needs the minimum neuron stake, which is {E8S} e8s, plus the transaction fee, "
        f"which is {FEE}. Hence the minimum split amount is {E8S + FEE}."
    )
    error = refused(
        world,
        ErrorType.INSUFFICIENT_FUNDS,
        partial(world.manage, ALICE, neuron_id, Split(amount_e8s=9 * E8S + 1)),
    )
    assert error.error_message.endswith("the minimum allowed stake, which is 100000000 e8s. ")
    world.manage(ALICE, neuron_id, Split(amount_e8s=2 * E8S, memo=5))
    error = refused(
        world,
        ErrorType.PRECONDITION_FAILED,
        partial(world.manage, ALICE, neuron_id, Split(amount_e8s=2 * E8S, memo=5)),
    )
    assert error.error_message == "There is already a neuron with the same subaccount."


def test_spawn_checks_in_the_ics_order_with_its_types() -> None:
    world = make_world()
    neuron_id = world.stake("alice", 10)
    child = spawning_neuron(world)
    error = refused(
        world, ErrorType.PRECONDITION_FAILED, partial(world.manage, ALICE, child, Spawn())
    )
    assert error.error_message == "Can't perform operation on neuron: Target neuron is spawning."
    error = refused(
        world,
        ErrorType.NOT_AUTHORIZED,
        partial(world.manage, BOB, neuron_id, Spawn(percentage_to_spawn=0)),
    )
    assert error.error_message == ""
    error = refused(
        world,
        ErrorType.PRECONDITION_FAILED,
        partial(world.manage, ALICE, neuron_id, Spawn(percentage_to_spawn=101)),
    )
    assert error.error_message == (
        "The percentage of maturity to spawn must be a value between 1 and 100 (inclusive)."
    )
    # 95% of the maturity (the worst modulation) must reach the minimum stake, as the IC computes it.
    with_maturity(world, neuron_id, 105_263_157)  # * 0.95 = 99_999_999.15
    error = refused(
        world, ErrorType.INSUFFICIENT_FUNDS, partial(world.manage, ALICE, neuron_id, Spawn())
    )
    assert error.error_message == (
        "There isn't enough maturity to spawn a new neuron due to worst case maturity modulation."
    )
    with_maturity(world, neuron_id, 105_263_158)  # * 0.95 = 100_000_000.1
    world.manage(ALICE, neuron_id, Spawn(nonce=3))
    with_maturity(world, neuron_id, 2 * E8S)
    error = refused(
        world,
        ErrorType.PRECONDITION_FAILED,
        partial(world.manage, ALICE, neuron_id, Spawn(nonce=3)),
    )
    assert error.error_message == "There is already a neuron with the same subaccount."


def test_stake_maturity_checks_spawning_then_the_controller_then_the_percentage() -> None:
    world = make_world()
    neuron_id = world.stake("alice", 10)
    child = spawning_neuron(world)
    error = refused(
        world, ErrorType.PRECONDITION_FAILED, partial(world.manage, ALICE, child, StakeMaturity())
    )
    assert error.error_message == "Can't perform operation on neuron: Neuron is spawning."
    refused(
        world,
        ErrorType.NOT_AUTHORIZED,
        partial(world.manage, BOB, neuron_id, StakeMaturity(percentage_to_stake=0)),
    )
    error = refused(
        world,
        ErrorType.PRECONDITION_FAILED,
        partial(world.manage, ALICE, neuron_id, StakeMaturity(percentage_to_stake=0)),
    )
    assert error.error_message == (
        "The percentage of maturity to stake must be a value between 0 (exclusive) and 100 (inclusive)."
    )


def test_configure_refusals_carry_the_ics_types_and_texts() -> None:
    world = make_world()
    neuron_id = world.stake("alice", 10)
    now = world.now()
    error = refused(
        world,
        ErrorType.INVALID_COMMAND,
        partial(world.manage, BOB, neuron_id, Configure(operation=None)),
    )
    assert error.error_message == "Configure must have an operation."  # before who may
    error = refused(
        world,
        ErrorType.NOT_AUTHORIZED,
        partial(world.manage, BOB, neuron_id, Configure(operation=StartDissolving())),
    )
    assert error.error_message.startswith(f"Caller '{BOB}' must be the controller of the neuron")
    error = refused(
        world,
        ErrorType.NOT_AUTHORIZED,
        partial(world.manage, BOB, neuron_id, Configure(operation=JoinCommunityFund())),
    )
    assert (
        "controller or hotkey of the neuron to join or leave the neuron fund" in error.error_message
    )
    cases: list[tuple[ConfigureOperation, ErrorType, str]] = [
        (
            IncreaseDissolveDelay(additional_dissolve_delay_seconds=0),
            ErrorType.INVALID_COMMAND,
            "Additional delay is 0.",
        ),
        (
            SetDissolveTimestamp(dissolve_timestamp_seconds=now - 1),
            ErrorType.INVALID_COMMAND,
            "The dissolve delay must be set to a future time.",
        ),
        (
            SetDissolveTimestamp(dissolve_timestamp_seconds=now + 1),
            ErrorType.INVALID_COMMAND,
            "Can't set a dissolve delay that is smaller than the current dissolve delay.",
        ),
        (StopDissolving(), ErrorType.REQUIRES_DISSOLVING, ""),
        (SetVisibility(visibility=None), ErrorType.INVALID_COMMAND, "No visibility specified."),
        (
            SetVisibility(visibility=7),
            ErrorType.INVALID_COMMAND,
            f"Tried to set the visibility of neuron {neuron_id} to 7, but that is not a valid value.",
        ),
    ]
    for operation, error_type, message in cases:
        error = refused(
            world,
            error_type,
            partial(world.manage, ALICE, neuron_id, Configure(operation=operation)),
        )
        assert error.error_message == message, operation
    delay = world.neuron(neuron_id).dissolve_delay_seconds
    assert delay is not None
    error = refused(
        world,
        ErrorType.INVALID_COMMAND,
        partial(
            world.manage,
            ALICE,
            neuron_id,
            Configure(operation=SetDissolveTimestamp(dissolve_timestamp_seconds=now + delay)),
        ),
    )
    assert error.error_message == "Additional delay is 0."
    world.manage(ALICE, neuron_id, Configure(operation=StartDissolving()))
    error = refused(
        world,
        ErrorType.REQUIRES_NOT_DISSOLVING,
        partial(world.manage, ALICE, neuron_id, Configure(operation=StartDissolving())),
    )
    assert error.error_message == ""
    world.manage(ALICE, neuron_id, Configure(operation=JoinCommunityFund()))
    error = refused(
        world,
        ErrorType.ALREADY_JOINED_COMMUNITY_FUND,
        partial(world.manage, ALICE, neuron_id, Configure(operation=JoinCommunityFund())),
    )
    assert error.error_message == ""
    world.manage(ALICE, neuron_id, Configure(operation=AddHotKey(new_hot_key=BOB)))
    error = refused(
        world,
        ErrorType.HOT_KEY,
        partial(world.manage, ALICE, neuron_id, Configure(operation=AddHotKey(new_hot_key=BOB))),
    )
    assert error.error_message == "Hot key duplicated."


def test_refreshing_a_neuron_below_the_minimum_stake_says_refresh() -> None:
    world = make_world()
    neuron_id = world.stake("alice", 10)
    with world.governance.transaction() as session:  # the minimum stake rises above the account
        economics = replace(world.governance.economics, neuron_minimum_stake_e8s=20 * E8S)
        world.governance.state.put(session, ECONOMICS, economics)
    # The answer of the ledger's callback: an error reply, nothing changed.
    error = world.manage(BOB, neuron_id, ClaimOrRefresh(by=ClaimByNeuronIdOrSubaccount()))
    assert isinstance(error, GovernanceError) and error.error_type == ErrorType.INSUFFICIENT_FUNDS
    assert error.error_message == (
        "Account does not have enough funds to refresh a neuron. Please make sure that account "
        f"has at least {20 * E8S} e8s (was {10 * E8S} e8s)"
    )
