"""A replica far behind catches up by state sync and resumes as a new consensus instance.

`ReplicaNode` owns what outlives the consensus state (the ingress pool, the outbox, the state
sync); after a sync installs a checkpoint it constructs a new `ConsensusInstance` from the
state directory, exactly as a restart does (spec D.5, E).
"""

from __future__ import annotations

from pathlib import Path

from replica.consensus.artifacts import StateSyncRequest
from replica.consensus.events import StateSyncCompleted, StateSyncStarted
from replica.consensus.instance import ConsensusInstance
from replica.consensus.node import NodeOutput, ReplicaNode
from replica.consensus.statesync import StateSyncOwner
from replica.types import Principal
from tests.replica.consensus.world import Subnet


def _watch_events(subnet: Subnet, node_id: Principal) -> list[object]:
    """Record the events of one replica as the loop drives it."""
    seen: list[object] = []
    node = subnet.nodes[node_id]
    on_artifacts, on_timer = node.on_artifacts, node.on_timer

    def record(output: NodeOutput) -> NodeOutput:
        seen.extend(output.events)
        return output

    node.on_artifacts = lambda artifacts, now_ns: record(on_artifacts(artifacts, now_ns))  # type: ignore[method-assign]
    node.on_timer = lambda now_ns: record(on_timer(now_ns))  # type: ignore[method-assign]
    return seen


def test_a_replica_far_behind_syncs_the_checkpoint_and_resumes_as_a_new_instance(
    tmp_path: Path,
) -> None:
    subnet = Subnet(tmp_path)
    late = next(iter(subnet.nodes))
    subnet.crash(late)
    others = [node for node_id, node in subnet.nodes.items() if node_id != late]
    subnet.run_until(lambda: min(node.latest_cup.height for node in others) > 26)
    subnet.restart(late)
    node = subnet.nodes[late]
    first: ConsensusInstance = node.instance
    ingress = node.ingress
    events = _watch_events(subnet, late)
    subnet.run_until(lambda: any(isinstance(e, StateSyncCompleted) for e in events))
    started = [e.height for e in events if isinstance(e, StateSyncStarted)]
    completed = [e.height for e in events if isinstance(e, StateSyncCompleted)]
    assert started and completed == started[-1:]
    assert node.instance is not first, "resuming constructs a new instance"
    assert node.ingress is ingress, "the ingress pool outlives the instance"
    assert node.executed_height >= completed[0]
    assert node.state_sync.sync is None
    # The resumed replica keeps up with its peers and computes the same states.
    target = max(node.finalized_height for node in others) + 3
    subnet.run_until(lambda: node.finalized_height >= target and node.executed_height >= target)
    height = completed[0] + 1
    hashes = {peer.state_hash(height) for peer in (*others, node)} - {None}
    assert len(hashes) == 1


def test_a_replica_answers_peers_state_sync_requests_but_never_its_own(tmp_path: Path) -> None:
    subnet = Subnet(tmp_path)
    subnet.run_until(lambda: all(node.latest_cup.height > 0 for node in subnet.nodes.values()))
    node: ReplicaNode = next(iter(subnet.nodes.values()))
    cup = node.latest_cup
    owner = StateSyncOwner(node.node_id, Path(node.config.state_dir), node.subnet_public_key)
    peer = next(other for other in subnet.nodes if other != node.node_id)
    request = StateSyncRequest(height=cup.height, state_hash=cup.content.state_hash, requester=peer)
    assert owner.answer(request), "a peer's request for a held checkpoint is answered"
    own = StateSyncRequest(
        height=cup.height, state_hash=cup.content.state_hash, requester=node.node_id
    )
    assert owner.answer(own) == []
    assert owner.on_artifact(owner.answer(request)[0]) is False, "no sync in progress"
