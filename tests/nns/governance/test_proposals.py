"""Proposal actions, execution through calls, listing, garbage collection and bad input."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from nns.governance.enums import ErrorType, ProposalStatus, RewardStatus, Topic, Vote
from nns.governance.nns_functions import PAYLOAD_TYPES, NnsFunction
from nns.governance.parameters import zero_economics
from nns.governance.requests import (
    ExecuteNnsFunction,
    ListNeurons,
    ListProposalInfo,
    MakeProposal,
    ManageNetworkEconomics,
    Motion,
    Proposal,
    RegisterKnownNeuron,
    RegisterVote,
)
from registry.errors import InvalidPayload
from replica.canister.errors import CanisterError
from replica.canister.nns_ids import REGISTRY_CANISTER_ID
from replica.types import Principal
from tests.nns.governance.test_neuron_commands import refused
from tests.nns.governance.world import E8S, World, make_world, principal

ALICE = principal("alice")


@dataclass(frozen=True, slots=True, kw_only=True)
class FakeMembershipPayload:
    subnet: str
    nodes: tuple[str, ...]

    def validate(self) -> None:
        if not self.nodes:
            raise InvalidPayload("no nodes to add or remove")


class RegistryRefusal(CanisterError):
    pass


class RecordingRegistry:
    """Records what governance asks of it; refuses subnets named 'bad'."""

    def __init__(self) -> None:
        self.calls: list[object] = []

    def change_subnet_membership(self, caller: Principal, payload: object) -> None:
        assert isinstance(payload, FakeMembershipPayload)
        if payload.subnet == "bad":
            raise RegistryRefusal("subnet bad does not exist")
        self.calls.append((caller, payload))


@pytest.fixture
def fake_payloads() -> Iterator[None]:
    saved = dict(PAYLOAD_TYPES)
    PAYLOAD_TYPES[NnsFunction.CHANGE_SUBNET_MEMBERSHIP] = FakeMembershipPayload
    yield
    PAYLOAD_TYPES.clear()
    PAYLOAD_TYPES.update(saved)


def propose(
    world: World, neuron_id: int, action: object, title: str = "A proposal title", **extra: str
) -> int:
    response = world.manage(
        ALICE,
        neuron_id,
        MakeProposal(
            proposal=Proposal(
                title=title,
                summary=extra.get("summary", ""),
                url=extra.get("url", ""),
                action=action,
            )
        ),  # type: ignore[arg-type]
    )
    proposal_id: int = response.proposal_id
    return proposal_id


def majority_world() -> tuple[World, int]:
    world = make_world()
    return world, world.stake("alice", 500)


def test_execute_nns_function_calls_its_target(fake_payloads: None) -> None:
    world, neuron_id = majority_world()
    registry = RecordingRegistry()
    world.router.install(REGISTRY_CANISTER_ID, registry)
    payload = FakeMembershipPayload(subnet="app", nodes=("n1",))
    proposal_id = propose(world, neuron_id, ExecuteNnsFunction(nns_function=31, payload=payload))
    record = world.governance.state.proposals[proposal_id]
    assert record.topic == Topic.SUBNET_MANAGEMENT
    assert record.get_status() == ProposalStatus.EXECUTED
    assert registry.calls == [(world.governance.governance_id, payload)]


def test_execute_nns_function_failure_is_recorded(fake_payloads: None) -> None:
    world, neuron_id = majority_world()
    world.router.install(REGISTRY_CANISTER_ID, RecordingRegistry())
    proposal_id = propose(
        world,
        neuron_id,
        ExecuteNnsFunction(
            nns_function=31, payload=FakeMembershipPayload(subnet="bad", nodes=("n",))
        ),
    )
    record = world.governance.state.proposals[proposal_id]
    assert record.get_status() == ProposalStatus.FAILED
    assert record.failure_reason == "subnet bad does not exist"


def test_malformed_nns_function_payloads_are_refused_before_voting(fake_payloads: None) -> None:
    world, neuron_id = majority_world()
    refused(
        world,
        ErrorType.INVALID_PROPOSAL,
        lambda: propose(
            world,
            neuron_id,
            ExecuteNnsFunction(
                nns_function=31, payload=FakeMembershipPayload(subnet="a", nodes=())
            ),
        ),
    )
    refused(
        world,
        ErrorType.INVALID_PROPOSAL,
        lambda: propose(
            world, neuron_id, ExecuteNnsFunction(nns_function=31, payload="not a payload")
        ),
    )
    refused(
        world,
        ErrorType.INVALID_PROPOSAL,
        lambda: propose(world, neuron_id, ExecuteNnsFunction(nns_function=4, payload=None)),
    )
    refused(
        world,
        ErrorType.INVALID_PROPOSAL,
        lambda: propose(world, neuron_id, ExecuteNnsFunction(nns_function=999, payload=None)),
    )
    big = FakeMembershipPayload(subnet="a", nodes=("n" * 1_000,) * 80)
    refused(
        world,
        ErrorType.INVALID_PROPOSAL,
        lambda: propose(world, neuron_id, ExecuteNnsFunction(nns_function=31, payload=big)),
    )


@dataclass(frozen=True)
class BrokenPayload:
    def validate(self) -> None:
        raise RuntimeError("a bug in validation, not a bad proposal")


def test_a_bug_in_payload_validation_is_not_reported_as_an_invalid_proposal(
    fake_payloads: None,
) -> None:
    """Issue 9 item 9: only InvalidPayload means a malformed payload."""
    world, neuron_id = majority_world()
    PAYLOAD_TYPES[NnsFunction.CHANGE_SUBNET_MEMBERSHIP] = BrokenPayload
    before = world.governance.state_hash()
    with pytest.raises(RuntimeError):
        propose(world, neuron_id, ExecuteNnsFunction(nns_function=31, payload=BrokenPayload()))
    assert world.governance.state_hash() == before


def test_bad_titles_summaries_urls_and_motions_are_refused() -> None:
    world, neuron_id = majority_world()
    motion = Motion(motion_text="x")
    refused(
        world, ErrorType.INVALID_PROPOSAL, lambda: propose(world, neuron_id, motion, title="abc")
    )
    refused(
        world,
        ErrorType.INVALID_PROPOSAL,
        lambda: propose(world, neuron_id, motion, title="t" * 257),
    )
    refused(
        world,
        ErrorType.INVALID_PROPOSAL,
        lambda: propose(world, neuron_id, motion, summary="s" * 30_001),
    )
    refused(
        world, ErrorType.INVALID_PROPOSAL, lambda: propose(world, neuron_id, motion, url="http://")
    )
    refused(
        world,
        ErrorType.INVALID_PROPOSAL,
        lambda: propose(world, neuron_id, Motion(motion_text="m" * 10_001)),
    )
    refused(world, ErrorType.INVALID_PROPOSAL, lambda: propose(world, neuron_id, None))
    refused(
        world,
        ErrorType.NOT_AUTHORIZED,
        lambda: world.manage(
            principal("bob"),
            neuron_id,
            MakeProposal(
                proposal=Proposal(title="A fine title", summary="", url="", action=motion)
            ),
        ),
    )


def test_votes_are_checked() -> None:
    world, neuron_id = majority_world()
    small = world.stake("bob", 10)
    late = world.stake("carol", 10, delay_seconds=None)
    proposal_id = world.propose_motion("bob", small)
    # governance.rs register_vote: an Unspecified vote is PreconditionFailed
    refused(
        world, ErrorType.PRECONDITION_FAILED, lambda: world.vote("alice", neuron_id, proposal_id, 0)
    )
    refused(world, ErrorType.NOT_FOUND, lambda: world.vote("alice", neuron_id, 77, Vote.YES))
    refused(
        world, ErrorType.NOT_AUTHORIZED, lambda: world.vote("carol", late, proposal_id, Vote.YES)
    )
    refused(
        world,
        ErrorType.NEURON_ALREADY_VOTED,
        lambda: world.vote("bob", small, proposal_id, Vote.NO),
    )
    refused(
        world,
        ErrorType.PRECONDITION_FAILED,
        lambda: world.manage(ALICE, neuron_id, RegisterVote(proposal=None, vote=1)),
    )
    world.advance(days=5)
    refused(
        world,
        ErrorType.PRECONDITION_FAILED,
        lambda: world.vote("alice", neuron_id, proposal_id, Vote.YES),
    )


def test_votes_after_an_early_decision_still_count() -> None:
    world, neuron_id = majority_world()
    other = world.stake("bob", 10)
    proposal_id = world.propose_motion("alice", neuron_id)
    record = world.governance.state.proposals[proposal_id]
    assert record.get_status() == ProposalStatus.EXECUTED
    world.vote("bob", other, proposal_id, Vote.NO)
    assert record.ballots.votes[other] == Vote.NO
    assert record.get_status() == ProposalStatus.EXECUTED


def test_manage_network_economics_inherits_zero_fields() -> None:
    world, neuron_id = majority_world()
    from dataclasses import replace

    update = replace(zero_economics(), reject_cost_e8s=25 * E8S)
    propose(world, neuron_id, ManageNetworkEconomics(economics=update))
    economics = world.governance.get_network_economics_parameters(ALICE)
    assert economics.reject_cost_e8s == 25 * E8S
    assert economics.neuron_minimum_stake_e8s == E8S
    bad = replace(
        zero_economics(),
        voting_power_economics=replace(
            zero_economics().voting_power_economics,
            neuron_minimum_dissolve_delay_to_vote_seconds=60,
        ),
    )
    refused(
        world,
        ErrorType.INVALID_PROPOSAL,
        lambda: propose(world, neuron_id, ManageNetworkEconomics(economics=bad)),
    )


def test_register_known_neuron() -> None:
    world, neuron_id = majority_world()
    other = world.stake("bob", 10)
    propose(
        world,
        neuron_id,
        RegisterKnownNeuron(id=other, name="Bob's DAO", links=("https://bob.example",)),
    )
    known = world.governance.list_known_neurons(ALICE)
    assert [(k.id, k.name) for k in known] == [(other, "Bob's DAO")]
    assert world.neuron(other).visibility == 2
    refused(
        world,
        ErrorType.INVALID_PROPOSAL,
        lambda: propose(world, neuron_id, RegisterKnownNeuron(id=neuron_id, name="Bob's DAO")),
    )
    refused(
        world,
        ErrorType.INVALID_PROPOSAL,
        lambda: propose(world, neuron_id, RegisterKnownNeuron(id=neuron_id, name="")),
    )
    refused(
        world,
        ErrorType.INVALID_PROPOSAL,
        lambda: propose(
            world, neuron_id, RegisterKnownNeuron(id=neuron_id, name="n", links=("ftp://x",))
        ),
    )
    refused(
        world,
        ErrorType.INVALID_PROPOSAL,
        lambda: propose(world, neuron_id, RegisterKnownNeuron(id=12345, name="ghost")),
    )


def test_list_proposals_filters_and_pages() -> None:
    world, neuron_id = majority_world()
    ids = [world.propose_motion("alice", neuron_id, f"motion {i}") for i in range(5)]
    listed = world.governance.list_proposals(ALICE, ListProposalInfo(limit=2))
    assert [p.id for p in listed] == ids[::-1][:2]
    older = world.governance.list_proposals(
        ALICE, ListProposalInfo(limit=10, before_proposal=ids[2])
    )
    assert [p.id for p in older] == [ids[1], ids[0]]
    assert (
        world.governance.list_proposals(ALICE, ListProposalInfo(exclude_topic=(Topic.GOVERNANCE,)))
        == ()
    )
    assert (
        len(
            world.governance.list_proposals(
                ALICE, ListProposalInfo(include_status=(ProposalStatus.EXECUTED,))
            )
        )
        == 5
    )
    assert (
        world.governance.list_proposals(
            ALICE, ListProposalInfo(include_reward_status=(RewardStatus.SETTLED,))
        )
        == ()
    )
    info = world.governance.get_proposal_info(ALICE, ids[0])
    assert info is not None and [neuron for neuron, _ in info.ballots] == [neuron_id]
    stranger = world.governance.get_proposal_info(principal("zed"), ids[0])
    assert stranger is not None and stranger.ballots == ()


def test_garbage_collection_keeps_the_newest_final_proposals_per_topic() -> None:
    world, neuron_id = majority_world()
    from dataclasses import replace

    propose(
        world,
        neuron_id,
        ManageNetworkEconomics(
            economics=replace(zero_economics(), max_proposals_to_keep_per_topic=3)
        ),
    )
    ids = [world.propose_motion("alice", neuron_id, f"m{i}") for i in range(6)]
    world.advance(days=5)  # a reward event settles them
    world.advance(days=1, seconds=1)  # garbage collection runs a day after the last one
    remaining = sorted(
        i for i, r in world.governance.state.proposals.items() if r.topic == Topic.GOVERNANCE
    )
    assert remaining == ids[-3:]


def test_proposal_cap_on_unsettled_proposals() -> None:
    world, neuron_id = majority_world()
    for index in range(200):
        world.propose_motion("alice", neuron_id, f"m{index}")
    refused(world, ErrorType.RESOURCE_EXHAUSTED, lambda: world.propose_motion("alice", neuron_id))


def test_pending_proposals_and_neuron_listing() -> None:
    world = make_world()
    a = world.stake("alice", 10)
    world.stake("bob", 500)
    proposal_id = world.propose_motion("alice", a)
    assert [p.id for p in world.governance.get_pending_proposals(ALICE)] == [proposal_id]
    listing = world.governance.list_neurons(ALICE, ListNeurons())
    assert [info.id for info in listing.neuron_infos] == [a]
    assert [n.id for n in listing.full_neurons] == [a]
    info = world.governance.get_neuron_info(principal("zed"), a)
    assert info.recent_ballots == ()  # private neuron: no ballots for strangers
    mine = world.governance.get_neuron_info(ALICE, a)
    assert [(b.proposal_id, b.vote) for b in mine.recent_ballots] == [(proposal_id, Vote.YES)]
