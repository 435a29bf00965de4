"""The SNS root client: the canisters of the SNS and their status."""

from __future__ import annotations

from typing import Any

from sns.clients.base import SnsClient
from sns.root import ROOT_INTERFACE


class SnsRootCanister(SnsClient):
    INTERFACE = ROOT_INTERFACE

    async def list_sns_canisters(self, *, certified: bool = False) -> dict[str, Any]:
        """Root, governance, ledger, swap, index, the dapps and the archives."""
        answer: dict[str, Any] = await self.canister.call_one(
            "list_sns_canisters", {}, certified=certified
        )
        return answer

    async def get_sns_canisters_summary(self, *, update_canister_list: bool = False) -> Any:
        """Each canister's status (controllers, module hash, cycles), as root sees it."""
        return await self.canister.call_one(
            "get_sns_canisters_summary", {"update_canister_list": update_canister_list or None}
        )
