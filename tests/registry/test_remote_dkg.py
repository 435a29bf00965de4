"""CreateSubnet asks the NNS subnet's management canister for the initial DKG (spec B).

Without an in-process dealer the registry canister validates the payload, calls
`setup_initial_dkg(node_ids, registry_version)` at its latest version and
defers its reply; the management canister's answer (the IC's
`SetupInitialDKGResponse`) makes one registry version with the subnet record,
the subnet list, the CUP contents, the key and a routing range
(`rs/registry/canister/src/mutations/do_create_subnet.rs`).
"""

from __future__ import annotations

import pytest

from registry.canister import Registry
from registry.dkg import SeededInitialDkg
from registry.errors import InvalidPayload
from registry.genesis import build_genesis
from registry.records import (
    SubnetType,
    catch_up_package_contents_key,
    threshold_public_key_key,
)
from registry.requests import CreateSubnetPayload
from replica.environment import DEFERRED, ManualEnvironment, OutgoingCall
from replica.types import Principal
from tests.registry.world import GOVERNANCE, SEED, make_registry


def remote_registry() -> tuple[Registry, ManualEnvironment, list[Principal]]:
    """The registry world's genesis in a registry canister without a dealer."""
    world = make_registry()
    environment = ManualEnvironment()
    registry = Registry(environment)
    registry.apply_genesis(build_genesis(world.description, SEED, SeededInitialDkg(SEED)))
    return registry, environment, world.unassigned


def payload(nodes: list[Principal]) -> CreateSubnetPayload:
    return CreateSubnetPayload(
        node_ids=tuple(nodes),
        subnet_type=SubnetType.APPLICATION,
        replica_version_id="0.1.0",
        dkg_interval_length=19,
        unit_delay_millis=500,
        initial_notary_delay_millis=300,
    )


def answer_of(nodes: list[Principal], version: int) -> dict[str, object]:
    """What the NNS subnet's consensus would answer (the transcripts of a dealer, here)."""
    result = SeededInitialDkg(SEED).setup_initial_dkg(tuple(nodes), version)

    def record(transcript: object) -> dict[str, object]:
        return {
            "threshold": transcript.threshold,  # type: ignore[attr-defined]
            "committee": list(transcript.committee),  # type: ignore[attr-defined]
            "registry_version": transcript.registry_version,  # type: ignore[attr-defined]
            "public_key_der": transcript.public_key_der,  # type: ignore[attr-defined]
            "transcript": transcript.transcript,  # type: ignore[attr-defined]
            "internal_transcript": b"",
        }

    return {
        "low_threshold_transcript_record": record(result.low_threshold),
        "high_threshold_transcript_record": record(result.high_threshold),
        "fresh_subnet_id": result.subnet_id,
        "subnet_threshold_public_key": result.public_key_der,
    }


def the_call(environment: ManualEnvironment) -> OutgoingCall:
    (call,) = environment.take_outbox()
    assert call.callee == Principal.management_canister()
    assert call.method == "setup_initial_dkg"
    return call


def test_create_subnet_asks_the_nns_for_an_initial_dkg_and_writes_one_version() -> None:
    registry, environment, spare = remote_registry()
    before = registry.registry.latest_version
    assert registry.create_subnet(GOVERNANCE, payload(spare)) is DEFERRED
    call = the_call(environment)
    assert call.argument == {"node_ids": spare, "registry_version": before}
    assert registry.registry.latest_version == before, "nothing is written before the answer"
    reply = answer_of(spare, before)
    subnet_id = getattr(registry, call.on_reply)(call.context, reply)
    assert subnet_id == reply["fresh_subnet_id"]
    assert registry.registry.latest_version == before + 1, "one version"
    assert registry.subnet_of(spare[0]) == subnet_id
    assert (
        registry.registry.get(threshold_public_key_key(subnet_id)).public_key_der
        == (reply["subnet_threshold_public_key"])
    )
    contents = registry.registry.get(catch_up_package_contents_key(subnet_id))
    assert contents.encrypted_shares == (), "no dealer's shares: the transcripts carry them"


def test_an_answer_whose_id_is_not_its_key_is_refused() -> None:
    registry, environment, spare = remote_registry()
    before = registry.registry.latest_version
    registry.create_subnet(GOVERNANCE, payload(spare))
    call = the_call(environment)
    reply = {**answer_of(spare, before), "fresh_subnet_id": Principal.anonymous()}
    with pytest.raises(InvalidPayload):
        getattr(registry, call.on_reply)(call.context, reply)
    assert registry.registry.latest_version == before


def test_a_failed_initial_dkg_fails_the_creation() -> None:
    registry, environment, spare = remote_registry()
    before = registry.registry.latest_version
    registry.create_subnet(GOVERNANCE, payload(spare))
    call = the_call(environment)
    with pytest.raises(InvalidPayload, match="initial DKG failed"):
        getattr(registry, call.on_reject)(call.context, "attempts failed")
    assert registry.registry.latest_version == before


def test_an_invalid_payload_is_refused_before_any_call() -> None:
    registry, environment, spare = remote_registry()
    member = next(iter(registry.registry.get("subnet_list").subnets))
    nodes = [*registry._subnet(member).membership[:1], *spare]
    with pytest.raises(InvalidPayload):
        registry.create_subnet(GOVERNANCE, payload(nodes))
    assert environment.take_outbox() == []
