"""Comparing a canister's interface with its official .did file (the NNS and SNS tests)."""

from __future__ import annotations

from pathlib import Path

from replica.candid.conformance import Difference, MethodSignature, compare_service
from replica.candid.did import parse_did
from replica.canister.sdk import Interface


def signatures(interface: Interface) -> dict[str, MethodSignature]:
    """Each method of `interface` as the comparison reads it."""
    return {
        name: MethodSignature(mode=spec.mode, arguments=spec.arguments, results=spec.results)
        for name, spec in interface.methods.items()
    }


def differences_from_official(interface: Interface, did: Path) -> list[Difference]:
    """Where `interface` departs from the official service in the file `did`."""
    official = parse_did(did.read_text()).service
    assert official is not None
    return compare_service(signatures(interface), official)
