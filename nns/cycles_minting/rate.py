"""The ICP/XDR conversion rate, its certification, and ICP to cycles.

The cycles minting canister keeps the latest ICP/XDR rate and the average of
the rates it received over the last 30 days. Both are certified: the canister
sets its certified data to the root hash of the hash tree

    *
    +-- AVERAGE_ICP_XDR_CONVERSION_RATE -- [Candid of the average IcpXdrConversionRate]
    `-- ICP_XDR_CONVERSION_RATE         -- [Candid of the latest IcpXdrConversionRate]

and answers a rate with the tree pruned to its label (rs/nns/cmc/cmc.did, the
`hash_tree` of IcpXdrConversionRateResponse; rs/nns/cmc/src/main.rs), so a
client can check the rate against the subnet's certificate of the canister's
certified data.

ICP become cycles at `e8s × xdr_permyriad_per_icp × cycles_per_xdr / (10_000 ×
10^8)`, one XDR being 10^12 cycles (`TokensToCycles` in rs/nns/cmc/src/lib.rs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import cbor2

from replica.candid import encode
from replica.candid.types import Nat64, Record
from replica.crypto import hashtree

CYCLES_PER_XDR: Final = 1_000_000_000_000
E8S_PER_ICP: Final = 100_000_000
PERMYRIAD: Final = 10_000
AVERAGE_WINDOW_SECONDS: Final = 30 * 24 * 3_600

SELF_DESCRIBED_CBOR_TAG: Final = 55799
LATEST_LABEL: Final = b"ICP_XDR_CONVERSION_RATE"
AVERAGE_LABEL: Final = b"AVERAGE_ICP_XDR_CONVERSION_RATE"

ICP_XDR_CONVERSION_RATE: Final = Record(
    {"timestamp_seconds": Nat64, "xdr_permyriad_per_icp": Nat64}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConversionRate:
    timestamp_seconds: int
    xdr_permyriad_per_icp: int

    def to_candid(self) -> dict[str, int]:
        return {
            "timestamp_seconds": self.timestamp_seconds,
            "xdr_permyriad_per_icp": self.xdr_permyriad_per_icp,
        }

    def encoded(self) -> bytes:
        """The Candid message of this rate: the leaf the certified tree holds."""
        return encode([ICP_XDR_CONVERSION_RATE], [self.to_candid()])


def compute_cycles(
    amount_e8s: int, xdr_permyriad_per_icp: int, cycles_per_xdr: int = CYCLES_PER_XDR
) -> int:
    """The cycles that `amount_e8s` ICP buy at the rate (integer arithmetic, rounded down)."""
    return amount_e8s * xdr_permyriad_per_icp * cycles_per_xdr // (PERMYRIAD * E8S_PER_ICP)


def compute_average(rates: Sequence[ConversionRate], now_seconds: int) -> ConversionRate | None:
    """The mean of the rates of the last 30 days (rounded down), stamped with the latest one's
    time."""
    recent = [
        rate for rate in rates if rate.timestamp_seconds + AVERAGE_WINDOW_SECONDS >= now_seconds
    ]
    if not recent:
        return None
    latest = max(recent, key=lambda rate: rate.timestamp_seconds)
    mean = sum(rate.xdr_permyriad_per_icp for rate in recent) // len(recent)
    return ConversionRate(timestamp_seconds=latest.timestamp_seconds, xdr_permyriad_per_icp=mean)


def build_rate_tree(latest: ConversionRate, average: ConversionRate | None) -> hashtree.HashTree:
    """The certified tree of the rates; its root hash is the canister's certified data."""
    entries: dict[bytes | str, hashtree.TreeValue] = {LATEST_LABEL: latest.encoded()}
    if average is not None:
        entries[AVERAGE_LABEL] = average.encoded()
    return hashtree.build(entries)


def witness(tree: hashtree.HashTree, label: bytes) -> bytes:
    """The tree pruned to one label, in the interface specification's CBOR form, self-described
    (tag 55799) as the IC's CMC serialises it."""
    pruned = hashtree.prune(tree, [[label]])
    return bytes(
        cbor2.dumps(cbor2.CBORTag(SELF_DESCRIBED_CBOR_TAG, hashtree.to_cbor_value(pruned)))
    )
