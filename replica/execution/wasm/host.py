"""The wasmtime host: one deterministic engine and a cache of compiled modules.

The engine is configured as the IC's embedder is (rs/embedders/src/wasmtime_embedder.rs,
`WasmtimeEmbedder::wasmtime_execution_config`): no threads and no shared
memory, no relaxed SIMD (its results may differ between machines), NaN
canonicalisation so every float operation yields the same bits everywhere,
fuel as the instruction counter (one unit per Wasm instruction), memory64 and
table64 for wasm64 modules, bulk memory, reference types and multi-value.
Compilation is single-threaded and deterministic. Epoch interruption is on, so
that a long execution running on its own thread can be stopped from outside
(a checkpoint aborts it); it never decides a result.

Compiling a module is the costly step of an install, so compiled modules are
kept in a cache keyed by the SHA-256 of the instrumented binary: a second
canister with the same module, a reinstall or a replica that restarts with the
same modules compiles nothing. What the module's code can change besides memory
and globals (`code.scan_code`, its table) is found while wasmtime compiles it,
on a thread of its own (the compiler does not hold the interpreter lock).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Final

import wasmtime

from replica.execution.wasm.code import CodeFacts, scan_code
from replica.execution.wasm.module import InvalidModule, PreparedModule, prepare_module

MAX_WASM_STACK: Final = 1024 * 1024  # bytes of native stack a message may use (the IC allows 5 MiB)
CACHE_ENTRIES: Final = 64


def deterministic_config() -> wasmtime.Config:
    config = wasmtime.Config()
    config.consume_fuel = True
    config.wasm_threads = False
    config.shared_memory = False
    config.wasm_simd = True
    config.wasm_relaxed_simd = False
    config.cranelift_nan_canonicalization = True
    config.wasm_memory64 = True
    config.wasm_bulk_memory = True
    config.wasm_reference_types = True
    config.wasm_multi_value = True
    config.wasm_multi_memory = False
    config.parallel_compilation = False
    config.max_wasm_stack = MAX_WASM_STACK
    config.cranelift_opt_level = "speed"
    # a long execution on its own thread is stopped by an epoch tick (`WasmHost.interrupt`)
    config.epoch_interruption = True
    return config


class WasmHost:
    """The engine all Wasm canisters of a process share, and its module cache."""

    def __init__(self, *, cache_entries: int = CACHE_ENTRIES) -> None:
        self.engine = wasmtime.Engine(deterministic_config())
        self._cache: OrderedDict[bytes, wasmtime.Module] = OrderedDict()
        self._prepared: dict[bytes, PreparedModule] = {}
        self._facts: dict[bytes, CodeFacts] = {}
        self._cache_entries = cache_entries
        self._lock = threading.Lock()
        self.compilations = 0

    def interrupt(self) -> None:
        """Stop every execution running with an epoch deadline (the long ones, see
        `WasmCanister.run_interruptible`); the others have a deadline no tick reaches."""
        self.engine.increment_epoch()

    def prepare(self, installed: bytes) -> PreparedModule:
        """Decode and instrument a module (cached by the hash of what was installed)."""
        key = hashlib.sha256(installed).digest()
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = prepare_module(installed)
            with self._lock:
                self._prepared[key] = prepared
        return prepared

    def compile(self, prepared: PreparedModule) -> wasmtime.Module:
        """The compiled module, from the cache when this binary was compiled before."""
        key = hashlib.sha256(prepared.wasm).digest()
        with self._lock:
            module = self._cache.get(key)
            if module is not None:
                self._cache.move_to_end(key)
                return module
        facts: list[CodeFacts] = []
        scan = threading.Thread(target=lambda: facts.append(scan_code(prepared.wasm)))
        scan.start()
        try:
            module = wasmtime.Module(self.engine, prepared.wasm)
        except wasmtime.WasmtimeError as error:
            raise InvalidModule(
                f"the module does not validate: {_first_line(str(error))}"
            ) from error
        finally:
            scan.join()
        if facts:
            with self._lock:
                self._facts[key] = facts[0]
        with self._lock:
            self.compilations += 1
            self._cache[key] = module
            while len(self._cache) > self._cache_entries:
                self._cache.popitem(last=False)
        return module

    def code_facts(self, prepared: PreparedModule) -> CodeFacts:
        """What the module's code can change besides main memory and globals."""
        key = hashlib.sha256(prepared.wasm).digest()
        facts = self._facts.get(key)
        if facts is None:
            facts = scan_code(prepared.wasm)
            with self._lock:
                self._facts[key] = facts
        return facts


def _first_line(text: str) -> str:
    return " ".join(text.split())[:300]


_DEFAULT: WasmHost | None = None


def default_host() -> WasmHost:
    """The process's shared host."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = WasmHost()
    return _DEFAULT
