"""Executing the finalized chain: batches to the state manager, certifications back.

Every finalized height becomes one batch once its random tape is known: the
block's time, the tape (hashed) as the round's randomness, and the block's
ingress messages (a summary block has none, but answers the `setup_initial_dkg`
calls its remote DKG results finish). The state manager
executes it and gives the root hash of the height's certified state tree,
which the certifier signs; at summary heights it writes the checkpoint whose
manifest root is the catch-up package's state hash. The state tree lists the
subnets, their keys, canister ranges and node keys as the registry version of
the height's interval has them, so every replica builds the same tree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from registry.client import RegistryClient
from registry.records import ROUTING_TABLE_KEY, KeyPurpose, RoutingTable, SubnetType
from replica.consensus.artifacts import Certification, DataPayload
from replica.consensus.chain import ChainState
from replica.consensus.context import RoleContext
from replica.consensus.events import BatchExecuted, CertificationCreated, NodeEvent, StateDiverged
from replica.consensus.remote_dkg import make_initial_dkg_answers
from replica.execution.engine import ExecutionEngine, SystemCanister
from replica.execution.engine import SubnetType as EngineSubnetType
from replica.execution.messages import Batch
from replica.state.errors import CertificationMismatch, StateError
from replica.state.manager import Certification as StateCertification
from replica.state.manager import (
    SignatureCheck,
    StateManager,
    latest_checkpoint_in,
    read_checkpoint,
)
from replica.state.tree import SubnetInfo
from replica.types import Principal


def get_canister_ranges(
    registry: RegistryClient, subnet_id: Principal, version: int
) -> list[tuple[int, int]]:
    table: RoutingTable | None = registry.get(ROUTING_TABLE_KEY, version)
    if table is None:
        return []
    return [(entry.start, entry.end) for entry in table.entries if entry.subnet_id == subnet_id]


def get_subnet_infos(registry: RegistryClient, version: int) -> list[SubnetInfo]:
    """What the state tree says about every subnet at a registry version."""
    infos = []
    for subnet_id in registry.get_subnet_ids(version):
        key = registry.get_threshold_public_key_der(subnet_id, version)
        if key is None:
            continue
        nodes = {}
        for node in registry.get_subnet_members(subnet_id, version):
            signing = registry.get_node_public_key(node, KeyPurpose.NODE_SIGNING, version)
            if signing is not None:
                nodes[node] = signing
        infos.append(
            SubnetInfo.from_index_ranges(
                subnet_id, key, get_canister_ranges(registry, subnet_id, version), nodes
            )
        )
    return infos


def open_state(
    *,
    state_dir: Path,
    subnet_id: Principal,
    registry: RegistryClient,
    registry_version: int,
    factories: Mapping[str, SystemCanister],
    subnet_type: EngineSubnetType,
    install_genesis: Callable[[ExecutionEngine], None] | None,
    verify_signature: SignatureCheck,
    engine_options: Mapping[str, Any] | None = None,
    checkpoint_height: int | None = None,
) -> StateManager:
    """The state manager at the latest checkpoint (or the one of `checkpoint_height`: a recovery
    CUP's), or a fresh one at height 0 (checkpointed at once)."""
    record = registry.get_subnet_record(subnet_id, registry_version)
    if record is not None:
        subnet_type = "system" if record.subnet_type == SubnetType.SYSTEM else "application"
    options: dict[str, Any] = {**(engine_options or {}), "subnet_type": subnet_type}
    ranges = get_canister_ranges(registry, subnet_id, registry_version)
    if ranges:
        options["canister_id_ranges"] = ranges
    subnets = get_subnet_infos(registry, registry_version)
    if checkpoint_height is not None or latest_checkpoint_in(state_dir) is not None:
        return StateManager.restore(
            state_dir,
            subnet_id=subnet_id,
            height=checkpoint_height,
            factories=factories,
            subnets=subnets,
            verify_signature=verify_signature,
            **options,
        )
    state = StateManager.create(
        state_dir,
        subnet_id=subnet_id,
        factories=factories,
        subnets=subnets,
        verify_signature=verify_signature,
        **options,
    )
    if install_genesis is not None:
        install_genesis(state.engine)
    state.write_checkpoint(state.height)
    return state


class Executor:
    """Feeds the finalized chain to the state manager and takes certifications back."""

    def __init__(
        self, state: StateManager, registry: RegistryClient, ctx: RoleContext, state_dir: Path
    ) -> None:
        self.state = state
        self.registry = registry
        self.ctx = ctx
        self.state_dir = state_dir
        self._subnet_info_version = -1

    def get_root_hash(self, height: int) -> bytes | None:
        try:
            return self.state.certification_content(height)
        except StateError:
            return None

    def get_checkpoint_hash(self, height: int) -> bytes | None:
        try:
            return read_checkpoint(self.state_dir, height).root_hash
        except (StateError, OSError):
            return None

    def execute_finalized(self, chain: ChainState, events: list[NodeEvent]) -> list[Batch]:
        """Execute every finalized height whose tape is known; the batches executed."""
        batches = []
        while self.state.height < chain.finalized_height:
            height = self.state.height + 1
            block = chain.finalized.get(height)
            tape = chain.tapes.get(height)
            if block is None or tape is None:
                break
            self._update_subnet_info(block.context.registry_version)
            ingress = block.payload.ingress if isinstance(block.payload, DataPayload) else ()
            batch = Batch(
                height=height,
                time_ns=block.context.time_ns,
                random_tape=hashlib.sha256(b"random_tape" + tape.signature).digest(),
                ingress=ingress,
                initial_dkg_answers=make_initial_dkg_answers(block.payload),
            )
            executed = self.state.execute(batch)
            self.ctx.executed_height = height
            # A certification that arrived before its height was executed (after a restart, the
            # pool's own) is applied by the state manager as the height executes.
            self.ctx.certified_height = max(self.ctx.certified_height, self.state.certified_height)
            if block.is_summary:
                self.state.write_checkpoint(height)
                self.state.purge_checkpoints()
            events.append(
                BatchExecuted(
                    height=height,
                    root_hash=executed.root_hash,
                    state_hash=executed.state_hash,
                    completed=executed.completed,
                )
            )
            batches.append(batch)
        return batches

    def _update_subnet_info(self, registry_version: int) -> None:
        """The subnets' keys and ranges of the state tree, at the registry version of the block
        being executed (the IC's message routing reads the network topology at the batch's
        registry version), so a subnet's new key (a recovery) is certified from the first block
        that names a registry version holding it."""
        if registry_version <= self._subnet_info_version:
            return
        self._subnet_info_version = registry_version
        self.state.set_subnets(get_subnet_infos(self.registry, registry_version))

    def deliver_certification(self, certification: Certification, events: list[NodeEvent]) -> None:
        try:
            newer = self.state.deliver_certification(
                StateCertification(
                    height=certification.height,
                    root_hash=certification.root_hash,
                    signature=certification.signature,
                )
            )
        except CertificationMismatch:
            own = self.get_root_hash(certification.height) or b""
            events.append(
                StateDiverged(
                    height=certification.height,
                    certified_root_hash=certification.root_hash,
                    own_root_hash=own,
                )
            )
            return
        except StateError:
            return
        if newer:
            self.ctx.certified_height = self.state.certified_height
            events.append(
                CertificationCreated(height=certification.height, root_hash=certification.root_hash)
            )
