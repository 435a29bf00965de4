"""The strict one-way comparison of a service with its official interface
(`replica.candid.conformance`): it catches what the specification's subtyping lets through."""

from __future__ import annotations

from typing import cast

from replica.candid.conformance import MethodSignature, compare_service
from replica.candid.did import parse_did
from replica.candid.types import Func, Service
from replica.candid.wire import is_subtype

OFFICIAL = """
type Reply = record { amount : nat64; memo : opt text; kind : variant { a; b } };
type Arg = record { to : principal; note : opt text; mode : variant { fast; slow } };
service : { call : (Arg) -> (Reply); read : () -> (nat) query }
"""


def official() -> Service:
    service = parse_did(OFFICIAL).service
    assert service is not None
    return service


def ours(text: str) -> dict[str, MethodSignature]:
    service = parse_did(text).service
    assert service is not None
    signatures: dict[str, MethodSignature] = {}
    for name, method in service.methods.items():
        modes = getattr(method, "modes", [])
        signatures[name] = MethodSignature(
            mode="query" if "query" in modes else "update",
            arguments=cast(Func, method).arguments,
            results=cast(Func, method).results,
        )
    return signatures


def problems(text: str) -> list[str]:
    return [str(difference) for difference in compare_service(ours(text), official())]


def test_an_identical_service_conforms() -> None:
    assert problems(OFFICIAL) == []


def test_a_missing_method_and_a_wrong_mode() -> None:
    found = problems("""type Reply = record { amount : nat64; kind : variant { a; b } };
        type Arg = record { to : principal; note : opt text; mode : variant { fast; slow } };
        service : { call : (Arg) -> (Reply) query }""")
    assert found == ["call: is query, officially update", "read: missing"]


def test_a_reply_without_a_required_field_is_caught_though_subtyping_accepts_it_at_opt() -> None:
    text = """type Reply = record { memo : opt text; kind : variant { a; b } };
        type Arg = record { to : principal; note : opt text; mode : variant { fast; slow } };
        service : { call : (Arg) -> (Reply); read : () -> (nat) query }"""
    assert problems(text) == ["call reply0.amount: missing"]
    # The specification's coercion is content with it where the client reads an opt:
    reply = parse_did(text).method("call").results[0]
    assert is_subtype(reply, parse_did("type R = opt record { amount : nat64 };").types["R"])


def test_a_field_sent_at_another_type_and_an_unknown_variant_case() -> None:
    found = problems("""type Reply = record {
          amount : nat; memo : opt nat; kind : variant { a; b; c } };
        type Arg = record { to : principal; note : opt text; mode : variant { fast; slow } };
        service : { call : (Arg) -> (Reply); read : () -> (nat) query }""")
    assert sorted(found) == sorted(
        [
            "call reply0.amount: is nat, officially nat64",
            "call reply0.memo: is nat, officially text",
            "call reply0.kind.c: a case the official variant does not have",
        ]
    )


def test_arguments_must_read_every_field_and_accept_every_case() -> None:
    found = problems("""type Reply = record {
          amount : nat64; memo : opt text; kind : variant { a; b } };
        type Arg = record { to : principal; mode : variant { fast }; extra : nat };
        service : { call : (Arg) -> (Reply); read : () -> (nat) query }""")
    assert sorted(found) == sorted(
        [
            "call arg0.note: not read (missing from our argument type)",
            "call arg0.mode.slow: case not accepted",
            "call arg0.extra: a field beyond the official ones that is not opt",
        ]
    )


def test_an_argument_read_at_opt_of_its_type_is_read() -> None:
    assert (
        problems("""type Reply = record {
          amount : nat64; memo : opt text; kind : variant { a; b } };
        type Arg = record { to : opt principal; note : opt text; mode : variant { fast; slow } };
        service : { call : (Arg) -> (Reply); read : () -> (nat) query }""")
        == []
    )
