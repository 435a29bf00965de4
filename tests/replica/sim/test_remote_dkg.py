"""A subnet created from a remote DKG, in the simulator (spec B `setup_initial_dkg`).

The NNS subnet's management canister parks a `setup_initial_dkg` call; the NNS
replicas deal the new subnet's keys in their DKG payloads (remote configs of a
summary block), a data block carries the transcripts as soon as the dealings on
chain make them, and executing it answers the call (`rs/consensus/dkg/src/payload_builder.rs`,
`rs/consensus/src/consensus/batch_delivery.rs`). The answer goes into the
registry as the registry canister writes it; the chosen nodes, which never saw
a dealer, decrypt their shares from the transcripts and the new subnet
finalizes and certifies under the key the NNS subnet made.
"""

from __future__ import annotations

from typing import Any

import pytest

from registry.dkg import initial_dkg_result_from_reply
from registry.records import SubnetType
from registry.requests import CreateSubnetPayload
from registry.subnet_creation import make_create_subnet_mutations
from replica.agent.identity import AnonymousIdentity
from replica.candid import encode
from replica.candid.types import Nat64, PrincipalType, Vec
from replica.canister.nns_ids import REGISTRY_CANISTER_ID
from replica.canister.sdk import CanisterEnvironment, interface_of, update
from replica.consensus.artifacts import Block, DataPayload
from replica.consensus.node import ReplicaNode
from replica.crypto import bls
from replica.crypto.dkg import Transcript
from replica.environment import DEFERRED, OutgoingCall
from replica.execution.engine import ExecutionEngine, SystemCanister
from replica.presets import TEST
from replica.sim.canister import COUNTER_FACTORIES, install_counter
from replica.sim.consensus import ConsensusReplicas
from replica.sim.faults import FaultPlan
from replica.sim.users import signed_call
from replica.sim.world import World, WorldConfig
from replica.types import Principal

REQUESTER = "dkg-requester"


class DkgRequester:
    """Stands in for the registry canister (it runs at the registry's id on the NNS subnet)."""

    def __init__(self, environment: CanisterEnvironment, path: str | None, init: Any) -> None:
        self.environment = environment
        self.reply: Any = None
        self.reject: Any = None

    @update(args=[Vec(PrincipalType), Nat64])
    def request(self, caller: Principal, argument: tuple[list[Principal], int]) -> object:
        node_ids, version = argument
        self.environment.call(
            OutgoingCall(
                callee=Principal.management_canister(),
                method="setup_initial_dkg",
                argument={"node_ids": node_ids, "registry_version": version},
                on_reply="on_reply",
                on_reject="on_reject",
                context=None,
            )
        )
        return DEFERRED

    def on_reply(self, context: object, reply: Any) -> None:
        self.reply = reply

    def on_reject(self, context: object, reject: Any) -> None:
        self.reject = reject


FACTORIES = {
    **COUNTER_FACTORIES,
    REQUESTER: SystemCanister(
        create=DkgRequester, interface=lambda instance: interface_of(type(instance))
    ),
}


def install(engine: ExecutionEngine) -> None:
    if engine.subnet_type == "system":
        engine.create_canister([], canister_id=REGISTRY_CANISTER_ID)
        engine.install(REGISTRY_CANISTER_ID, REQUESTER, None)
    install_counter(engine)


def requester(world: World, node_id: Principal) -> DkgRequester:
    replica = world.replica(node_id)
    assert isinstance(replica, ReplicaNode)
    instance = replica.state.engine.canisters[REGISTRY_CANISTER_ID].instance
    assert isinstance(instance, DkgRequester)
    return instance


def early_result_heights(world: World, node_id: Principal) -> tuple[int, int]:
    """The height of the summary that scheduled the remote DKG and of the data block that carried
    its result, in the finalized chain of an NNS replica."""
    replica = world.replica(node_id)
    assert isinstance(replica, ReplicaNode)
    dealt = early = None
    for height in range(replica.finalized_height + 1):
        block = replica.finalized_block(height)
        if not isinstance(block, Block):
            continue
        if block.is_summary and any(c.target for c in block.summary.configs) and dealt is None:
            dealt = height
        elif isinstance(block.payload, DataPayload) and block.payload.remote_results:
            assert early is None, "one data block carries the result"
            early = height
    assert dealt is not None and early is not None
    return dealt, early


@pytest.mark.parametrize(("seed", "faults"), [(1301, "none"), (1302, "drop:10")])
def test_the_nns_deals_a_new_subnet_its_keys_and_the_subnet_finalizes_with_them(
    seed: int, faults: str
) -> None:
    config = WorldConfig(
        seed=seed,
        subnet_sizes=(4,),
        spare_nodes=4,
        faults=FaultPlan.parse(faults),
        preset=TEST,
        heights=30,
        orchestrators=True,
    )
    with World(config, ConsensusReplicas(), factories=FACTORIES, install_genesis=install) as world:
        world.run_until_height(2)
        chosen = world.spare_nodes()
        version = world.registry.latest_version
        # An anonymous call: its envelope carries no signature, which the replicas accept.
        message = signed_call(
            AnonymousIdentity(),
            canister_id=REGISTRY_CANISTER_ID,
            method="request",
            arg=encode([Vec(PrincipalType), Nat64], [chosen, version]),
            ingress_expiry_ns=world.now_ns + 60 * 1_000_000_000,
            nonce=b"setup-initial-dkg" + bytes([seed % 256]),
        )
        for node_id in world.members():
            world.submit_ingress(node_id, message)
        nns = world.members()
        world.run_until(
            lambda: all(requester(world, node).reply is not None for node in nns),
            timeout_s=120,
            what="the NNS subnet to answer setup_initial_dkg",
        )
        replies = [requester(world, node).reply for node in nns]
        assert all(reply == replies[0] for reply in replies), "every NNS replica answers the same"
        result = initial_dkg_result_from_reply(replies[0])
        assert result.subnet_id == Principal.self_authenticating(result.public_key_der)
        assert tuple(result.high_threshold.committee) == tuple(chosen)
        assert result.high_threshold.internal_transcript, "the transcript carries its dealings"
        # The NNS replicas dealt it as a remote DKG: their dealings, for receivers elsewhere.
        for record in (result.low_threshold, result.high_threshold):
            transcript = Transcript.from_bytes(record.internal_transcript)
            assert transcript.dkg_id.subnet_id == world.subnets[0].subnet_id
            assert transcript.dkg_id.target, "a remote DKG names its target"
            assert {dealing.dealer for dealing in transcript.dealings} <= set(nns)
            assert not set(transcript.committee) & set(nns)
        # The answer came early: a data block of the interval that dealt it carried the result,
        # before the next summary.
        dealt, early = early_result_heights(world, nns[0])
        assert dealt < early < dealt + TEST.dkg_interval_length + 1

        payload = CreateSubnetPayload(
            node_ids=tuple(chosen),
            subnet_type=SubnetType.APPLICATION,
            replica_version_id=world.subnet_record().replica_version_id,
            dkg_interval_length=TEST.dkg_interval_length,
            unit_delay_millis=TEST.unit_delay_ms,
            initial_notary_delay_millis=TEST.initial_notary_delay_ms,
        )
        subnet_id, mutations = make_create_subnet_mutations(world.registry, payload, result)
        world.apply_registry(mutations)
        new = world.add_subnet(subnet_id).index
        assert set(world.members(new)) == set(chosen), "the orchestrators started its members"
        world.run_until_height(12, subnet=new, timeout_s=120)
        key = bls.public_key_from_der(result.public_key_der)
        observer = world.replica(chosen[0])
        assert isinstance(observer, ReplicaNode)
        for height in range(observer.finalized_height + 1):
            block = observer.finalized_block(height)
            if isinstance(block, Block) and block.is_summary:
                high = block.summary.get_current("high")
                assert high is not None and high.public_key == key, "the remote DKG's key"
        assert observer.certified_height >= 6, "certified with the new key"
        assert observer.latest_cup.height > 0, "a CUP signed with the new key"
        world.check_safety()
