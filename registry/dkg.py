"""The initial DKG a new (or recovered) subnet needs.

The registry asks the NNS subnet's management canister to run a remote DKG
for the chosen nodes (spec B, `setup_initial_dkg`; the NNS subnet's consensus
runs it, `replica.consensus.remote_dkg`), and `initial_dkg_result_from_reply`
reads its answer. Genesis has no NNS subnet to ask: there an in-process
dealer, `InitialDkg`, deals the keys. `SeededInitialDkg` is a deterministic
one: it derives the polynomial of each transcript from a network seed, the
nodes and the registry version, and publishes the Feldman commitments
(compressed G2 points) as the transcript; its first commitment is the
subnet's public key. Tests and previews give a registry canister one, so that
it creates subnets at once.

The dealer knows every share, so it lives only in the process that creates
the network (`registry.genesis.deal_genesis`) and in the registry canister; the
consensus core cannot import it (an import-linter contract). Each node receives
its shares encrypted to its own dealing key (`deal_shares`,
`replica.crypto.initial_shares`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from registry.errors import InvalidPayload
from registry.records import InitialDkgTranscript
from replica.crypto import bls
from replica.crypto.dkg import DkgId, DkgTag
from replica.crypto.initial_shares import (
    InitialShareCiphertext,
    NodeInitialShares,
    encrypt_initial_share,
)
from replica.types import Principal

_EPHEMERAL_DOMAIN: Final = b"icbox-initial-dkg-ephemeral"


@dataclass(frozen=True, slots=True, kw_only=True)
class InitialDkgResult:
    low_threshold: InitialDkgTranscript
    high_threshold: InitialDkgTranscript
    public_key_der: bytes

    @property
    def subnet_id(self) -> Principal:
        """The self-authenticating principal of the subnet's DER public key."""
        return Principal.self_authenticating(self.public_key_der)


def _transcript_from_record(value: Any) -> InitialDkgTranscript:
    return InitialDkgTranscript(
        threshold=int(value["threshold"]),
        committee=tuple(value["committee"]),
        registry_version=int(value["registry_version"]),
        public_key_der=bytes(value["public_key_der"]),
        transcript=bytes(value["transcript"]),
        internal_transcript=bytes(value["internal_transcript"]),
    )


def initial_dkg_result_from_reply(reply: object) -> InitialDkgResult:
    """The management canister's `setup_initial_dkg` reply (the IC's `SetupInitialDKGResponse`)
    as an `InitialDkgResult`; raises InvalidPayload if it does not hold together."""
    try:
        if not isinstance(reply, Mapping):
            raise TypeError("not a record")
        result = InitialDkgResult(
            low_threshold=_transcript_from_record(reply["low_threshold_transcript_record"]),
            high_threshold=_transcript_from_record(reply["high_threshold_transcript_record"]),
            public_key_der=bytes(reply["subnet_threshold_public_key"]),
        )
        fresh_subnet_id = reply["fresh_subnet_id"]
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidPayload(f"a malformed setup_initial_dkg reply: {error}") from error
    if result.public_key_der != result.high_threshold.public_key_der:
        raise InvalidPayload("the subnet key is not the high-threshold transcript's key")
    if fresh_subnet_id != result.subnet_id:
        raise InvalidPayload("the fresh subnet id is not the principal of the subnet key")
    return result


class InitialDkg(Protocol):
    def setup_initial_dkg(
        self, node_ids: tuple[Principal, ...], registry_version: int
    ) -> InitialDkgResult: ...


def compute_fault_tolerance(nodes: int) -> int:
    """f = (n − 1) // 3."""
    return (nodes - 1) // 3


class SeededInitialDkg:
    """A deterministic trusted-dealer DKG: same seed, nodes and version, same keys."""

    def __init__(self, seed: bytes) -> None:
        self.seed = seed

    def coefficients(
        self, tag: DkgTag, node_ids: tuple[Principal, ...], registry_version: int, threshold: int
    ) -> list[int]:
        base = hashlib.sha256(
            self.seed
            + tag.encode()
            + b"".join(n.raw for n in node_ids)
            + registry_version.to_bytes(8, "big")
        ).digest()
        return [
            int.from_bytes(hashlib.sha512(base + index.to_bytes(4, "big")).digest(), "big")
            % bls.CURVE_ORDER
            for index in range(threshold)
        ]

    def secret_share(
        self,
        tag: DkgTag,
        node_ids: tuple[Principal, ...],
        registry_version: int,
        threshold: int,
        index: int,
    ) -> int:
        """The share of node `index` (0-based; evaluated at x = index + 1)."""
        x, value = index + 1, 0
        for coefficient in reversed(self.coefficients(tag, node_ids, registry_version, threshold)):
            value = (value * x + coefficient) % bls.CURVE_ORDER
        return value

    def _transcript(
        self, tag: DkgTag, node_ids: tuple[Principal, ...], registry_version: int, threshold: int
    ) -> InitialDkgTranscript:
        commitments = [
            bls.G2_IDENTITY if coefficient == 0 else bls.public_key(coefficient)
            for coefficient in self.coefficients(tag, node_ids, registry_version, threshold)
        ]
        return InitialDkgTranscript(
            threshold=threshold,
            committee=node_ids,
            registry_version=registry_version,
            public_key_der=bls.public_key_to_der(commitments[0]),
            transcript=b"".join(commitments),
        )

    def setup_initial_dkg(
        self, node_ids: tuple[Principal, ...], registry_version: int
    ) -> InitialDkgResult:
        # The IC's NiDkgTag::threshold_for_subnet_of_size: f + 1 and 2f + 1 (the committee of
        # 3f + 1 less f), which is n − f only when n = 3f + 1.
        f = compute_fault_tolerance(len(node_ids))
        low = self._transcript("low", node_ids, registry_version, f + 1)
        high = self._transcript("high", node_ids, registry_version, 2 * f + 1)
        return InitialDkgResult(
            low_threshold=low, high_threshold=high, public_key_der=high.public_key_der
        )

    def deal_shares(
        self,
        dkg_id: DkgId,
        transcript: InitialDkgTranscript,
        dealing_keys: Mapping[Principal, bytes],
    ) -> dict[Principal, InitialShareCiphertext]:
        """Each committee member's share of `transcript` (made by this dealer), encrypted to the
        member's raw X25519 dealing key, bound to `dkg_id` (the subnet, the CUP height, the tag)."""
        ephemeral = hashlib.sha256(
            _EPHEMERAL_DOMAIN
            + self.seed
            + bytes(transcript.transcript)
            + dkg_id.subnet_id.raw
            + dkg_id.start_height.to_bytes(8, "big")
        ).digest()
        dealt = {}
        for index, member in enumerate(transcript.committee):
            share = self.secret_share(
                dkg_id.tag,
                transcript.committee,
                transcript.registry_version,
                transcript.threshold,
                index,
            )
            dealt[member] = encrypt_initial_share(
                dkg_id=dkg_id,
                registry_version=transcript.registry_version,
                receiver=member,
                receiver_public_key=dealing_keys[member],
                ephemeral_private_key=ephemeral,
                share=share,
            )
        return dealt

    def encrypt_shares_for_members(
        self,
        subnet_id: Principal,
        result: InitialDkgResult,
        dealing_keys: Mapping[Principal, bytes],
        start_height: int = 0,
    ) -> tuple[tuple[Principal, bytes], ...]:
        """Each member's shares of both initial transcripts of `subnet_id`, encrypted to its own
        dealing key, as the bytes of its `NodeInitialShares` (published in the CUP contents).
        `start_height` is the CUP's height: 0 for a new subnet, the recovery height for a
        recovered one."""
        dealt: dict[Principal, list[InitialShareCiphertext]] = {}
        transcripts: tuple[tuple[DkgTag, InitialDkgTranscript], ...] = (
            ("low", result.low_threshold),
            ("high", result.high_threshold),
        )
        for tag, transcript in transcripts:
            dkg_id = DkgId(subnet_id=subnet_id, start_height=start_height, tag=tag)
            for member, ciphertext in self.deal_shares(dkg_id, transcript, dealing_keys).items():
                dealt.setdefault(member, []).append(ciphertext)
        return tuple(
            (member, NodeInitialShares(node_id=member, shares=tuple(shares)).to_bytes())
            for member, shares in sorted(dealt.items(), key=lambda item: item[0].raw)
        )
