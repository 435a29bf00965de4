"""A Byzantine replica's forgeries of consensus artifacts, made with its own keys.

The simulator knows every node's secret keys (they derive from the network
seed), so a Byzantine node can do exactly what a real attacker holding them
could: sign a second, different block for a height it makes a block for (the
block is the honest one with its time moved by one nanosecond, so it is still
well formed), damage the bytes of a share, or produce a correct signature of
its own over a different message than the share claims.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from registry.dkg import SeededInitialDkg
from replica.consensus.artifacts import (
    Block,
    BlockProposal,
    CatchUpPackageShare,
    CertificationShare,
    FinalizationShare,
    NotarizationShare,
    RandomBeaconShare,
    RandomTapeShare,
    ValidationContext,
    certification_message,
    finalization_message,
    notarization_message,
    proposal_message,
    tape_message,
)
from replica.crypto import threshold
from replica.crypto.keys import NodeSecretKeys
from replica.types import Principal

SHARE_TYPES: Final = (
    NotarizationShare,
    FinalizationShare,
    RandomBeaconShare,
    RandomTapeShare,
    CertificationShare,
    CatchUpPackageShare,
)

_OTHER: Final = b"\xff" * 32


class ConsensusForger:
    """Forgeries by one node, `keys`, of the subnet whose genesis members are `members`."""

    def __init__(self, keys: NodeSecretKeys, network_seed: bytes, members: tuple[Principal, ...]) -> None:
        self.keys = keys
        self.members = members
        self.equivocations = 0
        self.broken_shares = 0
        dkg = SeededInitialDkg(network_seed)
        n = len(members)
        f = (n - 1) // 3
        index = members.index(keys.node_id) if keys.node_id in members else 0
        # The genesis threshold shares: valid signatures of this node until the keys change.
        self.low_share = dkg.secret_share("low", members, 0, f + 1, index)
        self.high_share = dkg.secret_share("high", members, 0, n - f, index)

    def is_share(self, artifact: object) -> bool:
        return isinstance(artifact, SHARE_TYPES)

    def is_block_proposal(self, artifact: object) -> bool:
        return isinstance(artifact, BlockProposal) and artifact.signer == self.keys.node_id

    def corrupt_share(self, artifact: object) -> object:
        if not isinstance(artifact, SHARE_TYPES):
            return artifact
        self.broken_shares += 1
        damaged = bytes([artifact.signature[0] ^ 0x01]) + artifact.signature[1:] if artifact.signature else b"\x00"
        return replace(artifact, signature=damaged)

    def share_over_other_message(self, artifact: object) -> object:
        self.broken_shares += 1
        if isinstance(artifact, NotarizationShare):
            return replace(artifact, signature=self.keys.sign_committee(notarization_message(artifact.height, _OTHER)))
        if isinstance(artifact, FinalizationShare):
            return replace(artifact, signature=self.keys.sign_committee(finalization_message(artifact.height, _OTHER)))
        if isinstance(artifact, RandomBeaconShare | RandomTapeShare):
            message = tape_message(artifact.height + 1_000_000)
            return replace(artifact, signature=threshold.sign_share(self.low_share, message))
        if isinstance(artifact, CertificationShare | CatchUpPackageShare):
            return replace(artifact, signature=threshold.sign_share(self.high_share, certification_message(_OTHER)))
        return artifact

    def equivocate(self, proposal: object) -> object | None:
        if not isinstance(proposal, BlockProposal) or proposal.signer != self.keys.node_id:
            return None
        block = proposal.block
        if block.is_summary:
            return None
        context = block.context
        other = Block(
            version=block.version,
            parent=block.parent,
            height=block.height,
            rank=block.rank,
            context=ValidationContext(
                registry_version=context.registry_version,
                certified_height=context.certified_height,
                time_ns=context.time_ns + 1,
            ),
            payload=block.payload,
        )
        self.equivocations += 1
        return BlockProposal(block=other, signer=proposal.signer, signature=self.keys.sign(proposal_message(other.id)))
