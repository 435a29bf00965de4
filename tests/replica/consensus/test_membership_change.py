"""Membership changes through the registry take effect at interval boundaries; the subnet key
stays."""

from __future__ import annotations

from pathlib import Path

from replica.consensus.artifacts import Notarization, RandomBeaconShare, certification_message
from replica.consensus.events import NodeStoppedParticipating
from replica.consensus.node import NodeOutput, ReplicaNode
from replica.crypto import bls
from replica.types import Principal
from tests.replica.consensus.world import Subnet


def notarizers(node: ReplicaNode, height: int) -> set[Principal]:
    return {s for n in node.pool.validated.get(Notarization, height) for s in n.signers}


def test_replace_a_node_keeps_the_subnet_key(tmp_path: Path) -> None:
    subnet = Subnet(tmp_path, 4, spares=1)
    original = list(subnet.nodes)
    removed, kept = original[0], original[1:]
    stopped: list[NodeStoppedParticipating] = []
    handle = subnet._handle

    def spy(sender: Principal, output: NodeOutput) -> None:
        if sender == removed:
            stopped.extend(e for e in output.events if isinstance(e, NodeStoppedParticipating))
        handle(sender, output)

    subnet._handle = spy  # type: ignore[method-assign]
    subnet.run_until(lambda: subnet.min_finalized() >= 6)
    joining = subnet.start_node(4)
    subnet.set_members((*kept, joining.node_id))
    subnet.run_until(lambda: subnet.min_finalized() >= 42, max_steps=60_000)
    observer = subnet.nodes[kept[0]]
    summaries = [observer.finalized_block(h) for h in range(0, 42, 5)]
    assert all(block is not None and block.is_summary for block in summaries)
    # The context of the summary at 10 names the new version; it is the interval's version from 15.
    changed = next(b.height for b in summaries if b is not None and b.summary.registry_version == 2)
    assert changed == 15
    assert (
        not joining.is_member(14)
        and joining.is_member(15)
        and not subnet.nodes[removed].is_member(15)
    )
    assert joining.node_id in set().union(*(notarizers(observer, h) for h in range(15, 40)))
    assert removed not in set().union(*(notarizers(observer, h) for h in range(15, 40)))
    # The removed node still holds the current threshold keys until they are replaced at 20, then
    # stops.
    assert stopped and stopped[0].height == 20
    assert not any(
        s.signer == removed
        for h in range(22, 40)
        for s in observer.pool.validated.get(RandomBeaconShare, h)
    )
    # The subnet public key never changed; the low-threshold key is fresh every interval.
    high_keys = {b.summary.get_current("high").public_key for b in summaries if b is not None}  # type: ignore[union-attr]
    low_keys = [b.summary.get_current("low").public_key for b in summaries if b is not None]  # type: ignore[union-attr]
    assert high_keys == {observer.subnet_public_key} and len(set(low_keys)) >= 6
    last_high = summaries[-1].summary.get_current("high")  # type: ignore[union-attr]
    assert {m for m in last_high.committee} == {  # type: ignore[union-attr]
        *kept,
        joining.node_id,
    }
    certification = observer.certification(observer.certified_height)
    assert certification is not None and certification.height > 35
    assert bls.verify(
        observer.subnet_public_key,
        certification_message(certification.root_hash),
        certification.signature,
    )
    # The new replica computed the same states.
    height = min(joining.executed_height, observer.executed_height)
    assert joining.state_hash(height) == observer.state_hash(height)


def test_blocks_name_a_registry_version_only_once_it_is_stable(tmp_path: Path) -> None:
    subnet = Subnet(tmp_path, 4, stable_registry_age_ns=2 * 10**9)
    subnet.run_until(lambda: subnet.min_finalized() >= 6)
    changed_ns = subnet.now_ns
    subnet.update_record(dkg_interval_length=9)
    subnet.run_until(lambda: subnet.min_finalized() >= 40, max_steps=60_000)
    node = next(iter(subnet.nodes.values()))
    blocks = [node.finalized_block(h) for h in range(1, 41)]
    naming = [b for b in blocks if b is not None and b.context.registry_version == 2]
    assert naming and all(b.context.time_ns >= changed_ns + 2 * 10**9 for b in naming)
    assert all(
        b.context.registry_version == 1
        for b in blocks
        if b is not None and b.context.time_ns < changed_ns
    )
