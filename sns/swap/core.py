"""The swap's rules without I/O: lifecycle, tickets, participation, price and baskets.

Sources: dfinity/ic rs/sns/swap/src/swap.rs (`new_sale_ticket`,
`refresh_buyer_token_e8s`, `try_open`, `try_commit`, `try_abort`,
`sufficient_participation`, `create_sns_neuron_recipes`, `split_amount`) and
swap.proto (`Lifecycle`, `NewSaleTicketResponse.Err.Type`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final

from nns.governance.neuron import compute_neuron_staking_subaccount
from replica.types import Principal
from sns.swap.neurons_fund import FundPortion, NeuronsFundConstraints

NEURON_BASKET_MEMO_RANGE_START: Final = 1_000_000
"""Memos of basket neurons start here (swap.rs), so they never meet a buyer's own stakes."""


class Lifecycle(IntEnum):
    UNSPECIFIED = 0
    PENDING = 1
    OPEN = 2
    COMMITTED = 3
    ABORTED = 4
    ADOPTED = 5


class TicketError(IntEnum):
    """`NewSaleTicketResponse.Err.Type` of swap.proto."""

    UNSPECIFIED = 0
    SALE_NOT_OPEN = 1
    SALE_CLOSED = 2
    TICKET_EXISTS = 3
    INVALID_USER_AMOUNT = 4
    INVALID_SUBACCOUNT = 5
    INVALID_PRINCIPAL = 6


class SwapError(Exception):
    def __init__(self, message: str, ticket_error: TicketError = TicketError.UNSPECIFIED) -> None:
        super().__init__(message)
        self.ticket_error = ticket_error


@dataclass(frozen=True, slots=True, kw_only=True)
class SwapParams:
    min_participants: int
    min_direct_participation_icp_e8s: int
    max_direct_participation_icp_e8s: int
    min_participant_icp_e8s: int
    max_participant_icp_e8s: int
    sns_token_e8s: int
    swap_start_timestamp_seconds: int
    swap_due_timestamp_seconds: int
    basket_count: int
    basket_dissolve_delay_interval_seconds: int
    sns_transaction_fee_e8s: int
    icp_transaction_fee_e8s: int = 10_000
    confirmation_text: str | None = None
    neurons_fund_participation: bool = False
    neurons_fund_constraints: NeuronsFundConstraints | None = None
    nns_proposal_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Ticket:
    ticket_id: int
    buyer: Principal
    amount_icp_e8s: int
    subaccount: bytes | None
    creation_time_seconds: int


@dataclass(slots=True, kw_only=True)
class BuyerState:
    amount_icp_e8s: int
    has_created_neuron_recipes: bool = False
    transfer_done: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Recipe:
    """One basket neuron to create: who, how much SNS, which dissolve delay."""

    neuron_id: bytes
    controller: Principal
    memo: int
    sns_e8s: int
    dissolve_delay_seconds: int
    buyer: Principal | None = None
    nns_neuron_id: int | None = None
    nns_neuron_controller: Principal | None = None


def principal_to_subaccount(principal: Principal) -> bytes:
    """The buyer's subaccount of the swap on the ICP ledger: length, bytes, zeros (swap.rs)."""
    raw = principal.raw
    return (bytes([len(raw)]) + raw).ljust(32, b"\x00")


def split_amount(amount: int, count: int) -> list[int]:
    """Equal parts; the remainder goes one e8 at a time to the first parts (§3.5)."""
    base, remainder = divmod(amount, count)
    return [base + (1 if index < remainder else 0) for index in range(count)]


def tokens_for(icp_e8s: int, sns_token_e8s: int, total_icp_e8s: int) -> int:
    """own ICP x SNS tokens offered / total ICP raised: one price for everybody (§3.3)."""
    if total_icp_e8s == 0:
        return 0
    return icp_e8s * sns_token_e8s // total_icp_e8s


@dataclass(slots=True)
class SwapCore:
    params: SwapParams
    lifecycle: Lifecycle = Lifecycle.ADOPTED
    buyers: dict[Principal, BuyerState] = field(default_factory=dict)
    tickets: dict[Principal, Ticket] = field(default_factory=dict)
    next_ticket_id: int = 0
    neurons_fund_portions: list[FundPortion] | None = None
    decided_timestamp_seconds: int = 0

    # -- reads --------------------------------------------------------------------------------

    @property
    def direct_participation_icp_e8s(self) -> int:
        return sum(b.amount_icp_e8s for b in self.buyers.values())

    @property
    def neurons_fund_participation_icp_e8s(self) -> int:
        if self.neurons_fund_portions is not None:
            return sum(p.amount_icp_e8s for p in self.neurons_fund_portions)
        constraints = self.params.neurons_fund_constraints
        if constraints is None:
            return 0
        return constraints.effective_icp_e8s(self.direct_participation_icp_e8s)

    def total_participation_icp_e8s(self) -> int:
        return self.direct_participation_icp_e8s + self.neurons_fund_participation_icp_e8s

    def tokens_per_icp_e8s(self) -> float:
        total = self.total_participation_icp_e8s()
        return 0.0 if total == 0 else self.params.sns_token_e8s / total

    def sufficient_participation(self) -> bool:
        p = self.params
        return (
            len(self.buyers) >= p.min_participants
            and self.direct_participation_icp_e8s >= p.min_direct_participation_icp_e8s
        )

    def cap_reached(self) -> bool:
        """No one can join any more: less than one minimum participation is left (swap.rs)."""
        p = self.params
        left = p.max_direct_participation_icp_e8s - self.direct_participation_icp_e8s
        return left < p.min_participant_icp_e8s

    # -- the clock ----------------------------------------------------------------------------

    def advance(self, now: int) -> Lifecycle:
        """Open at the start time; commit or abort at the deadline or when the cap is reached."""
        p = self.params
        if self.lifecycle == Lifecycle.ADOPTED and now >= p.swap_start_timestamp_seconds:
            self.lifecycle = Lifecycle.OPEN
        if self.lifecycle == Lifecycle.OPEN:
            due = now >= p.swap_due_timestamp_seconds
            if self.sufficient_participation() and (due or self.cap_reached()):
                self.lifecycle = Lifecycle.COMMITTED
                self.decided_timestamp_seconds = now
            elif due or (self.cap_reached() and not self.sufficient_participation()):
                self.lifecycle = Lifecycle.ABORTED
                self.decided_timestamp_seconds = now
        return self.lifecycle

    # -- participation ------------------------------------------------------------------------

    def _require_open(self) -> None:
        if self.lifecycle in (Lifecycle.PENDING, Lifecycle.ADOPTED, Lifecycle.UNSPECIFIED):
            raise SwapError("The swap is not open.", TicketError.SALE_NOT_OPEN)
        if self.lifecycle != Lifecycle.OPEN:
            raise SwapError("The swap is closed.", TicketError.SALE_CLOSED)

    def _check_amount(self, buyer: Principal, amount: int) -> None:
        p = self.params
        current = self.buyers.get(buyer, BuyerState(amount_icp_e8s=0)).amount_icp_e8s
        if current + amount < p.min_participant_icp_e8s:
            raise SwapError(
                f"The amount {amount} is below the minimum participation "
                f"{p.min_participant_icp_e8s} e8s.",
                TicketError.INVALID_USER_AMOUNT,
            )
        if current + amount > p.max_participant_icp_e8s:
            raise SwapError(
                f"The amount {amount} takes the participation over the maximum "
                f"{p.max_participant_icp_e8s} e8s.",
                TicketError.INVALID_USER_AMOUNT,
            )
        left = p.max_direct_participation_icp_e8s - self.direct_participation_icp_e8s
        if amount > left:
            raise SwapError(
                f"The amount {amount} exceeds what the swap can still accept ({left} e8s).",
                TicketError.INVALID_USER_AMOUNT,
            )

    def new_sale_ticket(
        self, buyer: Principal, amount: int, subaccount: bytes | None, now: int
    ) -> Ticket:
        self._require_open()
        if buyer.is_anonymous:
            raise SwapError("The anonymous principal cannot buy.", TicketError.INVALID_PRINCIPAL)
        if subaccount is not None and len(subaccount) != 32:
            raise SwapError("A subaccount has 32 bytes.", TicketError.INVALID_SUBACCOUNT)
        existing = self.tickets.get(buyer)
        if existing is not None:
            raise SwapError("The buyer has an open ticket.", TicketError.TICKET_EXISTS)
        self._check_amount(buyer, amount)
        ticket = Ticket(
            ticket_id=self.next_ticket_id,
            buyer=buyer,
            amount_icp_e8s=amount,
            subaccount=subaccount,
            creation_time_seconds=now,
        )
        self.next_ticket_id += 1
        self.tickets[buyer] = ticket
        return ticket

    def refresh_buyer_tokens(
        self, buyer: Principal, balance_icp_e8s: int, confirmation_text: str | None
    ) -> tuple[int, int]:
        """Accept what the buyer's subaccount holds, within the bounds; returns
        (accepted participation, ledger balance). The open ticket is closed."""
        self._require_open()
        p = self.params
        if p.confirmation_text is not None and confirmation_text != p.confirmation_text:
            raise SwapError("The confirmation text does not match the swap's.")
        if p.confirmation_text is None and confirmation_text is not None:
            raise SwapError("This swap has no confirmation text; none may be given.")
        current = self.buyers.get(buyer, BuyerState(amount_icp_e8s=0)).amount_icp_e8s
        if balance_icp_e8s < p.min_participant_icp_e8s:
            raise SwapError(
                f"The balance {balance_icp_e8s} is below the minimum participation "
                f"{p.min_participant_icp_e8s} e8s."
            )
        left = p.max_direct_participation_icp_e8s - self.direct_participation_icp_e8s
        accepted = min(balance_icp_e8s, p.max_participant_icp_e8s, current + left)
        if accepted <= current:
            if self.tickets.pop(buyer, None) is None and accepted < balance_icp_e8s:
                raise SwapError("Nothing more can be accepted from this buyer.")
            return current, balance_icp_e8s
        self.tickets.pop(buyer, None)
        self.buyers.setdefault(buyer, BuyerState(amount_icp_e8s=0)).amount_icp_e8s = accepted
        return accepted, balance_icp_e8s

    # -- neurons ------------------------------------------------------------------------------

    def recipes(self, nns_governance_id: Principal) -> list[Recipe]:
        """One basket per participant (direct, then Neurons' Fund), at the one clearing price."""
        p = self.params
        total = self.total_participation_icp_e8s()
        recipes: list[Recipe] = []
        for buyer in sorted(self.buyers):
            tokens = tokens_for(self.buyers[buyer].amount_icp_e8s, p.sns_token_e8s, total)
            for index, part in enumerate(split_amount(tokens, p.basket_count)):
                memo = NEURON_BASKET_MEMO_RANGE_START + index
                recipes.append(
                    Recipe(
                        neuron_id=compute_neuron_staking_subaccount(buyer, memo),
                        controller=buyer,
                        memo=memo,
                        sns_e8s=part,
                        dissolve_delay_seconds=index * p.basket_dissolve_delay_interval_seconds,
                        buyer=buyer,
                    )
                )
        memo = NEURON_BASKET_MEMO_RANGE_START
        for portion in self.neurons_fund_portions or []:
            tokens = tokens_for(portion.amount_icp_e8s, p.sns_token_e8s, total)
            for index, part in enumerate(split_amount(tokens, p.basket_count)):
                recipes.append(
                    Recipe(
                        neuron_id=compute_neuron_staking_subaccount(nns_governance_id, memo),
                        controller=nns_governance_id,
                        memo=memo,
                        sns_e8s=part,
                        dissolve_delay_seconds=index * p.basket_dissolve_delay_interval_seconds,
                        nns_neuron_id=portion.nns_neuron_id,
                        nns_neuron_controller=portion.controller,
                    )
                )
                memo += 1
        return recipes
