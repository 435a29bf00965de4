"""Shared set-up for the Wasm canister tests: the built fixtures and a subnet to run them on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from replica.candid import encode
from replica.candid.types import Nat64
from replica.execution.harness import SubnetHarness
from replica.execution.wasm.operations import CanisterOperations
from replica.types import Principal

BUILT = Path(__file__).resolve().parents[3] / "fixtures" / "wasm" / "built"
ALICE = Principal.self_authenticating(b"alice")
BOB = Principal.self_authenticating(b"bob")
TARGETS = ("wasm32", "wasm64")


def fixture(name: str) -> bytes:
    return (BUILT / name).read_bytes()


def subnet(
    tmp_path: Path, *, subnet_type: str = "application", **options: Any
) -> tuple[SubnetHarness, CanisterOperations]:
    harness = SubnetHarness(tmp_path / "subnet", {}, subnet_type=subnet_type, **options)  # type: ignore[arg-type]
    return harness, CanisterOperations(harness, ALICE)


def deploy(
    ops: CanisterOperations, module: bytes, arg: bytes = b"DIDL\x00\x00", **settings: Any
) -> Principal:
    canister_id = ops.create(**settings)
    ops.install(canister_id, module, arg)
    return canister_id


def call_arg(callee: Principal, method: str, payload: bytes = b"", cycles: int = 0) -> bytes:
    """The argument of canister.c's `call` methods."""
    return (
        bytes([len(callee.raw)])
        + callee.raw
        + bytes([len(method)])
        + method.encode()
        + cycles.to_bytes(8, "little")
        + payload
    )


def u64(data: bytes, index: int = 0) -> int:
    return int.from_bytes(data[8 * index : 8 * index + 8], "little")


def nat64(value: int) -> bytes:
    return encode([Nat64], [value])
