"""Checking an SNS ledger's certified tip the way an ICRC-3 client does.

`icrc3_get_tip_certificate` answers `opt record { certificate; hash_tree }` (ICRC-3 standard,
dfinity/ICRC-1 standards/ICRC-3/README.md). The tip is proven when

1. the certificate verifies against the root key (with the NNS delegation if there is one),
2. the certificate's `canister/<ledger>/certified_data` equals the root hash of `hash_tree`, and
3. the tree's `last_block_index` (LEB128) and `last_block_hash` are the tip a client was told.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from replica.candid.wire import read_leb
from replica.crypto import hashtree
from replica.crypto.certificate import Certificate, verify_certificate
from replica.crypto.errors import CryptoError
from replica.types import Principal
from sns.icrc3 import LAST_BLOCK_HASH, LAST_BLOCK_INDEX


class TipCertificateError(Exception):
    """The tip's proofs are missing or do not prove it."""


@dataclass(frozen=True, slots=True)
class CertifiedTip:
    last_block_index: int
    last_block_hash: bytes
    certified_at_ns: int


def verify_tip_certificate(
    response: Mapping[str, Any] | None,
    ledger_id: Principal,
    root_key_der: bytes,
    *,
    now_ns: int | None = None,
) -> CertifiedTip:
    """The ledger's tip once the reply of `icrc3_get_tip_certificate` is checked."""
    if response is None:
        raise TipCertificateError("the ledger answered no certificate (a replicated query?)")
    try:
        certificate = Certificate.from_cbor(bytes(response["certificate"]))
        verify_certificate(
            certificate, root_key_der, now_ns=now_ns, effective_canister_id=ledger_id
        )
        tree = hashtree.decode(bytes(response["hash_tree"]))
    except CryptoError as error:
        raise TipCertificateError(f"the tip's proofs do not verify: {error}") from error
    certified = certificate.lookup(["canister", ledger_id.raw, "certified_data"])
    if not isinstance(certified, hashtree.Found):
        raise TipCertificateError("the certificate does not reveal the ledger's certified data")
    if hashtree.reconstruct(tree) != certified.value:
        raise TipCertificateError("the hash tree's root is not the ledger's certified data")
    index = hashtree.lookup(tree, [LAST_BLOCK_INDEX])
    block_hash = hashtree.lookup(tree, [LAST_BLOCK_HASH])
    if not (isinstance(index, hashtree.Found) and isinstance(block_hash, hashtree.Found)):
        raise TipCertificateError("the tree names no last block")
    value, end = read_leb(index.value, 0)
    if end != len(index.value):
        raise TipCertificateError("last_block_index is not one LEB128 number")
    return CertifiedTip(
        last_block_index=value,
        last_block_hash=block_hash.value,
        certified_at_ns=certificate.time_ns(),
    )
