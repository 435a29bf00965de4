"""Wasm canisters: instructions and update messages per second, install time, the cost of rollback.

On one application subnet (a `SubnetHarness`, one engine, sequential
execution), with the modules of tests/fixtures/wasm/built:

- `instructions_per_s`: Wasm instructions (fuel) per second of the C
  canister's `long` loop, run directly on its instance;
- `c_updates_per_s`, `motoko_updates_per_s`: `inc` update messages of the C
  counter (wasm32) and of the Motoko counter (moc 4.10, memory64, enhanced
  orthogonal persistence), N ingress messages executed in one round; only
  `execute_round` is timed (induction, cycles, snapshot for rollback, the
  Wasm call, the reply, the state hash); instances are cached across messages;
  `c_updates_per_cpu_s`, `motoko_updates_per_cpu_s`: the same per second of
  the process's CPU time (what one core does, whatever else the machine runs);
- `python_updates_per_s`: the baseline, the same counter as a Python system
  canister (the engine's test counter, a SQLite transaction per message);
- `install_ms`: installing the Motoko features module (about 270 KB) on a new
  canister through the management canister with a cold module cache
  (compilation, instantiation, canister_init), and `install_cached_ms` with
  the module already compiled;
- `rollback_us`: what a trapped message costs for its rollback on the Motoko
  counter (5.3 MiB of memory, page-tracked): what is saved before it, then
  putting back memory and globals after it wrote the pages an `inc` writes;
  `rollback_c_us` the same for the C counter (128 KiB, copied);
  `rollback_copy_us`: the Motoko counter's rollback by a whole copy instead;
- `load_average`: the machine's 1-minute load average when the run ended.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import print_figures

from replica.candid import encode
from replica.candid.types import Nat
from replica.execution.harness import SubnetHarness
from replica.execution.wasm.canister import WasmCanister
from replica.execution.wasm.host import WasmHost
from replica.execution.wasm.operations import CanisterOperations
from replica.execution.wasm.pages import PAGE
from replica.execution.wasm.system_api import Kind, MessageState
from replica.types import Principal
from tests.replica.execution.toys import FACTORIES

ROOT = Path(__file__).resolve().parent.parent
BUILT = ROOT / "tests" / "fixtures" / "wasm" / "built"
OWNER = Principal.self_authenticating(b"bench-owner")


def module(name: str) -> bytes:
    return (BUILT / name).read_bytes()


def instructions_per_s(iterations: int) -> float:
    host = WasmHost()
    canister = WasmCanister(host, host.prepare(module("c_canister_wasm32.wasm")))
    state = MessageState(kind=Kind.UPDATE, argument=iterations.to_bytes(8, "little"))
    started = time.perf_counter()
    result = canister.run("canister_update long", state, limit=10**12, keep=True)
    elapsed = time.perf_counter() - started
    assert result.trap is None, result.trap
    return result.instructions / elapsed


def updates_per_s(
    harness: SubnetHarness, canister: Principal, method: str, arg: bytes, count: int
) -> tuple[float, float]:
    messages = [
        harness.submit(Principal.self_authenticating(b"sender-%d" % index), canister, method, arg)
        for index in range(count)
    ]
    harness.engine.instruction_limit_per_round = 10**15
    started, cpu = time.perf_counter(), time.process_time()
    harness.run_round()
    elapsed, cpu_elapsed = time.perf_counter() - started, time.process_time() - cpu
    replied = sum(
        1
        for message in messages
        if (status := harness.status(message)) and status.reply is not None
    )
    assert replied == count, f"only {replied} of {count} replied"
    return count / elapsed, count / cpu_elapsed


def rollback_us(name: str, repeats: int, *, copy: bool = False) -> float:
    """Save, write the pages one `inc` writes, put back: the rollback of one message."""
    host = WasmHost()
    canister = WasmCanister(host, host.prepare(module(name)))
    if copy:
        canister.page_tracking_min_bytes = 1 << 62
    empty = b"DIDL\x00\x00"
    canister.run(
        "canister_init", MessageState(kind=Kind.INIT, argument=empty), limit=10**10, keep=True
    )
    before = canister.read_memory(0, canister.memory_bytes())
    canister.run(
        "canister_update inc",
        MessageState(kind=Kind.UPDATE, argument=empty),
        limit=10**10,
        keep=True,
    )
    after = canister.read_memory(0, canister.memory_bytes())
    written = [i for i in range(0, len(after), PAGE) if after[i : i + PAGE] != before[i : i + PAGE]]
    started = time.perf_counter()
    for _ in range(repeats):
        saved = canister._begin()
        for offset in written:
            canister.write_memory(offset, b"\x01")
        canister._roll_back(saved)
    return (time.perf_counter() - started) / repeats * 1e6


def run(messages: int, iterations: int, repeats: int) -> dict[str, Any]:
    with TemporaryDirectory() as directory:
        base = Path(directory)
        wasm_subnet = SubnetHarness(base / "wasm", {}, subnet_type="application")
        ops = CanisterOperations(wasm_subnet, OWNER)
        c_counter = ops.create()
        ops.install(c_counter, module("c_counter_wasm32.wasm"))
        motoko_counter = ops.create()
        ops.install(motoko_counter, module("motoko_counter_eop.wasm"))
        c_rate, c_cpu = updates_per_s(wasm_subnet, c_counter, "inc", b"DIDL\x00\x00", messages)
        motoko_rate, motoko_cpu = updates_per_s(
            wasm_subnet, motoko_counter, "inc", b"DIDL\x00\x00", messages
        )

        python_subnet = SubnetHarness(base / "python", FACTORIES, subnet_type="application")
        python_counter = python_subnet.engine.create_canister([OWNER])
        python_subnet.engine.install(python_counter, "counter", None)
        python_rate, _ = updates_per_s(
            python_subnet, python_counter, "add", encode([Nat], [1]), messages
        )

        features = module("motoko_features.wasm")
        wasm_subnet.engine.wasm._host = WasmHost()  # a cold cache
        target = ops.create()
        started = time.perf_counter()
        ops.install(target, features)
        install_ms = (time.perf_counter() - started) * 1000
        second = ops.create()
        started = time.perf_counter()
        ops.install(second, features)
        install_cached_ms = (time.perf_counter() - started) * 1000
    return {
        "instructions_per_s": round(instructions_per_s(iterations)),
        "c_updates_per_s": round(c_rate),
        "c_updates_per_cpu_s": round(c_cpu),
        "motoko_updates_per_s": round(motoko_rate),
        "motoko_updates_per_cpu_s": round(motoko_cpu),
        "python_updates_per_s": round(python_rate),
        "c_vs_python_ratio": round(c_rate / python_rate, 2),
        "install_ms": round(install_ms, 1),
        "install_cached_ms": round(install_cached_ms, 1),
        "install_module_bytes": len(features),
        "rollback_us": round(rollback_us("motoko_counter_eop.wasm", repeats), 1),
        "rollback_c_us": round(rollback_us("c_counter_wasm32.wasm", repeats), 1),
        "rollback_copy_us": round(rollback_us("motoko_counter_eop.wasm", repeats, copy=True), 1),
        "load_average": round(os.getloadavg()[0], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5_000, help="update messages per counter")
    parser.add_argument(
        "--iterations",
        type=int,
        default=20_000_000,
        help="loop iterations for the instruction rate",
    )
    parser.add_argument("--repeats", type=int, default=200, help="rollbacks timed")
    parser.add_argument("--smoke", action="store_true", help="a small run")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    figures = (
        run(200, 500_000, 20) if args.smoke else run(args.messages, args.iterations, args.repeats)
    )
    print_figures(figures, as_json=args.json)


if __name__ == "__main__":
    main()
