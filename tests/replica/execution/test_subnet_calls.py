"""`setup_initial_dkg`: parked by execution, answered by a later block (spec B).

The IC keeps the call as a `SetupInitialDkgContext` in the subnet call context
manager with a fresh target id, accepts it only from the NNS
(`rs/execution_environment/src/execution_environment.rs`), and answers it when
consensus delivers the transcripts (`rs/consensus/src/consensus/batch_delivery.rs`).
"""

from __future__ import annotations

from pathlib import Path

from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID, REGISTRY_CANISTER_ID
from replica.environment import Reject
from replica.execution.engine import ExecutionEngine
from replica.execution.messages import Batch, Callback, Request, Response
from replica.execution.subnet_calls import InitialDkgAnswer
from replica.types import Principal

NODES = [Principal.self_authenticating(bytes([n])) for n in range(4)]


def engine_at(path: Path, subnet_type: str = "system") -> ExecutionEngine:
    engine = ExecutionEngine(
        Principal.self_authenticating(b"nns"),
        state_dir=path,
        factories={},
        subnet_type=subnet_type,  # type: ignore[arg-type]
    )
    engine.create_canister([], canister_id=REGISTRY_CANISTER_ID)
    engine.create_canister([], canister_id=GOVERNANCE_CANISTER_ID)
    return engine


def ask(engine: ExecutionEngine, caller: Principal = REGISTRY_CANISTER_ID) -> Request:
    request = Request(
        caller=caller,
        callee=Principal.management_canister(),
        method="setup_initial_dkg",
        argument={"node_ids": NODES, "registry_version": 3},
        callback=Callback(call_context=7, on_reply="on_reply", on_reject="on_reject", context=None),
    )
    engine.management.execute_request(request)
    return request


def test_the_call_is_parked_with_a_fresh_target_and_answered_once(tmp_path: Path) -> None:
    engine = engine_at(tmp_path)
    engine.execute_round(Batch(height=1, time_ns=10, random_tape=b"tape-1"))
    ask(engine)
    (context,) = engine.subnet_calls.get_open_at(engine.height)
    assert context.node_ids == tuple(NODES) and context.registry_version == 3
    assert len(context.target) == 32
    assert not engine.queues[REGISTRY_CANISTER_ID], "no answer yet"
    answer = InitialDkgAnswer(target=context.target, reply={"fresh_subnet_id": NODES[0]})
    engine.execute_round(
        Batch(height=2, time_ns=20, random_tape=b"tape-2", initial_dkg_answers=(answer,))
    )
    assert engine.subnet_calls.get_open_at(2) == ()
    assert [c.target for c in engine.subnet_calls.get_open_at(1)] == [context.target], (
        "the state at height 1 still held it open"
    )
    again = engine.subnet_calls.answer(context.target, 3)
    assert again is None, "a later block's repeated answer is ignored"


def test_only_the_registry_on_a_system_subnet_may_call_it(tmp_path: Path) -> None:
    engine = engine_at(tmp_path / "nns")
    ask(engine, caller=GOVERNANCE_CANISTER_ID)
    (refusal,) = engine.queues[GOVERNANCE_CANISTER_ID]
    assert isinstance(refusal, Response) and isinstance(refusal.answer, Reject)
    assert engine.subnet_calls.contexts == {}
    application = engine_at(tmp_path / "app", subnet_type="application")
    ask(application)
    (refusal,) = application.queues[REGISTRY_CANISTER_ID]
    assert isinstance(refusal, Response) and isinstance(refusal.answer, Reject)


def test_contexts_are_state_a_checkpoint_keeps(tmp_path: Path) -> None:
    engine = engine_at(tmp_path / "a")
    engine.execute_round(Batch(height=1, time_ns=10, random_tape=b"tape-1"))
    before = engine.state_hash()
    ask(engine)
    assert engine.state_hash() != before, "a parked call is part of the state"
    engine.write_checkpoint(tmp_path / "checkpoint")
    restored = ExecutionEngine.from_checkpoint(
        tmp_path / "checkpoint",
        state_dir=tmp_path / "b",
        subnet_id=engine.subnet_id,
        factories={},
    )
    assert restored.state_hash() == engine.state_hash()
    (kept,) = restored.subnet_calls.get_open_at(1)
    (parked,) = engine.subnet_calls.get_open_at(1)
    assert (kept.target, kept.node_ids, kept.callback_id) == (
        parked.target,
        parked.node_ids,
        parked.callback_id,
    )
