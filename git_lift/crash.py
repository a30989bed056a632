"""Internal errors: the traceback goes to a private log file, the user gets its path."""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path

from git_lift.errors import INTERNAL


def log_folder() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "git-lift"


def report(exc: BaseException) -> int:
    from git_lift import ui

    folder = log_folder()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("".join(traceback.format_exception(exc)))
    ui.error(
        f"internal error ({type(exc).__name__}); the traceback is in {path}",
        hint="report it with that file attached",
    )
    return INTERNAL
