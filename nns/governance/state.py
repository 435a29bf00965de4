"""Governance state: in-memory indexes over SQLModel tables.

The tables are the truth: one row per neuron (hot numbers in columns, the rest
as a canonical record), one per proposal (ballots packed), the recent-ballot
history of settled proposals, and named settings. The canister keeps indexes
in memory for speed (neurons by id, subaccount and principal; the follower
index; proposals) and writes every change through to the tables inside the
message's transaction. Every in-memory change is also written to an undo
journal (one per open transaction, nested like the savepoints): if a message
fails, the transaction rolls back in SQLite and the journal is replayed
backwards in memory, so a refusal costs what its own writes cost, never a
rebuild. `reload()` rebuilds everything from the tables (at start, and in tests
that check the journal against the tables).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Final, Generic, TypeVar, cast

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import Field, Session, SQLModel

from nns.governance.enums import Topic
from nns.governance.following import FollowerIndex
from nns.governance.neuron import Neuron
from nns.governance.proposals import Ballots, ProposalRecord
from replica.canister import codec
from replica.canister.stable import StableStore
from replica.types import Principal


class GovernanceNeuron(SQLModel, table=True):
    __tablename__ = "governance_neuron"
    id: int = Field(primary_key=True)
    controller: bytes = Field(index=True)
    subaccount: bytes = Field(unique=True)
    cached_neuron_stake_e8s: int
    neuron_fees_e8s: int
    maturity_e8s_equivalent: int
    staked_maturity_e8s_equivalent: int
    data: bytes


class GovernanceProposal(SQLModel, table=True):
    __tablename__ = "governance_proposal"
    id: int = Field(primary_key=True)
    data: bytes
    ballots: bytes


class GovernanceRecentBallot(SQLModel, table=True):
    __tablename__ = "governance_recent_ballot"
    neuron_id: int = Field(primary_key=True)
    proposal_id: int = Field(primary_key=True)
    vote: int


class GovernanceSetting(SQLModel, table=True):
    __tablename__ = "governance_setting"
    name: str = Field(primary_key=True)
    data: bytes


_MISSING: Final = object()
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True)
class Setting(Generic[T_co]):
    """A named value of the settings table, with its type and, unless it is set at
    installation, the value it has before it is first written (see `nns.governance.settings`)."""

    name: str
    default: object = _MISSING


TABLES: Final = (GovernanceNeuron, GovernanceProposal, GovernanceRecentBallot, GovernanceSetting)

_NEURON_UPSERT: Final = text(
    "INSERT INTO governance_neuron (id, controller, subaccount, cached_neuron_stake_e8s, "
    "neuron_fees_e8s, maturity_e8s_equivalent, staked_maturity_e8s_equivalent, data) "
    "VALUES (:id, :controller, :subaccount, :stake, :fees, :maturity, :staked, :data) "
    "ON CONFLICT(id) DO UPDATE SET controller = excluded.controller, "
    "subaccount = excluded.subaccount, cached_neuron_stake_e8s = excluded.cached_neuron_stake_e8s, "
    "neuron_fees_e8s = excluded.neuron_fees_e8s, "
    "maturity_e8s_equivalent = excluded.maturity_e8s_equivalent, "
    "staked_maturity_e8s_equivalent = excluded.staked_maturity_e8s_equivalent, data = excluded.data"
)


def _neuron_row(neuron: Neuron) -> dict[str, Any]:
    bare = replace(
        neuron,
        cached_neuron_stake_e8s=0,
        neuron_fees_e8s=0,
        maturity_e8s_equivalent=0,
        staked_maturity_e8s_equivalent=0,
    )
    return {
        "id": neuron.id,
        "controller": neuron.controller.raw,
        "subaccount": neuron.subaccount,
        "stake": neuron.cached_neuron_stake_e8s,
        "fees": neuron.neuron_fees_e8s,
        "maturity": neuron.maturity_e8s_equivalent,
        "staked": neuron.staked_maturity_e8s_equivalent,
        "data": codec.encode(bare),
    }


class GovernanceState:
    """The canister's tables and the indexes it keeps over them."""

    def __init__(self, store: StableStore) -> None:
        self.store = store
        self.neurons: dict[int, Neuron] = {}
        self.by_subaccount: dict[bytes, int] = {}
        self.by_principal: dict[Principal, set[int]] = {}
        self.followers = FollowerIndex()
        self.proposals: dict[int, ProposalRecord] = {}
        self.settings: dict[str, Any] = {}
        self._journals: list[list[Callable[[], None]]] = []
        self.reload()

    # -- the undo journal -------------------------------------------------------------------

    def begin(self) -> None:
        """Open a journal for a transaction (or a savepoint inside one)."""
        self._journals.append([])

    def commit(self) -> None:
        """Keep the changes; inside an outer transaction they stay undoable by it."""
        entries = self._journals.pop()
        if self._journals:
            self._journals[-1].extend(entries)

    def rollback(self) -> None:
        """Undo in memory, newest first, every change since the matching `begin`."""
        entries = self._journals.pop()
        for undo in reversed(entries):
            undo()

    def _record(self, undo: Callable[[], None]) -> None:
        if self._journals:
            self._journals[-1].append(undo)

    def _restore_neuron(self, neuron_id: int, old: Neuron | None) -> None:
        current = self.neurons.get(neuron_id)
        if current is not None:
            self._unindex(current)
        if old is not None:
            self._index(old)

    def _journal_neuron(self, neuron_id: int) -> None:
        if self._journals:
            old = self.neurons.get(neuron_id)
            self._journals[-1].append(lambda: self._restore_neuron(neuron_id, old))

    def touch_proposal(self, record: ProposalRecord) -> None:
        """Call before changing a proposal record in place: its fields come back on rollback."""
        if not self._journals:
            return
        saved = copy.copy(record)

        def undo() -> None:
            for name in ProposalRecord.__slots__:
                setattr(record, name, getattr(saved, name))
            self.proposals[record.id] = record

        self._journals[-1].append(undo)

    def journal_cast_votes(self, votes: MutableMapping[int, int], cast: Iterable[int]) -> None:
        """Ballots just cast (they were all unspecified) return to unspecified on rollback."""
        if not self._journals:
            return
        ids = list(cast)

        def undo() -> None:
            for neuron_id in ids:
                votes[neuron_id] = 0

        self._journals[-1].append(undo)

    # -- loading ----------------------------------------------------------------------------

    def reload(self) -> None:
        """Rebuild every index from the tables."""
        self.neurons, self.by_subaccount, self.by_principal = {}, {}, {}
        self.followers = FollowerIndex()
        self.proposals, self.settings = {}, {}
        with self.store.connection() as connection:
            for row in connection.execute(
                text(
                    "SELECT id, cached_neuron_stake_e8s, neuron_fees_e8s, maturity_e8s_equivalent, "
                    "staked_maturity_e8s_equivalent, data FROM governance_neuron ORDER BY id"
                )
            ):
                bare = codec.decode(row[5])
                neuron = replace(
                    bare,
                    cached_neuron_stake_e8s=row[1],
                    neuron_fees_e8s=row[2],
                    maturity_e8s_equivalent=row[3],
                    staked_maturity_e8s_equivalent=row[4],
                )
                self._index(neuron)
            for row in connection.execute(
                text("SELECT id, data, ballots FROM governance_proposal ORDER BY id")
            ):
                record = codec.decode(row[1])
                record.topic = Topic(record.topic)
                record.ballots = Ballots.decode(row[2])
                self.proposals[row[0]] = record
            for row in connection.execute(
                text("SELECT name, data FROM governance_setting ORDER BY name")
            ):
                self.settings[row[0]] = codec.decode(row[1])

    def _index(self, neuron: Neuron) -> None:
        self.neurons[neuron.id] = neuron
        self.by_subaccount[neuron.subaccount] = neuron.id
        for principal in (neuron.controller, *neuron.hot_keys):
            self.by_principal.setdefault(principal, set()).add(neuron.id)
        self.followers.add(neuron.id, neuron.followees)

    def _unindex(self, neuron: Neuron) -> None:
        del self.neurons[neuron.id]
        del self.by_subaccount[neuron.subaccount]
        for principal in (neuron.controller, *neuron.hot_keys):
            ids = self.by_principal.get(principal)
            if ids is not None:
                ids.discard(neuron.id)
                if not ids:
                    del self.by_principal[principal]
        self.followers.remove(neuron.id, neuron.followees)

    # -- writing ----------------------------------------------------------------------------

    @staticmethod
    def _connection(session: Session) -> Connection:
        connection: Connection = session.connection()
        return connection

    def put_neuron(self, session: Session, neuron: Neuron) -> None:
        """Insert or replace one neuron, in memory and in its table."""
        self._journal_neuron(neuron.id)
        old = self.neurons.get(neuron.id)
        if old is not None:
            self._unindex(old)
        self._index(neuron)
        self._connection(session).execute(_NEURON_UPSERT, _neuron_row(neuron))

    def put_neurons(self, session: Session, neurons: Iterable[Neuron]) -> None:
        """Bulk form of `put_neuron` (one executemany)."""
        rows = []
        journal = self._journals[-1] if self._journals else None
        for neuron in neurons:
            if journal is not None:
                journal.append(
                    partial(self._restore_neuron, neuron.id, self.neurons.get(neuron.id))
                )
            old = self.neurons.get(neuron.id)
            if old is not None:
                self._unindex(old)
            self._index(neuron)
            rows.append(_neuron_row(neuron))
        if rows:
            self._connection(session).execute(_NEURON_UPSERT, rows)

    def set_maturities(self, session: Session, neurons: Iterable[Neuron]) -> None:
        """Write only the maturity columns of many neurons (reward distribution)."""
        rows = []
        neurons = list(neurons)
        if self._journals:
            olds = [self.neurons[neuron.id] for neuron in neurons]
            self._journals[-1].append(partial(self._restore_maturities, olds))
        for neuron in neurons:
            self.neurons[neuron.id] = neuron
            rows.append(
                (neuron.maturity_e8s_equivalent, neuron.staked_maturity_e8s_equivalent, neuron.id)
            )
        if rows:
            self._connection(session).exec_driver_sql(
                "UPDATE governance_neuron SET maturity_e8s_equivalent = ?, "
                "staked_maturity_e8s_equivalent = ? WHERE id = ?",
                rows,
            )

    def _restore_maturities(self, olds: list[Neuron]) -> None:
        """Only maturities changed: no index but `neurons` depends on them."""
        for old in reversed(olds):
            self.neurons[old.id] = old

    def delete_neuron(self, session: Session, neuron_id: int) -> None:
        self._journal_neuron(neuron_id)
        neuron = self.neurons[neuron_id]
        self._unindex(neuron)
        self._connection(session).execute(
            text("DELETE FROM governance_neuron WHERE id = :id"), {"id": neuron_id}
        )

    def put_proposal(
        self, session: Session, record: ProposalRecord, *, ballots: bool = True
    ) -> None:
        """Write a proposal; `ballots=False` keeps the stored ballots (they did not change)."""
        self._journal_proposal(record.id)
        self.proposals[record.id] = record
        data = codec.encode(record)
        connection = self._connection(session)
        if ballots:
            connection.execute(
                text(
                    "INSERT INTO governance_proposal (id, data, ballots) VALUES (:id, :data, "
                    ":ballots) "
                    "ON CONFLICT(id) DO UPDATE SET data = excluded.data, ballots = excluded.ballots"
                ),
                {"id": record.id, "data": data, "ballots": record.ballots.encode()},
            )
        else:
            connection.execute(
                text("UPDATE governance_proposal SET data = :data WHERE id = :id"),
                {"id": record.id, "data": data},
            )

    def _journal_proposal(self, proposal_id: int) -> None:
        if self._journals:
            old = self.proposals.get(proposal_id)

            def undo() -> None:
                if old is None:
                    self.proposals.pop(proposal_id, None)
                else:
                    self.proposals[proposal_id] = old

            self._journals[-1].append(undo)

    def delete_proposal(self, session: Session, proposal_id: int) -> None:
        self._journal_proposal(proposal_id)
        del self.proposals[proposal_id]
        self._connection(session).execute(
            text("DELETE FROM governance_proposal WHERE id = :id"), {"id": proposal_id}
        )

    def record_recent_ballots(self, session: Session, rows: list[tuple[int, int, int]]) -> None:
        """Keep (neuron id, proposal id, vote) of settled proposals for the neurons' history."""
        if rows:
            self._connection(session).exec_driver_sql(
                "INSERT OR REPLACE INTO governance_recent_ballot (neuron_id, proposal_id, vote) "
                "VALUES (?, ?, ?)",
                rows,
            )

    def get_recent_ballots(self, neuron_id: int, limit: int) -> list[tuple[int, int]]:
        """(proposal id, vote) of the neuron's latest Yes/No ballots, newest first."""
        live = [
            (record.id, vote)
            for record in self.proposals.values()
            if (vote := record.ballots.votes.get(neuron_id, 0)) != 0
        ]
        with self.store.connection() as connection:
            settled = [
                (row[0], row[1])
                for row in connection.execute(
                    text(
                        "SELECT proposal_id, vote FROM governance_recent_ballot "
                        "WHERE neuron_id = :id ORDER BY proposal_id DESC LIMIT :limit"
                    ),
                    {"id": neuron_id, "limit": limit},
                )
            ]
        merged = sorted(set(live) | set(settled), reverse=True)
        return merged[:limit]

    def get(self, setting: Setting[T]) -> T:
        """The setting's value; a setting without a default must have been written."""
        value = self.settings.get(setting.name, setting.default)
        if value is _MISSING:
            raise KeyError(f"setting {setting.name!r} was never written")
        return cast(T, value)

    def put(self, session: Session, setting: Setting[T], value: T) -> None:
        self.put_setting(session, setting.name, value)

    def put_setting(self, session: Session, name: str, value: object) -> None:
        if self._journals:
            old = self.settings.get(name, _MISSING)

            def undo() -> None:
                if old is _MISSING:
                    self.settings.pop(name, None)
                else:
                    self.settings[name] = old

            self._journals[-1].append(undo)
        self.settings[name] = value
        self._connection(session).execute(
            text(
                "INSERT INTO governance_setting (name, data) VALUES (:name, :data) "
                "ON CONFLICT(name) DO UPDATE SET data = excluded.data"
            ),
            {"name": name, "data": codec.encode(value)},
        )

    def neurons_of(self, principal: Principal) -> set[int]:
        return self.by_principal.get(principal, set())
