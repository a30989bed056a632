"""The root of Repo (repo.py): the pygit2 repository, its folders, and the git program run in
its work tree; with repo_remote.py and repo_export.py, the only modules that use pygit2."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Self

import pygit2

from git_lift import proc
from git_lift.errors import UsageError

# Credentials a remote URL may carry: `scheme://user:token@host/...` (all of the user info
# goes: a token may be the user name) and scp-like `user:password@host:path` (a bare `git@`
# is kept: it is no secret).
URL_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")
SCP_PASSWORD = re.compile(r"^[^/:@]+:[^/]*@(?=[^/:]+:)")


def redact_url(url: str) -> str:
    """A remote URL without the credentials it may hold, fit to print, record or label."""
    return SCP_PASSWORD.sub("", URL_USERINFO.sub(r"\1", url))


class RepoBase:
    """The pygit2 repository, its folders and the git program: what the other parts use."""

    def __init__(self, repository: pygit2.Repository) -> None:
        self._repo = repository

    def reopened(self) -> Self:
        """This repository opened anew, for another thread: a libgit2 object is to be used
        from one thread at a time (libgit2's docs/threading.md), so each thread opens its own."""
        return type(self)(pygit2.Repository(self._repo.path))

    @property
    def workdir(self) -> Path:
        if self._repo.workdir is None:
            raise UsageError(
                "this repository has no work tree (bare)",
                hint="run git lift from a clone with a work tree",
            )
        return Path(self._repo.workdir).resolve()

    @property
    def git_dir(self) -> Path:
        return Path(self._repo.path).resolve()

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

    def remote_url(self, name: str = "origin") -> str | None:
        """The remote's URL without credentials (see redact_url): git lift prints it, labels
        images with it and names services after it, and needs the credentials for none."""
        try:
            return redact_url(str(self._repo.remotes[name].url))
        except (KeyError, IndexError):
            return None

    def has_commit(self, sha: str) -> bool:
        try:
            self._repo[sha].peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError):
            return False
        return True
