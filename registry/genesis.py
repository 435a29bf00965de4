"""The initial registry of a network, built deterministically from a description and a seed.

Subnets of given sizes and types, unassigned nodes, node operators, one elected
replica version, and a routing table giving each subnet 2^20 canister ids with
the NNS subnet first, so the NNS canisters (ids 0 to 10) route to it. Node keys
(Ed25519 signing, X25519 dealing encryption, BLS committee signing, a
self-signed TLS certificate) derive from the seed as `replica.crypto.keys`
defines; the same description and seed always give the same registry.

`deal_genesis(description, seed) -> Genesis` is what the process that creates a
network calls, once: it builds the registry batches with the seeded trusted
dealer (`registry.dkg.SeededInitialDkg`) and deals each genesis subnet member
its own shares of the initial threshold keys, encrypted to the member's X25519
dealing key (`Genesis.initial_shares[node_id]`, a `NodeInitialShares`). Together
with `NodeSecretKeys.from_seed(seed, index)` that is all a node receives: the
creator writes both into the node's own directory
(`replica.crypto.keystore.write_node_directory`) and the node process loads
them from there (`load_node_directory`), never seeing the seed or another
node's secrets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from registry.dkg import InitialDkg, InitialDkgResult, SeededInitialDkg
from registry.records import (
    BLESSED_REPLICA_VERSIONS_KEY,
    CANISTER_IDS_PER_SUBNET,
    NNS_SUBNET_ID_KEY,
    ROUTING_TABLE_KEY,
    SUBNET_LIST_KEY,
    UNASSIGNED_NODES_CONFIG_KEY,
    BlessedReplicaVersions,
    CatchUpPackageContents,
    Endpoint,
    InitialDkgTranscript,
    KeyPurpose,
    NnsSubnetIdRecord,
    NodeOperatorRecord,
    NodeRecord,
    PublicKeyRecord,
    ReplicaVersionRecord,
    RoutingTable,
    RoutingTableEntry,
    SubnetListRecord,
    SubnetRecord,
    SubnetType,
    ThresholdPublicKeyRecord,
    TlsCertificateRecord,
    UnassignedNodesConfigRecord,
    catch_up_package_contents_key,
    crypto_record_key,
    node_operator_record_key,
    node_record_key,
    replica_version_key,
    subnet_record_key,
    threshold_public_key_key,
    tls_cert_key,
)
from registry.store import Mutation, insert, upsert
from replica.crypto.dkg import DkgId, DkgTag
from replica.crypto.initial_shares import InitialShareCiphertext, NodeInitialShares
from replica.crypto.keys import NodeSecretKeys, derive_seed
from replica.presets import LOCAL, Preset
from replica.types import Principal


@dataclass(frozen=True, slots=True, kw_only=True)
class SubnetSpec:
    size: int
    subnet_type: SubnetType = SubnetType.APPLICATION


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkDescription:
    """What a network starts with. The first subnet is the NNS subnet (a system subnet)."""

    subnets: tuple[SubnetSpec, ...] = (
        SubnetSpec(size=4, subnet_type=SubnetType.SYSTEM),
        SubnetSpec(size=4),
    )
    unassigned_nodes: int = 3
    node_operators: int = 1
    replica_version_id: str = "0.1.0"
    release_package_sha256_hex: str = "0" * 64
    release_package_urls: tuple[str, ...] = ("http://localhost/releases/0.1.0.tar.gz",)
    base_ip: str = "127.0.0"
    base_port: int = 40_000
    preset: Preset = LOCAL
    node_allowance: int = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class GenesisNode:
    node_id: Principal
    operator: Principal
    signing_key_der: bytes
    dealing_public_key: bytes
    committee_public_key: bytes
    tls_certificate_der: bytes
    xnet: Endpoint
    http: Endpoint


def make_node_keys(seed: bytes, index: int) -> tuple[bytes, bytes, bytes, bytes]:
    """(signing key DER, dealing public key, committee public key, TLS certificate DER).

    The keys of `NodeSecretKeys.from_seed(seed, index)`: the node signing key is
    Ed25519 (DER), the dealing key raw X25519 (32 bytes), the committee key a
    BLS12-381 G2 point (96 bytes).
    """
    keys = NodeSecretKeys.from_seed(seed, index).public_keys()
    return (
        keys.signing_key_der,
        keys.dealing_public_key,
        keys.committee_public_key,
        keys.tls_certificate_der,
    )


def make_genesis_nodes(description: NetworkDescription, seed: bytes) -> list[GenesisNode]:
    total = sum(spec.size for spec in description.subnets) + description.unassigned_nodes
    operators = [
        Principal.self_authenticating(derive_seed(seed, "operator", index))
        for index in range(max(1, description.node_operators))
    ]
    nodes = []
    for index in range(total):
        signing_der, dealing, committee, certificate = make_node_keys(seed, index)
        host = f"{description.base_ip}.{1 + index % 250}"
        nodes.append(
            GenesisNode(
                node_id=Principal.self_authenticating(signing_der),
                operator=operators[index % len(operators)],
                signing_key_der=signing_der,
                dealing_public_key=dealing,
                committee_public_key=committee,
                tls_certificate_der=certificate,
                xnet=Endpoint(ip_addr=host, port=description.base_port + 2 * index),
                http=Endpoint(ip_addr=host, port=description.base_port + 2 * index + 1),
            )
        )
    return nodes


@dataclass(frozen=True, slots=True, kw_only=True)
class Genesis:
    """A dealt network: the registry's batches, and per node its encrypted initial shares."""

    batches: tuple[tuple[Mutation, ...], ...]
    nodes: tuple[GenesisNode, ...]
    """Every node of the network in genesis order (node `index` has `NodeSecretKeys.from_seed(seed,
    index)`)."""
    initial_shares: Mapping[Principal, NodeInitialShares]
    """Every node's own shares (empty for unassigned nodes), readable only with its dealing key."""

    def shares_of(self, node_id: Principal) -> NodeInitialShares:
        return self.initial_shares.get(node_id, NodeInitialShares(node_id=node_id))


def deal_genesis(description: NetworkDescription, seed: bytes) -> Genesis:
    """Build the network's registry and deal each subnet member its encrypted initial shares.

    Runs once, in the process that creates the network: only it holds the dealer.
    """
    dkg = SeededInitialDkg(seed)
    nodes = make_genesis_nodes(description, seed)
    mutations, subnets = _build(description, nodes, dkg)
    dealing_keys = {node.node_id: node.dealing_public_key for node in nodes}
    dealt: dict[Principal, list[InitialShareCiphertext]] = {node.node_id: [] for node in nodes}
    for subnet_id, result in subnets:
        transcripts: tuple[tuple[DkgTag, InitialDkgTranscript], ...] = (
            ("low", result.low_threshold),
            ("high", result.high_threshold),
        )
        for tag, transcript in transcripts:
            dkg_id = DkgId(subnet_id=subnet_id, start_height=0, tag=tag)
            for member, ciphertext in dkg.deal_shares(dkg_id, transcript, dealing_keys).items():
                dealt[member].append(ciphertext)
    return Genesis(
        batches=(tuple(mutations),),
        nodes=tuple(nodes),
        initial_shares={
            node_id: NodeInitialShares(node_id=node_id, shares=tuple(shares))
            for node_id, shares in dealt.items()
        },
    )


def build_genesis(
    description: NetworkDescription, seed: bytes, initial_dkg: InitialDkg
) -> list[list[Mutation]]:
    """The batches that create the network: version 1 holds everything.

    Only the public records: a network that runs replicas uses `deal_genesis`, which also
    deals the members their shares.
    """
    mutations, _ = _build(description, make_genesis_nodes(description, seed), initial_dkg)
    return [mutations]


def _build(
    description: NetworkDescription, nodes: list[GenesisNode], initial_dkg: InitialDkg
) -> tuple[list[Mutation], list[tuple[Principal, InitialDkgResult]]]:
    """The genesis mutations, and each subnet with its initial DKG result."""
    subnets: list[tuple[Principal, InitialDkgResult]] = []
    mutations: list[Mutation] = []
    operators: dict[Principal, int] = {}
    for node in nodes:
        operators[node.operator] = operators.get(node.operator, 0) + 1
        mutations += [
            insert(
                node_record_key(node.node_id),
                NodeRecord(xnet=node.xnet, http=node.http, node_operator_id=node.operator),
            ),
            insert(
                crypto_record_key(node.node_id, KeyPurpose.NODE_SIGNING),
                PublicKeyRecord(key_value=node.signing_key_der),
            ),
            insert(
                crypto_record_key(node.node_id, KeyPurpose.DKG_DEALING_ENCRYPTION),
                PublicKeyRecord(key_value=node.dealing_public_key),
            ),
            insert(
                crypto_record_key(node.node_id, KeyPurpose.COMMITTEE_SIGNING),
                PublicKeyRecord(key_value=node.committee_public_key),
            ),
            insert(
                tls_cert_key(node.node_id),
                TlsCertificateRecord(certificate_der=node.tls_certificate_der),
            ),
        ]
    for operator, count in operators.items():
        mutations.append(
            insert(
                node_operator_record_key(operator),
                NodeOperatorRecord(
                    node_operator_principal_id=operator,
                    node_provider_principal_id=operator,
                    node_allowance=max(0, description.node_allowance - count),
                ),
            )
        )
    version = description.replica_version_id
    mutations += [
        insert(
            replica_version_key(version),
            ReplicaVersionRecord(
                release_package_sha256_hex=description.release_package_sha256_hex,
                release_package_urls=description.release_package_urls,
            ),
        ),
        insert(
            BLESSED_REPLICA_VERSIONS_KEY, BlessedReplicaVersions(blessed_version_ids=(version,))
        ),
        insert(UNASSIGNED_NODES_CONFIG_KEY, UnassignedNodesConfigRecord(replica_version=version)),
    ]
    subnet_ids: list[Principal] = []
    routing = []
    offset = 0
    for number, spec in enumerate(description.subnets):
        members = tuple(node.node_id for node in nodes[offset : offset + spec.size])
        offset += spec.size
        result = initial_dkg.setup_initial_dkg(members, 0)
        subnet_id = result.subnet_id
        subnet_ids.append(subnet_id)
        subnets.append((subnet_id, result))
        preset = description.preset
        mutations += [
            insert(
                subnet_record_key(subnet_id),
                SubnetRecord(
                    membership=members,
                    subnet_type=spec.subnet_type if number else SubnetType.SYSTEM,
                    replica_version_id=version,
                    dkg_interval_length=preset.dkg_interval_length,
                    unit_delay_millis=preset.unit_delay_ms,
                    initial_notary_delay_millis=preset.initial_notary_delay_ms,
                    start_as_nns=number == 0,
                ),
            ),
            insert(
                catch_up_package_contents_key(subnet_id),
                CatchUpPackageContents(
                    height=0,
                    time_ns=0,
                    state_hash=bytes(32),
                    low_threshold_transcript=result.low_threshold,
                    high_threshold_transcript=result.high_threshold,
                ),
            ),
            insert(
                threshold_public_key_key(subnet_id),
                ThresholdPublicKeyRecord(public_key_der=result.public_key_der),
            ),
        ]
        start = number * CANISTER_IDS_PER_SUBNET
        routing.append(
            RoutingTableEntry(
                start=start, end=start + CANISTER_IDS_PER_SUBNET - 1, subnet_id=subnet_id
            )
        )
    mutations += [
        upsert(SUBNET_LIST_KEY, SubnetListRecord(subnets=tuple(subnet_ids))),
        upsert(ROUTING_TABLE_KEY, RoutingTable(entries=tuple(routing))),
    ]
    if subnet_ids:
        mutations.append(upsert(NNS_SUBNET_ID_KEY, NnsSubnetIdRecord(subnet_id=subnet_ids[0])))
    return mutations, subnets
