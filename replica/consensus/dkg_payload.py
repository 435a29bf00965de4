"""DKG payloads: dealings in ordinary blocks, summaries every interval (spec D.3).

A summary block S_{k+1} at height S_k.height + S_k.interval_length + 1 is
computed from S_k, the dealings on the chain since S_k and the new block's
validation context:

- `next_transcripts` are built from S_k's configs and the dealings on chain;
  `current_transcripts` are S_k's next transcripts (its current ones, per tag,
  where a DKG produced nothing);
- `registry_version` is S_k's validation-context registry version, so the
  registry version a block maker saw becomes the version of the interval
  after next;
- `interval_length` is S_k's `next_interval_length`, and the new
  `next_interval_length` is the subnet record's `dkg_interval_length` at the
  new block's context version;
- the new configs use the new block's context version: receivers are the
  subnet's members at that version; the low-threshold key is dealt afresh by
  those members (threshold f+1); the high-threshold key is *reshared* by the
  committee of the transcript being reshared (the new next transcript, else
  the current one), threshold n−f of the receivers, so the subnet's public key
  never changes.

A summary of a subnet that answers `setup_initial_dkg` calls (the NNS) also
carries remote DKG configs and results, computed from the calls open in the
state at the block's certified height (`replica.consensus.remote_dkg`); a data
block carries a remote DKG's result as soon as the dealings on chain make it
(`create_early_remote_results`).

Every replica computes the summary itself and accepts a summary block only if
its payload is exactly that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from replica.consensus.artifacts import (
    Block,
    DataPayload,
    DkgConfigRecord,
    DkgSummary,
    KeyTranscript,
    RemoteDkgResult,
    ValidationContext,
)
from replica.consensus.chain import ChainState
from replica.consensus.membership import compute_high_threshold, compute_low_threshold
from replica.consensus.remote_dkg import (
    GetInitialDkgRequests,
    compute_early_remote_results,
    compute_remote_dkg_data,
)
from replica.crypto.dkg import DkgTag
from replica.types import Principal

TranscriptBuilder = Callable[
    [DkgConfigRecord, KeyTranscript | None, Sequence[bytes]], KeyTranscript | None
]
"""Builds the transcript of a config from the dealings on chain (None if there are too few)."""

GetMembers = Callable[[int], tuple[Principal, ...] | None]
GetIntervalLength = Callable[[int], int | None]


def make_configs(
    *,
    start_height: int,
    registry_version: int,
    receivers: tuple[Principal, ...],
    resharing: KeyTranscript | None,
) -> tuple[DkgConfigRecord, ...]:
    """The low (fresh) and high (resharing) configs of an interval."""
    low = DkgConfigRecord(
        tag="low",
        start_height=start_height,
        dealers=receivers,
        receivers=receivers,
        threshold=compute_low_threshold(len(receivers)),
        registry_version=registry_version,
        resharing=False,
    )
    high = DkgConfigRecord(
        tag="high",
        start_height=start_height,
        dealers=resharing.committee if resharing is not None else receivers,
        receivers=receivers,
        threshold=compute_high_threshold(len(receivers)),
        registry_version=registry_version,
        resharing=resharing is not None,
    )
    return (low, high)


def get_resharing_transcript(summary: DkgSummary) -> KeyTranscript | None:
    """The high-threshold transcript a summary's configs reshare: its next one, else its current
    one."""
    return summary.get_next("high") or summary.get_current("high")


def get_dealings_on_chain(chain: ChainState, parent: Block, summary_height: int) -> list[bytes]:
    """The dealings in the blocks after the summary at `summary_height`, up to `parent`, in chain
    order."""
    dealings: list[bytes] = []
    for block in reversed(chain.iterate_chain(parent, summary_height)):
        if isinstance(block.payload, DataPayload):
            dealings.extend(signed.dealing for signed in block.payload.dealings)
    return dealings


def create_summary(
    *,
    chain: ChainState,
    parent: Block,
    height: int,
    context: ValidationContext,
    get_members: GetMembers,
    get_interval_length: GetIntervalLength,
    build_transcript: TranscriptBuilder,
    get_initial_dkg_requests: GetInitialDkgRequests | None = None,
) -> DkgSummary | None:
    """The summary payload of the block at `height` on top of `parent` (None if not computable
    yet)."""
    previous_block = chain.get_last_summary_of(parent)
    if previous_block is None:
        return None
    previous = previous_block.summary
    if previous.next_summary_height != height:
        return None
    dealings = get_dealings_on_chain(chain, parent, previous.height)
    next_transcripts: list[KeyTranscript] = []
    for config in previous.configs:
        if config.target:
            continue  # a remote DKG's transcripts are the remote results below
        resharing = get_resharing_transcript(previous) if config.resharing else None
        transcript = build_transcript(config, resharing, dealings)
        if transcript is not None:
            next_transcripts.append(transcript)
    current: list[KeyTranscript] = []
    tags: tuple[DkgTag, ...] = ("low", "high")
    for tag in tags:
        chosen = previous.get_next(tag) or previous.get_current(tag)
        if chosen is not None:
            current.append(chosen)
    members = get_members(context.registry_version)
    next_interval_length = get_interval_length(context.registry_version)
    if members is None or next_interval_length is None:
        return None
    reshared = next((t for t in next_transcripts if t.tag == "high"), None) or next(
        (t for t in current if t.tag == "high"), None
    )
    remote_configs: tuple[DkgConfigRecord, ...] = ()
    remote_results: tuple[RemoteDkgResult, ...] = ()
    remote_attempts: tuple[tuple[bytes, int], ...] = ()
    if get_initial_dkg_requests is not None:
        requests = get_initial_dkg_requests(context.certified_height)
        if requests is None:
            return None
        remote = compute_remote_dkg_data(
            previous=previous,
            height=height,
            context=context,
            requests=requests,
            get_members=get_members,
            build_transcript=lambda config: build_transcript(config, None, dealings),
        )
        remote_configs, remote_results = remote.configs, remote.results
        remote_attempts = remote.attempts
    return DkgSummary(
        registry_version=previous_block.context.registry_version,
        configs=make_configs(
            start_height=height,
            registry_version=context.registry_version,
            receivers=members,
            resharing=reshared,
        )
        + remote_configs,
        remote_results=remote_results,
        remote_attempts=remote_attempts,
        current_transcripts=tuple(current),
        next_transcripts=tuple(next_transcripts),
        interval_length=previous.next_interval_length,
        next_interval_length=next_interval_length,
        height=height,
    )


def create_early_remote_results(
    *,
    chain: ChainState,
    parent: Block,
    context: ValidationContext,
    build_transcript: TranscriptBuilder,
    get_initial_dkg_requests: GetInitialDkgRequests,
) -> tuple[RemoteDkgResult, ...] | None:
    """The remote DKG results a data block on top of `parent` carries (None if the state at the
    context's certified height is not executed yet), `remote_dkg.compute_early_remote_results`
    over the dealings on chain since the last summary."""
    summary_block = chain.get_last_summary_of(parent)
    if summary_block is None:
        return None
    summary = summary_block.summary
    if not any(config.target for config in summary.configs):
        return ()
    requests = get_initial_dkg_requests(context.certified_height)
    if requests is None:
        return None
    dealings: list[bytes] = []
    delivered: set[bytes] = set()
    for block in reversed(chain.iterate_chain(parent, summary.height)):
        if isinstance(block.payload, DataPayload):
            dealings.extend(signed.dealing for signed in block.payload.dealings)
            delivered.update(result.target for result in block.payload.remote_results)
    return compute_early_remote_results(
        summary=summary,
        requests=requests,
        delivered=delivered,
        build_transcript=lambda config: build_transcript(config, None, dealings),
    )


def build_no_transcript(
    config: DkgConfigRecord, resharing: KeyTranscript | None, dealings: Sequence[bytes]
) -> KeyTranscript | None:
    """A transcript builder for subnets without a distributed key generation: keys carry over."""
    return None
