"""A Hypothesis state machine: random valid and invalid batches keep every invariant,
versions stay contiguous, and replaying the log reproduces the same state."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from registry.canister import Registry
from registry.dkg import SeededInitialDkg
from registry.errors import RegistryError
from registry.invariants import check_global_invariants
from registry.records import Endpoint, SubnetType, node_record_key
from registry.requests import (
    ChangeSubnetMembershipPayload,
    CreateSubnetPayload,
    RemoveNodesPayload,
    ReviseElectedGuestosVersionsPayload,
    UpdateSubnetPayload,
)
from registry.store import TABLES, RegistryStore, update
from replica.canister import codec
from replica.canister.stable import StableStore
from replica.types import Principal
from tests.registry.world import GOVERNANCE, SEED, make_registry


class RegistryMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        world = make_registry(unassigned=4)
        self.registry: Registry = world.registry
        self.subnets = [world.nns_subnet, world.app_subnet]
        self.nodes = self.registry.node_ids()
        self.versions = ["0.1.0"]

    def attempt(self, call: object) -> None:
        before = self.registry.registry.latest_version
        try:
            call()  # type: ignore[operator]
        except RegistryError:
            assert self.registry.registry.latest_version == before

    @rule(subnet=st.integers(0, 5), add=st.integers(0, 20), remove=st.integers(0, 20))
    def change_membership(self, subnet: int, add: int, remove: int) -> None:
        subnet_id = self.subnets[subnet % len(self.subnets)]
        self.attempt(
            lambda: self.registry.change_subnet_membership(
                GOVERNANCE,
                ChangeSubnetMembershipPayload(
                    subnet_id=subnet_id,
                    node_ids_add=(self.nodes[add % len(self.nodes)],),
                    node_ids_remove=(self.nodes[remove % len(self.nodes)],),
                ),
            )
        )

    @rule(first=st.integers(0, 20), size=st.integers(0, 3))
    def create_subnet(self, first: int, size: int) -> None:
        nodes = tuple(dict.fromkeys(self.nodes[(first + i) % len(self.nodes)] for i in range(size)))
        payload = CreateSubnetPayload(
            node_ids=nodes,
            subnet_type=SubnetType.APPLICATION,
            replica_version_id=self.versions[-1],
            dkg_interval_length=9,
            unit_delay_millis=100,
            initial_notary_delay_millis=100,
        )
        before = self.registry.registry.latest_version
        try:
            self.subnets.append(self.registry.create_subnet(GOVERNANCE, payload))
        except RegistryError:
            assert self.registry.registry.latest_version == before

    @rule(subnet=st.integers(0, 5), halted=st.booleans())
    def halt(self, subnet: int, halted: bool) -> None:
        subnet_id = self.subnets[subnet % len(self.subnets)]
        self.attempt(
            lambda: self.registry.update_subnet(
                GOVERNANCE, UpdateSubnetPayload(subnet_id=subnet_id, is_halted=halted)
            )
        )

    @rule(node=st.integers(0, 20))
    def remove_node(self, node: int) -> None:
        node_id = self.nodes[node % len(self.nodes)]
        self.attempt(
            lambda: self.registry.remove_nodes(GOVERNANCE, RemoveNodesPayload(node_ids=(node_id,)))
        )

    @rule(number=st.integers(2, 4), unelect=st.booleans())
    def revise_versions(self, number: int, unelect: bool) -> None:
        version = f"0.{number}.0"
        payload = (
            ReviseElectedGuestosVersionsPayload(replica_versions_to_unelect=(version,))
            if unelect
            else ReviseElectedGuestosVersionsPayload(
                replica_version_to_elect=version,
                release_package_sha256_hex="cd" * 32,
                release_package_urls=("http://localhost/x",),
            )
        )
        self.attempt(lambda: self.registry.revise_elected_guestos_versions(GOVERNANCE, payload))

    @rule(node=st.integers(0, 20), port=st.sampled_from([0, 40_001, 40_003, 8080]))
    def raw_endpoint_change(self, node: int, port: int) -> None:
        key = node_record_key(self.nodes[node % len(self.nodes)])
        record = self.registry.registry.get(key)
        if record is not None:
            self.attempt(
                lambda: self.registry.apply(
                    [update(key, replace(record, http=Endpoint(ip_addr="127.0.0.1", port=port)))]
                )
            )

    @invariant()
    def invariants_hold_and_versions_are_contiguous(self) -> None:
        check_global_invariants(self.registry.registry.view())
        versions = [version for version, _ in self.registry.registry.changelog()]
        assert versions == list(range(1, len(versions) + 1))

    def teardown(self) -> None:
        replay = RegistryStore(StableStore(list(TABLES)))
        for _version, mutations in self.registry.registry.changelog():
            with replay.stable.transaction() as session:
                replay._write(
                    session,
                    {
                        key: None if value is None else codec.decode(value)
                        for key, value in mutations
                    },
                )
        assert replay.stable.state_hash() == self.registry.store.state_hash()


RegistryMachine.TestCase.settings = settings(max_examples=12, stateful_step_count=15, deadline=None)
TestRegistryMachine = RegistryMachine.TestCase


def test_seeded_dkg_is_deterministic() -> None:
    first, second = SeededInitialDkg(SEED), SeededInitialDkg(SEED)
    nodes = tuple(make_registry().registry.node_ids()[:4])
    assert first.setup_initial_dkg(nodes, 3) == second.setup_initial_dkg(nodes, 3)
    assert first.setup_initial_dkg(nodes, 3) != first.setup_initial_dkg(nodes, 4)


def test_initial_dkg_thresholds_are_f_plus_one_and_two_f_plus_one() -> None:
    """As the IC's `NiDkgTag::threshold_for_subnet_of_size`: the high threshold is 2f + 1 (a
    committee of 3f + 1 less f), the threshold consensus reshares the key with, also for subnets
    of more than 3f + 1 nodes (n − f would be one more for 5 nodes, two more for 6)."""
    dkg = SeededInitialDkg(SEED)
    nodes = tuple(Principal.self_authenticating(bytes([i])) for i in range(8))
    for n, low, high in ((1, 1, 1), (4, 2, 3), (5, 2, 3), (6, 2, 3), (7, 3, 5), (8, 3, 5)):
        result = dkg.setup_initial_dkg(nodes[:n], 1)
        assert (result.low_threshold.threshold, result.high_threshold.threshold) == (low, high)
