"""IC rules where icbox once differed (issue 11, governance rules 1-6), each against its IC
source."""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from functools import partial

from hypothesis import given, settings
from hypothesis import strategies as st

from nns.governance.enums import ErrorType, ProposalStatus, Topic, Visibility, Vote
from nns.governance.errors import GovernanceError
from nns.governance.neuron import (
    Neuron,
    compute_deciding_voting_power,
    get_deciding_voting_power,
)
from nns.governance.parameters import MAX_DISBURSEMENTS_IN_PROGRESS, Durations, NetworkEconomics
from nns.governance.requests import (
    Configure,
    Disburse,
    DisburseMaturity,
    MakeProposal,
    ManageNeuronProposal,
    Merge,
    Proposal,
    RefreshVotingPower,
    RegisterVote,
    SetVisibility,
    Split,
    StartDissolving,
)
from nns.governance.snapshots import (
    MAX_VOTING_POWER_SNAPSHOTS,
    VotingPowerSnapshot,
    is_latest_snapshot_a_spike,
    previous_ballots_if_spike,
    record_snapshot,
)
from nns.governance.voting_power import ballot_of, compute_ballots
from replica.presets import MAINNET
from replica.types import Principal
from tests.nns.governance.test_neuron_commands import refused
from tests.nns.governance.world import E8S, ONE_DAY, World, make_world, principal

DURATIONS = Durations.of(MAINNET)
ECONOMICS = NetworkEconomics.default(DURATIONS).voting_power_economics
FEE = 10_000


def manage_neuron_proposal(managed: int) -> MakeProposal:
    return MakeProposal(
        proposal=Proposal(
            title=None,
            summary="",
            url="",
            action=ManageNeuronProposal(neuron_id=managed, command=RefreshVotingPower()),
        )
    )


# -- issue 9 item 5: one voting-power rule ----------------------------------------------------


def spec_deciding_voting_power(potential: int, since_refresh: int) -> int:
    """Spec 1.6 as written: round_half_even(f(t) × potential) in decimal arithmetic."""
    start = ECONOMICS.start_reducing_voting_power_after_seconds
    span = ECONOMICS.clear_following_after_seconds
    with localcontext() as context:
        context.prec = 100
        if since_refresh <= start:
            factor = Decimal(1)
        elif since_refresh >= start + span:
            factor = Decimal(0)
        else:
            factor = 1 - Decimal(since_refresh - start) / Decimal(span)
        return int((factor * potential).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@given(st.integers(0, 2**64 - 1), st.integers(-(2**33), 2**33))
def test_deciding_voting_power_is_the_spec_formula(potential: int, since_refresh: int) -> None:
    assert compute_deciding_voting_power(
        potential, since_refresh, ECONOMICS
    ) == spec_deciding_voting_power(potential, since_refresh)


NOW = 1_800_000_000

neurons_strategy = st.lists(
    st.builds(
        lambda index, stake, fees, staked, delay, dissolving, age, refreshed, maturity: Neuron(
            id=index + 1,
            subaccount=(index + 1).to_bytes(32, "big"),
            controller=Principal.self_authenticating(b"n"),
            created_timestamp_seconds=NOW - 10**8,
            voting_power_refreshed_timestamp_seconds=NOW - refreshed,
            cached_neuron_stake_e8s=stake,
            neuron_fees_e8s=fees,
            staked_maturity_e8s_equivalent=staked,
            maturity_e8s_equivalent=maturity,
            dissolve_delay_seconds=None if dissolving else delay,
            when_dissolved_timestamp_seconds=NOW + delay - 10**7 if dissolving else None,
            aging_since_timestamp_seconds=NOW - age,
        ),
        st.integers(0, 10**6),
        st.integers(0, 10**15),
        st.integers(0, 10**13),
        st.integers(0, 10**12),
        st.integers(0, 10 * 31_557_600),
        st.booleans(),
        st.integers(-(10**6), 6 * 31_557_600),
        st.integers(-(10**6), 8 * 2_629_800),
        st.integers(0, 10**10),
    ),
    max_size=12,
    unique_by=lambda n: n.id,
)


@settings(max_examples=200, deadline=None)
@given(neurons_strategy)
def test_the_fast_ballot_builder_equals_the_reference_rule(neurons: list[Neuron]) -> None:
    """STYLE rule 7: compute_ballots (inlined) and ballot_of (the reference functions)."""
    ballots, total_potential = compute_ballots(neurons, NOW, DURATIONS, ECONOMICS)
    expected = {
        n.id: b for n in neurons if (b := ballot_of(n, NOW, DURATIONS, ECONOMICS)) is not None
    }
    assert ballots == {neuron_id: deciding for neuron_id, (deciding, _) in expected.items()}
    assert total_potential == sum(potential for _, potential in expected.values())


def test_ballots_and_queries_give_the_same_voting_power() -> None:
    world = make_world()
    neuron_id = world.stake("alice", 10)
    world.advance(days=200)  # into the reduction period
    proposal_id = world.propose_motion("bob", world.stake("bob", 10))
    deciding, _ = world.governance.get_voting_powers(world.neuron(neuron_id))
    assert world.governance.state.proposals[proposal_id].ballots.power[neuron_id] == deciding
    assert (
        world.governance.get_neuron_info(principal("alice"), neuron_id).deciding_voting_power
        == deciding
    )


# -- rule 1: the reject cost is charged after the ballots (governance.rs make_proposal) ------


def test_reject_cost_is_charged_after_the_proposers_ballot_is_made() -> None:
    world = make_world()
    proposer = world.stake("alice", 20)
    before = get_deciding_voting_power(world.neuron(proposer), world.now(), DURATIONS, ECONOMICS)
    proposal_id = world.propose_motion("alice", proposer)
    record = world.governance.state.proposals[proposal_id]
    assert record.ballots.power[proposer] == before
    assert record.total_potential_voting_power == before
    # adopted at once by the proposer's own Yes, so the reject cost was charged and refunded
    assert record.get_status() == ProposalStatus.EXECUTED
    assert world.neuron(proposer).neuron_fees_e8s == 0


def test_a_proposer_just_over_half_decides_at_once() -> None:
    """Charged first, the 1 ICP reject cost would leave 19 ICP against 19.5: still open."""
    world = make_world()
    proposer = world.stake("alice", 20)
    other = world.stake("bob", 19.5)
    proposal_id = world.propose_motion("alice", proposer)
    record = world.governance.state.proposals[proposal_id]
    assert record.ballots.power[proposer] > record.ballots.power[other]
    assert record.get_status() == ProposalStatus.EXECUTED


# -- rule 2: ManageNeuron proposals (governance.rs make_proposal) -----------------------------


def test_only_a_neuron_management_followee_may_propose() -> None:
    world = make_world()
    managed, manager, outsider = (
        world.stake("alice", 10),
        world.stake("bob", 10),
        world.stake("carol", 10),
    )
    world.follow("alice", managed, Topic.NEURON_MANAGEMENT, [manager])
    error = refused(
        world,
        ErrorType.PRECONDITION_FAILED,
        lambda: world.manage(principal("carol"), outsider, manage_neuron_proposal(managed)),
    )
    assert error.error_message == "Proposer not among the followees of neuron."


def test_manage_neuron_ballots_include_followee_ids_that_are_no_neuron() -> None:
    world = make_world()
    managed, manager_1, manager_2 = (
        world.stake("alice", 10),
        world.stake("bob", 10),
        world.stake("carol", 10),
    )
    missing = 12_345
    assert missing not in world.governance.state.neurons
    world.follow("alice", managed, Topic.NEURON_MANAGEMENT, [manager_1, missing, manager_2])
    response = world.manage(principal("bob"), manager_1, manage_neuron_proposal(managed))
    record = world.governance.state.proposals[response.proposal_id]
    assert record.ballots.power == {manager_1: 1, missing: 1, manager_2: 1}
    assert record.total_potential_voting_power == 3
    assert record.get_status() == ProposalStatus.OPEN  # 1 of 3
    world.vote("carol", manager_2, record.id, Vote.YES)
    assert record.get_status() == ProposalStatus.EXECUTED  # 2 of 3, the missing id never votes


def test_a_missing_followee_can_make_a_manage_neuron_proposal_undecidable() -> None:
    world = make_world()
    managed, manager = world.stake("alice", 10), world.stake("bob", 10)
    world.follow("alice", managed, Topic.NEURON_MANAGEMENT, [manager, 777])
    response = world.manage(principal("bob"), manager, manage_neuron_proposal(managed))
    record = world.governance.state.proposals[response.proposal_id]
    assert record.ballots.power == {manager: 1, 777: 1}
    assert record.get_status() == ProposalStatus.OPEN
    world.advance(days=2)
    assert record.get_status() == ProposalStatus.REJECTED


# -- rule 3: Disburse with an amount (governance.rs disburse_neuron) --------------------------


def dissolved_neuron_with_fees(world: World, fees_e8s: int) -> int:
    neuron_id = world.stake("alice", 10, delay_seconds=None)
    with world.governance.transaction() as session:
        world.governance.state.put_neuron(
            session, replace(world.neuron(neuron_id), neuron_fees_e8s=fees_e8s)
        )
    world.manage(principal("alice"), neuron_id, Configure(operation=StartDissolving()))
    world.advance(days=7)
    return neuron_id


def test_disburse_with_an_amount_burns_the_fees_and_takes_them_out_of_the_amount() -> None:
    world = make_world()
    neuron_id = dissolved_neuron_with_fees(world, 2 * E8S)
    before = world.balance("alice")
    world.manage(principal("alice"), neuron_id, Disburse(amount_e8s=5 * E8S))
    # 2 ICP of fees burned; paid: 5 − 2 − the transaction fee
    assert world.balance("alice") == before + 3 * E8S - FEE
    neuron = world.neuron(neuron_id)
    assert neuron.neuron_fees_e8s == 0
    assert neuron.cached_neuron_stake_e8s == 10 * E8S - 2 * E8S - (3 * E8S - FEE) - FEE


def test_disburse_of_more_than_the_stake_is_left_to_the_ledger() -> None:
    world = make_world()
    neuron_id = dissolved_neuron_with_fees(world, 0)
    outcome = world.manage(principal("alice"), neuron_id, Disburse(amount_e8s=50 * E8S))
    assert isinstance(outcome, GovernanceError)
    assert outcome.error_type == ErrorType.EXTERNAL  # the ledger refused, not governance
    assert world.neuron(neuron_id).cached_neuron_stake_e8s == 10 * E8S
    assert world.governance.locks == {}


# -- rule 4: a split child has the default visibility (governance.rs split_neuron) ------------


def test_a_split_child_of_a_public_neuron_is_private() -> None:
    world = make_world()
    parent = world.stake("alice", 10)
    world.manage(
        principal("alice"), parent, Configure(operation=SetVisibility(visibility=Visibility.PUBLIC))
    )
    child = world.manage(principal("alice"), parent, Split(amount_e8s=3 * E8S)).created_neuron_id
    assert world.neuron(parent).visibility == Visibility.PUBLIC
    assert world.neuron(child).visibility == Visibility.PRIVATE


# -- rule 5: the voting-power spike guard (governance/voting_power_snapshots.rs) --------------


def snapshot(timestamp: int, total: int) -> VotingPowerSnapshot:
    return VotingPowerSnapshot.of(timestamp, {1: total}, total)


def test_snapshots_keep_seven_and_a_spike_is_more_than_one_and_a_half_times_the_minimum() -> None:
    snapshots: tuple[VotingPowerSnapshot, ...] = ()
    for day in range(MAX_VOTING_POWER_SNAPSHOTS - 1):
        snapshots = record_snapshot(snapshots, snapshot(day * ONE_DAY, 100 if day else 80))
    assert previous_ballots_if_spike(snapshots, 10**9, 6 * ONE_DAY) is None  # fewer than seven
    snapshots = record_snapshot(snapshots, snapshot(6 * ONE_DAY, 100))
    assert previous_ballots_if_spike(snapshots, 120, 6 * ONE_DAY) is None  # 120 = 1.5 × 80
    spike = previous_ballots_if_spike(snapshots, 121, 6 * ONE_DAY)
    assert spike is not None and spike.timestamp_seconds == 0
    snapshots = record_snapshot(snapshots, snapshot(7 * ONE_DAY, 100))  # the 80 drops out
    assert len(snapshots) == MAX_VOTING_POWER_SNAPSHOTS
    assert previous_ballots_if_spike(snapshots, 121, 7 * ONE_DAY) is None
    # a snapshot whose total is at most MAX_FOLLOWEES_PER_TOPIC is not recorded
    assert record_snapshot(snapshots, snapshot(8 * ONE_DAY, 15)) == snapshots
    # snapshots older than three months do not count
    assert previous_ballots_if_spike(snapshots, 10**9, 7 * ONE_DAY + 3 * 2_629_800 + 1) is None


def test_no_snapshot_is_recorded_while_the_latest_is_a_spike() -> None:
    snapshots = (snapshot(0, 100), snapshot(ONE_DAY, 151))
    assert is_latest_snapshot_a_spike(snapshots, ONE_DAY)
    assert not is_latest_snapshot_a_spike(snapshots[:1], 0)


def test_a_proposal_made_in_a_voting_power_spike_takes_its_ballots_from_the_smallest_snapshot() -> (
    None
):
    world = make_world(balances_icp={"alice": 1_000, "bob": 1_000, "whale": 100_000})
    alice = world.stake("alice", 100)
    bob = world.stake("bob", 100)
    for _ in range(MAX_VOTING_POWER_SNAPSHOTS):
        world.advance(days=1)
    snapshots = world.governance.voting_power_snapshots
    assert len(snapshots) == MAX_VOTING_POWER_SNAPSHOTS
    whale = world.stake("whale", 10_000)
    proposal_id = world.propose_motion("alice", alice)
    record = world.governance.state.proposals[proposal_id]
    smallest = min(snapshots, key=lambda s: s.total_potential_voting_power)
    assert record.previous_ballots_timestamp_seconds == smallest.timestamp_seconds
    assert set(record.ballots.power) == {alice, bob}
    assert record.total_potential_voting_power == smallest.total_potential_voting_power
    refused(
        world, ErrorType.NOT_AUTHORIZED, lambda: world.vote("whale", whale, proposal_id, Vote.YES)
    )
    # the daily snapshot is skipped while the latest one is a spike: first one with the whale
    world.advance(days=1)
    assert (
        world.governance.voting_power_snapshots[-1].total_potential_voting_power
        > smallest.total_potential_voting_power
    )
    world.advance(days=1)
    assert len(world.governance.voting_power_snapshots) == MAX_VOTING_POWER_SNAPSHOTS
    latest = world.governance.voting_power_snapshots[-1]
    assert latest.timestamp_seconds == world.now() - ONE_DAY  # yesterday's, today's skipped


# -- rule 6: ManageNeuron error types (governance.rs) -----------------------------------------


def test_register_vote_refusals_carry_the_ics_error_types() -> None:
    """governance.rs register_vote: PreconditionFailed for a missing proposal id and for a vote
    that is neither Yes nor No; NotFound for an unknown proposal; NotAuthorized without a
    ballot; NeuronAlreadyVoted for a second vote; PreconditionFailed after the deadline."""
    world = make_world()
    alice, bob = world.stake("alice", 10), world.stake("bob", 100)
    proposal_id = world.propose_motion("alice", alice)
    cases = [
        (ErrorType.PRECONDITION_FAILED, RegisterVote(proposal=None, vote=Vote.YES)),
        (ErrorType.NOT_FOUND, RegisterVote(proposal=999, vote=Vote.YES)),
        (ErrorType.PRECONDITION_FAILED, RegisterVote(proposal=proposal_id, vote=Vote.UNSPECIFIED)),
        (ErrorType.PRECONDITION_FAILED, RegisterVote(proposal=proposal_id, vote=7)),
    ]
    for error_type, command in cases:
        refused(world, error_type, partial(world.manage, principal("bob"), bob, command))
    refused(
        world,
        ErrorType.NEURON_ALREADY_VOTED,
        lambda: world.vote("alice", alice, proposal_id, Vote.NO),
    )
    world.advance(days=5)
    refused(
        world, ErrorType.PRECONDITION_FAILED, lambda: world.vote("bob", bob, proposal_id, Vote.NO)
    )


def test_disbursing_a_neuron_that_is_not_dissolved_is_precondition_failed() -> None:
    """governance.rs disburse_neuron: PreconditionFailed, 'has NOT been dissolved'."""
    world = make_world()
    neuron_id = world.stake("alice", 10)
    error = refused(
        world,
        ErrorType.PRECONDITION_FAILED,
        lambda: world.manage(principal("alice"), neuron_id, Disburse()),
    )
    assert (
        error.error_message
        == f"Neuron {neuron_id} has NOT been dissolved. It is in state NotDissolving"
    )
    refused(
        world,
        ErrorType.NOT_AUTHORIZED,
        lambda: world.manage(principal("bob"), neuron_id, Disburse()),
    )


def test_merge_refusals_carry_the_ics_types_and_texts() -> None:
    """governance/merge_neurons.rs: MergeNeuronsError into GovernanceError."""
    world = make_world()
    alice = principal("alice")
    target, source = world.stake("alice", 10), world.stake("alice", 10, memo=1)
    dissolving = world.stake("alice", 10, memo=2)
    world.manage(alice, dissolving, Configure(operation=StartDissolving()))
    bobs = world.stake("bob", 10)
    cases = [
        (Merge(source_neuron_id=None), ErrorType.INVALID_COMMAND, "There was no source neuron id"),
        (
            Merge(source_neuron_id=target),
            ErrorType.INVALID_COMMAND,
            "Source id and target id cannot be the same",
        ),
        (Merge(source_neuron_id=4242), ErrorType.NOT_FOUND, "Source neuron not found"),
        (
            Merge(source_neuron_id=bobs),
            ErrorType.NOT_AUTHORIZED,
            "Source neuron must be owned by the caller",
        ),
        (
            Merge(source_neuron_id=dissolving),
            ErrorType.REQUIRES_NOT_DISSOLVING,
            "Only two non-dissolving neurons with a dissolve delay greater than 0 can be merged.",
        ),
    ]
    for command, error_type, message in cases:
        error = refused(world, error_type, partial(world.manage, alice, target, command))
        assert error.error_message == message
    world.follow("alice", source, Topic.NEURON_MANAGEMENT, [bobs])
    error = refused(
        world,
        ErrorType.PRECONDITION_FAILED,
        lambda: world.manage(alice, target, Merge(source_neuron_id=source)),
    )
    assert error.error_message == "ManageNeuron following of source and target does not match"


def test_disburse_maturity_refusals_carry_the_ics_types_and_texts() -> None:
    """governance/disburse_maturity.rs InitiateMaturityDisbursementError, checked in its order."""
    world = make_world()
    alice = principal("alice")
    neuron_id = world.stake("alice", 10)
    with world.governance.transaction() as session:
        world.governance.state.put_neuron(
            session, replace(world.neuron(neuron_id), maturity_e8s_equivalent=100 * E8S)
        )
    error = refused(
        world,
        ErrorType.INVALID_COMMAND,
        lambda: world.manage(alice, neuron_id, DisburseMaturity(percentage_to_disburse=0)),
    )
    assert error.error_message == "Invalid percentage: must be between 1 and 100"
    small = refused(
        world,
        ErrorType.PRECONDITION_FAILED,
        lambda: world.manage(alice, neuron_id, DisburseMaturity(percentage_to_disburse=1)),
    )
    assert small.error_message.startswith("Disbursement (100000000) is too small.")
    error = refused(
        world,
        ErrorType.INVALID_COMMAND,
        lambda: world.manage(
            principal("bob"), neuron_id, DisburseMaturity(percentage_to_disburse=50)
        ),
    )
    assert error.error_message == "Caller is not the neuron controller"
    for _ in range(MAX_DISBURSEMENTS_IN_PROGRESS):
        world.manage(alice, neuron_id, DisburseMaturity(percentage_to_disburse=5))
    error = refused(
        world,
        ErrorType.PRECONDITION_FAILED,
        lambda: world.manage(alice, neuron_id, DisburseMaturity(percentage_to_disburse=5)),
    )
    assert (
        error.error_message
        == f"Too many disbursements in progress. Max: {MAX_DISBURSEMENTS_IN_PROGRESS}"
    )
