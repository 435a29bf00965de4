"""The SNS ledger and index clients (`IcrcLedgerCanister` and `IcrcIndexNgCanister` of
`@dfinity/ledger-icrc`): the SNS token's metadata, balances, transfers and history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from nns.clients.base import variant_of
from nns.clients.ledger import TransferError
from nns.ledger.interface import LEDGER_INTERFACE
from replica.candid.types import Func
from replica.types import Principal
from sns.clients.base import SnsClient
from sns.icrc3 import compute_value_hash, value_of_candid
from sns.index import INDEX_INTERFACE
from sns.ledger import SNS_LEDGER_METHODS, TRANSACTIONS_INTERFACE
from sns.tip_certificate import CertifiedTip, TipCertificateError, verify_tip_certificate

SnsTransferError = TransferError
"""The ledger refused a transfer: the ICRC-1 error's tag and its fields (as for ICP)."""

SNS_LEDGER_CLIENT_METHODS: Final[Mapping[str, Func]] = {
    **{name: LEDGER_INTERFACE.method(name) for name in sorted(SNS_LEDGER_METHODS)},
    **{
        name: TRANSACTIONS_INTERFACE.method(name)
        for name in ("get_transactions", "icrc3_get_blocks", "icrc3_get_tip_certificate")
    },
}


def _account(owner: Principal, subaccount: bytes | None) -> dict[str, Any]:
    return {"owner": owner, "subaccount": subaccount}


class SnsLedgerCanister(SnsClient):
    INTERFACE = SNS_LEDGER_CLIENT_METHODS

    async def metadata(self, *, certified: bool = False) -> dict[str, Any]:
        """`icrc1_metadata` as a dict: `icrc1:name`, `icrc1:symbol`, `icrc1:fee`, ..."""
        entries = await self.canister.call_one("icrc1_metadata", certified=certified)
        return {str(entry["0"]): variant_of(entry["1"])[1] for entry in entries}

    async def transaction_fee(self, *, certified: bool = False) -> int:
        return int(await self.canister.call_one("icrc1_fee", certified=certified))

    async def total_supply(self, *, certified: bool = False) -> int:
        return int(await self.canister.call_one("icrc1_total_supply", certified=certified))

    async def balance(
        self, owner: Principal, subaccount: bytes | None = None, *, certified: bool = False
    ) -> int:
        answer = await self.canister.call_one(
            "icrc1_balance_of", _account(owner, subaccount), certified=certified
        )
        return int(answer)

    async def transfer(
        self,
        *,
        to_owner: Principal,
        amount_e8s: int,
        to_subaccount: bytes | None = None,
        fee_e8s: int | None = None,
        memo: bytes | None = None,
        from_subaccount: bytes | None = None,
        created_at_time_ns: int | None = None,
    ) -> int:
        """An ICRC-1 transfer; its block index, or `SnsTransferError`."""
        args = {
            "to": _account(to_owner, to_subaccount),
            "amount": amount_e8s,
            "fee": fee_e8s,
            "memo": memo,
            "from_subaccount": from_subaccount,
            "created_at_time": created_at_time_ns,
        }
        tag, value = variant_of(await self.canister.call_one("icrc1_transfer", args))
        if tag != "Ok":
            raise SnsTransferError(*variant_of(value))
        return int(value)

    async def get_transactions(
        self, *, start: int, length: int, certified: bool = False
    ) -> dict[str, Any]:
        """Blocks `start` .. `start + length` as ICRC transactions, with the log's length."""
        answer: dict[str, Any] = await self.canister.call_one(
            "get_transactions", {"start": start, "length": length}, certified=certified
        )
        return answer

    async def tip(self) -> tuple[int, bytes] | None:
        """The last block's index and ICRC-3 hash, from the blocks themselves (a query)."""
        length = (await self.get_transactions(start=0, length=0))["log_length"]
        if not length:
            return None
        answer = await self.canister.call_one(
            "icrc3_get_blocks", [{"start": int(length) - 1, "length": 1}]
        )
        (last,) = answer["blocks"]
        return int(last["id"]), compute_value_hash(value_of_candid(last["block"]))

    async def tip_certificate(self) -> dict[str, bytes] | None:
        """`icrc3_get_tip_certificate` as answered (a non-replicated query, so the replica hands
        the ledger its certificate): None until the subnet has certified the current tip."""
        answer: dict[str, bytes] | None = await self.canister.call_one("icrc3_get_tip_certificate")
        return answer

    async def certified_tip(
        self, root_key_der: bytes, *, now_ns: int | None = None
    ) -> CertifiedTip:
        """The tip once its certificate verifies against the root key (`TipCertificateError`
        otherwise)."""
        response = await self.tip_certificate()
        if response is None:
            raise TipCertificateError("the ledger's tip is not certified yet")
        return verify_tip_certificate(
            response, self.canister.canister_id, root_key_der, now_ns=now_ns
        )


class SnsIndexError(Exception):
    """The index refused a request (`GetTransactionsErr`)."""


class SnsIndexCanister(SnsClient):
    INTERFACE = INDEX_INTERFACE

    async def get_account_transactions(
        self,
        owner: Principal,
        subaccount: bytes | None = None,
        *,
        max_results: int = 100,
        start: int | None = None,
        certified: bool = False,
    ) -> dict[str, Any]:
        """The account's balance and its transactions, newest first (`id` is the block index)."""
        request = {
            "account": _account(owner, subaccount),
            "max_results": max_results,
            "start": start,
        }
        tag, value = variant_of(
            await self.canister.call_one("get_account_transactions", request, certified=certified)
        )
        if tag != "Ok":
            raise SnsIndexError(str(value["message"]))
        result: dict[str, Any] = value
        return result

    async def balance(
        self, owner: Principal, subaccount: bytes | None = None, *, certified: bool = False
    ) -> int:
        """The account's balance as the index computed it (it trails the ledger until synced)."""
        answer = await self.canister.call_one(
            "icrc1_balance_of", _account(owner, subaccount), certified=certified
        )
        return int(answer)

    async def ledger_id(self, *, certified: bool = False) -> Principal:
        answer: Principal = await self.canister.call_one("ledger_id", certified=certified)
        return answer

    async def num_blocks_synced(self, *, certified: bool = False) -> int:
        status = await self.canister.call_one("status", certified=certified)
        return int(status["num_blocks_synced"])
