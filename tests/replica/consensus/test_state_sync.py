"""A replica far behind catches up by state sync and resumes as a new consensus instance.

`ReplicaNode` owns what outlives the consensus state (the ingress pool, the outbox, the state
sync); after a sync installs a checkpoint it constructs a new `ConsensusInstance` from the
state directory, exactly as a restart does (spec D.5, E).
"""

from __future__ import annotations

from pathlib import Path

from replica.consensus.artifacts import (
    StateChunkArtifact,
    StateManifestArtifact,
    StateSyncRequest,
)
from replica.consensus.events import StateSyncCompleted, StateSyncStarted
from replica.consensus.instance import ConsensusInstance
from replica.consensus.node import NodeOutput, ReplicaNode
from replica.consensus.statesync import (
    CHUNK_TIMEOUT_NS,
    CHUNKS_PER_REQUEST,
    WINDOW_CHUNKS,
    StateSync,
    StateSyncOwner,
)
from replica.state import manifest as manifests
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


def _small_sync(tmp_path: Path) -> tuple[StateSync, dict[str, bytes]]:
    """A sync of a checkpoint of 64 one-byte files (64 chunks), its manifest arrived."""
    contents = {f"f{index:02}": bytes([index]) for index in range(64)}
    manifest = manifests.manifest_of_contents(contents)
    sync = StateSync(
        height=40,
        state_hash=manifest.root_hash,
        requester=Principal.anonymous(),
        state_dir=tmp_path,
        started_at_ns=0,
    )
    sync.on_artifact(
        StateManifestArtifact(height=40, state_hash=manifest.root_hash, manifest=manifest.to_cbor())
    )
    return sync, contents


def _chunk(sync: StateSync, index: int) -> StateChunkArtifact:
    return StateChunkArtifact(
        height=40, state_hash=sync.state_hash, index=index, data=bytes([index])
    )


def _asked(requests: list[StateSyncRequest]) -> list[int]:
    return [index for request in requests for index in request.chunks or ()]


def test_chunks_are_asked_for_in_a_window_and_again_only_when_late(tmp_path: Path) -> None:
    sync, _ = _small_sync(tmp_path)
    second = 1_000_000_000
    requests, wake = sync.make_requests(second)
    assert _asked(requests) == list(range(WINDOW_CHUNKS))
    assert all(len(request.chunks or ()) <= CHUNKS_PER_REQUEST for request in requests)
    assert wake == second + CHUNK_TIMEOUT_NS
    assert _asked(sync.make_requests(2 * second)[0]) == [], "the window is full"
    # Nothing arrived for the timeout: the whole window is asked for again (of the next peer).
    assert _asked(sync.make_requests(second + CHUNK_TIMEOUT_NS)[0]) == list(range(WINDOW_CHUNKS))


def test_a_slow_sync_waits_as_long_as_its_window_takes_before_asking_again(
    tmp_path: Path,
) -> None:
    sync, _ = _small_sync(tmp_path)
    second = 1_000_000_000
    sync.make_requests(0)
    # Four chunks in 10 s: a window of 32 takes 80 s at that rate; nothing is late yet at 20 s.
    for index in range(4):
        sync.on_artifact(_chunk(sync, index))
    assert sync.get_chunk_timeout_ns(10 * second) == 2 * 80 * second
    requests, wake = sync.make_requests(20 * second)
    assert _asked(requests) == list(range(WINDOW_CHUNKS, WINDOW_CHUNKS + 4)), "only new ones"
    assert wake == 0 + sync.get_chunk_timeout_ns(20 * second)
    # A fast sync keeps the floor of CHUNK_TIMEOUT_NS.
    fast, _ = _small_sync(tmp_path / "fast")
    fast.make_requests(0)
    for index in range(16):
        fast.on_artifact(_chunk(fast, index))
    assert fast.get_chunk_timeout_ns(second // 10) == CHUNK_TIMEOUT_NS


def test_every_chunk_is_checked_and_the_checkpoint_installed(tmp_path: Path) -> None:
    sync, contents = _small_sync(tmp_path)
    sync.make_requests(0)
    forged = StateChunkArtifact(height=40, state_hash=sync.state_hash, index=0, data=b"\xff")
    sync.on_artifact(forged)
    assert 0 in sync.missing, "a chunk that does not match the manifest is not taken"
    for index in range(64):
        sync.on_artifact(_chunk(sync, index))
    assert sync.is_complete and sync.fetched_bytes == 64
    sync.install()
    for name, data in contents.items():
        assert (tmp_path / "checkpoints" / "40" / name).read_bytes() == data
