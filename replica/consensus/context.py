"""What the consensus roles see: the chain, the pool, the registry, the keys and the time.

`RoleContext` answers the per-height questions every role asks (the
registry version and members of a height, the block-maker ranks, the
notarization committee and threshold, the threshold keys) and caches the
answers per height, since a height is asked about many times.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.client import RegistryClient
from registry.records import SubnetRecord
from replica.consensus.artifacts import KeyTranscript
from replica.consensus.chain import ChainState
from replica.consensus.membership import (
    ActiveData,
    compute_block_maker_ranks,
    compute_notarization_committee,
    compute_notarization_threshold,
)
from replica.consensus.pool import ArtifactPool
from replica.consensus.signing import Signer, ThresholdKey
from replica.types import Principal


@dataclass(frozen=True, slots=True, kw_only=True)
class HeightInfo:
    """The fixed facts of one height, once its active data and previous beacon are known."""

    height: int
    active: ActiveData
    record: SubnetRecord
    members: tuple[Principal, ...]
    ranks: dict[Principal, int]
    committee: frozenset[Principal]
    notarization_threshold: int


class RoleContext:
    def __init__(
        self,
        *,
        node_id: Principal,
        subnet_id: Principal,
        registry: RegistryClient,
        pool: ArtifactPool,
        chain: ChainState,
        signer: Signer,
    ) -> None:
        self.node_id = node_id
        self.subnet_id = subnet_id
        self.registry = registry
        self.pool = pool
        self.chain = chain
        self.signer = signer
        self.now_ns = 0
        self.certified_height = 0
        self.executed_height = 0
        self.stable_registry_version = 0
        """The newest registry version held for at least the stable age (the block maker's
        choice)."""
        self._heights: dict[int, HeightInfo] = {}
        self._records: dict[int, SubnetRecord | None] = {}

    def get_subnet_record(self, registry_version: int) -> SubnetRecord | None:
        if registry_version not in self._records:
            self._records[registry_version] = self.registry.get_subnet_record(
                self.subnet_id, registry_version
            )
        return self._records[registry_version]

    def get_height_info(self, height: int) -> HeightInfo | None:
        """The facts of `height`, or None while its active data or previous beacon are unknown."""
        info = self._heights.get(height)
        if info is not None:
            return info
        active = self.chain.get_active_data(height)
        beacon = self.chain.beacons.get(height - 1)
        if (
            active is None
            or beacon is None
            or active.registry_version > self.registry.latest_version
        ):
            return None
        record = self.get_subnet_record(active.registry_version)
        if record is None:
            return None
        members = record.membership
        info = HeightInfo(
            height=height,
            active=active,
            record=record,
            members=members,
            ranks=compute_block_maker_ranks(members, beacon),
            committee=compute_notarization_committee(members, beacon),
            notarization_threshold=compute_notarization_threshold(len(members)),
        )
        self._heights[height] = info
        return info

    def get_active(self, height: int) -> ActiveData | None:
        info = self._heights.get(height)
        return info.active if info is not None else self.chain.get_active_data(height)

    def threshold_key(self, transcript: KeyTranscript) -> ThresholdKey:
        return self.signer.threshold_key(transcript)

    def low_key(self, height: int) -> ThresholdKey | None:
        active = self.get_active(height)
        return None if active is None else self.signer.threshold_key(active.low)

    def high_key(self, height: int) -> ThresholdKey | None:
        active = self.get_active(height)
        return None if active is None else self.signer.threshold_key(active.high)

    def purge_below(self, height: int) -> None:
        for old in [h for h in self._heights if h < height]:
            del self._heights[old]
