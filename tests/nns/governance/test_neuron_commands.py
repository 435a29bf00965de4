"""ManageNeuron commands: their effects on neurons and the ledger, and their refusals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nns.governance.enums import ErrorType, NeuronState, Topic, Visibility
from nns.governance.errors import GovernanceError
from nns.governance.neuron import get_dissolve_delay_seconds, get_state
from nns.governance.requests import (
    AddHotKey,
    ChangeAutoStakeMaturity,
    ClaimByMemo,
    ClaimOrRefresh,
    Configure,
    Disburse,
    DisburseMaturity,
    DisburseToNeuron,
    FolloweesForTopic,
    IncreaseDissolveDelay,
    JoinCommunityFund,
    LeaveCommunityFund,
    ManageNeuronRequest,
    Merge,
    MergeMaturity,
    NeuronIdOrSubaccount,
    RemoveHotKey,
    SetDissolveTimestamp,
    SetFollowing,
    SetVisibility,
    Spawn,
    Split,
    StakeMaturity,
    StartDissolving,
    StopDissolving,
)
from nns.ledger.accounts import AccountIdentifier
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID
from tests.nns.governance.world import (
    E8S,
    ONE_DAY,
    SIX_MONTHS,
    World,
    make_world,
    memory_matches_tables,
    principal,
)

ALICE = principal("alice")
FEE = 10_000


def refused(world: World, error_type: ErrorType, call: Callable[[], Any]) -> GovernanceError:
    """The call must be refused with this error type and leave governance and ledger unchanged."""
    governance, ledger = world.governance.state_hash(), world.ledger.state_hash()
    with pytest.raises(GovernanceError) as raised:
        call()
    assert raised.value.error_type == error_type, raised.value
    assert world.governance.state_hash() == governance
    assert world.ledger.state_hash() == ledger
    assert memory_matches_tables(world.governance)
    return raised.value


def give_maturity(world: World, neuron_id: int, maturity_e8s: int) -> None:
    from dataclasses import replace

    with world.governance.transaction() as session:
        world.governance.state.put_neuron(
            session, replace(world.neuron(neuron_id), maturity_e8s_equivalent=maturity_e8s)
        )


def test_claim_creates_a_neuron_with_seven_day_delay() -> None:
    world = make_world()
    neuron_id = world.stake("alice", 5, delay_seconds=None)
    neuron = world.neuron(neuron_id)
    assert neuron.cached_neuron_stake_e8s == 5 * E8S
    assert neuron.dissolve_delay_seconds == 7 * ONE_DAY
    assert neuron.controller == ALICE
    assert world.governance.get_neuron_ids(ALICE) == (neuron_id,)


def test_claim_below_minimum_stake_is_refused() -> None:
    world = make_world()
    from nns.governance.neuron import compute_neuron_staking_subaccount
    from nns.ledger.types import TransferArgs

    subaccount = compute_neuron_staking_subaccount(ALICE, 9)
    world.router.call(
        world.governance.ledger_id,
        "transfer",
        ALICE,
        TransferArgs(
            memo=9,
            amount_e8s=E8S // 2,
            fee_e8s=FEE,
            from_subaccount=None,
            to=AccountIdentifier.of(GOVERNANCE_CANISTER_ID, subaccount),
        ),
    )
    before = world.governance.state_hash()
    outcome = world.manage(ALICE, None, ClaimOrRefresh(by=ClaimByMemo(memo=9)))
    assert isinstance(outcome, GovernanceError)
    assert outcome.error_type == ErrorType.INSUFFICIENT_FUNDS
    assert world.governance.state.neurons == {}
    assert world.governance.state_hash() == before


def test_neuron_by_subaccount_and_both_ids_refused() -> None:
    world = make_world()
    neuron_id = world.stake("alice", 5)
    subaccount = world.neuron(neuron_id).subaccount
    world.router.call(
        GOVERNANCE_CANISTER_ID,
        "manage_neuron",
        ALICE,
        ManageNeuronRequest(
            command=Configure(operation=IncreaseDissolveDelay(additional_dissolve_delay_seconds=1)),
            neuron_id_or_subaccount=NeuronIdOrSubaccount(subaccount=subaccount),
        ),
    )
    assert world.neuron(neuron_id).dissolve_delay_seconds == SIX_MONTHS + 1
    refused(
        world,
        ErrorType.PRECONDITION_FAILED,
        lambda: world.router.call(
            GOVERNANCE_CANISTER_ID,
            "manage_neuron",
            ALICE,
            ManageNeuronRequest(
                command=Configure(operation=StartDissolving()),
                neuron_id_or_subaccount=NeuronIdOrSubaccount(neuron_id=neuron_id),
                id=neuron_id,
            ),
        ),
    )


def test_dissolve_delay_is_capped_at_eight_years() -> None:
    world = make_world()
    neuron_id = world.stake("alice", 5)
    world.manage(
        ALICE,
        neuron_id,
        Configure(operation=IncreaseDissolveDelay(additional_dissolve_delay_seconds=2**32 - 1)),
    )
    assert world.neuron(neuron_id).dissolve_delay_seconds == 8 * 31_557_600
    refused(
        world,
        ErrorType.INVALID_COMMAND,
        lambda: world.manage(
            ALICE,
            neuron_id,
            Configure(operation=IncreaseDissolveDelay(additional_dissolve_delay_seconds=0)),
        ),
    )
    refused(
        world,
        ErrorType.INVALID_COMMAND,
        lambda: world.manage(
            ALICE,
            neuron_id,
            Configure(operation=IncreaseDissolveDelay(additional_dissolve_delay_seconds=2**32)),
        ),
    )


def test_start_stop_dissolving_and_set_dissolve_timestamp() -> None:
    world = make_world()
    neuron_id = world.stake("alice", 5)
    refused(
        world,
        ErrorType.REQUIRES_DISSOLVING,
        lambda: world.manage(ALICE, neuron_id, Configure(operation=StopDissolving())),
    )
    world.manage(ALICE, neuron_id, Configure(operation=StartDissolving()))
    assert get_state(world.neuron(neuron_id), world.now()) == NeuronState.DISSOLVING
    refused(
        world,
        ErrorType.REQUIRES_NOT_DISSOLVING,
        lambda: world.manage(ALICE, neuron_id, Configure(operation=StartDissolving())),
    )
    world.advance(days=10)
    world.manage(ALICE, neuron_id, Configure(operation=StopDissolving()))
    assert world.neuron(neuron_id).dissolve_delay_seconds == SIX_MONTHS - 10 * ONE_DAY
    target = world.now() + SIX_MONTHS + 100
    world.manage(
        ALICE,
        neuron_id,
        Configure(operation=SetDissolveTimestamp(dissolve_timestamp_seconds=target)),
    )
    assert get_dissolve_delay_seconds(world.neuron(neuron_id), world.now()) == SIX_MONTHS + 100
    refused(
        world,
        ErrorType.INVALID_COMMAND,
        lambda: world.manage(
            ALICE,
            neuron_id,
            Configure(operation=SetDissolveTimestamp(dissolve_timestamp_seconds=world.now() + 5)),
        ),
    )


def test_increase_delay_of_a_dissolved_neuron_relocks_it() -> None:
    world = make_world()
    neuron_id = world.stake("alice", 5, delay_seconds=None)
    world.manage(ALICE, neuron_id, Configure(operation=StartDissolving()))
    world.advance(days=8)
    assert get_state(world.neuron(neuron_id), world.now()) == NeuronState.DISSOLVED
    world.manage(
        ALICE,
        neuron_id,
        Configure(operation=IncreaseDissolveDelay(additional_dissolve_delay_seconds=ONE_DAY)),
    )
    neuron = world.neuron(neuron_id)
    assert (
        neuron.dissolve_delay_seconds == ONE_DAY
        and neuron.aging_since_timestamp_seconds == world.now()
    )


def test_hot_keys_and_their_limits() -> None:
    world = make_world()
    neuron_id = world.stake("alice", 5)
    for index in range(10):
        world.manage(
            ALICE, neuron_id, Configure(operation=AddHotKey(new_hot_key=principal(f"hot{index}")))
        )
    refused(
        world,
        ErrorType.HOT_KEY,
        lambda: world.manage(
            ALICE, neuron_id, Configure(operation=AddHotKey(new_hot_key=principal("hot0")))
        ),
    )
    refused(
        world,
        ErrorType.RESOURCE_EXHAUSTED,
        lambda: world.manage(
            ALICE, neuron_id, Configure(operation=AddHotKey(new_hot_key=principal("x")))
        ),
    )
    world.manage(
        ALICE, neuron_id, Configure(operation=RemoveHotKey(hot_key_to_remove=principal("hot3")))
    )
    assert principal("hot3") not in world.neuron(neuron_id).hot_keys
    refused(
        world,
        ErrorType.NOT_FOUND,
        lambda: world.manage(
            ALICE, neuron_id, Configure(operation=RemoveHotKey(hot_key_to_remove=principal("hot3")))
        ),
    )
    assert neuron_id in world.governance.get_neuron_ids(principal("hot1"))


def test_neurons_fund_membership_visibility_and_auto_stake() -> None:
    world = make_world()
    neuron_id = world.stake("alice", 5)
    world.manage(ALICE, neuron_id, Configure(operation=JoinCommunityFund()))
    assert world.neuron(neuron_id).joined_community_fund_timestamp_seconds == world.now()
    refused(
        world,
        ErrorType.ALREADY_JOINED_COMMUNITY_FUND,
        lambda: world.manage(ALICE, neuron_id, Configure(operation=JoinCommunityFund())),
    )
    world.manage(ALICE, neuron_id, Configure(operation=LeaveCommunityFund()))
    refused(
        world,
        ErrorType.NOT_IN_THE_COMMUNITY_FUND,
        lambda: world.manage(ALICE, neuron_id, Configure(operation=LeaveCommunityFund())),
    )
    assert world.neuron(neuron_id).visibility == Visibility.PRIVATE
    world.manage(ALICE, neuron_id, Configure(operation=SetVisibility(visibility=2)))
    assert world.neuron(neuron_id).visibility == Visibility.PUBLIC
    refused(
        world,
        ErrorType.INVALID_COMMAND,
        lambda: world.manage(ALICE, neuron_id, Configure(operation=SetVisibility(visibility=7))),
    )
    world.manage(
        ALICE,
        neuron_id,
        Configure(
            operation=ChangeAutoStakeMaturity(requested_setting_for_auto_stake_maturity=True)
        ),
    )
    assert world.neuron(neuron_id).auto_stake_maturity


def test_follow_validation_and_restrictions() -> None:
    world = make_world()
    follower, private, public = (
        world.stake("alice", 5),
        world.stake("bob", 5),
        world.stake("carol", 5),
    )
    world.make_public("carol", public)
    refused(
        world,
        ErrorType.PRECONDITION_FAILED,
        lambda: world.follow("alice", follower, Topic.NODE_ADMIN, [private]),
    )
    refused(world, ErrorType.INVALID_COMMAND, lambda: world.follow("alice", follower, 99, [public]))
    refused(
        world,
        ErrorType.INVALID_COMMAND,
        lambda: world.follow("alice", follower, Topic.NODE_ADMIN, [public] * 16),
    )
    refused(
        world, ErrorType.PRECONDITION_FAILED, lambda: world.follow("alice", follower, 0, [123456])
    )
    world.follow("alice", follower, Topic.NODE_ADMIN, [public, public])
    assert world.neuron(follower).followees[Topic.NODE_ADMIN] == (public, public)
    world.follow("alice", follower, Topic.NODE_ADMIN, [])
    assert Topic.NODE_ADMIN not in world.neuron(follower).followees
    # a neuron of the same controller may be followed while private
    own = world.stake("alice", 5, memo=1)
    world.follow("alice", follower, Topic.NODE_ADMIN, [own])


def test_set_following_is_atomic() -> None:
    world = make_world()
    follower, public = world.stake("alice", 5), world.stake("carol", 5)
    world.make_public("carol", public)
    command = SetFollowing(
        topic_following=(
            FolloweesForTopic(topic=Topic.NODE_ADMIN, followees=(public,)),
            FolloweesForTopic(topic=Topic.KYC, followees=(424242,)),
        )
    )
    refused(world, ErrorType.PRECONDITION_FAILED, lambda: world.manage(ALICE, follower, command))
    duplicate = SetFollowing(
        topic_following=(
            FolloweesForTopic(topic=Topic.NODE_ADMIN, followees=(public,)),
            FolloweesForTopic(topic=Topic.NODE_ADMIN, followees=(public,)),
        )
    )
    refused(world, ErrorType.INVALID_COMMAND, lambda: world.manage(ALICE, follower, duplicate))
    world.manage(
        ALICE,
        follower,
        SetFollowing(
            topic_following=(
                FolloweesForTopic(topic=None, followees=(public,)),
                FolloweesForTopic(topic=Topic.KYC, followees=(public,)),
            )
        ),
    )
    assert world.neuron(follower).followees == {0: (public,), Topic.KYC: (public,)}


def test_disburse_after_dissolving_burns_fees_and_pays_out() -> None:
    world = make_world()
    neuron_id = world.stake("alice", 10, delay_seconds=None)
    world.stake("bob", 500)
    world.propose_motion("alice", world.stake("alice", 10, memo=5))
    refused(
        world, ErrorType.PRECONDITION_FAILED, lambda: world.manage(ALICE, neuron_id, Disburse())
    )
    world.manage(ALICE, neuron_id, Configure(operation=StartDissolving()))
    world.advance(days=7)
    before = world.balance("alice")
    response = world.manage(ALICE, neuron_id, Disburse())
    assert world.balance("alice") == before + 10 * E8S - FEE
    assert response.transfer_block_height > 0
    assert world.neuron(neuron_id).cached_neuron_stake_e8s == 0
    assert world.governance.locks == {}


def test_split_moves_stake_and_maturity_proportionally() -> None:
    world = make_world()
    parent = world.stake("alice", 10)
    give_maturity(world, parent, 10 * E8S)
    refused(
        world,
        ErrorType.INSUFFICIENT_FUNDS,
        lambda: world.manage(ALICE, parent, Split(amount_e8s=E8S)),
    )
    refused(
        world,
        ErrorType.INSUFFICIENT_FUNDS,
        lambda: world.manage(ALICE, parent, Split(amount_e8s=10 * E8S)),
    )
    child = world.manage(ALICE, parent, Split(amount_e8s=4 * E8S, memo=3)).created_neuron_id
    assert world.neuron(parent).cached_neuron_stake_e8s == 6 * E8S
    assert world.neuron(child).cached_neuron_stake_e8s == 4 * E8S - FEE
    assert world.neuron(child).maturity_e8s_equivalent == 4 * E8S
    assert world.neuron(parent).maturity_e8s_equivalent == 6 * E8S
    assert world.neuron(child).dissolve_delay_seconds == world.neuron(parent).dissolve_delay_seconds
    balance = world.ledger.balances()[
        AccountIdentifier.of(GOVERNANCE_CANISTER_ID, world.neuron(child).subaccount)
    ]
    assert balance == 4 * E8S - FEE


def test_merge_combines_stake_age_and_maturity() -> None:
    world = make_world()
    target, source = world.stake("alice", 10), world.stake("alice", 6, memo=1)
    give_maturity(world, source, 3 * E8S)
    refused(
        world,
        ErrorType.INVALID_COMMAND,
        lambda: world.manage(ALICE, target, Merge(source_neuron_id=target)),
    )
    bob_neuron = world.stake("bob", 5)
    refused(
        world,
        ErrorType.NOT_AUTHORIZED,
        lambda: world.manage(ALICE, target, Merge(source_neuron_id=bob_neuron)),
    )
    response = world.manage(ALICE, target, Merge(source_neuron_id=source))
    assert response.target_neuron_id == target
    assert world.neuron(target).cached_neuron_stake_e8s == 16 * E8S - FEE
    assert world.neuron(target).maturity_e8s_equivalent == 3 * E8S
    assert world.neuron(source).cached_neuron_stake_e8s == 0


def test_spawn_mints_modulated_maturity_after_seven_days() -> None:
    world = make_world()
    parent = world.stake("alice", 10)
    give_maturity(world, parent, 2 * E8S)
    world.router.call(
        GOVERNANCE_CANISTER_ID,
        "update_maturity_modulation",
        world.governance.cycles_minting_id,
        100,
    )
    child = world.manage(ALICE, parent, Spawn()).created_neuron_id
    assert get_state(world.neuron(child), world.now()) == NeuronState.SPAWNING
    assert world.neuron(parent).maturity_e8s_equivalent == 0
    world.advance(days=7)
    assert world.neuron(child).cached_neuron_stake_e8s == 2 * E8S * 10_100 // 10_000
    assert world.neuron(child).spawn_at_timestamp_seconds is None
    give_maturity(world, parent, E8S)
    refused(world, ErrorType.INSUFFICIENT_FUNDS, lambda: world.manage(ALICE, parent, Spawn()))
    refused(
        world,
        ErrorType.PRECONDITION_FAILED,  # governance.rs spawn_neuron
        lambda: world.manage(ALICE, parent, Spawn(percentage_to_spawn=0)),
    )


def test_maturity_modulation_only_from_the_cycles_minting_canister_and_in_range() -> None:
    world = make_world()
    from replica.canister.errors import CanisterError

    before = world.governance.state_hash()
    with pytest.raises(CanisterError):
        world.router.call(GOVERNANCE_CANISTER_ID, "update_maturity_modulation", ALICE, 100)
    with pytest.raises(CanisterError):
        world.router.call(
            GOVERNANCE_CANISTER_ID,
            "update_maturity_modulation",
            world.governance.cycles_minting_id,
            501,
        )
    assert world.governance.state_hash() == before


def test_stake_and_disburse_maturity() -> None:
    world = make_world()
    neuron_id = world.stake("alice", 10)
    give_maturity(world, neuron_id, 4 * E8S)
    response = world.manage(ALICE, neuron_id, StakeMaturity(percentage_to_stake=25))
    assert (response.maturity_e8s, response.staked_maturity_e8s) == (3 * E8S, E8S)
    refused(
        world,
        ErrorType.PRECONDITION_FAILED,  # governance.rs stake_maturity_of_neuron
        lambda: world.manage(ALICE, neuron_id, StakeMaturity(percentage_to_stake=101)),
    )
    refused(
        world,
        ErrorType.PRECONDITION_FAILED,
        lambda: world.manage(ALICE, neuron_id, DisburseMaturity(percentage_to_disburse=10)),
    )
    before = world.balance("alice")
    world.manage(ALICE, neuron_id, DisburseMaturity(percentage_to_disburse=100))
    assert world.neuron(neuron_id).maturity_e8s_equivalent == 0
    world.advance(days=6)
    assert world.balance("alice") == before
    world.advance(days=1)
    assert world.balance("alice") == before + 3 * E8S
    assert world.neuron(neuron_id).maturity_disbursements_in_progress == ()


def test_disburse_to_neuron_creates_a_child() -> None:
    world = make_world()
    parent = world.stake("alice", 10, delay_seconds=None)
    world.manage(ALICE, parent, Configure(operation=StartDissolving()))
    world.advance(days=7)
    child = world.manage(
        ALICE,
        parent,
        DisburseToNeuron(
            new_controller=principal("bob"),
            amount_e8s=3 * E8S,
            dissolve_delay_seconds=SIX_MONTHS,
            kyc_verified=True,
            nonce=1,
        ),
    ).created_neuron_id
    assert world.neuron(child).controller == principal("bob")
    assert world.neuron(child).cached_neuron_stake_e8s == 3 * E8S - FEE
    assert world.neuron(parent).cached_neuron_stake_e8s == 7 * E8S


def test_merge_maturity_is_gone_and_unknown_neurons_are_not_found() -> None:
    world = make_world()
    neuron_id = world.stake("alice", 10)
    refused(
        world,
        ErrorType.INVALID_COMMAND,
        lambda: world.manage(ALICE, neuron_id, MergeMaturity(percentage_to_merge=5)),
    )
    refused(
        world,
        ErrorType.NOT_FOUND,
        lambda: world.manage(ALICE, 999, Configure(operation=StartDissolving())),
    )
    refused(world, ErrorType.NOT_FOUND, lambda: world.governance.get_neuron_info(ALICE, 999))
    refused(
        world,
        ErrorType.NOT_AUTHORIZED,
        lambda: world.governance.get_full_neuron(principal("bob"), neuron_id),
    )


def test_staked_maturity_returns_to_maturity_once_dissolved() -> None:
    world = make_world()
    neuron_id = world.stake("alice", 10, delay_seconds=None)
    give_maturity(world, neuron_id, 2 * E8S)
    world.manage(ALICE, neuron_id, StakeMaturity())
    world.manage(ALICE, neuron_id, Configure(operation=StartDissolving()))
    world.advance(days=8)
    neuron = world.neuron(neuron_id)
    assert (neuron.maturity_e8s_equivalent, neuron.staked_maturity_e8s_equivalent) == (2 * E8S, 0)
