"""`icbox completion SHELL`: the script that makes the shell complete icbox's commands."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the completion script of SHELL.

    \\b
    Examples:
      eval "$(icbox completion bash)"      in ~/.bashrc
      icbox completion fish > ~/.config/fish/completions/icbox.fish
    """
    from tui.cli import main

    completer = get_completion_class(shell)
    if completer is None:
        raise click.UsageError(f"no completion for {shell}")
    click.echo(completer(main, {}, "icbox", "_ICBOX_COMPLETE").source())
