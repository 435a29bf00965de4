"""The world's machinery with a toy replica: genesis, timers, crashes, partitions, checks."""

from __future__ import annotations

import copy
from typing import cast

import pytest

from replica.execution.messages import IngressMessage
from replica.sim.checks import PropertyViolation
from replica.sim.faults import Equivocator, FaultPlan
from replica.sim.world import World, WorldConfig
from replica.types import Principal
from tests.replica.sim.doubles import ToyBlock, ToyFactory, ToyReplica


def toy_world(seed: int = 1, **config: object) -> World:
    return World(WorldConfig(seed=seed, **config), ToyFactory())  # type: ignore[arg-type]


def leader_of(world: World) -> Principal:
    return next(
        node
        for node in world.members()
        if isinstance(world.replica(node), ToyReplica) and world.replica(node).leader  # type: ignore[attr-defined]
    )


def test_a_world_runs_from_registry_genesis_to_a_height() -> None:
    with toy_world() as world:
        assert len(world.members()) == 4
        world.run_until_height(10)
        checker = world.subnets[0].checker
        assert checker.top_finalized_height >= 10
        assert checker.certifications_checked > 0


def test_the_same_seed_gives_the_same_run() -> None:
    runs = []
    for _ in range(2):
        with toy_world(seed=5, faults=FaultPlan.parse("drop:20")) as world:
            world.run_for(1.5)
            runs.append(
                (
                    world.scheduler.events_run,
                    world.network.stats.delivered,
                    world.network.stats.dropped,
                )
            )
    assert runs[0] == runs[1]


def test_a_crashed_follower_restarts_from_disk_and_catches_up() -> None:
    with toy_world() as world:
        follower = next(node for node in world.members() if node != leader_of(world))
        world.run_until_height(5)
        world.crash(follower)
        world.run_for(1.0)
        world.restart(follower)
        restarted = world.replica(follower)
        assert isinstance(restarted, ToyReplica) and restarted.finalized_height >= 5
        world.run_until_height(world.replica(leader_of(world)).finalized_height)


def test_followers_resume_after_a_partition_heals() -> None:
    with toy_world() as world:
        leader = leader_of(world)
        world.partition([[leader]], start_ns=world.now_ns, heal_ns=world.now_ns + 2_000_000_000)
        world.run_for(1.9)
        followers = [node for node in world.members() if node != leader]
        assert all(world.replica(node).finalized_height <= 1 for node in followers)
        world.run_until_height(25, timeout_s=5)


def test_ingress_to_any_replica_is_executed_once() -> None:
    with toy_world() as world:
        ids = []
        for index, node in enumerate(world.members()):
            message = IngressMessage(
                message_id=bytes([index]) * 32,
                sender=Principal.anonymous(),
                canister_id=Principal.anonymous(),
                method="m",
                arg=b"",
                ingress_expiry_ns=0,
            )
            world.submit_ingress(node, message)
            ids.append(message.message_id)
        world.run_for(1.0)
        for node in world.members():
            replica = world.replica(node)
            assert isinstance(replica, ToyReplica)
            assert all(replica.executed.get(message_id) == 1 for message_id in ids)


def test_two_finalized_blocks_at_one_height_fail_safety_with_a_replay_command() -> None:
    with toy_world(seed=3, heights=10) as world:
        world.run_until_height(3)
        leader = leader_of(world)
        replica = world.replica(leader)
        assert isinstance(replica, ToyReplica)
        # Another replica that finalized something else at height 2 (as a broken protocol would).
        forked = copy.copy(replica)
        forked.chain = [
            replica.chain[0],
            ToyBlock(height=2, parent=replica.chain[0].id, maker=leader, salt=9),
        ]
        world.subnets[0].checker.observe(
            Principal.self_authenticating(b"fork"), forked, honest=True
        )
        with pytest.raises(PropertyViolation) as caught:
            world.run_for(0.2)
        message = str(caught.value)
        assert "two different finalized blocks at height 2" in message
        assert "python -m replica.sim --seed 3 --nodes 4 --faults none --heights 10" in message


def test_a_byzantine_leader_split_is_gossiped_to_every_honest_replica() -> None:
    with toy_world(seed=3, heights=10) as world:
        world.make_byzantine(leader_of(world), Equivocator())
        world.run_for(0.5)
        firsts = {
            cast(ToyBlock, world.replica(node).finalized_block(1)).id
            for node in world.members()
            if node != leader_of(world)
        }
        assert len(firsts) == 1


def test_a_planned_fault_counts_only_once_it_has_struck() -> None:
    """What the sweep waits for: a crash and its restart, lost messages and a partition that
    started and healed are each reported missing until they happened."""
    plan = FaultPlan.parse("crash:1,partition:2-3,drop:10")
    with toy_world(seed=2, faults=plan, fault_horizon_s=4.0) as world:
        assert {"crash", "restart", "partition"} <= set(world.unstruck_faults())
        world.run_for(2.5)
        assert "partition" in world.unstruck_faults()
        world.run_until(
            lambda: not world.unstruck_faults(), timeout_s=10, what="every planned fault struck"
        )
        assert world.now_ns >= 3_000_000_000
        crashed = [node for node in world.nodes.values() if node.crashes]
        assert len(crashed) == 1 and crashed[0].is_up
        assert world.network.stats.dropped > 0


def test_a_byzantine_replica_that_never_misbehaves_fails_the_wait_for_its_strike() -> None:
    """An equivocator that never makes a block (a follower of the toy subnet) sends only what the
    honest code sends: it has not struck, and waiting for it is a liveness failure."""
    with toy_world(seed=3) as world:
        follower = next(node for node in world.members() if node != leader_of(world))
        world.make_byzantine(follower, Equivocator())
        world.run_for(1.0)
        assert world.unstruck_faults() == ["equivocate"]
        with pytest.raises(PropertyViolation, match="every planned fault struck not reached"):
            world.run_until(
                lambda: not world.unstruck_faults(), timeout_s=1, what="every planned fault struck"
            )
        world.make_byzantine(leader_of(world), Equivocator())
        world.run_for(0.5)
        assert world.unstruck_faults() == ["equivocate"]  # the follower still has not
