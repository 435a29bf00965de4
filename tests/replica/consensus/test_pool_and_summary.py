"""The pool's one door and its file; summary blocks computed exactly as spec D.3 says."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from replica.consensus.artifacts import (
    ZERO_HASH,
    Block,
    CatchUpContent,
    CatchUpPackage,
    DataPayload,
    DkgConfigRecord,
    KeyTranscript,
    Notarization,
    NotarizationShare,
    RandomBeacon,
    RandomTapeShare,
    SignedDealing,
    ValidationContext,
)
from replica.consensus.chain import ChainState
from replica.consensus.dkg_payload import create_summary, make_configs
from replica.consensus.pool import (
    POOL_FILE,
    AddToValidated,
    ArtifactPool,
    MoveToValidated,
    PurgeBelow,
)
from replica.types import Principal
from tests.replica.consensus.test_rules import NODES, summary_block


def test_the_pool_persists_validated_artifacts_and_survives_a_torn_tail(tmp_path: Path) -> None:
    pool = ArtifactPool(tmp_path)
    signer = Principal.self_authenticating(b"n")
    beacons = [RandomBeacon(height=h, parent=ZERO_HASH, signature=bytes([h])) for h in range(1, 6)]
    share = NotarizationShare(height=1, block=ZERO_HASH, signer=signer, signature=b"s")
    tape_share = RandomTapeShare(height=1, signer=signer, signature=b"t")
    notarization = Notarization(height=2, block=ZERO_HASH, signers=(signer,), signature=b"n")
    pool.unvalidated.add(notarization)
    pool.apply(
        [
            *(AddToValidated(artifact=b) for b in beacons),
            AddToValidated(artifact=share),
            AddToValidated(artifact=tape_share),
            MoveToValidated(artifact=notarization),
        ]
    )
    assert notarization.id not in pool.unvalidated and notarization.id in pool.validated
    assert [a.id for a in pool.take_added()] == [
        *(b.id for b in beacons),
        share.id,
        tape_share.id,
        notarization.id,
    ]
    pool.close()
    with (tmp_path / POOL_FILE).open("ab") as file:
        file.write(b"\x00\x00\x01\x00partial")  # a crash in the middle of an append
    reloaded = ArtifactPool(tmp_path)
    loaded = reloaded.load()
    # Notarization shares are kept (the finalizer rule needs them); other shares are not.
    assert {a.id for a in loaded} == {*(b.id for b in beacons), share.id, notarization.id}
    reloaded.apply([PurgeBelow(section="validated", height=4)])
    reloaded.close()
    again = ArtifactPool(tmp_path)
    assert sorted(a.height for a in again.load()) == [4, 5]


def test_summary_from_the_previous_summary_and_the_new_context() -> None:
    template = summary_block(0, registry_version=1, context_version=3)
    configs = make_configs(
        start_height=0,
        registry_version=3,
        receivers=NODES[:4],
        resharing=template.summary.get_next("high"),
    )
    previous = replace(template, payload=replace(template.summary, configs=configs))
    cup = CatchUpPackage(
        content=CatchUpContent(
            version="1",
            block=previous,
            beacon=RandomBeacon(height=0, parent=ZERO_HASH, signature=b""),
            state_hash=bytes(32),
            oldest_registry_version=1,
        ),
        signature=b"",
    )
    chain = ChainState(cup)
    parent = previous
    for height in range(1, 5):
        parent = Block(
            version="1",
            parent=parent.id,
            height=height,
            rank=0,
            context=ValidationContext(registry_version=5, certified_height=0, time_ns=height),
            payload=DataPayload(
                dealings=(SignedDealing(dealer=NODES[0], dealing=bytes([height]), signature=b""),)
            ),
        )
        chain.blocks[parent.id] = parent
    new_members = NODES[2:9]
    seen: list[tuple[DkgConfigRecord, tuple[bytes, ...]]] = []

    def build(
        config: DkgConfigRecord, resharing: KeyTranscript | None, dealings: object
    ) -> KeyTranscript | None:
        seen.append((config, tuple(dealings)))  # type: ignore[arg-type]
        return None  # every DKG of the interval failed

    context = ValidationContext(registry_version=7, certified_height=0, time_ns=9)
    summary = create_summary(
        chain=chain,
        parent=parent,
        height=5,
        context=context,
        get_members=lambda version: new_members if version == 7 else None,
        get_interval_length=lambda version: 19,
        build_transcript=build,
    )
    assert summary is not None
    assert (
        summary.height == 5 and summary.registry_version == 3
    )  # the previous summary block's context version
    assert summary.interval_length == 9 and summary.next_interval_length == 19
    assert seen and all(dealings == (b"\x01", b"\x02", b"\x03", b"\x04") for _, dealings in seen)
    # No new transcripts: current := previous next, and no next.
    assert [t.dkg_start_height for t in summary.current_transcripts] == [
        5,
        5,
    ] and summary.next_transcripts == ()
    low, high = summary.configs
    assert low.receivers == new_members and low.dealers == new_members and low.threshold == 3
    assert (
        high.resharing
        and high.dealers == NODES[:4]
        and high.receivers == new_members
        and high.threshold == 5
    )
    assert low.registry_version == high.registry_version == 7 and low.start_height == 5
    assert (
        create_summary(
            chain=chain,
            parent=parent,
            height=6,
            context=context,
            get_members=lambda v: new_members,
            get_interval_length=lambda v: 19,
            build_transcript=build,
        )
        is None
    )


def test_every_artifact_the_node_sends_round_trips_through_its_canonical_bytes(
    tmp_path: Path,
) -> None:
    from replica.consensus.artifacts import artifact_from_bytes
    from tests.replica.consensus.world import Subnet

    subnet = Subnet(tmp_path)
    kinds: set[str] = set()
    original = subnet._handle

    def check(sender: Principal, output: object) -> None:
        for artifact in output.broadcast:  # type: ignore[attr-defined]
            decoded = artifact_from_bytes(artifact.to_bytes())
            assert decoded == artifact and decoded.id == artifact.id
            kinds.add(type(artifact).__name__)
        original(sender, output)  # type: ignore[arg-type]

    subnet._handle = check  # type: ignore[method-assign]
    subnet.run_until(lambda: subnet.min_finalized() >= 11)
    assert {
        "BlockProposal",
        "NotarizationShare",
        "Notarization",
        "FinalizationShare",
        "Finalization",
        "RandomBeaconShare",
        "RandomBeacon",
        "RandomTapeShare",
        "RandomTape",
        "CertificationShare",
        "Certification",
        "CatchUpPackageShare",
        "CatchUpPackage",
        "DealingArtifact",
    } <= kinds


def test_bytes_from_a_peer_are_parsed_once_at_the_edge() -> None:
    import pytest

    from replica.canister import codec
    from replica.consensus.artifacts import artifact_from_bytes

    signer = Principal.self_authenticating(b"n")
    good = NotarizationShare(height=1, block=ZERO_HASH, signer=signer, signature=b"s")
    assert artifact_from_bytes(good.to_bytes()) == good
    for field, bad in (("height", "1"), ("height", True), ("signer", b"raw"), ("block", None)):
        broken = NotarizationShare(height=1, block=ZERO_HASH, signer=signer, signature=b"s")
        object.__setattr__(broken, field, bad)
        with pytest.raises(ValueError):
            artifact_from_bytes(codec.encode(broken))
    with pytest.raises(ValueError):
        artifact_from_bytes(b"\xff\x00")
    with pytest.raises(ValueError):
        artifact_from_bytes(codec.encode(signer))  # a record, but not an artifact


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_damage_to_an_artifacts_bytes_is_refused_as_value_error_or_decodes_to_an_artifact(
    data: st.DataObject,
) -> None:
    """The edge catches only malformed input: whatever bytes a peer sends, decoding returns an
    artifact or raises ValueError (never another exception that would escape the node)."""
    from replica.consensus.artifacts import ARTIFACT_TYPES, artifact_from_bytes

    signer = Principal.self_authenticating(b"n")
    good = NotarizationShare(height=1, block=ZERO_HASH, signer=signer, signature=b"s").to_bytes()
    position = data.draw(st.integers(0, len(good) - 1))
    replacement = data.draw(st.binary(min_size=0, max_size=4))
    damaged = good[:position] + replacement + good[position + data.draw(st.integers(0, 3)) :]
    try:
        decoded = artifact_from_bytes(damaged)
    except ValueError:
        return
    assert isinstance(decoded, ARTIFACT_TYPES)


def test_bytes_that_are_not_the_canonical_encoding_are_refused() -> None:
    import cbor2
    import pytest

    from replica.canister import codec
    from replica.consensus.artifacts import StateSyncRequest, artifact_from_bytes

    requester = Principal.self_authenticating(b"n")
    request = StateSyncRequest(height=5, state_hash=b"h", requester=requester)
    decoded = artifact_from_bytes(request.to_bytes())
    assert decoded == request and decoded.to_bytes() == request.to_bytes()
    assert decoded.id == request.id
    tag, requester_plain = 40_100, cbor2.loads(codec.encode(requester))
    name = "replica.consensus.artifacts:StateSyncRequest"
    fields = {"height": 5, "state_hash": b"h", "requester": requester_plain, "chunks": None}

    def record(name: str, fields: dict[str, object]) -> bytes:
        return bytes(cbor2.dumps(cbor2.CBORTag(tag, [name, fields]), canonical=True))

    assert artifact_from_bytes(record(name, fields)) == request
    without_default = {key: value for key, value in fields.items() if key != "chunks"}
    alias = "replica.consensus.statesync:StateSyncRequest"  # the same type, imported there
    unsorted = bytes(cbor2.dumps(cbor2.CBORTag(tag, [name, fields])))
    assert unsorted != record(name, fields)
    longer_int = record(name, fields).replace(b"fheight\x05", b"fheight\x18\x05")
    for data in (record(name, without_default), record(alias, fields), unsorted, longer_int):
        with pytest.raises(ValueError):
            artifact_from_bytes(data)
