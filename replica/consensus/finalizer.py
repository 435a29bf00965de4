"""The finalizer: sign a finalization share for a notarized block it alone supported (spec D.1).

For each height between the finalized and the notarized height, a member of
the notarization committee signs a finalization share for a notarized block
b only if it signed no notarization share for any other block at that height.
Since n−f finalization shares need f+1 honest signers who each notarized
only b, no other block at that height can also gather n−f notarization
shares, so a finalized block is the only one of its height for good.
"""

from __future__ import annotations

from replica.consensus.artifacts import (
    Finalization,
    FinalizationShare,
    NotarizationShare,
    finalization_message,
)
from replica.consensus.context import RoleContext
from replica.consensus.pool import AddToValidated, ChangeSet
from replica.consensus.shares import combine_block_shares


def is_finalization_allowed(block_hash: bytes, own_notarization_shares: list[bytes]) -> bool:
    """The finalizer rule: no notarization share of this node for another block at the height."""
    return all(signed == block_hash for signed in own_notarization_shares)


def make_finalizer_changes(ctx: RoleContext) -> ChangeSet:
    chain = ctx.chain
    changes: ChangeSet = []
    for height in range(chain.finalized_height + 1, chain.notarized_height + 1):
        info = ctx.get_height_info(height)
        if info is None:
            break
        own: FinalizationShare | None = None
        if ctx.node_id in info.committee and not any(
            s.signer == ctx.node_id for s in ctx.pool.validated.get(FinalizationShare, height)
        ):
            notarized_by_me = [
                s.block
                for s in ctx.pool.validated.get(NotarizationShare, height)
                if s.signer == ctx.node_id
            ]
            for block in chain.get_notarized(height):
                if is_finalization_allowed(block.id, notarized_by_me):
                    signature = ctx.signer.sign_committee(finalization_message(height, block.id))
                    own = FinalizationShare(
                        height=height, block=block.id, signer=ctx.node_id, signature=signature
                    )
                    changes.append(AddToValidated(artifact=own))
                    break
        changes += combine_finalizations(ctx, height, own)
    return changes


def combine_finalizations(
    ctx: RoleContext, height: int, own: FinalizationShare | None
) -> ChangeSet:
    info = ctx.get_height_info(height)
    if info is None:
        return []
    changes: ChangeSet = []
    candidates = {s.block for s in ctx.pool.unvalidated.get(FinalizationShare, height)}
    if own is not None:
        candidates.add(own.block)
    for block_hash in sorted(candidates):
        if block_hash not in ctx.chain.blocks:
            continue
        result, more = combine_block_shares(
            ctx,
            FinalizationShare,
            info,
            height,
            block_hash,
            () if own is None else (own,),
            finalization_message(height, block_hash),
        )
        changes += more
        if result is not None:
            signers, signature = result
            changes.append(
                AddToValidated(
                    artifact=Finalization(
                        height=height, block=block_hash, signers=signers, signature=signature
                    )
                )
            )
            break
    return changes
