"""Canonical checkpoint files of an execution engine, and the engine rebuilt from them.

Honest replicas with equal states must write byte-identical checkpoints, or
their manifests, and so the catch-up package's state hash, would differ. A
SQLite file is not canonical (page layout and free lists depend on the history
of writes), so a checkpoint holds instead:

    engine.cbor                   the engine's own state, as canonical CBOR
    canisters/<canister id>.cbor  one canister's database: its schema and its rows
    wasm/<canister id>.cbor       a Wasm canister: module, heap, globals, settings
    wasm/<canister id>.stable     its stable memory, raw (`replica.execution.wasm.stable_files`)

A database dump is canonical CBOR of `{"schema": [...], "tables": [...]}`: the
schema statements in (kind, name) order, and every table's rows in primary-key
order, the order `StableStore.state_hash` reads them in. Restoring writes fresh
SQLite files from the dumps and hands them to `ExecutionEngine.from_checkpoint`,
which reopens each canister as after an upgrade.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import cbor2
from sqlalchemy import text

from replica.canister.stable import StableStore
from replica.execution.engine import ExecutionEngine, SystemCanister
from replica.state.errors import CheckpointError
from replica.types import Principal

ENGINE_FILE: Final = "engine.cbor"
CANISTERS_DIRECTORY: Final = "canisters"
DUMP_SUFFIX: Final = ".cbor"
WASM_DIRECTORY: Final = "wasm"


def dump_store(store: StableStore) -> bytes:
    """A canonical dump of one canister's database."""
    with store.connection() as connection:
        schema = [
            [kind, name, sql]
            for kind, name, sql in connection.execute(
                text(
                    "SELECT type, name, sql FROM sqlite_master "
                    "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type, name"
                )
            )
        ]
        tables = []
        for table in store.tables:
            keys = [column.name for column in table.primary_key.columns] or [
                column.name for column in table.columns
            ]
            order = ", ".join(f'"{name}"' for name in keys)
            columns = [column.name for column in table.columns]
            selected = ", ".join(f'"{name}"' for name in columns)
            rows = [
                list(row)
                for row in connection.execute(
                    text(f'SELECT {selected} FROM "{table.name}" ORDER BY {order}')
                )
            ]
            tables.append([table.name, columns, rows])
    return bytes(cbor2.dumps({"schema": schema, "tables": tables}, canonical=True))


def load_store_file(path: Path, dump: bytes) -> None:
    """Write a fresh SQLite database at `path` holding exactly the dumped schema and rows."""
    try:
        content: Any = cbor2.loads(dump)
        schema, tables = content["schema"], content["tables"]
    except (cbor2.CBORDecodeError, KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"not a database dump: {path.name}: {error}") from error
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    connection = sqlite3.connect(str(path), isolation_level=None)
    try:
        connection.execute("BEGIN")
        for _kind, _name, sql in sorted(schema, key=lambda entry: (entry[0] != "table", entry[1])):
            connection.execute(sql)
        for name, columns, rows in tables:
            names = ", ".join(f'"{column}"' for column in columns)
            marks = ", ".join("?" for _ in columns)
            connection.executemany(
                f'INSERT INTO "{name}" ({names}) VALUES ({marks})', [tuple(row) for row in rows]
            )
        connection.execute("COMMIT")
    except sqlite3.Error as error:
        raise CheckpointError(f"cannot restore the database {path.name}: {error}") from error
    finally:
        connection.close()


def write_engine_files(engine: ExecutionEngine, directory: Path) -> None:
    """Write the canonical checkpoint files of `engine` into an empty `directory`."""
    canisters = directory / CANISTERS_DIRECTORY
    canisters.mkdir(parents=True, exist_ok=True)
    for canister_id, record in sorted(engine.canisters.items()):
        if record.store is not None:
            (canisters / f"{canister_id.to_text()}{DUMP_SUFFIX}").write_bytes(
                dump_store(record.store)
            )
    if engine.wasm.states:
        engine.wasm.write_checkpoint(directory / WASM_DIRECTORY)
    (directory / ENGINE_FILE).write_bytes(engine.checkpoint_metadata())


def restore_engine(
    directory: Path,
    *,
    live_dir: Path,
    subnet_id: Principal,
    factories: Mapping[str, SystemCanister],
    **engine_options: Any,
) -> ExecutionEngine:
    """An engine whose state is the checkpoint's, its databases rebuilt under `live_dir`.

    Whatever `live_dir` held (a crashed run's databases) is removed first.
    """
    if not (directory / ENGINE_FILE).is_file():
        raise CheckpointError(f"{directory} is not a checkpoint: {ENGINE_FILE} is missing")
    if live_dir.exists():
        shutil.rmtree(live_dir)
    staging = live_dir.with_name(live_dir.name + ".restoring")
    if staging.exists():
        shutil.rmtree(staging)
    (staging / CANISTERS_DIRECTORY).mkdir(parents=True)
    try:
        shutil.copyfile(directory / ENGINE_FILE, staging / ENGINE_FILE)
        for dump in sorted((directory / CANISTERS_DIRECTORY).glob(f"*{DUMP_SUFFIX}")):
            database = staging / CANISTERS_DIRECTORY / (dump.name[: -len(DUMP_SUFFIX)] + ".sqlite3")
            load_store_file(database, dump.read_bytes())
        engine = ExecutionEngine.from_checkpoint(
            staging, state_dir=live_dir, subnet_id=subnet_id, factories=factories, **engine_options
        )
        # The Wasm canisters are read where they are (their stable memories can be large).
        engine.wasm.load_checkpoint(directory / WASM_DIRECTORY)
        return engine
    finally:
        shutil.rmtree(staging, ignore_errors=True)
