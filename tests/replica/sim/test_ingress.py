"""Ingress submitted to any honest replica is executed exactly once and its reply certified."""

from __future__ import annotations

import hashlib

from replica.candid import decode, encode
from replica.candid.types import Nat
from replica.consensus.node import ReplicaNode
from replica.crypto.certificate import verify_certificate_with_key
from replica.crypto.hashtree import Found
from replica.execution.engine import ExecutionEngine
from replica.execution.messages import IngressMessage, Status
from replica.sim.consensus import ConsensusReplicas
from replica.sim.faults import FaultPlan
from replica.sim.world import World, WorldConfig
from replica.types import Principal
from tests.replica.execution.toys import FACTORIES

ALICE = Principal.self_authenticating(b"alice")
COUNTER = Principal.from_canister_id(0)
MESSAGES = 8


def install_counter(engine: ExecutionEngine) -> None:
    canister = engine.create_canister([ALICE])
    engine.install(canister, "counter", None)


def add_one(nonce: int) -> IngressMessage:
    arg = encode([Nat], [1])
    message_id = hashlib.sha256(b"add-one" + nonce.to_bytes(4, "big")).digest()
    return IngressMessage(message_id=message_id, sender=ALICE, canister_id=COUNTER, method="add", arg=arg,
                          ingress_expiry_ns=300 * 1_000_000_000)


def test_ingress_to_any_replica_is_executed_exactly_once_and_its_reply_certified() -> None:
    config = WorldConfig(seed=81, subnet_sizes=(4,), faults=FaultPlan.parse("drop:10"), heights=0)
    with World(config, ConsensusReplicas(), factories=FACTORIES, install_genesis=install_counter) as world:
        world.run_until_height(2)
        members = world.members()
        messages = [add_one(nonce) for nonce in range(MESSAGES)]
        for index, message in enumerate(messages):
            world.submit_ingress(members[index % len(members)], message)
            if index % 3 == 0:  # the same message twice, to two replicas
                world.submit_ingress(members[(index + 1) % len(members)], message)
            world.run_for(0.05)

        def all_replied() -> bool:
            return all(
                (status := world.replica(node).ingress_status(message.message_id)) is not None
                and status.status == Status.REPLIED
                for node in members
                for message in messages
            )

        world.run_until(all_replied, timeout_s=30, what="every message replied on every replica")
        replies = sorted(
            decode(world.replica(members[0]).ingress_status(m.message_id).reply or b"", [Nat])[0]  # type: ignore[union-attr]
            for m in messages
        )
        assert replies == list(range(1, MESSAGES + 1)), "each message ran exactly once"
        top = max(world.replica(node).executed_height for node in members)
        world.run_until(
            lambda: all(world.replica(node).certified_height >= top for node in members),
            timeout_s=30,
            what="the replies' heights certified",
        )
        for node in members:
            replica = world.replica(node)
            assert isinstance(replica, ReplicaNode)
            for message in messages:
                path = [b"request_status", message.message_id, b"reply"]
                certificate = replica.state.certificate([path])
                verify_certificate_with_key(certificate, replica.subnet_public_key, now_ns=None)
                found = certificate.lookup(path)
                assert isinstance(found, Found)
                assert found.value == world.replica(members[0]).ingress_status(message.message_id).reply  # type: ignore[union-attr]
