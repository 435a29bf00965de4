"""`icbox canister`: Wasm canisters through the management canister, as dfx does.

CANISTER is a canister id. Arguments are Candid text (`'(42, "x")'`), typed
by the module's `candid:service` metadata (remembered when the module is
installed from this machine) or by `--candid FILE.did`; replies print the
same way, or as JSON with `--json`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tui.cli.common import Cli, operation, table
from tui.cli.lazy import lazy_module
from tui.ops.errors import Refused

if TYPE_CHECKING:
    from tui.ops import canisters as ops
else:
    ops = lazy_module("tui.ops.canisters")

T = TypeVar("T")

CANDID_OPTION = click.option(
    "--candid",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="A .did file typing arguments and replies (default: the module's metadata).",
)
ARGUMENT_OPTION = click.option(
    "--argument", default=None, help="The init (or post_upgrade) argument, in Candid text."
)


def _with(cli: Cli, run: Callable[[Any], T], subnet: str | None = None) -> T:
    canisters = ops.NetworkCanisters(cli.session, subnet=subnet)
    try:
        return run(canisters)
    finally:
        canisters.close()


@click.group()
def canister() -> None:
    """Wasm canisters: create, install, call, query, upgrade, stop, start and delete them.

    \b
    Examples:
      icbox canister create
      icbox canister install lxzze-o7777-77777-aaaaa-cai counter.wasm
      icbox canister call lxzze-o7777-77777-aaaaa-cai inc
      icbox canister query lxzze-o7777-77777-aaaaa-cai get --json
      icbox canister upgrade lxzze-o7777-77777-aaaaa-cai counter.wasm
      icbox canister deposit-cycles 2T lxzze-o7777-77777-aaaaa-cai
      icbox canister status lxzze-o7777-77777-aaaaa-cai
    """


@canister.command()
@click.option("--subnet", default=None, help="The subnet id (default: the first application one).")
@click.option(
    "--controller", "controllers", multiple=True, help="A controller (repeat; default: you)."
)
@click.option("--freezing-threshold", type=int, default=None, help="Seconds of idle burn kept.")
@operation
def create(
    cli: Cli, subnet: str | None, controllers: tuple[str, ...], freezing_threshold: int | None
) -> None:
    """Create an empty canister; prints its id."""
    owners = [ops.parse_principal(c, "controller") for c in controllers] or None
    canister_id = _with(
        cli,
        lambda c: c.create(controllers=owners, freezing_threshold=freezing_threshold),
        subnet,
    )
    cli.emit({"canister_id": canister_id.to_text()}, lambda: click.echo(canister_id.to_text()))


@canister.command()
@click.argument("canister_id", metavar="CANISTER")
@click.argument("wasm", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@ARGUMENT_OPTION
@click.option(
    "--mode",
    type=click.Choice(["install", "reinstall", "upgrade"]),
    default="install",
    show_default=True,
)
@operation
def install(cli: Cli, canister_id: str, wasm: Path, argument: str | None, mode: str) -> None:
    """Install the module WASM (plain or gzipped) in CANISTER."""
    target = ops.parse_principal(canister_id)
    result = _with(cli, lambda c: c.install_file(target, wasm, argument=argument, mode=mode))
    cli.emit(
        result, lambda: click.echo(f"{mode}ed {wasm.name} in {target}: {result['module_hash']}")
    )


@canister.command()
@click.argument("canister_id", metavar="CANISTER")
@click.argument("wasm", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@ARGUMENT_OPTION
@click.option(
    "--wasm-memory-persistence",
    "persistence",
    type=click.Choice(["auto", "keep", "replace"]),
    default="auto",
    show_default=True,
    help="Keep main memory (auto: when the module uses enhanced orthogonal persistence).",
)
@click.option("--skip-pre-upgrade", is_flag=True, help="Do not run the old module's pre_upgrade.")
@operation
def upgrade(
    cli: Cli,
    canister_id: str,
    wasm: Path,
    argument: str | None,
    persistence: str,
    skip_pre_upgrade: bool,
) -> None:
    """Upgrade CANISTER to the module WASM; stable memory is kept."""
    target = ops.parse_principal(canister_id)
    result = _with(
        cli,
        lambda c: c.install_file(
            target,
            wasm,
            argument=argument,
            mode="upgrade",
            persistence=persistence,
            skip_pre_upgrade=skip_pre_upgrade,
        ),
    )
    cli.emit(
        result,
        lambda: click.echo(
            f"upgraded {target} to {wasm.name}: {result['module_hash']} "
            f"(main memory: {result['wasm_memory_persistence']})"
        ),
    )


def _call(
    cli: Cli,
    canister_id: str,
    method: str,
    argument: str | None,
    *,
    query: bool,
    candid: Path | None,
) -> None:
    target = ops.parse_principal(canister_id)
    result = _with(cli, lambda c: c.call_text(target, method, argument, query=query, candid=candid))
    cli.emit(result.to_json(), lambda: click.echo(result.text))


@canister.command()
@click.argument("canister_id", metavar="CANISTER")
@click.argument("method")
@click.argument("argument", required=False)
@click.option("--query", "as_query", is_flag=True, help="Send it as a query, not an update.")
@CANDID_OPTION
@operation
def call(
    cli: Cli,
    canister_id: str,
    method: str,
    argument: str | None,
    as_query: bool,
    candid: Path | None,
) -> None:
    """Call METHOD of CANISTER with ARGUMENT (Candid text, default `()`); prints the reply."""
    _call(cli, canister_id, method, argument, query=as_query, candid=candid)


@canister.command()
@click.argument("canister_id", metavar="CANISTER")
@click.argument("method")
@click.argument("argument", required=False)
@CANDID_OPTION
@operation
def query(
    cli: Cli, canister_id: str, method: str, argument: str | None, candid: Path | None
) -> None:
    """Query METHOD of CANISTER (no state change; answered by one replica, signed)."""
    _call(cli, canister_id, method, argument, query=True, candid=candid)


@canister.command()
@click.argument("canister_id", metavar="CANISTER")
@operation
def status(cli: Cli, canister_id: str) -> None:
    """Status, controllers, module hash, memory and cycles of CANISTER."""
    target = ops.parse_principal(canister_id)
    document = ops.status_json(target, _with(cli, lambda c: c.status(target)))
    cli.emit(
        document,
        lambda: table(
            None,
            ["field", "value"],
            [[key, ", ".join(v) if isinstance(v, list) else v] for key, v in document.items()],
        ),
    )


def _lifecycle(name: str, verb: str, help_text: str) -> None:
    @canister.command(name=name, help=help_text)
    @click.argument("canister_id", metavar="CANISTER")
    @operation
    def command(cli: Cli, canister_id: str) -> None:
        target = ops.parse_principal(canister_id)
        _with(cli, lambda c: getattr(c, name)(target))
        cli.emit(
            {"canister_id": target.to_text(), "done": name},
            lambda: click.echo(f"{verb} {target}"),
        )


_lifecycle("stop", "stopped", "Stop CANISTER (it finishes its open calls first).")
_lifecycle("start", "started", "Start a stopped CANISTER.")
_lifecycle("delete", "deleted", "Delete a stopped CANISTER.")


@canister.command("deposit-cycles")
@click.argument("amount")
@click.argument("canister_id", metavar="CANISTER")
@operation
def deposit_cycles(cli: Cli, amount: str, canister_id: str) -> None:
    """Add AMOUNT cycles, like 2T or 500B, to CANISTER (a development network's top-up)."""
    target = ops.parse_principal(canister_id)
    cycles = ops.parse_cycles(amount)

    def run(c: Any) -> int | None:
        c.deposit_cycles(target, cycles)
        try:
            return int(c.status(target).cycles)
        except Refused:  # not a controller: the deposit is done, the balance is not shown
            return None

    balance = _with(cli, run)
    document: dict[str, Any] = {"canister_id": target.to_text(), "deposited": cycles}
    if balance is not None:
        document["cycles"] = balance
    cli.emit(document, lambda: click.echo(f"deposited {cycles} cycles to {target}"))
