"""Node replacement in the simulator, driven by the orchestrators' decisions (spec C).

The world's orchestrators run the live orchestrator's `decide` on virtual time:
a ChangeSubnetMembership version starts the added node (it catches up from its
peers), the removed node keeps serving while a registry version in use lists
it ("leaving"), then is stopped and wiped ("leave") and is a spare node again;
the subnet key never changes and every honest replica agrees on the state.
"""

from __future__ import annotations

import pytest

from replica.consensus.artifacts import Block
from tests.replica.sim.scenarios import consensus_world


@pytest.mark.parametrize(("seed", "faults"), [(301, "none"), (302, "drop:10")])
def test_a_node_replaced_by_registry_version_joins_and_the_removed_one_leaves(
    seed: int, faults: str
) -> None:
    with consensus_world(
        seed, nodes=4, spare=1, heights=40, faults=faults, orchestrators=True
    ) as world:
        orchestrators = world.orchestrators
        assert orchestrators is not None
        world.run_until_height(3)
        added, removed = world.spare_nodes()[0], world.members()[-1]
        key = world.subnets[0].public_key
        world.change_membership(add=[added], remove=[removed])
        assert orchestrators.kinds_of(added)[-1] == "run", "started at the registry version"
        world.run_until(
            lambda: removed in orchestrators.wiped,
            timeout_s=120,
            what="the removed node to leave",
        )
        kinds = orchestrators.kinds_of(removed)
        assert kinds.index("leaving") < kinds.index("leave"), (
            "it served while a version in use listed it"
        )
        assert world.spare_nodes() == [removed], "a spare node again"
        stayed = [node for node in world.members() if node != added]
        top = max(world.replica(node).finalized_height for node in stayed) + 10
        world.run_until(
            lambda: all(world.replica(node).finalized_height >= top for node in world.members()),
            timeout_s=120,
            what="the new membership finalizing together",
        )
        assert world.replica(added).finalized_height >= top, "the new node keeps step"
        observer = world.replica(stayed[0])
        for height in range(top + 1):
            block = observer.finalized_block(height)
            if isinstance(block, Block) and block.is_summary:
                high = block.summary.get_current("high")
                assert high is not None and high.public_key == key, "the subnet key never changes"
        world.check_safety()
