"""One Wasm canister: its instance, its stable memory, and messages that leave no trace when they
trap.

A `WasmCanister` keeps one wasmtime instance alive across messages, so the
heap persists as the IC's orthogonal persistence does. Each message runs an
exported entry point with the fuel of its instruction limit.

Rollback, how it is done: before a message runs, the canister takes a
`Snapshot` of what the message could change:

- main memory: below `PAGE_TRACKING_MIN_BYTES` (1 MiB), a copy of its bytes
  (one `memcpy`; the instance keeps running on the live memory, restored from
  the copy only if the message traps or is a query); from that size on, nothing
  is copied: the memory is a copy-on-write mapping of its committed state and
  only the pages the message wrote are dropped (rollback) or written back
  (commit), see `pages.py`. Measured per message (CPU time): the copy costs
  about 22 us for the C counter's 128 KiB and 600 us for the Motoko counter's
  5.3 MiB, page tracking about 6 us plus 15-20 us per page written (a Motoko
  `inc` writes 5), so small memories are copied and large ones tracked. A
  memory that grew during a trapped message cannot shrink in Wasm, so the
  instance is then rebuilt at the old size and the old bytes put back (by
  mapping the committed state over it, or from the copy);
- mutable globals: their values, read through the `__icbox_global_<n>`
  exports the instrumentation adds (see `module.py`);
- stable memory: an undo journal (`StableMemory` records the old bytes of each
  write and the old size), replayed backwards on rollback; nothing is copied
  for a message that does not write;
- certified data, the global timer, outgoing calls, cycles accepted, sent or
  burned and the reply: only kept in the message's `MessageState`, which the
  engine applies after a message that does not trap and discards otherwise.

Queries always roll back, by the same path as a trap.

The funcref table and the dropped state of element and data segments are not
state at all on the IC, which builds a new instance for every message from the
module, the memory and the globals (rs/embedders/src/wasmtime_embedder.rs,
`new_instance`): whatever a message does to them is gone when it ends, whether
it trapped or not. A module whose code can change its table (`code.scan_code`
finds `table.set`, `table.grow`, `table.fill`, `table.copy` or `table.init`)
has its table put back after every message: the entries the module's element
segments gave it are written back, and a table that grew makes the instance be
rebuilt (tables cannot shrink), memory and globals copied over. A module that
drops segments (`elem.drop`, `data.drop`) is rebuilt after every message. The
scan costs nothing at run time, and modules that do neither (clang's and
Motoko's) pay nothing.

Host calls and threads: wasmtime's Python binding hands an exception raised in
a host function back to the caller through one process-wide slot, which two
threads running Wasm at once (a long execution on its own thread, parallel
execution) could take from each other. Each `ic0` import is therefore wrapped
to keep its exception on its own canister, and the binding's slot is emptied
instead of raised (`_keep_host_exceptions_per_canister` below): `_run` reads
the trap's cause from the canister.
"""

from __future__ import annotations

import ctypes
import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import wasmtime
import wasmtime._func as wasmtime_func
from wasmtime import _ffi as ffi

from replica.execution.wasm.costs import (
    MAX_STABLE_MEMORY_BYTES,
    MAX_TABLE_ELEMENTS,
    MAX_WASM32_MEMORY_BYTES,
    MAX_WASM64_MEMORY_BYTES,
    WASM_PAGE_SIZE,
)
from replica.execution.wasm.host import WasmHost
from replica.execution.wasm.module import (
    GLOBAL_EXPORT_PREFIX,
    MEMORY_EXPORT,
    START_EXPORT,
    TABLE_EXPORT,
    InvalidModule,
    PreparedModule,
)
from replica.execution.wasm.pages import MemoryPages
from replica.execution.wasm.system_api import (
    SIGNATURES,
    CanisterTrap,
    Kind,
    MessageState,
    SystemApi,
    WasmCallback,
    func_type,
)

_NUMERIC_FIELDS = {0: "i32", 1: "i64", 2: "f32", 3: "f64"}  # wasmtime's value kinds
NO_DEADLINE: Final = 1 << 40  # epoch ticks: no interrupt ever reaches an ordinary execution
INTERRUPTED: Final = "Canister execution was interrupted."
PAGE_TRACKING_MIN_BYTES: Final = 1024 * 1024
START_LIMIT: Final = 10_000_000_000
"""The start function's limit when an instance is made outside an install (an install runs it
within the install's own limit and slices)."""


def _keep_host_exceptions_per_canister() -> None:
    def drop_last_exception() -> None:
        wasmtime_func.LAST_EXCEPTION = None

    wasmtime_func.maybe_raise_last_exn = drop_last_exception


_keep_host_exceptions_per_canister()


_GENERATIONS = itertools.count(1)
"""Generations are unique across stable memories: (generation) names one content in a process."""


class StableMemory:
    """Stable memory in 64 KiB pages, with an undo journal for rollback.

    Every change (a write, a grow, a rollback, new contents) bumps `generation`, so what is
    computed from the bytes (their digest, a checkpoint file) is reused while it stays the
    same: a large stable memory is hashed once per change, not once per round.
    """

    def __init__(self, data: bytes = b"", *, max_bytes: int = MAX_STABLE_MEMORY_BYTES) -> None:
        self._data = bytearray(data)
        self.max_bytes = max_bytes
        self._journal: list[tuple[int, bytes]] | None = None
        self._size_before = 0
        self.generation = next(_GENERATIONS)
        self._digest: tuple[int, bytes] | None = None

    @property
    def data(self) -> bytearray:
        return self._data

    @data.setter
    def data(self, value: bytearray) -> None:
        self._data = value
        self.generation = next(_GENERATIONS)

    def digest(self) -> bytes:
        """SHA-256 of the contents, computed again only after a change."""
        if self._digest is None or self._digest[0] != self.generation:
            self._digest = (self.generation, hashlib.sha256(self._data).digest())
        return self._digest[1]

    def pages(self) -> int:
        return len(self.data) // WASM_PAGE_SIZE

    def grow(self, pages: int) -> int:
        old = self.pages()
        if (old + pages) * WASM_PAGE_SIZE > self.max_bytes:
            return -1
        self.data.extend(bytes(pages * WASM_PAGE_SIZE))
        self.generation = next(_GENERATIONS)
        return old

    def read(self, offset: int, size: int) -> bytes:
        if offset + size > len(self.data):
            raise CanisterTrap(f"stable memory out of bounds: {offset} + {size} > {len(self.data)}")
        return bytes(self.data[offset : offset + size])

    def write(self, offset: int, data: bytes) -> None:
        end = offset + len(data)
        if end > len(self.data):
            raise CanisterTrap(
                f"stable memory out of bounds: {offset} + {len(data)} > {len(self.data)}"
            )
        if self._journal is not None and offset < self._size_before:
            self._journal.append((offset, bytes(self.data[offset : min(end, self._size_before)])))
        self.data[offset:end] = data
        self.generation = next(_GENERATIONS)

    def begin(self) -> None:
        self._journal, self._size_before = [], len(self.data)

    def commit(self) -> None:
        self._journal = None

    def rollback(self) -> None:
        if self._journal is None:
            return
        changed = bool(self._journal) or len(self.data) != self._size_before
        for offset, old in reversed(self._journal):
            self.data[offset : offset + len(old)] = old
        del self.data[self._size_before :]
        self._journal = None
        if changed:
            self.generation = next(_GENERATIONS)


@dataclass(frozen=True, slots=True)
class Snapshot:
    memory: bytes | bytearray
    globals: tuple[Any, ...]
    table_size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    """How an entry point ended: `trap` is None when it returned."""

    state: MessageState
    instructions: int
    trap: str | None
    held: tuple[Snapshot, bytes] | None = None  # the new state of a long execution, not yet visible
    exhausted: bool = False  # it trapped because it used its whole instruction limit


class WasmCanister:
    """A module instantiated with the `ic0` imports."""

    def __init__(
        self,
        host: WasmHost,
        module: PreparedModule,
        *,
        stable: StableMemory | None = None,
        max_memory_bytes: int | None = None,
        start: bool = True,
    ) -> None:
        self.host = host
        self.module = module
        self.stable = stable or StableMemory()
        architecture = MAX_WASM64_MEMORY_BYTES if module.memory64 else MAX_WASM32_MEMORY_BYTES
        self.max_memory_bytes = min(max_memory_bytes or architecture, architecture)
        self.message: MessageState | None = None
        self._scratch = bytearray()
        self._pages: MemoryPages | None = None
        self._written_outside = True  # memory written since the pages were last committed
        self.page_tracking_min_bytes = PAGE_TRACKING_MIN_BYTES
        self.global_timer = 0
        self.instructions_before = 0
        self._limit = 0
        self._host_error: BaseException | None = None
        self._exhausted = False
        self.watch: Callable[[int], None] | None = None
        """Called with the instructions used so far after each host call (long executions)."""
        self.api = SystemApi(self)
        self._compiled = host.compile(module)
        self._facts = host.code_facts(module)
        self._table_entries: list[Any] = []
        self._instantiate()
        if start:
            result = self.run_start()
            if result.trap is not None:
                raise InvalidModule(f"the module's start function trapped: {result.trap}")

    # -- the instance ---------------------------------------------------------------------------

    def _instantiate(self) -> None:
        store = wasmtime.Store(self.host.engine)
        store.set_limits(
            memory_size=self.max_memory_bytes,
            table_elements=MAX_TABLE_ELEMENTS,
            instances=1,
            tables=4,
            memories=1,
        )
        store.set_fuel(0)
        store.set_epoch_deadline(NO_DEADLINE)
        imports: list[wasmtime.Func] = []
        for item in self._compiled.imports:
            if item.module != "ic0" or item.name not in SIGNATURES:
                raise InvalidModule(
                    f"the module imports {item.module}.{item.name}, which the System API does not "
                    "provide"
                )
            expected = func_type(item.name, memory64=self.module.memory64)
            declared = item.type
            if not isinstance(declared, wasmtime.FuncType) or _signature(declared) != _signature(
                expected
            ):
                raise InvalidModule(f"the module imports ic0.{item.name} with the wrong type")
            imports.append(
                wasmtime.Func(store, expected, self._guard(getattr(self.api, item.name)))
            )
        self.store = store
        try:
            # none of the module's code runs here (its start function is exported and run by
            # `run_start`); a trap is a segment that does not fit
            store.set_fuel(START_LIMIT)
            self.instance = wasmtime.Instance(store, self._compiled, imports)
        except wasmtime.WasmtimeError as error:
            raise InvalidModule(
                f"the module cannot be instantiated: {' '.join(str(error).split())[:300]}"
            ) from error
        except wasmtime.Trap as error:
            raise InvalidModule(
                f"the module cannot be instantiated: {error.message[:300]}"
            ) from error
        store.set_fuel(0)
        exports = self.instance.exports(store)
        self._exports = exports
        memory = exports.get(MEMORY_EXPORT)
        self.memory: wasmtime.Memory | None = (
            memory if isinstance(memory, wasmtime.Memory) else None
        )
        table = exports.get(TABLE_EXPORT)
        self.table: wasmtime.Table | None = table if isinstance(table, wasmtime.Table) else None
        self._globals: list[wasmtime.Global] = []
        for index in self.module.mutable_globals:
            exported = exports.get(f"{GLOBAL_EXPORT_PREFIX}{index}")
            if isinstance(exported, wasmtime.Global):
                self._globals.append(exported)
        if self._facts.writes_table and self.table is not None:
            table = self.table
            self._table_entries = [table.get(store, i) for i in range(table.size(store))]

    def _guard(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """A host function whose exception stays with this canister (see the module docstring)."""

        def call(*arguments: Any) -> Any:
            try:
                result = function(*arguments)
            except BaseException as error:
                self._host_error = error
                raise
            if self.watch is not None:
                self.watch(self._limit - self.store.get_fuel())
            return result

        return call

    def run_start(
        self, state: MessageState | None = None, *, limit: int = START_LIMIT
    ) -> RunResult:
        """Run the module's start function (instantiation leaves it to the host) as the spec's
        `(start)` context: within `limit` instructions, its effects kept unless it traps."""
        return self.run(
            START_EXPORT, state or MessageState(kind=Kind.START), limit=limit, keep=True
        )

    def has_export(self, name: str) -> bool:
        return isinstance(self._exports.get(name), wasmtime.Func)

    def memory_bytes(self) -> int:
        return 0 if self.memory is None else self.memory.data_len(self.store)

    # -- memory access for the System API
    # -----------------------------------------------------------

    def _address(self) -> int:
        assert self.memory is not None
        return ctypes.addressof(self.memory.data_ptr(self.store).contents)

    def read_memory(self, offset: int, size: int) -> bytes:
        if size == 0:
            return b""
        if self.memory is None or offset < 0 or offset + size > self.memory.data_len(self.store):
            raise CanisterTrap(f"heap out of bounds: {offset} + {size} > {self.memory_bytes()}")
        return ctypes.string_at(self._address() + offset, size)

    def write_memory(self, offset: int, data: bytes | bytearray) -> None:
        if not data:
            return
        if self.message is None:
            self._written_outside = True
        if (
            self.memory is None
            or offset < 0
            or offset + len(data) > self.memory.data_len(self.store)
        ):
            raise CanisterTrap(
                f"heap out of bounds: {offset} + {len(data)} > {self.memory_bytes()}"
            )
        source = (
            (ctypes.c_char * len(data)).from_buffer(data) if isinstance(data, bytearray) else data
        )
        ctypes.memmove(self._address() + offset, source, len(data))

    def charge(self, instructions: int) -> None:
        """Consume fuel for the bytes a System API call copies; trap past the limit."""
        fuel = self.store.get_fuel()
        cost = instructions + 50
        if cost > fuel:
            self.store.set_fuel(0)
            self._exhausted = True
            raise CanisterTrap(
                f"Canister exceeded the limit of {self._limit} instructions for single message "
                "execution."
            )
        self.store.set_fuel(fuel - cost)

    def instructions_in_slice(self) -> int:
        return self._limit - self.store.get_fuel()

    # -- snapshots ------------------------------------------------------------------------------

    def snapshot(self, *, scratch: bool = False) -> Snapshot:
        """The state a message could change; `scratch` copies memory into the canister's reused
        buffer."""
        if self.memory is None:
            memory: bytes | bytearray = b""
        elif scratch:
            size = self.memory.data_len(self.store)
            if len(self._scratch) != size:
                self._scratch = bytearray(size)
            ctypes.memmove((ctypes.c_char * size).from_buffer(self._scratch), self._address(), size)
            memory = self._scratch
        else:
            memory = self.read_memory(0, self.memory.data_len(self.store))
        table_size = 0 if self.table is None else self.table.size(self.store)
        return Snapshot(memory, self._read_globals(), table_size)

    def _read_globals(self) -> tuple[Any, ...]:
        """Global values, numbers as (kind, value), read through wasmtime's C API directly (it is
        faster)."""
        context = self.store._context()
        raw = ffi.wasmtime_val_t()
        values: list[Any] = []
        for item in self._globals:
            ffi.wasmtime_global_get(context, ctypes.byref(item._global), ctypes.byref(raw))
            kind = int(raw.kind)
            if kind in _NUMERIC_FIELDS:
                values.append((kind, getattr(raw.of, _NUMERIC_FIELDS[kind])))
            else:
                ffi.wasmtime_val_unroot(ctypes.byref(raw))
                values.append(item.value(self.store))
        return tuple(values)

    def _write_globals(self, values: tuple[Any, ...]) -> None:
        current = self._read_globals()
        context = self.store._context()
        for item, value, now in zip(self._globals, values, current, strict=True):
            if value == now:
                continue
            if isinstance(value, tuple):
                raw = ffi.wasmtime_val_t()
                raw.kind = value[0]
                setattr(raw.of, _NUMERIC_FIELDS[value[0]], value[1])
                ffi.wasmtime_global_set(context, ctypes.byref(item._global), ctypes.byref(raw))
            else:
                item.set_value(self.store, value)

    def restore(self, snapshot: Snapshot) -> None:
        """Put memory, globals and the table's size back as `snapshot` has them."""
        self._written_outside = True
        grew = self.memory is not None and self.memory.data_len(self.store) > len(snapshot.memory)
        table_grew = self.table is not None and self.table.size(self.store) > snapshot.table_size
        if grew or table_grew:
            self._instantiate()
        if self.memory is not None and self.memory.data_len(self.store) < len(snapshot.memory):
            pages = (len(snapshot.memory) - self.memory.data_len(self.store)) // WASM_PAGE_SIZE
            self.memory.grow(self.store, pages)
        if snapshot.memory:
            self.write_memory(0, snapshot.memory)
        self._write_globals(snapshot.globals)

    def _reset_instance_state(self) -> None:
        """Undo what a message did to the table and the segments (see the module docstring)."""
        table = self.table
        if self._facts.drops_segments or (
            table is not None and table.size(self.store) > len(self._table_entries)
        ):
            snapshot = self.snapshot()
            self._instantiate()
            self.restore(snapshot)
            return
        if table is not None:
            for index, entry in enumerate(self._table_entries):
                table.set(self.store, index, entry)

    # -- running entry points ---------------------------------------------------------------------

    def run(
        self,
        export: str,
        state: MessageState,
        *,
        limit: int,
        keep: bool,
        hold_over: int | None = None,
    ) -> RunResult:
        """Run `export` (or nothing if the module lacks it); roll back unless it returns and `keep`.

        With `hold_over`, an execution that keeps its state but used more instructions
        than that returns its new state in `held` and leaves the old one in place.
        """
        return self._run(
            lambda: self._call_export(export), state, limit=limit, keep=keep, hold_over=hold_over
        )

    def run_callback(
        self,
        callback: WasmCallback,
        state: MessageState,
        *,
        limit: int,
        keep: bool,
        hold_over: int | None = None,
    ) -> RunResult:
        """Run a closure from the module's table (a reply, reject or cleanup callback)."""
        return self._run(
            lambda: self._call_table(callback), state, limit=limit, keep=keep, hold_over=hold_over
        )

    def run_interruptible(
        self, body: Callable[[WasmCanister], RunResult], watch: Callable[[int], None] | None
    ) -> RunResult:
        """Run `body` (a `run` or `run_callback`) so that `WasmHost.interrupt` stops it, with
        `watch` told the instructions used so far after each host call. Called on the thread
        that owns the canister while it runs."""
        self.store.set_epoch_deadline(1)
        self.watch = watch
        try:
            return body(self)
        finally:
            self.watch = None
            self.store.set_epoch_deadline(NO_DEADLINE)

    def install_held(self, held: tuple[Snapshot, bytes]) -> None:
        """Make a held execution's state the canister's."""
        self.restore(held[0])
        self.stable.data = bytearray(held[1])

    def _call_export(self, export: str) -> None:
        function = self._exports.get(export)
        if function is None:
            return
        if not isinstance(function, wasmtime.Func):
            raise CanisterTrap(f"{export} is not a function")
        function(self.store)

    def _call_table(self, callback: WasmCallback) -> None:
        if self.table is None:
            raise CanisterTrap("the module has no table for its callbacks")
        index = callback.function & 0xFFFFFFFFFFFFFFFF
        if index >= self.table.size(self.store):
            raise CanisterTrap(f"callback {index} is outside the table")
        function = self.table.get(self.store, index)
        if not isinstance(function, wasmtime.Func):
            raise CanisterTrap(f"callback {index} is not a function")
        function(self.store, callback.env)

    def _begin(self) -> Snapshot:
        """What a message's rollback needs: globals and the table's size, and a copy of main
        memory unless its pages are tracked (then `memory` is empty and the pages are committed
        as they are now)."""
        memory = self.memory
        if memory is None or memory.data_len(self.store) < self.page_tracking_min_bytes:
            return self.snapshot(scratch=True)
        base, size = self._address(), memory.data_len(self.store)
        pages = self._pages
        if pages is not None and not pages.moved(base, size):
            if self._written_outside:  # a restore, an upgrade: writes made between messages
                pages.commit(size)
        else:
            if pages is not None:
                pages.close()
            pages = self._pages = MemoryPages.attach(base, size)
            if pages is None:
                return self.snapshot(scratch=True)
        self._written_outside = False
        table_size = 0 if self.table is None else self.table.size(self.store)
        return Snapshot(b"", self._read_globals(), table_size)

    def _roll_back(self, saved: Snapshot) -> None:
        pages = self._pages
        if saved.memory or pages is None:
            self.restore(saved)
            return
        assert self.memory is not None
        grew = self.memory.data_len(self.store) > pages.size
        table_grew = self.table is not None and self.table.size(self.store) > saved.table_size
        if grew or table_grew:
            self._instantiate()
            current = self.memory.data_len(self.store)
            if current < pages.size:
                self.memory.grow(self.store, (pages.size - current) // WASM_PAGE_SIZE)
            pages.remap(self._address(), pages.size)
        else:
            pages.rollback()
        self._write_globals(saved.globals)

    def _run(
        self, body: Any, state: MessageState, *, limit: int, keep: bool, hold_over: int | None
    ) -> RunResult:
        snapshot = self._begin()
        self.stable.begin()
        self.message = state
        self._limit = limit
        self.store.set_fuel(limit)
        self._host_error, self._exhausted = None, False
        trap: str | None = None
        try:
            body()
        except (CanisterTrap, wasmtime.Trap, wasmtime.WasmtimeError, RecursionError) as error:
            trap = self._trap_text(error, limit)
        finally:
            self.message = None
        instructions = limit - self.store.get_fuel()
        self.store.set_fuel(0)
        held: tuple[Snapshot, bytes] | None = None
        if trap is None and keep and hold_over is not None and instructions > hold_over:
            held = (self.snapshot(), bytes(self.stable.data))
            keep = False
        if trap is None and keep:
            self.stable.commit()
            if self._pages is not None and not snapshot.memory:
                self._pages.commit(self.memory_bytes())
        else:
            self.stable.rollback()
            self._roll_back(snapshot)
        if self._facts.changes_instance:
            self._reset_instance_state()
        return RunResult(
            state=state,
            instructions=instructions,
            trap=trap,
            held=held,
            exhausted=trap is not None and self._exhausted,
        )

    def _trap_text(self, error: BaseException, limit: int) -> str:
        """Why an execution trapped; a host function's own exception comes first."""
        host, self._host_error = self._host_error, None
        if host is not None:
            error = host
        if isinstance(error, CanisterTrap):
            return str(error)
        if isinstance(error, RecursionError):
            return "Canister trapped: stack overflow"
        if isinstance(error, wasmtime.Trap):
            if error.trap_code == wasmtime.TrapCode.OUT_OF_FUEL:
                self._exhausted = True
            return _trap_message(error, limit)
        if isinstance(error, wasmtime.WasmtimeError):
            return " ".join(str(error).split())[:300]
        raise error


def _trap_message(error: wasmtime.Trap, limit: int) -> str:
    code = error.trap_code
    if code == wasmtime.TrapCode.OUT_OF_FUEL:
        return f"Canister exceeded the limit of {limit} instructions for single message execution."
    if code == wasmtime.TrapCode.INTERRUPT:
        return INTERRUPTED
    if code == wasmtime.TrapCode.STACK_OVERFLOW:
        return "Canister trapped: stack overflow"
    if code == wasmtime.TrapCode.MEMORY_OUT_OF_BOUNDS:
        return "Canister trapped: heap out of bounds"
    if code == wasmtime.TrapCode.UNREACHABLE:
        return "Canister trapped: unreachable"
    if code == wasmtime.TrapCode.INTEGER_DIVISION_BY_ZERO:
        return "Canister trapped: integer division by 0"
    return f"Canister trapped: {error.message.splitlines()[0] if error.message else 'trap'}"


def _signature(function: wasmtime.FuncType) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(str(p) for p in function.params), tuple(str(r) for r in function.results)
