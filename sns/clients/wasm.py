"""The SNS-W client (`SnsWasmCanister` of `@dfinity/nns`): which SNSs exist and their versions."""

from __future__ import annotations

from typing import Any

from nns.clients.base import NnsClient, variant_of
from nns.sns_wasm import SNS_WASM_CANISTER_ID, SNS_WASM_INTERFACE
from sns.clients.sns import DeployedSns


class SnsWasmCanister(NnsClient):
    DEFAULT_CANISTER_ID = SNS_WASM_CANISTER_ID
    INTERFACE = SNS_WASM_INTERFACE

    async def list_deployed_snses(self, *, certified: bool = False) -> list[DeployedSns]:
        """Every SNS SNS-W deployed, oldest first."""
        answer = await self.canister.call_one("list_deployed_snses", {}, certified=certified)
        return [DeployedSns.from_candid(entry) for entry in answer["instances"]]

    async def get_deployed_sns_by_proposal_id(
        self, proposal_id: int, *, certified: bool = False
    ) -> DeployedSns | None:
        """The SNS that NNS proposal `proposal_id` created, or None."""
        answer = await self.canister.call_one(
            "get_deployed_sns_by_proposal_id", {"proposal_id": proposal_id}, certified=certified
        )
        found = answer["get_deployed_sns_by_proposal_id_result"]
        if found is None:
            return None
        tag, value = variant_of(found)
        return DeployedSns.from_candid(value) if tag == "DeployedSns" else None

    async def get_latest_sns_version_pretty(self, *, certified: bool = False) -> dict[str, str]:
        """The blessed version: canister name -> module hash in hex."""
        answer = await self.canister.call_one(
            "get_latest_sns_version_pretty", None, certified=certified
        )
        return {str(name): str(digest) for name, digest in (tuple(e.values()) for e in answer)}

    async def get_sns_subnet_ids(self, *, certified: bool = False) -> list[Any]:
        answer = await self.canister.call_one("get_sns_subnet_ids", {}, certified=certified)
        return list(answer["sns_subnet_ids"])
