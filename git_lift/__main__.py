"""Entry point: `git-lift`, `git lift` and `python -m git_lift`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from git_lift.errors import INTERRUPTED, LiftError

if TYPE_CHECKING:
    from git_lift.flows.context import Context


def main(argv: Sequence[str] | None = None) -> int:
    from git_lift import ui

    try:
        hook = hook_line(list(sys.argv[1:] if argv is None else argv))
        if hook is not None:
            return hook()
        from git_lift.cli.entry import run

        return run(argv)
    except KeyboardInterrupt:
        ui.error("interrupted")
        return INTERRUPTED
    except LiftError as exc:
        ui.error(exc.message, hint=exc.hint)
        return exc.exit_code
    except Exception as exc:
        from git_lift.crash import report

        return report(exc)


def hook_line(args: list[str]) -> Callable[[], int] | None:
    """The hooks' own lines (`hook pre-commit -- FILES...`, `hook pre-push [--from-pre-commit]
    -- REMOTE URL`) run without click, whose import is a quarter of a hook's floor; any other
    line, any other option, goes to click, which parses it as it always has (None)."""
    if args[:1] != ["hook"] or args[1:2] not in (["pre-commit"], ["pre-push"]):
        return None
    rest = args[2:]
    ended = rest.index("--") if "--" in rest else len(rest)
    flags, words = rest[:ended], rest[ended + 1 :]
    framework = "--from-pre-commit" in flags and args[1] == "pre-push"
    flags = [flag for flag in flags if not (framework and flag == "--from-pre-commit")]
    if any(flag.startswith("-") for flag in flags):
        return None
    words = flags + words
    from git_lift.commands import hook_checks as command
    from git_lift.flows.context import load
    from git_lift.options import Options

    def context() -> Context:
        return load(Options(), hook=True)

    if args[1] == "pre-commit":
        return lambda: command.run_pre_commit(context, words)
    if len(words) > 2:
        return None
    remote = words[0] if words else None
    return lambda: command.run_pre_push(context, sys.stdin, framework=framework, remote=remote)


def exit_now(code: int) -> None:
    """Flush what was written and end the process without the interpreter's teardown (a
    fifth of a second of module and object finalisation that nothing here needs: every
    file is closed and every thread joined by the time main returns). A Ctrl-C from now on
    has nothing left to stop (git forwards the terminal's to us: it may come twice)."""
    import contextlib
    import os
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)


def console_main() -> None:
    from git_lift.flows.interrupts import process_ends_with_the_command

    process_ends_with_the_command()
    try:
        code = main()
    except KeyboardInterrupt:  # a second Ctrl-C while the first was being reported
        code = INTERRUPTED
    exit_now(code)


if __name__ == "__main__":
    console_main()
