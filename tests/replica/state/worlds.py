"""Builders for state-manager tests: a subnet with toy canisters and a stream of batches."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from replica.candid import encode
from replica.candid.types import Nat, PrincipalType
from replica.canister.sdk import CanisterEnvironment, interface_of, update
from replica.canister.stable import StableStore
from replica.crypto import bls
from replica.execution.engine import SystemCanister
from replica.execution.messages import Batch, IngressMessage
from replica.state.manager import StateManager
from replica.state.tree import SubnetInfo
from replica.types import Principal
from tests.replica.execution.toys import FACTORIES as TOY_FACTORIES
from tests.replica.execution.toys import ToyCell


class Dice:
    """Draws canister randomness (`CanisterEnvironment.random_bytes`) and keeps the last roll."""

    def __init__(self, environment: CanisterEnvironment, path: str | None, init: Any) -> None:
        self.environment = environment
        self.store = StableStore([ToyCell], path)

    @update(results=[Nat])
    def roll(self, caller: Principal, argument: Any) -> int:
        value = int.from_bytes(self.environment.random_bytes(8), "big")
        with self.store.transaction() as session:
            cell = session.get(ToyCell, "roll") or ToyCell(name="roll", value=0)
            cell.value = value
            session.add(cell)
        return value


FACTORIES = {
    **TOY_FACTORIES,
    "dice": SystemCanister(create=Dice, interface=lambda instance: interface_of(type(instance))),
}
SUBNET_SECRET = 0x5EC12E7
SUBNET_ID = Principal.self_authenticating(b"state test subnet")
ALICE = Principal.self_authenticating(b"alice")
START_NS = 1_700_000_000_000_000_000
ROUND_NS = 500_000_000
NODES = tuple(
    (Principal.self_authenticating(b"node%d" % i), b"\x30\x2a" + bytes([i]) * 42) for i in range(4)
)
COUNTER = Principal.from_canister_id(0)
RELAY = Principal.from_canister_id(1)
TICKER = Principal.from_canister_id(2)
DICE = Principal.from_canister_id(3)


def subnet_info() -> SubnetInfo:
    key = bls.public_key_to_der(bls.public_key(SUBNET_SECRET))
    return SubnetInfo.from_index_ranges(SUBNET_ID, key, [(0, (1 << 20) - 1)], dict(NODES))


def new_manager(state_dir: Path) -> StateManager:
    manager = StateManager.create(
        state_dir, subnet_id=SUBNET_ID, factories=FACTORIES, subnets=[subnet_info()]
    )
    engine = manager.engine
    for name in ("counter", "relay", "ticker", "dice"):
        canister = engine.create_canister([ALICE])
        engine.install(canister, name, None)
    return manager


def restore(state_dir: Path, height: int | None = None) -> StateManager:
    return StateManager.restore(
        state_dir, subnet_id=SUBNET_ID, factories=FACTORIES, subnets=[subnet_info()], height=height
    )


@dataclass(frozen=True, slots=True)
class Workload:
    """Deterministic batches: adds to the counter, relayed adds, random draws, failing calls."""

    seed: bytes = b"workload"

    def batch(self, height: int) -> Batch:
        time_ns = START_NS + height * ROUND_NS
        messages = []
        for index in range(4):
            kind = (height + index) % 5
            if kind == 0:
                method, arg, target = "add", encode([Nat], [height + index]), COUNTER
            elif kind == 1:
                method, arg, target = "relay", encode([PrincipalType, Nat], [COUNTER, index]), RELAY
            elif kind == 2:
                method, arg, target = "random", encode([PrincipalType], [COUNTER]), RELAY
            elif kind == 3:
                method, arg, target = "refuse", encode([Nat], [index]), COUNTER
            else:
                method, arg, target = "roll", encode([], []), DICE
            message_id = hashlib.sha256(
                self.seed + height.to_bytes(8, "big") + bytes([index])
            ).digest()
            messages.append(
                IngressMessage(
                    message_id=message_id,
                    sender=ALICE,
                    canister_id=target,
                    method=method,
                    arg=arg,
                    ingress_expiry_ns=time_ns + 4 * ROUND_NS,
                )
            )
        tape = hashlib.sha256(self.seed + b"tape" + height.to_bytes(8, "big")).digest()
        return Batch(height=height, time_ns=time_ns, random_tape=tape, ingress=tuple(messages))


def run(manager: StateManager, heights: range, workload: Workload = Workload()) -> None:
    for height in heights:
        manager.execute(workload.batch(height))
