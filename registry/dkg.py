"""The initial DKG a new (or recovered) subnet needs.

On the IC the registry asks the NNS subnet's management canister to run a
remote NI-DKG for the chosen nodes (spec B, `setup_initial_dkg`). Here that
step is an interface, `InitialDkg`. `SeededInitialDkg` is a deterministic
implementation: a dealer derives the polynomial of each transcript from a
network seed, the nodes and the registry version, and publishes the Feldman
commitments (compressed G2 points) as the transcript; its first commitment is
the subnet's public key. The replica's distributed DKG replaces it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final, Protocol

from py_arkworks_bls12381 import G2Point, Scalar

from registry.records import InitialDkgTranscript
from replica.types import Principal

CURVE_ORDER: Final = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
BLS_PUBLIC_KEY_DER_PREFIX: Final = bytes.fromhex(
    "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class InitialDkgResult:
    low_threshold: InitialDkgTranscript
    high_threshold: InitialDkgTranscript
    public_key_der: bytes

    @property
    def subnet_id(self) -> Principal:
        """The self-authenticating principal of the subnet's DER public key."""
        return Principal.self_authenticating(self.public_key_der)


class InitialDkg(Protocol):
    def setup_initial_dkg(self, node_ids: tuple[Principal, ...], registry_version: int) -> InitialDkgResult: ...


def compute_fault_tolerance(nodes: int) -> int:
    """f = (n − 1) // 3."""
    return (nodes - 1) // 3


class SeededInitialDkg:
    """A deterministic trusted-dealer DKG: same seed, nodes and version, same keys."""

    def __init__(self, seed: bytes) -> None:
        self.seed = seed

    def coefficients(self, tag: str, node_ids: tuple[Principal, ...], registry_version: int, threshold: int) -> list[int]:
        base = hashlib.sha256(
            self.seed + tag.encode() + b"".join(n.raw for n in node_ids) + registry_version.to_bytes(8, "big")
        ).digest()
        return [
            int.from_bytes(hashlib.sha512(base + index.to_bytes(4, "big")).digest(), "big") % CURVE_ORDER
            for index in range(threshold)
        ]

    def secret_share(self, tag: str, node_ids: tuple[Principal, ...], registry_version: int, threshold: int, index: int) -> int:
        """The share of node `index` (0-based; evaluated at x = index + 1)."""
        x, value = index + 1, 0
        for coefficient in reversed(self.coefficients(tag, node_ids, registry_version, threshold)):
            value = (value * x + coefficient) % CURVE_ORDER
        return value

    def _transcript(self, tag: str, node_ids: tuple[Principal, ...], registry_version: int, threshold: int) -> InitialDkgTranscript:
        commitments = [
            (G2Point() * Scalar(coefficient)).to_compressed_bytes()
            for coefficient in self.coefficients(tag, node_ids, registry_version, threshold)
        ]
        return InitialDkgTranscript(
            threshold=threshold,
            committee=node_ids,
            registry_version=registry_version,
            public_key_der=BLS_PUBLIC_KEY_DER_PREFIX + bytes(commitments[0]),
            transcript=b"".join(bytes(c) for c in commitments),
        )

    def setup_initial_dkg(self, node_ids: tuple[Principal, ...], registry_version: int) -> InitialDkgResult:
        n, f = len(node_ids), compute_fault_tolerance(len(node_ids))
        low = self._transcript("low", node_ids, registry_version, f + 1)
        high = self._transcript("high", node_ids, registry_version, n - f)
        return InitialDkgResult(low_threshold=low, high_threshold=high, public_key_der=high.public_key_der)
