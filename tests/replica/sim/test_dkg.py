"""Key rotation under Byzantine dealers: a dealer that encrypts wrong shares for some receivers
never gets its dealing into a transcript, so every honest replica holds a share of every new key,
the subnet keeps finalizing and certifying, and the subnet key never changes."""

from __future__ import annotations

import pytest

from replica.consensus.dealings import compute_dkg_secret_share, to_crypto_transcript
from replica.consensus.node import ReplicaNode
from replica.sim.faults import FewBadShares
from replica.sim.forgery import ConsensusForger
from tests.replica.sim.scenarios import consensus_world

INTERVALS = 5


@pytest.mark.parametrize(("nodes", "seed"), [(4, 31), (7, 32)])
def test_f_bad_dealers_do_not_stop_key_rotation(nodes: int, seed: int) -> None:
    f = (nodes - 1) // 3
    with consensus_world(
        seed, nodes=nodes, faults=f"bad-dealing:{f}", heights=5 * INTERVALS + 2
    ) as world:
        subnet = world.subnets[0]
        byzantine = {node for node in world.members() if not world.nodes[node].honest}
        assert len(byzantine) == f
        low_keys: set[bytes] = set()
        for interval in range(1, INTERVALS + 1):
            summary_height = 5 * interval
            world.run_until_height(summary_height + 1, timeout_s=60)
            for node_id in world.honest_up_members():
                replica = world.replica(node_id)
                assert isinstance(replica, ReplicaNode)
                block = replica.finalized_block(summary_height)
                assert block is not None and block.is_summary
                summary = block.summary
                assert {t.tag for t in summary.next_transcripts} == {"low", "high"}, (
                    f"a DKG failed at {summary_height}"
                )
                for transcript in summary.next_transcripts:
                    dealers = {
                        d.dealer
                        for d in to_crypto_transcript(subnet.subnet_id, transcript).dealings
                    }
                    # The faults apply from after genesis: the genesis interval's dealings were
                    # honest.
                    if summary_height > 5:
                        assert not dealers & byzantine, (
                            "a dealing with wrong shares reached a transcript"
                        )
                    share = compute_dkg_secret_share(
                        subnet.subnet_id,
                        transcript,
                        node_id,
                        replica.config.keys.dealing_private_key,
                    )
                    assert share is not None, (
                        f"{node_id} has no share of the {transcript.tag} key at {summary_height}"
                    )
                    if transcript.tag == "high":
                        assert transcript.public_key == subnet.public_key
                    else:
                        low_keys.add(transcript.public_key)
        assert len(low_keys) == INTERVALS  # a fresh low-threshold key every interval
        for node_id in byzantine:
            forger = world.nodes[node_id].forger
            assert isinstance(forger, ConsensusForger) and forger.bad_dealings > 0
        top = subnet.checker.top_finalized_height
        for node_id in world.honest_up_members():
            assert world.replica(node_id).certified_height >= top - 5
            assert world.replica(node_id).latest_cup.height >= 5 * (INTERVALS - 1)  # type: ignore[attr-defined]


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason=(
        "support proofs alone do not stop a dealer that cheats at most f receivers and supports "
        "its own "
        "dealing; that needs complaints and justifications (see replica.consensus.dealings)"
    ),
)
def test_a_dealer_that_cheats_only_f_receivers_can_still_leave_one_without_a_share() -> None:
    with consensus_world(33, nodes=4, heights=5 * 4 + 2) as world:
        subnet = world.subnets[0]
        dealer = sorted(world.members())[0]  # first in the block makers' order of dealings
        world.make_byzantine(dealer, FewBadShares())
        for interval in range(2, 5):
            world.run_until_height(5 * interval + 1, timeout_s=60)
            for node_id in world.honest_up_members():
                replica = world.replica(node_id)
                assert isinstance(replica, ReplicaNode)
                block = replica.finalized_block(5 * interval)
                assert block is not None
                for transcript in block.summary.next_transcripts:
                    share = compute_dkg_secret_share(
                        subnet.subnet_id,
                        transcript,
                        node_id,
                        replica.config.keys.dealing_private_key,
                    )
                    assert share is not None, f"{node_id} has no share of the {transcript.tag} key"
