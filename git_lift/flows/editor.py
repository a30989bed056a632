"""The git-commit-like editor step, shared by `config edit` and `service edit`.

The text may hold secrets: it lives in a private 0700 folder as a 0600 file and is removed
on every way out, Ctrl-C and SIGTERM included.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from git_lift import proc, ui
from git_lift.errors import LiftError, UsageError
from git_lift.repo import Repo


def write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only, created so from the first byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def interrupt_on_termination() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into KeyboardInterrupt so cleanup code runs for them too."""
    # Read first, set inside the try: a signal landing between two of the sets raises there
    # and must find the finally that puts both back (proc._held reasons the same way).
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        for sig in previous:
            signal.signal(sig, _raise_interrupt)
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def remove_stale_folders() -> None:
    """A SIGKILL leaves no chance to clean up: remove our private folders (named with their
    process id) whose process is gone."""
    for folder in Path(tempfile.gettempdir()).glob("git-lift-edit-*-*"):
        pid = folder.name.split("-")[3]
        if folder.stat().st_uid == os.getuid() and pid.isdigit() and not proc.alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def private_file(filename: str, text: str) -> Iterator[Path]:
    remove_stale_folders()
    # mkdtemp makes it 0700; the process id in the name tells a later run whether it is stale
    folder = Path(tempfile.mkdtemp(prefix=f"git-lift-edit-{os.getpid()}-"))
    path = folder / filename
    try:
        with interrupt_on_termination():
            write_private(path, text)
            yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def editor_for(repo: Repo, instead: str) -> str:
    """The editor to open, as git would choose it. Without a terminal (CI, a pipe) only an
    editor the user named opens, as git runs a configured editor in scripts: git's built-in
    vi would wait for ever on a pipe, and spray escape codes and abort on /dev/null.
    `instead` is the hint: how to make the change without an editor."""
    if not ui.interactive() and not repo.editor_set():
        raise UsageError(
            "there is no terminal to edit in and no editor is set (GIT_EDITOR, core.editor, "
            "VISUAL or EDITOR); nothing was opened",
            hint=instead,
        )
    return repo.editor()


def edit_text(editor: str, text: str, filename: str) -> str:
    """Open `text` in `editor` (from `editor_for`) and return what was saved."""
    with private_file(filename, text) as path:
        # Like git, run the editor through the shell so `core.editor = code --wait` works;
        # the file name travels as an argument, never inside the command string.
        code = proc.run_interactive(["sh", "-c", f'{editor} "$@"', editor, str(path)])
        if code != 0:
            raise LiftError(
                f"the editor ({editor}) exited with code {code}; nothing was changed",
                hint="fix the editor (git config core.editor) and run the command again",
            )
        return path.read_text(encoding="utf-8")
