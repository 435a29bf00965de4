"""Global invariants, checked on the would-be state before every batch (spec A.5).

Each check walks the current records (never the history), so its cost depends
on the size of the network, not on the number of versions. Parsing keys and
certificates is the expensive part; it is done only for the nodes the batch
touches, while the cheap structural checks run over everything.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import Final
from urllib.parse import urlparse

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_der_public_key
from cryptography.x509 import load_der_x509_certificate

from registry.errors import InvariantViolation
from registry.records import (
    CRYPTO_RECORD_PREFIX,
    NODE_RECORD_PREFIX,
    REPLICA_VERSION_PREFIX,
    REQUIRED_KEY_PURPOSES,
    ROUTING_TABLE_KEY,
    SUBNET_LIST_KEY,
    SUBNET_RECORD_PREFIX,
    TLS_CERT_PREFIX,
    UNASSIGNED_NODES_CONFIG_KEY,
    NodeRecord,
    ReplicaVersionRecord,
    RoutingTable,
    SubnetListRecord,
    SubnetRecord,
    SubnetType,
    UnassignedNodesConfigRecord,
    node_record_key,
    replica_version_key,
    subnet_record_key,
)
from registry.store import RegistryView
from replica.crypto import bls
from replica.types import Principal

MAX_SSH_KEYS: Final = 50
_SHA256_HEX: Final = re.compile(r"^[0-9a-f]{64}$")


def check_global_invariants(view: RegistryView, *, everything: bool = False) -> None:
    """All invariants of spec A.5 that icbox's records carry, in the spec's order.

    The state before the batch satisfied every invariant (every batch is checked),
    so only the invariants that read a key the batch changes can break; the others
    are skipped. `everything=True` runs them all (an audit of the whole registry).
    """
    changed = set(view.changed_keys)

    def touches(*prefixes: str) -> bool:
        return everything or any(key.startswith(prefixes) for key in changed)

    nodes_changed = touches(NODE_RECORD_PREFIX)
    if nodes_changed or touches(CRYPTO_RECORD_PREFIX, TLS_CERT_PREFIX):
        check_node_crypto_keys(view, _nodes(view), changed)
    if touches(ROUTING_TABLE_KEY, SUBNET_LIST_KEY):
        check_routing_table(view)
    if nodes_changed or touches(SUBNET_LIST_KEY, SUBNET_RECORD_PREFIX):
        check_subnets(view)
    if touches(
        SUBNET_LIST_KEY, SUBNET_RECORD_PREFIX, UNASSIGNED_NODES_CONFIG_KEY, REPLICA_VERSION_PREFIX
    ):
        check_replica_versions(view, changed)
    if nodes_changed:
        check_endpoints(_nodes(view))


def _nodes(view: RegistryView) -> dict[str, NodeRecord]:
    return {
        key[len(NODE_RECORD_PREFIX) :]: record for key, record in view.items(NODE_RECORD_PREFIX)
    }


def check_node_crypto_keys(
    view: RegistryView, nodes: dict[str, NodeRecord], changed: set[str]
) -> None:
    seen: dict[bytes, str] = {}
    for node_text in nodes:
        keys = [
            f"{CRYPTO_RECORD_PREFIX}{node_text}_{int(purpose)}" for purpose in REQUIRED_KEY_PURPOSES
        ]
        certificate_key = f"{TLS_CERT_PREFIX}{node_text}"
        records = [view.get(key) for key in keys]
        certificate = view.get(certificate_key)
        for key, record in zip(keys, records, strict=True):
            if record is None:
                raise InvariantViolation("node crypto keys", key, "the node lacks this public key")
        if certificate is None:
            raise InvariantViolation(
                "node crypto keys", certificate_key, "the node lacks a TLS certificate"
            )
        values = [*(record.key_value for record in records), certificate.certificate_der]
        for key, value in zip([*keys, certificate_key], values, strict=True):
            other = seen.get(value)
            if other is not None:
                raise InvariantViolation(
                    "node crypto keys", key, f"the same key is registered for {other}"
                )
            seen[value] = node_text
        if (
            NODE_RECORD_PREFIX + node_text in changed
            or certificate_key in changed
            or any(key in changed for key in keys)
        ):
            _check_node_keys_parse(node_text, keys, records, certificate.certificate_der)


def _check_node_keys_parse(
    node_text: str, keys: list[str], records: list[object], certificate_der: bytes
) -> None:
    signing_key = records[0].key_value  # type: ignore[attr-defined]
    try:
        parsed = load_der_public_key(signing_key)
    except ValueError as error:
        raise InvariantViolation(
            "node crypto keys", keys[0], f"not a DER public key: {error}"
        ) from error
    if not isinstance(parsed, Ed25519PublicKey):
        raise InvariantViolation("node crypto keys", keys[0], "the node signing key is not Ed25519")
    if Principal.self_authenticating(signing_key).to_text() != node_text:
        raise InvariantViolation(
            "node crypto keys", keys[0], "the node id does not match its signing key"
        )
    dealing_key = records[1].key_value  # type: ignore[attr-defined]
    if len(dealing_key) != 32:
        raise InvariantViolation(
            "node crypto keys", keys[1], "the dealing encryption key is not 32 bytes"
        )
    committee_key = records[2].key_value  # type: ignore[attr-defined]
    if not bls.is_valid_public_key(committee_key):
        raise InvariantViolation(
            "node crypto keys",
            keys[2],
            "the committee signing key is not a BLS12-381 G2 public key",
        )
    try:
        load_der_x509_certificate(certificate_der)
    except ValueError as error:
        raise InvariantViolation(
            "node crypto keys", f"crypto_tls_cert_{node_text}", f"not an X.509 certificate: {error}"
        ) from error


def check_routing_table(view: RegistryView) -> None:
    table: RoutingTable | None = view.get(ROUTING_TABLE_KEY)
    subnet_list: SubnetListRecord | None = view.get(SUBNET_LIST_KEY)
    if table is None:
        if subnet_list is not None and subnet_list.subnets:
            raise InvariantViolation(
                "routing table", ROUTING_TABLE_KEY, "there are subnets but no routing table"
            )
        return
    listed = set(subnet_list.subnets) if subnet_list is not None else set()
    previous_end = -1
    for entry in table.entries:
        if entry.start > entry.end:
            raise InvariantViolation(
                "routing table", ROUTING_TABLE_KEY, f"empty range [{entry.start}, {entry.end}]"
            )
        if entry.start <= previous_end:
            raise InvariantViolation(
                "routing table",
                ROUTING_TABLE_KEY,
                f"range starting at {entry.start} overlaps or is out of order",
            )
        if entry.subnet_id not in listed:
            raise InvariantViolation(
                "routing table",
                ROUTING_TABLE_KEY,
                f"subnet {entry.subnet_id} is not in the subnet list",
            )
        previous_end = entry.end


def check_subnets(view: RegistryView) -> None:
    subnet_list: SubnetListRecord | None = view.get(SUBNET_LIST_KEY)
    if subnet_list is None:
        return
    member_of: dict[Principal, Principal] = {}
    has_system = False
    for subnet_id in subnet_list.subnets:
        key = subnet_record_key(subnet_id)
        record: SubnetRecord | None = view.get(key)
        if record is None:
            raise InvariantViolation("subnet", key, "a listed subnet has no record")
        if not record.membership:
            raise InvariantViolation("subnet", key, "a subnet needs at least one node")
        if len(set(record.membership)) != len(record.membership):
            raise InvariantViolation("subnet", key, "a node is listed twice")
        for node_id in record.membership:
            if view.get(node_record_key(node_id)) is None:
                raise InvariantViolation(
                    "subnet", key, f"member {node_id} is not a registered node"
                )
            other = member_of.get(node_id)
            if other is not None:
                raise InvariantViolation(
                    "subnet", key, f"node {node_id} is also a member of subnet {other}"
                )
            member_of[node_id] = subnet_id
        if (
            len(record.ssh_readonly_access) > MAX_SSH_KEYS
            or len(record.ssh_backup_access) > MAX_SSH_KEYS
        ):
            raise InvariantViolation("subnet", key, f"more than {MAX_SSH_KEYS} ssh keys")
        has_system = has_system or record.subnet_type == SubnetType.SYSTEM
    if subnet_list.subnets and not has_system:
        raise InvariantViolation(
            "subnet", SUBNET_LIST_KEY, "there must be at least one system subnet"
        )


def check_replica_versions(view: RegistryView, changed: set[str]) -> None:
    referenced: list[tuple[str, str]] = []
    subnet_list: SubnetListRecord | None = view.get(SUBNET_LIST_KEY)
    for subnet_id in subnet_list.subnets if subnet_list is not None else ():
        record: SubnetRecord = view.get(subnet_record_key(subnet_id))
        referenced.append((subnet_record_key(subnet_id), record.replica_version_id))
    unassigned: UnassignedNodesConfigRecord | None = view.get(UNASSIGNED_NODES_CONFIG_KEY)
    if unassigned is not None:
        referenced.append((UNASSIGNED_NODES_CONFIG_KEY, unassigned.replica_version))
    for key, version_id in referenced:
        if not version_id:
            raise InvariantViolation("replica version", key, "the replica version id is empty")
        if view.get(replica_version_key(version_id)) is None:
            raise InvariantViolation(
                "replica version", key, f"replica version {version_id} is not elected"
            )
    for key in changed:
        if key.startswith(REPLICA_VERSION_PREFIX):
            version_record: ReplicaVersionRecord | None = view.get(key)
            if version_record is not None:
                check_replica_version_record(key, version_record)


def check_replica_version_record(key: str, record: ReplicaVersionRecord) -> None:
    if not _SHA256_HEX.match(record.release_package_sha256_hex):
        raise InvariantViolation(
            "replica version", key, "the release sha256 is not 64 lowercase hex digits"
        )
    if not record.release_package_urls:
        raise InvariantViolation("replica version", key, "a release needs at least one URL")
    for url in record.release_package_urls:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise InvariantViolation("replica version", key, f"not an http(s) URL: {url!r}")


def check_endpoints(nodes: dict[str, NodeRecord]) -> None:
    used: dict[tuple[str, bytes, int], str] = {}
    for node_text, record in nodes.items():
        key = NODE_RECORD_PREFIX + node_text
        for kind, endpoint in (("xnet", record.xnet), ("http", record.http)):
            try:
                address = _parse_ip(endpoint.ip_addr)
            except ValueError as error:
                raise InvariantViolation(
                    "endpoint", key, f"{kind} address {endpoint.ip_addr!r} does not parse"
                ) from error
            if not _is_usable(address):
                raise InvariantViolation("endpoint", key, f"{kind} address {address} is not usable")
            if not 0 < endpoint.port < 65_536:
                raise InvariantViolation(
                    "endpoint", key, f"{kind} port {endpoint.port} is out of range"
                )
            slot = (kind, address.packed, endpoint.port)
            other = used.get(slot)
            if other is not None:
                raise InvariantViolation(
                    "endpoint",
                    key,
                    f"{kind} endpoint {address}:{endpoint.port} is also used by {other}",
                )
            used[slot] = node_text


@functools.lru_cache(maxsize=1 << 14)
def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


@functools.lru_cache(maxsize=1 << 14)
def _is_usable(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Not unspecified, multicast or the broadcast address."""
    return not (address.is_unspecified or address.is_multicast or str(address) == "255.255.255.255")
