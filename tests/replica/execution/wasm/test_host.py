"""The wasmtime host: module checks, instrumentation, gzip, the compiled-module cache, wasm32 and
wasm64."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from replica.candid import decode
from replica.candid.types import Nat64
from replica.execution.wasm.canister import WasmCanister
from replica.execution.wasm.host import WasmHost, deterministic_config
from replica.execution.wasm.module import InvalidModule, prepare_module
from replica.execution.wasm.system_api import Kind, MessageState
from tests.replica.execution.wasm.helpers import TARGETS, fixture


@pytest.mark.parametrize("target", TARGETS)
def test_a_c_counter_runs_on_both_targets(target: str) -> None:
    host = WasmHost()
    prepared = host.prepare(fixture(f"c_counter_{target}.wasm"))
    assert prepared.memory64 == (target == "wasm64")
    assert prepared.updates == {"inc"} and prepared.queries == {"get"}
    assert prepared.metadata("candid:service") is not None
    canister = WasmCanister(host, prepared)
    for expected in (1, 2, 3):
        result = canister.run(
            "canister_update inc", MessageState(kind=Kind.UPDATE), limit=10_000_000, keep=True
        )
        assert result.trap is None and result.instructions > 0
        assert decode(result.state.reply or b"", [Nat64]) == [expected]


def test_gzip_modules_install_and_hash_as_installed() -> None:
    raw = fixture("c_counter_wasm32.wasm")
    packed = gzip.compress(raw, mtime=0)
    prepared = prepare_module(packed)
    assert prepared.updates == {"inc"}
    assert prepared.module_hash != prepare_module(raw).module_hash  # the hash of what was installed


@pytest.mark.parametrize(
    "module",
    [
        b"",
        b"\x00asm\x02\x00\x00\x00",
        b"not wasm at all",
        gzip.compress(b"garbage", mtime=0),
        b"\x00asm\x01\x00\x00\x00\x07\x05",
    ],
)
def test_invalid_modules_are_refused(module: bytes) -> None:
    with pytest.raises(InvalidModule):
        WasmCanister(WasmHost(), prepare_module(module))


def test_a_method_exported_as_update_and_query_is_refused() -> None:
    import wasmtime

    wasm = wasmtime.wat2wasm(
        '(module (func $f) (export "canister_update m" (func $f)) (export "canister_query m" (func '
        "$f)))"
    )
    with pytest.raises(InvalidModule, match="both"):
        prepare_module(bytes(wasm))


def test_imports_outside_the_system_api_are_refused() -> None:
    import wasmtime

    wasm = wasmtime.wat2wasm('(module (import "env" "f" (func)))')
    with pytest.raises(InvalidModule, match=r"env\.f"):
        WasmCanister(WasmHost(), prepare_module(bytes(wasm)))
    wrong_type = wasmtime.wat2wasm('(module (import "ic0" "msg_reply" (func (param i32))))')
    with pytest.raises(InvalidModule, match="wrong type"):
        WasmCanister(WasmHost(), prepare_module(bytes(wrong_type)))


def test_instrumentation_exports_mutable_globals_memory_and_table() -> None:
    import wasmtime

    wasm = bytes(
        wasmtime.wat2wasm(
            "(module (global (mut i32) (i32.const 7)) (global i32 (i32.const 1)) (global (mut i64) "
            "(i64.const 2))"
            ' (memory 1) (table 2 funcref) (func $f) (export "canister_update m" (func $f)))'
        )
    )
    prepared = prepare_module(wasm)
    assert prepared.mutable_globals == (0, 2)
    module = wasmtime.Module(wasmtime.Engine(deterministic_config()), prepared.wasm)
    names = {export.name for export in module.exports}
    assert {
        "__icbox_global_0",
        "__icbox_global_2",
        "__icbox_memory",
        "__icbox_table",
        "canister_update m",
    } <= names
    with pytest.raises(InvalidModule, match="reserves"):
        prepare_module(
            bytes(wasmtime.wat2wasm('(module (func $f) (export "__icbox_x" (func $f)))'))
        )


def test_compiled_modules_are_cached_by_hash() -> None:
    host = WasmHost()
    module = fixture("c_counter_wasm64.wasm")
    first = WasmCanister(host, host.prepare(module))
    second = WasmCanister(host, host.prepare(module))
    assert host.compilations == 1
    assert first.store is not second.store  # one instance each, one compilation


def test_nan_results_are_canonical() -> None:
    import wasmtime

    wasm = wasmtime.wat2wasm(
        '(module (func (export "f") (result i32) (i32.reinterpret_f32 (f32.div (f32.const 0) '
        "(f32.const 0)))))"
    )
    engine = wasmtime.Engine(deterministic_config())
    store = wasmtime.Store(engine)
    store.set_fuel(1000)
    store.set_epoch_deadline(1)  # the configuration interrupts executions at an epoch tick
    instance = wasmtime.Instance(store, wasmtime.Module(engine, bytes(wasm)), [])
    function = instance.exports(store)["f"]
    assert isinstance(function, wasmtime.Func)
    assert function(store) & 0xFFFFFFFF == 0x7FC00000  # the canonical quiet NaN


def test_the_fixtures_are_the_ones_the_build_script_makes() -> None:
    script = (Path(__file__).resolve().parents[3] / "fixtures" / "wasm" / "build.sh").read_text()
    for name in (
        "c_counter_wasm32.wasm",
        "c_canister_wasm64.wasm",
        "motoko_counter_eop.wasm",
        "motoko_features.wasm",
    ):
        assert fixture(name).startswith(b"\x00asm")
    assert "clang --target=$target" in script and "build_motoko.js" in script
