"""Entry point: `git-lift`, `git lift` and `python -m git_lift`."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from git_lift.errors import INTERRUPTED, USAGE, LiftError


def main(argv: Sequence[str] | None = None) -> int:
    import click

    from git_lift import ui
    from git_lift.cli import cli

    try:
        result = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="git lift",
            standalone_mode=False,
        )
    except click.exceptions.UsageError as exc:
        ui.error(
            exc.format_message(),
            hint=f"see: {exc.ctx.command_path + ' ' if exc.ctx else 'git lift '}-h",
        )
        return USAGE
    except (KeyboardInterrupt, click.exceptions.Abort):
        ui.error("interrupted")
        return INTERRUPTED
    except LiftError as exc:
        ui.error(exc.message, hint=exc.hint)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except Exception as exc:
        from git_lift.crash import report

        return report(exc)
    return result if isinstance(result, int) else 0


def exit_now(code: int) -> None:
    """Flush what was written and end the process without the interpreter's teardown (a
    fifth of a second of module and object finalisation that nothing here needs: every
    file is closed and every thread joined by the time main returns)."""
    import contextlib
    import os

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)


def console_main() -> None:
    exit_now(main())


if __name__ == "__main__":
    exit_now(main(sys.argv[1:]))
