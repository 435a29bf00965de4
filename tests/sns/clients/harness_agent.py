"""The agent's interface over a subnet harness, so the typed clients, the operations and the
command line run against canisters in this process: a query runs at once, an update runs rounds
until it completes, and a reject arrives as the agent's `RejectError`."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from nns.clients.governance import GovernanceCanister
from nns.clients.ledger import LedgerCanister
from nns.clients.registry import RegistryCanister
from replica.agent.agent import AsyncAgent
from replica.agent.errors import RejectError
from replica.canister.errors import CallRejected
from replica.environment import Reject
from replica.execution.harness import SubnetHarness
from replica.types import Principal
from tui.ops.session import NetworkTarget, Session

T = TypeVar("T")


class HarnessAgent:
    """`AsyncAgent.query` and `AsyncAgent.update` answered by a harness, as `sender`."""

    def __init__(self, harness: SubnetHarness, sender: Principal) -> None:
        self.harness = harness
        self.sender = sender

    async def query(
        self,
        canister_id: Principal,
        method: str,
        arg: bytes,
        *,
        effective_canister_id: Principal | None = None,
    ) -> bytes:
        answer = self.harness.engine.query(canister_id, method, arg, self.sender)
        if isinstance(answer, Reject):
            raise RejectError(int(answer.code), answer.message, certified=False)
        return answer

    async def update(
        self,
        canister_id: Principal,
        method: str,
        arg: bytes,
        *,
        effective_canister_id: Principal | None = None,
    ) -> bytes:
        try:
            return self.harness.update(self.sender, canister_id, method, arg)
        except CallRejected as error:
            raise RejectError(
                int(error.reject.code), error.reject.message, certified=True
            ) from error


def async_agent(harness: SubnetHarness, sender: Principal) -> AsyncAgent:
    return cast(AsyncAgent, HarnessAgent(harness, sender))


class HarnessSyncAgent:
    """The synchronous agent's `run`, `inner` and `close`."""

    def __init__(self, inner: AsyncAgent) -> None:
        self.inner = inner

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run(coroutine)

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class HarnessIdentity:
    principal: Principal


class HarnessSession(Session):
    """A `Session` whose agent is a harness: the operations run unchanged."""

    def __init__(self, harness: SubnetHarness, principal: Principal) -> None:
        self.target = NetworkTarget(name="harness", urls=("harness",), root_key_der=None)
        self.identity = cast(Any, HarnessIdentity(principal))
        self.identity_name = principal.to_text()
        self.agent = cast(Any, HarnessSyncAgent(async_agent(harness, principal)))
        self.governance = GovernanceCanister(self.agent.inner)
        self.ledger = LedgerCanister(self.agent.inner)
        self.registry = RegistryCanister(self.agent.inner)
