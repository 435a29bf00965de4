"""The NNS delegation a non-NNS subnet attaches to its certificates.

A subnet other than the NNS signs with its own key, which agents do not know;
its certificates carry a delegation (IC interface spec, "Delegation"): the
subnet id and a certificate of the NNS subnet, without delegation of its own,
that reveals `/subnet/<id>/public_key` and the subnet's canister ranges, both
as the flat `/subnet/<id>/canister_ranges` (read by v2/v3 agents) and as the
shards `/canister_ranges/<id>/...` (read first by newer agents). A replica
gets that certificate by a read_state of those paths on the NNS subnet
(`DELEGATION_PATHS`), and checks it with `delegation_from_certificate`.
"""

from __future__ import annotations

from replica.crypto import hashtree
from replica.crypto.certificate import Certificate, CertificateError, Delegation
from replica.crypto.hashtree import Found, LabelPath
from replica.http.backend import CertifiedState
from replica.types import Principal


def delegation_paths(subnet_id: Principal) -> list[LabelPath]:
    """What the NNS certificate of a delegation reveals (besides `/time`)."""
    return [
        ["subnet", subnet_id.raw, "public_key"],
        ["subnet", subnet_id.raw, "canister_ranges"],
        ["canister_ranges", subnet_id.raw],
    ]


def delegation_from_state(nns_state: CertifiedState, subnet_id: Principal) -> Delegation:
    """The delegation for `subnet_id` from the NNS subnet's certified state (in-process
    networks)."""
    tree = hashtree.prune(nns_state.tree, [["time"], *delegation_paths(subnet_id)])
    certificate = Certificate(tree=tree, signature=nns_state.signature)
    return Delegation(subnet_id=subnet_id, certificate=certificate.to_cbor())


def delegation_from_certificate(certificate_cbor: bytes, subnet_id: Principal) -> Delegation:
    """A delegation from an NNS read_state certificate; raises `CertificateError` if it lacks a
    path.

    The signature is checked by every agent against the root key; the replica
    checks only that the certificate says what a delegation must say.
    """
    certificate = Certificate.from_cbor(certificate_cbor)
    if certificate.delegation is not None:
        raise CertificateError("an NNS certificate carries no delegation")
    certificate.time_ns()
    for path in delegation_paths(subnet_id)[:2]:
        if not isinstance(certificate.lookup(path), Found):
            raise CertificateError(
                f"the NNS certificate does not reveal /{'/'.join(map(str, path))}"
            )
    return Delegation(subnet_id=subnet_id, certificate=certificate_cbor)
