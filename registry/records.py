"""Registry keys and the records stored under them (spec A.3, A.4).

Values are stored as canonical bytes of these frozen records; ids appear in
keys in their textual principal form. Canister id ranges are closed ranges of
canister indices (the u64 inside an opaque canister id).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from replica.types import Principal

SUBNET_LIST_KEY: Final = "subnet_list"
NNS_SUBNET_ID_KEY: Final = "nns_subnet_id"
BLESSED_REPLICA_VERSIONS_KEY: Final = "blessed_replica_versions"
ROUTING_TABLE_KEY: Final = "routing_table"
UNASSIGNED_NODES_CONFIG_KEY: Final = "unassigned_nodes_config"

SUBNET_RECORD_PREFIX: Final = "subnet_record_"
NODE_RECORD_PREFIX: Final = "node_record_"
NODE_OPERATOR_RECORD_PREFIX: Final = "node_operator_record_"
DATA_CENTER_RECORD_PREFIX: Final = "data_center_record_"
REPLICA_VERSION_PREFIX: Final = "replica_version_"
CATCH_UP_PACKAGE_CONTENTS_PREFIX: Final = "catch_up_package_contents_"
THRESHOLD_PUBLIC_KEY_PREFIX: Final = "crypto_threshold_signing_public_key_"
CRYPTO_RECORD_PREFIX: Final = "crypto_record_"
TLS_CERT_PREFIX: Final = "crypto_tls_cert_"

CANISTER_IDS_PER_SUBNET: Final = 1 << 20


class KeyPurpose(IntEnum):
    """Purposes of node public keys (the IC's `KeyPurpose` numbering)."""

    NODE_SIGNING = 1
    DKG_DEALING_ENCRYPTION = 3
    COMMITTEE_SIGNING = 4
    IDKG_MEGA_ENCRYPTION = 5


REQUIRED_KEY_PURPOSES: Final = (
    KeyPurpose.NODE_SIGNING,
    KeyPurpose.DKG_DEALING_ENCRYPTION,
    KeyPurpose.COMMITTEE_SIGNING,
)


class SubnetType(IntEnum):
    UNSPECIFIED = 0
    APPLICATION = 1
    SYSTEM = 2
    VERIFIED_APPLICATION = 4
    CLOUD_ENGINE = 5


def subnet_record_key(subnet_id: Principal) -> str:
    return f"{SUBNET_RECORD_PREFIX}{subnet_id}"


def node_record_key(node_id: Principal) -> str:
    return f"{NODE_RECORD_PREFIX}{node_id}"


def node_operator_record_key(operator: Principal) -> str:
    return f"{NODE_OPERATOR_RECORD_PREFIX}{operator}"


def data_center_record_key(dc_id: str) -> str:
    return f"{DATA_CENTER_RECORD_PREFIX}{dc_id}"


def replica_version_key(version_id: str) -> str:
    return f"{REPLICA_VERSION_PREFIX}{version_id}"


def catch_up_package_contents_key(subnet_id: Principal) -> str:
    return f"{CATCH_UP_PACKAGE_CONTENTS_PREFIX}{subnet_id}"


def threshold_public_key_key(subnet_id: Principal) -> str:
    return f"{THRESHOLD_PUBLIC_KEY_PREFIX}{subnet_id}"


def crypto_record_key(node_id: Principal, purpose: KeyPurpose) -> str:
    return f"{CRYPTO_RECORD_PREFIX}{node_id}_{int(purpose)}"


def tls_cert_key(node_id: Principal) -> str:
    return f"{TLS_CERT_PREFIX}{node_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    ip_addr: str
    port: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeRecord:
    xnet: Endpoint
    http: Endpoint
    node_operator_id: Principal
    hostos_version_id: str | None = None
    domain: str | None = None
    node_reward_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PublicKeyRecord:
    """One node public key: Ed25519 DER for signing, raw X25519 (32 bytes) for dealing
    encryption, a compressed BLS12-381 G2 point (96 bytes) for committee signing."""

    key_value: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class TlsCertificateRecord:
    certificate_der: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class SubnetFeatures:
    """The optional features of a subnet (the IC's `SubnetFeatures`): stored as given."""

    canister_sandboxing: bool = False
    http_requests: bool = False
    sev_enabled: bool | None = None


NO_SUBNET_FEATURES: Final = SubnetFeatures()


class CanisterCyclesCostSchedule(IntEnum):
    """How a subnet charges canisters for cycles (the IC's `CanisterCyclesCostSchedule`)."""

    NORMAL = 0
    FREE = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class SubnetRecord:
    membership: tuple[Principal, ...]
    subnet_type: SubnetType
    replica_version_id: str
    dkg_interval_length: int
    unit_delay_millis: int
    initial_notary_delay_millis: int
    max_ingress_bytes_per_message: int = 2 * 1024 * 1024
    max_ingress_messages_per_block: int = 1_000
    max_block_payload_size: int = 4 * 1024 * 1024
    dkg_dealings_per_block: int = 1
    start_as_nns: bool = False
    is_halted: bool = False
    halt_at_cup_height: bool = False
    max_number_of_canisters: int = 0
    ssh_readonly_access: tuple[str, ...] = ()
    ssh_backup_access: tuple[str, ...] = ()
    features: SubnetFeatures = NO_SUBNET_FEATURES
    canister_cycles_cost_schedule: CanisterCyclesCostSchedule = CanisterCyclesCostSchedule.NORMAL


@dataclass(frozen=True, slots=True, kw_only=True)
class SubnetListRecord:
    subnets: tuple[Principal, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class NnsSubnetIdRecord:
    subnet_id: Principal


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaVersionRecord:
    release_package_sha256_hex: str
    release_package_urls: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class BlessedReplicaVersions:
    blessed_version_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingTableEntry:
    """A closed range of canister indices hosted by one subnet."""

    start: int
    end: int
    subnet_id: Principal


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingTable:
    entries: tuple[RoutingTableEntry, ...]

    def get_subnet_for(self, canister_index: int) -> Principal | None:
        """The subnet whose range holds the index, by binary search over the sorted ranges."""
        position = bisect_right([entry.start for entry in self.entries], canister_index) - 1
        if position < 0:
            return None
        entry = self.entries[position]
        return entry.subnet_id if entry.start <= canister_index <= entry.end else None


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeOperatorRecord:
    node_operator_principal_id: Principal
    node_provider_principal_id: Principal
    node_allowance: int
    dc_id: str = ""
    ipv6: str | None = None
    rewardable_nodes: tuple[tuple[str, int], ...] = ()
    max_rewardable_nodes: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DataCenterRecord:
    id: str
    region: str
    owner: str
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InitialDkgTranscript:
    """What a subnet's genesis needs of one initial DKG transcript."""

    threshold: int
    committee: tuple[Principal, ...]
    registry_version: int
    public_key_der: bytes
    transcript: bytes
    """The Feldman commitments, concatenated compressed G2 points."""
    internal_transcript: bytes = b""
    """The whole transcript of a remote DKG (`replica.crypto.dkg.Transcript` bytes: the dealings,
    with each member's share encrypted to the member's dealing key; the IC's
    `internal_csp_transcript`); empty for one the genesis dealer made."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CatchUpPackageContents:
    height: int
    time_ns: int
    state_hash: bytes
    low_threshold_transcript: InitialDkgTranscript
    high_threshold_transcript: InitialDkgTranscript
    encrypted_shares: tuple[tuple[Principal, bytes], ...] = ()
    """Per member, its shares of both transcripts encrypted to its own dealing key
    (`replica.crypto.initial_shares.NodeInitialShares` bytes): how the members of a subnet
    created after genesis receive their keys, as an NI-DKG transcript carries its ciphertexts."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ThresholdPublicKeyRecord:
    public_key_der: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class UnassignedNodesConfigRecord:
    replica_version: str
    ssh_readonly_access: tuple[str, ...] = ()
