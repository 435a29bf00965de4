"""The registry canister: proposal-driven mutations, node registration and queries.

Every mutating method builds one atomic batch and hands it to the store, which
checks mutation kinds and the global invariants before anything is written
(spec A.2, B). Proposal-driven methods accept only the governance canister as
caller; `add_node` is called by a node operator with an allowance left.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Final

from registry.certification import EMPTY_CHAIN, compute_chain_hash
from registry.dkg import InitialDkg, InitialDkgResult, initial_dkg_result_from_reply
from registry.errors import InvalidPayload, KeyNotPresent, Unauthorized
from registry.invariants import check_global_invariants
from registry.node_rewards import (
    NODE_REWARDS_TABLE_KEY,
    NodeRewardsTable,
    UpdateNodeRewardsTableProposalPayload,
    compute_rewards_per_node_provider,
)
from registry.records import (
    BLESSED_REPLICA_VERSIONS_KEY,
    DATA_CENTER_RECORD_PREFIX,
    NNS_SUBNET_ID_KEY,
    NODE_OPERATOR_RECORD_PREFIX,
    NODE_RECORD_PREFIX,
    ROUTING_TABLE_KEY,
    SUBNET_LIST_KEY,
    UNASSIGNED_NODES_CONFIG_KEY,
    BlessedReplicaVersions,
    CatchUpPackageContents,
    KeyPurpose,
    NodeOperatorRecord,
    NodeRecord,
    PublicKeyRecord,
    ReplicaVersionRecord,
    RoutingTable,
    SubnetListRecord,
    SubnetRecord,
    ThresholdPublicKeyRecord,
    TlsCertificateRecord,
    UnassignedNodesConfigRecord,
    catch_up_package_contents_key,
    crypto_record_key,
    data_center_record_key,
    node_operator_record_key,
    node_record_key,
    replica_version_key,
    subnet_record_key,
    threshold_public_key_key,
    tls_cert_key,
)
from registry.requests import (
    AddNodeOperatorPayload,
    AddNodePayload,
    AddNodesToSubnetPayload,
    AddOrRemoveDataCentersProposalPayload,
    ChangeSubnetMembershipPayload,
    CreateSubnetPayload,
    DeployGuestosToAllSubnetNodesPayload,
    DeployGuestosToAllUnassignedNodesPayload,
    RecoverSubnetPayload,
    RemoveNodesFromSubnetPayload,
    RemoveNodesPayload,
    ReviseElectedGuestosVersionsPayload,
    UpdateNodeOperatorConfigPayload,
    UpdateSubnetPayload,
)
from registry.store import (
    TABLES,
    Mutation,
    RegistryDelta,
    RegistryStore,
    RegistryView,
    delete,
    insert,
    update,
    upsert,
)
from registry.subnet_creation import make_create_subnet_mutations
from replica.canister import codec
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID
from replica.canister.stable import StableStore
from replica.crypto import bls
from replica.environment import DEFERRED, Environment, OutgoingCall
from replica.types import Principal

MANAGEMENT_CANISTER: Final = Principal.management_canister()


class Registry:
    """The registry canister."""

    def __init__(
        self,
        environment: Environment,
        *,
        initial_dkg: InitialDkg | None = None,
        governance_id: Principal = GOVERNANCE_CANISTER_ID,
        path: str | None = None,
    ) -> None:
        self.environment = environment
        self.initial_dkg = initial_dkg
        self.governance_id = governance_id
        self.store = StableStore(list(TABLES), path)
        self.registry = RegistryStore(self.store)
        self.check_invariants: Callable[[RegistryView], None] = check_global_invariants
        self._head: tuple[int, bytes] = (0, EMPTY_CHAIN)

    # -- the checked path -------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        try:
            with self.store.transaction() as session:
                yield session
        except BaseException:
            self.registry.reload()
            self._head = (0, EMPTY_CHAIN)
            raise

    def apply(self, mutations: Sequence[Mutation]) -> int:
        """Check one batch against kinds and invariants and append it; returns its version."""
        with self._transaction() as session:
            version = self.registry.apply(session, mutations, check=self.check_invariants)
        self.certify()
        return version

    def certified_head(self) -> bytes:
        """The head of the hash chain over the changelog (`registry.certification`)."""
        version, head = self._head
        if version != self.registry.latest_version:
            if version > self.registry.latest_version:
                version, head = 0, EMPTY_CHAIN  # a rolled-back message: chain again
            for batch_version, changes in self.registry.changelog(after=version):
                head = compute_chain_hash(head, batch_version, changes)
            self._head = (self.registry.latest_version, head)
        return self._head[1]

    def certify(self) -> None:
        """Make the chain head the canister's certified data (inside a message), so nodes can
        check the changes they replicate against the NNS key."""
        setter = getattr(self.environment, "set_certified_data", None)
        if setter is not None:
            setter(self.certified_head())

    def apply_genesis(self, batches: Sequence[Sequence[Mutation]]) -> int:
        """Apply the initial batches in order, each through the same checks."""
        version = self.registry.latest_version
        for batch in batches:
            version = self.apply(batch)
        return version

    def _require_governance(self, caller: Principal) -> None:
        if caller != self.governance_id:
            raise Unauthorized(f"only the governance canister may call this method, not {caller}")

    def _subnet(self, subnet_id: Principal) -> SubnetRecord:
        record: SubnetRecord | None = self.registry.get(subnet_record_key(subnet_id))
        if record is None:
            raise InvalidPayload(f"subnet {subnet_id} does not exist")
        return record

    def _require_nodes(self, node_ids: Sequence[Principal]) -> None:
        for node_id in node_ids:
            if self.registry.get(node_record_key(node_id)) is None:
                raise InvalidPayload(f"node {node_id} is not registered")

    def subnet_of(self, node_id: Principal) -> Principal | None:
        subnet_list: SubnetListRecord | None = self.registry.get(SUBNET_LIST_KEY)
        for subnet_id in subnet_list.subnets if subnet_list is not None else ():
            if node_id in self._subnet(subnet_id).membership:
                return subnet_id
        return None

    # -- subnets (spec B) -------------------------------------------------------------------

    def create_subnet(self, caller: Principal, payload: CreateSubnetPayload) -> Any:
        """Create a subnet of unassigned nodes (`MUT/do_create_subnet.rs`): its initial keys come
        from the NNS subnet's `setup_initial_dkg` (a remote DKG its consensus runs; the reply
        arrives in `_on_initial_dkg_for_new_subnet`), or at once from an in-process dealer when
        this registry was given one (tests, previews). Answers the new subnet's id, or DEFERRED
        while the NNS subnet deals its keys."""
        self._require_governance(caller)
        payload.validate()
        self._require_nodes(payload.node_ids)
        for node_id in payload.node_ids:
            subnet = self.subnet_of(node_id)
            if subnet is not None:
                raise InvalidPayload(f"node {node_id} is already a member of subnet {subnet}")
        if self.initial_dkg is None:
            self._ask_initial_dkg(payload.node_ids, "_on_initial_dkg_for_new_subnet", payload)
            return DEFERRED
        result = self.initial_dkg.setup_initial_dkg(payload.node_ids, self.registry.latest_version)
        subnet_id = payload.subnet_id_override or result.subnet_id
        return self._write_new_subnet(
            payload, result, self._encrypt_shares(subnet_id, result, payload.node_ids)
        )

    def _ask_initial_dkg(
        self, node_ids: Sequence[Principal], on_reply: str, context: object
    ) -> None:
        """Call the management canister's `setup_initial_dkg` at the latest registry version."""
        self.environment.call(
            OutgoingCall(
                callee=MANAGEMENT_CANISTER,
                method="setup_initial_dkg",
                argument={
                    "node_ids": list(node_ids),
                    "registry_version": self.registry.latest_version,
                },
                on_reply=on_reply,
                on_reject="_on_initial_dkg_refused",
                context=context,
            )
        )

    def _on_initial_dkg_for_new_subnet(
        self, payload: CreateSubnetPayload, reply: object
    ) -> Principal:
        return self._write_new_subnet(payload, initial_dkg_result_from_reply(reply), ())

    def _on_initial_dkg_refused(self, context: object, reject: object) -> None:
        message = getattr(reject, "message", str(reject))
        raise InvalidPayload(f"the initial DKG failed: {message}")

    def _write_new_subnet(
        self,
        payload: CreateSubnetPayload,
        result: InitialDkgResult,
        encrypted_shares: tuple[tuple[Principal, bytes], ...],
    ) -> Principal:
        """Write the subnet record, the subnet list, the CUP contents, the threshold key and a
        routing-table range in one version."""
        subnet_id, mutations = make_create_subnet_mutations(
            self.registry, payload, result, encrypted_shares
        )
        self.apply(mutations)
        return subnet_id

    def _encrypt_shares(
        self,
        subnet_id: Principal,
        result: InitialDkgResult,
        node_ids: Sequence[Principal],
        start_height: int = 0,
    ) -> tuple[tuple[Principal, bytes], ...]:
        """The members' shares from an in-process dealer, each encrypted to the member's registered
        dealing key (a remote DKG's transcripts carry them instead)."""
        encrypt = getattr(self.initial_dkg, "encrypt_shares_for_members", None)
        if encrypt is None:
            return ()
        keys = {}
        for node_id in node_ids:
            record: PublicKeyRecord | None = self.registry.get(
                crypto_record_key(node_id, KeyPurpose.DKG_DEALING_ENCRYPTION)
            )
            if record is None:
                raise InvalidPayload(f"node {node_id} has no dealing encryption key")
            keys[node_id] = bytes(record.key_value)
        shares: tuple[tuple[Principal, bytes], ...] = encrypt(subnet_id, result, keys, start_height)
        return shares

    def add_nodes_to_subnet(self, caller: Principal, payload: AddNodesToSubnetPayload) -> int:
        self._require_governance(caller)
        payload.validate()
        record = self._subnet(payload.subnet_id)
        self._require_nodes(payload.node_ids)
        updated = replace(record, membership=(*payload.node_ids, *record.membership))
        return self.apply([update(subnet_record_key(payload.subnet_id), updated)])

    def remove_nodes_from_subnet(
        self, caller: Principal, payload: RemoveNodesFromSubnetPayload
    ) -> int:
        self._require_governance(caller)
        payload.validate()
        removed = set(payload.node_ids)
        subnet_list: SubnetListRecord | None = self.registry.get(SUBNET_LIST_KEY)
        mutations = []
        for subnet_id in subnet_list.subnets if subnet_list is not None else ():
            record = self._subnet(subnet_id)
            if removed & set(record.membership):
                kept = tuple(node for node in record.membership if node not in removed)
                mutations.append(
                    update(subnet_record_key(subnet_id), replace(record, membership=kept))
                )
        if not mutations:
            raise InvalidPayload("none of the nodes is a member of a subnet")
        return self.apply(mutations)

    def change_subnet_membership(
        self, caller: Principal, payload: ChangeSubnetMembershipPayload
    ) -> int:
        """Add and remove nodes of one subnet in one registry version (node replacement)."""
        self._require_governance(caller)
        payload.validate()
        record = self._subnet(payload.subnet_id)
        for node_id in payload.node_ids_remove:
            if node_id not in record.membership:
                raise InvalidPayload(
                    f"node {node_id} is not a member of subnet {payload.subnet_id}"
                )
        self._require_nodes(payload.node_ids_add)
        removed = set(payload.node_ids_remove)
        membership = (
            *payload.node_ids_add,
            *(node for node in record.membership if node not in removed),
        )
        return self.apply(
            [upsert(subnet_record_key(payload.subnet_id), replace(record, membership=membership))]
        )

    def update_subnet(self, caller: Principal, payload: UpdateSubnetPayload) -> int:
        self._require_governance(caller)
        payload.validate()
        record = self._subnet(payload.subnet_id)
        changes = {
            name: getattr(payload, name)
            for name in (
                "max_ingress_bytes_per_message",
                "max_ingress_messages_per_block",
                "max_block_payload_size",
                "unit_delay_millis",
                "initial_notary_delay_millis",
                "dkg_interval_length",
                "dkg_dealings_per_block",
                "start_as_nns",
                "subnet_type",
                "is_halted",
                "halt_at_cup_height",
                "max_number_of_canisters",
                "ssh_readonly_access",
                "ssh_backup_access",
                "features",
            )
            if getattr(payload, name) is not None
        }
        if not changes:
            raise InvalidPayload("the update changes nothing")
        return self.apply(
            [update(subnet_record_key(payload.subnet_id), replace(record, **changes))]
        )

    def recover_subnet(self, caller: Principal, payload: RecoverSubnetPayload) -> Any:
        """A new CUP (and new keys, from `setup_initial_dkg` like a new subnet's) for a stalled
        subnet, optionally with new members (`MUT/do_recover_subnet.rs`)."""
        self._require_governance(caller)
        payload.validate()
        record = self._subnet(payload.subnet_id)
        if payload.replacement_nodes is not None:
            self._require_nodes(payload.replacement_nodes)
            record = replace(record, membership=payload.replacement_nodes)
        if self.initial_dkg is None:
            self._ask_initial_dkg(record.membership, "_on_initial_dkg_for_recovery", payload)
            return DEFERRED
        result = self.initial_dkg.setup_initial_dkg(record.membership, self.registry.latest_version)
        return self._write_recovery(payload, result)

    def _on_initial_dkg_for_recovery(self, payload: RecoverSubnetPayload, reply: object) -> int:
        return self._write_recovery(payload, initial_dkg_result_from_reply(reply))

    def _write_recovery(self, payload: RecoverSubnetPayload, result: InitialDkgResult) -> int:
        record = self._subnet(payload.subnet_id)
        if payload.replacement_nodes is not None:
            self._require_nodes(payload.replacement_nodes)
            record = replace(record, membership=payload.replacement_nodes)
        record = replace(record, halt_at_cup_height=False, is_halted=True)
        mutations = [
            update(subnet_record_key(payload.subnet_id), record),
            update(
                catch_up_package_contents_key(payload.subnet_id),
                CatchUpPackageContents(
                    height=payload.height,
                    time_ns=payload.time_ns,
                    state_hash=payload.state_hash,
                    low_threshold_transcript=result.low_threshold,
                    high_threshold_transcript=result.high_threshold,
                    encrypted_shares=self._encrypt_shares(
                        payload.subnet_id, result, record.membership, payload.height
                    ),
                ),
            ),
            update(
                threshold_public_key_key(payload.subnet_id),
                ThresholdPublicKeyRecord(public_key_der=result.public_key_der),
            ),
        ]
        return self.apply(mutations)

    # -- replica versions (spec B) ----------------------------------------------------------

    def revise_elected_guestos_versions(
        self, caller: Principal, payload: ReviseElectedGuestosVersionsPayload
    ) -> int:
        self._require_governance(caller)
        payload.validate()
        blessed: BlessedReplicaVersions | None = self.registry.get(BLESSED_REPLICA_VERSIONS_KEY)
        versions = list(blessed.blessed_version_ids if blessed is not None else ())
        mutations: list[Mutation] = []
        in_use = self._versions_in_use()
        for version_id in payload.replica_versions_to_unelect:
            if version_id in in_use:
                raise InvalidPayload(
                    f"replica version {version_id} is in use by {in_use[version_id]}"
                )
            if self.registry.get(replica_version_key(version_id)) is None:
                raise KeyNotPresent(replica_version_key(version_id))
            mutations.append(delete(replica_version_key(version_id)))
            versions = [v for v in versions if v != version_id]
        if payload.replica_version_to_elect is not None and payload.release_package_sha256_hex:
            mutations.append(
                insert(
                    replica_version_key(payload.replica_version_to_elect),
                    ReplicaVersionRecord(
                        release_package_sha256_hex=payload.release_package_sha256_hex,
                        release_package_urls=payload.release_package_urls,
                    ),
                )
            )
            versions.append(payload.replica_version_to_elect)
        mutations.append(
            upsert(
                BLESSED_REPLICA_VERSIONS_KEY,
                BlessedReplicaVersions(blessed_version_ids=tuple(versions)),
            )
        )
        return self.apply(mutations)

    def _versions_in_use(self) -> dict[str, str]:
        in_use: dict[str, str] = {}
        subnet_list: SubnetListRecord | None = self.registry.get(SUBNET_LIST_KEY)
        for subnet_id in subnet_list.subnets if subnet_list is not None else ():
            in_use[self._subnet(subnet_id).replica_version_id] = f"subnet {subnet_id}"
        unassigned: UnassignedNodesConfigRecord | None = self.registry.get(
            UNASSIGNED_NODES_CONFIG_KEY
        )
        if unassigned is not None:
            in_use[unassigned.replica_version] = "the unassigned nodes"
        return in_use

    def _require_blessed(self, version_id: str) -> None:
        blessed: BlessedReplicaVersions | None = self.registry.get(BLESSED_REPLICA_VERSIONS_KEY)
        if blessed is None or version_id not in blessed.blessed_version_ids:
            raise InvalidPayload(f"replica version {version_id} is not elected")

    def deploy_guestos_to_all_subnet_nodes(
        self, caller: Principal, payload: DeployGuestosToAllSubnetNodesPayload
    ) -> int:
        self._require_governance(caller)
        payload.validate()
        self._require_blessed(payload.replica_version_id)
        record = self._subnet(payload.subnet_id)
        return self.apply(
            [
                update(
                    subnet_record_key(payload.subnet_id),
                    replace(record, replica_version_id=payload.replica_version_id),
                )
            ]
        )

    def deploy_guestos_to_all_unassigned_nodes(
        self, caller: Principal, payload: DeployGuestosToAllUnassignedNodesPayload
    ) -> int:
        self._require_governance(caller)
        payload.validate()
        self._require_blessed(payload.elected_replica_version)
        current: UnassignedNodesConfigRecord | None = self.registry.get(UNASSIGNED_NODES_CONFIG_KEY)
        config = (
            UnassignedNodesConfigRecord(replica_version=payload.elected_replica_version)
            if current is None
            else replace(current, replica_version=payload.elected_replica_version)
        )
        return self.apply([upsert(UNASSIGNED_NODES_CONFIG_KEY, config)])

    # -- operators, nodes and data centers (spec B) -----------------------------------------

    def add_node_operator(self, caller: Principal, payload: AddNodeOperatorPayload) -> int:
        self._require_governance(caller)
        payload.validate()
        operator_id, provider_id = (
            payload.node_operator_principal_id,
            payload.node_provider_principal_id,
        )
        if operator_id is None or provider_id is None:
            raise InvalidPayload("node operator and node provider principal ids are required")
        record = NodeOperatorRecord(
            node_operator_principal_id=operator_id,
            node_provider_principal_id=provider_id,
            node_allowance=payload.node_allowance,
            dc_id=payload.dc_id,
            ipv6=payload.ipv6,
            rewardable_nodes=payload.rewardable_nodes,
            max_rewardable_nodes=payload.max_rewardable_nodes or (),
        )
        return self.apply([insert(node_operator_record_key(operator_id), record)])

    def update_node_operator_config(
        self, caller: Principal, payload: UpdateNodeOperatorConfigPayload
    ) -> int:
        self._require_governance(caller)
        payload.validate()
        if payload.node_operator_id is None:
            raise InvalidPayload("node_operator_id is required")
        key = node_operator_record_key(payload.node_operator_id)
        record: NodeOperatorRecord | None = self.registry.get(key)
        if record is None:
            raise KeyNotPresent(key)
        changes: dict[str, Any] = {}
        if payload.node_allowance is not None:
            changes["node_allowance"] = payload.node_allowance
        if payload.dc_id is not None:
            changes["dc_id"] = payload.dc_id
        if payload.node_provider_id is not None:
            changes["node_provider_principal_id"] = payload.node_provider_id
        if payload.ipv6 is not None or payload.set_ipv6_to_none:
            changes["ipv6"] = payload.ipv6
        if payload.rewardable_nodes:
            changes["rewardable_nodes"] = payload.rewardable_nodes
        if payload.max_rewardable_nodes is not None:
            changes["max_rewardable_nodes"] = payload.max_rewardable_nodes
        return self.apply([update(key, replace(record, **changes))])

    def add_node(self, caller: Principal, payload: AddNodePayload) -> Principal:
        """A node operator registers a node: keys, endpoints, one allowance used."""
        payload.validate()
        operator_key = node_operator_record_key(caller)
        operator: NodeOperatorRecord | None = self.registry.get(operator_key)
        if operator is None:
            raise Unauthorized(f"{caller} is not a node operator")
        if operator.node_allowance <= 0:
            raise InvalidPayload(f"node operator {caller} has no node allowance left")
        if not bls.is_valid_public_key(payload.committee_signing_public_key):
            raise InvalidPayload(
                "the committee signing key is not a 96-byte BLS12-381 G2 public key"
            )
        if len(payload.dkg_dealing_encryption_public_key) != 32:
            raise InvalidPayload("the dealing encryption key is not a 32-byte X25519 public key")
        node_id = Principal.self_authenticating(payload.node_signing_public_key_der)
        if self.registry.get(node_record_key(node_id)) is not None:
            raise InvalidPayload(f"node {node_id} is already registered")
        record = NodeRecord(
            xnet=payload.xnet_endpoint,
            http=payload.http_endpoint,
            node_operator_id=caller,
            domain=payload.domain,
            node_reward_type=payload.node_reward_type,
        )
        idkg_key = payload.idkg_dealing_encryption_public_key
        self.apply(
            [
                *(
                    [
                        insert(
                            crypto_record_key(node_id, KeyPurpose.IDKG_MEGA_ENCRYPTION),
                            PublicKeyRecord(key_value=idkg_key),
                        )
                    ]
                    if idkg_key is not None
                    else []
                ),
                insert(node_record_key(node_id), record),
                insert(
                    crypto_record_key(node_id, KeyPurpose.NODE_SIGNING),
                    PublicKeyRecord(key_value=payload.node_signing_public_key_der),
                ),
                insert(
                    crypto_record_key(node_id, KeyPurpose.COMMITTEE_SIGNING),
                    PublicKeyRecord(key_value=payload.committee_signing_public_key),
                ),
                insert(
                    crypto_record_key(node_id, KeyPurpose.DKG_DEALING_ENCRYPTION),
                    PublicKeyRecord(key_value=payload.dkg_dealing_encryption_public_key),
                ),
                insert(
                    tls_cert_key(node_id),
                    TlsCertificateRecord(certificate_der=payload.transport_tls_certificate_der),
                ),
                update(operator_key, replace(operator, node_allowance=operator.node_allowance - 1)),
            ]
        )
        return node_id

    def remove_nodes(self, caller: Principal, payload: RemoveNodesPayload) -> int:
        self._require_governance(caller)
        payload.validate()
        mutations: list[Mutation] = []
        allowances: dict[str, NodeOperatorRecord] = {}
        for node_id in dict.fromkeys(payload.node_ids):
            record: NodeRecord | None = self.registry.get(node_record_key(node_id))
            if record is None:
                continue
            subnet = self.subnet_of(node_id)
            if subnet is not None:
                raise InvalidPayload(f"node {node_id} is still a member of subnet {subnet}")
            mutations.append(delete(node_record_key(node_id)))
            for purpose in KeyPurpose:
                if self.registry.get(crypto_record_key(node_id, purpose)) is not None:
                    mutations.append(delete(crypto_record_key(node_id, purpose)))
            mutations.append(delete(tls_cert_key(node_id)))
            operator_key = node_operator_record_key(record.node_operator_id)
            operator = allowances.get(operator_key) or self.registry.get(operator_key)
            if operator is not None:
                allowances[operator_key] = replace(
                    operator, node_allowance=operator.node_allowance + 1
                )
        if not mutations:
            raise InvalidPayload("none of the nodes is registered")
        mutations.extend(update(key, record) for key, record in allowances.items())
        return self.apply(mutations)

    def add_or_remove_data_centers(
        self, caller: Principal, payload: AddOrRemoveDataCentersProposalPayload
    ) -> int:
        self._require_governance(caller)
        payload.validate()
        mutations = [
            insert(data_center_record_key(dc.id), dc) for dc in payload.data_centers_to_add
        ]
        mutations += [
            delete(data_center_record_key(dc_id)) for dc_id in payload.data_centers_to_remove
        ]
        return self.apply(mutations)

    # -- node rewards (registry/node_rewards.py) ---------------------------------------------

    def update_node_rewards_table(
        self, caller: Principal, payload: UpdateNodeRewardsTableProposalPayload
    ) -> int:
        """Extend the node rewards table (NNS function 20, `do_update_node_rewards_table`)."""
        self._require_governance(caller)
        payload.validate()
        table = self.registry.get(NODE_REWARDS_TABLE_KEY) or NodeRewardsTable()
        return self.apply([upsert(NODE_REWARDS_TABLE_KEY, table.extended(payload.entries()))])

    def get_node_providers_monthly_xdr_rewards(
        self, caller: Principal, version: int | None
    ) -> tuple[tuple[tuple[Principal, int], ...], int]:
        """Each node provider's monthly reward at `version` (latest if None) and that version
        (rs/registry/canister/src/get_node_providers_monthly_xdr_rewards.rs)."""
        at = self.registry.latest_version if version is None else version
        table = self.registry.get(NODE_REWARDS_TABLE_KEY, at)
        if table is None:
            raise InvalidPayload("Node Rewards Table was not found in the Registry")
        operator_keys = self.registry.keys_at(NODE_OPERATOR_RECORD_PREFIX, at)
        operators = [(key, self.registry.get(key, at)) for key in operator_keys]
        data_centers = {
            record.id: record
            for record in (
                self.registry.get(key, at)
                for key in self.registry.keys_at(DATA_CENTER_RECORD_PREFIX, at)
            )
        }
        rewards = compute_rewards_per_node_provider(table, operators, data_centers)
        return tuple(sorted(rewards.items())), at

    # -- queries (spec A.2) -----------------------------------------------------------------

    def get_value(self, caller: Principal, request: tuple[str, int | None]) -> tuple[bytes, int]:
        """The encoded value of a key at a version (latest if None) and that version."""
        key, version = request
        value, _ = self.registry.get_with_version(key, version)
        at = self.registry.latest_version if version is None else version
        if value is None:
            raise KeyNotPresent(key, at)
        return codec.encode(value), at

    def get_subnet_for_canister(self, caller: Principal, canister: Principal) -> Principal | None:
        """The subnet hosting a canister id at the latest version (None outside every range)."""
        table: RoutingTable | None = self.registry.get(ROUTING_TABLE_KEY)
        index = canister.canister_index()
        return None if table is None or index is None else table.get_subnet_for(index)

    def get_build_metadata(self, caller: Principal, argument: object = None) -> str:
        return "icbox registry"

    def get_latest_version(self, caller: Principal, argument: object = None) -> int:
        return self.registry.latest_version

    def get_changes_since(self, caller: Principal, version: int) -> tuple[list[RegistryDelta], int]:
        """Deltas after `version` (at most 1,000 versions) and the latest version."""
        return self.registry.get_changes_since(version), self.registry.latest_version

    def state_hash(self) -> bytes:
        return self.store.state_hash()

    def node_ids(self) -> list[Principal]:
        return [
            Principal.from_text(key[len(NODE_RECORD_PREFIX) :])
            for key in self.registry.keys(NODE_RECORD_PREFIX)
        ]

    def nns_subnet_id(self) -> Principal | None:
        record = self.registry.get(NNS_SUBNET_ID_KEY)
        return None if record is None else record.subnet_id
