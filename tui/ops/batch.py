"""Many neurons at once: what a campaign script does, as concurrent calls through the agent.

Staking one neuron takes three update calls (the ledger transfer to the
neuron's staking subaccount, the claim, the dissolve delay) and following one
more (`SetFollowing`, every topic in one command). A script that stakes a
thousand neurons sends each kind of call for all of them at once, at most
`concurrency` in flight, on the session's agent loop: the calls of one phase
share the replica's blocks instead of waiting for one block each. Each phase
is timed, so the caller sees where the time goes.

Governance limits neuron creation as the IC does (governance.rs:
`MAX_SUSTAINED_NEURONS_PER_HOUR = 15`, `MAX_NEURON_CREATION_SPIKE = 300`): 300
claims at once, then one every 240 s of governance time (1 s on the `local`
and `test` presets, whose governance durations are whole seconds; 240 s on
mainnet). Claims refused for that (`Unavailable`) are paced: from the first
such refusal on, each claim starts one slot interval after the previous one
and is retried until it gets its slot; the phase counts the retries.

A phase stops at its first other refusal (the calls still in flight are
cancelled) and raises it as `tui.ops.errors` does for a single call;
`stake_many` checks the balance first, so a campaign the account cannot pay
for changes nothing.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, TypeVar

from nns.clients.governance import GovernanceError
from nns.governance.enums import ErrorType
from nns.governance.neuron import compute_neuron_staking_subaccount
from nns.ledger.accounts import AccountIdentifier
from replica.canister.nns_ids import GOVERNANCE_CANISTER_ID
from replica.presets import get_preset
from tui.ops.errors import Refused, UsageError
from tui.ops.ledger import get_balance, get_fee
from tui.ops.session import Session

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_CONCURRENCY: Final = 64
"""Calls in flight at once: enough to fill a block, below the agent's connection pool (100)."""

NEURON_CREATION_INTERVAL_S: Final = 3600 // 15
"""Governance time between two neuron-creation slots (governance.rs
`MINIMUM_SECONDS_BETWEEN_ALLOWANCE_INCREASE`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Phase:
    """One kind of call made for every neuron of a batch."""

    name: str
    calls: int
    wall_s: float
    retries: int = 0
    """Calls refused for want of a neuron-creation slot and sent again."""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "calls": self.calls,
            "wall_s": round(self.wall_s, 3),
            "retries": self.retries,
        }


class CreationPacer:
    """Paces neuron claims once governance refuses one for want of a creation slot."""

    def __init__(
        self,
        interval_s: float,
        *,
        max_retries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval_s = interval_s
        self.max_retries = max_retries
        self.limited = False
        self.retries = 0
        self._clock = clock
        self._sleep = sleep
        self._next_start = 0.0

    async def run(self, call: Callable[[], Awaitable[R]]) -> R:
        while True:
            if self.limited:
                start = max(self._clock(), self._next_start)
                self._next_start = start + self.interval_s
                await self._sleep(max(0.0, start - self._clock()))
            try:
                return await call()
            except GovernanceError as error:
                if error.error_type != ErrorType.UNAVAILABLE or self.retries >= self.max_retries:
                    raise
                self.limited = True
                self.retries += 1


@dataclass(frozen=True, slots=True, kw_only=True)
class StakedNeurons:
    neuron_ids: tuple[int, ...]
    """In the order of `memos`."""
    memos: tuple[int, ...]
    stake_e8s: int
    """Each neuron's stake."""
    fee_e8s: int
    """The ledger fee paid for each transfer."""
    phases: tuple[Phase, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "neuron_ids": list(self.neuron_ids),
            "stake_e8s": self.stake_e8s,
            "fee_e8s": self.fee_e8s,
            "phases": [phase.to_json() for phase in self.phases],
        }


async def _each(items: Sequence[T], call: Callable[[T], Awaitable[R]], concurrency: int) -> list[R]:
    limit = asyncio.Semaphore(concurrency)

    async def one(item: T) -> R:
        async with limit:
            return await call(item)

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(item)) for item in items]
    except ExceptionGroup as failures:
        # The first failure stands for the phase (the other calls were cancelled).
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]


def run_phase(
    session: Session,
    name: str,
    items: Sequence[T],
    call: Callable[[T], Awaitable[R]],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> tuple[list[R], Phase]:
    """`call(item)` for every item, at most `concurrency` at once; the results and the timing."""
    if concurrency < 1:
        raise UsageError("the concurrency is at least 1")
    began = time.perf_counter()
    results = session.run(_each(items, call, concurrency))
    return results, Phase(name=name, calls=len(items), wall_s=time.perf_counter() - began)


def stake_many(
    session: Session,
    count: int,
    amount_e8s: int,
    *,
    dissolve_delay_seconds: int = 0,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> StakedNeurons:
    """`count` neurons of `amount_e8s` each, controlled by the session's identity (the staking
    of quill and the NNS dapp: a transfer to the neuron's subaccount of governance with a memo,
    then a claim by memo and controller), each given `dissolve_delay_seconds`."""
    if count < 1 or count >= 1 << 24:
        raise UsageError("the number of neurons is between 1 and 2^24 - 1")
    if not 0 <= dissolve_delay_seconds < 2**32:
        raise UsageError("the dissolve delay is a number of seconds below 2^32")
    fee = get_fee(session)
    balance = get_balance(session).balance_e8s
    needed = count * (amount_e8s + fee)
    if balance < needed:
        raise Refused(
            f"the account holds {balance} e8s; {count} neurons of {amount_e8s} e8s and their "
            f"fees need {needed}",
            kind="InsufficientFunds",
        )
    base = int.from_bytes(os.urandom(4), "big") << 24
    memos = tuple(base + index for index in range(count))
    principal = session.principal

    async def send(memo: int) -> int:
        subaccount = compute_neuron_staking_subaccount(principal, memo)
        return await session.ledger.transfer(
            to=AccountIdentifier.of(GOVERNANCE_CANISTER_ID, subaccount).raw,
            amount_e8s=amount_e8s,
            fee_e8s=fee,
            memo=memo,
            created_at_time_ns=time.time_ns(),
        )

    # Each claim gets a slot within a few tries; past that, governance is not just rate limiting.
    interval = get_preset(session.target.preset).governance_seconds(NEURON_CREATION_INTERVAL_S)
    pacer = CreationPacer(interval, max_retries=4 * count + 100)

    async def claim(memo: int) -> int:
        return await pacer.run(
            lambda: session.governance.claim_or_refresh_neuron_from_account(
                memo=memo, controller=principal
            )
        )

    async def delay(neuron_id: int) -> None:
        await session.governance.increase_dissolve_delay(
            neuron_id=neuron_id, additional_dissolve_delay_seconds=dissolve_delay_seconds
        )

    _, transfers = run_phase(session, "ledger transfer", memos, send, concurrency=concurrency)
    neuron_ids, claims = run_phase(session, "claim", memos, claim, concurrency=concurrency)
    claims = replace(claims, retries=pacer.retries)
    phases = [transfers, claims]
    if dissolve_delay_seconds:
        _, delays = run_phase(session, "dissolve delay", neuron_ids, delay, concurrency=concurrency)
        phases.append(delays)
    return StakedNeurons(
        neuron_ids=tuple(neuron_ids),
        memos=memos,
        stake_e8s=amount_e8s,
        fee_e8s=fee,
        phases=tuple(phases),
    )


def follow_many(
    session: Session,
    neuron_ids: Sequence[int],
    following: Mapping[int, Sequence[int]],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Phase:
    """Each neuron follows `following[topic]` on each topic given (one `SetFollowing` command
    per neuron; an empty list stops following on that topic, topics not given stay)."""
    if not following:
        raise UsageError("give at least one topic to follow on")
    command = {
        "SetFollowing": {
            "topic_following": [
                {"topic": int(topic), "followees": [{"id": int(f)} for f in followees]}
                for topic, followees in following.items()
            ]
        }
    }

    async def follow(neuron_id: int) -> None:
        await session.governance.manage_neuron(neuron_id, command)

    _, phase = run_phase(session, "follow", neuron_ids, follow, concurrency=concurrency)
    return phase
