"""Ingress load on the counter canister, and the exactly-once check of its replies.

`CounterWorkload` submits `add(1)` messages to replicas of a subnet chosen
from the seed, some of them to two replicas at once (a user retrying through
another node). Each is a call its user signed, as a user's agent sends it over
the IC's HTTP interface (`users.signed_call`): the user's Ed25519 key derives
from the seed, and the message's id is the call's request id. When the run is
over, `check` holds the subnet to its promise: on every honest replica that is
up, every message has a reply, the replies are exactly 1..N (each message ran
once), and each reply is certified: the replica's certificate for
`/request_status/<id>/reply` verifies against the subnet's public key and
reveals that reply.
"""

from __future__ import annotations

import random
from typing import Final

from registry.records import ROUTING_TABLE_KEY, RoutingTable
from replica.candid import decode, encode
from replica.candid.types import Nat
from replica.execution.messages import IngressMessage, Status
from replica.sim.checks import PropertyViolation
from replica.sim.users import derive_user, signed_call
from replica.sim.world import SECOND_NS, World
from replica.types import Principal

INGRESS_TTL_NS: Final = 300 * SECOND_NS


class CounterWorkload:
    """`add(1)` messages to the counter of one subnet, and what became of them."""

    def __init__(self, world: World, *, subnet: int = 0) -> None:
        self.world = world
        self.subnet = subnet
        self.messages: list[IngressMessage] = []
        self.duplicates = 0
        self._random = random.Random(world.config.seed * 31 + subnet)
        self.user = derive_user(world.seed_bytes, f"counter-{subnet}")
        """Who sends the messages (the counter lets any caller add)."""

    @property
    def counter_id(self) -> Principal:
        """The subnet's first canister id (where genesis installs the counter)."""
        table: RoutingTable = self.world.registry.get(ROUTING_TABLE_KEY)
        subnet_id = self.world.subnets[self.subnet].subnet_id
        start = next(entry.start for entry in table.entries if entry.subnet_id == subnet_id)
        return Principal.from_canister_id(start)

    def submit(self, count: int, *, duplicate_every: int = 3) -> None:
        """Submit `count` new messages, each to an honest running replica; every
        `duplicate_every`-th also to a second one."""
        for _ in range(count):
            nonce = len(self.messages)
            message = signed_call(
                self.user,
                canister_id=self.counter_id,
                method="add",
                arg=encode([Nat], [1]),
                ingress_expiry_ns=self.world.now_ns + INGRESS_TTL_NS,
                nonce=nonce.to_bytes(4, "big"),
            )
            self.messages.append(message)
            targets = self.world.honest_up_members(self.subnet)
            if not targets:
                raise PropertyViolation("no honest replica is running to take ingress")
            first = self._random.choice(targets)
            self.world.submit_ingress(first, message)
            if (
                duplicate_every
                and nonce % duplicate_every == duplicate_every - 1
                and len(targets) > 1
            ):
                second = self._random.choice([node for node in targets if node != first])
                self.world.submit_ingress(second, message)
                self.duplicates += 1

    def is_done(self) -> bool:
        """Every message answered, and the answer certified, on every honest running replica."""
        key = self.world.subnets[self.subnet].public_key or b""
        members = self.world.honest_up_members(self.subnet)
        for node_id in members:
            replica = self.world.replica(node_id)
            for message in self.messages:
                status = replica.ingress_status(message.message_id)
                if status is None or status.status not in (Status.REPLIED, Status.REJECTED):
                    return False
        for node_id in members:
            replica = self.world.replica(node_id)
            for message in self.messages:
                if self.world.factory.certified_reply(replica, message.message_id, key) is None:
                    return False
        return True

    def check(self) -> None:
        """Exactly once, and certified (raises PropertyViolation with the replay command)."""
        key = self.world.subnets[self.subnet].public_key or b""
        expected = list(range(1, len(self.messages) + 1))
        for node_id in self.world.honest_up_members(self.subnet):
            replica = self.world.replica(node_id)
            replies = []
            for message in self.messages:
                status = replica.ingress_status(message.message_id)
                if status is None or status.status != Status.REPLIED or status.reply is None:
                    raise self.world.violation(
                        f"message {message.message_id.hex()[:12]} not replied at {node_id}"
                    )
                replies.append(decode(status.reply, [Nat])[0])
                certified = self.world.factory.certified_reply(replica, message.message_id, key)
                if certified != status.reply:
                    raise self.world.violation(
                        f"the reply to {message.message_id.hex()[:12]} at {node_id} is not "
                        "certified"
                    )
            if sorted(replies) != expected:
                raise self.world.violation(
                    f"ingress not executed exactly once at {node_id}: replies {sorted(replies)}"
                )
