"""Random messages on several engines fed the same inputs: every round completes, every engine agrees.

Each example builds three independent engines with the same scripted canisters
(random cycle balances, a system or an application subnet) and feeds them the
same batches of random plans: writes, cycles accepted and attached (up to far
more than a canister holds), traps, refusals, replies of the wrong type, and
call graphs between the canisters, a canister that does not exist and the
management canister, with callbacks that themselves write, call and trap. One
engine is restored from a checkpoint halfway. The properties:

- `execute_round` never raises;
- all three engines compute the same state hash after every round;
- once the queues drain, every call context is closed and every message has a
  final status; on a system subnet (no fees) no cycle is created or lost.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from replica.candid import encode
from replica.candid.types import Text
from replica.execution.engine import ExecutionEngine
from replica.execution.harness import SubnetHarness
from replica.types import Principal
from tests.replica.execution.toys import FACTORIES

ALICE = Principal.self_authenticating(b"alice")
CANISTERS = [Principal.from_canister_id(index) for index in range(3)]
TARGETS = [*(c.to_text() for c in CANISTERS), Principal.from_canister_id(77).to_text(), "aaaaa-aa"]
ENDS = ["reply", "reply", "defer", "trap", "refuse", "badreply"]
CYCLES = [0, 0, 10, 5_000, 3_000_000, 10**15]


def plans(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    calls: st.SearchStrategy[list[dict[str, Any]]] = st.just([])
    if depth > 0:
        calls = st.lists(
            st.fixed_dictionaries(
                {
                    "to": st.sampled_from(TARGETS),
                    "cycles": st.sampled_from(CYCLES),
                    "plan": plans(depth - 1),
                    "then": plans(depth - 1),
                }
            ),
            max_size=2,
        )
    return st.fixed_dictionaries(
        {
            "w": st.integers(0, 3),
            "accept": st.sampled_from([0, 0, 7, 10**6]),
            "calls": calls,
            "end": st.sampled_from(ENDS),
        }
    )


messages = st.tuples(st.integers(0, len(CANISTERS) - 1), plans(2))
scenarios = st.fixed_dictionaries(
    {
        "application": st.booleans(),
        "balances": st.lists(
            st.sampled_from([0, 2_000_000, 50_000_000, 10**16]), min_size=3, max_size=3
        ),
        "rounds": st.lists(st.lists(messages, max_size=4), min_size=1, max_size=4),
    }
)


def engines(directory: Path, scenario: dict[str, Any]) -> list[SubnetHarness]:
    harnesses = []
    for index in range(3):
        harness = SubnetHarness(
            directory / f"engine-{index}",
            FACTORIES,
            seed=b"fuzz",
            subnet_type="application" if scenario["application"] else "system",
        )
        for canister, balance in zip(CANISTERS, scenario["balances"], strict=True):
            harness.engine.create_canister([ALICE], canister_id=canister, cycles=balance)
            harness.engine.install(canister, "scripted", None)
        harnesses.append(harness)
    return harnesses


def run_round_everywhere(harnesses: list[SubnetHarness]) -> bytes:
    hashes = {harness.run_round().state_hash for harness in harnesses}
    assert len(hashes) == 1, "the engines disagree"
    return hashes.pop()


def restore_from_checkpoint(harness: SubnetHarness, directory: Path) -> None:
    engine = harness.engine
    engine.write_checkpoint(directory / "checkpoint")
    restored = ExecutionEngine.from_checkpoint(
        directory / "checkpoint",
        state_dir=directory / "restored",
        subnet_id=engine.subnet_id,
        factories=FACTORIES,
        subnet_type=engine.subnet_type,
    )
    assert restored.state_hash() == engine.state_hash()
    engine.close()
    harness.engine = restored


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=scenarios)
@example(  # a callback accepting cycles of a context that already replied, and so refunded them
    scenario={
        "application": False,
        "balances": [2_000_000, 0, 0],
        "rounds": [
            [
                (
                    0,
                    {
                        "w": 0,
                        "accept": 0,
                        "end": "reply",
                        "calls": [
                            {
                                "to": CANISTERS[0].to_text(),
                                "cycles": 10,
                                "plan": {
                                    "w": 0,
                                    "accept": 0,
                                    "end": "reply",
                                    "calls": [
                                        {
                                            "to": CANISTERS[0].to_text(),
                                            "cycles": 0,
                                            "plan": {
                                                "w": 0,
                                                "accept": 0,
                                                "calls": [],
                                                "end": "reply",
                                            },
                                            "then": {
                                                "w": 0,
                                                "accept": 7,
                                                "calls": [],
                                                "end": "reply",
                                            },
                                        }
                                    ],
                                },
                                "then": {"w": 0, "accept": 0, "calls": [], "end": "reply"},
                            }
                        ],
                    },
                )
            ]
        ],
    }
)
def test_random_messages_complete_every_round_and_every_engine_agrees(
    scenario: dict[str, Any],
) -> None:
    with tempfile.TemporaryDirectory(prefix="icbox-fuzz-") as name:
        directory = Path(name)
        harnesses = engines(directory, scenario)
        total_before = sum(record.cycles for record in harnesses[0].engine.canisters.values())
        submitted: list[bytes] = []
        for number, batch in enumerate(scenario["rounds"]):
            for target, plan in batch:
                argument = encode([Text], [json.dumps(plan)])
                ids = {
                    harness.submit(ALICE, CANISTERS[target], "run", argument)
                    for harness in harnesses
                }
                submitted.extend(ids)
                assert len(ids) == 1
            run_round_everywhere(harnesses)
            if number == len(scenario["rounds"]) // 2:
                restore_from_checkpoint(harnesses[2], directory)
        for _ in range(30):
            if not any(harnesses[0].engine.queues.values()):
                break
            run_round_everywhere(harnesses)
        for harness in harnesses:
            engine = harness.engine
            assert engine.call_contexts == {}
            assert not any(engine.queues.values())
            for message_id in submitted:
                status = engine.ingress_status(message_id)
                assert status is not None and status.status.is_terminal, status
            if not scenario["application"]:
                assert sum(record.cycles for record in engine.canisters.values()) == total_before
            engine.close()
