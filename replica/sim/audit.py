"""The simulator's audit of what honest replicas accepted, against the rules of spec D.

The generic checks (`checks.SubnetChecker`) compare replicas with each other;
they cannot tell a subnet that agrees on something invalid. The audit checks
every height an honest replica finalizes against the protocol, with its own
verifications (public keys from the registry and from the finalized summary
blocks, never the replica's caches or validator):

- **validity**: the finalized chain is linked; every block on it was proposed
  by the maker of its rank (ranks from the previous beacon and the members of
  its registry version), is notarized by at least n − f distinct members of the
  height's notarization committee (every notarization and finalization a replica
  holds, not only one; and every equivocation proof it holds has two blocks
  signed by their maker; a block finalized by a finalization is the only
  notarized block of its height, the finalizer rule's guarantee), names the
  interval's replica version and a validation context that never goes back
  (time after its parent's, certified height at most its parent's), and the
  chain's top is finalized by such a
  multi-signature (or is the block of a verified CUP); blocks carry a summary
  exactly at summary heights; no ingress message appears twice in a block or
  on the chain or after its expiry or expiring beyond the ingress TTL, nor
  more ingress than the subnet's limits; every ingress message is signed by its
  sender (its envelope authenticates it at the block's time, as
  `replica.http.requests.authenticate_ingress` checks a call a peer gossiped);
  every dealing comes with a valid support proof; every remote DKG result is
  an error or the transcripts of a remote DKG of the subnet for its target;
  every summary is the one computed from the finalized chain below it;
- **the notary**: no honest notary signs two blocks of one maker at a height
  (the second makes the maker disqualified for it);
- **CUPs and beacons**: every CUP a replica holds verifies under the subnet
  key and names the finalized block of its height; every beacon extends the
  previous one and, like every random tape, verifies under the low-threshold
  key of its interval;
- **key continuity**: every summary names the subnet key as its high-threshold
  key, current and next, with a threshold of 2f + 1 (n − f of 3f + 1);
- **certification progress**: a replica's certified height never trails its
  finalized height by more than `CERTIFICATION_GAP` for `CERTIFICATION_STALL_NS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from registry.client import RegistryClient
from registry.records import KeyPurpose, SubnetRecord
from replica.consensus.artifacts import (
    Block,
    BlockProposal,
    CatchUpPackage,
    DataPayload,
    EquivocationProof,
    Finalization,
    Notarization,
    NotarizationShare,
    RandomBeacon,
    RemoteDkgResult,
    beacon_message,
    catch_up_content_message,
    compute_dealing_hash,
    dealing_support_message,
    finalization_message,
    notarization_message,
    proposal_message,
    tape_message,
)
from replica.consensus.dealings import decode_dealing, get_config_of, get_support_threshold
from replica.consensus.membership import (
    compute_block_maker_ranks,
    compute_faults_tolerated,
    compute_notarization_committee,
    get_active_data_at,
)
from replica.consensus.node import ReplicaNode
from replica.crypto import bls, multisig
from replica.crypto.dkg import Transcript
from replica.crypto.errors import CryptoError
from replica.crypto.keys import verify_node_signature
from replica.execution.ingress import MAX_INGRESS_TTL_NS
from replica.http.requests import authenticate_ingress
from replica.types import Principal

CERTIFICATION_GAP: Final = 8
"""Heights the certified height may trail the finalized height (the notary slows beyond 3)."""
CERTIFICATION_STALL_NS: Final = 10_000_000_000
"""How long a larger gap may last (a restarted replica replays its chain before it certifies)."""


@dataclass(slots=True, kw_only=True)
class ConsensusAuditor:
    """Audits the finalized chain, beacons and CUPs of the honest replicas of one subnet."""

    subnet_id: Principal
    subnet_public_key: bytes
    registry: RegistryClient
    violations: list[str] = field(default_factory=list)
    heights_audited: int = 0
    beacons_checked: int = 0
    cups_checked: int = 0
    _chain: dict[int, Block] = field(default_factory=dict)
    _summaries: dict[int, Block] = field(default_factory=dict)
    _beacons: dict[int, RandomBeacon] = field(default_factory=dict)
    _ingress: dict[bytes, int] = field(default_factory=dict)
    _finalized_tops: set[bytes] = field(default_factory=set)
    _cups: set[bytes] = field(default_factory=set)
    _tapes: set[bytes] = field(default_factory=set)
    _finalized_explicitly: set[int] = field(default_factory=set)
    _notarized_others: set[int] = field(default_factory=set)
    double_notarized: set[int] = field(default_factory=set)
    """Heights at which an honest replica held notarizations of two blocks (what the `held-back`
    attack is for)."""
    _notary_reported: set[tuple[Principal, int]] = field(default_factory=set)
    _notary_seen: dict[Principal, int] = field(default_factory=dict)
    _progress: dict[Principal, int] = field(default_factory=dict)
    _lagging_since: dict[Principal, int] = field(default_factory=dict)

    def observe(self, node: Principal, replica: object, now_ns: int) -> None:
        if not isinstance(replica, ReplicaNode):
            return
        if not self._summaries:
            genesis = replica.genesis_cup.content.block
            self._chain[genesis.height] = genesis
            self._add_summary(genesis)
        cup = replica.latest_cup
        self._audit_cup(node, cup)
        self._audit_beacons(node, replica)
        self._audit_tapes(node, replica)
        start = max(self._progress.get(node, 0), cup.height)
        top = replica.finalized_height
        chain = replica.chain
        for height in range(top + 1, chain.notarized_height + 1):
            if len(chain.notarized.get(height, ())) > 1:
                self.double_notarized.add(height)
        self._audit_notary(node, replica, cup.height)
        if cup.height not in self._chain and cup.height > 0 and cup.id in self._cups:
            self._add_summary(cup.content.block)
        for height in range(start + 1, top + 1):
            block = replica.finalized_block(height)
            if block is None:
                continue
            if height not in self._chain:
                self._audit_block(node, replica, block)
            self._audit_signatures(node, replica, block)
        if top > start:
            self._audit_top(node, replica, top)
        self._progress[node] = max(self._progress.get(node, 0), top)
        self._audit_certification(node, replica, now_ns)

    def _audit_notary(self, node: Principal, replica: ReplicaNode, floor: int) -> None:
        """An honest notary signs at most one block of a maker at a height: once it holds two,
        the maker is disqualified for the height and none of its blocks is signed (spec D.1;
        `find_lowest_ranked_non_disqualified_proposals` in the IC's
        rs/consensus/utils/src/lib.rs). Without the rule an equivocating maker has every honest
        notary sign each of its versions, which then stops every one of them from
        finality-signing the height.

        A notary signs only at the height above its notarized height, so each height is read
        from the notarized height of the replica's previous observation on."""
        chain = replica.chain
        start = max(floor, self._notary_seen.get(node, 0)) + 1
        self._notary_seen[node] = chain.notarized_height
        for height in range(start, chain.notarized_height + 2):
            own = [
                share.block
                for share in replica.pool.validated.get(NotarizationShare, height)
                if share.signer == node
            ]
            if len(own) < 2 or (node, height) in self._notary_reported:
                continue
            makers = [
                proposal.signer
                for block in own
                if (proposal := chain.proposals.get(block)) is not None
            ]
            if len(set(makers)) < len(makers):
                self._notary_reported.add((node, height))
                self._fail(
                    f"a notary signed two blocks of one maker at height {height}, whose "
                    "equivocation disqualifies it",
                    node,
                )

    def restarted(self, node: Principal) -> None:
        self._progress.pop(node, None)
        self._notary_seen.pop(node, None)
        self._lagging_since.pop(node, None)

    # -- the finalized chain ---------------------------------------------------------------

    def _audit_block(self, node: Principal, replica: ReplicaNode, block: Block) -> None:
        height = block.height
        self.heights_audited += 1
        below = self._chain.get(height - 1)
        if below is not None and block.parent != below.id:
            self._fail(
                f"the finalized block at height {height} does not extend the one below", node
            )
        summary_block = self._summary_below(height)
        beacon = self._beacons.get(height - 1) or replica.chain.beacons.get(height - 1)
        active = None if summary_block is None else get_active_data_at(summary_block, height)
        if active is None or beacon is None:
            self._fail(f"no active data or beacon to audit height {height}", node)
            return
        self._sync_registry(active.registry_version)
        record = self.registry.get_subnet_record(self.subnet_id, active.registry_version)
        if record is None:
            self._fail(f"no subnet record at registry version {active.registry_version}", node)
            return
        members = record.membership
        self._audit_maker(
            node,
            replica,
            block,
            compute_block_maker_ranks(members, beacon),
            active.registry_version,
        )
        notarizations = [
            n for n in replica.pool.validated.get(Notarization, height) if n.block == block.id
        ]
        if not notarizations and height > replica.latest_cup.height:
            self._fail(f"the finalized block at height {height} has no notarization", node)
        if block.version != record.replica_version_id:
            self._fail(
                f"the finalized block at height {height} names replica version {block.version}",
                node,
            )
        if below is not None:
            self._audit_context(node, block, below)
            if block.is_summary:
                self._audit_summary(node, replica, block, below)
        self._audit_payload(node, block, summary_block, record)
        self._chain[height] = block
        if block.is_summary:
            self._add_summary(block)

    def _audit_signatures(self, node: Principal, replica: ReplicaNode, block: Block) -> None:
        """Every notarization of the finalized block and every finalization at its height that
        this replica holds (not only one: a forged one accepted next to a genuine one is a broken
        check all the same; the verifications are memoised by the crypto layer)."""
        height = block.height
        summary_block = self._summary_below(height)
        beacon = self._beacons.get(height - 1) or replica.chain.beacons.get(height - 1)
        active = None if summary_block is None else get_active_data_at(summary_block, height)
        if active is None or beacon is None:
            return
        record = self.registry.get_subnet_record(self.subnet_id, active.registry_version)
        if record is None:
            return
        committee = compute_notarization_committee(record.membership, beacon)
        needed = 2 * compute_faults_tolerated(len(record.membership)) + 1  # n − f of 3f + 1
        version = active.registry_version
        message = notarization_message(height, block.id)
        for notarization in replica.pool.validated.get(Notarization, height):
            if notarization.block != block.id:
                self._notarized_others.add(height)
                self.double_notarized.add(height)
                continue
            fault = self._multisignature_fault(
                notarization.signers, committee, needed, version, message, notarization.signature
            )
            if fault is not None:
                self._fail(
                    f"the notarization of the finalized block at height {height} is invalid: "
                    f"{fault}",
                    node,
                )
                break
        for proof in replica.pool.validated.get(EquivocationProof, height):
            if not self._is_equivocation(proof, version):
                self._fail(
                    f"an equivocation proof at height {height} does not hold two blocks signed by "
                    "its maker",
                    node,
                )
                break
        message = finalization_message(height, block.id)
        for finalization in replica.pool.validated.get(Finalization, height):
            if finalization.block != block.id:
                self._fail(f"another block than the finalized one is finalized at {height}", node)
                break
            fault = self._multisignature_fault(
                finalization.signers, committee, needed, version, message, finalization.signature
            )
            if fault is not None:
                self._fail(f"a finalization at height {height} is invalid: {fault}", node)
                break
            self._finalized_explicitly.add(height)
        # The finalizer rule's guarantee (spec D.1): a finalization needs n − 2f honest finalizers
        # that notarized no other block of the height, another notarization n − 2f honest
        # notaries, and 2(n − 2f) > n − f; so a block finalized explicitly is the only notarized
        # one of its height (one finalized through a descendant need not be).
        if height in self._finalized_explicitly and height in self._notarized_others:
            self._fail(
                f"another block than the one finalized at height {height} is notarized", node
            )
            self._notarized_others.discard(height)

    def _is_equivocation(self, proof: EquivocationProof, version: int) -> bool:
        """Two different blocks of one height, both signed by the maker the proof names (a
        disqualification on anything less takes an honest maker's turn)."""
        first, second = proof.first, proof.second
        if (
            first.signer != second.signer
            or first.height != second.height
            or first.block.id == second.block.id
        ):
            return False
        key = self.registry.get_node_public_key(first.signer, KeyPurpose.NODE_SIGNING, version)
        return key is not None and all(
            verify_node_signature(key, proposal_message(p.block.id), p.signature)
            for p in (first, second)
        )

    def _audit_maker(
        self,
        node: Principal,
        replica: ReplicaNode,
        block: Block,
        ranks: dict[Principal, int],
        version: int,
    ) -> None:
        proposal = replica.chain.proposals.get(block.id) or next(
            (
                p
                for p in replica.pool.validated.get(BlockProposal, block.height)
                if p.block.id == block.id
            ),
            None,
        )
        if proposal is None:
            if block.height > replica.latest_cup.height:
                self._fail(f"the finalized block at height {block.height} has no proposal", node)
            return
        if ranks.get(proposal.signer) != block.rank:
            self._fail(
                f"the finalized block at height {block.height} was not made by the maker of its "
                "rank",
                node,
            )
            return
        key = self.registry.get_node_public_key(proposal.signer, KeyPurpose.NODE_SIGNING, version)
        if key is None or not verify_node_signature(
            key, proposal_message(block.id), proposal.signature
        ):
            self._fail(
                f"the finalized block at height {block.height} is not signed by its maker", node
            )

    def _audit_context(self, node: Principal, block: Block, parent: Block) -> None:
        context, before = block.context, parent.context
        if context.time_ns <= before.time_ns:
            self._fail(
                f"the finalized block at height {block.height} is not later than its parent", node
            )
        if (
            context.registry_version < before.registry_version
            or context.certified_height < before.certified_height
        ):
            self._fail(
                f"the validation context of the finalized block at height {block.height} goes back",
                node,
            )
        if context.certified_height > parent.height:
            self._fail(
                f"the finalized block at height {block.height} claims a certified height above "
                "its parent",
                node,
            )

    def _audit_summary(
        self, node: Principal, replica: ReplicaNode, block: Block, parent: Block
    ) -> None:
        """A finalized summary is the one computed from the finalized chain below it."""
        expected = replica.instance.compute_summary(parent, block.height, block.context)
        if expected is not None and expected != block.summary:
            self._fail(
                f"the summary at height {block.height} differs from the one computed from the "
                "chain",
                node,
            )

    def _audit_payload(
        self, node: Principal, block: Block, summary_block: Block | None, record: SubnetRecord
    ) -> None:
        height = block.height
        due = summary_block is not None and summary_block.summary.next_summary_height == height
        if block.is_summary != due:
            what = "a summary block" if block.is_summary else "a data block"
            self._fail(f"{what} is finalized at height {height}", node)
        if block.is_summary:
            if block.summary.height != height:
                self._fail(
                    f"the summary at height {height} names height {block.summary.height}", node
                )
            return
        payload = block.payload
        if not isinstance(payload, DataPayload):
            return
        if payload.dealings and summary_block is not None:
            self._audit_dealings(node, height, payload, summary_block)
        for result in payload.remote_results:
            if not self._is_remote_result(result):
                self._fail(
                    f"the remote DKG result at height {height} is not made by a remote DKG of "
                    "this subnet for its target",
                    node,
                )
        if (
            len(payload.ingress) > record.max_ingress_messages_per_block
            or any(len(m.arg) > record.max_ingress_bytes_per_message for m in payload.ingress)
            or sum(m.size_bytes for m in payload.ingress) > record.max_block_payload_size
        ):
            self._fail(f"the ingress at height {height} exceeds the subnet's limits", node)
        ids = [message.message_id for message in payload.ingress]
        if len(set(ids)) != len(ids):
            self._fail(f"an ingress message appears twice in the block at height {height}", node)
        for message in payload.ingress:
            first = self._ingress.setdefault(message.message_id, height)
            if first != height:
                self._fail(
                    f"ingress {message.message_id.hex()[:12]} is finalized at heights {first} and "
                    f"{height}",
                    node,
                )
            if message.ingress_expiry_ns < block.context.time_ns:
                self._fail(
                    f"expired ingress {message.message_id.hex()[:12]} is finalized at height "
                    f"{height}",
                    node,
                )
            elif message.ingress_expiry_ns > block.context.time_ns + MAX_INGRESS_TTL_NS:
                self._fail(
                    f"ingress {message.message_id.hex()[:12]} expiring beyond the ingress TTL is "
                    f"finalized at height {height}",
                    node,
                )
            reason = (
                authenticate_ingress(message, block.context.time_ns)
                if message.envelope
                else "it has no envelope"
            )
            if reason is not None:
                self._fail(
                    f"the ingress {message.message_id.hex()[:12]} at height {height} is not "
                    f"signed by its sender: {reason}",
                    node,
                )

    def _is_remote_result(self, result: RemoteDkgResult) -> bool:
        """A remote DKG result answers with an error, or with both transcripts of a remote DKG
        this subnet ran for the result's target (spec B, `setup_initial_dkg`)."""
        if result.low is None and result.high is None:
            return bool(result.error)
        for transcript in (result.low, result.high):
            if transcript is None:
                return False
            try:
                dkg_id = Transcript.from_bytes(transcript.body).dkg_id
            except CryptoError:
                return False
            if dkg_id.target != result.target or dkg_id.subnet_id != self.subnet_id:
                return False
        return True

    def _audit_dealings(
        self, node: Principal, height: int, payload: DataPayload, summary_block: Block
    ) -> None:
        """Every dealing on the chain comes with a support proof of at least the support threshold
        of distinct receivers of its config, whose multi-signature verifies (spec D.3)."""
        proofs = {support.dealing_hash: support for support in payload.supports}
        for signed in payload.dealings:
            dealing = decode_dealing(signed.dealing)
            config = None if dealing is None else get_config_of(summary_block.summary, dealing)
            proof = proofs.get(compute_dealing_hash(signed.dealing))
            if config is not None and config.target and proof is None:
                continue  # a remote DKG's receivers are elsewhere: its dealings have no proof
            valid = (
                config is not None
                and proof is not None
                and len(set(proof.signers)) == len(proof.signers) >= get_support_threshold(config)
                and set(proof.signers) <= set(config.receivers)
            )
            if valid and config is not None and proof is not None:
                keys = [
                    self.registry.get_node_public_key(
                        signer, KeyPurpose.COMMITTEE_SIGNING, config.registry_version
                    )
                    for signer in proof.signers
                ]
                message = dealing_support_message(
                    self.subnet_id, config.start_height, config.tag, proof.dealing_hash
                )
                present = [key for key in keys if key is not None]
                valid = len(present) == len(keys) and multisig.verify_aggregate(
                    present, message, proof.signature
                )
            if not valid:
                self._fail(
                    f"a dealing without a valid support proof is finalized at height {height}", node
                )
                return

    def _audit_top(self, node: Principal, replica: ReplicaNode, top: int) -> None:
        block = self._chain.get(top)
        if block is None or block.id in self._finalized_tops:
            return
        if replica.latest_cup.height == top and replica.latest_cup.content.block.id == block.id:
            self._finalized_tops.add(block.id)
            return
        summary_block = self._summary_below(top)
        beacon = self._beacons.get(top - 1) or replica.chain.beacons.get(top - 1)
        active = None if summary_block is None else get_active_data_at(summary_block, top)
        if active is None or beacon is None:
            return
        self._sync_registry(active.registry_version)
        record = self.registry.get_subnet_record(self.subnet_id, active.registry_version)
        if record is None:
            return
        members = record.membership
        committee = compute_notarization_committee(members, beacon)
        needed = 2 * compute_faults_tolerated(len(members)) + 1  # n − f of a 3f + 1 committee
        message = finalization_message(top, block.id)
        finalizations = [
            f for f in replica.pool.validated.get(Finalization, top) if f.block == block.id
        ]
        if all(
            self._multisignature_fault(
                f.signers, committee, needed, active.registry_version, message, f.signature
            )
            is not None
            for f in finalizations
        ):
            self._fail(f"height {top} is finalized without a valid finalization", node)
        self._finalized_tops.add(block.id)

    def _multisignature_fault(
        self,
        signers: tuple[Principal, ...],
        committee: frozenset[Principal],
        needed: int,
        version: int,
        message: bytes,
        signature: bytes,
    ) -> str | None:
        """What is wrong with a notarization's or finalization's multi-signature (None: valid)."""
        if len(set(signers)) != len(signers) or len(signers) < needed:
            return f"fewer than {needed} distinct signers"
        if not set(signers) <= committee:
            return "a signer is outside the height's committee"
        keys = [
            self.registry.get_node_public_key(s, KeyPurpose.COMMITTEE_SIGNING, version)
            for s in signers
        ]
        present = [key for key in keys if key is not None]
        if len(present) != len(keys) or not multisig.verify_aggregate(present, message, signature):
            return "the multi-signature does not verify"
        return None

    # -- summaries, beacons, CUPs ----------------------------------------------------------

    def _add_summary(self, block: Block) -> None:
        self._summaries[block.height] = block
        summary = block.summary
        for transcript in (summary.get_current("high"), summary.get_next("high")):
            if transcript is not None and transcript.public_key != self.subnet_public_key:
                self.violations.append(
                    f"key continuity: the summary at height {block.height} names another "
                    "high-threshold key"
                )
        # The high threshold is 2f + 1 (n − f of 3f + 1; spec H), computed here on its own.
        highs = [
            (len(t.committee), t.threshold)
            for t in (summary.get_current("high"), summary.get_next("high"))
            if t is not None
        ]
        highs += [(len(c.receivers), c.threshold) for c in summary.configs if c.tag == "high"]
        for size, threshold in highs:
            if threshold != 2 * ((size - 1) // 3) + 1:
                self.violations.append(
                    f"the summary at height {block.height} has a high-threshold key of threshold "
                    f"{threshold} for {size} members, not 2f + 1"
                )
                break

    def _summary_below(self, height: int) -> Block | None:
        below = [h for h in self._summaries if h < height]
        return self._summaries[max(below)] if below else None

    def _audit_beacons(self, node: Principal, replica: ReplicaNode) -> None:
        beacons = replica.chain.beacons
        for height in sorted(
            h for h in beacons if h not in self._beacons and h > replica.latest_cup.height
        ):
            beacon = beacons[height]
            previous = self._beacons.get(height - 1) or beacons.get(height - 1)
            summary_block = self._summary_below(height)
            active = None if summary_block is None else get_active_data_at(summary_block, height)
            if previous is None or active is None:
                continue
            self.beacons_checked += 1
            if beacon.parent != previous.id:
                self._fail(
                    f"the beacon of height {height} does not extend the previous beacon", node
                )
            elif not bls.verify(
                active.low.public_key, beacon_message(height, previous.id), beacon.signature
            ):
                self._fail(
                    f"the beacon of height {height} does not verify under its interval's key", node
                )
            self._beacons[height] = beacon
        for height, beacon in beacons.items():
            known = self._beacons.get(height)
            if known is not None and known.id != beacon.id and height > replica.latest_cup.height:
                self._fail(f"two different beacons at height {height}", node)
                break

    def _audit_tapes(self, node: Principal, replica: ReplicaNode) -> None:
        """Every random tape a replica holds verifies under the low-threshold key of its
        interval (execution takes its randomness from it)."""
        for height, tape in replica.chain.tapes.items():
            if tape.id in self._tapes or height <= replica.latest_cup.height:
                continue
            summary_block = self._summary_below(height)
            active = None if summary_block is None else get_active_data_at(summary_block, height)
            if active is None:
                continue
            self._tapes.add(tape.id)
            if not bls.verify(active.low.public_key, tape_message(height), tape.signature):
                self._fail(
                    f"the random tape of height {height} does not verify under its interval's key",
                    node,
                )

    def _audit_cup(self, node: Principal, cup: CatchUpPackage) -> None:
        if cup.height == 0 or cup.id in self._cups:
            return
        self.cups_checked += 1
        if not bls.verify(
            self.subnet_public_key, catch_up_content_message(cup.content), cup.signature
        ):
            self._fail(f"the CUP of height {cup.height} does not verify under the subnet key", node)
        block = self._chain.get(cup.height)
        if block is not None and block.id != cup.content.block.id:
            self._fail(
                f"the CUP of height {cup.height} names another block than the finalized one", node
            )
        self._cups.add(cup.id)

    def _audit_certification(self, node: Principal, replica: ReplicaNode, now_ns: int) -> None:
        if replica.finalized_height - replica.certified_height <= CERTIFICATION_GAP:
            self._lagging_since.pop(node, None)
            return
        since = self._lagging_since.setdefault(node, now_ns)
        if now_ns - since > CERTIFICATION_STALL_NS:
            self._fail(
                f"certification stalled: certified height {replica.certified_height}, finalized "
                f"{replica.finalized_height} for {(now_ns - since) / 1e9:.1f} s",
                node,
            )
            self._lagging_since[node] = now_ns

    def _sync_registry(self, version: int) -> None:
        if version > self.registry.latest_version:
            self.registry.sync()

    def _fail(self, message: str, node: Principal) -> None:
        self.violations.append(f"{message} (at {node})")
