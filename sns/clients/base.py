"""What every SNS client shares with the NNS clients, and the one way they differ: an SNS
canister has no fixed id, so a client is always created with its canister's id."""

from __future__ import annotations

from typing import Any, TypeVar

from nns.clients.base import NnsClient, Synchronous
from replica.agent.agent import AsyncAgent
from replica.agent.sync import Agent
from replica.types import Principal

ClientT = TypeVar("ClientT", bound="SnsClient")


class SnsClient(NnsClient):
    """A client of one SNS canister (its id given, as SNS-W lists it)."""

    def __init__(self, agent: AsyncAgent, canister_id: Principal | None = None) -> None:
        if canister_id is None:
            raise ValueError(f"{type(self).__name__} needs the id of its SNS canister")
        super().__init__(agent, canister_id)

    @classmethod
    def create(
        cls: type[ClientT], agent: AsyncAgent | Agent, canister_id: Principal | None = None
    ) -> Any:
        if isinstance(agent, Agent):
            return Synchronous(cls(agent.inner, canister_id), agent)
        return cls(agent, canister_id)


def optional_id(value: dict[str, Any] | None) -> Any:
    """The `id` inside an `opt record { id }` (a proposal or neuron id), or None."""
    return None if value is None else value["id"]
