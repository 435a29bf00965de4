"""The safety checker catches every violation it claims to: each test feeds it replicas that
commit one, and an honest history that commits none."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pytest

from replica.sim.checks import PropertyViolation, SubnetChecker
from replica.types import Principal

A, B, C = (Principal.self_authenticating(bytes([i])) for i in range(3))


@dataclass(frozen=True)
class Block:
    height: int
    salt: int = 0
    ingress: tuple[bytes, ...] = ()

    @property
    def id(self) -> bytes:
        return hashlib.sha256(f"{self.height}/{self.salt}/{self.ingress}".encode()).digest()


@dataclass
class Replica:
    """A replica as the checker reads it; tests rewrite its history to commit violations."""

    blocks: dict[int, Block] = field(default_factory=dict)
    hashes: dict[int, bytes] = field(default_factory=dict)
    certifications: dict[int, object] = field(default_factory=dict)

    @classmethod
    def honest(cls, top: int) -> Replica:
        replica = cls()
        for height in range(1, top + 1):
            replica.blocks[height] = Block(height)
            replica.hashes[height] = hashlib.sha256(b"state %d" % height).digest()
            replica.certifications[height] = ("valid", height)
        return replica

    @property
    def finalized_height(self) -> int:
        return max(self.blocks, default=0)

    @property
    def executed_height(self) -> int:
        return max(self.hashes, default=0)

    @property
    def certified_height(self) -> int:
        return max(self.certifications, default=0)

    def finalized_block(self, height: int) -> Block | None:
        return self.blocks.get(height)

    def state_hash(self, height: int) -> bytes | None:
        return self.hashes.get(height)

    def certification(self, height: int) -> object | None:
        return self.certifications.get(height)


def checker() -> SubnetChecker:
    return SubnetChecker(
        block_id=lambda block: block.id,  # type: ignore[attr-defined]
        verify_certification=lambda certification, height: certification == ("valid", height),
        ingress_of=lambda block: block.ingress,  # type: ignore[attr-defined]
    )


def test_an_honest_history_passes() -> None:
    check = checker()
    for node in (A, B, C):
        check.observe(node, Replica.honest(5), honest=True)
    check.check_safety()
    assert check.certifications_checked == 15


def test_two_finalized_blocks_at_one_height() -> None:
    check = checker()
    check.observe(A, Replica.honest(3), honest=True)
    fork = Replica.honest(3)
    fork.blocks[2] = Block(2, salt=1)
    check.observe(B, fork, honest=True)
    with pytest.raises(PropertyViolation, match="two different finalized blocks at height 2"):
        check.check_safety()


def test_a_byzantine_replicas_own_view_is_not_held_against_the_subnet() -> None:
    check = checker()
    check.observe(A, Replica.honest(3), honest=True)
    fork = Replica.honest(3)
    fork.blocks[2] = Block(2, salt=1)
    check.observe(B, fork, honest=False)
    check.check_safety()


def test_divergent_state_hashes() -> None:
    check = checker()
    check.observe(A, Replica.honest(3), honest=True)
    diverged = Replica.honest(3)
    diverged.hashes[3] = b"\x00" * 32
    check.observe(B, diverged, honest=True)
    with pytest.raises(PropertyViolation, match="two different state hashes at height 3"):
        check.check_safety()


def test_a_bad_certification() -> None:
    check = checker()
    bad = Replica.honest(3)
    bad.certifications[2] = ("forged", 2)
    check.observe(A, bad, honest=True)
    with pytest.raises(PropertyViolation, match=r"certification of height 2 .* does not verify"):
        check.check_safety()


def test_double_execution() -> None:
    check = checker()
    replica = Replica.honest(4)
    replica.blocks[2] = Block(2, ingress=(b"message",))
    replica.blocks[4] = Block(4, ingress=(b"message",))
    check.observe(A, replica, honest=True)
    with pytest.raises(PropertyViolation, match=r"double execution: message .* at heights 2 and 4"):
        check.check_safety()


def test_a_finalized_block_reverting() -> None:
    check = checker()
    replica = Replica.honest(3)
    check.observe(A, replica, honest=True)
    replica.blocks[3] = Block(3, salt=1)
    check.observe(A, replica, honest=True)
    with pytest.raises(PropertyViolation, match="the finalized block at height 3 reverted"):
        check.check_safety()


def test_a_finalized_height_going_back() -> None:
    check = checker()
    replica = Replica.honest(3)
    check.observe(A, replica, honest=True)
    del replica.blocks[3]
    check.observe(A, replica, honest=True)
    with pytest.raises(PropertyViolation, match="finalized height went back from 3 to 2"):
        check.check_safety()


def test_a_restarted_replica_computing_another_state_for_a_height_it_computes_again() -> None:
    check = checker()
    check.observe(B, Replica.honest(4), honest=True)
    replica = Replica.honest(4)
    check.observe(A, replica, honest=True)
    # A restart from the checkpoint at height 2: heights 3 and 4 are executed again, differently.
    restarted = Replica.honest(2)
    check.restarted(A, restarted)
    check.check_safety()
    restarted.blocks.update({3: Block(3), 4: Block(4)})
    restarted.hashes.update({3: replica.hashes[3], 4: b"\x01" * 32})
    check.observe(A, restarted, honest=True)
    with pytest.raises(PropertyViolation, match="two different state hashes at height 4"):
        check.check_safety()


def test_what_the_auditor_finds_is_a_violation() -> None:
    @dataclass
    class Auditor:
        violations: list[str] = field(default_factory=list)
        double_notarized: set[int] = field(default_factory=set)
        restarts: int = 0

        def observe(self, node: Principal, replica: object, now_ns: int) -> None:
            self.violations.append(f"height 1 not notarized at {node} at {now_ns}")

        def restarted(self, node: Principal) -> None:
            self.restarts += 1

    check = checker()
    check.auditor = Auditor()
    check.observe(A, Replica.honest(1), honest=False, now_ns=7)
    check.check_safety()  # a Byzantine replica is not audited
    check.observe(A, Replica.honest(1), honest=True, now_ns=7)
    with pytest.raises(PropertyViolation, match="height 1 not notarized"):
        check.check_safety()
