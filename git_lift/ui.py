"""All terminal output: messages, hints, masked diffs, prompts. Data goes to stdout,
everything else to stderr so that `git lift config export > .env` stays clean.

click is imported only for what needs it (colour, prompts): a plain line is written as
click.echo would write it, so that a hook with nothing to say in colour never loads click
(a fifth of the hook's floor)."""

from __future__ import annotations

import os
import select
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

COLOURS = {"add": "green", "change": "yellow", "remove": "red", "hint": "yellow"}
CLEAR_LINE = "\r\033[K"
_verbosity = 0
_live_line: str | None = None  # the progress line a terminal shows under the messages
STDIN_WAIT = 20.0  # seconds a bare `config set KEY` waits for its value on a pipe


def _echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """click.echo: text with an escape sequence goes through click (which strips colour
    where the stream is no terminal); plain text, which click would write unchanged, is
    written here."""
    if "\033" in text:
        import click

        click.echo(text, err=err, nl=nl)
        return
    stream: IO[str] | None = sys.stderr if err else sys.stdout
    if stream is None:  # no stream at all (click says nothing either)
        return
    stream.write(f"{text}\n" if nl else text)
    stream.flush()


def _style(text: str, fg: str | None) -> str:
    import click

    return click.style(text, fg=fg)


def _emit(text: str) -> None:
    """One message line on stderr, kept above a live progress line if one is showing."""
    if _live_line is None:
        _echo(text, err=True)
        return
    _echo(f"{CLEAR_LINE}{text}", err=True)
    _echo(_live_line, err=True, nl=False)


def progress(text: str) -> None:
    """A line that a terminal rewrites in place; elsewhere (CI logs) a plain line."""
    global _live_line
    if not sys.stderr.isatty():
        _emit(text)
        return
    _live_line = text
    _echo(f"{CLEAR_LINE}{text}", err=True, nl=False)


def progress_done() -> None:
    """Leave the last progress line on screen and go on below it."""
    global _live_line
    if _live_line is not None:
        _live_line = None
        _echo("", err=True)


def set_verbosity(level: int) -> None:
    global _verbosity
    _verbosity = level


@contextmanager
def quiet() -> Iterator[None]:
    """Messages held back during the block (warnings and errors are not): a read that runs a
    flow whose messages narrate a ship (`status` asking what a ship would release)."""
    global _verbosity
    before, _verbosity = _verbosity, -1
    try:
        yield
    finally:
        _verbosity = before


def out(text: str = "") -> None:
    """Data the user asked for (stdout)."""
    _echo(text)


def info(text: str) -> None:
    if _verbosity >= 0:
        _emit(text)


def detail(text: str) -> None:
    if _verbosity > 0:
        _emit(text)


def warn(text: str) -> None:
    _emit(f"warning: {text}")


def error(message: str, hint: str | None = None) -> None:
    progress_done()
    _emit(f"error: {message}")
    if hint:
        _emit(_style(f"hint: {hint}", COLOURS["hint"]))


def hint(text: str) -> None:
    _emit(_style(f"hint: {text}", COLOURS["hint"]))


def diff_lines(lines: list[tuple[str, str]]) -> None:
    for kind, text in lines:
        _emit(_style(f"  {text}", COLOURS.get(kind)))


def interactive() -> bool:
    return sys.stdin.isatty()


@contextmanager
def prompted(refused: str, hint: str) -> Iterator[None]:
    """Around a prompt whose caller knows what Ctrl-C there leaves undone (`refused`:
    "nothing was written"): said with the fix, exit 130. click turns Ctrl-C (and the end of
    input) at a prompt into Abort with the cursor still on the prompt's line: end it first."""
    import click

    from git_lift.errors import Interrupted

    try:
        yield
    except (click.exceptions.Abort, KeyboardInterrupt):
        _echo("", err=True)
        raise Interrupted(f"interrupted at the prompt; {refused}", hint=hint) from None


def confirm(question: str) -> bool:
    import click

    return click.confirm(question, default=False, err=True)


def confirm_by_typing(expected: str, what: str = "environment") -> bool:
    import click

    answer = click.prompt(
        f"Type the {what}'s name ({expected}) to confirm",
        default="",
        err=True,
        show_default=False,
    )
    return str(answer).strip() == expected


def prompt_secret(key: str) -> str | None:
    """A value typed without echo (kept out of shell history), or the next line of stdin
    when it is not a terminal; None when no line came within STDIN_WAIT seconds (a CI
    runner's stdin can be a pipe nobody writes to nor closes)."""
    if sys.stdin.isatty():
        import click

        return str(click.prompt(f"{key}", hide_input=True, err=True))
    line = read_line(sys.stdin.fileno(), STDIN_WAIT)
    return None if line is None else line.decode("utf-8", "replace").rstrip("\n")


def read_line(fd: int, timeout: float) -> bytes | None:
    """One line of `fd` (what came before its end, at the end), or None after `timeout`
    seconds without it. Byte by byte: what follows the line is the next reader's."""
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        byte = os.read(fd, 1)
        if not byte:
            break
        line += byte
    return line


def ask(question: str, default: str) -> str:
    """A line of text, `default` when the answer is empty (terminal prompts only)."""
    import click

    return str(click.prompt(question, default=default, err=True, show_default=bool(default)))


def when(timestamp: float) -> str:
    """A moment as every listing shows it: local time to the minute."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def can_open_browser() -> bool:
    """A terminal someone looks at, or a BROWSER the user named (`git lift open`)."""
    return sys.stdout.isatty() or bool(os.environ.get("BROWSER"))


def open_browser(url: str) -> bool:
    """Open `url` with the user's browser (BROWSER, else the desktop's); False when none."""
    import webbrowser

    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False
