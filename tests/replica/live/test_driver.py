"""The live driver runs the simulator's replica unchanged: same artifacts and times in, same outputs
out."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from replica.consensus.node import NodeOutput
from replica.live.driver import LiveDriver
from replica.sim.canister import COUNTER_FACTORIES, install_counter
from replica.sim.consensus import ConsensusReplicas
from replica.sim.world import World, WorldConfig


def summary(output: NodeOutput) -> tuple[object, ...]:
    return (tuple(a.id for a in output.broadcast), output.wake_at_ns, output.events)


def test_a_live_driver_and_a_sim_replica_fed_the_same_artifacts_give_the_same_outputs(
    tmp_path: Path,
) -> None:
    factory = ConsensusReplicas()
    with World(
        WorldConfig(seed=5, subnet_sizes=(4,)),
        factory,
        factories=COUNTER_FACTORIES,
        install_genesis=install_counter,
    ) as world:
        world.run_until_height(12, subnet=0, timeout_s=60)
        roster = world.subnets[0].roster
        spec = world.nodes[roster[0]].spec
        # What the three peers hold, as p2p would deliver it to a replica that (re)connects.
        batches = [tuple(world.replica(peer).pool_artifacts()) for peer in roster[1:]]
        now_ns = world.now_ns
    sim = factory.start(replace(spec, state_dir=tmp_path / "sim"))
    clock = [now_ns]
    live = LiveDriver.open(
        factory.config(replace(spec, state_dir=tmp_path / "live")), lambda: clock[0]
    )
    outputs = []
    for step, batch in enumerate(batches):
        clock[0] = now_ns + step * 1_000_000
        expected = sim.on_artifacts(batch, clock[0])
        got = live.on_artifacts(batch)
        outputs.append(summary(got))
        assert summary(got) == summary(expected)  # type: ignore[arg-type]
    clock[0] += 5_000_000_000
    assert summary(live.on_timer()) == summary(sim.on_timer(clock[0]))  # type: ignore[arg-type]
    assert live.node.finalized_height == sim.finalized_height >= 10
    height = live.node.executed_height
    assert height >= 10 and live.node.state_hash(height) == sim.state_hash(height)
    assert any(output[0] for output in outputs)  # the replica did sign and send things
    live.close()


def test_the_driver_makes_the_pool_durable_before_it_returns(tmp_path: Path) -> None:
    factory = ConsensusReplicas()
    with World(WorldConfig(seed=6, subnet_sizes=(4,)), factory) as world:
        world.run_until_height(6, subnet=0, timeout_s=60)
        roster = world.subnets[0].roster
        spec = world.nodes[roster[0]].spec
        artifacts = tuple(a for peer in roster[1:] for a in world.replica(peer).pool_artifacts())
        now_ns = world.now_ns
    synced: list[int] = []
    live = LiveDriver.open(
        factory.config(replace(spec, state_dir=tmp_path / "live")), lambda: now_ns
    )
    original = live.node.pool.sync

    def sync() -> None:
        synced.append(live.steps)
        original()

    live.node.pool.sync = sync  # type: ignore[method-assign]
    live.on_artifacts(artifacts)
    assert synced == [0]
    # A restart (as after kill -9) finds the chain the driver reported.
    finalized = live.node.finalized_height
    live.close()
    again = LiveDriver.open(
        factory.config(replace(spec, state_dir=tmp_path / "live")), lambda: now_ns
    )
    assert again.node.finalized_height == finalized >= 5
    again.close()
