"""Checking a certified ICP/XDR rate the way a client of the IC's CMC does.

`get_icp_xdr_conversion_rate` answers the rate with two proofs (rs/nns/cmc/src/main.rs,
`IcpXdrConversionRateCertifiedResponse`): `hash_tree`, the CMC's rate tree pruned to one label,
and `certificate`, the subnet's certificate of the CMC's certified data (the canister's data
certificate, present only when the query ran as a non-replicated query). The rate is proven when

1. the certificate verifies against the root key (with the NNS delegation if there is one),
2. the certificate's `canister/<cmc>/certified_data` equals the root hash of `hash_tree`, and
3. the tree's leaf under the label is the Candid of the rate in `data`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nns.cycles_minting.rate import LATEST_LABEL, ConversionRate
from replica.canister.nns_ids import CYCLES_MINTING_CANISTER_ID
from replica.crypto import hashtree
from replica.crypto.certificate import Certificate, verify_certificate
from replica.crypto.errors import CryptoError


class CertifiedRateError(Exception):
    """The rate's proofs are missing or do not prove it."""


def verify_rate_response(
    response: Mapping[str, Any],
    root_key_der: bytes,
    *,
    label: bytes = LATEST_LABEL,
    now_ns: int | None = None,
) -> ConversionRate:
    """The rate of a `get_icp_xdr_conversion_rate` reply once its proofs are checked."""
    if not response["certificate"]:
        raise CertifiedRateError("the reply carries no certificate (a replicated query?)")
    try:
        certificate = Certificate.from_cbor(response["certificate"])
        verify_certificate(
            certificate,
            root_key_der,
            now_ns=now_ns,
            effective_canister_id=CYCLES_MINTING_CANISTER_ID,
        )
        tree = hashtree.decode(response["hash_tree"])
    except CryptoError as error:
        raise CertifiedRateError(f"the rate's proofs do not verify: {error}") from error
    certified = certificate.lookup(["canister", CYCLES_MINTING_CANISTER_ID.raw, "certified_data"])
    if not isinstance(certified, hashtree.Found):
        raise CertifiedRateError("the certificate does not reveal the CMC's certified data")
    if hashtree.reconstruct(tree) != certified.value:
        raise CertifiedRateError("the hash tree's root is not the CMC's certified data")
    rate = ConversionRate(
        timestamp_seconds=response["data"]["timestamp_seconds"],
        xdr_permyriad_per_icp=response["data"]["xdr_permyriad_per_icp"],
    )
    leaf = hashtree.lookup(tree, [label])
    if not isinstance(leaf, hashtree.Found) or leaf.value != rate.encoded():
        raise CertifiedRateError(f"the tree's {label.decode()} is not the rate in the reply")
    return rate
