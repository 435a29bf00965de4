"""Strict conformance of a service to an official interface, in one direction.

Candid's subtyping lets a client decode almost anything at an `opt` type (a
value that does not fit becomes null), so "our reply type is a subtype of the
official one" proves little: a reply that lacks a field, or sends it at
another type, still decodes, with the field silently null. An official client
then sees something the canister never meant. This module checks the stronger
property that official clients need, method by method:

- every official method exists, with the same mode (query or update);
- replies: every field the official type does not mark `opt` is sent, with
  exactly the official type (an `opt` field may be left out, but if it is
  sent it has the official type too); every variant case we send exists in
  the official variant;
- arguments: every field of the official argument types is declared in ours
  (so it is read, not skipped as an unknown field), at a type an official
  value decodes into exactly (the official type itself, or `opt` of it); every
  official variant case is accepted; a field or argument we add beyond the
  official ones is `opt`.

`compare_service(ours, official)` returns every difference as a `Difference`
naming the method and the path to the field; an empty list means conformance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from replica.candid.types import (
    CandidType,
    Func,
    Null,
    Opt,
    PrimitiveType,
    Record,
    Reserved,
    Service,
    Variant,
    Vec,
    resolve,
)

Direction = Literal["reply", "argument"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Difference:
    """One way a method departs from its official signature."""

    method: str
    path: str
    problem: str

    @property
    def key(self) -> str:
        """`method` alone, or `method path`: the keys a table of deliberate omissions uses."""
        return f"{self.method} {self.path}" if self.path else self.method

    def __str__(self) -> str:
        return f"{self.key}: {self.problem}"


@dataclass(frozen=True, slots=True, kw_only=True)
class MethodSignature:
    mode: str
    arguments: Sequence[CandidType]
    results: Sequence[CandidType]


def signatures_of_service(service: Service) -> dict[str, MethodSignature]:
    """The methods of a parsed `.did` service as signatures."""
    signatures = {}
    for name, method in service.methods.items():
        function = resolve(method)
        if not isinstance(function, Func):
            continue
        mode = (
            "query"
            if "query" in function.modes or "composite_query" in function.modes
            else "update"
        )
        signatures[name] = MethodSignature(
            mode=mode, arguments=function.arguments, results=function.results
        )
    return signatures


def compare_service(ours: Mapping[str, MethodSignature], official: Service) -> list[Difference]:
    """Every difference of `ours` from the official service (empty when it conforms)."""
    differences: list[Difference] = []
    for name, expected in signatures_of_service(official).items():
        actual = ours.get(name)
        if actual is None:
            differences.append(Difference(method=name, path="", problem="missing"))
            continue
        if actual.mode != expected.mode:
            differences.append(
                Difference(
                    method=name, path="", problem=f"is {actual.mode}, officially {expected.mode}"
                )
            )
        checker = _Checker(name, differences)
        checker.tuple("arg", actual.arguments, expected.arguments, "argument")
        checker.tuple("reply", actual.results, expected.results, "reply")
    return differences


def _is_optional(candid_type: CandidType) -> bool:
    resolved = resolve(candid_type)
    return isinstance(resolved, Opt) or resolved is Null or resolved is Reserved


class _Checker:
    def __init__(self, method: str, differences: list[Difference]) -> None:
        self.method = method
        self.differences = differences
        self.in_progress: set[tuple[int, int, str]] = set()

    def report(self, path: str, problem: str) -> None:
        self.differences.append(Difference(method=self.method, path=path, problem=problem))

    def tuple(
        self,
        path: str,
        ours: Sequence[CandidType],
        official: Sequence[CandidType],
        direction: Direction,
    ) -> None:
        for index, expected in enumerate(official):
            if index < len(ours):
                self.type(f"{path}{index}", ours[index], expected, direction)
            elif direction == "argument" or not _is_optional(expected):
                self.report(f"{path}{index}", "missing")
        for index in range(len(official), len(ours)):
            if direction == "argument" and not _is_optional(ours[index]):
                self.report(
                    f"{path}{index}", "an argument beyond the official ones that is not opt"
                )

    def type(
        self, path: str, ours_type: CandidType, official_type: CandidType, direction: Direction
    ) -> None:
        key = (id(ours_type), id(official_type), direction)
        if key in self.in_progress:
            return  # a recursive type met again: the first visit checks it
        self.in_progress.add(key)
        try:
            self._compare(path, resolve(ours_type), resolve(official_type), direction)
        finally:
            self.in_progress.discard(key)

    def _compare(
        self, path: str, ours: CandidType, official: CandidType, direction: Direction
    ) -> None:
        if (
            direction == "argument"
            and isinstance(ours, Opt)
            and not isinstance(official, Opt)
            and not _is_optional(official)
        ):
            # An official `t` read at `opt t` arrives as the same value (the spec's t <: opt t
            # rule).
            self.type(path, ours.inner, official, direction)
            return
        if isinstance(official, PrimitiveType):
            if ours is not official:
                self.report(path, f"is {ours!r}, officially {official!r}")
        elif isinstance(official, Opt):
            if not isinstance(ours, Opt):
                self.report(path, f"is {ours!r}, officially {official!r}")
            else:
                self.type(path, ours.inner, official.inner, direction)
        elif isinstance(official, Vec):
            if not isinstance(ours, Vec):
                self.report(path, f"is {ours!r}, officially {official!r}")
            else:
                self.type(f"{path}[]", ours.inner, official.inner, direction)
        elif isinstance(official, Record):
            if not isinstance(ours, Record):
                self.report(path, f"is {ours!r}, officially a record")
            else:
                self._record(path, ours, official, direction)
        elif isinstance(official, Variant):
            if not isinstance(ours, Variant):
                self.report(path, f"is {ours!r}, officially a variant")
            else:
                self._variant(path, ours, official, direction)
        elif isinstance(official, Func):
            if not isinstance(ours, Func):
                self.report(path, f"is {ours!r}, officially a func")
            elif sorted(ours.modes) != sorted(official.modes):
                self.report(path, f"func modes {ours.modes}, officially {official.modes}")
        elif isinstance(official, Service):
            if not isinstance(ours, Service):
                self.report(path, f"is {ours!r}, officially a service")
        else:
            self.report(path, f"cannot compare with {official!r}")

    def _record(self, path: str, ours: Record, official: Record, direction: Direction) -> None:
        for field_id, name, expected in official.fields:
            entry = ours.by_id.get(field_id)
            if entry is None:
                if direction == "argument":
                    self.report(f"{path}.{name}", "not read (missing from our argument type)")
                elif not _is_optional(expected):
                    self.report(f"{path}.{name}", "missing")
                continue
            self.type(f"{path}.{name}", entry[2], expected, direction)
        if direction == "argument":
            for field_id, name, actual in ours.fields:
                if field_id not in official.by_id and not _is_optional(actual):
                    self.report(
                        f"{path}.{name}", "a field beyond the official ones that is not opt"
                    )

    def _variant(self, path: str, ours: Variant, official: Variant, direction: Direction) -> None:
        if direction == "reply":
            for field_id, name, actual in ours.fields:
                entry = official.by_id.get(field_id)
                if entry is None:
                    self.report(f"{path}.{name}", "a case the official variant does not have")
                else:
                    self.type(f"{path}.{name}", actual, entry[2], direction)
        else:
            for field_id, name, expected in official.fields:
                entry = ours.by_id.get(field_id)
                if entry is None:
                    self.report(f"{path}.{name}", "case not accepted")
                else:
                    self.type(f"{path}.{name}", entry[2], expected, direction)
