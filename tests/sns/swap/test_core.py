"""The swap's rules (spec sns.md §3): lifecycle, tickets, participation, price, baskets,
the Neurons' Fund and the finalization journal.

Sources: dfinity/ic rs/sns/swap/src/swap.rs, swap.proto;
rs/nns/governance/src/neurons_fund.rs and rs/nervous_system/neurons_fund.
"""

from __future__ import annotations

import pytest

from replica.types import Principal
from sns.swap.core import (
    NEURON_BASKET_MEMO_RANGE_START,
    Lifecycle,
    SwapCore,
    SwapError,
    SwapParams,
    TicketError,
    principal_to_subaccount,
    split_amount,
    tokens_for,
)
from sns.swap.finalize import Finalization
from sns.swap.neurons_fund import (
    MAX_THEORETICAL_NEURONS_FUND_PARTICIPATION_AMOUNT_ICP_E8S,
    FundNeuron,
    MatchingFunction,
    NeuronsFundConstraints,
    allocate,
)

E8S = 100_000_000
START, DUE = 1_000, 2_000
NNS_GOVERNANCE = Principal.from_canister_id(1)


def buyer(n: int) -> Principal:
    return Principal.self_authenticating(b"buyer" + bytes([n]))


def make_swap(**changes: object) -> SwapCore:
    values: dict[str, object] = {
        "min_participants": 2,
        "min_direct_participation_icp_e8s": 20 * E8S,
        "max_direct_participation_icp_e8s": 100 * E8S,
        "min_participant_icp_e8s": 5 * E8S,
        "max_participant_icp_e8s": 60 * E8S,
        "sns_token_e8s": 10_000 * E8S,
        "swap_start_timestamp_seconds": START,
        "swap_due_timestamp_seconds": DUE,
        "basket_count": 3,
        "basket_dissolve_delay_interval_seconds": 100,
        "sns_transaction_fee_e8s": 10_000,
    }
    values.update(changes)
    return SwapCore(SwapParams(**values))  # type: ignore[arg-type]


def test_lifecycle_opens_at_start_and_commits_at_the_deadline() -> None:
    swap = make_swap()
    assert swap.advance(START - 1) == Lifecycle.ADOPTED
    with pytest.raises(SwapError) as refused:
        swap.new_sale_ticket(buyer(1), 10 * E8S, None, START - 1)
    assert refused.value.ticket_error == TicketError.SALE_NOT_OPEN
    assert swap.advance(START) == Lifecycle.OPEN
    swap.refresh_buyer_tokens(buyer(1), 10 * E8S, None)
    swap.refresh_buyer_tokens(buyer(2), 15 * E8S, None)
    assert swap.advance(DUE - 1) == Lifecycle.OPEN
    assert swap.advance(DUE) == Lifecycle.COMMITTED
    with pytest.raises(SwapError) as closed:
        swap.new_sale_ticket(buyer(3), 10 * E8S, None, DUE)
    assert closed.value.ticket_error == TicketError.SALE_CLOSED


def test_aborts_without_enough_participants_and_early_when_the_cap_is_hit() -> None:
    swap = make_swap()
    swap.advance(START)
    swap.refresh_buyer_tokens(buyer(1), 30 * E8S, None)
    assert swap.advance(DUE) == Lifecycle.ABORTED  # one participant of two
    early = make_swap(max_participant_icp_e8s=100 * E8S)
    early.advance(START)
    early.refresh_buyer_tokens(buyer(1), 100 * E8S, None)
    assert early.advance(START + 1) == Lifecycle.ABORTED  # the cap is hit with one participant
    full = make_swap()
    full.advance(START)
    full.refresh_buyer_tokens(buyer(1), 60 * E8S, None)
    full.refresh_buyer_tokens(buyer(2), 40 * E8S, None)
    assert full.advance(START + 1) == Lifecycle.COMMITTED  # the cap is hit with enough


def test_tickets_and_participation_bounds() -> None:
    swap = make_swap()
    swap.advance(START)
    for amount in (4 * E8S, 61 * E8S):
        with pytest.raises(SwapError) as refused:
            swap.new_sale_ticket(buyer(1), amount, None, START)
        assert refused.value.ticket_error == TicketError.INVALID_USER_AMOUNT
    with pytest.raises(SwapError) as anonymous:
        swap.new_sale_ticket(Principal.anonymous(), 10 * E8S, None, START)
    assert anonymous.value.ticket_error == TicketError.INVALID_PRINCIPAL
    with pytest.raises(SwapError) as bad:
        swap.new_sale_ticket(buyer(1), 10 * E8S, b"short", START)
    assert bad.value.ticket_error == TicketError.INVALID_SUBACCOUNT
    ticket = swap.new_sale_ticket(buyer(1), 10 * E8S, None, START)
    with pytest.raises(SwapError) as exists:
        swap.new_sale_ticket(buyer(1), 10 * E8S, None, START)
    assert exists.value.ticket_error == TicketError.TICKET_EXISTS
    assert swap.tickets[buyer(1)] == ticket
    with pytest.raises(SwapError):
        swap.refresh_buyer_tokens(buyer(1), 4 * E8S, None)  # below the minimum: refused
    assert swap.tickets[buyer(1)] == ticket and buyer(1) not in swap.buyers
    assert swap.refresh_buyer_tokens(buyer(1), 70 * E8S, None) == (60 * E8S, 70 * E8S)
    assert buyer(1) not in swap.tickets  # the ticket is closed
    with_text = make_swap(confirmation_text="I agree")
    with_text.advance(START)
    with pytest.raises(SwapError):
        with_text.refresh_buyer_tokens(buyer(1), 10 * E8S, "I disagree")
    assert with_text.refresh_buyer_tokens(buyer(1), 10 * E8S, "I agree")[0] == 10 * E8S


def test_one_clearing_price_the_spec_example() -> None:
    # 1,000,000 tokens offered, 500 ICP raised: 2,000 tokens per ICP; 10 ICP buys 20,000
    assert tokens_for(10 * E8S, 1_000_000 * E8S, 500 * E8S) == 20_000 * E8S


def test_baskets_split_evenly_with_spaced_dissolve_delays() -> None:
    assert split_amount(10, 3) == [4, 3, 3]
    swap = make_swap()
    swap.advance(START)
    swap.refresh_buyer_tokens(buyer(1), 30 * E8S, None)
    swap.refresh_buyer_tokens(buyer(2), 20 * E8S, None)
    swap.advance(DUE)
    recipes = swap.recipes(NNS_GOVERNANCE)
    assert len(recipes) == 6
    mine = [r for r in recipes if r.controller == buyer(1)]
    assert [r.dissolve_delay_seconds for r in mine] == [0, 100, 200]
    assert sum(r.sns_e8s for r in mine) == 10_000 * E8S * 30 // 50
    assert [r.memo for r in mine] == [NEURON_BASKET_MEMO_RANGE_START + i for i in range(3)]
    assert len(principal_to_subaccount(buyer(1))) == 32


def test_matching_function_anchor_points_and_fund_allocation() -> None:
    g = MAX_THEORETICAL_NEURONS_FUND_PARTICIPATION_AMOUNT_ICP_E8S
    f = MatchingFunction.for_total_maturity(100 * g)  # cap = G
    assert f.cap == g and (f.t1, f.t2, f.t3) == (g // 10, 3 * g // 10, g // 2)
    assert f.apply(f.t1 - 1) == 0
    assert f.apply(f.t2) == f.t2 // 2
    assert f.apply(f.t3) == f.t3
    assert f.apply(f.t4) == f.cap
    values = [f.apply(x) for x in range(0, 2 * g, g // 50)]
    assert values == sorted(values)  # monotone
    small = MatchingFunction.for_total_maturity(1_000 * E8S)  # cap = 10 % of the maturity
    assert small.cap == 100 * E8S
    constraints = NeuronsFundConstraints(
        min_direct_participation_threshold_icp_e8s=50 * E8S,
        max_neurons_fund_participation_icp_e8s=40 * E8S,
        matching=MatchingFunction(t1=0, t2=100 * E8S, t3=200 * E8S, t4=400 * E8S, cap=300 * E8S),
    )
    assert constraints.effective_icp_e8s(49 * E8S) == 0
    assert constraints.effective_icp_e8s(60 * E8S) == 30 * E8S  # on the line (0, 0)-(t2, t2 / 2)
    assert constraints.effective_icp_e8s(200 * E8S) == 40 * E8S
    neurons = [
        FundNeuron(nns_neuron_id=1, controller=buyer(1), maturity_e8s=700 * E8S),
        FundNeuron(nns_neuron_id=2, controller=buyer(2), maturity_e8s=290 * E8S),
        FundNeuron(nns_neuron_id=3, controller=buyer(3), maturity_e8s=10 * E8S),
    ]
    portions = allocate(
        neurons, 40 * E8S, min_participant_icp_e8s=1 * E8S, max_participant_icp_e8s=20 * E8S
    )
    assert [(p.nns_neuron_id, p.amount_icp_e8s) for p in portions] == [
        (1, 20 * E8S),  # 28 ICP capped at the per-participant maximum
        (2, 40 * E8S * 290 // 1_000),
    ]  # neuron 3's 0.4 ICP is below the minimum: it drops out


def test_finalization_journal_resumes_and_never_repeats() -> None:
    swap = make_swap()
    swap.advance(START)
    swap.refresh_buyer_tokens(buyer(1), 30 * E8S, None)
    swap.refresh_buyer_tokens(buyer(2), 20 * E8S, None)
    swap.advance(DUE)
    journal = Finalization()
    done: list[tuple[str, object]] = []
    failures = 0
    while (action := journal.next_action(swap, NNS_GOVERNANCE)) is not None:
        if action.kind == "sweep_sns" and len(done) == 4 and failures == 0:
            journal.record(action, False)  # the ledger was unreachable: stop here
            failures += 1
            continue
        journal.record(action, True)
        done.append((action.kind, action.key))
    kinds = [k for k, _ in done]
    assert kinds.count("sweep_icp") == 2 and kinds.count("sweep_sns") == 6
    assert len(set(done)) == len(done)  # no item twice, even across the failure
    assert kinds[-3:] == ["claim_neurons", "set_mode", "set_dapp_controllers"]
    assert journal.counts["sweep_sns"].failure == 1
