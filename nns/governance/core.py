"""The typed state of the governance canister, which every rule shares: its state and
indexes, its environment, its transaction discipline, its calls to the ledger and the record
of proposal outcomes.

Every rule is a module of functions whose first argument is a `GovernanceCore`
(`neuron_commands`, `ledger_commands`, `action_execution`, `sns_launch`,
`proposal_validation`, `voting`, `periodic`, `proposal_queries`, `neuron_queries`,
`simulation`; `commands` is the ManageNeuron dispatch table). It is a class because it holds
state; the rules hold none. `canister.Governance` creates the core and is the canister's one
face.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace

from sqlmodel import Session

from nns.governance.actions import NodeProvider
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
from nns.governance.rewards import RewardEvent
from nns.governance.settings import (
    DEFAULT_FOLLOWEES,
    ECONOMICS,
    GENESIS_TIMESTAMP_SECONDS,
    LATEST_REWARD_EVENT,
    LOCKS,
    MATURITY_MODULATION_BASIS_POINTS,
    NEURON_RATE_LIMIT,
    NODE_PROVIDERS,
)
from nns.governance.state import TABLES, GovernanceState
from nns.ledger.accounts import AccountIdentifier
from nns.ledger.types import TransferArgs
from replica.canister.stable import StableStore
from replica.environment import NANOS_PER_SECOND, Environment, OutgoingCall
from replica.presets import Preset
from replica.types import Principal


class GovernanceCore:
    """State, time, randomness and outgoing calls of the governance canister."""

    def __init__(
        self,
        environment: Environment,
        *,
        preset: Preset,
        economics: NetworkEconomics | None,
        genesis_timestamp_seconds: int | None,
        path: str | None,
        governance_id: Principal,
        ledger_id: Principal,
        cycles_minting_id: Principal,
        default_followees: Mapping[int, tuple[int, ...]] | None,
    ) -> None:
        self.environment = environment
        self.preset = preset
        self.durations = Durations.of(preset)
        self.governance_id = governance_id
        self.ledger_id = ledger_id
        self.cycles_minting_id = cycles_minting_id
        self.store = StableStore(list(TABLES), path)
        self.state = GovernanceState(self.store)
        if "economics" in self.state.settings:
            return
        genesis = (
            environment.now_ns() // NANOS_PER_SECOND
            if genesis_timestamp_seconds is None
            else genesis_timestamp_seconds
        )
        with self.store.transaction() as session:
            self.state.put(
                session, ECONOMICS, economics or NetworkEconomics.default(self.durations)
            )
            self.state.put(session, GENESIS_TIMESTAMP_SECONDS, genesis)
            self.state.put(session, DEFAULT_FOLLOWEES, dict(default_followees or {}))
            self.state.put(session, MATURITY_MODULATION_BASIS_POINTS, 0)
            self.state.put(
                session,
                LATEST_REWARD_EVENT,
                RewardEvent(
                    day_after_genesis=0,
                    actual_timestamp_seconds=genesis,
                    settled_proposals=(),
                    distributed_e8s_equivalent=0,
                    total_available_e8s_equivalent=0,
                    rounds_since_last_distribution=0,
                    latest_round_available_e8s_equivalent=0,
                ),
            )

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
    def latest_reward_event(self) -> RewardEvent:
        return self.state.get(LATEST_REWARD_EVENT)

    @property
    def node_providers(self) -> tuple[NodeProvider, ...]:
        return self.state.get(NODE_PROVIDERS)

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
        """Ask the ledger to move ICP out of a governance account (or mint, from the default
        one)."""
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

    def mark_executed(self, session: Session, proposal_id: int, failure_reason: str | None) -> None:
        """Record the outcome of an adopted proposal; a success after a failure wins."""
        record = self.state.proposals.get(proposal_id)
        if record is None:
            return
        now = self.now_seconds()
        self.state.touch_proposal(record)
        if failure_reason is None:
            record.executed_timestamp_seconds, record.failure_reason = now, None
            record.failed_timestamp_seconds = 0
        elif not record.executed_timestamp_seconds:
            record.failed_timestamp_seconds, record.failure_reason = now, failure_reason
        self.state.put_proposal(session, record, ballots=False)

    def finish_command(self, session: Session, proposal_id: int | None, outcome: object) -> object:
        """The end of a ManageNeuron command: a command run by an adopted ManageNeuron
        proposal records the proposal's outcome; the command's own outcome is returned."""
        if proposal_id is not None:
            failure = outcome.error_message if isinstance(outcome, GovernanceError) else None
            self.mark_executed(session, proposal_id, failure)
        return outcome
