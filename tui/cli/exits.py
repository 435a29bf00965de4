"""The exit codes of `icbox`, whatever goes wrong.

Click's own conventions (usage errors exit 2) are mapped onto icbox's: 1 for
bad usage, 2 only for an unreachable network. With `--json` anywhere on the
command line, a usage error is also one JSON document on stderr.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from tui.ops.errors import EXIT_USAGE, NetworkUnreachable, UsageError


def run_main(main: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    given = args[0] if args else kwargs.get("args")
    as_json = "--json" in (sys.argv[1:] if given is None else list(given))
    kwargs["standalone_mode"] = False
    kwargs.setdefault("prog_name", "icbox")
    try:
        result = main(*args, **kwargs)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        if as_json:
            click.echo(
                json.dumps(UsageError(error.format_message(), kind=type(error).__name__).to_json()),
                err=True,
            )
        else:
            error.show()
        sys.exit(EXIT_USAGE)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_USAGE)
    except (ConnectionError, TimeoutError) as error:
        click.echo(f"error: the network is unreachable: {error}", err=True)
        sys.exit(NetworkUnreachable.exit_code)
    except Exception as error:
        # A fault of icbox itself: one line, and the traceback only when asked for.
        if os.environ.get("ICBOX_DEBUG"):
            raise
        message = (
            f"internal error: {type(error).__name__}: {error} (set ICBOX_DEBUG=1 for the traceback)"
        )
        if as_json:
            click.echo(
                json.dumps(
                    {"error": {"kind": "InternalError", "message": message, "exit_code": 1}}
                ),
                err=True,
            )
        else:
            click.echo(f"error: {message}", err=True)
        sys.exit(EXIT_USAGE)
    sys.exit(result if isinstance(result, int) else 0)
