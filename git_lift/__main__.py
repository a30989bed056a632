"""Entry point: `git-lift`, `git lift` and `python -m git_lift`."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from git_lift.errors import INTERRUPTED, LiftError


def main(argv: Sequence[str] | None = None) -> int:
    from git_lift import ui
    from git_lift.cli.entry import run

    try:
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
    try:
        code = main()
    except KeyboardInterrupt:  # a second Ctrl-C while the first was being reported
        code = INTERRUPTED
    exit_now(code)


if __name__ == "__main__":
    console_main()
