"""Remote DKG: a subnet deals the initial threshold keys of a subnet being created (spec B).

The registry canister creates a subnet by calling the NNS subnet's management
canister `setup_initial_dkg(node_ids, registry_version)`; execution parks the
call as a context with a fresh target id (`replica.execution.subnet_calls`).
The NNS subnet's consensus answers it (`rs/consensus/dkg/src/payload_builder.rs`
`compute_remote_dkg_data`, `process_setup_initial_dkg_contexts`):

- A summary block reads the contexts open in the state at its validation
  context's certified height (skipping those whose registry version is newer
  than the block's) and adds a pair of *remote* configs for one of them
  (`MAX_REMOTE_DKGS_PER_INTERVAL`): a fresh low-threshold and a fresh
  high-threshold key, dealt by this subnet's members at the context's registry
  version to the requested nodes, the config's DKG id naming the target.
- During the interval this subnet's members deal for them like for their own
  configs (the dealings enter blocks without support proofs, see
  `replica.consensus.dealings`).
- As soon as the dealings on chain make both transcripts of a target, a data
  block carries them as that target's result (`compute_early_remote_results`,
  the IC's `create_early_remote_transcripts`): at most one target a block, only
  while the state at the block's certified height holds the request open and no
  block since the summary carried that target's result. Validators compute the
  same and refuse a block whose results differ (a block may also carry none).
- The next summary builds both transcripts from the dealings on chain and puts
  them in `remote_results`; a target still waiting whose transcripts are not
  there gets new configs, at most `MAX_REMOTE_DKG_ATTEMPTS` intervals in all,
  then an error result. A result stays in the summaries while the state at
  their certified height still holds its context unanswered (a target answered
  early may so be answered again, which the management canister ignores).
- Executing a block answers each context its results name
  (`make_initial_dkg_answers`): the two transcript records, the subnet's key
  (the high-threshold transcript's public key, DER) and the fresh subnet id,
  the self-authenticating principal of that key (the IC's
  `generate_responses_to_setup_initial_dkg_calls`).

A transcript carries every dealing it combines, with each receiver's share
encrypted to that receiver's dealing key, so the new subnet's nodes decrypt
their shares from the registry's CUP contents with their own keys, and no one
else ever holds them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Final

from replica.consensus.artifacts import (
    DataPayload,
    DkgConfigRecord,
    DkgSummary,
    KeyTranscript,
    RemoteDkgResult,
    ValidationContext,
)
from replica.consensus.membership import compute_high_threshold, compute_low_threshold
from replica.crypto import bls
from replica.crypto.dkg import DkgTag
from replica.execution.subnet_calls import InitialDkgAnswer
from replica.types import Principal

MAX_REMOTE_DKGS_PER_INTERVAL: Final = 1
MAX_REMOTE_DKG_ATTEMPTS: Final = 5
REMOTE_DKG_REPEATED_FAILURE_ERROR: Final = "attempts to create initial DKG transcripts failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class InitialDkgRequest:
    """An open `setup_initial_dkg` call as consensus sees it."""

    target: bytes
    node_ids: tuple[Principal, ...]
    registry_version: int


GetInitialDkgRequests = Callable[[int], Sequence[InitialDkgRequest] | None]
"""The requests open in the state at a height (None if that height is not executed here)."""

BuildTranscript = Callable[[DkgConfigRecord], KeyTranscript | None]
"""The transcript of one of the previous summary's configs from the dealings on chain."""

GetMembers = Callable[[int], tuple[Principal, ...] | None]


def make_remote_configs(
    *,
    start_height: int,
    target: bytes,
    dealers: tuple[Principal, ...],
    receivers: tuple[Principal, ...],
    registry_version: int,
) -> tuple[DkgConfigRecord, DkgConfigRecord]:
    """The low and high configs of one remote DKG: both fresh, dealt by `dealers`."""

    def config(tag: DkgTag, threshold: int) -> DkgConfigRecord:
        return DkgConfigRecord(
            tag=tag,
            start_height=start_height,
            dealers=dealers,
            receivers=receivers,
            threshold=threshold,
            registry_version=registry_version,
            resharing=False,
            target=target,
        )

    size = len(receivers)
    return config("low", compute_low_threshold(size)), config("high", compute_high_threshold(size))


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteDkgData:
    configs: tuple[DkgConfigRecord, ...]
    results: tuple[RemoteDkgResult, ...]
    attempts: tuple[tuple[bytes, int], ...]


def compute_remote_dkg_data(
    *,
    previous: DkgSummary,
    height: int,
    context: ValidationContext,
    requests: Sequence[InitialDkgRequest],
    get_members: GetMembers,
    build_transcript: BuildTranscript,
) -> RemoteDkgData:
    """The remote part of the summary at `height` (see the module docstring)."""
    built: dict[bytes, dict[str, KeyTranscript]] = {}
    for config in previous.configs:
        if config.target:
            transcript = build_transcript(config)
            if transcript is not None:
                built.setdefault(config.target, {})[config.tag] = transcript
    earlier = {result.target: result for result in previous.remote_results}
    results: list[RemoteDkgResult] = []
    waiting: list[InitialDkgRequest] = []
    for request in requests:
        if request.registry_version > context.registry_version:
            continue  # the block does not know that registry version yet
        done = built.get(request.target, {})
        if request.target in earlier:
            results.append(earlier[request.target])
        elif "low" in done and "high" in done:
            results.append(
                RemoteDkgResult(target=request.target, low=done["low"], high=done["high"])
            )
        else:
            waiting.append(request)
    open_targets = {request.target for request in waiting}
    attempts = {t: n for t, n in previous.remote_attempts if t in open_targets}
    configs: list[DkgConfigRecord] = []
    started = 0
    for request in waiting:
        if attempts.get(request.target, 0) >= MAX_REMOTE_DKG_ATTEMPTS:
            results.append(
                RemoteDkgResult(target=request.target, error=REMOTE_DKG_REPEATED_FAILURE_ERROR)
            )
            attempts.pop(request.target)
            continue
        if started >= MAX_REMOTE_DKGS_PER_INTERVAL:
            continue
        dealers = get_members(request.registry_version)
        if not dealers:
            results.append(
                RemoteDkgResult(
                    target=request.target,
                    error=f"no dealers at registry version {request.registry_version}",
                )
            )
            continue
        configs.extend(
            make_remote_configs(
                start_height=height,
                target=request.target,
                dealers=dealers,
                receivers=request.node_ids,
                registry_version=request.registry_version,
            )
        )
        attempts[request.target] = attempts.get(request.target, 0) + 1
        started += 1
    return RemoteDkgData(
        configs=tuple(configs),
        results=tuple(results),
        attempts=tuple(sorted(attempts.items())),
    )


def compute_early_remote_results(
    *,
    summary: DkgSummary,
    requests: Sequence[InitialDkgRequest],
    delivered: Collection[bytes],
    build_transcript: BuildTranscript,
) -> tuple[RemoteDkgResult, ...]:
    """The remote result a data block in `summary`'s interval carries: the first target (in
    config order) whose request is open in `requests`, whose result no block since the summary
    carried (`delivered`) and whose low and high transcripts the dealings on chain make."""
    remote = [config for config in summary.configs if config.target]
    if not remote or not requests:
        return ()
    open_targets = {request.target for request in requests}
    for target in dict.fromkeys(config.target for config in remote):
        if target in delivered or target not in open_targets:
            continue
        built: dict[str, KeyTranscript] = {}
        for config in remote:
            if config.target == target:
                transcript = build_transcript(config)
                if transcript is not None:
                    built[config.tag] = transcript
        if "low" in built and "high" in built:
            return (RemoteDkgResult(target=target, low=built["low"], high=built["high"]),)
    return ()


def make_transcript_record(transcript: KeyTranscript) -> dict[str, Any]:
    """A transcript as the registry's `InitialDkgTranscript` record (Candid field names)."""
    return {
        "threshold": transcript.threshold,
        "committee": list(transcript.committee),
        "registry_version": transcript.registry_version,
        "public_key_der": bls.public_key_to_der(transcript.public_key),
        "transcript": b"".join(transcript.commitments),
        "internal_transcript": transcript.body,
    }


def make_initial_dkg_answers(payload: DkgSummary | DataPayload) -> tuple[InitialDkgAnswer, ...]:
    """The answers a block's remote results (a summary's, or a data block's early ones) give the
    waiting `setup_initial_dkg` calls."""
    answers = []
    for result in payload.remote_results:
        if result.low is None or result.high is None:
            answers.append(
                InitialDkgAnswer(
                    target=result.target, reject=result.error or "no initial DKG transcripts"
                )
            )
            continue
        key_der = bls.public_key_to_der(result.high.public_key)
        answers.append(
            InitialDkgAnswer(
                target=result.target,
                reply={
                    "low_threshold_transcript_record": make_transcript_record(result.low),
                    "high_threshold_transcript_record": make_transcript_record(result.high),
                    "fresh_subnet_id": Principal.self_authenticating(key_der),
                    "subnet_threshold_public_key": key_der,
                },
            )
        )
    return tuple(answers)
