"""Ingress submitted to any honest replica is executed exactly once and its reply certified; the
simulator's ingress is signed by its senders, and what `bad-block` makes up breaks the sender rule
(R37) in its own version only."""

from __future__ import annotations

from dataclasses import replace
from typing import Final

import pytest

from replica.agent.identity import AnonymousIdentity
from replica.candid import encode
from replica.candid.types import Nat
from replica.consensus.artifacts import (
    Block,
    BlockProposal,
    DataPayload,
    Finalization,
    ValidationContext,
)
from replica.crypto.keys import NodeSecretKeys
from replica.execution.messages import IngressMessage
from replica.http.requests import authenticate_ingress, parse_call_envelope
from replica.sim.forgery import ConsensusForger
from replica.sim.users import derive_user, signed_call
from replica.sim.workload import CounterWorkload
from replica.types import Principal
from tests.replica.sim.scenarios import consensus_world


@pytest.mark.parametrize("faults", ["drop:10", "crash:1", "invalid-shares:1"])
def test_ingress_to_any_replica_is_executed_exactly_once_and_its_reply_certified(
    faults: str,
) -> None:
    with consensus_world(81, nodes=4, faults=faults, heights=20) as world:
        workload = CounterWorkload(world)
        world.run_until_height(2)
        for _ in range(4):
            workload.submit(3)  # every third message also goes to a second replica
            world.run_for(0.15)
        assert workload.duplicates == 4
        world.run_until(
            workload.is_done, timeout_s=30, what="every message replied and certified everywhere"
        )
        workload.check()


NOW_NS: Final = 1_800_000_000 * 10**9
COUNTER: Final = Principal.from_canister_id(0)


def add_call(amount: int, nonce: bytes) -> IngressMessage:
    return signed_call(
        derive_user(b"test-ingress", "user"),
        canister_id=COUNTER,
        method="add",
        arg=encode([Nat], [amount]),
        ingress_expiry_ns=NOW_NS + 60 * 10**9,
        nonce=nonce,
    )


def test_a_simulated_users_call_is_the_message_its_envelope_signs_and_the_same_every_run() -> None:
    message = add_call(1, b"\x00\x00\x00\x01")
    assert parse_call_envelope(message.envelope, NOW_NS).message == message
    assert authenticate_ingress(message, NOW_NS) is None
    assert add_call(1, b"\x00\x00\x00\x01") == message  # Ed25519 signatures are deterministic
    assert add_call(1, b"\x00\x00\x00\x02").message_id != message.message_id
    anonymous = signed_call(
        AnonymousIdentity(),
        canister_id=COUNTER,
        method="add",
        arg=message.arg,
        ingress_expiry_ns=message.ingress_expiry_ns,
    )
    assert anonymous.sender == Principal.anonymous()
    assert authenticate_ingress(anonymous, NOW_NS) is None


def unsigned_versions(blocks: list[Block]) -> list[Block]:
    """The blocks with a message whose envelope does not authenticate it at the block's time."""
    return [
        block
        for block in blocks
        if isinstance(block.payload, DataPayload)
        and any(
            authenticate_ingress(message, block.context.time_ns) is not None
            for message in block.payload.ingress
        )
    ]


def test_bad_block_breaks_the_sender_rule_in_one_version_only() -> None:
    """Every ingress `bad-block` makes up for R11, R12 and R14 is signed by a user the attacker
    plays, so those versions break their rule alone; exactly one version carries a message its
    envelope does not authenticate (R37): a user's message altered, or, in an empty block, a
    call claiming the user of an executed message."""
    forger = ConsensusForger(NodeSecretKeys.from_seed(b"test-ingress", 0), None)
    context = ValidationContext(registry_version=1, certified_height=1, time_ns=NOW_NS)
    executed = add_call(1, b"executed")
    first = Block(
        version="0.1.0",
        parent=bytes(32),
        height=2,
        rank=0,
        context=replace(context, time_ns=NOW_NS - 10**9),
        payload=DataPayload(ingress=(executed,)),
    )
    pending = add_call(1, b"pending")
    block = Block(
        version="0.1.0",
        parent=first.id,
        height=3,
        rank=0,
        context=context,
        payload=DataPayload(ingress=(pending,)),
    )
    [altered] = unsigned_versions(forger._bad_blocks(block))
    assert isinstance(altered.payload, DataPayload)
    [message] = altered.payload.ingress
    assert message.message_id == pending.message_id and message.arg != pending.arg
    assert authenticate_ingress(message, NOW_NS) == (
        "the message differs from the call its envelope holds"
    )

    forger.note(BlockProposal(block=first, signer=forger.keys.node_id, signature=b""))
    forger.note(Finalization(height=2, block=first.id, signers=(), signature=b""))
    empty = replace(block, payload=DataPayload())
    [forged] = unsigned_versions(forger._bad_blocks(empty))
    assert isinstance(forged.payload, DataPayload)
    [message] = forged.payload.ingress
    assert message.sender == executed.sender
    reason = authenticate_ingress(message, NOW_NS)
    assert reason is not None and reason.startswith(f"The user id {executed.sender} does not")
