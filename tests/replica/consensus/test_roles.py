"""The block maker's and the notary's timing and choices on a real replica at height 1."""

from __future__ import annotations

from pathlib import Path

from replica.consensus.artifacts import BlockProposal, NotarizationShare
from replica.consensus.node import ReplicaNode
from replica.consensus.signing import sign_proposal
from replica.crypto.keys import NodeSecretKeys
from tests.replica.consensus.test_validator import block_at_one
from tests.replica.consensus.world import Subnet

MS = 1_000_000


def setup(tmp_path: Path) -> tuple[Subnet, ReplicaNode, dict[int, NodeSecretKeys]]:
    """A subnet, a replica that makes no block at height 1, and the makers' keys by rank."""
    subnet = Subnet(tmp_path)
    info = next(iter(subnet.nodes.values())).ctx.get_height_info(1)
    assert info is not None
    observer = next(node for node_id, node in subnet.nodes.items() if node_id not in info.ranks)
    keys = {rank: subnet.configs[node].keys for node, rank in info.ranks.items()}
    return subnet, observer, keys


def own_shares(node: ReplicaNode) -> set[bytes]:
    return {
        s.block for s in node.pool.validated.get(NotarizationShare, 1) if s.signer == node.node_id
    }


def test_a_block_maker_of_rank_r_waits_r_unit_delays(tmp_path: Path) -> None:
    subnet = Subnet(tmp_path)
    start = subnet.now_ns
    record = next(iter(subnet.nodes.values())).ctx.get_height_info(1)
    assert record is not None
    unit_ns = record.record.unit_delay_millis * MS
    for node_id, node in subnet.nodes.items():
        rank = record.ranks.get(node_id)
        output = node.on_timer(start)
        proposed = [a for a in output.broadcast if isinstance(a, BlockProposal)]
        if rank == 0:
            assert len(proposed) == 1 and proposed[0].rank == 0
        elif rank is not None:
            assert not proposed and output.wake_at_ns == start + rank * unit_ns
            late = node.on_timer(start + rank * unit_ns)
            # It still proposes: the rank-0 block never reached it.
            assert [a.rank for a in late.broadcast if isinstance(a, BlockProposal)] == [rank]
        else:
            assert not proposed


def test_the_notary_supports_the_lowest_rank_and_never_a_higher_one_after(tmp_path: Path) -> None:
    subnet, observer, keys = setup(tmp_path)
    info = observer.ctx.get_height_info(1)
    assert info is not None
    start = subnet.now_ns
    unit_ns = info.record.unit_delay_millis * MS
    notary_ns = info.record.initial_notary_delay_millis * MS
    rank0 = sign_proposal(keys[0], block_at_one(subnet, observer, 0))
    rank1 = sign_proposal(keys[1], block_at_one(subnet, observer, 1))
    # Before its delay, no block is notarized; the replica says when to look again.
    output = observer.on_artifacts([rank1], start)
    assert not own_shares(observer) and output.wake_at_ns is not None
    # At rank 1's delay (notary delay + one unit at backlog 0) it signs the only block it has.
    observer.on_timer(start + notary_ns + unit_ns)
    assert own_shares(observer) == {rank1.block.id}
    # A lower rank arriving later is still supported.
    observer.on_artifacts([rank0], start + notary_ns + unit_ns)
    assert own_shares(observer) == {rank1.block.id, rank0.block.id}


def test_the_notary_waits_for_the_lower_rank_delay(tmp_path: Path) -> None:
    subnet, observer, keys = setup(tmp_path)
    info = observer.ctx.get_height_info(1)
    assert info is not None
    start = subnet.now_ns
    observer.on_timer(start)  # the round of height 1 starts at the replica's first input
    assert observer.chain.round_start_ns[1] == start
    notary_ns = info.record.initial_notary_delay_millis * MS
    unit_ns = info.record.unit_delay_millis * MS
    rank1 = sign_proposal(keys[1], block_at_one(subnet, observer, 1))
    observer.on_artifacts([rank1], start + notary_ns)  # rank 0's delay has passed, rank 1's has not
    assert not own_shares(observer)
    observer.on_timer(start + notary_ns + unit_ns - 1)
    assert not own_shares(observer)
    observer.on_timer(start + notary_ns + unit_ns)
    assert own_shares(observer) == {rank1.block.id}


def test_after_supporting_a_rank_the_notary_never_supports_a_higher_one(tmp_path: Path) -> None:
    subnet, observer, keys = setup(tmp_path)
    info = observer.ctx.get_height_info(1)
    assert info is not None
    start = subnet.now_ns
    observer.on_timer(start)
    notary_ns = info.record.initial_notary_delay_millis * MS
    unit_ns = info.record.unit_delay_millis * MS
    rank0 = sign_proposal(keys[0], block_at_one(subnet, observer, 0))
    rank1 = sign_proposal(keys[1], block_at_one(subnet, observer, 1))
    observer.on_artifacts([rank0], start + notary_ns)
    assert own_shares(observer) == {rank0.block.id}
    observer.on_artifacts([rank1], start + notary_ns + 2 * unit_ns)
    assert own_shares(observer) == {rank0.block.id}
