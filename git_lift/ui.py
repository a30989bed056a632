"""All terminal output: messages, hints, masked diffs, prompts. Data goes to stdout,
everything else to stderr so that `git lift config export > .env` stays clean."""

from __future__ import annotations

import sys

import click

COLOURS = {"add": "green", "change": "yellow", "remove": "red", "hint": "yellow"}
_verbosity = 0


def set_verbosity(level: int) -> None:
    global _verbosity
    _verbosity = level


def out(text: str = "") -> None:
    """Data the user asked for (stdout)."""
    click.echo(text)


def info(text: str) -> None:
    if _verbosity >= 0:
        click.echo(text, err=True)


def detail(text: str) -> None:
    if _verbosity > 0:
        click.echo(text, err=True)


def warn(text: str) -> None:
    click.echo(f"warning: {text}", err=True)


def error(message: str, hint: str | None = None) -> None:
    click.echo(f"error: {message}", err=True)
    if hint:
        click.echo(click.style(f"hint: {hint}", fg=COLOURS["hint"]), err=True)


def hint(text: str) -> None:
    click.echo(click.style(f"hint: {text}", fg=COLOURS["hint"]), err=True)


def diff_lines(lines: list[tuple[str, str]]) -> None:
    for kind, text in lines:
        click.echo(click.style(f"  {text}", fg=COLOURS.get(kind)), err=True)


def interactive() -> bool:
    return sys.stdin.isatty()


def confirm(question: str) -> bool:
    return click.confirm(question, default=False, err=True)


def confirm_by_typing(expected: str) -> bool:
    answer = click.prompt(
        f"Type the environment's name ({expected}) to confirm",
        default="",
        err=True,
        show_default=False,
    )
    return str(answer).strip() == expected


def prompt_secret(key: str) -> str:
    """A value typed without echo (kept out of shell history), or read from piped stdin."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt(f"{key}", hide_input=True, err=True))


def ask(question: str, default: str) -> str:
    """A line of text, `default` when the answer is empty (terminal prompts only)."""
    return str(click.prompt(question, default=default, err=True, show_default=bool(default)))
