"""install_code for a Wasm module: its steps, in one slice or across rounds.

An install runs `canister_pre_upgrade` on the old module (an upgrade, unless
`skip_pre_upgrade`), instantiates the new module (over the kept main memory
when `wasm_memory_persistence = keep`) and runs its start function, then
`canister_init` or `canister_post_upgrade`. The steps share one instruction
limit (`MAX_INSTRUCTIONS_PER_INSTALL_CODE`, 300 billion), as the IC's
`InstallCodeHelper` counts `instructions_left` across them
(rs/execution_environment/src/execution/install_code.rs); the start function
runs in the spec's `(start)` context, where only the `* s` System API works.
Any failure leaves the canister exactly as it was and charges nothing.

Deterministic time slicing (the IC's `PausedInstallCode`, install.rs and
upgrade.rs): the install first runs with a budget of one slice
(`max_instructions_per_install_code_slice`, 2 billion, `slice_instructions`
here). If it needs more, it is undone and runs again from its start on a
thread of its own (`slicing.LongExecution`) with the whole limit, the
canister held meanwhile exactly as a long update holds it: it takes no
message, heartbeat or timer, the management calls that name it wait, queries
see it as it was, and the state hash is the one before the install. Its
result lands, and the call is answered, in the round its instructions decide
(`n` instructions started in round `r` land in round `r + ceil(n / slice) -
1`). A checkpoint aborts it (`AbortedInstallCode`): the canister is put back as
it was and the call waits at the front of the queue of management calls
(`pending.py`), to run again from its start in the next round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from replica.canister.errors import SystemReject
from replica.environment import ErrorCode
from replica.execution.wasm.canister import (
    INTERRUPTED,
    RunResult,
    Snapshot,
    StableMemory,
    WasmCanister,
)
from replica.execution.wasm.costs import MAX_WASM64_MEMORY_BYTES
from replica.execution.wasm.module import START_EXPORT, InvalidModule, PreparedModule
from replica.execution.wasm.slicing import LongExecution, Paused
from replica.execution.wasm.system_api import Kind, MessageState

if TYPE_CHECKING:
    from collections.abc import Callable

    from replica.execution.canisters import CanisterRecord
    from replica.execution.wasm.pending import ManagementCall
    from replica.execution.wasm.subnet import WasmSubnet
    from replica.types import Principal

EOP_SECTION: Final = "enhanced-orthogonal-persistence"


@dataclass(slots=True, kw_only=True)
class InstallPlan:
    """A checked install_code: what its steps run, and the messages they see (made when the call
    is executed, so that a run on another thread sees the same)."""

    record: CanisterRecord
    mode: str
    skip_pre_upgrade: bool
    keep_memory: bool
    prepared: PreparedModule
    module: bytes
    memory_limit: int
    pre_upgrade: MessageState | None
    start_message: MessageState
    entry_message: MessageState

    @property
    def entry(self) -> str:
        return "canister_post_upgrade" if self.mode == "upgrade" else "canister_init"


@dataclass(slots=True, kw_only=True)
class InstallOutcome:
    """How the steps ended: the new instance and its entry point's effects, or the error."""

    instructions: int
    message: MessageState
    canister: WasmCanister | None = None
    error: SystemReject | None = None
    exhausted: bool = False
    interrupted: bool = False


class LongInstall:
    """An install that goes on across rounds, and the call its result answers."""

    def __init__(self) -> None:
        self.call: ManagementCall | None = None


class InstallPaused(Exception):
    """The install did not fit one slice: it goes on across rounds; the caller of the management
    method registers where its answer goes (`LongInstall.call`)."""

    def __init__(self, install: LongInstall) -> None:
        super().__init__("install_code continues in the next rounds")
        self.install = install


def install(
    subnet: WasmSubnet,
    record: CanisterRecord,
    caller: Principal,
    mode_value: dict[str, Any],
    module: bytes,
    arg: bytes,
) -> None:
    """Install, reinstall or upgrade a Wasm module; on any failure the canister is unchanged.

    Raises `InstallPaused` when the install goes on across rounds."""
    plan = plan_install(subnet, record, caller, mode_value, module, arg)
    sliced = subnet.install_limit > subnet.slice_instructions
    budget = subnet.slice_instructions if sliced else subnet.install_limit
    outcome = execute_install(subnet, plan, limit=budget)
    if sliced and outcome.exhausted:
        raise InstallPaused(start_long_install(subnet, plan))
    finish_install(subnet, plan, outcome)


def plan_install(
    subnet: WasmSubnet,
    record: CanisterRecord,
    caller: Principal,
    mode_value: dict[str, Any],
    module: bytes,
    arg: bytes,
) -> InstallPlan:
    """Check an install_code call (raises `SystemReject`) and fix what its steps will see."""
    ((mode, options),) = mode_value.items()
    options = options or {}
    state = subnet.state(record.canister_id)
    old = state.canister
    if record.instance is not None:
        raise SystemReject(
            ErrorCode.CANISTER_NON_EMPTY,
            f"Canister {record.canister_id} runs a system canister; it cannot take a Wasm module",
        )
    if mode == "install" and old is not None:
        raise SystemReject(
            ErrorCode.CANISTER_ALREADY_INSTALLED,
            f"Canister {record.canister_id} is already installed",
        )
    if mode == "upgrade" and old is None:
        raise SystemReject(
            ErrorCode.CANISTER_WASM_MODULE_NOT_FOUND,
            f"Canister {record.canister_id} is empty; it cannot be upgraded",
        )
    if state.paused is not None:
        raise SystemReject(
            ErrorCode.CANISTER_REJECTED_MESSAGE,
            f"Canister {record.canister_id} is executing a long message",
        )
    try:
        prepared = subnet.host.prepare(module)
    except InvalidModule as error:
        raise SystemReject(
            ErrorCode.CANISTER_INVALID_WASM,
            f"Error from Canister {record.canister_id}: Canister's Wasm module is not valid: "
            f"{error}",
        ) from error
    keep_memory = "keep" in (options.get("wasm_memory_persistence") or {})
    skip_pre_upgrade = bool(options.get("skip_pre_upgrade"))
    pre_upgrade: MessageState | None = None
    if mode == "upgrade":
        assert old is not None
        if old.module.metadata(EOP_SECTION) is not None and not keep_memory:
            raise SystemReject(
                ErrorCode.CANISTER_REJECTED_MESSAGE,
                "Missing upgrade option: Enhanced orthogonal persistence requires the "
                "`wasm_memory_persistence` upgrade option.",
            )
        if keep_memory and prepared.metadata(EOP_SECTION) is None:
            raise SystemReject(
                ErrorCode.CANISTER_REJECTED_MESSAGE,
                "Invalid upgrade option: `wasm_memory_persistence: opt Keep` requires a module "
                "with enhanced orthogonal persistence.",
            )
        if not skip_pre_upgrade:
            pre_upgrade = subnet._message_state(record, Kind.PRE_UPGRADE, caller=caller.raw)
    return InstallPlan(
        record=record,
        mode=mode,
        skip_pre_upgrade=skip_pre_upgrade,
        keep_memory=keep_memory and mode == "upgrade",
        prepared=prepared,
        module=module,
        memory_limit=min(
            state.settings.wasm_memory_limit or MAX_WASM64_MEMORY_BYTES, MAX_WASM64_MEMORY_BYTES
        ),
        pre_upgrade=pre_upgrade,
        start_message=subnet._message_state(record, Kind.START),
        entry_message=subnet._message_state(record, Kind.INIT, caller=caller.raw, argument=arg),
    )


def execute_install(
    subnet: WasmSubnet,
    plan: InstallPlan,
    *,
    limit: int,
    watch: Callable[[int], None] | None = None,
) -> InstallOutcome:
    """Run the steps within `limit` instructions in all; on failure put the old instance back.

    With `watch`, each entry point runs so that an epoch tick stops it, and `watch` is told the
    instructions used so far (a long install on its own thread)."""
    record = plan.record
    old = subnet.state(record.canister_id).canister
    old_snapshot = old.snapshot() if old is not None else None
    old_stable = bytes(old.stable.data) if old is not None else b""
    used = 0

    def step(instance: WasmCanister, export: str, message: MessageState) -> RunResult:
        budget = limit - used
        if watch is None:
            return instance.run(export, message, limit=budget, keep=True)
        offset = used
        return instance.run_interruptible(
            lambda canister: canister.run(export, message, limit=budget, keep=True),
            lambda instructions: watch(offset + instructions),
        )

    def failed(
        error: SystemReject, message: MessageState, result: RunResult | None = None
    ) -> InstallOutcome:
        if old is not None and old_snapshot is not None:
            old.restore(old_snapshot)
            old.stable.data = bytearray(old_stable)
        return InstallOutcome(
            instructions=used,
            message=message,
            error=error,
            exhausted=result is not None and result.exhausted,
            interrupted=result is not None and result.trap == INTERRUPTED,
        )

    canister_id = record.canister_id

    def run_step(
        instance: WasmCanister, export: str, message: MessageState, name: str
    ) -> InstallOutcome | None:
        """Run one step within what is left of the limit; the failed outcome if it trapped."""
        nonlocal used
        result = step(instance, export, message)
        used += result.instructions
        if result.trap is None:
            return None
        return failed(
            SystemReject(
                ErrorCode.CANISTER_CALLED_TRAP,
                f"Error from Canister {canister_id}: Canister called {name} and trapped: "
                f"{result.trap}",
            ),
            message,
            result,
        )

    stable = StableMemory()
    if plan.mode == "upgrade":
        assert old is not None
        if plan.pre_upgrade is not None:
            trapped = run_step(
                old, "canister_pre_upgrade", plan.pre_upgrade.restarted(), "pre_upgrade"
            )
            if trapped is not None:
                return trapped
        stable = StableMemory(bytes(old.stable.data))
    entry_message = plan.entry_message.restarted()
    try:
        canister = WasmCanister(
            subnet.host,
            plan.prepared,
            stable=stable,
            start=False,
            max_memory_bytes=plan.memory_limit,
        )
    except InvalidModule as error:
        return failed(
            SystemReject(
                ErrorCode.CANISTER_INVALID_WASM,
                f"Error from Canister {canister_id}: Canister's Wasm module is not valid: {error}",
            ),
            entry_message,
        )
    if plan.keep_memory:
        assert old is not None
        # the kept memory, then the new module's data segments on top, as instantiation over it does
        fresh = canister.snapshot()
        canister.restore(Snapshot(old.snapshot().memory, fresh.globals, fresh.table_size))
        for offset, data in plan.prepared.data_segments:
            canister.write_memory(offset, data)
        canister.global_timer = 0
    # The start function is a step of the install like the others: within the install's
    # instructions, and sliced with them (install.rs, `PausedStartExecutionDuringInstall`).
    trapped = run_step(canister, START_EXPORT, plan.start_message.restarted(), "start")
    if trapped is None:
        trapped = run_step(
            canister, plan.entry, entry_message, plan.entry.removeprefix("canister_")
        )
    if trapped is not None:
        return trapped
    return InstallOutcome(instructions=used, message=entry_message, canister=canister)


def finish_install(subnet: WasmSubnet, plan: InstallPlan, outcome: InstallOutcome) -> None:
    """Make a successful install the canister's (its fee, module, version, certified data, timer
    and calls), or raise its error."""
    if outcome.error is not None:
        raise outcome.error
    canister, message, record = outcome.canister, outcome.message, plan.record
    assert canister is not None
    state = subnet.state(record.canister_id)
    record.cycles = max(
        0,
        record.cycles
        - subnet.schedule.execution_cost(outcome.instructions, wasm64=plan.prepared.memory64),
    )
    state.canister, state.installed = canister, plan.module
    state.version += 1
    record.module_hash = plan.prepared.module_hash
    record.module_name = None
    if plan.mode != "upgrade":
        record.certified_data = b""
    if message.certified_data is not None:
        record.certified_data = message.certified_data
    if message.global_timer is not None:
        canister.global_timer = message.global_timer
    context = subnet.engine._new_context(record.canister_id, method=plan.entry, answered=True)
    for call in message.calls:
        subnet._send(record, context, call)
    subnet.engine._finish_if_stuck(context)


def start_long_install(subnet: WasmSubnet, plan: InstallPlan) -> LongInstall:
    """Run the install again from its start on its own thread, the canister held until it lands."""
    canister_id = plan.record.canister_id
    state = subnet.state(canister_id)
    old = state.canister
    long_install = LongInstall()
    outcomes: list[InstallOutcome] = []

    def run(watch: Callable[[int], None]) -> RunResult:
        outcome = execute_install(subnet, plan, limit=subnet.install_limit, watch=watch)
        outcomes[:] = [outcome]
        trap = None if outcome.error is None else str(outcome.error)
        if outcome.interrupted:
            trap = INTERRUPTED
        return RunResult(state=outcome.message, instructions=outcome.instructions, trap=trap)

    def complete(_: RunResult) -> None:
        call = long_install.call
        assert call is not None and outcomes
        try:
            finish_install(subnet, plan, outcomes[0])
        except SystemReject as error:
            call.answer(subnet, error.to_reject())
            return
        call.answer(subnet, None)

    snapshot = old.snapshot() if old is not None else None
    stable = bytes(old.stable.data) if old is not None else b""
    timer = old.global_timer if old is not None else 0

    def abort() -> None:
        # the thread may have finished a step it was not stopped in: the old instance as it was
        if old is not None and snapshot is not None:
            old.restore(snapshot)
            old.stable.data = bytearray(stable)
            old.global_timer = timer
        call = long_install.call
        assert call is not None
        call.aborted = True
        subnet.waiting.appendleft(call)

    paused = Paused(
        message=None,
        context_id=-1,
        prepaid=0,
        complete=complete,
        on_abort=abort,
        height=subnet.engine.height,
        digest=subnet.state_digest(canister_id),
        memory_size=subnet.memory_size(canister_id),
        snapshot=snapshot,
        stable=stable,
        global_timer=timer,
    )
    paused.job = LongExecution(subnet.host, run)
    state.paused = paused
    return long_install
