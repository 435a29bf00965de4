"""The SNS ledger: an ICRC-1/ICRC-2 ledger of one SNS's token.

The rules of ICRC-1 and ICRC-2 are the ones the ICP ledger already follows
(`nns.ledger.canister.Ledger`): accounts with subaccounts, a fixed fee that is
burned, deduplication by `created_at_time`, approvals, minting from and burning
to the minting account, one block per accepted request. The SNS ledger reuses
that machinery and differs where the IC's SNS ledger (the ICRC-1 ledger,
rs/ledger_suite/icrc1/ledger, deployed by SNS-W from rs/nns/sns-wasm) differs:

- the token has the SNS's own name, symbol and fee (`LedgerParameters` of the
  CreateServiceNervousSystem proposal, rs/sns/init/src/lib.rs);
- the minting account is SNS governance's default account, so every transfer
  out of it mints (spec sns.md §5);
- the initial distribution is given per ICRC account (developer neurons'
  staking subaccounts, the treasury subaccount, the swap canister) rather than
  per account identifier;
- only the ICRC methods are offered: no legacy `transfer`/`account_balance`;
- the block log is also served as ICRC-3 blocks (`sns.icrc3`), hashed and chained as the
  standard says, and the tip is certified: every block sets the canister's certified data to the
  root of `sns.icrc3.tip_tree` (last block hash and index), and `icrc3_get_tip_certificate` (and
  the older `get_data_certificate`) answer that tree with the subnet's certificate in a
  non-replicated query (rs/ledger_suite/icrc1/ledger/src/main.rs). The replica keeps no certified
  data set while a Python canister is installed, so the heartbeat certifies the tip of the
  initial distribution (and again after an upgrade).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from nns.ledger.accounts import Account, AccountIdentifier
from nns.ledger.canister import DEFAULT_TRANSFER_FEE_E8S, MAX_BLOCKS_PER_QUERY, Ledger
from nns.ledger.consent import ConsentInfo, ConsentMessageRequest
from nns.ledger.errors import UnsupportedCanisterCall
from nns.ledger.interface import ledger_interface
from nns.ledger.types import (
    Approve,
    ApproveArgs,
    Block,
    Burn,
    GetBlocksArgs,
    Icrc1TransferArgs,
    Mint,
    Transfer,
    TransferFromArgs,
)
from replica.candid.did import parse_did
from replica.canister.sdk import CanisterEnvironment, Interface, MethodSpec
from replica.crypto import hashtree
from replica.types import Principal
from sns import ledger_allowances
from sns.icrc3 import (
    SUPPORTED_BLOCK_TYPES,
    BlockChain,
    Value,
    icrc3_candid,
    tip_digest,
    tip_tree,
)

SNS_LEDGER_METHODS: Final = frozenset(
    {
        "icrc1_name",
        "icrc1_symbol",
        "icrc1_decimals",
        "icrc1_fee",
        "icrc1_total_supply",
        "icrc1_metadata",
        "icrc1_minting_account",
        "icrc1_balance_of",
        "icrc1_supported_standards",
        "icrc1_transfer",
        "icrc2_approve",
        "icrc2_allowance",
        "icrc2_transfer_from",
        "icrc10_supported_standards",
        "icrc21_canister_call_consent_message",
        "is_ledger_ready",
    }
)
"""The methods of the official SNS (ICRC-1) ledger interface that this ledger answers."""

ICRC21_METHODS: Final = ("icrc1_transfer", "icrc2_approve", "icrc2_transfer_from")
"""The methods the SNS ledger explains in an ICRC-21 consent message."""

ICRC_TRANSACTION_DID: Final = """
type Account = record { owner : principal; subaccount : opt blob };
type Mint = record { to : Account; memo : opt blob; created_at_time : opt nat64; amount : nat };
type Burn = record { from : Account; memo : opt blob; created_at_time : opt nat64; amount : nat;
  spender : opt Account };
type Transfer = record { to : Account; fee : opt nat; from : Account; memo : opt blob;
  created_at_time : opt nat64; amount : nat; spender : opt Account };
type Approve = record { fee : opt nat; from : Account; memo : opt blob; created_at_time : opt
  nat64; amount : nat; expected_allowance : opt nat; expires_at : opt nat64; spender : Account };
type Transaction = record { burn : opt Burn; kind : text; mint : opt Mint; approve : opt Approve;
  timestamp : nat64; transfer : opt Transfer };
type GetTransactionsRequest = record { start : nat; length : nat };
type ArchivedRange = record { start : nat; length : nat; callback : func (GetTransactionsRequest)
  -> (record { transactions : vec Transaction }) query };
type GetTransactionsResponse = record { first_index : nat; log_length : nat; transactions : vec
  Transaction; archived_transactions : vec ArchivedRange };
type ArchiveInfo = record { canister_id : principal; block_range_start : nat; block_range_end : nat
  };
type ICRC3Value = variant { Blob : blob; Text : text; Nat : nat; Int : int; Array : vec ICRC3Value;
  Map : vec record { text; ICRC3Value } };
type GetBlocksArgs = record { start : nat; length : nat };
type Value = variant { Blob : blob; Text : text; Nat : nat; Nat64 : nat64; Int : int; Array : vec
  Value; Map : vec record { text; Value } };
type BlockRange = record { blocks : vec Value };
type GetBlocksResponse = record { first_index : nat; chain_length : nat64; certificate : opt blob;
  blocks : vec Value; archived_blocks : vec record { start : nat; length : nat; callback : func
  (GetBlocksArgs) -> (BlockRange) query } };
type GetAllowancesArgs = record { from_account : opt Account; prev_spender : opt Account; take :
  opt nat };
type Allowance103 = record { from_account : Account; to_spender : Account; allowance : nat;
  expires_at : opt nat64 };
type GetAllowancesError = variant { AccessDenied : record { reason : text }; GenericError : record
  { error_code : nat; message : text } };
type GetIndexPrincipalError = variant { IndexPrincipalNotSet; GenericError : record { error_code :
  nat; description : text } };
type ICRC3DataCertificate = record { certificate : blob; hash_tree : blob };
type DataCertificate = record { certificate : opt blob; hash_tree : blob };
type GetBlocksResult = record { log_length : nat; blocks : vec record { id : nat; block : ICRC3Value
  }; archived_blocks : vec record { args : vec GetBlocksArgs; callback : func (vec GetBlocksArgs)
  -> (GetBlocksResult) query } };
service : {
  get_transactions : (GetTransactionsRequest) -> (GetTransactionsResponse) query;
  archives : () -> (vec ArchiveInfo) query;
  get_blocks : (GetBlocksArgs) -> (GetBlocksResponse) query;
  icrc3_get_blocks : (vec GetBlocksArgs) -> (GetBlocksResult) query;
  icrc3_get_archives : (record { from : opt principal }) -> (vec record { canister_id : principal;
    start : nat; end : nat }) query;
  icrc3_supported_block_types : () -> (vec record { block_type : text; url : text }) query;
  icrc3_get_tip_certificate : () -> (opt ICRC3DataCertificate) query;
  get_data_certificate : () -> (DataCertificate) query;
  icrc103_get_allowances : (GetAllowancesArgs) -> (variant { Ok : vec Allowance103; Err :
    GetAllowancesError }) query;
  icrc106_get_index_principal : () -> (variant { Ok : principal; Err : GetIndexPrincipalError })
    query;
}
"""
"""The ICRC-1 ledger's transaction and ICRC-3 types (rs/ledger_suite/icrc1/ledger/ledger.did)."""

TRANSACTIONS_INTERFACE: Final = parse_did(ICRC_TRANSACTION_DID)


@dataclass(frozen=True, slots=True, kw_only=True)
class SnsLedgerInit:
    """What SNS-W installs the ledger with (`LedgerArg::Init` of the ICRC-1 ledger)."""

    token_name: str
    token_symbol: str
    transfer_fee_e8s: int = DEFAULT_TRANSFER_FEE_E8S
    minting_account: Account
    initial_balances: tuple[tuple[Account, int], ...] = ()
    token_logo: str | None = None
    index_id: Principal | None = None
    """The SNS's index canister (ICRC-106), as SNS-W names it at deployment."""


class SnsLedger(Ledger):
    """An ICRC ledger whose token, fee and first balances come from the SNS's init payload."""

    def __init__(
        self, environment: CanisterEnvironment, init: SnsLedgerInit, path: str | None = None
    ):
        self.canister_environment = environment
        # Blocks name account identifiers (hashes); an ICRC index answers with accounts, so the
        # ledger remembers the account behind each identifier it has seen (ICRC-3 blocks carry
        # the accounts themselves on the IC).
        self.accounts: dict[AccountIdentifier, Account] = {
            init.minting_account.identifier(): init.minting_account
        }
        for account, _amount in init.initial_balances:
            self.accounts[account.identifier()] = account
        self._remembered: set[Account] = set(self.accounts.values())
        self.icrc3 = BlockChain(self._account_for_block)
        balances: dict[AccountIdentifier, int] = {}
        for account, amount_e8s in init.initial_balances:
            identifier = account.identifier()
            balances[identifier] = balances.get(identifier, 0) + amount_e8s
        super().__init__(
            environment,
            minting_account=init.minting_account,
            transfer_fee_e8s=init.transfer_fee_e8s,
            initial_balances=balances,
            path=path,
            token_symbol=init.token_symbol,
            token_name=init.token_name,
        )
        self.token_logo = init.token_logo
        self.index_id = init.index_id
        self._extend_icrc3()  # a reopened ledger reads its blocks back

    def _account_for_block(self, identifier: AccountIdentifier) -> Account:
        account = self.accounts.get(identifier)
        if account is None:
            raise KeyError(f"no ICRC account is known for {identifier.to_hex()}")
        return account

    def _extend_icrc3(self, upto: int | None = None) -> None:
        """Give every block appended since the last call, up to block `upto` (all when None), its
        ICRC-3 hash, in the update that appended it (a query builds the values it serves from the
        blocks and these hashes)."""
        while upto is None or len(self.icrc3) <= upto:
            start = len(self.icrc3)
            wanted = MAX_BLOCKS_PER_QUERY if upto is None else upto + 1 - start
            response = self.query_blocks(
                self.minting_account.owner,
                GetBlocksArgs(start=start, length=min(wanted, MAX_BLOCKS_PER_QUERY)),
            )
            if not response.blocks:
                return
            self.icrc3.extend(response.blocks)

    def _appended(self, index: int, block: Block) -> None:
        """Give the new block its ICRC-3 hash from the block itself (no read back; the ICRC-3
        chain links by its own parent hash, not the legacy one the block holds) and certify the
        new tip."""
        if len(self.icrc3) == index:
            self.icrc3.extend((block,))
        else:
            self._extend_icrc3(index)
        self._certify()

    def _certify(self) -> None:
        self.canister_environment.set_certified_data(tip_digest(self.icrc3_tip()))

    def certify_tip(self) -> None:
        """Certify the tip (again): the certified data set while installing is not kept."""
        self._certify()

    def _remember(self, *accounts: Account) -> None:
        for account in accounts:
            if account not in self._remembered:
                self._remembered.add(account)
                self.accounts[account.identifier()] = account

    def icrc1_transfer(self, caller: Principal, args: Icrc1TransferArgs) -> int:
        self._remember(Account.of(caller, args.from_subaccount), args.to)
        return super().icrc1_transfer(caller, args)

    def icrc2_approve(self, caller: Principal, args: ApproveArgs) -> int:
        self._remember(Account.of(caller, args.from_subaccount), args.spender)
        return super().icrc2_approve(caller, args)

    def icrc2_transfer_from(self, caller: Principal, args: TransferFromArgs) -> int:
        self._remember(args.from_account, args.to, Account.of(caller, args.spender_subaccount))
        return super().icrc2_transfer_from(caller, args)

    def icrc21_canister_call_consent_message(
        self, caller: Principal, request: ConsentMessageRequest
    ) -> ConsentInfo:
        """ICRC-21 consent messages for the ICRC methods that move or commit funds, in the SNS
        token (the ICRC-1 ledger builds them with the ICP ledger's shared builder,
        `build_icrc21_consent_info_for_icrc1_and_icrc2_endpoints`); the legacy `transfer` is no
        method of this ledger, so it gets none."""
        if request.method not in ICRC21_METHODS:
            raise UnsupportedCanisterCall(
                f"The ledger gives no consent message for the method {request.method!r}."
            )
        return super().icrc21_canister_call_consent_message(caller, request)

    # -- the certified tip ------------------------------------------------------------------

    def tip_tree(self) -> hashtree.HashTree:
        return tip_tree(self.icrc3_tip())

    def icrc3_get_tip_certificate(
        self, caller: Principal, argument: object = None
    ) -> dict[str, bytes] | None:
        """The subnet's certificate of the tip and the tree it certifies; None where no
        certificate is present (an update or a replicated query)."""
        certificate = self.canister_environment.data_certificate()
        if certificate is None:
            return None
        return {"certificate": certificate, "hash_tree": hashtree.encode(self.tip_tree())}

    def get_data_certificate(self, caller: Principal, argument: object = None) -> dict[str, Any]:
        """The pre-ICRC-3 form of the same proof (`get_data_certificate` of the ledger .did)."""
        return {
            "certificate": self.canister_environment.data_certificate(),
            "hash_tree": hashtree.encode(self.tip_tree()),
        }

    # -- ICRC-3 -----------------------------------------------------------------------------

    def icrc1_supported_standards(
        self, caller: Principal, argument: object = None
    ) -> list[tuple[str, str]]:
        return [
            *super().icrc1_supported_standards(caller, argument),
            ("ICRC-3", "https://github.com/dfinity/ICRC-1/tree/main/standards/ICRC-3"),
            ("ICRC-103", "https://github.com/dfinity/ICRC/tree/main/ICRCs/ICRC-103"),
            ("ICRC-106", "https://github.com/dfinity/ICRC/pull/106"),
        ]

    # -- ICRC-103 and ICRC-106 --------------------------------------------------------------

    def icrc103_get_allowances(
        self, caller: Principal, request: Mapping[str, Any]
    ) -> dict[str, Any]:
        return ledger_allowances.get_allowances(
            caller, request, lambda args: self.get_allowances(caller, args), self.account_of
        )

    def icrc106_get_index_principal(
        self, caller: Principal, argument: object = None
    ) -> dict[str, Any]:
        """The index SNS-W deployed with this ledger (ICRC-106; `IndexPrincipalNotSet` when
        none was named)."""
        if self.index_id is None:
            return {"Err": {"IndexPrincipalNotSet": None}}
        return {"Ok": self.index_id}

    def icrc3_get_blocks(
        self, caller: Principal, requests: Sequence[Mapping[str, int]]
    ) -> dict[str, Any]:
        """The blocks of each requested range as ICRC-3 values; all of them live here, so
        nothing is archived (at most `MAX_BLOCKS_PER_QUERY` in one answer)."""
        log_length = len(self.icrc3)
        chosen: list[dict[str, Any]] = []
        for request in requests:
            start = min(int(request["start"]), log_length)
            end = min(start + int(request["length"]), log_length)
            end = min(end, start + MAX_BLOCKS_PER_QUERY - len(chosen))
            for offset, value in enumerate(self._icrc3_values(start, end)):
                chosen.append({"id": start + offset, "block": icrc3_candid(value)})
        return {"log_length": log_length, "blocks": chosen, "archived_blocks": []}

    def _icrc3_values(self, start: int, end: int) -> list[Value]:
        """The ICRC-3 values of blocks `start` .. `end` (at most `MAX_BLOCKS_PER_QUERY`)."""
        if end <= start:
            return []
        blocks = self.query_blocks(
            self.minting_account.owner, GetBlocksArgs(start=start, length=end - start)
        ).blocks
        return self.icrc3.values(start, blocks)

    def get_blocks(self, caller: Principal, request: Mapping[str, int]) -> dict[str, Any]:
        """Blocks `start` .. `start + length` as generic values, the pre-ICRC-3 block query of the
        ICRC-1 ledger (`get_blocks`, rs/ledger_suite/icrc1/ledger/src/main.rs).

        Its blocks are the ledger's encoded blocks read as generic values (CBOR integers as
        `Nat`, rs/ledger_suite/icrc1/src/blocks.rs `encoded_block_to_generic_block`): the values
        `icrc3_get_blocks` serves. The range is cut at the chain's end and at
        `MAX_BLOCKS_PER_QUERY`; nothing is archived; `certificate` is the subnet's certificate
        of the tip in a non-replicated query (None otherwise).
        """
        log_length = len(self.icrc3)
        start = min(int(request["start"]), log_length)
        end = min(start + min(int(request["length"]), MAX_BLOCKS_PER_QUERY), log_length)
        return {
            "first_index": start,
            "chain_length": log_length,
            "certificate": self.canister_environment.data_certificate(),
            "blocks": [icrc3_candid(value) for value in self._icrc3_values(start, end)],
            "archived_blocks": [],
        }

    def icrc3_get_archives(
        self, caller: Principal, request: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        return []

    def icrc3_supported_block_types(
        self, caller: Principal, argument: object = None
    ) -> list[dict[str, str]]:
        return [{"block_type": kind, "url": url} for kind, url in SUPPORTED_BLOCK_TYPES]

    def icrc3_tip(self) -> tuple[int, bytes] | None:
        """The last block's index and ICRC-3 hash (what a tip certificate would certify)."""
        if not self.icrc3.hashes:
            return None
        return len(self.icrc3.hashes) - 1, self.icrc3.hashes[-1]

    def account_of(self, identifier: AccountIdentifier) -> Account | None:
        return self.accounts.get(identifier)

    def get_transactions(self, caller: Principal, request: Mapping[str, int]) -> dict[str, Any]:
        """Blocks `start` .. `start + length` as ICRC transactions (`get_transactions` of the
        ICRC-1 ledger's .did, rs/ledger_suite/icrc1/ledger/ledger.did)."""
        response = self.query_blocks(
            caller, GetBlocksArgs(start=request["start"], length=request["length"])
        )
        return {
            "first_index": response.first_block_index,
            "log_length": response.chain_length,
            "transactions": [self._icrc_transaction(block) for block in response.blocks],
            "archived_transactions": [],
        }

    def _account(self, identifier: AccountIdentifier) -> dict[str, Any]:
        account = self.accounts.get(identifier)
        if account is None:  # never seen as an account: shown as its identifier's owner-less form
            return {"owner": Principal.anonymous(), "subaccount": identifier.raw[:32]}
        return {
            "owner": account.owner,
            "subaccount": None if account.is_default_subaccount else account.subaccount,
        }

    def _icrc_transaction(self, block: Block) -> dict[str, Any]:
        transaction = block.transaction
        common = {
            "memo": transaction.icrc1_memo,
            "created_at_time": transaction.created_at_time_ns,
        }
        entry: dict[str, Any] = {
            "kind": "",
            "mint": None,
            "burn": None,
            "transfer": None,
            "approve": None,
            "timestamp": block.timestamp_ns,
        }
        operation = transaction.operation
        match operation:
            case Mint():
                entry["kind"] = "mint"
                entry["mint"] = {
                    "to": self._account(operation.to),
                    "amount": operation.amount_e8s,
                    **common,
                }
            case Burn():
                entry["kind"] = "burn"
                entry["burn"] = {
                    "from": self._account(operation.from_account),
                    "amount": operation.amount_e8s,
                    "spender": None
                    if operation.spender is None
                    else self._account(operation.spender),
                    **common,
                }
            case Transfer():
                entry["kind"] = "transfer"
                entry["transfer"] = {
                    "from": self._account(operation.from_account),
                    "to": self._account(operation.to),
                    "amount": operation.amount_e8s,
                    "fee": operation.fee_e8s,
                    "spender": None
                    if operation.spender is None
                    else self._account(operation.spender),
                    **common,
                }
            case Approve():
                entry["kind"] = "approve"
                entry["approve"] = {
                    "from": self._account(operation.from_account),
                    "spender": self._account(operation.spender),
                    "amount": operation.allowance_e8s,
                    "fee": operation.fee_e8s,
                    "expected_allowance": operation.expected_allowance_e8s,
                    "expires_at": operation.expires_at_ns,
                    **common,
                }
        return entry

    def icrc1_metadata(
        self, caller: Principal, argument: object = None
    ) -> list[tuple[str, object]]:
        entries = super().icrc1_metadata(caller, argument)
        if self.token_logo is not None:
            entries.append(("icrc1:logo", self.token_logo))
        entries.extend(ledger_allowances.METADATA)
        return entries

    def balance_of(self, account: Account) -> int:
        """The balance of one ICRC account (for canisters in this process and tests)."""
        return self.balances().get(account.identifier(), 0)

    def balance_of_account(self, owner: Principal, subaccount: bytes | None = None) -> int:
        return self.balance_of(Account.of(owner, subaccount))


def sns_ledger_interface(ledger: object) -> Interface:
    """The ICP ledger's Candid mapping restricted to the ICRC methods an SNS ledger offers,
    plus `get_transactions` (the ICRC-1 ledger's block query, with accounts)."""
    full = ledger_interface(ledger)
    methods = {name: spec for name, spec in full.methods.items() if name in SNS_LEDGER_METHODS}
    signature = TRANSACTIONS_INTERFACE.method("get_transactions")
    methods["get_transactions"] = MethodSpec(
        name="get_transactions",
        mode="query",
        arguments=signature.arguments,
        results=signature.results,
    )
    for name in (
        "get_blocks",
        "icrc3_get_blocks",
        "icrc3_get_archives",
        "icrc3_supported_block_types",
        "icrc3_get_tip_certificate",
        "get_data_certificate",
        "icrc103_get_allowances",
        "icrc106_get_index_principal",
    ):
        icrc3 = TRANSACTIONS_INTERFACE.method(name)
        methods[name] = MethodSpec(
            name=name,
            mode="query",
            arguments=icrc3.arguments,
            results=icrc3.results,
            to_results=lambda reply: [reply],  # an opt reply: None is a value
        )
    archives = TRANSACTIONS_INTERFACE.method("archives")
    methods["archives"] = MethodSpec(
        name="archives",
        mode="query",
        arguments=archives.arguments,
        results=archives.results,
        to_results=lambda archived: [list(archived)],
    )
    return Interface(methods=methods, heartbeat="certify_tip")
