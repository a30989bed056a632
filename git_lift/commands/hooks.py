"""`git lift hooks install|uninstall`: the raw git hooks, chained with whatever is there
(flows/hook_shims.py says how: nothing is ever overwritten)."""

from __future__ import annotations

import sys
from pathlib import Path

from git_lift.flows.hook_shims import install_hooks, uninstall_hooks, write_shims
from git_lift.repo import Repo


def install(repo: Repo, python: str = sys.executable) -> int:
    install_hooks(repo, python)
    return 0


def uninstall(repo: Repo) -> int:
    uninstall_hooks(repo)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Write the shims into a folder: `python -m git_lift.commands.hooks hooks`."""
    args = sys.argv[1:] if argv is None else argv
    write_shims(Path(args[0] if args else "hooks"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
