"""The NNS root canister client (its one public update, as governance calls it)."""

from __future__ import annotations

from typing import Any, Final

from nns.clients.base import NnsClient
from nns.root import CHANGE_CANISTER_REQUEST
from replica.candid.types import Func
from replica.canister.nns_ids import ROOT_CANISTER_ID

ROOT_METHODS: Final = {"change_nns_canister": Func([CHANGE_CANISTER_REQUEST], [])}


class RootCanister(NnsClient):
    DEFAULT_CANISTER_ID = ROOT_CANISTER_ID
    INTERFACE = ROOT_METHODS

    async def change_nns_canister(self, request: dict[str, Any]) -> None:
        """Only governance may call this; anyone else gets the root's reject."""
        await self.canister.call("change_nns_canister", request)
