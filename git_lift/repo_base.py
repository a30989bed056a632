"""The root of Repo (repo.py): where the repository is, its folders, the git program run in
its work tree, and pygit2, opened on first use; with repo_read.py, repo_remote.py and
repo_export.py, the only modules that use pygit2.

pygit2 costs a fifth of a second to import on a busy machine (it loads ssl): what a hook
reads goes through the git program (repo_read.py), and pygit2 is loaded only by what needs
it (the build's export, the work tree's status...).
"""

from __future__ import annotations

import importlib
import os
import re
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from git_lift import proc
from git_lift.errors import UsageError
from git_lift.records import record

if TYPE_CHECKING:
    import pygit2 as pygit2
else:

    class _OnFirstUse:
        """pygit2, imported when one of its names is first looked up."""

        def __getattr__(self, name: str) -> Any:
            return getattr(importlib.import_module("pygit2"), name)

    pygit2 = _OnFirstUse()

# Credentials a remote URL may carry: `scheme://user:token@host/...` (all of the user info
# goes: a token may be the user name) and scp-like `user:password@host:path` (a bare `git@`
# is kept: it is no secret).
URL_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")
SCP_PASSWORD = re.compile(r"^[^/:@]+:[^/]*@(?=[^/:]+:)")


def redact_url(url: str) -> str:
    """A remote URL without the credentials it may hold, fit to print, record or label."""
    return SCP_PASSWORD.sub("", URL_USERINFO.sub(r"\1", url))


@record(frozen=True)
class Found:
    """Where a repository is: its git folder and its work tree (None when bare)."""

    git_dir: Path
    workdir: Path | None


class RepoBase:
    """The repository's folders, the git program, and pygit2 when a part needs it. Built
    around an open pygit2 repository (tests) or from where `find` says the repository is."""

    def __init__(
        self, repository: pygit2.Repository | None = None, *, found: Found | None = None
    ) -> None:
        if repository is not None:
            self.__dict__["_repo"] = repository
            workdir = repository.workdir
            found = Found(
                Path(repository.path).resolve(), Path(workdir).resolve() if workdir else None
            )
        if found is None:
            raise ValueError("a Repo needs a pygit2 repository or where one was found")
        self._found = found

    @cached_property
    def _repo(self) -> pygit2.Repository:
        return pygit2.Repository(str(self._found.git_dir))

    def reopened(self) -> Self:
        """This repository opened anew, for another thread: a libgit2 object is to be used
        from one thread at a time (libgit2's docs/threading.md), so each thread opens its own."""
        return type(self)(found=self._found)

    @property
    def workdir(self) -> Path:
        if self._found.workdir is None:
            raise UsageError(
                "this repository has no work tree (bare)",
                hint="run git lift from a clone with a work tree",
            )
        return self._found.workdir

    @property
    def git_dir(self) -> Path:
        return self._found.git_dir

    def git(
        self,
        *args: str,
        check: bool = True,
        input_text: str | None = None,
        own_session: bool = False,
        env: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> proc.Result:
        """Run the git program in this work tree, outside any hook's GIT_* variables."""
        return proc.run(
            ["git", *args],
            cwd=str(self.workdir),
            env=proc.clean_env(env, drop_git=True),
            check=check,
            input_text=input_text,
            own_session=own_session,
            timeout=timeout,
        )

    def has_commit(self, sha: str) -> bool:
        try:
            self._repo[sha].peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError):
            return False
        return True


def find(start: str, *, hook: bool = False) -> Found | None:
    """Where the repository holding `start` is (None: there is none), as git finds it. Inside
    a hook git names it in GIT_DIR, whatever the folder the hook runs in; without GIT_DIR, git
    runs a hook at the top of the work tree (githooks(5)), so a `.git` folder there is it."""
    named = os.environ.get("GIT_DIR")
    if named:
        return _named(Path(os.path.abspath(named)))
    top = Path(start)
    if hook and (top / ".git" / "HEAD").is_file():
        return Found((top / ".git").resolve(), top.resolve())
    found = proc.run(
        ["git", "rev-parse", "--absolute-git-dir", "--is-bare-repository", "--show-toplevel"],
        cwd=start,
        env=proc.clean_env(drop_git=True),
        check=False,
    )
    lines = found.stdout.splitlines()
    if found.returncode == 0 and len(lines) == 3:
        return Found(Path(lines[0]).resolve(), Path(lines[2]).resolve())
    if len(lines) == 2 and lines[1] == "true":
        return Found(Path(lines[0]).resolve(), None)
    if "not a git repository" in found.stderr:
        return None
    return _by_pygit2(start)  # somewhere odd (inside .git): as pygit2 finds it


def _named(git_dir: Path) -> Found:
    """The repository GIT_DIR names: a linked worktree's folder says where its work tree is
    (`gitdir`, the path of the work tree's `.git` file); other cases as pygit2 opens them."""
    pointer = git_dir / "gitdir"
    if pointer.is_file() and (git_dir / "commondir").is_file():
        return Found(git_dir.resolve(), Path(pointer.read_text().strip()).parent.resolve())
    try:
        return RepoBase(pygit2.Repository(str(git_dir)))._found
    except pygit2.GitError as exc:
        raise UsageError(str(exc)) from exc


def _by_pygit2(start: str) -> Found | None:
    try:
        path = pygit2.discover_repository(start)
    except pygit2.GitError as exc:
        raise UsageError(str(exc)) from exc
    return None if path is None else RepoBase(pygit2.Repository(path))._found
