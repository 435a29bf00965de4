"""A node on another host: its keys, its registration by its operator, and its process.

As on the IC (rs/orchestrator/src/registration.rs), a node makes its own keys
once, and registers itself with the registry's `add_node`, signed with its
node operator's key: the registry accepts it only from a principal with a node
operator record and an allowance left, and takes one allowance
(rs/registry/canister/src/mutations/node_management/do_add_node.rs). The node
then is unassigned until a proposal puts it in a subnet.

`init_node` writes a node directory: `keys/` with the node's secrets only
(node signing key, whose self-authenticating principal is the node id, the
X25519 dealing encryption key, the BLS committee signing key, the TLS key and
its self-signed certificate naming the node id), `registration.json` (the
`add_node` payload: public keys, certificate and endpoints) and, if given, a
copy of the operator's key (`operator.pem`, 0600). `register_node` sends the
payload; `start_node` registers the node if the registry does not list it
yet, writes its `node.json` and a copy of the registry log, and starts its
orchestrator (`replica.orchestrator`), which replicates the registry from the
NNS and runs a replica once a proposal puts the node in a subnet.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from registry.certification import batches_from_deltas
from registry.records import UNASSIGNED_NODES_CONFIG_KEY
from registry.store import RegistryDelta
from replica.crypto.keys import NodeSecretKeys
from replica.crypto.keystore import load_node_directory, write_node_directory
from replica.live.driver import open_local_registry
from replica.live.layout import KEYS_DIRECTORY, REGISTRY_FILE, NodeSettings, write_settings
from replica.types import Principal
from tui.ops.errors import Refused, UsageError
from tui.ops.identities import identity_from_pem
from tui.ops.session import Session
from tui.ops.topology import fetch_registry

REGISTRATION_FILE: Final = "registration.json"
OPERATOR_PEM_FILE: Final = "operator.pem"
LOG_FILE: Final = "node.log"
APPLICATION_GENESIS: Final = "tui.network.genesis:application_subnet"
"""The canisters an application subnet of an icbox network starts with (as `icbox up` writes)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeInit:
    directory: Path
    node_id: Principal
    xnet_endpoint: str
    http_endpoint: str
    operator_pem: Path | None

    def to_json(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "node_id": self.node_id.to_text(),
            "xnet_endpoint": self.xnet_endpoint,
            "http_endpoint": self.http_endpoint,
            "operator_pem": None if self.operator_pem is None else str(self.operator_pem),
            "registration": str(self.directory / REGISTRATION_FILE),
        }


def free_port(ip: str) -> int:
    """A port free on `ip` now (bound to port 0, then released)."""
    try:
        with socket.socket() as probe:
            probe.bind((ip, 0))
            port: int = probe.getsockname()[1]
            return port
    except OSError as error:
        raise UsageError(f"cannot bind to {ip}: {error}") from error


def endpoint(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def init_node(
    directory: Path,
    *,
    ip: str,
    p2p_port: int | None = None,
    http_port: int | None = None,
    operator_pem: Path | None = None,
) -> NodeInit:
    """Make a node's keys and its registration payload in a new directory."""
    if (directory / REGISTRATION_FILE).exists() or (directory / KEYS_DIRECTORY).exists():
        raise UsageError(f"{directory} already holds a node (its keys are never made twice)")
    if operator_pem is not None:
        identity_from_pem(operator_pem.read_text(), str(operator_pem))  # refuse a bad key now
    p2p = p2p_port if p2p_port is not None else free_port(ip)
    http = http_port if http_port is not None else free_port(ip)
    if p2p == http:
        raise UsageError("the P2P and HTTP ports must differ")
    keys = NodeSecretKeys.from_seed(os.urandom(32), 0)
    directory.mkdir(parents=True, exist_ok=True)
    write_node_directory(directory / KEYS_DIRECTORY, keys)
    public = keys.public_keys()
    registration = {
        "node_id": keys.node_id.to_text(),
        "node_signing_pk": public.signing_key_der.hex(),
        "committee_signing_pk": public.committee_public_key.hex(),
        "ni_dkg_dealing_encryption_pk": public.dealing_public_key.hex(),
        "transport_tls_cert": public.tls_certificate_der.hex(),
        "xnet_endpoint": endpoint(ip, p2p),
        "http_endpoint": endpoint(ip, http),
    }
    (directory / REGISTRATION_FILE).write_text(json.dumps(registration, indent=1))
    copied = None
    if operator_pem is not None:
        copied = directory / OPERATOR_PEM_FILE
        copied.touch(mode=0o600)
        shutil.copyfile(operator_pem, copied)
    return NodeInit(
        directory=directory,
        node_id=keys.node_id,
        xnet_endpoint=registration["xnet_endpoint"],
        http_endpoint=registration["http_endpoint"],
        operator_pem=copied,
    )


def read_registration(directory: Path) -> dict[str, Any]:
    try:
        value: dict[str, Any] = json.loads((directory / REGISTRATION_FILE).read_text())
    except (OSError, ValueError) as error:
        raise UsageError(f"no node in {directory} (run `icbox node init` first)") from error
    return value


def add_node_payload(registration: dict[str, Any]) -> dict[str, Any]:
    """The `add_node` argument (the official `AddNodePayload`) from `registration.json`."""
    return {
        "node_signing_pk": bytes.fromhex(registration["node_signing_pk"]),
        "committee_signing_pk": bytes.fromhex(registration["committee_signing_pk"]),
        "ni_dkg_dealing_encryption_pk": bytes.fromhex(registration["ni_dkg_dealing_encryption_pk"]),
        "transport_tls_cert": bytes.fromhex(registration["transport_tls_cert"]),
        "xnet_endpoint": registration["xnet_endpoint"],
        "http_endpoint": registration["http_endpoint"],
        "domain": None,
        "idkg_dealing_encryption_pk": None,
        "node_reward_type": None,
        "chip_id": None,
        "public_ipv4_config": None,
        "prometheus_metrics_endpoint": None,
        "p2p_flow_endpoints": None,
    }


def operator_session(session: Session, directory: Path) -> Session:
    """A session signed by the node's copy of its operator key, if it has one."""
    pem = directory / OPERATOR_PEM_FILE
    if not pem.exists():
        return session
    identity = identity_from_pem(pem.read_text(), str(pem))
    return Session(session.target, identity, identity_name="node operator")


def register_node(session: Session, directory: Path) -> Principal:
    """`add_node` signed by the session's identity (the operator); the registered node id."""
    registration = read_registration(directory)
    node_id: Principal = session.run(
        session.registry.canister.call_one("add_node", add_node_payload(registration))
    )
    if node_id.to_text() != registration["node_id"]:
        raise Refused(f"the registry registered {node_id}, not {registration['node_id']}")
    return node_id


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeStart:
    node_id: Principal
    registered_now: bool
    subnet_id: Principal | None
    supervisor_pid: int

    def to_json(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id.to_text(),
            "registered_now": self.registered_now,
            "subnet_id": None if self.subnet_id is None else self.subnet_id.to_text(),
            "supervisor_pid": self.supervisor_pid,
        }


def start_node(session: Session, directory: Path, *, register: bool = True) -> NodeStart:
    """Register the node unless the registry lists it, write its settings and start it."""
    from tui.network.processes import start_node as start_supervisor

    registration = read_registration(directory)
    node_id = Principal.from_text(registration["node_id"])
    load_node_directory(directory / KEYS_DIRECTORY)  # the keys are there and safe
    log: list[RegistryDelta] = []
    registry = fetch_registry(session, log)
    registered_now = False
    if registry.get_node_record(node_id) is None:
        if not register:
            raise Refused(f"node {node_id} is not registered", kind="NotFound")
        register_node(operator_session(session, directory), directory)
        log.clear()
        registry = fetch_registry(session, log)
        registered_now = True
    record = registry.get_node_record(node_id)
    if record is None:
        raise Refused(f"node {node_id} does not appear in the registry", kind="NotFound")
    subnet_id = registry.get_subnet_of_node(node_id)
    nns_subnet = registry.get("nns_subnet_id")
    unassigned = registry.get(UNASSIGNED_NODES_CONFIG_KEY)
    root_key = session.target.root_key_der or session.agent.inner.root_key_der
    settings = NodeSettings(
        node_id=node_id.to_text(),
        node_index=-1,
        subnet_id=None,
        p2p_host=record.xnet.ip_addr,
        p2p_port=record.xnet.port,
        http_host=record.http.ip_addr,
        http_port=record.http.port,
        log_file=str(directory.resolve() / LOG_FILE),
        replica_version=None if unassigned is None else unassigned.replica_version,
        root_key_hex=None if root_key is None else bytes(root_key).hex(),
        nns_subnet_id=None if nns_subnet is None else nns_subnet.subnet_id.to_text(),
        application_genesis=APPLICATION_GENESIS,
    )
    write_settings(directory, settings)
    seed_local_registry(directory / REGISTRY_FILE, log)
    pid = start_supervisor(directory)
    return NodeStart(
        node_id=node_id, registered_now=registered_now, subnet_id=subnet_id, supervisor_pid=pid
    )


def seed_local_registry(path: Path, log: list[RegistryDelta]) -> int:
    """Give a new node's local registry store the log read from the NNS; its latest version.

    The orchestrator's replicator then checks this copy before it trusts it: the chain hash
    over every version must equal the registry's certified data, read with a certificate
    that verifies under the NNS key (`replica.orchestrator.replicator`). A store that already
    holds versions is left as it is.
    """
    store, _ = open_local_registry(path)
    try:
        if store.latest_version > 0:
            return store.latest_version
        batches = batches_from_deltas(log, 0)
        with store.stable.transaction() as session:
            for batch in batches:
                store.append_replicated(session, batch.version, batch.changes)
        return store.latest_version
    finally:
        store.stable.dispose()


def stop_node(directory: Path) -> list[int]:
    from tui.network.processes import stop_nodes

    return stop_nodes([directory])
