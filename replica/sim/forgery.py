"""A Byzantine replica's forgeries of consensus artifacts, made with its own keys.

A Byzantine node holds what an honest one holds: its own secret keys and its
encrypted shares of the genesis threshold keys (which it decrypts), so it can do
exactly what a real attacker holding them could: sign a second, different block for a height it makes a block for (the
block is the honest one with its time moved by one nanosecond, so it is still
well formed), damage the bytes of a share, produce a correct signature of
its own over a different message than the share claims, or deal some
receivers a wrong share: it re-encrypts, under its dealing's own ephemeral key
(it knows its dealing seed), a random scalar for f + 1 receivers, keeps the
commitments and the other receivers' ciphertexts, and signs the result.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Final

from registry.client import RegistryClient
from registry.records import KeyPurpose
from replica.consensus.artifacts import (
    Block,
    BlockProposal,
    CatchUpPackageShare,
    CertificationShare,
    DealingArtifact,
    DealingSupportShare,
    FinalizationShare,
    NotarizationShare,
    RandomBeaconShare,
    RandomTapeShare,
    SignedDealing,
    ValidationContext,
    certification_message,
    compute_dealing_hash,
    dealing_message,
    dealing_support_message,
    finalization_message,
    notarization_message,
    proposal_message,
    tape_message,
)
from replica.consensus.dealings import compute_dealing_seed, compute_dkg_seed, decode_dealing
from replica.crypto import bls, dkg, threshold
from replica.crypto.errors import CryptoError
from replica.crypto.initial_shares import NodeInitialShares, decrypt_initial_share
from replica.crypto.keys import NodeSecretKeys
from replica.types import Principal

SHARE_TYPES: Final = (
    NotarizationShare,
    FinalizationShare,
    RandomBeaconShare,
    RandomTapeShare,
    CertificationShare,
    CatchUpPackageShare,
    DealingSupportShare,
)

_OTHER: Final = b"\xff" * 32


class ConsensusForger:
    """Forgeries by one node, `keys`, of subnet `subnet_id`, with its genesis shares `initial_shares`."""

    def __init__(
        self, keys: NodeSecretKeys, initial_shares: NodeInitialShares | None,
        registry: RegistryClient | None = None, subnet_id: Principal | None = None,
    ) -> None:
        self.keys = keys
        self.registry = registry
        self.subnet_id = subnet_id
        self.equivocations = 0
        self.broken_shares = 0
        self.bad_dealings = 0
        # The genesis threshold shares: valid signatures of this node until the keys change.
        self.low_share = self._initial_share(initial_shares, "low")
        self.high_share = self._initial_share(initial_shares, "high")

    def _initial_share(self, shares: NodeInitialShares | None, tag: dkg.DkgTag) -> int:
        """This node's genesis share of a key (its committee secret if it holds none: a share
        that signs, but not validly)."""
        if shares is None or self.subnet_id is None:
            return self.keys.committee_secret
        dkg_id = dkg.DkgId(subnet_id=self.subnet_id, start_height=0, tag=tag)
        try:
            return decrypt_initial_share(shares, dkg_id, 0, self.keys.dealing_private_key)
        except CryptoError:
            return self.keys.committee_secret

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

    def is_own_dealing(self, artifact: object) -> bool:
        return isinstance(artifact, DealingArtifact) and artifact.signed.dealer == self.keys.node_id

    def bad_dealing(self, artifact: object, *, few: bool = False) -> object:
        """The node's dealing with a wrong share encrypted for f + 1 of its receivers (not itself),
        or for only f of them if `few`."""
        if not isinstance(artifact, DealingArtifact) or self.registry is None or self.subnet_id is None:
            return artifact
        dealing = decode_dealing(artifact.signed.dealing)
        if dealing is None:
            return artifact
        version = self.registry.latest_version
        receivers = self.registry.get_subnet_members(self.subnet_id, version)
        if len(receivers) != len(dealing.encrypted_shares):
            return artifact
        f = (len(receivers) - 1) // 3
        targets = sorted(
            (r for r in receivers if r != self.keys.node_id),
            key=lambda r: hashlib.sha256(r.raw + artifact.signed.dealing).digest(),
        )[: f if few else f + 1]
        ephemeral = dkg.derive_ephemeral_private_key(
            compute_dkg_seed(compute_dealing_seed(self.keys)), dealing.dkg_id, dealing.dealer)
        shares = list(dealing.encrypted_shares)
        try:
            for receiver in targets:
                key = self.registry.get_node_public_key(receiver, KeyPurpose.DKG_DEALING_ENCRYPTION, version)
                if key is None:
                    return artifact
                wrong = int.from_bytes(hashlib.sha512(b"wrong" + receiver.raw + artifact.signed.dealing).digest(), "big")
                shares[receivers.index(receiver)] = dkg.encrypt_share(
                    dkg_id=dealing.dkg_id, dealer=dealing.dealer, receiver=receiver, receiver_public_key=key,
                    ephemeral_private_key=ephemeral, share=wrong % bls.CURVE_ORDER,
                )
        except CryptoError:
            return artifact
        data = replace(dealing, encrypted_shares=tuple(shares)).to_bytes()
        self.bad_dealings += 1
        signed = SignedDealing(dealer=dealing.dealer, dealing=data, signature=self.keys.sign(dealing_message(data)))
        return DealingArtifact(height=artifact.height, tag=artifact.tag, signed=signed)

    def support_of(self, artifact: object) -> object | None:
        """This node's support share of a dealing it sends, whatever the shares in it."""
        if not isinstance(artifact, DealingArtifact) or self.subnet_id is None:
            return None
        dealing = decode_dealing(artifact.signed.dealing)
        if dealing is None:
            return None
        dealing_hash = compute_dealing_hash(artifact.signed.dealing)
        message = dealing_support_message(self.subnet_id, dealing.dkg_id.start_height, dealing.dkg_id.tag, dealing_hash)
        return DealingSupportShare(
            height=dealing.dkg_id.start_height, tag=dealing.dkg_id.tag, dealer=dealing.dealer,
            dealing_hash=dealing_hash, signer=self.keys.node_id, signature=self.keys.sign_committee(message),
        )
