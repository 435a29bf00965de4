"""The ICP ledger canister.

Balances are keyed by account identifier. Every accepted request appends one
block to the hash chain; a refused one raises a `LedgerError` and changes
nothing: every check runs before the first write, and one message is one
transaction of the canister's stable store. A request joins the message's
transaction rather than opening a savepoint of its own.

Minting and burning go through the minting account (NNS governance's default
account): a transfer from it mints with fee 0, a transfer to it burns with fee
0 and at least the transfer fee. Every other transfer pays exactly the ledger
fee, which is burned. Requests that carry `created_at_time` are deduplicated
for the transaction window (24 hours): a request too old, too far in the
future (more than the permitted drift of 60 s) or equal to a recorded one is
refused (spec nns-governance section 8).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Mapping
from typing import Final

from sqlalchemy.engine import Connection
from sqlmodel import Field, SQLModel

from nns.ledger.accounts import Account, AccountIdentifier, validate_subaccount
from nns.ledger.consent import ConsentInfo, ConsentMessageRequest, build_consent_info
from nns.ledger.errors import (
    AllowanceChanged,
    BadBurn,
    BadFee,
    Expired,
    GenericError,
    InsufficientAllowance,
    InsufficientFunds,
    TxCreatedInFuture,
    TxDuplicate,
    TxTooOld,
)
from nns.ledger.types import (
    MAX_ICRC1_MEMO_BYTES,
    AccountBalanceArgs,
    Allowance,
    AllowanceArgs,
    AllowanceEntry,
    Approve,
    ApproveArgs,
    Block,
    Burn,
    GetAllowancesArgs,
    GetBlocksArgs,
    Icrc1TransferArgs,
    Mint,
    Operation,
    QueryBlocksResponse,
    RemoveApprovalArgs,
    TipOfChain,
    Transaction,
    Transfer,
    TransferArgs,
    TransferFromArgs,
)
from replica.canister.stable import StableStore
from replica.environment import NANOS_PER_SECOND, Environment
from replica.types import Principal

DEFAULT_TRANSFER_FEE_E8S: Final = 10_000
PERMITTED_DRIFT_NS: Final = 60 * NANOS_PER_SECOND
MAX_BLOCKS_PER_QUERY: Final = 2_000
MAX_E8S: Final = 2**64 - 1
MAX_TAKE_ALLOWANCES: Final = 500
DECIMALS: Final = 8

# The ledger's statements. They run on the message's SQLite connection itself (`_execute`):
# for statements this small, SQLAlchemy's execution layer costs several times the query.
_INSERT_SUPPLY: Final = "INSERT INTO ledger_setting (name, value) VALUES ('total_supply', 0)"
_SELECT_BLOCKS: Final = (
    "SELECT encoded FROM ledger_block WHERE block_index >= :start AND block_index < :end ORDER BY "
    "block_index"
)
_SELECT_BALANCES: Final = "SELECT account, balance_e8s FROM ledger_balance ORDER BY account"
_SELECT_DUPLICATE: Final = (
    "SELECT block_index FROM ledger_block WHERE transaction_hash = :hash AND timestamp_ns + "
    ":window >= :now ORDER BY block_index LIMIT 1"
)
_INSERT_BLOCK: Final = (
    "INSERT INTO ledger_block (block_index, block_hash, encoded, transaction_hash, timestamp_ns) "
    "VALUES (:index, :hash, :encoded, :transaction_hash, :timestamp)"
)
_SELECT_BALANCE: Final = "SELECT balance_e8s FROM ledger_balance WHERE account = :account"
_CREDIT: Final = (
    "INSERT INTO ledger_balance (account, balance_e8s) VALUES (:account, :amount) ON "
    "CONFLICT(account) DO UPDATE SET balance_e8s = balance_e8s + :amount"
)
_DELETE_BALANCE: Final = "DELETE FROM ledger_balance WHERE account = :account"
_DEBIT: Final = (
    "UPDATE ledger_balance SET balance_e8s = balance_e8s - :amount WHERE account = :account AND "
    "balance_e8s > :amount"
)
_DEBIT_ALL: Final = "DELETE FROM ledger_balance WHERE account = :account AND balance_e8s = :amount"
_UPDATE_BALANCE: Final = "UPDATE ledger_balance SET balance_e8s = :balance WHERE account = :account"
_SELECT_SUPPLY: Final = "SELECT value FROM ledger_setting WHERE name = 'total_supply'"
_ADD_SUPPLY: Final = "UPDATE ledger_setting SET value = value + :delta WHERE name = 'total_supply'"
_SELECT_TIP: Final = (
    "SELECT block_index, block_hash FROM ledger_block ORDER BY block_index DESC LIMIT 1"
)
_SELECT_ALLOWANCE: Final = (
    "SELECT allowance_e8s, expires_at_ns FROM ledger_allowance WHERE owner = :owner AND spender = "
    ":spender"
)
_DELETE_ALLOWANCE: Final = (
    "DELETE FROM ledger_allowance WHERE owner = :owner AND spender = :spender"
)
_SELECT_ALLOWANCES: Final = (
    "SELECT spender, allowance_e8s, expires_at_ns FROM ledger_allowance "
    "WHERE owner = :owner AND spender > :after AND (expires_at_ns IS NULL OR expires_at_ns > :now) "
    "ORDER BY spender LIMIT :take"
)
_INSERT_ALLOWANCE: Final = (
    "INSERT INTO ledger_allowance (owner, spender, allowance_e8s, expires_at_ns) VALUES (:owner, "
    ":spender, :amount, :expires)"
)


class LedgerBalance(SQLModel, table=True):
    __tablename__ = "ledger_balance"
    account: bytes = Field(primary_key=True)
    balance_e8s: int


class LedgerBlock(SQLModel, table=True):
    __tablename__ = "ledger_block"
    block_index: int = Field(primary_key=True)
    block_hash: bytes
    encoded: bytes
    transaction_hash: bytes = Field(index=True)
    timestamp_ns: int


class LedgerAllowance(SQLModel, table=True):
    __tablename__ = "ledger_allowance"
    owner: bytes = Field(primary_key=True)
    spender: bytes = Field(primary_key=True)
    allowance_e8s: int
    expires_at_ns: int | None = None


class LedgerSetting(SQLModel, table=True):
    __tablename__ = "ledger_setting"
    name: str = Field(primary_key=True)
    value: int


TABLES: Final = (LedgerBalance, LedgerBlock, LedgerAllowance, LedgerSetting)

Database = Connection | sqlite3.Connection
"""What the statements run on: the session's connection or the SQLite connection under it."""


class Ledger:
    """The ICP ledger: balances, the block chain and ICRC-2 allowances."""

    def __init__(
        self,
        environment: Environment,
        *,
        minting_account: Account,
        transfer_fee_e8s: int = DEFAULT_TRANSFER_FEE_E8S,
        initial_balances: Mapping[AccountIdentifier, int] | None = None,
        path: str | None = None,
        transaction_window_seconds: int = 24 * 3_600,
        token_symbol: str = "ICP",
        token_name: str = "Internet Computer",
    ) -> None:
        self.environment = environment
        self.minting_account = minting_account
        self.minting_identifier = minting_account.identifier()
        self.transfer_fee_e8s = transfer_fee_e8s
        self.transaction_window_ns = transaction_window_seconds * NANOS_PER_SECOND
        self.token_symbol = token_symbol
        self.token_name = token_name
        # every statement runs on the SQLite connection (`_execute`): no ORM objects
        self.store = StableStore(list(TABLES), path, direct_sql=True)
        # the last block's index and hash as this ledger wrote it, with the store's rollback
        # count then: trusted while no rollback happened since (else read from the table)
        self._known_tip: tuple[int, tuple[int, bytes]] | None = None
        with self.store.transaction(savepoint=False) as session:
            connection = self.store.sqlite_connection(session)
            if _count_blocks(connection) == 0:
                _execute(connection, _INSERT_SUPPLY)
                for account, amount in sorted((initial_balances or {}).items()):
                    self._record(
                        connection, Transaction(operation=Mint(to=account, amount_e8s=amount))
                    )

    # -- legacy ICP interface ---------------------------------------------------------------

    def transfer(self, caller: Principal, args: TransferArgs) -> int:
        """Move ICP between account identifiers; returns the new block's index."""
        source = AccountIdentifier.of(caller, _checked_subaccount(args.from_subaccount))
        _check_amount(args.amount_e8s)
        _check_amount(args.fee_e8s)
        operation = self._classify(source, args.to, args.amount_e8s, args.fee_e8s, None)
        transaction = Transaction(
            operation=operation, memo=args.memo, created_at_time_ns=args.created_at_time_ns
        )
        with self.store.transaction(savepoint=False) as session:
            return self._apply(self.store.sqlite_connection(session), transaction)

    def account_balance(self, caller: Principal, args: AccountBalanceArgs) -> int:
        with self.store.transaction(savepoint=False) as session:
            return _balance(session.connection(), args.account.raw)

    def transfer_fee(self, caller: Principal, argument: object = None) -> int:
        return self.transfer_fee_e8s

    def query_blocks(self, caller: Principal, args: GetBlocksArgs) -> QueryBlocksResponse:
        length = max(0, min(args.length, MAX_BLOCKS_PER_QUERY))
        with self.store.transaction(savepoint=False) as session:
            connection = session.connection()
            rows = _execute(
                connection,
                _SELECT_BLOCKS,
                {"start": args.start, "end": args.start + length},
            ).fetchall()
            chain_length = _count_blocks(connection)
            tip = _tip(connection)
        return QueryBlocksResponse(
            chain_length=chain_length,
            first_block_index=args.start,
            blocks=tuple(Block.decode(row[0]) for row in rows),
            tip_hash=None if tip is None else tip[1],
        )

    def tip_of_chain(self, caller: Principal, argument: object = None) -> TipOfChain:
        with self.store.transaction(savepoint=False) as session:
            tip = _tip(session.connection())
        if tip is None:
            return TipOfChain(tip_index=0, tip_hash=None)
        return TipOfChain(tip_index=tip[0], tip_hash=tip[1])

    # -- ICRC-1 -----------------------------------------------------------------------------

    def icrc1_transfer(self, caller: Principal, args: Icrc1TransferArgs) -> int:
        source = Account.of(caller, _checked_subaccount(args.from_subaccount))
        _check_amount(args.amount_e8s)
        _check_memo(args.memo)
        operation = self._classify(
            source.identifier(), args.to.identifier(), args.amount_e8s, args.fee_e8s, None
        )
        transaction = Transaction(
            operation=operation, icrc1_memo=args.memo, created_at_time_ns=args.created_at_time_ns
        )
        with self.store.transaction(savepoint=False) as session:
            return self._apply(self.store.sqlite_connection(session), transaction)

    def icrc1_balance_of(self, caller: Principal, account: Account) -> int:
        with self.store.transaction(savepoint=False) as session:
            return _balance(session.connection(), account.identifier().raw)

    def icrc1_total_supply(self, caller: Principal, argument: object = None) -> int:
        with self.store.transaction(savepoint=False) as session:
            return _total_supply(session.connection())

    def icrc1_fee(self, caller: Principal, argument: object = None) -> int:
        return self.transfer_fee_e8s

    def icrc1_minting_account(self, caller: Principal, argument: object = None) -> Account:
        return self.minting_account

    def icrc1_name(self, caller: Principal, argument: object = None) -> str:
        return self.token_name

    def icrc1_symbol(self, caller: Principal, argument: object = None) -> str:
        return self.token_symbol

    def icrc1_decimals(self, caller: Principal, argument: object = None) -> int:
        return DECIMALS

    def icrc1_metadata(
        self, caller: Principal, argument: object = None
    ) -> list[tuple[str, object]]:
        return [
            ("icrc1:decimals", DECIMALS),
            ("icrc1:name", self.token_name),
            ("icrc1:symbol", self.token_symbol),
            ("icrc1:fee", self.transfer_fee_e8s),
        ]

    def icrc1_supported_standards(
        self, caller: Principal, argument: object = None
    ) -> list[tuple[str, str]]:
        return [
            ("ICRC-1", "https://github.com/dfinity/ICRC-1/tree/main/standards/ICRC-1"),
            ("ICRC-2", "https://github.com/dfinity/ICRC-1/tree/main/standards/ICRC-2"),
        ]

    def icrc10_supported_standards(
        self, caller: Principal, argument: object = None
    ) -> list[tuple[str, str]]:
        return [
            *self.icrc1_supported_standards(caller),
            ("ICRC-10", "https://github.com/dfinity/ICRC/blob/main/ICRCs/ICRC-10/ICRC-10.md"),
            (
                "ICRC-21",
                "https://github.com/dfinity/wg-identity-authentication/blob/main/topics/ICRC-21/icrc_21_consent_msg.md",
            ),
        ]

    def account_identifier(self, caller: Principal, account: Account) -> AccountIdentifier:
        return account.identifier()

    def archives(self, caller: Principal, argument: object = None) -> tuple[Principal, ...]:
        """The whole chain stays in this canister: there are no archive canisters."""
        return ()

    def is_ledger_ready(self, caller: Principal, argument: object = None) -> bool:
        return True

    # -- ICRC-2 -----------------------------------------------------------------------------

    def icrc2_approve(self, caller: Principal, args: ApproveArgs) -> int:
        owner = Account.of(caller, _checked_subaccount(args.from_subaccount))
        _check_amount(args.amount_e8s)
        _check_memo(args.memo)
        return self._approve(
            owner.identifier(),
            args.spender.identifier(),
            allowance_e8s=args.amount_e8s,
            expected_allowance_e8s=args.expected_allowance_e8s,
            expires_at_ns=args.expires_at_ns,
            fee_e8s=args.fee_e8s,
            memo=args.memo,
            created_at_time_ns=args.created_at_time_ns,
        )

    def remove_approval(self, caller: Principal, args: RemoveApprovalArgs) -> int:
        """Set the spender's allowance on the caller's account to zero; an Approve block, fee
        charged.

        As the ICP ledger does, this is an approval of 0 without expected allowance or expiry,
        so it is refused as an approval is (BadFee, InsufficientFunds, self approval).
        """
        owner = AccountIdentifier.of(caller, _checked_subaccount(args.from_subaccount))
        return self._approve(
            owner,
            args.spender,
            allowance_e8s=0,
            expected_allowance_e8s=None,
            expires_at_ns=None,
            fee_e8s=args.fee_e8s,
            memo=None,
            created_at_time_ns=None,
        )

    def _approve(
        self,
        owner: AccountIdentifier,
        spender: AccountIdentifier,
        *,
        allowance_e8s: int,
        expected_allowance_e8s: int | None,
        expires_at_ns: int | None,
        fee_e8s: int | None,
        memo: bytes | None,
        created_at_time_ns: int | None,
    ) -> int:
        if owner == spender:
            raise GenericError(1, "self approval is not allowed")
        fee = self.transfer_fee_e8s if fee_e8s is None else fee_e8s
        if fee != self.transfer_fee_e8s:
            raise BadFee(self.transfer_fee_e8s)
        now = self.environment.now_ns()
        if expires_at_ns is not None and expires_at_ns <= now:
            raise Expired(now)
        operation = Approve(
            from_account=owner,
            spender=spender,
            allowance_e8s=allowance_e8s,
            expected_allowance_e8s=expected_allowance_e8s,
            expires_at_ns=expires_at_ns,
            fee_e8s=fee,
        )
        transaction = Transaction(
            operation=operation, icrc1_memo=memo, created_at_time_ns=created_at_time_ns
        )
        with self.store.transaction(savepoint=False) as session:
            return self._apply(self.store.sqlite_connection(session), transaction)

    def get_allowances(
        self, caller: Principal, args: GetAllowancesArgs
    ) -> tuple[AllowanceEntry, ...]:
        """A page of an account's live allowances, by spender, after `prev_spender` (at most
        500)."""
        take = MAX_TAKE_ALLOWANCES if args.take is None else min(args.take, MAX_TAKE_ALLOWANCES)
        after = b"" if args.prev_spender is None else args.prev_spender.raw
        with self.store.transaction(savepoint=False) as session:
            rows = _execute(
                session.connection(),
                _SELECT_ALLOWANCES,
                {
                    "owner": args.from_account.raw,
                    "after": after,
                    "now": self.environment.now_ns(),
                    "take": take,
                },
            ).fetchall()
        return tuple(
            AllowanceEntry(
                from_account=args.from_account,
                spender=AccountIdentifier(bytes(row[0])),
                allowance_e8s=int(row[1]),
                expires_at_ns=row[2],
            )
            for row in rows
        )

    # -- ICRC-21 ----------------------------------------------------------------------------

    def icrc21_canister_call_consent_message(
        self, caller: Principal, request: ConsentMessageRequest
    ) -> ConsentInfo:
        return build_consent_info(
            request,
            caller=caller,
            fee_e8s=self.transfer_fee_e8s,
            symbol=self.token_symbol,
            minting=self.minting_identifier,
        )

    def icrc2_allowance(self, caller: Principal, args: AllowanceArgs) -> Allowance:
        with self.store.transaction(savepoint=False) as session:
            amount, expires = _allowance(
                session.connection(),
                args.account.identifier().raw,
                args.spender.identifier().raw,
                self.environment.now_ns(),
            )
        return Allowance(allowance_e8s=amount, expires_at_ns=expires)

    def icrc2_transfer_from(self, caller: Principal, args: TransferFromArgs) -> int:
        spender = Account.of(caller, _checked_subaccount(args.spender_subaccount))
        _check_amount(args.amount_e8s)
        _check_memo(args.memo)
        operation = self._classify(
            args.from_account.identifier(),
            args.to.identifier(),
            args.amount_e8s,
            args.fee_e8s,
            spender.identifier(),
        )
        transaction = Transaction(
            operation=operation, icrc1_memo=args.memo, created_at_time_ns=args.created_at_time_ns
        )
        with self.store.transaction(savepoint=False) as session:
            return self._apply(self.store.sqlite_connection(session), transaction)

    # -- state ------------------------------------------------------------------------------

    def state_hash(self) -> bytes:
        return self.store.state_hash()

    def balances(self) -> dict[AccountIdentifier, int]:
        """Every non-zero balance (for tests and tools)."""
        with self.store.transaction(savepoint=False) as session:
            rows = _execute(session.connection(), _SELECT_BALANCES)
            return {AccountIdentifier(bytes(row[0])): row[1] for row in rows}

    # -- the rules --------------------------------------------------------------------------

    def _classify(
        self,
        source: AccountIdentifier,
        destination: AccountIdentifier,
        amount_e8s: int,
        fee_e8s: int | None,
        spender: AccountIdentifier | None,
    ) -> Operation:
        """Mint, burn or transfer, with the fee rule of each."""
        minting = self.minting_identifier
        if source == minting:
            if spender is not None:
                raise GenericError(2, "the minting account cannot delegate mints")
            if destination == minting:
                raise GenericError(
                    3, "a transfer from the minting account to itself is not allowed"
                )
            if fee_e8s not in (None, 0):
                raise BadFee(0)
            return Mint(to=destination, amount_e8s=amount_e8s)
        if destination == minting:
            if fee_e8s not in (None, 0):
                raise BadFee(0)
            if amount_e8s < self.transfer_fee_e8s:
                raise BadBurn(self.transfer_fee_e8s)
            return Burn(from_account=source, amount_e8s=amount_e8s, spender=spender)
        fee = self.transfer_fee_e8s if fee_e8s is None else fee_e8s
        if fee != self.transfer_fee_e8s:
            raise BadFee(self.transfer_fee_e8s)
        return Transfer(
            from_account=source,
            to=destination,
            amount_e8s=amount_e8s,
            fee_e8s=fee,
            spender=spender,
        )

    def _apply(self, connection: sqlite3.Connection, transaction: Transaction) -> int:
        """Check time and duplicates, apply the operation, and append its block."""
        now = self.environment.now_ns()
        created = transaction.created_at_time_ns
        transaction_hash = None
        if created is not None:
            transaction_hash = transaction.hash()
            if created + self.transaction_window_ns < now:
                raise TxTooOld(self.transaction_window_ns)
            if created > now + PERMITTED_DRIFT_NS:
                raise TxCreatedInFuture(now)
            duplicate = _execute(
                connection,
                _SELECT_DUPLICATE,
                {"hash": transaction_hash, "window": self.transaction_window_ns, "now": now},
            ).fetchone()
            if duplicate is not None:
                raise TxDuplicate(duplicate[0])
        return self._record(connection, transaction, transaction_hash)

    def _record(
        self,
        connection: sqlite3.Connection,
        transaction: Transaction,
        transaction_hash: bytes | None = None,
    ) -> int:
        """Apply the operation and append its block, on the open transaction's SQLite
        connection."""
        now = self.environment.now_ns()
        operation = transaction.operation
        # Every refusal is raised before the first write, so a refused request
        # changes nothing even when it runs inside a caller's transaction.
        match operation:
            case Mint():
                _credit(connection, operation.to.raw, operation.amount_e8s)
                _add_supply(connection, operation.amount_e8s)
            case Burn():
                source, spender = operation.from_account.raw, operation.spender
                allowance = _required_allowance(
                    connection, source, spender, operation.amount_e8s, now
                )
                _debit(connection, source, operation.amount_e8s)
                _use_allowance(connection, source, spender, allowance, operation.amount_e8s)
                _add_supply(connection, -operation.amount_e8s)
            case Transfer():
                source, spender = operation.from_account.raw, operation.spender
                total = operation.amount_e8s + operation.fee_e8s
                allowance = _required_allowance(connection, source, spender, total, now)
                _debit(connection, source, total)
                _use_allowance(connection, source, spender, allowance, total)
                _credit(connection, operation.to.raw, operation.amount_e8s)
                _add_supply(connection, -operation.fee_e8s)
            case Approve():
                # as the ICP ledger does: the fee is checked before the expected allowance
                source, approved = operation.from_account.raw, operation.spender.raw
                balance = _required_balance(connection, source, operation.fee_e8s)
                current, _expires = _allowance(connection, source, approved, now)
                expected = operation.expected_allowance_e8s
                if expected is not None and expected != current:
                    raise AllowanceChanged(current)
                _write_allowance(
                    connection, source, approved, operation.allowance_e8s, operation.expires_at_ns
                )
                _write_balance(connection, source, balance - operation.fee_e8s)
                _add_supply(connection, -operation.fee_e8s)
        known = self._known_tip
        tip = (
            known[1] if known is not None and known[0] == self.store.rollbacks else _tip(connection)
        )
        block = Block(
            parent_hash=None if tip is None else tip[1],
            transaction=transaction,
            timestamp_ns=now,
        )
        index = 0 if tip is None else tip[0] + 1
        # each encoded once: the block embeds the transaction's bytes, and each hash is the
        # hash of its bytes
        transaction_cbor = transaction.encode()
        encoded = block.encode(transaction_cbor)
        block_hash = hashlib.sha256(encoded).digest()
        _execute(
            connection,
            _INSERT_BLOCK,
            {
                "index": index,
                "hash": block_hash,
                "encoded": encoded,
                "transaction_hash": transaction_hash or hashlib.sha256(transaction_cbor).digest(),
                "timestamp": now,
            },
        )
        self._known_tip = (self.store.rollbacks, (index, block_hash))
        self._appended(index, block)
        return index

    def _appended(self, index: int, block: Block) -> None:
        """What a ledger built on this one does with each block it appends (nothing here)."""


def _execute(
    connection: Database, statement: str, parameters: Mapping[str, object] | None = None
) -> sqlite3.Cursor:
    """Run a statement on the DBAPI connection under the open transaction."""
    if isinstance(connection, sqlite3.Connection):
        return connection.execute(statement, parameters or {})
    driver: sqlite3.Connection = connection.connection.driver_connection  # type: ignore[assignment]
    return driver.execute(statement, parameters or {})


def _checked_subaccount(subaccount: bytes | None) -> bytes:
    try:
        return validate_subaccount(subaccount)
    except ValueError as error:
        raise GenericError(4, str(error)) from error


def _check_amount(amount_e8s: int) -> None:
    if not 0 <= amount_e8s <= MAX_E8S:
        raise GenericError(5, f"amount out of range: {amount_e8s}")


def _check_memo(memo: bytes | None) -> None:
    if memo is not None and len(memo) > MAX_ICRC1_MEMO_BYTES:
        raise GenericError(
            6, f"the memo has {len(memo)} bytes, at most {MAX_ICRC1_MEMO_BYTES} are allowed"
        )


def _balance(connection: Database, account: bytes) -> int:
    row = _execute(
        connection,
        _SELECT_BALANCE,
        {"account": account},
    ).fetchone()
    return 0 if row is None else int(row[0])


def _credit(connection: Database, account: bytes, amount_e8s: int) -> None:
    if amount_e8s == 0:
        return
    _execute(
        connection,
        _CREDIT,
        {"account": account, "amount": amount_e8s},
    )


def _required_balance(connection: Database, account: bytes, amount_e8s: int) -> int:
    """The account's balance, if it covers `amount_e8s`; otherwise InsufficientFunds."""
    balance = _balance(connection, account)
    if balance < amount_e8s:
        raise InsufficientFunds(balance)
    return balance


def _debit(connection: Database, account: bytes, amount_e8s: int) -> None:
    """Take `amount_e8s` from the account (an emptied account has no row); InsufficientFunds,
    with nothing written, if it holds less.

    The check and the write are one statement where the account keeps a balance (the same as
    `_required_balance` then `_write_balance`, one statement fewer): a debit that empties the
    account deletes its row, and the balance is read only to name it in a refusal.
    """
    if amount_e8s == 0:  # every balance covers it, and writing it back changes nothing
        return
    parameters = {"account": account, "amount": amount_e8s}
    if _execute(connection, _DEBIT, parameters).rowcount == 1:
        return
    if _execute(connection, _DEBIT_ALL, parameters).rowcount == 1:
        return
    raise InsufficientFunds(_balance(connection, account))


def _write_balance(connection: Database, account: bytes, balance_e8s: int) -> None:
    """Set a debited account's balance; an empty account has no row."""
    if balance_e8s == 0:
        _execute(connection, _DELETE_BALANCE, {"account": account})
    else:
        _execute(connection, _UPDATE_BALANCE, {"account": account, "balance": balance_e8s})


def _total_supply(connection: Database) -> int:
    row = _execute(connection, _SELECT_SUPPLY).fetchone()
    return 0 if row is None else int(row[0])


def _add_supply(connection: Database, delta_e8s: int) -> None:
    if delta_e8s:
        _execute(
            connection,
            _ADD_SUPPLY,
            {"delta": delta_e8s},
        )


def _tip(connection: Database) -> tuple[int, bytes] | None:
    row = _execute(connection, _SELECT_TIP).fetchone()
    return None if row is None else (int(row[0]), bytes(row[1]))


def _count_blocks(connection: Database) -> int:
    tip = _tip(connection)
    return 0 if tip is None else tip[0] + 1


def _allowance(
    connection: Database, owner: bytes, spender: bytes, now_ns: int
) -> tuple[int, int | None]:
    row = _execute(
        connection,
        _SELECT_ALLOWANCE,
        {"owner": owner, "spender": spender},
    ).fetchone()
    if row is None or (row[1] is not None and row[1] <= now_ns):
        return 0, None
    return int(row[0]), row[1]


def _required_allowance(
    connection: Database,
    owner: bytes,
    spender: AccountIdentifier | None,
    amount_e8s: int,
    now_ns: int,
) -> tuple[int, int | None]:
    """A spender's allowance and expiry if it covers `amount_e8s` (else InsufficientAllowance).

    Without a spender the owner moves its own funds and no allowance is needed.
    """
    if spender is None:
        return 0, None
    current, expires = _allowance(connection, owner, spender.raw, now_ns)
    if current < amount_e8s:
        raise InsufficientAllowance(current)
    return current, expires


def _use_allowance(
    connection: Database,
    owner: bytes,
    spender: AccountIdentifier | None,
    allowance: tuple[int, int | None],
    amount_e8s: int,
) -> None:
    if spender is not None:
        current, expires = allowance
        _write_allowance(connection, owner, spender.raw, current - amount_e8s, expires)


def _write_allowance(
    connection: Database, owner: bytes, spender: bytes, amount_e8s: int, expires_at_ns: int | None
) -> None:
    _execute(connection, _DELETE_ALLOWANCE, {"owner": owner, "spender": spender})
    if amount_e8s:
        _execute(
            connection,
            _INSERT_ALLOWANCE,
            {"owner": owner, "spender": spender, "amount": amount_e8s, "expires": expires_at_ns},
        )
