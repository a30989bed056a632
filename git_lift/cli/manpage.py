"""Render the click help of every command as the git-lift(1) man page.

`git lift --help` is turned by git into `git help lift`, which opens `man git-lift`;
the page is generated from the same help `git lift -h` prints, so the two never drift.
Regenerate with: python -m git_lift.cli.manpage > man/man1/git-lift.1
"""

from __future__ import annotations

import click

from git_lift import __version__
from git_lift.cli import cli


def _escape(text: str) -> str:
    lines = []
    for line in text.replace("\\", "\\e").splitlines():
        lines.append("\\&" + line if line.startswith((".", "'")) else line)
    return "\n".join(lines)


def _sections(command: click.Command, path: list[str]) -> list[str]:
    click_ctx = click.Context(
        command, info_name=" ".join(path), max_content_width=78, help_option_names=["-h", "--help"]
    )
    parts = [f'.SS "{" ".join(path)}"', ".nf", _escape(command.get_help(click_ctx)), ".fi"]
    if isinstance(command, click.Group):
        for name in command.list_commands(click_ctx):
            sub = command.get_command(click_ctx, name)
            if sub is not None and not sub.hidden:
                parts += _sections(sub, [*path, name])
    return parts


def render() -> str:
    header = [
        f'.TH GIT-LIFT 1 "" "git-lift {__version__}" "Git Manual"',
        ".SH NAME",
        "git-lift \\- ship dockerized services to AWS ECS with git",
        ".SH SYNOPSIS",
        ".B git lift",
        "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...",
        ".SH COMMANDS",
    ]
    return "\n".join([*header, *_sections(cli, ["git", "lift"])]) + "\n"


if __name__ == "__main__":
    click.echo(render(), nl=False)
