"""The purger: forget what the replica no longer needs.

Shares below the certified (and executed, and finalized) height have done
their work and are dropped every round. Blocks and the other persisted
artifacts are dropped below the latest catch-up package, keeping at least
`MINIMUM_CHAIN_LENGTH` finalized heights (spec D.2, CUTIL), so peers that
lag a little can still fetch them.
"""

from __future__ import annotations

from typing import Final

from replica.consensus.artifacts import (
    BlockProposal,
    CatchUpPackageShare,
    Certification,
    CertificationShare,
    EquivocationProof,
    Finalization,
    FinalizationShare,
    Notarization,
    NotarizationShare,
    RandomBeacon,
    RandomBeaconShare,
    RandomTape,
    RandomTapeShare,
)
from replica.consensus.context import RoleContext
from replica.consensus.pool import ChangeSet, PurgeBelow

MINIMUM_CHAIN_LENGTH: Final = 50
CHAIN_PURGE_STEP: Final = 25
"""Persisted artifacts are purged in steps: each purge rewrites the pool file."""
ROUND_SHARES: Final = (
    NotarizationShare,
    FinalizationShare,
    RandomBeaconShare,
    RandomTapeShare,
    CertificationShare,
)
ROUND_ARTIFACTS: Final = (
    *ROUND_SHARES,
    BlockProposal,
    Notarization,
    Finalization,
    RandomBeacon,
    RandomTape,
    Certification,
    EquivocationProof,
)
PURGED_WITH_SHARES: Final = tuple(kind for kind in ROUND_ARTIFACTS if kind is not RandomBeacon)


def compute_share_purge_height(ctx: RoleContext) -> int:
    return min(ctx.certified_height, ctx.executed_height, ctx.chain.finalized_height) + 1


def compute_chain_purge_height(ctx: RoleContext) -> int:
    return min(ctx.chain.cup.height, ctx.chain.finalized_height - MINIMUM_CHAIN_LENGTH)


def make_purge_changes(
    ctx: RoleContext, share_floor: int, chain_floor: int
) -> tuple[ChangeSet, int, int]:
    """Purge actions, and the new floors (purging only happens when a floor moves)."""
    changes: ChangeSet = []
    shares = compute_share_purge_height(ctx)
    if shares > share_floor:
        changes.append(PurgeBelow(section="validated", height=shares, kinds=ROUND_SHARES))
        changes.append(PurgeBelow(section="unvalidated", height=shares, kinds=PURGED_WITH_SHARES))
        changes.append(
            PurgeBelow(
                section="unvalidated", height=ctx.chain.beacon_height + 1, kinds=(RandomBeacon,)
            )
        )
        for section in ("validated", "unvalidated"):
            changes.append(
                PurgeBelow(
                    section=section, height=ctx.chain.cup.height + 1, kinds=(CatchUpPackageShare,)
                )
            )
        share_floor = shares
    height = compute_chain_purge_height(ctx)
    if height >= chain_floor + CHAIN_PURGE_STEP:
        changes.append(PurgeBelow(section="validated", height=height))
        chain_floor = height
    return changes, share_floor, chain_floor
