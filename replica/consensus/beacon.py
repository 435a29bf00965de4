"""The random beacon and the random tape (low-threshold signatures, spec D.1).

The beacon of height h is the subnet's low-threshold signature on
{h, hash of the beacon of h−1}; it is unpredictable until f+1 committee
members have signed, and it seeds the block-maker ranking of height h+1. A
replica signs its beacon share for h once it has the beacon of h−1 and a
notarized block at h−1.

The random tape of height h is the low-threshold signature on h alone; it is
made once h is finalized and becomes the batch's randomness, so no block
maker can know it when choosing the block's contents.
"""

from __future__ import annotations

from replica.consensus.artifacts import (
    RandomBeacon,
    RandomBeaconShare,
    RandomTape,
    RandomTapeShare,
    beacon_message,
    tape_message,
)
from replica.consensus.context import RoleContext
from replica.consensus.pool import AddToValidated, ChangeSet
from replica.consensus.shares import collect_shares, combine_threshold_shares

TAPE_LOOKAHEAD_HEIGHTS = 8
"""How many finalized heights ahead of execution get tape shares at once."""


def make_beacon_changes(ctx: RoleContext) -> ChangeSet:
    chain = ctx.chain
    height = chain.beacon_height + 1
    if height > chain.notarized_height + 1:
        return []
    previous = chain.beacons.get(height - 1)
    if previous is None:  # cannot happen: `beacon_height` is the top of the complete beacon chain
        return []
    key = ctx.low_key(height)
    if key is None:
        return []
    message = beacon_message(height, previous.id)
    shares = collect_shares(ctx, RandomBeaconShare, height, lambda s: s.parent == previous.id)
    changes: ChangeSet = []
    if ctx.node_id not in shares and key.secret_share is not None:
        signature = key.sign(message)
        if signature is not None:
            own = RandomBeaconShare(
                height=height, parent=previous.id, signer=ctx.node_id, signature=signature
            )
            changes.append(AddToValidated(artifact=own))
            shares[ctx.node_id] = own
    signature, more = combine_threshold_shares(ctx, key, message, shares)
    changes += more
    if signature is not None:
        changes.append(
            AddToValidated(
                artifact=RandomBeacon(height=height, parent=previous.id, signature=signature)
            )
        )
    return changes


def make_tape_changes(ctx: RoleContext) -> ChangeSet:
    chain = ctx.chain
    changes: ChangeSet = []
    start = ctx.executed_height + 1
    for height in range(start, min(chain.finalized_height, start + TAPE_LOOKAHEAD_HEIGHTS) + 1):
        if height in chain.tapes:
            continue
        key = ctx.low_key(height)
        if key is None:
            break
        message = tape_message(height)
        shares = collect_shares(ctx, RandomTapeShare, height, lambda s: True)
        if ctx.node_id not in shares and key.secret_share is not None:
            signature = key.sign(message)
            if signature is not None:
                own = RandomTapeShare(height=height, signer=ctx.node_id, signature=signature)
                changes.append(AddToValidated(artifact=own))
                shares[ctx.node_id] = own
        combined, more = combine_threshold_shares(ctx, key, message, shares)
        changes += more
        if combined is not None:
            changes.append(AddToValidated(artifact=RandomTape(height=height, signature=combined)))
    return changes
