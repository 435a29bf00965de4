"""Batches of neuron operations: claims paced by governance's neuron-creation limit, a phase
that stops at its first refusal, and a caller's neurons read over every page."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar, cast

import pytest

from nns.clients.governance import GovernanceError
from nns.governance.enums import ErrorType
from tui.ops.batch import NEURON_CREATION_INTERVAL_S, CreationPacer, run_phase
from tui.ops.errors import UsageError
from tui.ops.neurons import list_neurons
from tui.ops.session import Session

T = TypeVar("T")

NO_SLOT = "Reached maximum number of neurons that can be created in this hour."


def test_the_creation_interval_is_governance_s_15_neurons_an_hour() -> None:
    # governance.rs: MAX_SUSTAINED_NEURONS_PER_HOUR = 15, one slot every 3600 / 15 s.
    assert NEURON_CREATION_INTERVAL_S == 240


def test_claims_refused_for_want_of_a_slot_are_paced_and_sent_again() -> None:
    answers = iter([True, False, False, True, True])  # a slot, none, none, a slot, a slot
    now = 0.0
    sent: list[float] = []

    async def sleep(seconds: float) -> None:
        nonlocal now
        now += seconds

    async def claim() -> int:
        sent.append(now)
        if next(answers):
            return 7
        raise GovernanceError(int(ErrorType.UNAVAILABLE), NO_SLOT)

    pacer = CreationPacer(10.0, clock=lambda: now, sleep=sleep)

    async def three() -> list[int]:
        return [await pacer.run(claim) for _ in range(3)]

    assert asyncio.run(three()) == [7, 7, 7]
    assert pacer.limited and pacer.retries == 2
    # Unpaced until the first refusal; from then on one claim per interval.
    assert sent == [0.0, 0.0, 0.0, 10.0, 20.0]


def test_any_other_refusal_is_not_sent_again() -> None:
    async def claim() -> int:
        raise GovernanceError(int(ErrorType.NOT_AUTHORIZED), "no")

    pacer = CreationPacer(0.01)
    with pytest.raises(GovernanceError):
        asyncio.run(pacer.run(claim))
    assert pacer.retries == 0 and not pacer.limited


def test_claims_are_not_sent_again_without_end() -> None:
    async def claim() -> int:
        raise GovernanceError(int(ErrorType.UNAVAILABLE), NO_SLOT)

    async def sleep(seconds: float) -> None:
        pass

    pacer = CreationPacer(1.0, max_retries=3, clock=lambda: 0.0, sleep=sleep)
    with pytest.raises(GovernanceError, match="maximum number of neurons"):
        asyncio.run(pacer.run(claim))
    assert pacer.retries == 3


class LoopSession:
    """The one method of a session a phase uses: run a coroutine to completion."""

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run(coroutine)


def test_a_phase_runs_every_call_at_most_n_at_once_and_keeps_their_order() -> None:
    in_flight = peak = 0

    async def double(item: int) -> int:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.001 * (5 - item % 5))
        in_flight -= 1
        return 2 * item

    session = cast(Session, LoopSession())
    results, phase = run_phase(session, "double", range(20), double, concurrency=4)
    assert results == [2 * item for item in range(20)] and peak == 4
    assert (phase.name, phase.calls, phase.retries) == ("double", 20, 0)
    with pytest.raises(UsageError):
        run_phase(session, "none", [1], double, concurrency=0)


def test_a_phase_stops_at_its_first_refusal_and_raises_it() -> None:
    started: list[int] = []

    async def refuse_the_third(item: int) -> int:
        started.append(item)
        await asyncio.sleep(0.001)
        if item == 2:
            raise GovernanceError(int(ErrorType.PRECONDITION_FAILED), "third")
        await asyncio.sleep(1)
        return item

    session = cast(Session, LoopSession())
    with pytest.raises(GovernanceError, match="third"):
        run_phase(session, "refused", range(100), refuse_the_third, concurrency=10)
    assert len(started) < 100


class PagedGovernance:
    """`list_neurons` of governance over `count` neurons, `page_size` a page."""

    def __init__(self, count: int, page_size: int) -> None:
        self.count = count
        self.page_size = page_size
        self.pages_asked: list[int] = []
        self.canister = self

    async def call_one(self, method: str, request: dict[str, Any]) -> dict[str, Any]:
        assert method == "list_neurons"
        page = int(request["page_number"] or 0)
        self.pages_asked.append(page)
        ids = range(1, self.count + 1)[page * self.page_size : (page + 1) * self.page_size]
        info = {"stake_e8s": 1, "dissolve_delay_seconds": 0, "state": 1, "voting_power": 1}
        return {
            "neuron_infos": [(n, {**info, "age_seconds": 0}) for n in ids],
            "full_neurons": [],
            "total_pages_available": -(-self.count // self.page_size),
        }


class PagedSession(LoopSession):
    def __init__(self, governance: PagedGovernance) -> None:
        self.governance = governance


def test_every_page_of_the_caller_s_neurons_is_read() -> None:
    governance = PagedGovernance(1_201, 500)
    views = list_neurons(cast(Session, PagedSession(governance)))
    assert [view.neuron_id for view in views] == list(range(1, 1_202))
    assert governance.pages_asked == [0, 1, 2]
