"""Objects read through one `git cat-file --batch` (repo_read.py): by name, back as (id, type,
bytes), and the entries of a tree object."""

from __future__ import annotations

import threading
import weakref
from pathlib import Path

from git_lift import proc


class Objects:
    """A `git cat-file --batch` process: objects by name, read back as (id, type, bytes).
    Out of the terminal's process group, so that a Ctrl-C leaves it to finish a release's
    record; it ends when this side closes its input."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self._cwd, self._env = cwd, env
        self._process: proc.Process | None = None
        self._lock = threading.Lock()  # one request and its answer at a time

    def read(self, name: str) -> tuple[str, str, bytes] | None:
        if "\n" in name:
            return None
        with self._lock:
            return self._read(name)

    def _read(self, name: str) -> tuple[str, str, bytes] | None:
        for attempt in (1, 2):
            try:
                return self._ask(name)
            except (OSError, ValueError):  # the process went away: start another once
                self.close()
                if attempt == 2:
                    raise
        return None  # pragma: no cover - the loop returns or raises

    def _ask(self, name: str) -> tuple[str, str, bytes] | None:
        process = self.start()
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(name.encode() + b"\n")
        process.stdin.flush()
        header = process.stdout.readline()
        if not header:
            raise ValueError("git cat-file ended")
        parts = header.split()
        if len(parts) != 3:  # `<name> missing`, `<name> ambiguous`
            return None
        data = process.stdout.read(int(parts[2]))
        process.stdout.read(1)  # the newline after the contents
        return parts[0].decode(), parts[1].decode(), data

    def start(self) -> proc.Process:
        if self._process is None:
            self._process = proc.start_pipe(
                ["git", "cat-file", "--batch"], cwd=str(self._cwd), env=self._env
            )
            weakref.finalize(self, proc.close_pipe, self._process)
        return self._process

    def close(self) -> None:
        if self._process is not None:
            proc.close_pipe(self._process)
            self._process = None


def tree_entry(tree: bytes, name: str, id_length: int) -> tuple[str, str] | None:
    """(mode, id) of `name` in a tree object's bytes (`<mode> <name>\\0<raw id>` each)."""
    wanted, at = name.encode(), 0
    while at < len(tree):
        space = tree.index(b" ", at)
        nul = tree.index(b"\0", space)
        end = nul + 1 + id_length
        if tree[space + 1 : nul] == wanted:
            return tree[at:space].decode(), tree[nul + 1 : end].hex()
        at = end
    return None
