"""A node's own directory of secrets: its keys and its encrypted initial shares.

In a network of processes each node holds only its own secrets. The process
that creates the network derives every node's keys and deals the initial
threshold shares (`registry.genesis.deal_genesis`), then writes each node's
part into that node's directory with `write_node_directory`; the node process
is given only its directory and calls `load_node_directory`. Nothing else is
needed to run a node: the public keys of its peers and the subnet's public
transcripts are in the registry.

Layout (the directory is created 0700, every file 0600, written atomically):

    node_keys.cbor        the raw secrets (`NodeSecrets`), canonical CBOR:
                          [signing key, dealing key, committee secret, TLS key, TLS certificate DER]
    tls_key.pem           the TLS key as PKCS#8 PEM  } for `ssl.SSLContext.load_cert_chain`
    tls_certificate.pem   the TLS certificate, PEM   } (derived from node_keys.cbor)
    initial_shares.cbor   `NodeInitialShares` (only for a member of a genesis subnet)

Loading refuses a key file that group or others may read or write, as ssh does,
and initial shares addressed to another node.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from replica.crypto.errors import CryptoError
from replica.crypto.initial_shares import NodeInitialShares
from replica.crypto.keys import NodeKeyError, NodeSecretKeys, NodeSecrets

KEYS_FILE: Final = "node_keys.cbor"
TLS_KEY_FILE: Final = "tls_key.pem"
TLS_CERTIFICATE_FILE: Final = "tls_certificate.pem"
INITIAL_SHARES_FILE: Final = "initial_shares.cbor"
FILE_MODE: Final = 0o600
DIRECTORY_MODE: Final = 0o700


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeDirectory:
    """What a node process loads from its directory."""

    path: Path
    keys: NodeSecretKeys
    initial_shares: NodeInitialShares | None

    @property
    def tls_key_path(self) -> Path:
        return self.path / TLS_KEY_FILE

    @property
    def tls_certificate_path(self) -> Path:
        return self.path / TLS_CERTIFICATE_FILE


def write_node_directory(
    directory: Path, keys: NodeSecretKeys, initial_shares: NodeInitialShares | None = None
) -> None:
    """Write one node's secrets into `directory` (created if missing, made 0700)."""
    if initial_shares is not None and initial_shares.node_id != keys.node_id:
        raise NodeKeyError(f"initial shares of {initial_shares.node_id} are not for {keys.node_id}")
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(DIRECTORY_MODE)
    secrets = keys.secrets()
    encoded = cbor2.dumps(
        [
            secrets.signing_key,
            secrets.dealing_key,
            secrets.committee_secret,
            secrets.tls_key,
            secrets.tls_certificate_der,
        ],
        canonical=True,
    )
    _write_private(directory / KEYS_FILE, encoded)
    tls_key_pem = keys.tls_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_private(directory / TLS_KEY_FILE, tls_key_pem)
    certificate = x509.load_der_x509_certificate(keys.tls_certificate_der)
    _write_private(
        directory / TLS_CERTIFICATE_FILE, certificate.public_bytes(serialization.Encoding.PEM)
    )
    shares_path = directory / INITIAL_SHARES_FILE
    if initial_shares is not None:
        _write_private(shares_path, initial_shares.to_bytes())
    elif shares_path.exists():
        shares_path.unlink()


def write_initial_shares(directory: Path, initial_shares: NodeInitialShares) -> None:
    """Replace the node's initial shares (a subnet it joins at creation deals it new ones)."""
    _write_private(directory / INITIAL_SHARES_FILE, initial_shares.to_bytes())


def load_node_directory(directory: Path) -> NodeDirectory:
    """Load a node's keys and initial shares; raises NodeKeyError if they are missing or unsafe."""
    keys = NodeSecretKeys.from_secrets(_decode_secrets(_read_private(directory / KEYS_FILE)))
    shares_path = directory / INITIAL_SHARES_FILE
    initial_shares = None
    if shares_path.exists():
        try:
            initial_shares = NodeInitialShares.from_bytes(_read_private(shares_path))
        except CryptoError as error:
            raise NodeKeyError(f"{shares_path}: {error}") from error
        if initial_shares.node_id != keys.node_id:
            raise NodeKeyError(
                f"{shares_path} holds the shares of {initial_shares.node_id}, not {keys.node_id}"
            )
    return NodeDirectory(path=directory, keys=keys, initial_shares=initial_shares)


def _decode_secrets(data: bytes) -> NodeSecrets:
    try:
        value: Any = cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError) as error:
        raise NodeKeyError(f"malformed {KEYS_FILE}: {error}") from error
    if not isinstance(value, list) or len(value) != 5:
        raise NodeKeyError(f"{KEYS_FILE} is a CBOR array of 5 items")
    signing, dealing, committee, tls, certificate = value
    if not all(isinstance(item, bytes) for item in (signing, dealing, tls, certificate)):
        raise NodeKeyError(f"malformed {KEYS_FILE}")
    if not isinstance(committee, int) or isinstance(committee, bool) or committee <= 0:
        raise NodeKeyError(f"{KEYS_FILE}: the committee secret is a positive scalar")
    return NodeSecrets(
        signing_key=signing,
        dealing_key=dealing,
        committee_secret=committee,
        tls_key=tls,
        tls_certificate_der=certificate,
    )


def _write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` with mode 0600: into a fresh temporary file, then renamed over."""
    temporary = path.with_name(f".{path.name}.tmp")
    if temporary.exists():
        temporary.unlink()
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    try:
        os.fchmod(descriptor, FILE_MODE)
        view = memoryview(data)
        while view:
            written = os.write(descriptor, view)
            view = view[written:]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)


def _read_private(path: Path) -> bytes:
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as error:
        raise NodeKeyError(f"cannot open {path}: {error.strerror}") from error
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NodeKeyError(f"{path} is not a regular file")
        if mode & 0o077:
            raise NodeKeyError(
                f"{path} is accessible to others (mode {stat.S_IMODE(mode):o}); it must be 0600"
            )
        chunks = []
        while chunk := os.read(descriptor, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(descriptor)
    return b"".join(chunks)
