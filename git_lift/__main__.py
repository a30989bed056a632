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


def console_main() -> None:
    raise SystemExit(main())


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
