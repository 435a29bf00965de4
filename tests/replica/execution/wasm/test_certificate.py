"""Certified data set by a Motoko canister, read back in a query with a certificate a client
verifies."""

from __future__ import annotations

from pathlib import Path

from replica.candid import decode, encode
from replica.candid.types import Blob, Opt
from replica.crypto import bls
from replica.crypto.certificate import Certificate, signed_message, verify_certificate
from replica.crypto.hashtree import Found
from replica.environment import Reject
from replica.execution.messages import Batch, IngressMessage
from replica.execution.wasm.management import manage
from replica.state.manager import Certification, StateManager
from tests.replica.execution.wasm.helpers import ALICE, fixture
from tests.replica.state.worlds import ROUND_NS, START_NS, SUBNET_ID, SUBNET_SECRET, subnet_info


def test_a_client_verifies_the_certificate_a_query_returns(tmp_path: Path) -> None:
    manager = StateManager.create(
        tmp_path / "state", subnet_id=SUBNET_ID, factories={}, subnets=[subnet_info()]
    )
    engine = manager.engine
    canister = manage(engine.wasm, ALICE, "create_canister", {"settings": None})["canister_id"]
    install = {
        "mode": {"install": None},
        "canister_id": canister,
        "wasm_module": fixture("motoko_features.wasm"),
        "arg": b"DIDL\x00\x00",
    }
    manage(engine.wasm, ALICE, "install_code", install)
    message = IngressMessage(
        message_id=b"\x01" * 32, sender=ALICE, canister_id=canister, method="certify",
        arg=encode([Blob], [b"certified by motoko"]), ingress_expiry_ns=START_NS + 60 * 10**9,
    )  # fmt: skip
    manager.execute(
        Batch(height=1, time_ns=START_NS + ROUND_NS, random_tape=b"\x00" * 32, ingress=(message,))
    )
    root_hash = manager.certification_content(1)
    certification = Certification(
        height=1, root_hash=root_hash, signature=bls.sign(SUBNET_SECRET, signed_message(root_hash))
    )
    assert manager.deliver_certification(certification)
    answer = engine.query(
        canister,
        "certificate",
        b"DIDL\x00\x00",
        ALICE,
        certificate=manager.certificate([["canister", canister.raw, "certified_data"]]),
    )
    assert not isinstance(answer, Reject)
    (raw,) = decode(answer, [Opt(Blob)])
    certificate = Certificate.from_cbor(bytes(raw))
    verify_certificate(
        certificate,
        bls.public_key_to_der(bls.public_key(SUBNET_SECRET)),
        now_ns=certificate.time_ns(),
    )
    found = certificate.lookup(["canister", canister.raw, "certified_data"])
    assert isinstance(found, Found) and found.value == b"certified by motoko"
