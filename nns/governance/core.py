"""What every part of the governance canister shares: its state, its environment,
its transaction discipline and its calls to the ledger."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace

from sqlmodel import Session

from nns.governance.enums import ErrorType, NeuronState
from nns.governance.errors import GovernanceError, not_authorized, not_found
from nns.governance.neuron import Neuron, get_state
from nns.governance.parameters import (
    NEURON_RATE_LIMIT_CAPACITY,
    NEURON_RATE_LIMIT_REFILL_SECONDS,
    Durations,
    NetworkEconomics,
)
from nns.governance.proposals import ProposalRecord
from nns.governance.settings import ECONOMICS, GENESIS_TIMESTAMP_SECONDS, LOCKS, NEURON_RATE_LIMIT
from nns.governance.state import GovernanceState
from nns.ledger.accounts import AccountIdentifier
from nns.ledger.types import TransferArgs
from replica.canister.stable import StableStore
from replica.environment import NANOS_PER_SECOND, Environment, OutgoingCall
from replica.presets import Preset
from replica.types import Principal


class GovernanceCore:
    """State, time, randomness and outgoing calls of the governance canister."""

    environment: Environment
    preset: Preset
    durations: Durations
    store: StableStore
    state: GovernanceState
    governance_id: Principal
    ledger_id: Principal
    cycles_minting_id: Principal

    # -- time and randomness ----------------------------------------------------------------

    def now_seconds(self) -> int:
        return self.environment.now_ns() // NANOS_PER_SECOND

    def new_neuron_id(self) -> int:
        """A random non-zero id. The IC draws u64; icbox draws 63 bits so ids fit SQLite."""
        while True:
            candidate = int.from_bytes(self.environment.random_bytes(8), "big") >> 1
            if candidate != 0 and candidate not in self.state.neurons:
                return candidate

    def new_subaccount(self) -> bytes:
        while True:
            candidate = self.environment.random_bytes(32)
            if candidate not in self.state.by_subaccount:
                return candidate

    # -- settings ---------------------------------------------------------------------------

    @property
    def economics(self) -> NetworkEconomics:
        return self.state.get(ECONOMICS)

    @property
    def genesis_timestamp_seconds(self) -> int:
        return self.state.get(GENESIS_TIMESTAMP_SECONDS)

    @property
    def locks(self) -> Mapping[int, str]:
        return self.state.get(LOCKS)

    def require_unlocked(self, neuron_id: int) -> None:
        if neuron_id in self.locks:
            raise GovernanceError(
                ErrorType.LEDGER_UPDATE_ONGOING,
                f"Neuron {neuron_id} has an ongoing ledger update ({self.locks[neuron_id]}).",
            )

    def lock_neuron(self, session: Session, neuron_id: int, command: str) -> None:
        self.require_unlocked(neuron_id)
        self.state.put(session, LOCKS, {**self.locks, neuron_id: command})

    def unlock_neuron(self, session: Session, neuron_id: int) -> None:
        locks = dict(self.locks)
        locks.pop(neuron_id, None)
        self.state.put(session, LOCKS, locks)

    def take_rate_limit_slot(self, session: Session) -> None:
        """Neuron creation is rate limited: a slot every 240 s, at most 300 in reserve."""
        now = self.now_seconds()
        available, last = self.state.get(NEURON_RATE_LIMIT) or (NEURON_RATE_LIMIT_CAPACITY, now)
        refill = (now - last) // NEURON_RATE_LIMIT_REFILL_SECONDS
        available = min(NEURON_RATE_LIMIT_CAPACITY, available + refill)
        last = last + refill * NEURON_RATE_LIMIT_REFILL_SECONDS if refill else last
        if available <= 0:
            raise GovernanceError(
                ErrorType.UNAVAILABLE,
                "Reached maximum number of neurons that can be created in this hour. "
                "Please wait and try again later.",
            )
        self.state.put(session, NEURON_RATE_LIMIT, (available - 1, last))

    # -- transactions -----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One message (or a savepoint inside one): on any failure the tables roll back and
        the undo journal restores the in-memory indexes, newest change first."""
        self.state.begin()
        try:
            with self.store.transaction() as session:
                yield session
        except BaseException:
            self.state.rollback()
            raise
        self.state.commit()

    # -- neurons ----------------------------------------------------------------------------

    def get_neuron(self, neuron_id: int) -> Neuron:
        neuron = self.state.neurons.get(neuron_id)
        if neuron is None:
            raise not_found(f"Neuron not found: {neuron_id}")
        return neuron

    def get_controlled_neuron(self, caller: Principal, neuron_id: int) -> Neuron:
        neuron = self.get_neuron(neuron_id)
        if caller != neuron.controller:
            raise not_authorized()
        return neuron

    def get_authorized_neuron(self, caller: Principal, neuron_id: int) -> Neuron:
        neuron = self.get_neuron(neuron_id)
        if not neuron.is_authorized(caller):
            raise not_authorized()
        return neuron

    def refresh_voting_power(self, session: Session, neuron: Neuron) -> Neuron:
        refreshed = replace(neuron, voting_power_refreshed_timestamp_seconds=self.now_seconds())
        self.state.put_neuron(session, refreshed)
        return refreshed

    def require_not_spawning(self, neuron: Neuron) -> None:
        if get_state(neuron, self.now_seconds()) == NeuronState.SPAWNING:
            raise GovernanceError(
                ErrorType.PRECONDITION_FAILED,
                "Can't perform operation on neuron: Neuron is spawning.",
            )

    def neuron_account(self, neuron: Neuron) -> AccountIdentifier:
        return AccountIdentifier.of(self.governance_id, neuron.subaccount)

    # -- calls ------------------------------------------------------------------------------

    def call_ledger_transfer(
        self,
        *,
        from_subaccount: bytes | None,
        to: AccountIdentifier,
        amount_e8s: int,
        fee_e8s: int,
        memo: int,
        on_reply: str,
        on_reject: str,
        context: object,
    ) -> None:
        """Ask the ledger to move ICP out of a governance account (or mint, from the default one)."""
        self.environment.call(
            OutgoingCall(
                callee=self.ledger_id,
                method="transfer",
                argument=TransferArgs(
                    memo=memo,
                    amount_e8s=amount_e8s,
                    fee_e8s=fee_e8s,
                    from_subaccount=from_subaccount,
                    to=to,
                    created_at_time_ns=None,
                ),
                on_reply=on_reply,
                on_reject=on_reject,
                context=context,
            )
        )

    def minting_account(self) -> AccountIdentifier:
        return AccountIdentifier.of(self.governance_id)

    # -- proposals --------------------------------------------------------------------------

    def get_proposal(self, proposal_id: int) -> ProposalRecord:
        record = self.state.proposals.get(proposal_id)
        if record is None:
            raise not_found(f"Can't find proposal {proposal_id}.")
        return record
