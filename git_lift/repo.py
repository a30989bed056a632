"""All git access through pygit2: discovery, HEAD, dirtiness, blobs, the index, config. Repo
is the one door; its remote and release refs (repo_remote.py), the build's export
(repo_export.py) and its root (repo_base.py) are the other modules allowed pygit2.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

import pygit2

from git_lift import envfile
from git_lift.errors import LiftError, UsageError, ValidationError
from git_lift.repo_base import redact_url as redact_url
from git_lift.repo_export import TreeExport
from git_lift.repo_remote import RemoteRefs

ZERO_SHA = "0" * 40


@dataclass(frozen=True)
class ConfigEntry:
    name: str
    value: str


def read_config_file(path: Path) -> list[ConfigEntry]:
    """Entries of a git-config-syntax file such as .gitlift; malformed -> error with its line."""
    try:
        config = pygit2.Config(str(path))
        return [ConfigEntry(entry.name, entry.value or "") for entry in config]
    except (pygit2.GitError, ValueError) as exc:
        text = str(exc)
        line = re.search(r":(\d+)(, column \d+)?\)\s*$", text)
        what = re.sub(r"^failed to parse config file: ", "", text.split(" (in ")[0]).strip()
        where = f" at line {line.group(1)}" if line else ""
        raise UsageError(
            f"{path.name} is malformed{where}: {what}",
            hint=f"fix it, then check it with: git config -f {path.name} --list",
        ) from exc


def parse_config_list(output: str) -> list[ConfigEntry]:
    """`git config --list -z` output: `name\nvalue` records separated by NUL."""
    entries = []
    for record in output.split("\0"):
        if record:
            name, _, value = record.partition("\n")
            entries.append(ConfigEntry(name, value))
    return entries


class Repo(RemoteRefs, TreeExport):
    """A git repository with a work tree: what git lift reads from it and writes to it. The
    remote's and the release's refs are in repo_remote.py, the build's export in
    repo_export.py, the root (folders, the git program) in repo_base.py."""

    @classmethod
    def discover(cls, start: str | None = None) -> Repo:
        # Inside a hook git exports GIT_DIR; honour it so linked worktrees resolve correctly.
        git_dir = os.environ.get("GIT_DIR")
        try:
            if git_dir:
                return cls(pygit2.Repository(git_dir))
            found = pygit2.discover_repository(start or os.getcwd())
        except pygit2.GitError as exc:
            raise UsageError(str(exc)) from exc
        if found is None:
            raise UsageError(
                f"not a git repository (or any parent): {start or os.getcwd()}",
                hint="run git lift inside a clone of your service (or `git init` one)",
            )
        return cls(pygit2.Repository(found))

    @property
    def common_dir(self) -> Path:
        """The folder shared by all worktrees (hooks, config live there)."""
        commondir = self.git_dir / "commondir"
        if commondir.exists():
            return (self.git_dir / commondir.read_text().strip()).resolve()
        return self.git_dir

    def head_sha(self) -> str:
        if self._repo.head_is_unborn:
            raise ValidationError(
                "this repository has no commits yet",
                hint="commit your service first: git add -A && git commit -m 'Initial commit'",
            )
        return str(self._repo.head.target)

    def branch(self) -> str | None:
        """The current branch's short name, or None on a detached HEAD."""
        if self._repo.head_is_detached:
            return None
        return self._repo.head.shorthand if not self._repo.head_is_unborn else None

    def head_ref(self) -> str | None:
        if self._repo.head_is_detached or self._repo.head_is_unborn:
            return None
        return self._repo.head.name

    def dirty_files(self) -> list[str]:
        """Tracked files that differ from HEAD (untracked files do not count)."""
        status = self._repo.status(untracked_files="no")
        return sorted(path for path, flags in status.items() if flags != pygit2.GIT_STATUS_CURRENT)

    def resolve(self, revision: str) -> str:
        """A commit's full sha from any revision (branch, tag, sha prefix)."""
        try:
            obj = self._repo.revparse_single(revision)
            commit = obj.peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError) as exc:
            raise UsageError(
                f"unknown revision {revision!r}", hint="name a branch, tag or commit that exists"
            ) from exc
        return str(commit.id)

    def full_ref(self, revision: str) -> str | None:
        """The full ref name of a branch or tag name (`main` -> `refs/heads/main`)."""
        for candidate in (revision, f"refs/heads/{revision}", f"refs/tags/{revision}"):
            if candidate in self._repo.references:
                return candidate
        return None

    def read_file_at(self, commit_sha: str, path: str) -> str | None:
        """A file's text as committed, or None when it is not there. A committed symlink is
        refused: its target is a path on the reader's machine, not the commit's content."""
        tree = self._repo[commit_sha].peel(pygit2.Tree)
        try:
            entry = tree[path]
        except KeyError:
            return None
        if entry.filemode == pygit2.GIT_FILEMODE_LINK:
            raise ValidationError(
                f"{path} is a symbolic link at {commit_sha[:12]}",
                hint=f"commit {path} as a regular file",
            )
        blob = self._repo[entry.id]
        return envfile.decode(blob.data, path) if isinstance(blob, pygit2.Blob) else None

    def merge_base(self, one: str, other: str) -> str | None:
        """The best common ancestor of two commits; None when either is unknown here or they
        share no history."""
        try:
            found = self._repo.merge_base(one, other)
        except (KeyError, ValueError, pygit2.GitError):
            return None
        return str(found) if found is not None else None

    def blob_id_at(self, commit_sha: str, path: str) -> str | None:
        """The id of a file's blob as committed (None when absent): equal ids, equal files."""
        try:
            return str(self._repo[commit_sha].peel(pygit2.Tree)[path].id)
        except (KeyError, ValueError, pygit2.GitError):
            return None

    def tree_id_at(self, commit_sha: str, path: str) -> str | None:
        """The id of a folder's tree as committed (`.`: the whole commit's); None when there
        is no such folder. Equal ids, equal files: an image built from one is built from both."""
        tree = self._repo[commit_sha].peel(pygit2.Tree)
        path = posixpath.normpath(path.strip("/") or ".")
        if path == ".":
            return str(tree.id)
        try:
            entry = tree[path]
        except (KeyError, ValueError):
            return None
        return str(entry.id) if entry.filemode == pygit2.GIT_FILEMODE_TREE else None

    def is_ignored(self, path: str) -> bool:
        """Whether git ignores a work-tree path (.gitignore, info/exclude, core.excludesFile)."""
        return bool(self._repo.path_is_ignored(path))

    def has_commits(self) -> bool:
        return not self._repo.head_is_unborn

    def config_file_at(self, commit_sha: str, path: str) -> list[ConfigEntry]:
        """Entries of a git-config-syntax file as committed (empty when it is not there)."""
        if self.read_file_at(commit_sha, path) is None:
            return []
        result = self.git("config", "--blob", f"{commit_sha}:{path}", "--list", "-z", check=False)
        if result.returncode != 0:
            raise UsageError(
                f"{path} at {commit_sha[:12]} is malformed: {result.stderr.strip()}",
                hint=f"fix {path} on that branch and push the fix",
            )
        return parse_config_list(result.stdout)

    def read_staged_file(self, path: str) -> str | None:
        """A file's text as staged in the index, or None when it is not staged."""
        index = self.staged_index()
        try:
            entry = index[path]
        except KeyError:
            return None
        blob = self._repo[entry.id]
        return envfile.decode(blob.data, path) if isinstance(blob, pygit2.Blob) else None

    def staged_paths(self) -> list[str]:
        """Paths whose staged content differs from HEAD (added, modified or renamed)."""
        index = self.staged_index()
        if self._repo.head_is_unborn:
            return sorted(entry.path for entry in index)
        diff = self._repo.head.peel(pygit2.Tree).diff_to_index(index)
        return sorted(
            delta.new_file.path for delta in diff.deltas if delta.status != pygit2.GIT_DELTA_DELETED
        )

    def staged_index(self) -> pygit2.Index:
        """The index being committed. Inside a pre-commit hook git names it in GIT_INDEX_FILE:
        `git commit -a` and `git commit PATH` stage into a temporary index, not .git/index."""
        path = os.environ.get("GIT_INDEX_FILE")
        index: pygit2.Index
        if path:
            index = pygit2.Index(os.path.abspath(path))  # relative to the hook's cwd, the top
        else:
            index = self._repo.index
            index.read()
        return index

    def hooks_dir(self) -> Path:
        """Where git looks for hooks: core.hooksPath if set, else the common git dir's hooks/."""
        found = self.git("rev-parse", "--git-path", "hooks").stdout.strip()
        return (self.workdir / found).resolve()

    def config_entries(self, prefix: str) -> list[ConfigEntry]:
        """Entries of the repository's git config (all levels) under a prefix such as `lift.`."""
        return [
            ConfigEntry(entry.name, entry.value or "")
            for entry in self._repo.config
            if entry.name.startswith(prefix)
        ]

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
