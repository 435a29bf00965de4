"""The swap client (`SnsSwapCanister` of `@dfinity/sns`): the sale's state, tickets,
participation and finalization."""

from __future__ import annotations

from typing import Any

from nns.clients.base import variant_of
from replica.types import Principal
from sns.clients.base import SnsClient
from sns.swap.core import TicketError
from sns.swap.did import SWAP_INTERFACE


class SwapError(Exception):
    """The swap refused a request; `error_type` is its `Err` code (e.g. of `new_sale_ticket`)."""

    def __init__(self, error_type: int, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.error_message = message
        self.details = details


TICKET_ERRORS: dict[int, str] = {
    TicketError.SALE_NOT_OPEN: "the swap is not open",
    TicketError.SALE_CLOSED: "the swap is closed",
    TicketError.TICKET_EXISTS: "the buyer already has an open ticket",
    TicketError.INVALID_USER_AMOUNT: "the amount is outside the participation bounds",
    TicketError.INVALID_SUBACCOUNT: "the subaccount is not valid",
}
"""`NewSaleTicketResponse.Err.Type` of rs/sns/swap/proto/ic_sns_swap/pb/v1/swap.proto."""


class SnsSwapCanister(SnsClient):
    INTERFACE = SWAP_INTERFACE

    # -- reads --------------------------------------------------------------------------------

    async def get_lifecycle(self, *, certified: bool = False) -> dict[str, Any]:
        answer: dict[str, Any] = await self.canister.call_one(
            "get_lifecycle", {}, certified=certified
        )
        return answer

    async def get_derived_state(self, *, certified: bool = False) -> dict[str, Any]:
        """ICP so far (direct and from the Neurons' Fund), participant counts, the price."""
        answer: dict[str, Any] = await self.canister.call_one(
            "get_derived_state", {}, certified=certified
        )
        return answer

    async def get_sale_parameters(self, *, certified: bool = False) -> dict[str, Any] | None:
        answer = await self.canister.call_one("get_sale_parameters", {}, certified=certified)
        params: dict[str, Any] | None = answer["params"]
        return params

    async def get_buyer_state(
        self, principal: Principal, *, certified: bool = False
    ) -> dict[str, Any] | None:
        answer = await self.canister.call_one(
            "get_buyer_state", {"principal_id": principal}, certified=certified
        )
        state: dict[str, Any] | None = answer["buyer_state"]
        return state

    async def list_direct_participants(
        self, *, offset: int = 0, limit: int = 100, certified: bool = False
    ) -> list[dict[str, Any]]:
        answer = await self.canister.call_one(
            "list_direct_participants", {"offset": offset, "limit": limit}, certified=certified
        )
        return list(answer["participants"])

    async def get_open_ticket(self, *, certified: bool = False) -> dict[str, Any] | None:
        """The caller's open ticket, or None."""
        answer = await self.canister.call_one("get_open_ticket", {}, certified=certified)
        tag, value = variant_of(answer["result"])
        if tag != "Ok":
            raise SwapError(int(value["error_type"] or 0), "the swap is not open")
        ticket: dict[str, Any] | None = value["ticket"]
        return ticket

    async def get_init(self, *, certified: bool = False) -> dict[str, Any] | None:
        answer = await self.canister.call_one("get_init", {}, certified=certified)
        init: dict[str, Any] | None = answer["init"]
        return init

    async def get_buyers_total(self) -> int:
        """The ICP of every participant, direct and Neurons' Fund (an update, as on the IC)."""
        answer = await self.canister.call_one("get_buyers_total", {})
        return int(answer["buyers_total"])

    async def get_auto_finalization_status(self, *, certified: bool = False) -> dict[str, Any]:
        answer: dict[str, Any] = await self.canister.call_one(
            "get_auto_finalization_status", {}, certified=certified
        )
        return answer

    async def list_sns_neuron_recipes(
        self, *, offset: int = 0, limit: int = 1_000, certified: bool = False
    ) -> list[dict[str, Any]]:
        """The basket neurons finalization creates (none before it computed them)."""
        answer = await self.canister.call_one(
            "list_sns_neuron_recipes", {"offset": offset, "limit": limit}, certified=certified
        )
        return list(answer["sns_neuron_recipes"])

    async def notify_payment_failure(self) -> dict[str, Any] | None:
        """Drop the caller's open ticket (its payment failed); the ticket dropped, if any."""
        answer = await self.canister.call_one("notify_payment_failure", {})
        ticket: dict[str, Any] | None = answer["ticket"]
        return ticket

    # -- participation ------------------------------------------------------------------------

    async def new_sale_ticket(
        self, *, amount_icp_e8s: int, subaccount: bytes | None = None
    ) -> dict[str, Any]:
        """A ticket for `amount_icp_e8s`; `SwapError` with the swap's reason otherwise."""
        answer = await self.canister.call_one(
            "new_sale_ticket", {"amount_icp_e8s": amount_icp_e8s, "subaccount": subaccount}
        )
        tag, value = variant_of(answer["result"])
        if tag != "Ok":
            error_type = int(value["error_type"])
            raise SwapError(
                error_type, TICKET_ERRORS.get(error_type, f"ticket error {error_type}"), value
            )
        ticket: dict[str, Any] = value["ticket"]
        return ticket

    async def refresh_buyer_tokens(
        self, buyer: Principal, *, confirmation_text: str | None = None
    ) -> dict[str, int]:
        """Count the ICP the buyer sent to its subaccount of the swap; the accepted total."""
        answer: dict[str, int] = await self.canister.call_one(
            "refresh_buyer_tokens",
            {"buyer": buyer.to_text(), "confirmation_text": confirmation_text},
        )
        return answer

    async def finalize_swap(self) -> dict[str, Any]:
        """Run (or resume) finalization; what each step did."""
        answer: dict[str, Any] = await self.canister.call_one("finalize_swap", {})
        return answer

    async def error_refund_icp(self, source: Principal) -> int | None:
        """Return what is left in `source`'s subaccount after an abort or finalization."""
        answer = await self.canister.call_one("error_refund_icp", {"source_principal_id": source})
        tag, value = variant_of(answer["result"])
        if tag != "Ok":
            raise SwapError(
                int(value["error_type"] or 0), str(value["description"] or "refused"), value
            )
        block: int | None = value["block_height"]
        return block
