"""The notary: support the best block of the next height, after a rank-based delay (spec D.1, D.2).

At height h = notarized height + 1 a member of the notarization committee
looks at the lowest-ranked valid proposals from makers not disqualified for
equivocation, and signs a notarization share for each once its notary delay
has passed. It never signs a block of a higher rank than one it has already
signed at that height. n−f shares on one block make its notarization.

The delay of a rank-r block is `initial_notary_delay + unit_delay · r ·
1.5^(notarized − finalized)`, plus `unit_delay · max(0, finalized −
certified − 3)` when certification lags; no block is notarized while the
notarized height is 70 or more ahead of the certified height or of the next
CUP height.
"""

from __future__ import annotations

from typing import Final

from replica.consensus.artifacts import (
    Block,
    BlockProposal,
    Notarization,
    NotarizationShare,
    notarization_message,
)
from replica.consensus.context import RoleContext
from replica.consensus.pool import AddToValidated, ChangeSet
from replica.consensus.shares import combine_block_shares

NANOS_PER_MILLISECOND: Final = 1_000_000
ACCEPTABLE_FINALIZATION_CERTIFICATION_GAP: Final = 3
ACCEPTABLE_NOTARIZATION_CERTIFICATION_GAP: Final = 70
ACCEPTABLE_NOTARIZATION_CUP_GAP: Final = 70


def compute_notary_delay_ns(
    *,
    rank: int,
    unit_delay_ms: int,
    initial_notary_delay_ms: int,
    notarized_height: int,
    finalized_height: int,
    certified_height: int,
    next_cup_height: int,
) -> int | None:
    """The notary delay of a rank-`rank` block, or None at a hard stop (spec D.2)."""
    if notarized_height - certified_height >= ACCEPTABLE_NOTARIZATION_CERTIFICATION_GAP:
        return None
    if notarized_height - next_cup_height >= ACCEPTABLE_NOTARIZATION_CUP_GAP:
        return None
    unit_ns = unit_delay_ms * NANOS_PER_MILLISECOND
    backlog = max(0, notarized_height - finalized_height)
    # 1.5^k in integers: unit · rank · 3^k / 2^k.
    ranked: int = unit_ns * rank * 3**backlog // 2**backlog
    lag = max(0, finalized_height - certified_height - ACCEPTABLE_FINALIZATION_CERTIFICATION_GAP)
    return initial_notary_delay_ms * NANOS_PER_MILLISECOND + ranked + unit_ns * lag


def get_next_cup_height(ctx: RoleContext) -> int:
    return ctx.chain.cup.content.block.summary.next_summary_height


def get_lowest_ranked_proposals(ctx: RoleContext, height: int) -> list[Block]:
    """The valid blocks of the lowest rank at `height` from makers not disqualified (CUTIL)."""
    disqualified = ctx.chain.disqualified.get(height, set())
    best: list[Block] = []
    for proposal in ctx.pool.validated.get(BlockProposal, height):
        if proposal.signer in disqualified:
            continue
        if not best or proposal.rank < best[0].rank:
            best = [proposal.block]
        elif proposal.rank == best[0].rank:
            best.append(proposal.block)
    return best


def get_notary_delay_ns(ctx: RoleContext, height: int, rank: int) -> int | None:
    info = ctx.get_height_info(height)
    if info is None:
        return None
    chain = ctx.chain
    return compute_notary_delay_ns(
        rank=rank,
        unit_delay_ms=info.record.unit_delay_millis,
        initial_notary_delay_ms=info.record.initial_notary_delay_millis,
        notarized_height=chain.notarized_height,
        finalized_height=chain.finalized_height,
        certified_height=ctx.certified_height,
        next_cup_height=get_next_cup_height(ctx),
    )


def make_notary_changes(ctx: RoleContext) -> tuple[ChangeSet, int | None]:
    """Notarization shares to sign and notarizations to combine; and when to look again."""
    chain = ctx.chain
    height = chain.notarized_height + 1
    info = ctx.get_height_info(height)
    start = chain.round_start_ns.get(height)
    if info is None or start is None:
        return [], None
    changes: ChangeSet = []
    wake: int | None = None
    best = get_lowest_ranked_proposals(ctx, height)
    if ctx.node_id in info.committee and best:
        delay = get_notary_delay_ns(ctx, height, best[0].rank)
        signed = {
            s.block: s
            for s in ctx.pool.validated.get(NotarizationShare, height)
            if s.signer == ctx.node_id
        }
        # A block of a maker disqualified for equivocation no longer holds the notary back.
        disqualified = chain.disqualified.get(height, set())
        makers = {p.block.id: p.signer for p in ctx.pool.validated.get(BlockProposal, height)}
        signed_ranks = [
            chain.blocks[b].rank
            for b in signed
            if b in chain.blocks and makers.get(b) not in disqualified
        ]
        if delay is not None and (not signed_ranks or best[0].rank <= min(signed_ranks)):
            if ctx.now_ns >= start + delay:
                for block in best:
                    if block.id not in signed:
                        signature = ctx.signer.sign_committee(
                            notarization_message(height, block.id)
                        )
                        changes.append(
                            AddToValidated(
                                artifact=NotarizationShare(
                                    height=height,
                                    block=block.id,
                                    signer=ctx.node_id,
                                    signature=signature,
                                )
                            )
                        )
            else:
                wake = start + delay
    changes += combine_notarizations(
        ctx, height, [c.artifact for c in changes if isinstance(c, AddToValidated)]
    )
    return changes, wake


def combine_notarizations(ctx: RoleContext, height: int, own: list[object]) -> ChangeSet:
    info = ctx.get_height_info(height)
    if info is None:
        return []
    changes: ChangeSet = []
    candidates = {s.block for s in ctx.pool.unvalidated.get(NotarizationShare, height)}
    candidates |= {s.block for s in own if isinstance(s, NotarizationShare)}
    for block_hash in sorted(candidates):
        if block_hash not in ctx.chain.blocks or ctx.chain.is_notarized(block_hash, height):
            continue
        result, more = combine_block_shares(
            ctx,
            NotarizationShare,
            info,
            height,
            block_hash,
            own,
            notarization_message(height, block_hash),
        )
        changes += more
        if result is not None:
            signers, signature = result
            changes.append(
                AddToValidated(
                    artifact=Notarization(
                        height=height, block=block_hash, signers=signers, signature=signature
                    )
                )
            )
    return changes
