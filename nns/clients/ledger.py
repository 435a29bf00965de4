"""The ICP ledger client (`LedgerCanister` of `@dfinity/ledger-icp`)."""

from __future__ import annotations

from typing import Any

from nns.clients.base import NnsClient, variant_of
from nns.ledger.did import LEDGER_DID
from replica.candid.did import parse_did
from replica.canister.nns_ids import LEDGER_CANISTER_ID
from replica.types import Principal

DEFAULT_TRANSFER_FEE_E8S = 10_000


class TransferError(Exception):
    """The ledger refused a transfer: the variant's tag and its fields."""

    def __init__(self, kind: str, details: Any) -> None:
        super().__init__(f"{kind}: {details}")
        self.kind = kind
        self.details = details


class LedgerCanister(NnsClient):
    DEFAULT_CANISTER_ID = LEDGER_CANISTER_ID
    INTERFACE = parse_did(LEDGER_DID)

    async def account_balance(self, account_identifier: bytes, *, certified: bool = False) -> int:
        """The balance in e8s of a 32-byte account identifier."""
        tokens = await self.canister.call_one(
            "account_balance", {"account": account_identifier}, certified=certified
        )
        return int(tokens["e8s"])

    async def transaction_fee(self, *, certified: bool = False) -> int:
        answer = await self.canister.call_one("transfer_fee", {}, certified=certified)
        return int(answer["transfer_fee"]["e8s"])

    async def transfer(
        self,
        *,
        to: bytes,
        amount_e8s: int,
        memo: int = 0,
        fee_e8s: int = DEFAULT_TRANSFER_FEE_E8S,
        from_subaccount: bytes | None = None,
        created_at_time_ns: int | None = None,
    ) -> int:
        """Transfer to an account identifier; the block index, or `TransferError`."""
        args = {
            "to": to,
            "amount": {"e8s": amount_e8s},
            "fee": {"e8s": fee_e8s},
            "memo": memo,
            "from_subaccount": from_subaccount,
            "created_at_time": None
            if created_at_time_ns is None
            else {"timestamp_nanos": created_at_time_ns},
        }
        tag, value = variant_of(await self.canister.call_one("transfer", args))
        if tag != "Ok":
            raise TransferError(*variant_of(value))
        return int(value)

    async def icrc1_balance_of(
        self, owner: Principal, subaccount: bytes | None = None, *, certified: bool = False
    ) -> int:
        answer = await self.canister.call_one(
            "icrc1_balance_of", {"owner": owner, "subaccount": subaccount}, certified=certified
        )
        return int(answer)

    async def icrc1_transfer(
        self,
        *,
        to_owner: Principal,
        amount: int,
        to_subaccount: bytes | None = None,
        fee: int | None = None,
        memo: bytes | None = None,
        from_subaccount: bytes | None = None,
        created_at_time_ns: int | None = None,
    ) -> int:
        args = {
            "to": {"owner": to_owner, "subaccount": to_subaccount},
            "amount": amount,
            "fee": fee,
            "memo": memo,
            "from_subaccount": from_subaccount,
            "created_at_time": created_at_time_ns,
        }
        tag, value = variant_of(await self.canister.call_one("icrc1_transfer", args))
        if tag != "Ok":
            raise TransferError(*variant_of(value))
        return int(value)

    async def symbol(self) -> str:
        return str((await self.canister.call_one("symbol"))["symbol"])
