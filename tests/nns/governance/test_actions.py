"""The proposal actions that act on canisters, known neurons and node providers, each against
its IC source (rs/nns/governance/src/proposals/*.rs, governance.rs)."""

from __future__ import annotations

from typing import Any

import pytest

from nns.governance.actions import (
    AddOrRemoveNodeProvider,
    CanisterAction,
    CanisterSettings,
    DeregisterKnownNeuron,
    NodeProvider,
    RewardNodeProvider,
    RewardNodeProviders,
    RewardToAccount,
    RewardToNeuron,
    StopOrStartCanister,
    UnsupportedAction,
    UpdateCanisterSettings,
)
from nns.governance.enums import ErrorType, ProposalStatus, Topic
from nns.governance.errors import GovernanceError
from nns.governance.requests import MakeProposal, Proposal, ProposalAction, RegisterKnownNeuron
from nns.ledger.accounts import AccountIdentifier
from replica.canister.errors import CanisterError
from replica.types import Principal
from tests.nns.governance.test_neuron_commands import refused
from tests.nns.governance.world import E8S, World, make_world, principal

ROOT = Principal.from_canister_id(3)
GOVERNANCE = Principal.from_canister_id(1)
CYCLES_MINTING = Principal.from_canister_id(4)
APP = Principal.from_canister_id(1_000)
PROVIDER = principal("node provider")


class FakeRoot:
    """Root's stop_or_start_nns_canister and update_canister_settings, recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Principal, Any]] = []
        self.refuse = False

    def stop_or_start_nns_canister(self, caller: Principal, request: Any) -> None:
        if self.refuse:
            raise CanisterError("the canister is not controlled by root")
        self.calls.append(("stop_or_start_nns_canister", caller, request))

    def update_canister_settings(self, caller: Principal, request: Any) -> dict[str, Any]:
        self.calls.append(("update_canister_settings", caller, request))
        if self.refuse:
            return {"Err": {"code": None, "description": "settings refused"}}
        return {"Ok": None}


def governing_world() -> tuple[World, int, FakeRoot]:
    """A world whose one big neuron adopts its own proposals at once."""
    world = make_world(balances_icp={"alice": 10_000, "bob": 1_000})
    root = FakeRoot()
    world.router.install(ROOT, root)
    return world, world.stake("alice", 5_000), root


def propose(world: World, neuron_id: int, action: ProposalAction | None) -> int:
    response = world.manage(
        principal("alice"),
        neuron_id,
        MakeProposal(
            proposal=Proposal(title="A proposal title", summary="", url="", action=action)
        ),
    )
    proposal_id: int = response.proposal_id
    return proposal_id


def refused_proposal(
    world: World,
    neuron_id: int,
    action: ProposalAction | None,
    error_type: ErrorType = ErrorType.INVALID_PROPOSAL,
) -> GovernanceError:
    return refused(world, error_type, lambda: propose(world, neuron_id, action))


# -- StopOrStartCanister (proposals/stop_or_start_canister.rs) --------------------------------


def test_stop_or_start_canister_is_checked_at_submission() -> None:
    world, neuron_id, _ = governing_world()
    cases = [
        (
            StopOrStartCanister(canister_id=None, action=CanisterAction.STOP),
            "Canister ID is required",
        ),
        (
            StopOrStartCanister(canister_id=PROVIDER, action=CanisterAction.STOP),
            "Invalid canister ID",
        ),
        (
            StopOrStartCanister(canister_id=CYCLES_MINTING, action=None),
            "Canister action is required",
        ),
        (
            StopOrStartCanister(canister_id=CYCLES_MINTING, action=0),
            "Canister action is unspecified or unrecognized",
        ),
        (
            StopOrStartCanister(canister_id=CYCLES_MINTING, action=1000),
            "Canister action is unspecified or unrecognized",
        ),
        (
            StopOrStartCanister(canister_id=GOVERNANCE, action=CanisterAction.STOP),
            "Canister is not allowed to be stopped",
        ),
        (
            StopOrStartCanister(canister_id=ROOT, action=CanisterAction.STOP),
            "Canister is not allowed to be stopped",
        ),
    ]
    for action, message in cases:
        assert refused_proposal(world, neuron_id, action).error_message == message


def test_stop_or_start_canister_asks_root_and_takes_the_canisters_topic() -> None:
    world, neuron_id, root = governing_world()
    stop = propose(
        world,
        neuron_id,
        StopOrStartCanister(canister_id=CYCLES_MINTING, action=CanisterAction.STOP),
    )
    record = world.governance.state.proposals[stop]
    assert record.topic == Topic.PROTOCOL_CANISTER_MANAGEMENT
    assert record.get_status() == ProposalStatus.EXECUTED
    assert root.calls == [
        (
            "stop_or_start_nns_canister",
            GOVERNANCE,
            {"canister_id": CYCLES_MINTING, "action": {"Stop": None}},
        )
    ]
    start = propose(
        world, neuron_id, StopOrStartCanister(canister_id=APP, action=CanisterAction.START)
    )
    assert world.governance.state.proposals[start].topic == Topic.APPLICATION_CANISTER_MANAGEMENT
    assert root.calls[-1][2] == {"canister_id": APP, "action": {"Start": None}}
    # starting governance is harmless and allowed
    propose(
        world, neuron_id, StopOrStartCanister(canister_id=GOVERNANCE, action=CanisterAction.START)
    )


def test_a_refusal_by_root_fails_the_proposal() -> None:
    world, neuron_id, root = governing_world()
    root.refuse = True
    proposal_id = propose(
        world, neuron_id, StopOrStartCanister(canister_id=APP, action=CanisterAction.STOP)
    )
    record = world.governance.state.proposals[proposal_id]
    assert record.get_status() == ProposalStatus.FAILED
    assert record.failure_reason is not None and "not controlled by root" in record.failure_reason


# -- UpdateCanisterSettings (proposals/update_canister_settings.rs) ---------------------------


def test_update_canister_settings_is_checked_at_submission() -> None:
    world, neuron_id, _ = governing_world()
    some = CanisterSettings(memory_allocation=1 << 30)
    cases = [
        (UpdateCanisterSettings(canister_id=None, settings=some), "Canister ID is required"),
        (UpdateCanisterSettings(canister_id=APP, settings=None), "Settings are required"),
        (
            UpdateCanisterSettings(canister_id=APP, settings=CanisterSettings()),
            "At least one setting must be provided",
        ),
        (
            UpdateCanisterSettings(canister_id=APP, settings=CanisterSettings(log_visibility=4)),
            "Invalid log visibility 4",
        ),
        (
            UpdateCanisterSettings(canister_id=APP, settings=CanisterSettings(log_visibility=0)),
            "Invalid log visibility 0",
        ),
    ]
    for action, message in cases:
        assert refused_proposal(world, neuron_id, action).error_message == message


def test_update_canister_settings_asks_root() -> None:
    world, neuron_id, root = governing_world()
    settings = CanisterSettings(controllers=(ROOT,), freezing_threshold=100, log_visibility=2)
    proposal_id = propose(
        world, neuron_id, UpdateCanisterSettings(canister_id=CYCLES_MINTING, settings=settings)
    )
    assert world.governance.state.proposals[proposal_id].get_status() == ProposalStatus.EXECUTED
    method, caller, request = root.calls[-1]
    assert (method, caller) == ("update_canister_settings", GOVERNANCE)
    assert request == {
        "canister_id": CYCLES_MINTING,
        "settings": {
            "controllers": [ROOT],
            "compute_allocation": None,
            "memory_allocation": None,
            "freezing_threshold": 100,
            "wasm_memory_limit": None,
            "wasm_memory_threshold": None,
            "log_visibility": {"public": None},
            "reserved_cycles_limit": None,
        },
    }
    root.refuse = True
    failed = propose(world, neuron_id, UpdateCanisterSettings(canister_id=APP, settings=settings))
    record = world.governance.state.proposals[failed]
    assert (
        record.get_status() == ProposalStatus.FAILED and record.failure_reason == "settings refused"
    )


# -- DeregisterKnownNeuron (proposals/deregister_known_neuron.rs) -----------------------------


def test_deregister_known_neuron() -> None:
    world, neuron_id, _ = governing_world()
    other = world.stake("bob", 10)
    refused_proposal(world, neuron_id, DeregisterKnownNeuron(id=None))
    refused_proposal(
        world, neuron_id, DeregisterKnownNeuron(id=other), ErrorType.PRECONDITION_FAILED
    )
    refused_proposal(world, neuron_id, DeregisterKnownNeuron(id=424242), ErrorType.NOT_FOUND)
    propose(
        world,
        neuron_id,
        RegisterKnownNeuron(id=other, name="Bob", committed_topics=(Topic.GOVERNANCE,)),
    )
    assert world.neuron(other).known_neuron_data is not None
    proposal_id = propose(world, neuron_id, DeregisterKnownNeuron(id=other))
    assert world.governance.state.proposals[proposal_id].topic == Topic.GOVERNANCE
    assert world.neuron(other).known_neuron_data is None
    assert world.governance.list_known_neurons(principal("bob")) == ()


# -- AddOrRemoveNodeProvider (proposals/add_or_remove_node_provider.rs) -----------------------


def test_add_and_remove_a_node_provider() -> None:
    world, neuron_id, _ = governing_world()
    provider = NodeProvider(id=PROVIDER, reward_account=AccountIdentifier.of(PROVIDER))
    refused_proposal(world, neuron_id, AddOrRemoveNodeProvider())
    refused_proposal(world, neuron_id, AddOrRemoveNodeProvider(to_add=NodeProvider(id=None)))
    missing = refused_proposal(
        world, neuron_id, AddOrRemoveNodeProvider(to_remove=provider), ErrorType.PRECONDITION_FAILED
    )
    assert "must target an existing Node Provider" in missing.error_message
    added = propose(world, neuron_id, AddOrRemoveNodeProvider(to_add=provider))
    assert world.governance.state.proposals[added].topic == Topic.PARTICIPANT_MANAGEMENT
    assert world.governance.node_providers == (provider,)
    duplicate = refused_proposal(
        world, neuron_id, AddOrRemoveNodeProvider(to_add=provider), ErrorType.PRECONDITION_FAILED
    )
    assert duplicate.error_message == f"NodeProvider with id {PROVIDER.to_text()} already exists"
    propose(world, neuron_id, AddOrRemoveNodeProvider(to_remove=NodeProvider(id=PROVIDER)))
    # `tuple()`, not `()`: mypy narrows the attribute to a one-tuple after the assertion above.
    assert world.governance.node_providers == tuple()


# -- RewardNodeProvider(s) (governance.rs reward_node_provider_helper) ------------------------


def with_provider(world: World, neuron_id: int) -> None:
    propose(world, neuron_id, AddOrRemoveNodeProvider(to_add=NodeProvider(id=PROVIDER)))


def provider_balance(world: World) -> int:
    return world.ledger.balances().get(AccountIdentifier.of(PROVIDER), 0)


def test_reward_node_provider_to_its_account() -> None:
    world, neuron_id, _ = governing_world()
    with_provider(world, neuron_id)
    reward = RewardNodeProvider(
        node_provider=NodeProvider(id=PROVIDER), amount_e8s=7 * E8S, reward_mode=RewardToAccount()
    )
    proposal_id = propose(world, neuron_id, reward)
    record = world.governance.state.proposals[proposal_id]
    assert record.topic == Topic.NODE_PROVIDER_REWARDS
    assert record.get_status() == ProposalStatus.EXECUTED
    assert provider_balance(world) == 7 * E8S


def test_reward_node_provider_to_a_new_neuron() -> None:
    world, neuron_id, _ = governing_world()
    with_provider(world, neuron_id)
    reward = RewardNodeProvider(
        node_provider=NodeProvider(id=PROVIDER),
        amount_e8s=3 * E8S,
        reward_mode=RewardToNeuron(dissolve_delay_seconds=10 * 365 * 86_400),
    )
    propose(world, neuron_id, reward)
    (created,) = world.governance.get_neuron_ids(PROVIDER)
    neuron = world.neuron(created)
    assert neuron.cached_neuron_stake_e8s == 3 * E8S
    assert neuron.kyc_verified
    assert neuron.dissolve_delay_seconds == world.governance.durations.max_dissolve_delay_seconds
    balance = world.ledger.balances()[AccountIdentifier.of(GOVERNANCE, neuron.subaccount)]
    assert balance == 3 * E8S


@pytest.mark.parametrize(
    ("reward", "reason"),
    [
        (
            RewardNodeProvider(
                node_provider=NodeProvider(id=principal("stranger")),
                amount_e8s=E8S,
                reward_mode=RewardToAccount(),
            ),
            "not found",
        ),
        (
            RewardNodeProvider(
                node_provider=NodeProvider(id=PROVIDER),
                amount_e8s=10**6 * E8S + 1,
                reward_mode=RewardToAccount(),
            ),
            "greater than maximum",
        ),
        (
            RewardNodeProvider(
                node_provider=NodeProvider(id=PROVIDER), amount_e8s=E8S, reward_mode=None
            ),
            "must have a reward mode",
        ),
    ],
)
def test_a_reward_that_cannot_be_paid_fails_the_proposal(
    reward: RewardNodeProvider, reason: str
) -> None:
    world, neuron_id, _ = governing_world()
    with_provider(world, neuron_id)
    record = world.governance.state.proposals[propose(world, neuron_id, reward)]
    assert record.get_status() == ProposalStatus.FAILED
    assert record.failure_reason is not None and reason in record.failure_reason


def test_reward_node_providers_pays_the_others_when_one_fails() -> None:
    world, neuron_id, _ = governing_world()
    with_provider(world, neuron_id)
    rewards = (
        RewardNodeProvider(
            node_provider=NodeProvider(id=principal("stranger")),
            amount_e8s=E8S,
            reward_mode=RewardToAccount(),
        ),
        RewardNodeProvider(
            node_provider=NodeProvider(id=PROVIDER),
            amount_e8s=2 * E8S,
            reward_mode=RewardToAccount(),
        ),
    )
    record = world.governance.state.proposals[
        propose(world, neuron_id, RewardNodeProviders(rewards=rewards))
    ]
    assert provider_balance(world) == 2 * E8S
    assert record.get_status() == ProposalStatus.FAILED
    assert record.failure_reason is not None and "not found" in record.failure_reason


def test_actions_icbox_does_not_carry_out_are_refused_by_name() -> None:
    world, neuron_id, _ = governing_world()
    for name in ("ApproveGenesisKyc", "CreateServiceNervousSystem", "FulfillSubnetRentalRequest"):
        error = refused_proposal(world, neuron_id, UnsupportedAction(name=name))
        assert name in error.error_message
