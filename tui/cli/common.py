"""What every icbox command shares: the global options, the output, and the exit codes.

`@operation` gives a command `--network`, `--identity` and `--json`, opens a
`Session` lazily when the command asks for it, and turns every expected
failure into one line (or, with `--json`, one JSON document on stderr) and
its exit code: 1 bad usage, 2 network unreachable or certificate invalid,
3 refused by a canister. No traceback reaches a person for those.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tui.ops.errors import EXIT_USAGE, OpsError

if TYPE_CHECKING:
    from tui.ops.session import Session

F = TypeVar("F", bound=Callable[..., Any])


class Cli:
    """The options of one invocation and the session it opens on first use."""

    def __init__(
        self, *, directory: Path, network: str | None, identity: str | None, as_json: bool
    ) -> None:
        self.directory = directory
        self.network = network
        self.identity = identity
        self.as_json = as_json
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            from tui.ops.session import Session

            self._session = Session.open(self.network, self.identity, directory=self.directory)
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    def emit(self, document: Any, render: Callable[[], object] | None = None) -> None:
        """`document` as JSON with --json; otherwise `render()` (or the document, plainly)."""
        if self.as_json:
            click.echo(json.dumps(document, default=str))
        elif render is not None:
            render()
        else:
            click.echo(json.dumps(document, indent=2, default=str))

    def say(self, text: str) -> None:
        """A line for a person: on stdout without --json, on stderr with it (stdout stays JSON)."""
        click.echo(text, err=self.as_json)


def fail(error: OpsError, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(error.to_json()), err=True)
    else:
        click.secho(f"error: {error.message}", err=True, fg="red")
    sys.exit(error.exit_code)


def operation(function: F) -> F:
    """A leaf command with --network/--identity/--json, run with a `Cli` as its first argument."""

    @click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print one JSON document on stdout (errors as JSON on stderr).",
    )
    @click.option(
        "--identity",
        "identity",
        default=None,
        metavar="NAME",
        help="Identity to sign with (default: `icbox identity use`, else the local network's).",
    )
    @click.option(
        "--network",
        "network",
        default=None,
        metavar="NETWORK",
        help="'local' (the network in .icbox/), a replica URL, or a name in networks.json.",
    )
    def wrapper(
        ctx: click.Context,
        /,
        *args: Any,
        network: str | None,
        identity: str | None,
        as_json: bool,
        **kwargs: Any,
    ) -> Any:
        root = ctx.find_root().params
        cli = Cli(
            directory=Path(root.get("directory") or "."),
            network=network or root.get("network"),
            identity=identity or root.get("identity"),
            as_json=as_json or bool(root.get("as_json")),
        )
        try:
            return function(cli, *args, **kwargs)
        except OpsError as error:
            fail(error, cli.as_json)
        except click.ClickException:
            raise
        except (KeyboardInterrupt, click.Abort):
            click.echo("interrupted", err=True)
            sys.exit(EXIT_USAGE)
        finally:
            cli.close()

    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return click.pass_context(wrapper)  # type: ignore[return-value]


def confirm(cli: Cli, question: str, *, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise OpsError(
            "not confirmed: give --yes to confirm without a terminal (or --dry-run to only preview)"
        )
    return click.confirm(question, default=False, err=cli.as_json)


def console() -> Any:
    """A Rich console; wide when the output is not a terminal, so piped tables keep whole ids."""
    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=200)


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.table import Table

    shown = Table(title=title, show_lines=False)
    for column in columns:
        shown.add_column(column, overflow="fold")
    for row in rows:
        shown.add_row(*["" if cell is None else str(cell) for cell in row])
    console().print(shown)
