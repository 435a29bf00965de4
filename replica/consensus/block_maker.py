"""The block maker: propose a block on a notarized parent when the rank's delay has passed (spec
D.1, D.2).

At height h = notarized height + 1 the node of rank r (ranks 0..f come from
the beacon of h−1) proposes once `now >= round_start + unit_delay · r`,
unless it already proposed at h or a valid proposal of a lower rank is in
its pool. The block extends the lowest-ranked notarized block of h−1. Its
validation context never goes below the parent's: the registry version is
the newest *stable* one the node has (held for at least the configured age,
spec D.3 (1), so its peers have most likely seen it too), the certified height
its own, the time its clock (strictly after the parent's).

The payload is a DKG summary at the summary heights and otherwise ingress
messages from the node's ingress pool that are not on the chain yet, within
the subnet record's per-block limits, DKG dealings with their support
proofs (see `dealings`), and the result of a remote DKG as soon as the dealings
on chain make it (`remote_dkg.compute_early_remote_results`). A halted subnet makes
no blocks until the registry says otherwise (`is_halted` at once,
`halt_at_cup_height` from the next summary block on). A replica running another version than its
interval's (an
upgrade is due, spec D.8) makes empty blocks: the CUP of the interval's
summary hands the chain over to the new version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from replica.consensus.artifacts import (
    Block,
    BlockProposal,
    DataPayload,
    DealingSupport,
    DkgSummary,
    RemoteDkgResult,
    SignedDealing,
    ValidationContext,
)
from replica.consensus.context import RoleContext
from replica.consensus.notary import NANOS_PER_MILLISECOND
from replica.consensus.pool import AddToValidated, ChangeSet
from replica.consensus.signing import sign_proposal
from replica.crypto.keys import NodeSecretKeys
from replica.execution.messages import IngressMessage

MAX_INGRESS_TTL_NS: Final = 5 * 60 * 1_000_000_000

SummaryMaker = Callable[[Block, int, ValidationContext], DkgSummary | None]
DealingsMaker = Callable[[Block, int], tuple[tuple[SignedDealing, ...], tuple[DealingSupport, ...]]]
"""The dealings a block on `parent` at a height carries, with their support proofs."""
RemoteResultsMaker = Callable[[Block, ValidationContext], tuple[RemoteDkgResult, ...] | None]
"""The remote DKG results finished early that a data block on `parent` carries (None: not known
yet, so none)."""


def compute_block_maker_delay_ns(rank: int, unit_delay_ms: int) -> int:
    return rank * unit_delay_ms * NANOS_PER_MILLISECOND


def get_parent(ctx: RoleContext, height: int) -> Block | None:
    """The lowest-ranked notarized block of `height − 1` (ties broken by hash)."""
    candidates = ctx.chain.get_notarized(height - 1)
    if not candidates:
        return None
    return min(candidates, key=lambda block: (block.rank, block.id))


def get_ingress_on_chain(ctx: RoleContext, parent: Block) -> set[bytes]:
    """Message ids in the blocks above the executed height, up to `parent`."""
    seen: set[bytes] = set()
    for block in ctx.chain.iterate_chain(parent, ctx.executed_height):
        if isinstance(block.payload, DataPayload):
            seen.update(message.message_id for message in block.payload.ingress)
    return seen


IngressAuthenticator = Callable[[IngressMessage, int], str | None]
"""Why an ingress message's envelope does not show its sender asked for it at a time, or None
(`replica.consensus.instance.NodeConfig.authenticate_ingress`)."""


def is_ingress_includable(message: IngressMessage, time_ns: int) -> bool:
    return time_ns <= message.ingress_expiry_ns <= time_ns + MAX_INGRESS_TTL_NS


def select_ingress(
    ctx: RoleContext,
    parent: Block,
    time_ns: int,
    ingress_pool: Mapping[bytes, IngressMessage],
    is_known: Callable[[bytes], bool],
    max_messages: int,
    max_bytes: int,
    authenticate: IngressAuthenticator | None = None,
) -> tuple[IngressMessage, ...]:
    """Pooled messages a block on `parent` at `time_ns` may carry, in arrival order, within the
    limits. With `authenticate`, each is checked at the block's time as its validators will
    (a sender's delegation may have ended since the message arrived), as the IC's payload
    builder runs `validate_ingress` on every message it selects."""
    on_chain = get_ingress_on_chain(ctx, parent)
    chosen: list[IngressMessage] = []
    size = 0
    for message_id, message in ingress_pool.items():
        if len(chosen) >= max_messages:
            break
        if (
            message_id in on_chain
            or is_known(message_id)
            or not is_ingress_includable(message, time_ns)
        ):
            continue
        message_size = message.size_bytes
        if size + message_size > max_bytes:
            continue
        if authenticate is not None and authenticate(message, time_ns) is not None:
            continue
        chosen.append(message)
        size += message_size
    return tuple(chosen)


def is_halted(ctx: RoleContext, parent: Block) -> bool:
    """Whether the subnet makes no more blocks on `parent` (spec D.7).

    `is_halted` in the newest subnet record halts at once; `halt_at_cup_height`
    halts after the first summary block whose context already saw it (so the
    subnet stops at that summary's CUP), for as long as the newest record says so.
    """
    record = ctx.get_subnet_record(ctx.registry.latest_version)
    if record is None or record.is_halted:
        return record is not None
    if not record.halt_at_cup_height:
        return False
    summary = ctx.chain.get_last_summary_of(parent)
    seen = None if summary is None else ctx.get_subnet_record(summary.context.registry_version)
    return seen is not None and seen.halt_at_cup_height


def make_block_changes(
    ctx: RoleContext,
    keys: NodeSecretKeys,
    *,
    ingress_pool: Mapping[bytes, IngressMessage],
    is_ingress_known: Callable[[bytes], bool],
    make_summary: SummaryMaker,
    make_dealings: DealingsMaker,
    make_remote_results: RemoteResultsMaker | None = None,
    replica_version: str | None = None,
    idle_delay_ns: int = 0,
    authenticate_ingress: IngressAuthenticator | None = None,
) -> tuple[ChangeSet, int | None]:
    """The node's block proposal for the next height when its turn has come.

    `idle_delay_ns` (0 on the IC) holds back a block that would carry nothing: while no
    ingress is includable and no dealing is due, every rank waits that much longer, so an
    idle subnet makes fewer rounds; the first includable message (which makes the node
    run its roles again) lets the block be made at once.
    """
    chain = ctx.chain
    height = chain.notarized_height + 1
    info = ctx.get_height_info(height)
    start = chain.round_start_ns.get(height)
    if info is None or start is None:
        return [], None
    rank = info.ranks.get(ctx.node_id)
    if rank is None:
        return [], None
    disqualified = chain.disqualified.get(height, set())
    for proposal in ctx.pool.validated.get(BlockProposal, height):
        if proposal.signer == ctx.node_id:
            return [], None
        if proposal.rank < rank and proposal.signer not in disqualified:
            return [], None
    ready_at = start + compute_block_maker_delay_ns(rank, info.record.unit_delay_millis)
    if ctx.now_ns < ready_at:
        return [], ready_at
    parent = get_parent(ctx, height)
    if parent is None or is_halted(ctx, parent):
        return [], None
    context = ValidationContext(
        registry_version=max(parent.context.registry_version, ctx.stable_registry_version),
        certified_height=max(
            parent.context.certified_height, min(ctx.certified_height, parent.height)
        ),
        time_ns=max(ctx.now_ns, parent.context.time_ns + 1),
    )
    is_summary = chain.is_summary_height(height)
    payload: DataPayload | DkgSummary | None
    if is_summary is None:
        return [], None
    if is_summary:
        payload = make_summary(parent, height, context)
    elif replica_version is not None and replica_version != info.record.replica_version_id:
        # An upgrade is due (spec D.8): the old version makes empty blocks until the CUP hands over.
        payload = DataPayload()
    else:
        dealings, supports = make_dealings(parent, height)
        payload = DataPayload(
            ingress=select_ingress(
                ctx,
                parent,
                context.time_ns,
                ingress_pool,
                is_ingress_known,
                info.record.max_ingress_messages_per_block,
                info.record.max_block_payload_size,
                authenticate_ingress,
            ),
            dealings=dealings,
            supports=supports,
            remote_results=(
                (make_remote_results(parent, context) or ()) if make_remote_results else ()
            ),
        )
        idle_until = ready_at + idle_delay_ns
        if (
            ctx.now_ns < idle_until
            and not payload.ingress
            and not payload.dealings
            and not payload.supports
            and not payload.remote_results
        ):
            return [], idle_until
    if payload is None:
        return [], None
    block = Block(
        version=info.record.replica_version_id,
        parent=parent.id,
        height=height,
        rank=rank,
        context=context,
        payload=payload,
    )
    return [AddToValidated(artifact=sign_proposal(keys, block))], None
