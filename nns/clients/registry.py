"""The registry canister client: versions, changes and routing."""

from __future__ import annotations

from typing import Any

from nns.clients.base import NnsClient, variant_of
from registry.did import REGISTRY_DID
from replica.candid.did import parse_did
from replica.canister.nns_ids import REGISTRY_CANISTER_ID
from replica.types import Principal


class RegistryCanister(NnsClient):
    DEFAULT_CANISTER_ID = REGISTRY_CANISTER_ID
    INTERFACE = parse_did(REGISTRY_DID)

    async def get_latest_version(self, *, certified: bool = False) -> int:
        return int(await self.canister.call_one("get_latest_version", certified=certified))

    async def get_changes_since(self, version: int, *, certified: bool = False) -> dict[str, Any]:
        answer: dict[str, Any] = await self.canister.call_one(
            "get_changes_since", version, certified=certified
        )
        return answer

    async def get_subnet_for_canister(
        self, canister_id: Principal, *, certified: bool = False
    ) -> Principal | None:
        tag, value = variant_of(
            await self.canister.call_one(
                "get_subnet_for_canister", {"principal": canister_id}, certified=certified
            )
        )
        if tag != "Ok":
            raise LookupError(str(value))
        subnet = value["subnet_id"]
        return subnet if isinstance(subnet, Principal) else None
