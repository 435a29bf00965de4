"""What every NNS client shares: the canister, the agent, and the synchronous form."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from replica.agent.agent import AsyncAgent
from replica.agent.canister import CanisterClient
from replica.agent.sync import Agent
from replica.candid.did import Interface
from replica.candid.types import Func
from replica.types import Principal

ClientT = TypeVar("ClientT", bound="NnsClient")


class Synchronous:
    """A client whose coroutine methods run to completion on a synchronous `Agent`'s loop."""

    def __init__(self, client: NnsClient, agent: Agent) -> None:
        self._client = client
        self._agent = agent

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute

        @functools.wraps(attribute)
        def run(*args: Any, **kwargs: Any) -> Any:
            return self._agent.run(attribute(*args, **kwargs))

        return run


class NnsClient:
    DEFAULT_CANISTER_ID: Principal
    INTERFACE: Interface | Mapping[str, Func]

    def __init__(self, agent: AsyncAgent, canister_id: Principal | None = None) -> None:
        self.canister = CanisterClient(
            agent, canister_id or self.DEFAULT_CANISTER_ID, self.INTERFACE
        )

    @classmethod
    def create(
        cls: type[ClientT], agent: AsyncAgent | Agent, canister_id: Principal | None = None
    ) -> Any:
        """The client over `agent`; synchronous methods when `agent` is the synchronous `Agent`."""
        if isinstance(agent, Agent):
            return Synchronous(cls(agent.inner, canister_id), agent)
        return cls(agent, canister_id)


def variant_of(value: Mapping[str, Any]) -> tuple[str, Any]:
    """The tag and the value of a decoded Candid variant."""
    ((tag, inner),) = value.items()
    return tag, inner


Decoder = Callable[[Any], Any]
