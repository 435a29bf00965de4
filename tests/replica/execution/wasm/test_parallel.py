"""Parallel execution over independent canisters gives the state of sequential execution."""

from __future__ import annotations

from pathlib import Path

from replica.execution.messages import Status
from tests.replica.execution.wasm.helpers import ALICE, call_arg, deploy, fixture, subnet


def _run(tmp_path: Path, threads: int) -> tuple[list[bytes], list[tuple[str, bytes | None]]]:
    harness, ops = subnet(tmp_path)
    harness.engine.wasm.set_threads(threads)
    try:
        canisters = [
            deploy(ops, fixture(f"c_canister_wasm{32 if i % 2 else 64}.wasm")) for i in range(6)
        ]
        counters = [deploy(ops, fixture("c_counter_wasm32.wasm")) for _ in range(2)]
        hashes, outcomes = [], []
        for round_number in range(6):
            messages = []
            for index, canister in enumerate(canisters):
                method = ["touch", "long", "touch_then_trap", "echo"][(index + round_number) % 4]
                arg = (20_000 * (index + 1)).to_bytes(8, "little")
                messages.append(harness.submit(ALICE, canister, method, arg))
            messages.append(
                harness.submit(ALICE, canisters[0], "call", call_arg(canisters[1], "touch"))
            )
            messages += [
                harness.submit(ALICE, counter, "inc", b"DIDL\x00\x00") for counter in counters
            ]
            hashes.append(harness.run_round().state_hash)
            for message in messages:
                status = harness.status(message)
                assert status is not None
                outcomes.append(
                    (status.status.value, status.reply if status.status == Status.REPLIED else None)
                )
        assert (harness.engine.wasm.speculator.used > 10) == (threads > 1)
        return hashes, outcomes
    finally:
        harness.engine.wasm.set_threads(1)


def test_two_threads_give_the_same_states_and_replies_as_one(tmp_path: Path) -> None:
    sequential = _run(tmp_path / "one", 1)
    parallel = _run(tmp_path / "two", 2)
    assert parallel == sequential
    assert any(status == "rejected" for status, _ in sequential[1])  # traps were among them
