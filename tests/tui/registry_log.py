"""A registry world's proposals executed as governance executes them, and its whole log."""

from __future__ import annotations

from registry.interface import decode_payload
from registry.requests import REGISTRY_METHODS
from registry.store import RegistryDelta
from tests.registry.world import GOVERNANCE, RegistryWorld
from tui.ops.actions import ProposalAction


def execute(world: RegistryWorld, action: ProposalAction) -> int:
    """The proposal's registry call; the version it wrote."""
    assert action.nns_function is not None and action.payload is not None
    method = REGISTRY_METHODS[action.nns_function]
    getattr(world.registry, method)(GOVERNANCE, decode_payload(action.nns_function, action.payload))
    return int(world.registry.registry.latest_version)


def whole_log(world: RegistryWorld) -> list[RegistryDelta]:
    deltas: list[RegistryDelta] = []
    version = 0
    while version < world.registry.registry.latest_version:
        more, version = world.registry.get_changes_since(GOVERNANCE, version)
        deltas.extend(more)
    return deltas
