"""Fetching a newer catch-up package from the subnet's replicas over HTTP (spec C, `CUPP`).

On the IC the orchestrator asks its own replica, then peers of its subnet, for
their latest CUP with `POST /_/catch_up_package` (the body: the height and
registry version of the CUP it has, so a peer answers only with a newer one),
verifies each answer's signature with the subnet's threshold public key from
the registry, and keeps the newest (`rs/orchestrator/src/catch_up_package_provider.rs`).

Here the orchestrator persists the newest verified peer CUP as `peer_cup.cbor`
in the node's directory (written atomically) when it is newer than the CUP its
replica reports; the replica hands it to consensus at start
(`read_peer_cup`), so a node that starts behind jumps to that height and
state-syncs its checkpoint from peers instead of replaying the chain from the
CUP it had. The checks are pure functions; `fetch_newest_cup` takes the HTTP
post as an argument.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Final

import cbor2

from registry.client import RegistryClient
from registry.records import ThresholdPublicKeyRecord, threshold_public_key_key
from replica.consensus.artifacts import CatchUpPackage, artifact_from_bytes, is_newer_cup
from replica.consensus.catchup import is_valid_catch_up_package
from replica.crypto import bls
from replica.crypto.errors import CryptoError
from replica.types import Principal

PEER_CUP_FILE: Final = "peer_cup.cbor"
CUP_PATH: Final = "/_/catch_up_package"

Post = Callable[[str, bytes], Awaitable[tuple[int, bytes]]]
"""POST `body` to a URL; the status and the body of the answer."""


def encode_cup_param(height: int, registry_version: int) -> bytes:
    """The request body: the (height, registry version) of the CUP the node has."""
    return bytes(cbor2.dumps({"height": height, "registry_version": registry_version}))


def get_subnet_public_key(
    registry: RegistryClient, subnet_id: Principal, version: int | None = None
) -> bytes | None:
    """The subnet's threshold public key (raw, 96 bytes) at a registry version (latest: None)."""
    record: ThresholdPublicKeyRecord | None = registry.get(
        threshold_public_key_key(subnet_id), version
    )
    if record is None:
        return None
    try:
        return bls.public_key_from_der(record.public_key_der)
    except CryptoError:
        return None


def verify_peer_cup(
    data: bytes, registry: RegistryClient, subnet_id: Principal
) -> CatchUpPackage | None:
    """The CUP a peer sent, if it is one and its signature verifies with the subnet's key at the
    CUP's registry version (an unsigned registry CUP never does)."""
    try:
        artifact = artifact_from_bytes(data)
    except ValueError:
        return None
    if not isinstance(artifact, CatchUpPackage) or not artifact.signature:
        return None
    version = min(artifact.registry_version, registry.latest_version)
    key = get_subnet_public_key(registry, subnet_id, version)
    if key is None or not is_valid_catch_up_package(artifact, key):
        return None
    return artifact


def get_peer_urls(registry: RegistryClient, subnet_id: Principal, node_id: Principal) -> list[str]:
    """The HTTP endpoints of the subnet's members at the latest version: the node's own replica
    first, then its peers."""
    urls: list[str] = []
    for member in registry.get_subnet_members(subnet_id):
        record = registry.get_node_record(member)
        if record is None:
            continue
        url = f"http://{record.http.ip_addr}:{record.http.port}"
        if member == node_id:
            urls.insert(0, url)
        else:
            urls.append(url)
    return urls


async def fetch_newest_cup(
    *,
    urls: Sequence[str],
    post: Post,
    registry: RegistryClient,
    subnet_id: Principal,
    have: tuple[int, int] | None,
) -> CatchUpPackage | None:
    """The newest verified CUP the replicas at `urls` hold that is newer than `have` (height,
    registry version), or None."""
    best: CatchUpPackage | None = None
    for url in urls:
        floor = have if best is None else (best.height, best.registry_version)
        body = b"" if floor is None else encode_cup_param(*floor)
        try:
            status, data = await post(url + CUP_PATH, body)
        except Exception:  # an unreachable or failing peer: ask the next one
            continue
        if status != 200 or not data:
            continue
        cup = verify_peer_cup(data, registry, subnet_id)
        if cup is None:
            continue
        if floor is None or is_newer_cup(cup.height, cup.registry_version, floor):
            best = cup
    return best


def write_peer_cup(directory: Path, cup: CatchUpPackage) -> None:
    """Persist a verified peer CUP atomically (a temporary file renamed over the old one)."""
    path = directory / PEER_CUP_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(cup.to_bytes())
    os.replace(temporary, path)


def read_peer_cup(directory: Path) -> CatchUpPackage | None:
    """The peer CUP the orchestrator persisted, if any (a damaged file counts as none)."""
    path = directory / PEER_CUP_FILE
    with contextlib.suppress(OSError, ValueError):
        artifact = artifact_from_bytes(path.read_bytes())
        if isinstance(artifact, CatchUpPackage):
            return artifact
    return None


def remove_peer_cup(directory: Path) -> None:
    with contextlib.suppress(OSError):
        (directory / PEER_CUP_FILE).unlink()
