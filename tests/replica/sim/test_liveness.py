"""Liveness: with f replicas crashed or Byzantine the subnet keeps finalizing; it finalizes
again after a partition heals; a restarted replica catches up from its checkpoint."""

from __future__ import annotations

import pytest

from replica.sim.consensus import ConsensusReplicas
from replica.sim.forgery import ConsensusForger
from replica.sim.world import World, WorldConfig
from tests.replica.sim.scenarios import consensus_world

SECOND_NS = 1_000_000_000


def test_a_subnet_keeps_finalizing_with_f_replicas_down() -> None:
    with consensus_world(11, nodes=4, faults="down:1", heights=15) as world:
        world.run_until_height(15, timeout_s=60)
        down = [node for node in world.members() if not world.nodes[node].is_up]
        assert len(down) == 1


def test_seven_replicas_with_two_faulty_keep_finalizing() -> None:
    with consensus_world(12, nodes=7, faults="down:1,invalid-shares:1", heights=8) as world:
        world.run_until_height(8, timeout_s=60)


@pytest.mark.parametrize(
    "behaviour", ["equivocate", "invalid-shares", "wrong-message", "missing-shares", "stop-signing"]
)
def test_a_subnet_keeps_finalizing_with_a_byzantine_replica(behaviour: str) -> None:
    with consensus_world(21, nodes=4, faults=f"{behaviour}:1", heights=14) as world:
        world.run_until_height(14, timeout_s=60)
        byzantine = [node for node in world.members() if not world.nodes[node].honest]
        assert len(byzantine) == 1
        forger = world.nodes[byzantine[0]].forger
        assert isinstance(forger, ConsensusForger)
        if behaviour == "equivocate":
            assert forger.equivocations > 0, (
                "the Byzantine replica never made a block: pick another seed"
            )


def test_finalization_stops_in_a_partition_and_resumes_when_it_heals() -> None:
    with consensus_world(31, nodes=4, heights=20) as world:
        world.run_until_height(3)
        members = world.members()
        start, heal = world.now_ns, world.now_ns + 3 * SECOND_NS
        world.partition([members[:2], members[2:]], start_ns=start, heal_ns=heal)
        world.run_for(0.5)
        stalled = world.subnets[0].checker.top_finalized_height
        world.run_for(2.4)
        assert world.subnets[0].checker.top_finalized_height == stalled
        world.run_until_height(stalled + 5, timeout_s=20)


def test_a_restarted_replica_catches_up_from_its_checkpoint() -> None:
    with consensus_world(41, nodes=4, heights=24) as world:
        victim = world.members()[1]
        world.run_until_height(8)
        world.crash(victim)
        world.run_until_height(18)
        world.restart(victim)
        restarted = world.replica(victim)
        # Straight from disk, before any peer sent anything: the checkpoint at a CUP height.
        assert restarted.executed_height >= 5
        world.run_until(
            lambda: all(world.replica(node).executed_height >= 24 for node in world.members()),
            timeout_s=30,
            what="height 24 executed everywhere",
        )
        hashes = {world.replica(node).state_hash(24) for node in world.members()}
        assert len(hashes) == 1 and None not in hashes


def test_two_subnets_finalize_side_by_side_with_their_own_keys() -> None:
    with World(WorldConfig(seed=91, subnet_sizes=(4, 4), heights=8), ConsensusReplicas()) as world:
        for subnet in (0, 1):
            world.run_until_height(8, subnet=subnet)
        assert world.subnets[0].public_key != world.subnets[1].public_key
        assert set(world.members(0)).isdisjoint(world.members(1))
        assert all(subnet.checker.certifications_checked > 0 for subnet in world.subnets)
