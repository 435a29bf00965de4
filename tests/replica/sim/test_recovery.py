"""A stalled subnet restarts from a recovery CUP the registry holds (spec C, D.8).

The subnet halts at a CUP (`halt_at_cup_height`, as a broken release stalls it at
the CUP that hands over), every replica stops, and the registry receives what
RecoverSubnet writes (`rs/registry/canister/src/mutations/do_recover_subnet.rs`):
catch-up package contents at the stalled height with the checkpoint's state
hash and new threshold keys whose shares are encrypted to the members. The
replicas start again: each finds the registry's CUP newer than its own
(`is_newer_cup`), sets its old pool aside, starts from its own checkpoint at
that height, and the subnet finalizes a new chain signed with the new key,
its canister state unchanged.
"""

from __future__ import annotations

from dataclasses import replace

from registry.dkg import SeededInitialDkg
from registry.records import (
    CatchUpPackageContents,
    KeyPurpose,
    ThresholdPublicKeyRecord,
    catch_up_package_contents_key,
    crypto_record_key,
    subnet_record_key,
    threshold_public_key_key,
)
from registry.store import upsert
from replica.consensus.node import ReplicaNode
from replica.consensus.pool import POOL_FILE
from replica.crypto.initial_shares import NodeInitialShares
from replica.sim.world import World
from tests.replica.sim.scenarios import consensus_world


def halt_at_next_cup(world: World) -> int:
    """The height of the CUP at which every member stopped."""
    subnet_id = world.subnets[0].subnet_id
    world.apply_registry(
        [
            upsert(
                subnet_record_key(subnet_id),
                replace(world.subnet_record(), halt_at_cup_height=True),
            )
        ]
    )

    def replica(node: object) -> ReplicaNode:
        found = world.replica(node)  # type: ignore[arg-type]
        assert isinstance(found, ReplicaNode)
        return found

    def stopped() -> bool:
        replicas = [replica(node) for node in world.members()]
        tops = {(r.finalized_height, r.latest_cup.height, r.state.height) for r in replicas}
        return len(tops) == 1 and next(iter(tops))[0] == next(iter(tops))[1] > 0

    world.run_until(stopped, timeout_s=300, what="the subnet stopping at a CUP")
    before = replica(world.members()[0]).finalized_height
    world.run_for(5)
    assert replica(world.members()[0]).finalized_height == before, "a halted subnet moved on"
    return before


def test_a_subnet_stalled_at_a_cup_restarts_from_the_registrys_recovery_cup() -> None:
    # Not audited: the auditor follows one chain under one key, and a recovery starts another.
    with consensus_world(411, nodes=4, heights=60, audit=False) as world:
        world.run_until_height(3)
        subnet_id = world.subnets[0].subnet_id
        members = world.members()
        height = halt_at_next_cup(world)
        first = world.replica(members[0])
        assert isinstance(first, ReplicaNode)
        state_hash = first.state.checkpoint(height).root_hash
        canister_state = first.state.engine.state_hash()
        old_key = first.subnet_public_key
        for node in members:
            world.crash(node)

        dealer = SeededInitialDkg(b"recovery dealer")
        record = world.subnet_record()
        result = dealer.setup_initial_dkg(record.membership, world.registry.latest_version)
        dealing_keys = {
            node: bytes(
                world.registry.get(
                    crypto_record_key(node, KeyPurpose.DKG_DEALING_ENCRYPTION)
                ).key_value
            )
            for node in record.membership
        }
        shares = dealer.encrypt_shares_for_members(
            subnet_id, result, dealing_keys, start_height=height
        )
        contents = CatchUpPackageContents(
            height=height,
            time_ns=world.now_ns,
            state_hash=state_hash,
            low_threshold_transcript=result.low_threshold,
            high_threshold_transcript=result.high_threshold,
            encrypted_shares=shares,
        )
        world.apply_registry(
            [
                upsert(catch_up_package_contents_key(subnet_id), contents),
                upsert(
                    threshold_public_key_key(subnet_id),
                    ThresholdPublicKeyRecord(public_key_der=result.public_key_der),
                ),
                upsert(
                    subnet_record_key(subnet_id),
                    replace(record, halt_at_cup_height=False, is_halted=False),
                ),
            ]
        )
        # What each orchestrator does with the contents: keep its new encrypted shares.
        for node_id, data in shares:
            sim_node = world.nodes[node_id]
            held = sim_node.spec.initial_shares
            new = NodeInitialShares.from_bytes(data).shares
            sim_node.spec = replace(
                sim_node.spec,
                initial_shares=NodeInitialShares(
                    node_id=node_id, shares=(*(held.shares if held else ()), *new)
                ),
            )
        restarted = []
        for node in members:
            world.restart(node)
            replica = world.replica(node)
            assert isinstance(replica, ReplicaNode)
            restarted.append(replica)
        new_key = restarted[0].subnet_public_key
        assert new_key != old_key
        world.subnets[0].public_key = new_key
        world.subnets[0].checker.verify_certification = lambda certification, at, key=new_key: (
            world.factory.verify_certification(certification, at, key)
        )
        for replica in restarted:
            assert replica.latest_cup.height == height
            assert replica.state.height == height
            assert replica.state.engine.state_hash() == canister_state, "the state is unchanged"
            assert (replica.config.state_dir / f"{POOL_FILE}.before-recovery-{height}").is_file()
        world.run_until(
            lambda: all(r.finalized_height >= height + 25 for r in restarted),
            timeout_s=300,
            what="the recovered chain finalizing two intervals",
        )
        cups = {r.latest_cup.height for r in restarted}
        assert min(cups) > height, "the recovered subnet makes CUPs of its own"
        for replica in restarted:
            assert replica.latest_cup.signature, "signed by the subnet"
            assert replica.subnet_public_key == new_key
        # Restarted once more, a replica resumes from its own newer CUP, not the registry's.
        world.crash(members[1])
        world.restart(members[1])
        again = world.replica(members[1])
        assert isinstance(again, ReplicaNode)
        assert again.latest_cup.height > height and not again.instance.recovering
