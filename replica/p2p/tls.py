"""TLS 1.3 between replicas, with both ends pinned to the registry.

Each node presents the self-signed certificate its registry record holds
(`TlsCertificateRecord`, subject = node id; IC: `rs/crypto/tls_interfaces`,
the node's TLS key is one of its registry keys). A context trusts exactly the
certificates of the nodes allowed to talk to this one, the members of its
subnet at the registry versions in use (spec D.6: P2P keeps connections to the
nodes of every version between the CUP's oldest version in use and the latest),
so a handshake with any other key fails. After the handshake
`identify_peer` checks again, byte for byte, that the certificate presented is
the one registered for a node in that set, and names the node.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Mapping
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from registry.client import RegistryClient
from registry.records import tls_cert_key
from replica.crypto.keys import NodeSecretKeys
from replica.types import Principal


class PeerRefused(Exception):
    """A peer presented a certificate that is not registered for a current member of the subnet."""


def certificate_pem(certificate_der: bytes) -> str:
    return (
        x509.load_der_x509_certificate(certificate_der)
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )


def write_tls_files(keys: NodeSecretKeys, directory: Path) -> tuple[Path, Path]:
    """The node's certificate and TLS key as PEM files (the key readable by the owner only)."""
    directory.mkdir(parents=True, exist_ok=True)
    certificate_path = directory / "tls_certificate.pem"
    key_path = directory / "tls_key.pem"
    certificate_path.write_text(certificate_pem(keys.tls_certificate_der))
    key_bytes = keys.tls_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_path.touch(mode=0o600, exist_ok=True)
    key_path.write_bytes(key_bytes)
    return certificate_path, key_path


def make_context(
    certificate_path: Path, key_path: Path, trusted: Iterable[bytes], *, server: bool
) -> ssl.SSLContext:
    """A TLS 1.3-only context presenting this node's certificate and trusting only `trusted`
    (DER)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(str(certificate_path), str(key_path))
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    # Self-signed node certificates are their own trust anchors: the leaf itself must be pinned.
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    pems = "".join(certificate_pem(der) for der in trusted)
    if pems:
        context.load_verify_locations(cadata=pems)
    return context


def get_allowed_peers(
    registry: RegistryClient, subnet_id: Principal, versions: Iterable[int], *, own: Principal
) -> dict[Principal, bytes]:
    """The nodes (and their registered certificates) that are members of the subnet at any of
    `versions`."""
    allowed: dict[Principal, bytes] = {}
    for version in versions:
        record = registry.get_subnet_record(subnet_id, version)
        if record is None:
            continue
        for node_id in record.membership:
            if node_id == own or node_id in allowed:
                continue
            certificate = registry.get(tls_cert_key(node_id), version)
            if certificate is not None:
                allowed[node_id] = certificate.certificate_der
    return allowed


def identify_peer(certificate_der: bytes | None, allowed: Mapping[Principal, bytes]) -> Principal:
    """The node whose registered certificate is exactly `certificate_der` (raises `PeerRefused`)."""
    if not certificate_der:
        raise PeerRefused("the peer presented no certificate")
    for node_id, registered in allowed.items():
        if registered == certificate_der:
            return node_id
    try:
        subject = x509.load_der_x509_certificate(certificate_der).subject.rfc4514_string()
    except ValueError:
        subject = "an unreadable certificate"
    raise PeerRefused(f"certificate of {subject} is not registered for a member of the subnet")


class TlsSession:
    """A TLS connection as a sans-I/O object (`ssl.SSLObject` over memory buffers).

    Bytes from the network go in with `feed`, bytes for the network come out of
    `take_outgoing`; `handshake`, `read` and `write` never block. The server side
    of a replica's P2P connections runs on it, so a failed handshake is an
    exception the service sees (and logs), whatever event loop it runs on.
    """

    def __init__(self, context: ssl.SSLContext, *, server_side: bool) -> None:
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self.ssl_object = context.wrap_bio(self._incoming, self._outgoing, server_side=server_side)
        self.closed = False

    def feed(self, data: bytes) -> None:
        if data:
            self._incoming.write(data)
        else:
            self._incoming.write_eof()

    def take_outgoing(self) -> bytes:
        return self._outgoing.read()

    def handshake(self) -> bool:
        """Advance the handshake; True once complete (raises `ssl.SSLError` if it fails)."""
        try:
            self.ssl_object.do_handshake()
        except ssl.SSLWantReadError:
            return False
        return True

    def read(self) -> bytes:
        """All application data decrypted so far (b"" if none; `closed` set at the peer's close)."""
        parts = []
        while True:
            try:
                chunk = self.ssl_object.read(256 * 1024)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                self.closed = True
                break
            if not chunk:
                self.closed = True
                break
            parts.append(chunk)
        return b"".join(parts)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = self.ssl_object.write(view)
            view = view[written:]

    def peer_certificate(self) -> bytes | None:
        return self.ssl_object.getpeercert(binary_form=True)
