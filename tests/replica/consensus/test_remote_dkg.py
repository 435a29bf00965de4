"""The remote part of a summary block (`rs/consensus/dkg/src/payload_builder.rs`,
`compute_remote_dkg_data`): one new remote DKG per interval, dealt by this subnet's members at
the request's registry version to the requested nodes; results carried while the request stays
open; an error after `MAX_REMOTE_DKG_ATTEMPTS` intervals without transcripts."""

from __future__ import annotations

from pathlib import Path

from replica.consensus.artifacts import (
    DataPayload,
    DkgConfigRecord,
    DkgSummary,
    KeyTranscript,
    RemoteDkgResult,
    ValidationContext,
)
from replica.consensus.remote_dkg import (
    MAX_REMOTE_DKG_ATTEMPTS,
    REMOTE_DKG_REPEATED_FAILURE_ERROR,
    InitialDkgRequest,
    RemoteDkgData,
    compute_early_remote_results,
    compute_remote_dkg_data,
    make_initial_dkg_answers,
)
from replica.crypto import bls
from replica.types import Principal
from tests.replica.consensus.world import Subnet

DEALERS = tuple(Principal.self_authenticating(b"nns" + bytes([n])) for n in range(4))
NODES = tuple(Principal.self_authenticating(b"new" + bytes([n])) for n in range(4))
FIRST, SECOND = bytes([1]) * 32, bytes([2]) * 32
IDLE_NS = 5_000_000_000
CONTEXT = ValidationContext(registry_version=5, certified_height=9, time_ns=1)


def summary(
    configs: tuple[DkgConfigRecord, ...] = (),
    results: tuple[RemoteDkgResult, ...] = (),
    attempts: tuple[tuple[bytes, int], ...] = (),
) -> DkgSummary:
    return DkgSummary(
        registry_version=5,
        configs=configs,
        current_transcripts=(),
        next_transcripts=(),
        interval_length=4,
        next_interval_length=4,
        height=5,
        remote_results=results,
        remote_attempts=attempts,
    )


def transcript_of(config: DkgConfigRecord) -> KeyTranscript:
    return KeyTranscript(
        tag=config.tag,
        dkg_start_height=config.start_height,
        registry_version=config.registry_version,
        committee=config.receivers,
        threshold=config.threshold,
        commitments=(bls.public_key(7),) * config.threshold,
    )


def remote(
    previous: DkgSummary, requests: list[InitialDkgRequest], *, builds: bool = True
) -> RemoteDkgData:
    return compute_remote_dkg_data(
        previous=previous,
        height=10,
        context=CONTEXT,
        requests=requests,
        get_members=lambda version: DEALERS,
        build_transcript=lambda config: transcript_of(config) if builds else None,
    )


def request(target: bytes, version: int = 4) -> InitialDkgRequest:
    return InitialDkgRequest(target=target, node_ids=NODES, registry_version=version)


def test_one_request_per_interval_gets_fresh_low_and_high_configs() -> None:
    data = remote(summary(), [request(FIRST), request(SECOND)])
    assert [(c.tag, c.target) for c in data.configs] == [("low", FIRST), ("high", FIRST)]
    assert all(c.dealers == DEALERS and c.receivers == NODES for c in data.configs)
    assert all(not c.resharing and c.registry_version == 4 for c in data.configs)
    assert [c.threshold for c in data.configs] == [2, 3]
    assert data.attempts == ((FIRST, 1),)
    assert data.results == ()


def test_a_request_of_a_registry_version_the_block_lacks_waits() -> None:
    data = remote(summary(), [request(FIRST, version=6)])
    assert data.configs == () and data.attempts == ()


def test_the_next_summary_carries_the_transcripts_and_their_answer() -> None:
    first = remote(summary(), [request(FIRST)])
    second = remote(summary(first.configs, attempts=first.attempts), [request(FIRST)])
    (result,) = second.results
    assert result.target == FIRST and result.low is not None and result.high is not None
    assert second.configs == (), "no new DKG for an answered target"
    (answer,) = make_initial_dkg_answers(summary(results=second.results))
    key_der = bls.public_key_to_der(result.high.public_key)
    assert answer.reply["fresh_subnet_id"] == Principal.self_authenticating(key_der)
    assert answer.reply["subnet_threshold_public_key"] == key_der
    # While the state at the certified height still holds the request, the result stays.
    third = remote(summary(results=second.results), [request(FIRST)])
    assert third.results == second.results and third.configs == ()
    # Once answered, it is gone.
    assert remote(summary(results=second.results), []).results == ()


def test_repeated_failures_end_in_an_error_answer() -> None:
    previous = summary(attempts=((FIRST, MAX_REMOTE_DKG_ATTEMPTS - 1),))
    retried = remote(previous, [request(FIRST)], builds=False)
    assert retried.attempts == ((FIRST, MAX_REMOTE_DKG_ATTEMPTS),) and retried.configs
    failed = remote(
        summary(retried.configs, attempts=retried.attempts), [request(FIRST)], builds=False
    )
    (result,) = failed.results
    assert result.error == REMOTE_DKG_REPEATED_FAILURE_ERROR and result.low is None
    (answer,) = make_initial_dkg_answers(summary(results=failed.results))
    assert answer.reject == REMOTE_DKG_REPEATED_FAILURE_ERROR


def early(
    previous: DkgSummary,
    requests: list[InitialDkgRequest],
    *,
    delivered: frozenset[bytes] = frozenset(),
    builds: frozenset[str] = frozenset({"low", "high"}),
) -> tuple[RemoteDkgResult, ...]:
    return compute_early_remote_results(
        summary=previous,
        requests=requests,
        delivered=delivered,
        build_transcript=lambda config: transcript_of(config) if config.tag in builds else None,
    )


def test_a_data_block_carries_a_remote_result_once_both_transcripts_are_made() -> None:
    """`create_early_remote_transcripts`: both transcripts of a target, while its request is open
    and no block of the interval carried them; a data block's results are answered like a
    summary's."""
    dealt = remote(summary(), [request(FIRST)])
    scheduled = summary(dealt.configs, attempts=dealt.attempts)
    (result,) = early(scheduled, [request(FIRST)])
    assert result.target == FIRST and result.low is not None and result.high is not None
    assert result.low.tag == "low" and result.high.tag == "high"
    (answer,) = make_initial_dkg_answers(DataPayload(remote_results=(result,)))
    assert answer.target == FIRST and answer.reply["subnet_threshold_public_key"]
    assert early(scheduled, [request(FIRST)], builds=frozenset({"low"})) == (), "one is missing"
    assert early(scheduled, [request(FIRST)], delivered=frozenset({FIRST})) == (), "carried"
    assert early(scheduled, []) == (), "answered already in the state"
    assert early(summary(), [request(FIRST)]) == (), "no remote DKG in this interval"


def test_blocks_skip_the_idle_delay_while_a_setup_initial_dkg_call_waits(tmp_path: Path) -> None:
    """The idle delay (icbox's, not the IC's) holds back empty blocks; while a `setup_initial_dkg`
    call waits for the chain (its remote DKG starts at the next summary), blocks come at the pace
    of the IC's delays."""
    subnet = Subnet(tmp_path)
    for node_id in list(subnet.nodes):
        subnet.crash(node_id)
        subnet.restart(node_id, idle_block_delay_ns=IDLE_NS)

    def seconds_per_height(heights: int) -> float:
        start_height, start_ns = subnet.min_finalized(), subnet.now_ns
        subnet.run_until(lambda: subnet.min_finalized() >= start_height + heights)
        return (subnet.now_ns - start_ns) / heights / 1e9

    # Summary blocks and blocks with dealings never wait; the empty blocks between them do.
    idle = seconds_per_height(10)
    assert idle >= IDLE_NS / 1e9 / 4, "empty blocks wait for the idle delay"
    for node in subnet.nodes.values():
        engine = node.instance.state.engine
        engine.subnet_calls.push(
            request=None,
            node_ids=NODES,
            registry_version=1,
            height=engine.height,
            time_ns=engine.time_ns,
            random_tape=bytes(32),
        )
    assert seconds_per_height(10) < idle / 10, "a waiting call lifts the idle delay"
