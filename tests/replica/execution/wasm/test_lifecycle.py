"""Wasm canisters through the management canister: settings, install modes, chunks, stop, delete,
controllers."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from replica.candid import decode, encode
from replica.candid.types import Nat64
from replica.canister.errors import CallRejected
from replica.execution.wasm.operations import CanisterOperations
from replica.types import Principal
from tests.replica.execution.wasm.helpers import ALICE, BOB, call_arg, deploy, fixture, subnet, u64


def test_create_with_settings_and_read_them_in_the_status(tmp_path: Path) -> None:
    _, ops = subnet(tmp_path)
    canister = ops.create(controllers=[ALICE, BOB], freezing_threshold=1000, compute_allocation=2)
    status = ops.status(canister)
    assert status.status == "running" and set(status.controllers) == {ALICE, BOB}
    assert status.module_hash is None and status.freezing_threshold == 1000
    ops.install(canister, fixture("c_counter_wasm32.wasm"))
    status = ops.status(canister)
    assert status.module_hash == hashlib.sha256(fixture("c_counter_wasm32.wasm")).digest()
    assert status.memory_size > 65536 and status.idle_cycles_burned_per_day > 0


def test_only_controllers_manage_a_canister(tmp_path: Path) -> None:
    harness, ops = subnet(tmp_path)
    canister = deploy(ops, fixture("c_counter_wasm32.wasm"))
    stranger = CanisterOperations(harness, BOB)
    for action in (
        lambda: stranger.install(canister, fixture("c_counter_wasm32.wasm"), mode="reinstall"),
        lambda: stranger.status(canister),
        lambda: stranger.stop(canister),
        lambda: stranger.delete(canister),
        lambda: stranger.upgrade(canister, fixture("c_counter_wasm32.wasm")),
    ):
        with pytest.raises(CallRejected, match=r"(?i)only the controllers"):
            action()


def test_install_reinstall_and_upgrade_keep_or_reset_state(tmp_path: Path) -> None:
    _, ops = subnet(tmp_path)
    canister = deploy(ops, fixture("c_canister_wasm64.wasm"), (5).to_bytes(8, "little"))
    ops.call(canister, "touch")
    assert u64(ops.query(canister, "state")) == 6
    with pytest.raises(CallRejected, match="already installed"):
        ops.install(canister, fixture("c_canister_wasm64.wasm"))
    ops.upgrade(
        canister, fixture("c_canister_wasm64.wasm")
    )  # pre_upgrade saves the counter in stable memory
    assert u64(ops.query(canister, "state")) == 6
    ops.call(canister, "touch")
    ops.upgrade(canister, fixture("c_canister_wasm64.wasm"), skip_pre_upgrade=True)
    assert u64(ops.query(canister, "state")) == 6  # the saved value from the previous pre_upgrade
    ops.install(
        canister, fixture("c_canister_wasm64.wasm"), (9).to_bytes(8, "little"), mode="reinstall"
    )
    assert u64(ops.query(canister, "state")) == 9
    assert u64(ops.query(canister, "state"), 3) == 0  # reinstall clears stable memory


def test_a_failed_upgrade_leaves_the_canister_as_it_was(tmp_path: Path) -> None:
    harness, ops = subnet(tmp_path)
    canister = deploy(ops, fixture("c_canister_wasm32.wasm"))
    ops.call(canister, "touch")
    digest = harness.engine.wasm.state_digest(canister)
    module_hash = harness.engine.canisters[canister].module_hash
    with pytest.raises(CallRejected, match="post_upgrade refuses"):
        ops.upgrade(canister, fixture("c_canister_wasm64.wasm"), b"trap")
    assert harness.engine.wasm.state_digest(canister) == digest
    assert harness.engine.canisters[canister].module_hash == module_hash
    with pytest.raises(CallRejected, match="not valid"):
        ops.upgrade(canister, b"\x00asm\x01\x00\x00\x00\x01")
    assert harness.engine.wasm.state_digest(canister) == digest


def test_gzip_and_chunked_installs(tmp_path: Path) -> None:
    _, ops = subnet(tmp_path)
    packed = gzip.compress(fixture("c_counter_wasm32.wasm"), mtime=0)
    canister = deploy(ops, packed)
    assert decode(ops.call(canister, "inc"), [Nat64]) == [1]
    assert ops.status(canister).module_hash == hashlib.sha256(packed).digest()
    chunked = ops.create()
    module = fixture("motoko_counter_eop.wasm")
    hashes = [
        ops.manage("upload_chunk", {"canister_id": chunked, "chunk": module[i : i + 100_000]})
        for i in range(0, len(module), 100_000)
    ]
    assert len(ops.manage("stored_chunks", {"canister_id": chunked})) == len(hashes)
    ops.manage(
        "install_chunked_code",
        {
            "mode": {"install": None},
            "target_canister": chunked,
            "store_canister": None,
            "chunk_hashes_list": hashes,
            "wasm_module_hash": hashlib.sha256(module).digest(),
            "arg": b"DIDL\x00\x00",
        },
    )
    assert ops.status(chunked).module_hash == hashlib.sha256(module).digest()
    with pytest.raises(CallRejected, match="does not match"):
        ops.manage(
            "install_chunked_code",
            {
                "mode": {"reinstall": None},
                "target_canister": chunked,
                "store_canister": None,
                "chunk_hashes_list": hashes[:1],
                "wasm_module_hash": hashlib.sha256(module).digest(),
                "arg": b"",
            },
        )


def test_stop_waits_for_open_calls_then_delete(tmp_path: Path) -> None:
    harness, ops = subnet(tmp_path)
    caller = deploy(ops, fixture("c_canister_wasm32.wasm"))
    callee = deploy(ops, fixture("c_canister_wasm32.wasm"))
    harness.engine.wasm.slice_instructions = (
        1_000_000  # the callee's long update takes several rounds
    )
    message = harness.submit(
        ALICE, caller, "call", call_arg(callee, "long", (1_000_000).to_bytes(8, "little"))
    )
    harness.run_round()
    assert harness.engine.call_contexts  # the call is under way
    stop = harness.submit(ALICE, Principal_management(), "stop_canister", _record(caller))
    harness.run_round()
    assert harness.engine.canisters[caller].status in ("stopping", "stopped")
    harness.await_status(message)
    assert harness.status(message).reply is not None  # type: ignore[union-attr]
    harness.await_status(stop)
    assert ops.status(caller).status == "stopped"
    with pytest.raises(CallRejected, match="stopped"):
        ops.call(caller, "echo", b"x")
    with pytest.raises(CallRejected, match="must be stopped"):
        ops.delete(callee)
    ops.start(caller)
    assert ops.call(caller, "echo", b"y") == b"y"
    ops.stop(callee)
    ops.delete(callee)
    assert callee not in harness.engine.canisters
    answer = ops.call(caller, "call", call_arg(callee, "echo"))
    assert answer[1] == 3  # DESTINATION_INVALID


def test_update_settings_and_deposit_cycles(tmp_path: Path) -> None:
    harness, ops = subnet(tmp_path)
    canister = deploy(ops, fixture("c_counter_wasm32.wasm"))
    ops.manage(
        "update_settings",
        {"canister_id": canister, "settings": {"controllers": [BOB], "freezing_threshold": 7}},
    )
    with pytest.raises(CallRejected, match=r"(?i)only the controllers"):
        ops.status(canister)
    bob = CanisterOperations(harness, BOB)
    assert bob.status(canister).freezing_threshold == 7
    cycles = harness.engine.canisters[canister].cycles
    bob.deposit_cycles(canister, 10**12)
    assert harness.engine.canisters[canister].cycles == cycles + 10**12


def Principal_management() -> Principal:
    from replica.types import Principal

    return Principal.management_canister()


def _record(canister: object) -> bytes:
    from replica.execution.wasm.interface import CANISTER_ID_RECORD

    return encode([CANISTER_ID_RECORD], [{"canister_id": canister}])


def test_a_checkpoint_keeps_wasm_canisters(tmp_path: Path) -> None:
    from replica.execution.engine import ExecutionEngine

    harness, ops = subnet(tmp_path)
    c_canister = deploy(ops, fixture("c_canister_wasm64.wasm"))
    motoko = deploy(ops, fixture("motoko_counter_eop.wasm"))
    ops.call(c_canister, "touch")
    ops.call(motoko, "inc", b"DIDL\x00\x00")
    engine = harness.engine
    engine.write_checkpoint(tmp_path / "checkpoint")
    restored = ExecutionEngine.from_checkpoint(
        tmp_path / "checkpoint",
        state_dir=tmp_path / "restored",
        subnet_id=engine.subnet_id,
        factories={},
        subnet_type="application",
    )
    assert restored.state_hash() == engine.state_hash()
    for canister in (c_canister, motoko):
        assert restored.wasm.state_digest(canister) == engine.wasm.state_digest(canister)
    assert u64(restored.query(c_canister, "state", b"", ALICE)) == 1  # type: ignore[arg-type]
    assert restored.query(motoko, "get", b"DIDL\x00\x00", ALICE) == engine.query(
        motoko, "get", b"DIDL\x00\x00", ALICE
    )
