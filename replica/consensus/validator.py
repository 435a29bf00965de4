"""The validator: check what peers sent against the registry version of its height.

Each unvalidated artifact is moved to the validated section, dropped as
invalid, dropped as useless (a duplicate, or below the finalized height), or
left where it is until what it depends on arrives (its parent, the previous
beacon, the registry version its context names, the time its block claims).

- A block proposal is signed by the maker of the rank it claims (ranks come
  from the previous beacon and the members at the height's registry
  version), extends a notarized block of the height below, never goes back in
  registry version, certified height or time, carries the replica version of
  its interval and exactly the summary every replica computes at summary
  heights, or ingress within the subnet's limits that is not on the chain yet,
  each message signed by its sender (its envelope checked unless this replica
  already checked that very message), and valid dealings, each with a valid
  support proof (see `dealings`).
  Two different proposals of one maker at one height are an equivocation:
  the proof disqualifies the maker for that height (both blocks are kept, since
  replicas that saw only one of them may still notarize it).
- Notarizations and finalizations are multi-signatures of at least the
  threshold of distinct committee members; beacons, tapes, certifications
  and catch-up packages are threshold signatures under the key active at
  their height. A combined signature is verified once (the crypto layer
  memoises pure verifications).

Shares are not validated here: the roles combine them (see `shares`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from enum import Enum
from typing import Final

from replica.consensus.artifacts import (
    Block,
    BlockProposal,
    CatchUpPackage,
    Certification,
    ConsensusArtifact,
    DataPayload,
    DkgSummary,
    EquivocationProof,
    Finalization,
    Notarization,
    RandomBeacon,
    RandomTape,
    RemoteDkgResult,
    ValidationContext,
    beacon_message,
    certification_message,
    finalization_message,
    notarization_message,
    proposal_message,
    tape_message,
)
from replica.consensus.block_maker import (
    IngressAuthenticator,
    get_ingress_on_chain,
    is_ingress_includable,
)
from replica.consensus.catchup import is_valid_catch_up_package
from replica.consensus.context import HeightInfo, RoleContext
from replica.consensus.pool import (
    AddToValidated,
    ChangeSet,
    HandleInvalid,
    MoveToValidated,
    RemoveFromUnvalidated,
)
from replica.crypto import bls
from replica.crypto.keys import verify_node_signature
from replica.execution.messages import IngressMessage

SummaryComputer = Callable[[Block, int, ValidationContext], DkgSummary | None]
DealingsCheck = Callable[[Block, DataPayload], str | None]
"""Why the dealings and support proofs of a block's payload are refused, or None."""
RootHashOf = Callable[[int], bytes | None]
RemoteResultsComputer = Callable[[Block, ValidationContext], tuple[RemoteDkgResult, ...] | None]
"""The remote DKG results a data block on a parent with a context carries (None: not yet known)."""


class Wait(Enum):
    WAIT = "wait"


WAIT: Final = Wait.WAIT
Verdict = str | None | Wait
"""None: valid; a string: why it is invalid; WAIT: not decidable yet."""


class Validator:
    def __init__(
        self,
        ctx: RoleContext,
        *,
        compute_summary: SummaryComputer,
        check_dealings: DealingsCheck,
        get_root_hash: RootHashOf,
        is_ingress_known: Callable[[bytes], bool],
        subnet_public_key: bytes,
        compute_remote_results: RemoteResultsComputer,
        authenticate_ingress: IngressAuthenticator | None = None,
    ) -> None:
        self.ctx = ctx
        self.compute_summary = compute_summary
        self.check_dealings = check_dealings
        self.compute_remote_results = compute_remote_results
        self.get_root_hash = get_root_hash
        self.is_ingress_known = is_ingress_known
        self.authenticate_ingress = authenticate_ingress
        self.subnet_public_key = subnet_public_key
        self.wake_at_ns: int | None = None

    def _check_senders(
        self,
        authenticate: IngressAuthenticator,
        ingress: tuple[IngressMessage, ...],
        time_ns: int,
    ) -> str | None:
        """Why a block's ingress is not all signed by its senders at the block's time, or None:
        every message is checked from its envelope at the block's time, as the IC's ingress
        manager does (`validate_ingress` runs `validate_request` at the context's time), so a
        sender's delegation that has ended since the call arrived refuses it. The authenticator
        decides what it need not check again (the live replica's trusts the envelopes it checked
        on arrival while their delegations last: `replica.live.verified`)."""
        for message in ingress:
            if not message.envelope:
                return "an ingress message is not signed"
            reason = authenticate(message, time_ns)
            if reason is not None:
                return f"an ingress message is not signed by its sender: {reason}"
        return None

    def make_changes(self) -> ChangeSet:
        self._verify_signatures_together()
        self.wake_at_ns = None
        changes: ChangeSet = []
        changes += self._validate_proposals()
        changes += self._validate_simple(Notarization, self._check_notarization)
        changes += self._validate_simple(Finalization, self._check_finalization)
        changes += self._validate_simple(RandomBeacon, self._check_beacon)
        changes += self._validate_simple(RandomTape, self._check_tape)
        changes += self._validate_simple(Certification, self._check_certification)
        changes += self._validate_simple(CatchUpPackage, self._check_cup)
        changes += self._validate_simple(EquivocationProof, self._check_equivocation)
        return changes

    def _verify_signatures_together(self) -> None:
        """Check the combined BLS signatures this pass will ask for with one multi-pairing.

        A first run of the checks of notarizations, finalizations, beacons, tapes and
        certifications stops at each signature whose answer is not known yet and lists it
        (`bls.collect_claims`); when there are several, `bls.verify_together` checks them at
        once, and the checks below find them answered. Every signature is still checked; a
        false one fails the joint check and is then checked alone, so the verdicts are those of
        one check at a time.
        """
        unvalidated, validated = self.ctx.pool.unvalidated, self.ctx.pool.validated
        with bls.collect_claims() as claims:
            for kind, check in (
                (Notarization, self._check_notarization),
                (Finalization, self._check_finalization),
                (RandomBeacon, self._check_beacon),
                (RandomTape, self._check_tape),
                (Certification, self._check_certification),
            ):
                for height in unvalidated.heights(kind):
                    for artifact in unvalidated.get(kind, height):
                        if artifact.id in validated:
                            continue
                        with contextlib.suppress(bls.Deferred):
                            check(artifact)
        if len(claims) > 1:
            bls.verify_together(claims)

    def _validate_simple(
        self, kind: type[ConsensusArtifact], check: Callable[[object], Verdict]
    ) -> ChangeSet:
        changes: ChangeSet = []
        unvalidated = self.ctx.pool.unvalidated
        for height in unvalidated.heights(kind):
            for artifact in unvalidated.get(kind, height):
                if artifact.id in self.ctx.pool.validated:
                    changes.append(RemoveFromUnvalidated(artifact=artifact))
                    continue
                verdict = check(artifact)
                if verdict is WAIT:
                    continue
                if verdict == "":
                    changes.append(RemoveFromUnvalidated(artifact=artifact))
                elif verdict is None:
                    changes.append(MoveToValidated(artifact=artifact))
                else:
                    changes.append(HandleInvalid(artifact=artifact, reason=str(verdict)))
        return changes

    # -- blocks ---------------------------------------------------------------------------

    def _validate_proposals(self) -> ChangeSet:
        ctx, chain = self.ctx, self.ctx.chain
        changes: ChangeSet = []
        for height in ctx.pool.unvalidated.heights(BlockProposal):
            if height > chain.notarized_height + 1:
                break
            moved: list[BlockProposal] = []
            for proposal in ctx.pool.unvalidated.get(BlockProposal, height):
                if height <= chain.finalized_height or proposal.id in ctx.pool.validated:
                    changes.append(RemoveFromUnvalidated(artifact=proposal))
                    continue
                info = ctx.get_height_info(height)
                if info is None:
                    break
                verdict = self._check_proposal(proposal, info)
                if verdict is WAIT:
                    continue
                if verdict is not None:
                    changes.append(HandleInvalid(artifact=proposal, reason=str(verdict)))
                    continue
                other = next(
                    (
                        p
                        for p in (*ctx.pool.validated.get(BlockProposal, height), *moved)
                        if p.signer == proposal.signer and p.block.id != proposal.block.id
                    ),
                    None,
                )
                moved.append(proposal)
                if other is not None and proposal.signer not in chain.disqualified.get(
                    height, set()
                ):
                    changes.append(
                        AddToValidated(artifact=EquivocationProof(first=other, second=proposal))
                    )
                # Both blocks stay: peers that saw only one of them may notarize and finalize it.
                changes.append(MoveToValidated(artifact=proposal))
        return changes

    def _check_proposal(self, proposal: BlockProposal, info: HeightInfo) -> Verdict:
        ctx, chain = self.ctx, self.ctx.chain
        block = proposal.block
        if info.ranks.get(proposal.signer) != block.rank:
            return "the signer is not the block maker of this rank"
        parent = chain.blocks.get(block.parent)
        # A known parent at another height is refused at once (not left waiting for a
        # notarization at the height below that can never come).
        if parent is not None and parent.height != block.height - 1:
            return "the parent is not at the height below"
        if parent is None or not chain.is_notarized(block.parent, block.height - 1):
            return WAIT
        if block.version != info.record.replica_version_id:
            return f"replica version {block.version} is not the interval's"
        context, before = block.context, parent.context
        if (
            context.registry_version < before.registry_version
            or context.certified_height < before.certified_height
        ):
            return "the validation context goes below the parent's"
        if context.time_ns <= before.time_ns:
            return "the block time is not after the parent's"
        if context.certified_height > parent.height:
            return "the certified height is above the parent"
        if (
            context.registry_version > ctx.registry.latest_version
            or context.certified_height > ctx.certified_height
        ):
            return WAIT
        if context.time_ns > ctx.now_ns:
            self.wake_at_ns = (
                context.time_ns
                if self.wake_at_ns is None
                else min(self.wake_at_ns, context.time_ns)
            )
            return WAIT
        if not ctx.signer.verify_proposal(proposal, info.active.registry_version):
            return "invalid proposal signature"
        return self._check_payload(block, parent, info)

    def _check_payload(self, block: Block, parent: Block, info: HeightInfo) -> Verdict:
        is_summary = self.ctx.chain.is_summary_height(block.height)
        if is_summary is None:
            return WAIT
        # R10 is its own check: each kind of payload is then checked by its own rules below, so a
        # block of the wrong kind meets checks that refuse it, never code that assumes the kind.
        if is_summary != isinstance(block.payload, DkgSummary):
            return (
                "a summary block is due at this height"
                if is_summary
                else "a summary block at a height that is not a summary height"
            )
        if isinstance(block.payload, DkgSummary):
            expected = self.compute_summary(parent, block.height, block.context)
            if expected is None:
                return WAIT
            return (
                None if expected == block.payload else "the summary differs from the computed one"
            )
        return self._check_data_payload(block, block.payload, parent, info)

    def _check_data_payload(
        self, block: Block, payload: DataPayload, parent: Block, info: HeightInfo
    ) -> Verdict:
        record = info.record
        if len(payload.ingress) > record.max_ingress_messages_per_block:
            return "too many ingress messages"
        if sum(m.size_bytes for m in payload.ingress) > record.max_block_payload_size:
            return "the payload is too large"
        ids = [m.message_id for m in payload.ingress]
        if len(set(ids)) != len(ids):
            return "an ingress message appears twice"
        on_chain = get_ingress_on_chain(self.ctx, parent)
        for message in payload.ingress:
            if message.message_id in on_chain or self.is_ingress_known(message.message_id):
                return "an ingress message is already on the chain"
            if not is_ingress_includable(message, block.context.time_ns):
                return "an ingress message is expired or expires too late"
            if len(message.arg) > record.max_ingress_bytes_per_message:
                return "an ingress message is too large"
        if self.authenticate_ingress is not None:
            reason = self._check_senders(
                self.authenticate_ingress, payload.ingress, block.context.time_ns
            )
            if reason is not None:
                return reason
        if payload.remote_results:
            # Early remote DKG results: exactly those every replica computes (or none at all).
            results = self.compute_remote_results(parent, block.context)
            if results is None:
                return WAIT
            if results != payload.remote_results:
                return "remote DKG results other than the computed ones"
        return self.check_dealings(parent, payload)

    # -- combined signatures --------------------------------------------------------------

    def _check_block_signature(
        self, artifact: Notarization | Finalization, message: bytes
    ) -> Verdict:
        ctx, chain = self.ctx, self.ctx.chain
        if artifact.block not in chain.blocks:
            return WAIT
        if chain.blocks[artifact.block].height != artifact.height:
            return "the block is at another height"
        info = ctx.get_height_info(artifact.height)
        if info is None:
            return WAIT
        signers = artifact.signers
        if len(set(signers)) != len(signers) or len(signers) < info.notarization_threshold:
            return "too few distinct signers"
        if any(signer not in info.committee for signer in signers):
            return "a signer is not in the committee"
        if not ctx.signer.verify_multisignature(
            signers, info.active.registry_version, message, artifact.signature
        ):
            return "invalid multi-signature"
        return None

    def _check_notarization(self, artifact: object) -> Verdict:
        if not isinstance(artifact, Notarization):
            return "wrong type"
        chain = self.ctx.chain
        if artifact.height <= chain.finalized_height or chain.is_notarized(
            artifact.block, artifact.height
        ):
            return ""
        return self._check_block_signature(
            artifact, notarization_message(artifact.height, artifact.block)
        )

    def _check_finalization(self, artifact: object) -> Verdict:
        if not isinstance(artifact, Finalization):
            return "wrong type"
        if artifact.height <= self.ctx.chain.finalized_height:
            return ""
        return self._check_block_signature(
            artifact, finalization_message(artifact.height, artifact.block)
        )

    def _check_beacon(self, artifact: object) -> Verdict:
        if not isinstance(artifact, RandomBeacon):
            return "wrong type"
        chain = self.ctx.chain
        if artifact.height <= chain.beacon_height or artifact.height in chain.beacons:
            return ""
        previous = chain.beacons.get(artifact.height - 1)
        key = self.ctx.low_key(artifact.height)
        if previous is None or key is None:
            return WAIT
        if artifact.parent != previous.id:
            return "the beacon does not extend the previous beacon"
        if not key.verify(beacon_message(artifact.height, previous.id), artifact.signature):
            return "invalid beacon signature"
        return None

    def _check_tape(self, artifact: object) -> Verdict:
        if not isinstance(artifact, RandomTape):
            return "wrong type"
        if artifact.height in self.ctx.chain.tapes or artifact.height <= self.ctx.executed_height:
            return ""
        key = self.ctx.low_key(artifact.height)
        if key is None:
            return WAIT
        return (
            None
            if key.verify(tape_message(artifact.height), artifact.signature)
            else "invalid tape signature"
        )

    def _check_certification(self, artifact: object) -> Verdict:
        if not isinstance(artifact, Certification):
            return "wrong type"
        ctx = self.ctx
        if artifact.height <= ctx.certified_height or artifact.height in ctx.chain.certifications:
            return ""
        if artifact.height > ctx.executed_height:
            return WAIT
        key = ctx.high_key(artifact.height)
        root = self.get_root_hash(artifact.height)
        if key is None or root is None:
            return WAIT
        if not key.verify(certification_message(artifact.root_hash), artifact.signature):
            return "invalid certification signature"
        if root != artifact.root_hash:
            return "the certified root hash differs from this replica's"
        return None

    def _check_cup(self, artifact: object) -> Verdict:
        if not isinstance(artifact, CatchUpPackage):
            return "wrong type"
        chain = self.ctx.chain
        if artifact.height <= chain.cup.height:
            return ""
        if artifact.height > chain.finalized_height:
            return WAIT
        if chain.finalized.get(artifact.height) != artifact.content.block:
            return "the CUP's block is not the finalized block of its height"
        return (
            None
            if is_valid_catch_up_package(artifact, self.subnet_public_key)
            else "invalid CUP signature"
        )

    def _check_equivocation(self, artifact: object) -> Verdict:
        if not isinstance(artifact, EquivocationProof):
            return "wrong type"
        first, second = artifact.first, artifact.second
        if first.height <= self.ctx.chain.finalized_height:
            return ""
        if (
            first.signer != second.signer
            or first.height != second.height
            or first.block.id == second.block.id
        ):
            return "not an equivocation"
        info = self.ctx.get_height_info(first.height)
        if info is None:
            return WAIT
        key = self.ctx.signer.signing_key(first.signer, info.active.registry_version)
        if key is None:
            return "unknown signer"
        for proposal in (first, second):
            if not verify_node_signature(
                key, proposal_message(proposal.block.id), proposal.signature
            ):
                return "invalid proposal signature"
        return None
