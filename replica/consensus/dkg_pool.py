"""The DKG side pools of a replica: dealings and the receivers' support shares (spec D.3).

A replica deals for the DKGs each finalized summary schedules, keeps the
dealings peers gossip (a few per dealer and DKG, so a forgery cannot shadow
the real one), decrypts and checks its own share of each and signs a support
share for the good ones, keeps the support shares peers gossip, combines a
dealing's support proof once n − f receivers support it, and gives the block
maker the dealings (with their proofs) still missing on the chain, and the
validator its check of a block's dealings. `DkgPool` is this pool and its owner:
`ReplicaNode` hands it what arrives (`add_dealing`, `add_support_share`), calls
`deal` on every new summary and `support_dealings` in its loop, and sends what
`send` is given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from registry.client import RegistryClient
from registry.records import KeyPurpose
from replica.consensus.artifacts import (
    Block,
    DataPayload,
    DealingArtifact,
    DealingSupport,
    DealingSupportShare,
    DkgConfigRecord,
    DkgSummary,
    SignedDealing,
    compute_dealing_hash,
    dealing_support_message,
)
from replica.consensus.chain import ChainState
from replica.consensus.context import RoleContext
from replica.consensus.dealings import (
    DealingChecker,
    DealingKey,
    compute_dealing_seed,
    dealing_key,
    decode_dealing,
    get_collection_threshold,
    get_dealing_keys_on_chain,
    get_support_threshold,
    get_tag_of_config_tag,
    make_dealings,
    make_support_share,
)
from replica.consensus.signing import Signer
from replica.crypto.keys import NodeSecretKeys
from replica.types import Principal

MAX_DEALINGS_PER_KEY: Final = 4
SupportKey = tuple[int, str, bytes]
"""(DKG start height, tag, dealing hash): the support shares of one dealing."""


class DkgPool:
    """Dealings and support shares of the current DKGs, and what this replica deals and supports."""

    def __init__(
        self,
        *,
        subnet_id: Principal,
        keys: NodeSecretKeys,
        registry: RegistryClient,
        signer: Signer,
        ctx: RoleContext,
        send: Callable[[DealingArtifact | DealingSupportShare], None],
    ) -> None:
        self.subnet_id = subnet_id
        self.keys = keys
        self.registry = registry
        self.signer = signer
        self.ctx = ctx
        self._send = send
        self.dealings: dict[DealingKey, list[SignedDealing]] = {}
        self.checker = DealingChecker(subnet_id, signer.signing_key, signer.verify_multisignature)
        self.supports: dict[SupportKey, dict[Principal, bytes]] = {}
        """Support shares of dealings, by dealing, then signer."""
        self._supports_per_signer: dict[tuple[int, str, Principal, Principal], int] = {}
        self._support_proofs: dict[SupportKey, DealingSupport] = {}
        self._examined: dict[bytes, int] = {}
        """Dealings (bytes) this node has decrypted its share of, with their DKG start heights."""
        self.unexamined = True
        """Whether a dealing or a summary block arrived since dealings were last examined."""
        self._dealing_seed = compute_dealing_seed(keys)

    def _chain(self) -> ChainState:
        return self.ctx.chain

    def _dealings_context(self, parent: Block) -> tuple[DkgSummary, set[DealingKey]] | None:
        summary_block = self._chain().get_last_summary_of(parent)
        if summary_block is None:
            return None
        blocks = self._chain().iterate_chain(parent, summary_block.height)
        return summary_block.summary, get_dealing_keys_on_chain(self._chain(), blocks)

    def make_dealings(
        self, parent: Block, height: int
    ) -> tuple[tuple[SignedDealing, ...], tuple[DealingSupport, ...]]:
        found = self._dealings_context(parent)
        if found is None or not self.dealings:
            return (), ()
        summary, on_chain = found
        record = self.ctx.get_subnet_record(parent.context.registry_version)
        per_block = record.dkg_dealings_per_block if record is not None else 1
        needed = sum(get_collection_threshold(summary, config) for config in summary.configs)
        # Short intervals need several dealings per block to finish every DKG in time.
        limit = max(per_block, -(-needed // max(1, summary.interval_length // 2)))
        return self.checker.select(summary, on_chain, self.dealings, limit, self.get_support)

    def get_support(self, config: DkgConfigRecord, signed: SignedDealing) -> DealingSupport | None:
        """The support proof of a pooled dealing from the support shares at hand (combined once);
        a remote DKG's dealings have none (`replica.consensus.dealings`)."""
        if config.target:
            return None
        dealing_hash = compute_dealing_hash(signed.dealing)
        key = (config.start_height, config.tag, dealing_hash)
        proof = self._support_proofs.get(key)
        if proof is not None:
            return proof
        shares = {s: sig for s, sig in self.supports.get(key, {}).items() if s in config.receivers}
        needed = get_support_threshold(config)
        if len(shares) < needed:
            return None
        message = dealing_support_message(
            self.subnet_id, config.start_height, config.tag, dealing_hash
        )
        combined = self.signer.combine_committee_shares(
            shares, config.registry_version, message, needed
        )
        if not isinstance(combined, tuple):
            for bad in combined:  # invalid shares are dropped; their signers may send valid ones
                self.supports[key].pop(bad, None)
            return None
        signers, signature = combined
        proof = self._support_proofs[key] = DealingSupport(
            dealing_hash=dealing_hash, signers=signers, signature=signature
        )
        return proof

    def check_dealings(self, parent: Block, payload: DataPayload) -> str | None:
        if not payload.dealings and not payload.supports:
            return None
        found = self._dealings_context(parent)
        if found is None:
            return "no summary block on the chain"
        summary, on_chain = found
        return self.checker.check_payload(summary, on_chain, payload.dealings, payload.supports)

    def deal(self, summary: DkgSummary) -> None:
        """This node's dealings for the DKGs a newly finalized summary schedules."""
        for key in [k for k in self.dealings if k[0] < summary.height]:
            del self.dealings[key]
        for support_key in [k for k in self.supports if k[0] < summary.height]:
            del self.supports[support_key]
            self._support_proofs.pop(support_key, None)
        for count_key in [k for k in self._supports_per_signer if k[0] < summary.height]:
            del self._supports_per_signer[count_key]
        for data in [d for d, start in self._examined.items() if start < summary.height]:
            del self._examined[data]
        dealings = make_dealings(
            subnet_id=self.subnet_id,
            summary=summary,
            keys=self.keys,
            seed=self._dealing_seed,
            get_secret_share=lambda t: self.signer.threshold_key(t).secret_share,
            get_dealing_key=lambda node, version: self.registry.get_node_public_key(
                node, KeyPurpose.DKG_DEALING_ENCRYPTION, version
            ),
        )
        for signed in dealings:
            dealing = decode_dealing(signed.dealing)
            if dealing is not None:
                self.add_dealing(signed)
                self._send(
                    DealingArtifact(
                        height=dealing.dkg_id.start_height, tag=dealing.dkg_id.tag, signed=signed
                    )
                )

    def add_dealing(self, signed: SignedDealing) -> bool:
        """Keep a gossiped dealing (a few per dealer and DKG: a forged one must not shadow the real
        one)."""
        dealing = decode_dealing(signed.dealing)
        if dealing is None or dealing.dkg_id.start_height < self._chain().cup.height:
            return False
        known = self.dealings.setdefault(dealing_key(dealing), [])
        if signed in known or len(known) >= MAX_DEALINGS_PER_KEY:
            return False
        known.append(signed)
        self.unexamined = True
        return True

    def support_dealings(self) -> None:
        """Decrypt and check this node's share of each new pooled dealing whose summary block is
        finalized here; support those whose share is good (spec: dealing support, see
        `dealings`)."""
        if not self.unexamined:
            return
        self.unexamined = False
        for (start, _, _), known in self.dealings.items():
            summary_block = self._chain().finalized.get(start)
            if summary_block is None or not summary_block.is_summary:
                continue
            for signed in known:
                if signed.dealing in self._examined:
                    continue
                self._examined[signed.dealing] = start
                if not self.checker.is_valid(summary_block.summary, signed):
                    continue
                share = make_support_share(
                    subnet_id=self.subnet_id,
                    summary=summary_block.summary,
                    signed=signed,
                    keys=self.keys,
                )
                if share is not None and self.add_support_share(share):
                    self._send(share)

    def add_support_share(self, share: DealingSupportShare) -> bool:
        """Keep a gossiped support share. Shares are checked one by one only when they conflict with
        a kept one or exceed a few per signer and dealer, so a forgery cannot shadow the real
        share."""
        if share.height < self._chain().cup.height:
            return False
        key = (share.height, share.tag, share.dealing_hash)
        existing = self.supports.get(key, {}).get(share.signer)
        if existing == share.signature:
            return False
        count_key = (share.height, share.tag, share.dealer, share.signer)
        count = self._supports_per_signer.get(count_key, 0)
        if existing is not None or count >= MAX_DEALINGS_PER_KEY:
            # BLS signatures are deterministic: of two different shares at most one is valid.
            if not self._is_valid_support_share(share):
                return False
            self._support_proofs.pop(key, None)
        else:
            self._supports_per_signer[count_key] = count + 1
        self.supports.setdefault(key, {})[share.signer] = share.signature
        return True

    def _is_valid_support_share(self, share: DealingSupportShare) -> bool:
        summary_block = self._chain().finalized.get(share.height)
        if summary_block is None or not summary_block.is_summary:
            return False
        config = next(
            (c for c in summary_block.summary.configs if c.tag == share.tag and not c.target), None
        )
        if config is None or share.signer not in config.receivers:
            return False
        message = dealing_support_message(
            self.subnet_id, share.height, share.tag, share.dealing_hash
        )
        return self.signer.verify_committee_share(
            share.signer, config.registry_version, message, share.signature
        )

    def dealer_of(self, start: int, tag: str, dealing_hash: bytes) -> Principal | None:
        for (pooled_start, pooled_tag, dealer), known in self.dealings.items():
            if (pooled_start, pooled_tag) == (start, tag) and any(
                compute_dealing_hash(signed.dealing) == dealing_hash for signed in known
            ):
                return dealer
        return None

    def artifacts(self) -> list[DealingArtifact | DealingSupportShare]:
        """The pooled dealings and support shares, as a peer that (re)connects is offered them."""
        out: list[DealingArtifact | DealingSupportShare] = []
        for (start, tag, _), known in sorted(
            self.dealings.items(), key=lambda item: (item[0][0], item[0][1])
        ):
            out.extend(
                DealingArtifact(height=start, tag=get_tag_of_config_tag(tag), signed=signed)
                for signed in known
            )
        for (start, tag, dealing_hash), shares in sorted(
            self.supports.items(), key=lambda item: item[0][:2]
        ):
            dealer = self.dealer_of(start, tag, dealing_hash)
            if dealer is None:
                continue
            out.extend(
                DealingSupportShare(
                    height=start,
                    tag=tag,  # type: ignore[arg-type]
                    dealer=dealer,
                    dealing_hash=dealing_hash,
                    signer=signer,
                    signature=signature,
                )
                for signer, signature in shares.items()
            )
        return out
