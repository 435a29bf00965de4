"""A canister seen through the agent, with Candid values in and out.

`CanisterClient(agent, canister_id, interface)` encodes the arguments of a
method with the types of its `.did` interface (`replica.candid.did`), sends
an update or, for a method annotated `query`, a query, and decodes the reply
with the result types. `certified=True` sends a query method as an update, so
its reply comes with a certificate (the official clients' `certified` flag).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from replica.agent.agent import AsyncAgent
from replica.candid import decode, encode
from replica.candid.did import Interface
from replica.candid.types import Func
from replica.types import Principal


class CanisterClient:
    def __init__(
        self, agent: AsyncAgent, canister_id: Principal, interface: Interface | Mapping[str, Func]
    ) -> None:
        self.agent = agent
        self.canister_id = canister_id
        self.interface = interface

    def method(self, name: str) -> Func:
        if isinstance(self.interface, Interface):
            return self.interface.method(name)
        return self.interface[name]

    async def call(self, method: str, *values: Any, certified: bool = False) -> list[Any]:
        func = self.method(method)
        arg = encode(func.arguments, list(values))
        is_query = bool({"query", "composite_query"} & set(func.modes)) and not certified
        if is_query:
            reply = await self.agent.query(self.canister_id, method, arg)
        else:
            reply = await self.agent.update(self.canister_id, method, arg)
        return decode(reply, func.results)

    async def call_one(self, method: str, *values: Any, certified: bool = False) -> Any:
        """The single result of a method that returns one value."""
        results = await self.call(method, *values, certified=certified)
        return results[0] if results else None
