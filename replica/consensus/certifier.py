"""Certification: the subnet signs the state it computed at every height (spec E).

After executing height h, each member of the high-threshold committee signs
the root hash of h's certified state tree (the message is the certificate's:
`\\x0dic-state-root` followed by the root). n−f shares on the same root make
the certification, which the state manager keeps: it is what proves a
response or a canister's certified data to a user, and what lets the next
blocks name h as certified.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from replica.consensus.artifacts import Certification, CertificationShare, certification_message
from replica.consensus.context import RoleContext
from replica.consensus.pool import AddToValidated, ChangeSet
from replica.consensus.shares import collect_shares, combine_threshold_shares

CERTIFICATION_WINDOW: Final = 16
"""How many executed heights above the certified height are worked on at once."""


def make_certification_changes(
    ctx: RoleContext, get_root_hash: Callable[[int], bytes | None]
) -> ChangeSet:
    changes: ChangeSet = []
    chain = ctx.chain
    worked_on = 0
    # Heights without a root hash here (below the checkpoint a restarted replica resumed from,
    # when the subnet restarted before certifying them) are skipped, not waited for.
    for height in range(ctx.certified_height + 1, ctx.executed_height + 1):
        if worked_on >= CERTIFICATION_WINDOW:
            break
        if height in chain.certifications:
            continue
        root = get_root_hash(height)
        key = ctx.high_key(height)
        if root is None or key is None:
            continue
        worked_on += 1
        message = certification_message(root)
        shares = collect_shares(ctx, CertificationShare, height, lambda s, r=root: s.root_hash == r)  # type: ignore[misc]
        if ctx.node_id not in shares and key.secret_share is not None:
            signature = key.sign(message)
            if signature is not None:
                own = CertificationShare(
                    height=height, root_hash=root, signer=ctx.node_id, signature=signature
                )
                changes.append(AddToValidated(artifact=own))
                shares[ctx.node_id] = own
        combined, more = combine_threshold_shares(ctx, key, message, shares)
        changes += more
        if combined is not None:
            changes.append(
                AddToValidated(
                    artifact=Certification(height=height, root_hash=root, signature=combined)
                )
            )
    return changes
