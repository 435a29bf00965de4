"""Builders of simulated subnets of real replicas, for the scenario tests."""

from __future__ import annotations

from replica.presets import TEST
from replica.sim.canister import COUNTER_FACTORIES, install_counter
from replica.sim.consensus import ConsensusReplicas
from replica.sim.faults import FaultPlan
from replica.sim.sweep import default_fault_horizon_s
from replica.sim.world import World, WorldConfig


def consensus_world(
    seed: int,
    *,
    nodes: int = 4,
    faults: str = "none",
    heights: int = 10,
    spare: int = 0,
    **options: object,
) -> World:
    """A subnet of `nodes` replicas from registry genesis, with the counter canister installed."""
    config = WorldConfig(
        seed=seed,
        subnet_sizes=(nodes,),
        spare_nodes=spare,
        faults=FaultPlan.parse(faults),
        preset=TEST,
        fault_horizon_s=default_fault_horizon_s(heights, TEST.initial_notary_delay_ms),
        heights=heights,
        **options,  # type: ignore[arg-type]
    )
    return World(
        config, ConsensusReplicas(), factories=COUNTER_FACTORIES, install_genesis=install_counter
    )
