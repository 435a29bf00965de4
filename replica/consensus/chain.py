"""The validated pool seen as a tree of blocks: what is notarized, finalized, active.

The pool owner feeds every artifact that enters the validated section to
`ChainState.observe`; the roles read the result. The tree is rooted at the
replica's catch-up package (the genesis CUP built from the registry, or a
later one): its summary block counts as notarized and finalized, its beacon
as the beacon of that height.

A finalization of a block finalizes the block's ancestors too: the finalized
chain is filled by walking parent hashes down to the previous finalized
height. Summary blocks on the finalized chain are kept: they name the
registry version and the threshold keys of each interval (spec D.3).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from replica.consensus.artifacts import (
    Block,
    BlockProposal,
    CatchUpPackage,
    Certification,
    ConsensusArtifact,
    EquivocationProof,
    Finalization,
    Notarization,
    RandomBeacon,
    RandomTape,
)
from replica.consensus.membership import ActiveData, get_active_data_at
from replica.types import Principal


@dataclass(frozen=True, slots=True, kw_only=True)
class Finalized:
    """A block that just became final, in height order."""

    block: Block


class ChainState:
    def __init__(self, cup: CatchUpPackage) -> None:
        block = cup.content.block
        self.cup = cup
        self.blocks: dict[bytes, Block] = {block.id: block}
        self.proposals: dict[bytes, BlockProposal] = {}
        self.notarized: dict[int, dict[bytes, Block]] = {block.height: {block.id: block}}
        self.finalized: dict[int, Block] = {block.height: block}
        self.notarized_height = block.height
        self.finalized_height = block.height
        self.beacons: dict[int, RandomBeacon] = {block.height: cup.content.beacon}
        self.beacon_height = block.height
        """The greatest height up to which the beacon chain is complete."""
        self.tapes: dict[int, RandomTape] = {}
        self.certifications: dict[int, Certification] = {}
        self.summaries: dict[int, Block] = {block.height: block}
        self._summary_heights = [block.height]
        self.round_start_ns: dict[int, int] = {}
        self.disqualified: dict[int, set[Principal]] = {}
        self.cups: dict[int, CatchUpPackage] = {block.height: cup}

    # -- feeding --------------------------------------------------------------------------

    def observe(self, artifact: ConsensusArtifact, now_ns: int | None) -> list[Finalized]:
        """Index a newly validated artifact (`now_ns` None while replaying the persisted pool)."""
        finalized: list[Finalized] = []
        if isinstance(artifact, BlockProposal):
            self.blocks[artifact.block.id] = artifact.block
            self.proposals[artifact.block.id] = artifact
        elif isinstance(artifact, Notarization):
            block = self.blocks.get(artifact.block)
            if block is not None:
                self._notarize(block)
        elif isinstance(artifact, Finalization):
            block = self.blocks.get(artifact.block)
            if block is not None and artifact.height > self.finalized_height:
                finalized = self._finalize(block)
        elif isinstance(artifact, RandomBeacon):
            self.beacons.setdefault(artifact.height, artifact)
            while self.beacon_height + 1 in self.beacons:
                self.beacon_height += 1
        elif isinstance(artifact, RandomTape):
            self.tapes.setdefault(artifact.height, artifact)
        elif isinstance(artifact, Certification):
            self.certifications.setdefault(artifact.height, artifact)
        elif isinstance(artifact, CatchUpPackage):
            self.cups.setdefault(artifact.height, artifact)
            if artifact.height > self.cup.height:
                self.cup = artifact
        elif isinstance(artifact, EquivocationProof):
            self.disqualified.setdefault(artifact.height, set()).add(artifact.signer)
        if now_ns is not None:
            self.start_round(now_ns)
        return finalized

    def _notarize(self, block: Block) -> None:
        self.notarized.setdefault(block.height, {})[block.id] = block
        if block.height > self.notarized_height:
            self.notarized_height = block.height

    def _finalize(self, block: Block) -> list[Finalized]:
        chain = [block]
        while chain[-1].height > self.finalized_height + 1:
            parent = self.blocks.get(chain[-1].parent)
            if parent is None:
                return []
            chain.append(parent)
        if chain[-1].parent != self.finalized[self.finalized_height].id:
            return []  # cannot happen for validated artifacts: safety would be broken
        out = []
        for item in reversed(chain):
            self._notarize(item)
            self.finalized[item.height] = item
            self.finalized_height = item.height
            if item.is_summary:
                self.summaries[item.height] = item
                self._summary_heights.append(item.height)
            out.append(Finalized(block=item))
        return out

    def start_round(self, now_ns: int) -> None:
        """Note when the next height's round began: its parent notarized and its beacon known."""
        height = self.notarized_height + 1
        if height not in self.round_start_ns and height - 1 in self.beacons:
            self.round_start_ns[height] = now_ns

    # -- reading --------------------------------------------------------------------------

    def get_notarized(self, height: int) -> list[Block]:
        return list(self.notarized.get(height, {}).values())

    def is_notarized(self, block_hash: bytes, height: int) -> bool:
        return block_hash in self.notarized.get(height, {})

    def get_summary_block_below(self, height: int) -> Block | None:
        """The finalized summary block with the greatest height <= `height`."""
        position = bisect_right(self._summary_heights, height) - 1
        return self.summaries[self._summary_heights[position]] if position >= 0 else None

    def get_active_data(self, height: int) -> ActiveData | None:
        summary = self.get_summary_block_below(height)
        return None if summary is None else get_active_data_at(summary, height)

    def is_summary_height(self, height: int) -> bool | None:
        """Whether the block at `height` must be a summary block (None: not known yet)."""
        summary = self.get_summary_block_below(height - 1)
        if summary is None:
            return None
        first = summary.summary.next_summary_height
        if height <= first:
            return height == first
        second = first + summary.summary.next_interval_length + 1
        return height == second if height <= second else None

    def get_ancestor(self, block: Block, height: int) -> Block | None:
        """The ancestor of `block` at `height` (the block itself at its height)."""
        current: Block | None = block
        while current is not None and current.height > height:
            current = self.blocks.get(current.parent)
        return current if current is not None and current.height == height else None

    def get_last_summary_of(self, block: Block) -> Block | None:
        """The summary block at or below `block` on its chain."""
        current: Block | None = block
        while current is not None:
            if current.is_summary:
                return current
            if current.height <= self.finalized_height:
                return self.get_summary_block_below(current.height)
            current = self.blocks.get(current.parent)
        return None

    def iterate_chain(self, block: Block, down_to_height: int) -> list[Block]:
        """`block` and its ancestors above `down_to_height`, highest first."""
        out: list[Block] = []
        current: Block | None = block
        while current is not None and current.height > down_to_height:
            out.append(current)
            current = self.blocks.get(current.parent)
        return out

    # -- purging --------------------------------------------------------------------------

    def purge_below(self, height: int) -> None:
        """Forget everything below `height`, keeping the summary blocks still in use."""
        keep_summary = self.get_summary_block_below(height)
        for index in (
            self.notarized,
            self.finalized,
            self.beacons,
            self.tapes,
            self.certifications,
            self.round_start_ns,
            self.disqualified,
            self.cups,
        ):
            for old in [h for h in index if h < min(height, self.beacon_height)]:
                del index[old]
        self.blocks = {k: b for k, b in self.blocks.items() if b.height >= height or b.is_summary}
        self.proposals = {k: p for k, p in self.proposals.items() if p.height >= height}
        floor = keep_summary.height if keep_summary is not None else height
        for old in [h for h in self.summaries if h < floor]:
            del self.summaries[old]
        self._summary_heights = sorted(self.summaries)
