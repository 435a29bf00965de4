"""The registry versions an executed proposal wrote, found by running its payload again
(`tui.ops.registry_change`), on a registry whose proposals are executed here as governance's
`execute_nns_function` does (rs/nns/governance/src/governance.rs): the registry method of the
NNS function with the decoded payload."""

from __future__ import annotations

from typing import Any

import pytest

from tests.registry.world import RegistryWorld, make_registry
from tests.tui.registry_log import execute, whole_log
from tui.ops import actions
from tui.ops.actions import ProposalAction
from tui.ops.dashboard import describe_diff, short
from tui.ops.registry_change import executed_change


@pytest.fixture(scope="module")
def history() -> dict[str, Any]:
    """Halt, elect, add a node, unhalt (the same key as the halt), create a subnet."""
    world = make_registry(unassigned=3, app_size=1)
    app = world.app_subnet.to_text()
    version = world.registry.registry.get(f"subnet_record_{app}").replica_version_id
    steps = {
        "halt": actions.update_subnet(app, is_halted=True),
        "elect": actions.elect_replica_version(
            "0.9.5", urls=["http://example.org/p"], sha256_hex="ab" * 32
        ),
        "add": actions.add_nodes_to_subnet(app, [world.unassigned[0].to_text()]),
        "unhalt": actions.update_subnet(app, is_halted=False),
        "create": actions.create_subnet([world.unassigned[1].to_text()], replica_version=version),
    }
    written = {name: execute(world, action) for name, action in steps.items()}
    return {"world": world, "steps": steps, "written": written, "deltas": whole_log(world)}


@pytest.mark.parametrize(
    ("step", "said"),
    [
        ("halt", "halted"),
        ("elect", "replica version 0.9.5 elected"),
        ("add", "joined subnet"),
        ("unhalt", "unhalted"),
        ("create", "created"),
    ],
)
def test_each_executed_proposal_finds_the_version_it_wrote(
    history: dict[str, Any], step: str, said: str
) -> None:
    world: RegistryWorld = history["world"]
    action: ProposalAction = history["steps"][step]
    assert action.nns_function is not None and action.payload is not None
    change = executed_change(world.client(), history["deltas"], action.nns_function, action.payload)
    assert change is not None
    assert change.versions == (history["written"][step],)
    assert change.diff is not None
    lines = describe_diff(change.diff)
    assert any(said in line for line in lines), lines
    if step in ("halt", "unhalt"):  # the same key, told apart by its value
        assert lines == [f"subnet {short(world.app_subnet.to_text())} {said}"]


def test_a_payload_no_version_wrote_matches_none(history: dict[str, Any]) -> None:
    never = actions.elect_replica_version(
        "0.9.9", urls=["http://example.org/q"], sha256_hex="cd" * 32
    )
    assert never.nns_function is not None and never.payload is not None
    change = executed_change(
        history["world"].client(), history["deltas"], never.nns_function, never.payload
    )
    assert change is not None and change.versions == () and change.diff is None


def test_a_function_that_does_not_call_the_registry_has_no_registry_change(
    history: dict[str, Any],
) -> None:
    assert executed_change(history["world"].client(), history["deltas"], 4, b"") is None
