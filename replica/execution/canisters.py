"""Canisters as the execution engine holds them: records, environments, installing code.

A `CanisterRecord` is what the subnet knows of one canister: its controllers,
cycles, status (running, stopping, stopped), the name and hash of its module,
its certified data, and, once code is installed, the canister object, its
public interface, the environment it sees and its stable memory.

Installing code is one atomic step (`install_code`): the new canister object is
built on a database of its own, its init or post_upgrade hook runs, and only
then does the record switch to it. If the constructor or a hook fails, in any
way, the new database is deleted, whatever pre_upgrade wrote is put back from a
snapshot, and the record keeps its old code and state: the install is refused
with CANISTER_ERROR and nothing changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from replica.canister.errors import CanisterError, SystemReject
from replica.canister.sdk import Interface, check_certified_data, method_named
from replica.canister.stable import StableStore, store_of
from replica.environment import ErrorCode, OutgoingCall
from replica.types import Principal


class CanisterStatus(StrEnum):
    """The canister statuses of the interface spec (`canister_status`)."""

    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


class InstallMode(StrEnum):
    """How `install_code` treats the code and state a canister has."""

    INSTALL = "install"
    REINSTALL = "reinstall"
    UPGRADE = "upgrade"


class RoundState(Protocol):
    """What a canister's environment reads from the engine: the round's time, height, tape,
    cycles."""

    @property
    def height(self) -> int: ...

    @property
    def time_ns(self) -> int: ...

    @property
    def random_tape(self) -> bytes: ...

    def cycles_of(self, canister_id: Principal) -> int: ...

    @property
    def cycles_minters(self) -> frozenset[Principal]: ...


CanisterFactory = Callable[["SystemEnvironment", str | None, Any], object]
"""Builds a canister object from its environment, its database path and its init argument."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemCanister:
    """How to build a system canister by name, and its public interface."""

    create: CanisterFactory
    interface: Callable[[object], Interface]
    init_arguments: Sequence[Any] = ()
    to_init: Callable[[list[Any]], Any] = lambda values: values[0] if values else None


class SystemEnvironment:
    """The environment one canister holds; the engine arms it for each message."""

    def __init__(self, state: RoundState, canister_id: Principal) -> None:
        self._state = state
        self._canister_id = canister_id
        self.outbox: list[OutgoingCall] = []
        self.certified_data: bytes | None = None
        self.query_certificate: bytes | None = None
        self.cycles_available_now = 0
        self.cycles_accepted = 0
        self.cycles_minted = 0
        self._random_counter = 0
        self._random_height = -1

    @property
    def canister_id(self) -> Principal:
        return self._canister_id

    def now_ns(self) -> int:
        return self._state.time_ns

    def random_bytes(self, count: int) -> bytes:
        # The counter starts afresh each height, so a replica restored from a checkpoint
        # draws the same bytes as one that never stopped.
        if self._random_height != self._state.height:
            self._random_height, self._random_counter = self._state.height, 0
        out = b""
        while len(out) < count:
            self._random_counter += 1
            out += hashlib.sha256(
                self._state.random_tape
                + self._canister_id.raw
                + self._random_counter.to_bytes(8, "big")
            ).digest()
        return out[:count]

    def call(self, call: OutgoingCall) -> None:
        self.outbox.append(call)

    def cycles_balance(self) -> int:
        return self._state.cycles_of(self._canister_id)

    def cycles_available(self) -> int:
        return self.cycles_available_now - self.cycles_accepted

    def accept_cycles(self, amount: int) -> int:
        accepted = max(0, min(amount, self.cycles_available()))
        self.cycles_accepted += accepted
        return accepted

    def mint_cycles(self, amount: int) -> int:
        """Create cycles on this canister's balance: only for the subnet's cycles minters
        (ic0.mint_cycles)."""
        if self._canister_id not in self._state.cycles_minters:
            raise CanisterError("only the cycles minting canister may mint cycles")
        if amount < 0:
            raise CanisterError("cannot mint a negative amount of cycles")
        self.cycles_minted += amount
        return amount

    def set_certified_data(self, data: bytes) -> None:
        self.certified_data = check_certified_data(data)

    def data_certificate(self) -> bytes | None:
        """The certificate of this canister's certified data, in a non-replicated query only
        (ic0.data_certificate_copy); None in updates and replicated queries."""
        return self.query_certificate

    def arm(self, cycles: int) -> None:
        """Start a message with `cycles` available: no calls, no certified data, nothing accepted or
        minted."""
        self.outbox, self.certified_data = [], None
        self.cycles_available_now, self.cycles_accepted, self.cycles_minted = cycles, 0, 0


@dataclass(slots=True, kw_only=True)
class CanisterRecord:
    canister_id: Principal
    controllers: tuple[Principal, ...]
    cycles: int
    status: CanisterStatus = CanisterStatus.RUNNING
    module_name: str | None = None
    module_hash: bytes | None = None
    certified_data: bytes = b""
    instance: object | None = None
    interface: Interface = field(default_factory=Interface)
    environment: SystemEnvironment | None = None
    store: StableStore | None = None
    store_path: str | None = None


def module_hash_of(name: str) -> bytes:
    return hashlib.sha256(b"icbox-system-canister:" + name.encode()).digest()


@dataclass(frozen=True, slots=True, kw_only=True)
class _Code:
    instance: object
    interface: Interface
    environment: SystemEnvironment
    store: StableStore | None
    path: str


def install_code(
    record: CanisterRecord,
    kind: SystemCanister,
    name: str,
    init_argument: Any,
    mode: InstallMode,
    *,
    environment: SystemEnvironment,
    path: str,
) -> None:
    """Install (or reinstall, or upgrade) `kind` on `record`, atomically; `path` is a new database
    file."""
    if mode is InstallMode.INSTALL and record.instance is not None:
        raise SystemReject(
            ErrorCode.CANISTER_NON_EMPTY,
            f"canister {record.canister_id} already has code; use reinstall or upgrade",
        )
    if mode is InstallMode.UPGRADE and record.instance is None:
        raise SystemReject(
            ErrorCode.CANISTER_WASM_MODULE_NOT_FOUND,
            f"canister {record.canister_id} has no code to upgrade",
        )
    old_store = record.store
    snapshot = (
        old_store.snapshot() if mode is InstallMode.UPGRADE and old_store is not None else None
    )
    created: list[StableStore] = []
    try:
        if mode is InstallMode.UPGRADE:
            _run_hook(record.instance, record.interface.pre_upgrade)
            if old_store is not None:
                old_store.copy_to(path)
        code = _build(kind, environment, path, init_argument, created)
        hook = code.interface.post_upgrade if mode is InstallMode.UPGRADE else code.interface.init
        _run_hook(code.instance, hook, init_argument)
    except Exception as error:  # canister code (a constructor or a hook) trapped: undo the install
        for store in created:
            store.dispose()
        _delete_database(path)
        if snapshot is not None and old_store is not None:
            old_store.restore(snapshot)
            snapshot.close()
        raise SystemReject(
            ErrorCode.CANISTER_CALLED_TRAP,
            f"installing {name!r} on canister {record.canister_id} trapped, nothing changed: "
            f"{type(error).__name__}: {error}",
        ) from error
    if snapshot is not None:
        snapshot.close()
    _release(record)
    _switch(record, code, name)


def reopen_code(
    record: CanisterRecord,
    kind: SystemCanister,
    name: str,
    *,
    environment: SystemEnvironment,
    path: str,
) -> None:
    """Open the code of a canister restored from a checkpoint on its restored database."""
    code = _build(kind, environment, path, None, [])
    _run_hook(code.instance, code.interface.post_upgrade, None)
    _switch(record, code, name)


def release_code(record: CanisterRecord) -> None:
    """Close the canister's database (its files stay)."""
    if record.store is not None:
        record.store.dispose()


def _run_hook(instance: object, name: str | None, *arguments: Any) -> None:
    if name is None:
        return
    hook = method_named(instance, name)
    if hook is None:
        raise TypeError(f"the hook {name!r} is not a method of {type(instance).__name__}")
    hook(*arguments)


def _build(
    kind: SystemCanister,
    environment: SystemEnvironment,
    path: str,
    init_argument: Any,
    created: list[StableStore],
) -> _Code:
    environment.arm(0)
    instance = kind.create(environment, path, init_argument)
    store = store_of(instance)
    if store is not None:
        created.append(store)
    return _Code(
        instance=instance,
        interface=kind.interface(instance),
        environment=environment,
        store=store,
        path=path,
    )


def _switch(record: CanisterRecord, code: _Code, name: str) -> None:
    code.environment.arm(0)
    record.instance, record.interface, record.environment = (
        code.instance,
        code.interface,
        code.environment,
    )
    record.store, record.store_path = code.store, code.path
    record.module_name, record.module_hash = name, module_hash_of(name)


def _release(record: CanisterRecord) -> None:
    release_code(record)
    if record.store_path is not None:
        _delete_database(record.store_path)


def _delete_database(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)
