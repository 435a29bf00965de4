"""How a replica signs consensus artifacts and checks other replicas' signatures.

Three kinds of keys are in play (spec D.1): the node signing key (Ed25519,
block proposals), the committee signing key (BLS multi-signatures,
notarization and finalization) and the subnet's threshold keys (low
threshold: beacon and tape; high threshold: certification and catch-up
packages). Public keys come from the registry at the registry version of the
height and from the transcripts of the summary blocks; both are cached here,
and combined signatures are verified once: individual shares are only
checked when a combination fails, to find the bad ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from registry.client import RegistryClient
from registry.records import KeyPurpose
from replica.consensus.artifacts import Block, BlockProposal, KeyTranscript, proposal_message
from replica.crypto import bls, multisig, threshold
from replica.crypto.errors import CryptoError
from replica.crypto.keys import NodeSecretKeys, verify_node_signature
from replica.types import Principal

SecretShareSource = Callable[[KeyTranscript], int | None]
"""Gives this node's secret share of a transcript (None if it holds none)."""


def sign_proposal(keys: NodeSecretKeys, block: Block) -> BlockProposal:
    """The maker's Ed25519 signature on the block's hash."""
    return BlockProposal(
        block=block, signer=keys.node_id, signature=keys.sign(proposal_message(block.id))
    )


@dataclass(slots=True)
class ThresholdKey:
    """One transcript as a signing key: its public coefficients and this node's share."""

    transcript: KeyTranscript
    coefficients: threshold.PublicCoefficients
    index_of: dict[Principal, int]
    secret_share: int | None

    @property
    def threshold(self) -> int:
        return self.transcript.threshold

    @property
    def public_key(self) -> bytes:
        return self.transcript.public_key

    def sign(self, message: bytes) -> bytes | None:
        return (
            None if self.secret_share is None else threshold.sign_share(self.secret_share, message)
        )

    def verify(self, message: bytes, signature: bytes) -> bool:
        return bls.verify(self.public_key, message, signature)

    def verify_share(self, signer: Principal, message: bytes, signature: bytes) -> bool:
        index = self.index_of.get(signer)
        return index is not None and threshold.verify_share(
            self.coefficients, index, message, signature
        )

    def combine(self, message: bytes, shares: Mapping[Principal, bytes]) -> bytes | None:
        """The group signature from the shares of committee members, verified once."""
        indexed = {
            self.index_of[signer]: sig for signer, sig in shares.items() if signer in self.index_of
        }
        if len(indexed) < self.threshold:
            return None
        return threshold.combine_and_verify(self.coefficients, message, indexed)


class Signer:
    """The signing keys of this node and the verification keys of its peers."""

    def __init__(
        self, keys: NodeSecretKeys, registry: RegistryClient, secret_shares: SecretShareSource
    ) -> None:
        self.keys = keys
        self.node_id = keys.node_id
        self.registry = registry
        self._secret_shares = secret_shares
        self._threshold_keys: dict[tuple[str, int, int, bytes], ThresholdKey] = {}
        self._committee_keys: dict[tuple[Principal, int], bytes | None] = {}
        self._signing_keys: dict[tuple[Principal, int], bytes | None] = {}

    # -- threshold keys -------------------------------------------------------------------

    def threshold_key(self, transcript: KeyTranscript) -> ThresholdKey:
        cache_key = (*transcript.key_id, transcript.public_key)
        key = self._threshold_keys.get(cache_key)
        if key is None:
            share = (
                self._secret_shares(transcript) if self.node_id in transcript.committee else None
            )
            key = ThresholdKey(
                transcript=transcript,
                coefficients=threshold.PublicCoefficients(commitments=transcript.commitments),
                index_of={node: index for index, node in enumerate(transcript.committee)},
                secret_share=share,
            )
            self._threshold_keys[cache_key] = key
        return key

    def forget_threshold_keys(self, keep: Callable[[KeyTranscript], bool]) -> None:
        self._threshold_keys = {k: v for k, v in self._threshold_keys.items() if keep(v.transcript)}

    # -- committee multi-signatures -------------------------------------------------------

    def committee_key(self, node: Principal, registry_version: int) -> bytes | None:
        cache_key = (node, registry_version)
        if cache_key not in self._committee_keys:
            self._committee_keys[cache_key] = self.registry.get_node_public_key(
                node, KeyPurpose.COMMITTEE_SIGNING, registry_version
            )
        return self._committee_keys[cache_key]

    def sign_committee(self, message: bytes) -> bytes:
        return self.keys.sign_committee(message)

    def verify_committee_share(
        self, signer: Principal, registry_version: int, message: bytes, signature: bytes
    ) -> bool:
        key = self.committee_key(signer, registry_version)
        return key is not None and multisig.verify_individual(key, message, signature)

    def verify_multisignature(
        self,
        signers: tuple[Principal, ...],
        registry_version: int,
        message: bytes,
        signature: bytes,
    ) -> bool:
        keys = [self.committee_key(signer, registry_version) for signer in signers]
        if any(key is None for key in keys):
            return False
        return multisig.verify_aggregate([k for k in keys if k is not None], message, signature)

    def combine_committee_shares(
        self, shares: Mapping[Principal, bytes], registry_version: int, message: bytes, needed: int
    ) -> tuple[tuple[Principal, ...], bytes] | list[Principal]:
        """(signers, multi-signature) of `needed` shares, or the signers whose shares are bad.

        The aggregate of the lowest `needed` signers is verified once; only if
        it fails is each share checked.
        """
        signers = tuple(sorted(shares)[:needed])
        try:
            aggregate = multisig.aggregate([shares[s] for s in signers])
        except CryptoError:  # a malformed share: find it below
            aggregate = b""
        if aggregate and self.verify_multisignature(signers, registry_version, message, aggregate):
            return signers, aggregate
        bad = [
            s
            for s, sig in shares.items()
            if not self.verify_committee_share(s, registry_version, message, sig)
        ]
        good = {s: sig for s, sig in shares.items() if s not in bad}
        if bad and len(good) >= needed:
            result = self.combine_committee_shares(good, registry_version, message, needed)
            if isinstance(result, tuple):
                return result
        return bad

    # -- node signatures ------------------------------------------------------------------

    def signing_key(self, node: Principal, registry_version: int) -> bytes | None:
        cache_key = (node, registry_version)
        if cache_key not in self._signing_keys:
            self._signing_keys[cache_key] = self.registry.get_node_public_key(
                node, KeyPurpose.NODE_SIGNING, registry_version
            )
        return self._signing_keys[cache_key]

    def verify_proposal(self, proposal: BlockProposal, registry_version: int) -> bool:
        key = self.signing_key(proposal.signer, registry_version)
        return key is not None and verify_node_signature(
            key, proposal_message(proposal.block.id), proposal.signature
        )
