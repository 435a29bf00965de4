"""The one registry version that creates a subnet (`MUT/do_create_subnet.rs`, spec B).

Once the initial DKG answered (the NNS subnet's remote DKG, or a dealer in
tests), one batch appends the subnet to the subnet list and inserts its
record, its catch-up package contents (the two initial transcripts), its
threshold public key and the next free routing-table range. The registry
canister writes it; the simulator writes the same batch into its registry.
"""

from __future__ import annotations

from registry.dkg import InitialDkgResult
from registry.errors import InvalidPayload
from registry.records import (
    CANISTER_IDS_PER_SUBNET,
    ROUTING_TABLE_KEY,
    SUBNET_LIST_KEY,
    CatchUpPackageContents,
    RoutingTable,
    RoutingTableEntry,
    SubnetListRecord,
    SubnetRecord,
    ThresholdPublicKeyRecord,
    catch_up_package_contents_key,
    subnet_record_key,
    threshold_public_key_key,
)
from registry.requests import CreateSubnetPayload
from registry.store import Mutation, RegistryStore, insert, upsert
from replica.types import Principal


def make_routing_table_with(registry: RegistryStore, subnet_id: Principal) -> RoutingTable:
    """The routing table plus the next free range of 2^20 canister ids for a new subnet."""
    table: RoutingTable | None = registry.get(ROUTING_TABLE_KEY)
    entries = table.entries if table is not None else ()
    start = (
        0
        if not entries
        else (entries[-1].end // CANISTER_IDS_PER_SUBNET + 1) * CANISTER_IDS_PER_SUBNET
    )
    entry = RoutingTableEntry(
        start=start, end=start + CANISTER_IDS_PER_SUBNET - 1, subnet_id=subnet_id
    )
    return RoutingTable(entries=(*entries, entry))


def make_create_subnet_mutations(
    registry: RegistryStore,
    payload: CreateSubnetPayload,
    result: InitialDkgResult,
    encrypted_shares: tuple[tuple[Principal, bytes], ...] = (),
) -> tuple[Principal, list[Mutation]]:
    """The new subnet's id and the batch that creates it (the id: the payload's override, else the
    self-authenticating principal of its key)."""
    subnet_id = payload.subnet_id_override or result.subnet_id
    subnet_list: SubnetListRecord | None = registry.get(SUBNET_LIST_KEY)
    listed = subnet_list.subnets if subnet_list is not None else ()
    if subnet_id in listed:
        raise InvalidPayload(f"subnet {subnet_id} exists already")
    record = SubnetRecord(
        membership=payload.node_ids,
        subnet_type=payload.subnet_type,
        replica_version_id=payload.replica_version_id,
        dkg_interval_length=payload.dkg_interval_length,
        unit_delay_millis=payload.unit_delay_millis,
        initial_notary_delay_millis=payload.initial_notary_delay_millis,
        max_ingress_bytes_per_message=payload.max_ingress_bytes_per_message,
        max_ingress_messages_per_block=payload.max_ingress_messages_per_block,
        max_block_payload_size=payload.max_block_payload_size,
        dkg_dealings_per_block=payload.dkg_dealings_per_block,
        start_as_nns=payload.start_as_nns,
        is_halted=payload.is_halted,
        max_number_of_canisters=payload.max_number_of_canisters,
        ssh_readonly_access=payload.ssh_readonly_access,
        ssh_backup_access=payload.ssh_backup_access,
        features=payload.features,
        canister_cycles_cost_schedule=payload.canister_cycles_cost_schedule,
    )
    cup = CatchUpPackageContents(
        height=0,
        time_ns=0,
        state_hash=bytes(32),
        low_threshold_transcript=result.low_threshold,
        high_threshold_transcript=result.high_threshold,
        encrypted_shares=encrypted_shares,
    )
    mutations = [
        upsert(SUBNET_LIST_KEY, SubnetListRecord(subnets=(*listed, subnet_id))),
        insert(subnet_record_key(subnet_id), record),
        insert(catch_up_package_contents_key(subnet_id), cup),
        insert(
            threshold_public_key_key(subnet_id),
            ThresholdPublicKeyRecord(public_key_der=result.public_key_der),
        ),
        upsert(ROUTING_TABLE_KEY, make_routing_table_with(registry, subnet_id)),
    ]
    return subnet_id, mutations
