"""Catch-up packages: the subnet's signed hand-off point at each summary height (spec D.4).

Once a summary block is finalized, executed and its state certified, each
member of the high-threshold committee signs a CUP share over {replica
version, summary block hash, beacon hash, state hash, oldest registry version
in use}; the state hash is the root of the manifest of the checkpoint the
state manager wrote at that height. A CUP carries the whole summary block and
beacon with the combined signature, and it verifies against the subnet's
public key, which resharing keeps fixed. A replica can start from any CUP:
its summary names the keys and registry version of the next heights.
"""

from __future__ import annotations

from collections.abc import Callable

from registry.client import RegistryClient
from registry.records import (
    CatchUpPackageContents,
    InitialDkgTranscript,
    catch_up_package_contents_key,
)
from replica.consensus.artifacts import (
    ZERO_HASH,
    Block,
    CatchUpContent,
    CatchUpPackage,
    CatchUpPackageShare,
    DkgSummary,
    KeyTranscript,
    RandomBeacon,
    ValidationContext,
    catch_up_content_message,
    catch_up_message,
)
from replica.consensus.context import RoleContext
from replica.consensus.dkg_payload import make_configs
from replica.consensus.errors import ConsensusError
from replica.consensus.pool import AddToValidated, ChangeSet
from replica.consensus.shares import collect_shares, combine_threshold_shares
from replica.crypto import bls
from replica.crypto.dkg import DkgTag, Transcript
from replica.crypto.errors import CryptoError
from replica.crypto.threshold import PublicCoefficients
from replica.types import Principal


def is_valid_catch_up_package(cup: CatchUpPackage, subnet_public_key: bytes) -> bool:
    """The summary block is a summary at the CUP's height and the signature verifies."""
    block = cup.content.block
    if (
        not block.is_summary
        or block.summary.height != block.height
        or cup.content.beacon.height != block.height
    ):
        return False
    return bls.verify(subnet_public_key, catch_up_content_message(cup.content), cup.signature)


def make_catch_up_changes(
    ctx: RoleContext, get_state_hash: Callable[[int], bytes | None]
) -> ChangeSet:
    chain = ctx.chain
    summary = chain.get_summary_block_below(chain.finalized_height)
    if summary is None or summary.height <= chain.cup.height:
        return []
    height = summary.height
    if ctx.executed_height < height or ctx.certified_height < height:
        return []
    beacon = chain.beacons.get(height)
    state_hash = get_state_hash(height)
    key = ctx.high_key(height)
    if beacon is None or state_hash is None or key is None:
        return []
    oldest = summary.summary.registry_version
    message = catch_up_message(
        version=summary.version,
        height=height,
        block_hash=summary.id,
        beacon_hash=beacon.id,
        state_hash=state_hash,
        oldest_registry_version=oldest,
    )
    shares = collect_shares(
        ctx,
        CatchUpPackageShare,
        height,
        lambda s: (
            (s.block, s.beacon, s.state_hash, s.version, s.oldest_registry_version)
            == (summary.id, beacon.id, state_hash, summary.version, oldest)
        ),
    )
    changes: ChangeSet = []
    if ctx.node_id not in shares and key.secret_share is not None:
        signature = key.sign(message)
        if signature is not None:
            own = CatchUpPackageShare(
                height=height,
                version=summary.version,
                block=summary.id,
                beacon=beacon.id,
                state_hash=state_hash,
                oldest_registry_version=oldest,
                signer=ctx.node_id,
                signature=signature,
            )
            changes.append(AddToValidated(artifact=own))
            shares[ctx.node_id] = own
    combined, more = combine_threshold_shares(ctx, key, message, shares)
    changes += more
    if combined is not None:
        content = CatchUpContent(
            version=summary.version,
            block=summary,
            beacon=beacon,
            state_hash=state_hash,
            oldest_registry_version=oldest,
        )
        changes.append(AddToValidated(artifact=CatchUpPackage(content=content, signature=combined)))
    return changes


def find_first_version(registry: RegistryClient, key: str) -> int | None:
    """The lowest registry version at which `key` has a value (values are never deleted here)."""
    latest = registry.latest_version
    if latest < 1 or registry.get(key, latest) is None:
        return None
    low, high = 1, latest
    while low < high:
        middle = (low + high) // 2
        if registry.get(key, middle) is None:
            low = middle + 1
        else:
            high = middle
    return low


def _initial_transcript(
    tag: DkgTag, initial: InitialDkgTranscript, start_height: int
) -> KeyTranscript:
    coefficients = PublicCoefficients.from_concatenated(initial.transcript)
    if initial.internal_transcript:
        # A remote DKG's transcript: its dealings must make exactly the published key.
        try:
            whole = Transcript.from_bytes(initial.internal_transcript)
        except CryptoError as error:
            raise ConsensusError(f"a malformed initial {tag}-threshold transcript") from error
        if (
            whole.coefficients.commitments != coefficients.commitments
            or whole.committee != tuple(initial.committee)
            or whole.threshold != initial.threshold
        ):
            raise ConsensusError(f"the initial {tag}-threshold transcript contradicts its record")
    return KeyTranscript(
        tag=tag,
        dkg_start_height=start_height,
        registry_version=initial.registry_version,
        committee=initial.committee,
        threshold=initial.threshold,
        commitments=coefficients.commitments,
        body=initial.internal_transcript,
    )


def make_genesis_cup(registry: RegistryClient, subnet_id: Principal) -> CatchUpPackage:
    """The CUP a subnet starts from, built from the registry's first catch-up package contents.

    Its block is the genesis summary (spec D.3 `get_dkg_summary_from_cup_contents`):
    both intervals use the record's `dkg_interval_length`, the configs use the
    members at the contents' registry version; block, beacon and CUP have empty
    signatures, so every replica builds the same bytes.
    """
    key = catch_up_package_contents_key(subnet_id)
    version = find_first_version(registry, key)
    if version is None:
        raise ConsensusError(
            f"the registry has no catch-up package contents for subnet {subnet_id}"
        )
    return make_cup_from_contents(registry, subnet_id, version)


def make_registry_cup(registry: RegistryClient, subnet_id: Principal) -> CatchUpPackage:
    """The CUP of the newest catch-up package contents: the genesis CUP, or the recovery CUP a
    RecoverSubnet proposal wrote (`make_registry_cup` in the IC's `rs/consensus/src/cup_utils.rs`).

    Its registry version is the version that wrote the contents, so a recovery CUP at the
    height of the subnet's last CUP is newer than that CUP (`is_newer_cup`).
    """
    key = catch_up_package_contents_key(subnet_id)
    version = registry.get_value_version(key)
    if version is None:
        raise ConsensusError(
            f"the registry has no catch-up package contents for subnet {subnet_id}"
        )
    return make_cup_from_contents(registry, subnet_id, version)


def make_cup_from_contents(
    registry: RegistryClient, subnet_id: Principal, version: int
) -> CatchUpPackage:
    """The unsigned CUP built from the catch-up package contents at registry `version`."""
    key = catch_up_package_contents_key(subnet_id)
    contents: CatchUpPackageContents | None = registry.get(key, version)
    record = registry.get_subnet_record(subnet_id, version)
    if contents is None or record is None:
        raise ConsensusError(
            f"the registry has no record or catch-up package contents of subnet {subnet_id} "
            f"at version {version}"
        )
    height = contents.height
    low = _initial_transcript("low", contents.low_threshold_transcript, height)
    high = _initial_transcript("high", contents.high_threshold_transcript, height)
    summary = DkgSummary(
        registry_version=version,
        configs=make_configs(
            start_height=height,
            registry_version=version,
            receivers=record.membership,
            resharing=high,
        ),
        current_transcripts=(low, high),
        next_transcripts=(),
        interval_length=record.dkg_interval_length,
        next_interval_length=record.dkg_interval_length,
        height=height,
    )
    block = Block(
        version=record.replica_version_id,
        parent=ZERO_HASH,
        height=height,
        rank=0,
        context=ValidationContext(
            registry_version=version, certified_height=height, time_ns=contents.time_ns
        ),
        payload=summary,
    )
    beacon = RandomBeacon(height=height, parent=ZERO_HASH, signature=b"")
    content = CatchUpContent(
        version=record.replica_version_id,
        block=block,
        beacon=beacon,
        state_hash=contents.state_hash,
        oldest_registry_version=version,
    )
    return CatchUpPackage(content=content, signature=b"")
