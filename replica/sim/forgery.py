"""A Byzantine replica's forgeries of consensus artifacts, made with its own keys.

A Byzantine node holds what an honest one holds: its own secret keys and its
encrypted shares of the genesis threshold keys (which it decrypts), so it can do
exactly what a real attacker holding them could: sign a second, different block for a height it
makes a block for (the
block is the honest one with its time moved by one nanosecond, so it is still
well formed), damage the bytes of a share, produce a correct signature of
its own over a different message than the share claims, or deal some
receivers a wrong share: it re-encrypts, under its dealing's own ephemeral key
(it knows its dealing seed), a random scalar for f + 1 receivers, keeps the
commitments and the other receivers' ciphertexts, and signs the result.

With what it has seen of its peers (`note`), it also mounts the attacks of
`faults.Attack`: notarization and finalization shares for every block of a
height it knows (double signing), a block built on a valid block of the
height below that it made itself and never had notarized (or on a block two
heights down), certifications and CUPs combined from its own share alone (a
CUP also moved far ahead, to lure replicas into state sync), and its beacon
and notarization shares of the height before replayed for the current one;
and, as block maker, in place of its own block, one version of it for each
validity rule of a block it can break, each breaking that rule alone (a rank
it does not hold, another replica version, a time not after its parent's, a
certified height above its parent or below its parent's, a summary at a data
height, a data block or another summary at a summary height, its own dealing
without a support proof, an ingress message twice, one expiring beyond the
ingress TTL, one already executed, one more than the subnet's limit, a user's
message with its argument altered under the user's envelope, a call it signed
itself claiming another user as its sender), so that with any one check
missing exactly one version is valid, and with them, gossiped to its peers'
ingress pools, a call it signed itself claiming another user (a replica that
pooled it unchecked would put it in its own blocks, and every validator
holding the same copy would take them); and combined
artifacts that are only its own share (notarizations and finalizations naming
itself alone or n − f members, beacons, tapes), its beacons relabelled with
another parent, instead of its block the block under the name of the maker
of the next rank, and equivocation proofs framing the makers of the blocks it
notarizes (their block and a copy under their name with its own signature).

The ingress it makes up is signed: it plays a user of its own
(`users.derive_user`), whose calls are as valid as anyone's, so that each
version breaks its rule alone and not also the rule that every message is
signed by its sender (R37).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from registry.client import RegistryClient
from registry.records import KeyPurpose
from replica.consensus.artifacts import (
    Block,
    BlockProposal,
    CatchUpContent,
    CatchUpPackage,
    CatchUpPackageShare,
    Certification,
    CertificationShare,
    DataPayload,
    DealingArtifact,
    DealingSupportShare,
    DkgSummary,
    EquivocationProof,
    Finalization,
    FinalizationShare,
    IngressArtifact,
    Notarization,
    NotarizationShare,
    RandomBeacon,
    RandomBeaconShare,
    RandomTape,
    RandomTapeShare,
    RemoteDkgResult,
    SignedDealing,
    ValidationContext,
    certification_message,
    compute_dealing_hash,
    dealing_message,
    dealing_support_message,
    finalization_message,
    notarization_message,
    proposal_message,
    tape_message,
)
from replica.consensus.block_maker import MAX_INGRESS_TTL_NS, is_ingress_includable
from replica.consensus.dealings import compute_dealing_seed, compute_dkg_seed, decode_dealing
from replica.consensus.membership import (
    compute_block_maker_ranks,
    compute_notarization_committee,
    compute_notarization_threshold,
)
from replica.crypto import bls, dkg, multisig, threshold
from replica.crypto.errors import CryptoError
from replica.crypto.initial_shares import NodeInitialShares, decrypt_initial_share
from replica.crypto.keys import NodeSecretKeys
from replica.execution.messages import IngressMessage
from replica.http.auth import PERMITTED_DRIFT_AT_VALIDATOR_NS
from replica.sim.faults import Attack, HeldBack
from replica.sim.users import derive_user, signed_call
from replica.types import Principal

SHARE_TYPES: Final = (
    NotarizationShare,
    FinalizationShare,
    RandomBeacon,
    RandomBeaconShare,
    RandomTapeShare,
    CertificationShare,
    CatchUpPackageShare,
    DealingSupportShare,
)

_OTHER: Final = b"\xff" * 32
CUP_LURE_HEIGHTS: Final = 100
"""How far above the real one a forged CUP claims to be (beyond the state-sync lag)."""


class ConsensusForger:
    """Forgeries by one node, `keys`, of subnet `subnet_id`, with its genesis shares
    `initial_shares`."""

    def __init__(
        self,
        keys: NodeSecretKeys,
        initial_shares: NodeInitialShares | None,
        registry: RegistryClient | None = None,
        subnet_id: Principal | None = None,
    ) -> None:
        self.keys = keys
        self.registry = registry
        self.subnet_id = subnet_id
        self.equivocations = 0
        self.broken_shares = 0
        self.bad_dealings = 0
        self.forgeries: dict[Attack, int] = {}
        self.stash: dict[int, HeldBack] = {}
        self.gathered: dict[int, HeldBack] = {}
        self.members: tuple[Principal, ...] = (
            registry.get_subnet_members(subnet_id)
            if registry is not None and subnet_id is not None
            else ()
        )
        self._blocks: dict[int, dict[bytes, Block]] = {}
        self._beacons: dict[int, RandomBeacon] = {}
        self._own_shares: dict[tuple[type, int], object] = {}
        self._executed: list[IngressMessage] = []
        self._summary: DkgSummary | None = None
        self._own_dealing: SignedDealing | None = None
        self._proposals: dict[bytes, BlockProposal] = {}
        self.user = derive_user(keys.node_id.raw, "forger")
        """The user this node plays: what it signs are genuine calls of a user of its own."""
        self._flood: tuple[IngressMessage, ...] = ()
        # The genesis threshold shares: valid signatures of this node until the keys change.
        self.low_share = self._initial_share(initial_shares, "low")
        self.high_share = self._initial_share(initial_shares, "high")

    def _initial_share(self, shares: NodeInitialShares | None, tag: dkg.DkgTag) -> int:
        """This node's genesis share of a key (its committee secret if it holds none: a share
        that signs, but not validly)."""
        if shares is None or self.subnet_id is None:
            return self.keys.committee_secret
        dkg_id = dkg.DkgId(subnet_id=self.subnet_id, start_height=0, tag=tag)
        try:
            return decrypt_initial_share(shares, dkg_id, 0, self.keys.dealing_private_key)
        except CryptoError:
            return self.keys.committee_secret

    def is_share(self, artifact: object) -> bool:
        return isinstance(artifact, SHARE_TYPES)

    def is_block_proposal(self, artifact: object) -> bool:
        return isinstance(artifact, BlockProposal) and artifact.signer == self.keys.node_id

    def proposed_block(self, artifact: object) -> bytes | None:
        return artifact.block.id if isinstance(artifact, BlockProposal) else None

    def notarization_share_of(self, artifact: object) -> tuple[int, bytes, Principal] | None:
        if not isinstance(artifact, NotarizationShare):
            return None
        return artifact.height, artifact.block, artifact.signer

    def quorum(self) -> int:
        return compute_notarization_threshold(len(self.members))

    def notarization(self, height: int, block: bytes, shares: Sequence[object]) -> object | None:
        me = self.keys.node_id
        signatures = {
            share.signer: share.signature
            for share in shares
            if isinstance(share, NotarizationShare)
            and share.height == height
            and share.block == block
            and share.signer != me
        }
        signatures[me] = self.keys.sign_committee(notarization_message(height, block))
        if len(signatures) < self.quorum():
            return None
        signers = tuple(sorted(signatures)[: self.quorum()])
        return Notarization(
            height=height,
            block=block,
            signers=signers,
            signature=multisig.aggregate([signatures[signer] for signer in signers]),
        )

    def outside_committee(self, height: int) -> bool:
        beacon = self._beacons.get(height - 1)
        if beacon is None or not self.members or self.keys.node_id not in self.members:
            return False
        return self.keys.node_id not in compute_notarization_committee(self.members, beacon)

    def corrupt_share(self, artifact: object) -> object:
        if not isinstance(artifact, SHARE_TYPES):
            return artifact
        self.broken_shares += 1
        damaged = (
            bytes([artifact.signature[0] ^ 0x01]) + artifact.signature[1:]
            if artifact.signature
            else b"\x00"
        )
        return replace(artifact, signature=damaged)

    def share_over_other_message(self, artifact: object) -> object:
        self.broken_shares += 1
        if isinstance(artifact, NotarizationShare):
            return replace(
                artifact,
                signature=self.keys.sign_committee(notarization_message(artifact.height, _OTHER)),
            )
        if isinstance(artifact, FinalizationShare):
            return replace(
                artifact,
                signature=self.keys.sign_committee(finalization_message(artifact.height, _OTHER)),
            )
        if isinstance(artifact, RandomBeaconShare | RandomTapeShare):
            message = tape_message(artifact.height + 1_000_000)
            return replace(artifact, signature=threshold.sign_share(self.low_share, message))
        if isinstance(artifact, CertificationShare | CatchUpPackageShare):
            return replace(
                artifact,
                signature=threshold.sign_share(self.high_share, certification_message(_OTHER)),
            )
        return artifact

    def equivocate(self, proposal: object) -> object | None:
        if not isinstance(proposal, BlockProposal) or proposal.signer != self.keys.node_id:
            return None
        block = proposal.block
        if block.is_summary:
            return None
        context = block.context
        other = Block(
            version=block.version,
            parent=block.parent,
            height=block.height,
            rank=block.rank,
            context=ValidationContext(
                registry_version=context.registry_version,
                certified_height=context.certified_height,
                time_ns=context.time_ns + 1,
            ),
            payload=block.payload,
        )
        self.equivocations += 1
        return BlockProposal(
            block=other,
            signer=proposal.signer,
            signature=self.keys.sign(proposal_message(other.id)),
        )

    def is_own_dealing(self, artifact: object) -> bool:
        return isinstance(artifact, DealingArtifact) and artifact.signed.dealer == self.keys.node_id

    def bad_dealing(self, artifact: object, *, few: bool = False) -> object:
        """The node's dealing with a wrong share encrypted for f + 1 of its receivers (not itself),
        or for only f of them if `few`."""
        if (
            not isinstance(artifact, DealingArtifact)
            or self.registry is None
            or self.subnet_id is None
        ):
            return artifact
        dealing = decode_dealing(artifact.signed.dealing)
        if dealing is None:
            return artifact
        version = self.registry.latest_version
        receivers = self.registry.get_subnet_members(self.subnet_id, version)
        if len(receivers) != len(dealing.encrypted_shares):
            return artifact
        f = (len(receivers) - 1) // 3
        targets = sorted(
            (r for r in receivers if r != self.keys.node_id),
            key=lambda r: hashlib.sha256(r.raw + artifact.signed.dealing).digest(),
        )[: f if few else f + 1]
        ephemeral = dkg.derive_ephemeral_private_key(
            compute_dkg_seed(compute_dealing_seed(self.keys)), dealing.dkg_id, dealing.dealer
        )
        shares = list(dealing.encrypted_shares)
        try:
            for receiver in targets:
                key = self.registry.get_node_public_key(
                    receiver, KeyPurpose.DKG_DEALING_ENCRYPTION, version
                )
                if key is None:
                    return artifact
                wrong = int.from_bytes(
                    hashlib.sha512(b"wrong" + receiver.raw + artifact.signed.dealing).digest(),
                    "big",
                )
                shares[receivers.index(receiver)] = dkg.encrypt_share(
                    dkg_id=dealing.dkg_id,
                    dealer=dealing.dealer,
                    receiver=receiver,
                    receiver_public_key=key,
                    ephemeral_private_key=ephemeral,
                    share=wrong % bls.CURVE_ORDER,
                )
        except CryptoError:
            return artifact
        data = replace(dealing, encrypted_shares=tuple(shares)).to_bytes()
        self.bad_dealings += 1
        signed = SignedDealing(
            dealer=dealing.dealer, dealing=data, signature=self.keys.sign(dealing_message(data))
        )
        return DealingArtifact(height=artifact.height, tag=artifact.tag, signed=signed)

    def support_of(self, artifact: object) -> object | None:
        """This node's support share of a dealing it sends, whatever the shares in it."""
        if not isinstance(artifact, DealingArtifact) or self.subnet_id is None:
            return None
        dealing = decode_dealing(artifact.signed.dealing)
        if dealing is None:
            return None
        dealing_hash = compute_dealing_hash(artifact.signed.dealing)
        message = dealing_support_message(
            self.subnet_id, dealing.dkg_id.start_height, dealing.dkg_id.tag, dealing_hash
        )
        return DealingSupportShare(
            height=dealing.dkg_id.start_height,
            tag=dealing.dkg_id.tag,
            dealer=dealing.dealer,
            dealing_hash=dealing_hash,
            signer=self.keys.node_id,
            signature=self.keys.sign_committee(message),
        )

    # -- attacks with what the node has seen ---------------------------------------------------

    def note(self, artifact: object) -> None:
        """An artifact that reached this node (blocks and beacons feed the attacks)."""
        if isinstance(artifact, BlockProposal):
            self._blocks.setdefault(artifact.height, {})[artifact.block.id] = artifact.block
            self._proposals[artifact.block.id] = artifact
            if artifact.block.is_summary:
                self._summary = artifact.block.summary
        elif self.is_own_dealing(artifact):
            assert isinstance(artifact, DealingArtifact)
            self._own_dealing = artifact.signed
        elif isinstance(artifact, Finalization):
            block = self._blocks.get(artifact.height, {}).get(artifact.block)
            if block is not None and isinstance(block.payload, DataPayload):
                self._executed.extend(block.payload.ingress)
        elif isinstance(artifact, RandomBeacon):
            self._beacons[artifact.height] = artifact
        for height in [h for h in self._blocks if h < artifact_height(artifact) - 8]:
            for block_hash in self._blocks.pop(height):
                self._proposals.pop(block_hash, None)

    def replaces(self, attack: Attack, artifact: object) -> bool:
        if attack in (Attack.WRONG_PARENT, Attack.BAD_BLOCK, Attack.FORGE_COMBINED):
            return self.is_block_proposal(artifact) or (
                attack is Attack.FORGE_COMBINED and isinstance(artifact, RandomBeacon)
            )
        return False

    def forge(self, attack: Attack, artifact: object) -> list[object]:
        """What `attack` sends besides (or, where `replaces`, instead of) `artifact`."""
        made = self._forge(attack, artifact)
        if made:
            self.forgeries[attack] = self.forgeries.get(attack, 0) + 1
        return made

    def _forge(self, attack: Attack, artifact: object) -> list[object]:
        if attack is Attack.DOUBLE_NOTARIZE and isinstance(artifact, NotarizationShare):
            return [
                replace(
                    artifact,
                    block=other,
                    signature=self.keys.sign_committee(
                        notarization_message(artifact.height, other)
                    ),
                )
                for other in self._other_blocks(artifact.height, artifact.block)
            ]
        if attack is Attack.DOUBLE_FINALIZE and isinstance(artifact, FinalizationShare):
            return [
                replace(
                    artifact,
                    block=other,
                    signature=self.keys.sign_committee(
                        finalization_message(artifact.height, other)
                    ),
                )
                for other in self._other_blocks(artifact.height, artifact.block)
            ]
        if attack is Attack.WRONG_PARENT and self.is_block_proposal(artifact):
            assert isinstance(artifact, BlockProposal)
            return self._on_wrong_parent(artifact)
        if attack is Attack.FORGE_CERTIFICATION and isinstance(artifact, CertificationShare):
            other = threshold.sign_share(self.high_share, certification_message(_OTHER))
            return [
                Certification(
                    height=artifact.height,
                    root_hash=artifact.root_hash,
                    signature=artifact.signature,
                ),
                Certification(height=artifact.height, root_hash=_OTHER, signature=other),
            ]
        if attack is Attack.FORGE_CUP and isinstance(artifact, CatchUpPackageShare):
            return self._forged_cups(artifact)
        if attack is Attack.REPLAY_SHARES and isinstance(
            artifact, RandomBeaconShare | NotarizationShare
        ):
            return self._replays(artifact)
        if attack is Attack.FORGE_COMBINED:
            return self._forged_combinations(artifact)
        if attack is Attack.BAD_BLOCK and self.is_block_proposal(artifact):
            assert isinstance(artifact, BlockProposal)
            proposals: list[object] = [
                BlockProposal(
                    block=bad,
                    signer=artifact.signer,
                    signature=self.keys.sign(proposal_message(bad.id)),
                )
                for bad in self._bad_blocks(artifact.block)
            ]
            return [*proposals, *self._forged_gossip(artifact.block)] if proposals else []
        return []

    def _forged_gossip(self, block: Block) -> list[object]:
        """R38: a call for the peers' ingress pools that claims the user of a message of its block
        (or of an executed one) as its sender, signed by this node's own key. It adds 0 to the
        counter, so that, taken, it changes no reply and only the check of its sender sees it.
        Sent beside the block's versions, not inside one: an honest maker that pooled it puts it
        in an honest block, which no validator holding the same copy refuses (R37 trusts a
        message its pool holds)."""
        if not isinstance(block.payload, DataPayload):
            return []
        template = block.payload.ingress[0] if block.payload.ingress else None
        if template is None and self._executed:
            template = self._executed[-1]
        if template is None or template.sender == self.user.principal:
            return []
        forged = signed_call(
            self.user,
            canister_id=template.canister_id,
            method=template.method,
            arg=_altered(template.arg),
            ingress_expiry_ns=block.context.time_ns + 60_000_000_000,
            nonce=b"gossip" + block.height.to_bytes(8, "big"),
            sender=template.sender,
        )
        return [IngressArtifact(message=forged)]

    def _forged_combinations(self, artifact: object) -> list[object]:
        """Notarizations and finalizations of its own share alone (naming itself, or n − f members),
        a beacon and a tape that are its own share, and its block under another maker's name."""
        me = self.keys.node_id
        quorum = tuple(
            sorted({me, *self.members})[: len(self.members) - (len(self.members) - 1) // 3]
        )
        if isinstance(artifact, NotarizationShare | FinalizationShare):
            kind = Notarization if isinstance(artifact, NotarizationShare) else Finalization
            combined = [
                kind(
                    height=artifact.height,
                    block=artifact.block,
                    signers=signers,
                    signature=artifact.signature,
                )
                for signers in ((me,), quorum if me in quorum else (me, *quorum[1:]))
            ]
            return [*self._framed(artifact), *combined]
        if isinstance(artifact, RandomBeaconShare):
            return [
                RandomBeacon(
                    height=artifact.height, parent=artifact.parent, signature=artifact.signature
                )
            ]
        if isinstance(artifact, RandomTapeShare):
            return [RandomTape(height=artifact.height, signature=artifact.signature)]
        if isinstance(artifact, RandomBeacon):
            # Its genuine signature under another parent: valid only where R19 is not checked.
            return [
                replace(artifact, parent=hashlib.sha256(b"relabelled" + artifact.parent).digest())
            ]
        if self.is_block_proposal(artifact):
            assert isinstance(artifact, BlockProposal)
            return self._impersonated(artifact.block)
        return []

    def _framed(self, share: NotarizationShare | FinalizationShare) -> list[object]:
        """With its notarization share, an equivocation proof against the maker of the block it
        signs: the genuine proposal and the block under that maker's name, signed by itself."""
        if not isinstance(share, NotarizationShare):
            return []
        real = self._proposals.get(share.block)
        if real is None or real.signer == self.keys.node_id:
            return []
        block = replace(
            real.block,
            context=replace(real.block.context, time_ns=real.block.context.time_ns + 3),
        )
        fake = BlockProposal(
            block=block, signer=real.signer, signature=self.keys.sign(proposal_message(block.id))
        )
        return [EquivocationProof(first=real, second=fake)]

    def _impersonated(self, block: Block) -> list[object]:
        """Its block as the block of the maker of the next rank, under that maker's name and its own
        signature (sent instead of its own block, so that only the proposal check stops it)."""
        ranks = self._ranks(block)
        rank = block.rank + 1
        other = next((node for node, r in ranks.items() if r == rank), None)
        if other is None or other == self.keys.node_id:
            return []
        forged = replace(
            block,
            rank=rank,
            context=replace(block.context, time_ns=block.context.time_ns + 2),
        )
        return [
            BlockProposal(
                block=forged, signer=other, signature=self.keys.sign(proposal_message(forged.id))
            )
        ]

    def _ranks(self, block: Block) -> dict[Principal, int]:
        """The block makers' ranks at the block's height, from the beacon below (or none)."""
        beacon = self._beacons.get(block.height - 1)
        if beacon is None or self.registry is None or self.subnet_id is None:
            return {}
        members = self.registry.get_subnet_members(self.subnet_id, block.context.registry_version)
        return compute_block_maker_ranks(members, beacon)

    def _bad_blocks(self, block: Block) -> list[Block]:
        """Its block rebuilt once for each validity rule of a block it can break, each version
        breaking that rule alone: honest replicas refuse them all, and with any one check missing
        exactly one version is valid (its rule's), so a removed check lets a bad block through."""
        if block.is_summary:
            self._summary = block.summary
            # R9: a summary that is not the one every replica computes (another next interval).
            summary = block.summary
            return [
                replace(
                    block,
                    payload=replace(summary, next_interval_length=summary.next_interval_length + 1),
                ),
                # R10: a data block (an empty one) at a summary height.
                replace(block, payload=DataPayload()),
            ]
        if not isinstance(block.payload, DataPayload):
            return []
        parent = self._blocks.get(block.height - 1, {}).get(block.parent)
        context, payload = block.context, block.payload
        bad = [
            # R1: a rank it does not hold.
            replace(block, rank=1 if block.rank == 0 else 0),
            # R4: another replica version.
            replace(block, version=block.version + "-forged"),
            # R7: a certified height above its parent.
            replace(block, context=replace(context, certified_height=block.height)),
        ]
        if parent is not None:
            # R6: a time not after its parent's.
            bad.append(replace(block, context=replace(context, time_ns=parent.context.time_ns)))
            if parent.context.certified_height > 0:
                # R5: a certified height below its parent's.
                lower = replace(context, certified_height=parent.context.certified_height - 1)
                bad.append(replace(block, context=lower))
        if self._summary is not None:
            # R10: a summary at a height that is not a summary height.
            bad.append(replace(block, payload=self._summary))

            # R36: a remote DKG result no replica computes (the interval's own keys as the
            # transcripts of a remote DKG).
            low, high = self._summary.get_current("low"), self._summary.get_current("high")
            if low is not None and high is not None and not payload.remote_results:
                forged = RemoteDkgResult(target=bytes(32), low=low, high=high)
                bad.append(replace(block, payload=replace(payload, remote_results=(forged,))))

        own = self._own_dealing
        if own is not None and own not in payload.dealings:
            # R15: its own dealing without a support proof.
            bad.append(replace(block, payload=replace(payload, dealings=(*payload.dealings, own))))

        def adding(message: IngressMessage) -> Block:
            return replace(block, payload=replace(payload, ingress=(*payload.ingress, message)))

        executed = self._executed[-1] if self._executed else None
        if executed is not None and executed not in payload.ingress:
            # R13: a message already executed.
            bad.append(adding(executed))
        template = payload.ingress[0] if payload.ingress else executed
        if template is not None:
            # R12: a message twice (one of its payload, or a new one).
            twice = payload.ingress[0] if payload.ingress else None
            if twice is None:
                twice = self._own_call(template, b"twice", context.time_ns + 60_000_000_000)
                bad.append(replace(block, payload=replace(payload, ingress=(twice, twice))))
            else:
                bad.append(adding(twice))
            # R14: a message expiring beyond the ingress TTL after the block time, yet within
            # the drift a signature check allows (an expired one would be unsigned at the block's
            # time as well, and R37 would refuse it).
            late = context.time_ns + MAX_INGRESS_TTL_NS + PERMITTED_DRIFT_AT_VALIDATOR_NS // 2
            bad.append(adding(self._own_call(template, b"late", late)))
            # R11: one message more than the subnet's limit.
            flooded = self._flooded(block, template)
            if flooded is not None:
                bad.append(flooded)
        # R37 (one version, as for every rule: two valid versions would be an equivocation): a
        # user's message with its argument altered under the user's own envelope, or, with no
        # message in its payload, a call signed by this node's own key that claims the user of an
        # executed message as its sender.
        if payload.ingress:
            first = payload.ingress[0]
            altered = replace(first, arg=_altered(first.arg))
            bad.append(
                replace(block, payload=replace(payload, ingress=(altered, *payload.ingress[1:])))
            )
        elif executed is not None:
            expiry_ns = context.time_ns + 60_000_000_000
            bad.append(
                adding(self._own_call(executed, b"forged", expiry_ns, sender=executed.sender))
            )
        return bad

    def _own_call(
        self,
        template: IngressMessage,
        purpose: bytes,
        expiry_ns: int,
        *,
        sender: Principal | None = None,
    ) -> IngressMessage:
        """A call like `template` (same canister, method and argument), signed by this node's
        user (as `sender` if given: then the envelope claims another user)."""
        return signed_call(
            self.user,
            canister_id=template.canister_id,
            method=template.method,
            arg=template.arg,
            ingress_expiry_ns=expiry_ns,
            nonce=purpose,
            sender=sender,
        )

    def _flooded(self, block: Block, template: IngressMessage) -> Block | None:
        """R11: one ingress message more than the subnet's per-block limit, all distinct, all
        signed by this node's user (signed once, and again only when they no longer fit a block's
        time)."""
        if self.registry is None or self.subnet_id is None:
            return None
        record = self.registry.get_subnet_record(self.subnet_id, block.context.registry_version)
        if record is None or not isinstance(block.payload, DataPayload):
            return None
        count = record.max_ingress_messages_per_block + 1
        time_ns = block.context.time_ns
        if len(self._flood) != count or not is_ingress_includable(self._flood[0], time_ns):
            # The latest expiry a block of this time takes: the flood fits blocks for the TTL.
            expiry_ns = time_ns + MAX_INGRESS_TTL_NS - 1
            self._flood = tuple(
                self._own_call(template, b"flood" + index.to_bytes(8, "big"), expiry_ns)
                for index in range(count)
            )
        return replace(block, payload=replace(block.payload, ingress=self._flood))

    def _other_blocks(self, height: int, block_hash: bytes) -> list[bytes]:
        others = [b for b in self._blocks.get(height, {}) if b != block_hash]
        return others or [hashlib.sha256(b"no such block" + block_hash).digest()]

    def _on_wrong_parent(self, proposal: BlockProposal) -> list[object]:
        """The proposal rebuilt on a block of the height below that was never notarized: one this
        node makes now as the maker of its rank there if it has one, else a block two heights
        down."""
        block = proposal.block
        if block.is_summary:
            return []
        below = self._unnotarized_below(block)
        if below is None:
            return []
        child = replace(block, parent=below.id)
        forged = BlockProposal(
            block=child,
            signer=proposal.signer,
            signature=self.keys.sign(proposal_message(child.id)),
        )
        out: list[object] = [forged]
        if below.height == block.height - 1:
            out.insert(
                0,
                BlockProposal(
                    block=below,
                    signer=proposal.signer,
                    signature=self.keys.sign(proposal_message(below.id)),
                ),
            )
        return out

    def _unnotarized_below(self, block: Block) -> Block | None:
        parent = self._blocks.get(block.height - 1, {}).get(block.parent)
        beacon = self._beacons.get(block.height - 2)
        if (
            parent is not None
            and beacon is not None
            and self.registry is not None
            and self.subnet_id is not None
        ):
            members = self.registry.get_subnet_members(
                self.subnet_id, parent.context.registry_version
            )
            rank = compute_block_maker_ranks(members, beacon).get(self.keys.node_id)
            if rank is not None and rank != parent.rank and not parent.is_summary:
                context = replace(parent.context, time_ns=parent.context.time_ns + 1)
                return replace(parent, rank=rank, context=context)
        grandparent = next(iter(self._blocks.get(block.height - 2, {}).values()), None)
        return grandparent

    def _forged_cups(self, share: CatchUpPackageShare) -> list[object]:
        block = self._blocks.get(share.height, {}).get(share.block)
        beacon = self._beacons.get(share.height)
        if block is None or beacon is None or beacon.id != share.beacon:
            return []
        content = CatchUpContent(
            version=share.version,
            block=block,
            beacon=beacon,
            state_hash=share.state_hash,
            oldest_registry_version=share.oldest_registry_version,
        )
        lure_height = share.height + CUP_LURE_HEIGHTS
        lure = replace(
            content,
            block=replace(
                block, height=lure_height, payload=replace(block.summary, height=lure_height)
            ),
            beacon=replace(beacon, height=lure_height),
        )
        return [
            CatchUpPackage(content=content, signature=share.signature),
            CatchUpPackage(content=lure, signature=share.signature),
        ]

    def _replays(self, share: RandomBeaconShare | NotarizationShare) -> list[object]:
        key = (type(share), share.height)
        self._own_shares[key] = share
        old = self._own_shares.pop((type(share), share.height - 1), None)
        if old is None:
            return []
        if isinstance(share, RandomBeaconShare) and isinstance(old, RandomBeaconShare):
            # The old share as it was (another previous beacon) and under the current previous
            # beacon.
            return [
                replace(old, height=share.height),
                replace(old, height=share.height, parent=share.parent),
            ]
        if isinstance(share, NotarizationShare) and isinstance(old, NotarizationShare):
            return [
                replace(old, height=share.height),
                replace(old, height=share.height, block=share.block),
            ]
        return []


def _altered(arg: bytes) -> bytes:
    """The argument with its last byte changed (the counter's `add(1)` becomes `add(0)`)."""
    return arg[:-1] + bytes([arg[-1] ^ 0x01]) if arg else b"\x00"


def artifact_height(artifact: object) -> int:
    height = getattr(artifact, "height", 0)
    return height if isinstance(height, int) else 0
