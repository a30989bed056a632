"""All git access: discovery, HEAD, dirtiness, blobs, the index, config. Repo is the one
door; what it reads through the git program (HEAD, config, branches, files at a commit or
staged) is in repo_read.py, its remote and release refs in repo_remote.py, the build's export
in repo_export.py and its root (folders, pygit2 on first use) in repo_base.py.
"""

from __future__ import annotations

import os
from pathlib import Path

from git_lift.errors import LiftError, UsageError
from git_lift.repo_base import find, pygit2
from git_lift.repo_base import redact_url as redact_url
from git_lift.repo_export import TreeExport
from git_lift.repo_read import ZERO_SHA as ZERO_SHA
from git_lift.repo_read import ConfigEntry as ConfigEntry
from git_lift.repo_read import parse_config_list as parse_config_list
from git_lift.repo_read import read_config_file as read_config_file
from git_lift.repo_remote import RemoteRefs


class Repo(RemoteRefs, TreeExport):
    """A git repository with a work tree: what git lift reads from it and writes to it. Its
    reads through git are in repo_read.py, the remote's and the release's refs in
    repo_remote.py, the build's export in repo_export.py, the root (folders, the git program,
    pygit2) in repo_base.py."""

    @classmethod
    def discover(
        cls, start: str | None = None, *, snapshot: bool = False, with_config: str | None = None
    ) -> Repo:
        """The repository holding `start` (the current folder). `snapshot`: a hook, during
        which git holds its lock: its config and branches are read once, and the work tree's
        `with_config` file with its config (repo_read.py)."""
        where = start or os.getcwd()
        found = find(where, hook=snapshot)
        if found is None:
            raise UsageError(
                f"not a git repository (or any parent): {where}",
                hint="run git lift inside a clone of your service (or `git init` one)",
            )
        return cls(found=found, snapshot=snapshot, with_config=with_config)

    @property
    def common_dir(self) -> Path:
        """The folder shared by all worktrees (hooks, config live there)."""
        commondir = self.git_dir / "commondir"
        if commondir.exists():
            return (self.git_dir / commondir.read_text().strip()).resolve()
        return self.git_dir

    def dirty_files(self) -> list[str]:
        """Tracked files that differ from HEAD (untracked files do not count)."""
        status = self._repo.status(untracked_files="no")
        return sorted(path for path, flags in status.items() if flags != pygit2.GIT_STATUS_CURRENT)

    def full_ref(self, revision: str) -> str | None:
        """The full ref name of a branch or tag name (`main` -> `refs/heads/main`)."""
        for candidate in (revision, f"refs/heads/{revision}", f"refs/tags/{revision}"):
            if candidate in self._repo.references:
                return candidate
        return None

    def is_ignored(self, path: str) -> bool:
        """Whether git ignores a work-tree path (.gitignore, info/exclude, core.excludesFile)."""
        return bool(self._repo.path_is_ignored(path))

    def hooks_dir(self) -> Path:
        """Where git looks for hooks: core.hooksPath if set, else the common git dir's hooks/."""
        found = self.git("rev-parse", "--git-path", "hooks").stdout.strip()
        return (self.workdir / found).resolve()

    def set_config_entries(self, path: Path, entries: list[tuple[str, str]]) -> None:
        """Set (replace) entries of a git-config-syntax file such as .gitlift."""
        for key, value in entries:
            self.git("config", "-f", str(path), key, value)

    def add_config_entries(self, path: Path, entries: list[tuple[str, str]]) -> None:
        """Append entries to a git-config-syntax file such as .gitlift, as git writes them."""
        for key, value in entries:
            self.git("config", "-f", str(path), "--add", key, value)

    def diff_to_head(self) -> str:
        """The work tree's changes against HEAD, as a patch."""
        return self.git("diff", "HEAD").stdout

    def commits_between(self, since: str, until: str) -> int | None:
        """How many commits `until` has that `since` lacks; None when one does not resolve."""
        found = self.git("rev-list", "--count", f"{since}..{until}", check=False)
        return int(found.stdout.strip()) if found.returncode == 0 else None

    def oneline_log(self, since: str, until: str, paths: tuple[str, ...] = ()) -> list[str]:
        """`git log --oneline since..until`, limited to commits touching `paths` when given."""
        limit = ["--", *paths] if paths else []
        found = self.git("log", "--oneline", f"{since}..{until}", *limit, check=False)
        return found.stdout.splitlines()

    def subject(self, commit_sha: str) -> str | None:
        """A commit's subject line, None when it is not in this repository."""
        found = self.git("log", "-1", "--format=%s", commit_sha, check=False)
        return found.stdout.strip() or None

    def editor(self) -> str:
        """The editor git itself would use (GIT_EDITOR, core.editor, VISUAL, EDITOR, vi)."""
        result = self.git("var", "GIT_EDITOR", check=False)
        if result.returncode != 0 or not result.stdout.strip():
            raise LiftError("git found no editor", hint="git config --global core.editor nano")
        return result.stdout.strip()

    def editor_set(self) -> bool:
        """Whether the user named an editor (GIT_EDITOR, core.editor, VISUAL, EDITOR), rather
        than git falling back to its built-in vi."""
        if any(os.environ.get(name) for name in ("GIT_EDITOR", "VISUAL", "EDITOR")):
            return True
        return bool(self.git("config", "core.editor", check=False).stdout.strip())
