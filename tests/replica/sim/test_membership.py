"""Membership changes through the registry take effect at the interval boundary of spec D.3.

A change written at registry version R is picked up as the validation-context
version of the next summary block S_k; from S_{k+1} on, R is the registry
version of the interval: its members make blocks and notarize and finalize
them, and a removed node only follows. The threshold keys of R's members are
dealt during S_{k+1}'s interval and become current at S_{k+2}. The subnet's
high-threshold public key stays the same through every interval (resharing).
"""

from __future__ import annotations

import pytest

from replica.consensus.artifacts import Block
from replica.consensus.events import NodeStoppedParticipating
from replica.sim.world import World
from replica.types import Principal
from tests.replica.sim.scenarios import consensus_world

INTERVALS = 6
MULTI_SIGNED = ("BlockProposal", "NotarizationShare", "FinalizationShare")
THRESHOLD_SIGNED = (
    "RandomBeaconShare",
    "RandomTapeShare",
    "CertificationShare",
    "CatchUpPackageShare",
)


def summaries(world: World, observer: Principal, top: int) -> list[Block]:
    replica = world.replica(observer)
    blocks = [replica.finalized_block(height) for height in range(top + 1)]
    return [block for block in blocks if isinstance(block, Block) and block.is_summary]


def effective_boundary(blocks: list[Block], version: int) -> int:
    """The height of the first summary whose interval runs at registry version >= `version`."""
    scheduled = next(block for block in blocks if block.context.registry_version >= version)
    effective = next(block for block in blocks if block.summary.registry_version >= version)
    assert effective.height == scheduled.summary.next_summary_height, (
        "D.3: effective one interval after it is scheduled"
    )
    return effective.height


def last_signed(world: World, node: Principal, kinds: tuple[str, ...]) -> int:
    heights = world.nodes[node].signed_heights
    return max((heights[kind] for kind in kinds if kind in heights), default=-1)


def run_change(
    world: World, *, add: int, remove: int
) -> tuple[list[Principal], list[Principal], int, list[Block]]:
    interval = world.subnet_record().dkg_interval_length + 1
    world.run_until_height(2)
    added = world.spare_nodes()[:add]
    removed = world.members()[-remove:] if remove else []
    version = world.change_membership(add=added, remove=removed)
    top = interval * INTERVALS + 2
    stayed = [node for node in world.members() if node not in added]
    world.run_until(
        lambda: all(world.replica(node).finalized_height >= top for node in stayed),
        timeout_s=120,
        what=f"height {top} on the members that stayed",
    )
    blocks = summaries(world, stayed[0], top)
    assert len(blocks) >= INTERVALS, "at least five intervals observed"
    key = world.subnets[0].public_key
    for block in blocks:
        high = block.summary.get_current("high")
        assert high is not None and high.public_key == key, (
            f"the subnet key changed at {block.height}"
        )
    return added, removed, effective_boundary(blocks, version), blocks


CHANGES = pytest.mark.parametrize(
    ("add", "remove"), [(1, 0), (0, 1), (1, 1)], ids=["add", "remove", "replace"]
)


@CHANGES
def test_membership_changes_at_the_interval_boundary_with_the_key_unchanged(
    add: int, remove: int
) -> None:
    with consensus_world(61 + add + 2 * remove, nodes=4, spare=add, heights=40) as world:
        added, removed, boundary, _ = run_change(world, add=add, remove=remove)
        for node in added:
            replica = world.replica(node)
            assert not replica.is_member(boundary - 1) and replica.is_member(boundary)
            assert last_signed(world, node, MULTI_SIGNED) >= boundary, "the added node notarizes"
        for node in removed:
            replica = world.replica(node)
            assert replica.is_member(boundary - 1) and not replica.is_member(boundary)
            assert 0 <= last_signed(world, node, MULTI_SIGNED) < boundary, (
                "the removed node stops notarizing"
            )
        world.check_safety()


@CHANGES
def test_threshold_committees_follow_the_membership_one_interval_later(
    add: int, remove: int
) -> None:
    with consensus_world(71 + add + 2 * remove, nodes=4, spare=add, heights=40) as world:
        added, removed, boundary, blocks = run_change(world, add=add, remove=remove)
        members = set(world.members())
        rekeyed = next(
            block.height
            for block in blocks
            if all(set(t.committee) == members for t in block.summary.current_transcripts)
        )
        assert rekeyed == boundary + world.subnet_record().dkg_interval_length + 1, "D.3 (4)"
        for node in removed:
            assert last_signed(world, node, THRESHOLD_SIGNED) < rekeyed, (
                "the removed node stops signing"
            )
            stopped = [
                event.height
                for _, event in world.nodes[node].events
                if isinstance(event, NodeStoppedParticipating)
            ]
            assert stopped == [rekeyed], "it says so once, where its last committee ends"
        for node in added:
            assert last_signed(world, node, THRESHOLD_SIGNED) >= rekeyed, (
                "the added node signs shares"
            )
