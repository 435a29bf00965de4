"""Registry replication: the node's local registry store follows the NNS registry canister.

Every poll reads the registry canister's certified data with `read_state`
(the agent checks the certificate, and its delegation-free signature, against
the NNS public key the node was configured with) and compares it with the
head of the local chain (`registry.certification`). When they differ it
queries `get_changes_since(local version)`, chains the answer from the local
head and appends to the local store only the versions whose chain ends at the
certified head. On the IC the replicator does the same with
`get_certified_changes_since` every 5 s (`rs/registry/replicator/src/lib.rs`);
here the period follows the preset.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

from registry.certification import (
    EMPTY_CHAIN,
    CertificationError,
    VersionedBatch,
    batches_from_deltas,
    compute_chain_hash,
    verify_batches,
)
from registry.client import RegistryClient
from registry.store import RegistryDelta, RegistryStore
from replica.agent.agent import AsyncAgent
from replica.candid import decode, encode
from replica.candid.types import Blob, Nat64, Opt, Record, Text, Vec
from replica.canister.nns_ids import REGISTRY_CANISTER_ID
from replica.crypto.hashtree import Found
from replica.types import Principal

CHANGES_REPLY: Final = Record(
    {
        "deltas": Vec(
            Record(
                {
                    "key": Text,
                    "values": Vec(Record({"version": Nat64, "value": Opt(Blob)})),
                }
            )
        ),
        "version": Nat64,
    }
)
CERTIFIED_DATA_PATH: Final = (b"canister", REGISTRY_CANISTER_ID.raw, b"certified_data")


class ReplicationError(Exception):
    """No NNS replica gave a verified answer."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicationResult:
    appended: tuple[int, ...]
    """The versions appended to the local store by this poll."""
    source: str


def compute_local_head(store: RegistryStore) -> bytes:
    head = EMPTY_CHAIN
    for version, changes in store.changelog():
        head = compute_chain_hash(head, version, changes)
    return head


class RegistryReplicator:
    """Keeps `store` (the node's `registry.sqlite`) equal to the NNS registry, verified."""

    def __init__(
        self,
        store: RegistryStore,
        client: RegistryClient,
        *,
        root_key_der: bytes,
        nns_subnet_id: Principal,
        request_timeout_s: float = 5.0,
    ) -> None:
        self.store = store
        self.client = client
        self.root_key_der = root_key_der
        self.nns_subnet_id = nns_subnet_id
        self.request_timeout_s = request_timeout_s
        self.head = compute_local_head(store)
        self._agents: dict[str, AsyncAgent] = {}

    def nns_urls(self) -> list[str]:
        urls = []
        for node_id in self.client.get_subnet_members(self.nns_subnet_id):
            record = self.client.get_node_record(node_id)
            if record is not None:
                urls.append(f"http://{record.http.ip_addr}:{record.http.port}")
        random.shuffle(urls)
        return urls

    def _agent(self, url: str) -> AsyncAgent:
        agent = self._agents.get(url)
        if agent is None:
            agent = AsyncAgent(
                url, root_key_der=self.root_key_der, request_timeout_seconds=self.request_timeout_s
            )
            self._agents[url] = agent
        return agent

    async def close(self) -> None:
        for agent in self._agents.values():
            await agent.close()
        self._agents = {}

    async def poll(self) -> ReplicationResult:
        """One round against one NNS replica after another until one gives a verified answer."""
        errors = []
        for url in self.nns_urls():
            try:
                return await self._poll_one(url)
            except Exception as error:  # any failure of this replica: ask the next one
                errors.append(f"{url}: {error}")
        raise ReplicationError("; ".join(errors) or "no NNS replica is known")

    async def _poll_one(self, url: str) -> ReplicationResult:
        agent = self._agent(url)
        certificate = await agent.read_state(REGISTRY_CANISTER_ID, [CERTIFIED_DATA_PATH])
        found = certificate.lookup(CERTIFIED_DATA_PATH)
        if not isinstance(found, Found) or not isinstance(found.value, bytes):
            raise ReplicationError("the certificate does not reveal the registry's certified data")
        certified_head = bytes(found.value)
        if certified_head == self.head:
            return ReplicationResult(appended=(), source=url)
        appended: list[int] = []
        while certified_head != self.head:
            after = self.store.latest_version
            reply = await agent.query(
                REGISTRY_CANISTER_ID, "get_changes_since", encode([Nat64], [after])
            )
            (answer,) = decode(reply, [CHANGES_REPLY])
            deltas = [
                RegistryDelta(
                    key=delta["key"],
                    values=tuple((item["version"], item["value"]) for item in delta["values"]),
                )
                for delta in answer["deltas"]
            ]
            batches = batches_from_deltas(deltas, after)
            if not batches:
                raise CertificationError(
                    f"the certified head differs but no changes follow version {after}"
                )
            try:
                verified = verify_batches(self.head, batches, certified_head)
            except CertificationError:
                if batches[-1].version >= answer["version"]:
                    raise
                # A page of the log (1,000 versions at most): keep it only if the next pages
                # reach the certified head. Checked when they do, so nothing is written yet.
                verified = await self._verify_pages(agent, batches, certified_head)
            self._append(verified)
            appended += [batch.version for batch in verified]
        return ReplicationResult(appended=tuple(appended), source=url)

    async def _verify_pages(
        self, agent: AsyncAgent, first: list[VersionedBatch], certified_head: bytes
    ) -> list[VersionedBatch]:
        batches = list(first)
        while True:
            reply = await agent.query(
                REGISTRY_CANISTER_ID, "get_changes_since", encode([Nat64], [batches[-1].version])
            )
            (answer,) = decode(reply, [CHANGES_REPLY])
            more = batches_from_deltas(
                [
                    RegistryDelta(
                        key=d["key"], values=tuple((v["version"], v["value"]) for v in d["values"])
                    )
                    for d in answer["deltas"]
                ],
                batches[-1].version,
            )
            if not more:
                return verify_batches(self.head, batches, certified_head)
            batches += more
            try:
                return verify_batches(self.head, batches, certified_head)
            except CertificationError:
                if more[-1].version >= answer["version"]:
                    raise

    def _append(self, batches: list[VersionedBatch]) -> None:
        head = self.head
        with self.store.stable.transaction() as session:
            for batch in batches:
                self.store.append_replicated(session, batch.version, batch.changes)
                head = compute_chain_hash(head, batch.version, batch.changes)
        self.head = head
        self.client.sync()
