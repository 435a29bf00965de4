"""`icbox identity`: dfx-compatible identities (PEM files 0600; keys printed only by `export`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tui.cli.common import Cli, operation, table
from tui.cli.lazy import lazy_module

if TYPE_CHECKING:
    from tui.ops import identities, session
else:
    identities = lazy_module("tui.ops.identities")
    session = lazy_module("tui.ops.session")


def _store(cli: Cli) -> identities.IdentityStore:
    pem = None
    try:
        import json

        pem = Path(
            json.loads(session.local_network_file(cli.directory).read_text())["identity"]["pem"]
        )
    except (OSError, ValueError, KeyError):
        pem = None
    return identities.IdentityStore(network_pem=pem)


def _show(cli: Cli, info: identities.IdentityInfo) -> None:
    cli.emit(
        info.to_json(),
        lambda: click.echo(
            f"{info.name}{' (default)' if info.is_default else ''}\n  principal   {info.principal}\n"
            f"  account id  {info.account_id}"
            + (f"\n  pem         {info.pem_path}" if info.pem_path else "")
        ),
    )


@click.group()
def identity() -> None:
    """Identities: Ed25519 keys in dfx's PEM format under $ICBOX_HOME/identity/NAME/.

    \b
    Examples:
      icbox identity new alice
      icbox identity use alice
      icbox identity show --json
      icbox identity export alice > alice.pem
    """


@identity.command("new")
@click.argument("name")
@operation
def new(cli: Cli, name: str) -> None:
    """Create identity NAME (a new Ed25519 key, file mode 0600)."""
    _show(cli, _store(cli).new(name))


@identity.command("list")
@operation
def list_(cli: Cli) -> None:
    """Every identity, its principal, and which is the default."""
    infos = _store(cli).list()
    cli.emit(
        {"identities": [i.to_json() for i in infos]},
        lambda: table(
            None,
            ["name", "principal", "default"],
            [[i.name, i.principal, "*" if i.is_default else ""] for i in infos],
        ),
    )


@identity.command("use")
@click.argument("name")
@operation
def use(cli: Cli, name: str) -> None:
    """Make NAME the default identity."""
    _show(cli, _store(cli).use(name))


@identity.command("show")
@click.argument("name", required=False)
@operation
def show(cli: Cli, name: str | None) -> None:
    """The principal and account identifier of NAME (default: the default identity)."""
    _show(cli, _store(cli).info(name or cli.identity))


@identity.command("import")
@click.argument("name")
@click.argument("pem_file", type=click.File("r"))
@operation
def import_(cli: Cli, name: str, pem_file: Any) -> None:
    """Import PEM_FILE (a dfx identity.pem; '-' for stdin) as NAME."""
    _show(cli, _store(cli).import_pem(name, pem_file.read()))


@identity.command("export")
@click.argument("name")
@operation
def export(cli: Cli, name: str) -> None:
    """Print the private key of NAME as PEM (the only command that shows a key)."""
    pem = _store(cli).export_pem(name)
    cli.emit({"name": name, "pem": pem}, lambda: sys.stdout.write(pem))


@identity.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask.")
@operation
def remove(cli: Cli, name: str, yes: bool) -> None:
    """Delete identity NAME and its key file."""
    from tui.cli.common import confirm

    store = _store(cli)
    store.info(name)
    if not confirm(cli, f"Delete the key of {name!r} for good?", yes=yes):
        raise click.Abort
    store.remove(name)
    cli.emit({"removed": name}, lambda: click.echo(f"removed {name}"))
