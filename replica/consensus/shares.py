"""Collecting signature shares and combining them into one signature.

Shares from peers wait in the unvalidated section; they are not checked one
by one. Once enough shares on the same message are present, they are
combined and the combination is verified once. Only when that fails is each
share checked, and the bad ones are dropped as invalid. A replica's own
shares sit in the validated section (and were broadcast).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

from replica.consensus.context import HeightInfo, RoleContext
from replica.consensus.pool import ChangeSet, HandleInvalid, RemoveFromUnvalidated
from replica.consensus.signing import ThresholdKey
from replica.types import Principal


class Share(Protocol):
    @property
    def height(self) -> int: ...
    @property
    def signer(self) -> Principal: ...
    @property
    def signature(self) -> bytes: ...
    @property
    def id(self) -> bytes: ...


S = TypeVar("S", bound=Share)


class BlockShare(Share, Protocol):
    @property
    def block(self) -> bytes: ...


B = TypeVar("B", bound=BlockShare)


def collect_shares(
    ctx: RoleContext, kind: type[S], height: int, matches: Callable[[S], bool]
) -> dict[Principal, S]:
    """One share per signer (own validated shares first) whose content matches."""
    out: dict[Principal, S] = {}
    for share in ctx.pool.validated.get(kind, height):  # type: ignore[type-var]
        if matches(share):
            out.setdefault(share.signer, share)
    for share in ctx.pool.unvalidated.get(kind, height):  # type: ignore[type-var]
        if matches(share):
            out.setdefault(share.signer, share)
    return out


def consume(ctx: RoleContext, shares: dict[Principal, S]) -> ChangeSet:
    """Remove used peer shares from the unvalidated section."""
    return [
        RemoveFromUnvalidated(artifact=s)  # type: ignore[arg-type]
        for s in shares.values()
        if s.id in ctx.pool.unvalidated
    ]


def combine_threshold_shares(
    ctx: RoleContext, key: ThresholdKey, message: bytes, shares: dict[Principal, S]
) -> tuple[bytes | None, ChangeSet]:
    """The group signature, or the invalid shares to drop."""
    members = {signer: share for signer, share in shares.items() if signer in key.index_of}
    if len(members) < key.threshold:
        return None, []
    signature = key.combine(message, {signer: share.signature for signer, share in members.items()})
    if signature is not None:
        return signature, consume(ctx, shares)
    bad: ChangeSet = [
        HandleInvalid(artifact=share, reason="invalid threshold signature share")  # type: ignore[arg-type]
        for signer, share in members.items()
        if share.id in ctx.pool.unvalidated
        and not key.verify_share(signer, message, share.signature)
    ]
    return None, bad


def combine_committee_shares(
    ctx: RoleContext,
    shares: dict[Principal, S],
    committee: frozenset[Principal],
    registry_version: int,
    message: bytes,
    needed: int,
) -> tuple[tuple[tuple[Principal, ...], bytes] | None, ChangeSet]:
    """(signers, multi-signature) of `needed` committee shares, or the invalid shares to drop."""
    members = {signer: share for signer, share in shares.items() if signer in committee}
    if len(members) < needed:
        return None, []
    result = ctx.signer.combine_committee_shares(
        {signer: share.signature for signer, share in members.items()},
        registry_version,
        message,
        needed,
    )
    if isinstance(result, tuple):
        return result, consume(ctx, shares)
    bad: ChangeSet = [
        HandleInvalid(artifact=members[signer], reason="invalid multi-signature share")  # type: ignore[arg-type]
        for signer in result
        if members[signer].id in ctx.pool.unvalidated
    ]
    return None, bad


def combine_block_shares(
    ctx: RoleContext,
    kind: type[B],
    info: HeightInfo,
    height: int,
    block_hash: bytes,
    own: Iterable[object],
    message: bytes,
) -> tuple[tuple[tuple[Principal, ...], bytes] | None, ChangeSet]:
    """The n − f committee multi-signature on one block from shares of `kind`.

    Notarization and finalization alike: the pool's shares on the block, plus
    the replica's own shares of this step that the pool does not hold yet.
    """
    shares = collect_shares(ctx, kind, height, lambda share: share.block == block_hash)
    for share in own:
        if isinstance(share, kind) and share.block == block_hash:
            shares.setdefault(share.signer, share)
    return combine_committee_shares(
        ctx,
        shares,
        info.committee,
        info.active.registry_version,
        message,
        info.notarization_threshold,
    )
