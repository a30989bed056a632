"""Run the click group and say what click raised in the project's own terms, so that
__main__.main stays the one place that turns errors into exit codes."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from git_lift.cli import cli
from git_lift.cli.usage import plain


def run(argv: Sequence[str] | None) -> int:
    """A bad flag becomes UsageError (worded by cli/usage.py), click's Abort (Ctrl-C at a
    prompt) KeyboardInterrupt; `--help` and `--version` end in click's Exit, whose code is
    returned."""
    try:
        result = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="git lift",
            standalone_mode=False,
        )
    except click.exceptions.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else command_path(argv)
        raise plain(exc, where) from None
    except click.exceptions.Abort:
        # Ctrl-C (or the end of stdin) at a prompt: the cursor is still on the prompt's line,
        # so end it as click's own Abort does, and `error: interrupted` starts a line.
        click.echo(err=True)
        raise KeyboardInterrupt from None
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return result if isinstance(result, int) else 0


def command_path(argv: Sequence[str] | None) -> str:
    """The command the words of `argv` name (`git lift config set`): click's parser raises
    "Option '-e' requires an argument" without the context that knows it."""
    words = ["git lift"]
    command: click.Command = cli
    for word in argv if argv is not None else sys.argv[1:]:
        sub = command.commands.get(word) if isinstance(command, click.Group) else None
        if sub is not None:
            words.append(word)
            command = sub
    return " ".join(words)
