"""All git access through pygit2: discovery, HEAD, dirtiness, remotes, blobs, tags."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pygit2

from git_lift import envfile, proc, tree_paths
from git_lift.errors import LiftError, UsageError, ValidationError

ZERO_SHA = "0" * 40
REMOTE_TIMEOUT = 20.0  # seconds for `git ls-remote`: a hook must not hang on a dead remote
# Credentials a remote URL may carry: `scheme://user:token@host/...` (all of the user info
# goes: a token may be the user name) and scp-like `user:password@host:path` (a bare `git@`
# is kept: it is no secret).
URL_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")
SCP_PASSWORD = re.compile(r"^[^/:@]+:[^/]*@(?=[^/:]+:)")


def redact_url(url: str) -> str:
    """A remote URL without the credentials it may hold, fit to print, record or label."""
    return SCP_PASSWORD.sub("", URL_USERINFO.sub(r"\1", url))


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


class Repo:
    def __init__(self, repository: pygit2.Repository) -> None:
        self._repo = repository

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

    def remote_url(self, name: str = "origin") -> str | None:
        """The remote's URL without credentials (see redact_url): git lift prints it, labels
        images with it and names services after it, and needs the credentials for none."""
        try:
            return redact_url(str(self._repo.remotes[name].url))
        except (KeyError, IndexError):
            return None

    def default_branch(self) -> str | None:
        """The branch whose .gitlift holds the release policy: `lift.defaultBranch` in the
        user's git config, else origin/HEAD, else a local main or master, else the remote's
        HEAD (`git ls-remote --symref`, asked once). None when none of them tells: never HEAD's
        own branch, which a single-branch clone of a feature branch would then trust."""
        own = self._repo.config
        if "lift.defaultBranch" in own:
            return str(own["lift.defaultBranch"]).removeprefix("refs/heads/") or None
        origin_head = self._repo.references.get("refs/remotes/origin/HEAD")
        if origin_head is not None:
            return str(origin_head.target).removeprefix("refs/remotes/origin/")
        for candidate in ("main", "master"):
            if f"refs/heads/{candidate}" in self._repo.references:
                return candidate
        remote = self.remote_head
        if remote is None and self._repo.head_is_unborn:
            # No commit yet, so none chose it: the branch HEAD will be born on.
            return str(self._repo.references["HEAD"].target).removeprefix("refs/heads/")
        return remote

    @cached_property
    def remote_head(self) -> str | None:
        """The branch origin's HEAD names, asked of the remote once per command (None: no
        origin, unreachable, or no HEAD there)."""
        if self.remote_url() is None:
            return None
        try:
            found = self.git(
                "ls-remote", "--symref", "origin", "HEAD",
                check=False, env={"GIT_TERMINAL_PROMPT": "0"}, timeout=REMOTE_TIMEOUT,
            )  # fmt: skip
        except LiftError:  # timed out
            return None
        named = re.search(r"^ref: refs/heads/(\S+)\tHEAD$", found.stdout, re.MULTILINE)
        return named.group(1) if found.returncode == 0 and named else None

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

    def is_ignored(self, path: str) -> bool:
        """Whether git ignores a work-tree path (.gitignore, info/exclude, core.excludesFile)."""
        return bool(self._repo.path_is_ignored(path))

    def has_commits(self) -> bool:
        return not self._repo.head_is_unborn

    def default_branch_tip(self) -> str | None:
        """The default branch as the remote has it (origin's remote-tracking branch), else the
        local one; None before its first commit, or when this clone does not have it. Its
        .gitlift holds the trusted release policy."""
        branch = self.default_branch()
        for ref in (f"refs/remotes/origin/{branch}", f"refs/heads/{branch}"):
            reference = self._repo.references.get(ref)
            if branch is not None and reference is not None:
                return str(reference.peel(pygit2.Commit).id)
        return None

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

    def contained(self, relative: str, root: Path | None = None) -> Path:
        """`root/relative` with symlinks resolved, refused unless it stays inside `root` (the
        work tree by default): a committed symlink must not lead a build or a read outside."""
        top = (root or self.workdir).resolve()
        path = (top / relative).resolve()
        if path != top and top not in path.parents:
            raise ValidationError(
                f"{relative} leads outside the repository (to {path})",
                hint=f"make {relative} a path inside the repository, not a link out of it",
            )
        return path

    def export_tree(self, commit_sha: str, destination: Path) -> None:
        """Write a commit's files (not the work tree's) into the new folder `destination`, as
        `git archive` would. Every entry is checked before anything is written (tree_paths):
        a name that is not one plain component, or a symlink that, resolved, leads out of the
        folder, is refused. Writing goes through folder descriptors and never follows a link."""
        entries: list[tuple[tuple[str, ...], pygit2.Object, int]] = []
        self._walk(self._repo[commit_sha].peel(pygit2.Tree), (), entries)
        links = {
            parts: os.fsdecode(obj.peel(pygit2.Blob).data)
            for parts, obj, mode in entries
            if mode == pygit2.GIT_FILEMODE_LINK
        }
        for parts in links:
            if tree_paths.link_leaves(links, parts):
                shown = "/".join(parts)
                raise ValidationError(
                    f"{shown} is a symbolic link out of the repository ({links[parts]})",
                    hint=f"commit {shown} as a file or a link inside the repository",
                )
        destination.mkdir()
        top = os.open(destination, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        folders: dict[tuple[str, ...], int] = {(): top}
        try:
            for parts, obj, mode in entries:
                at, name = folders[parts[:-1]], parts[-1]
                if mode == pygit2.GIT_FILEMODE_TREE:
                    os.mkdir(name, 0o755, dir_fd=at)
                    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
                    folders[parts] = os.open(name, flags, dir_fd=at)
                elif mode == pygit2.GIT_FILEMODE_LINK:
                    os.symlink(links[parts], name, dir_fd=at)
                else:
                    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                    file = os.open(name, flags, 0o600, dir_fd=at)
                    with os.fdopen(file, "wb") as out:
                        out.write(obj.peel(pygit2.Blob).data)
                        executable = mode == pygit2.GIT_FILEMODE_BLOB_EXECUTABLE
                        os.fchmod(out.fileno(), 0o755 if executable else 0o644)
        finally:
            for descriptor in folders.values():
                os.close(descriptor)

    def _walk(
        self,
        tree: pygit2.Tree,
        prefix: tuple[str, ...],
        found: list[tuple[tuple[str, ...], pygit2.Object, int]],
    ) -> None:
        """Every file, folder and link of a tree, parents first; an unsafe name refused.
        Submodules (commit entries) are not part of the commit's files, as in git archive."""
        for entry in tree:
            name = os.fsdecode(entry.raw_name or b"")
            why = tree_paths.unsafe_name(name)
            if why is not None:
                raise ValidationError(
                    f"the commit has a file named {'/'.join((*prefix, name))!r}, {why}: git "
                    "never checks such a path out, and git lift does not write it",
                    hint="ship a commit without it (git fsck names such entries)",
                )
            parts, mode = (*prefix, name), entry.filemode
            if mode == pygit2.GIT_FILEMODE_TREE:
                found.append((parts, entry, mode))
                self._walk(self._repo[entry.id].peel(pygit2.Tree), parts, found)
            elif mode in (
                pygit2.GIT_FILEMODE_LINK,
                pygit2.GIT_FILEMODE_BLOB,
                pygit2.GIT_FILEMODE_BLOB_EXECUTABLE,
            ):
                found.append((parts, self._repo[entry.id], mode))

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

    # Releases and ships: tags, notes and what the remote has. Failures raise ProcessFailed.

    def committer_name(self) -> str | None:
        """Who commits here, as git names the committer (honours GIT_COMMITTER_*)."""
        ident = self.git("var", "GIT_COMMITTER_IDENT", check=False).stdout.strip()
        return ident.rsplit(" ", 2)[0] if ident else None

    # A release's tag and note are written whatever the terminal's Ctrl-C (executor.py
    # finishes recording first): they run out of its process group.

    def create_tag(self, name: str, commit_sha: str, message: str) -> None:
        self.git("tag", "-a", "-F", "-", name, commit_sha, input_text=message, own_session=True)

    def push_refs(self, refs: list[str], remote: str = "origin") -> dict[str, str]:
        """Push refs without running the pre-push hook (a release's tag, its notes). Returns
        the refs the remote did not take, each with git's reason (every ref when the push
        failed as a whole): a push of several refs is not atomic, so each is told apart."""
        pushed = self.git("push", "--no-verify", "--porcelain", remote, *refs, check=False)
        refused = {}
        for line in pushed.stdout.splitlines():  # `!<TAB>from:to<TAB>[rejected] (why)`
            flag, _, rest = line.partition("\t")
            if flag == "!":
                spec, _, summary = rest.partition("\t")
                refused[spec.rpartition(":")[2]] = summary.strip()
        if pushed.returncode != 0 and not refused:
            reason = (pushed.stderr.strip().splitlines() or ["git push failed"])[-1]
            refused = dict.fromkeys(refs, reason)
        return refused

    def merge_remote_notes(self, notes_ref: str, remote: str = "origin") -> bool:
        """Fetch the remote's notes and merge them into ours; False when there are none to
        read (none yet, or the remote unreachable). Ours are never replaced: a note another
        clone pushed first and one this clone has not pushed yet both stay. A note both sides
        changed keeps each line once (git's cat_sort_uniq; `union` would repeat the lines
        they shared)."""
        tracking = f"refs/lift/remote-notes/{remote}"  # not under refs/notes: not shown by log
        fetched = self.git(
            "fetch", "-q", "--no-tags", remote, f"+{notes_ref}:{tracking}", check=False
        )
        if fetched.returncode != 0:
            return False
        if notes_ref not in self._repo.references:
            self.git("update-ref", notes_ref, tracking)
        else:
            self.git("notes", f"--ref={notes_ref}", "merge", "-q", "-s", "cat_sort_uniq", tracking)
        return True

    def append_note(self, notes_ref: str, commit_sha: str, line: str) -> None:
        """Add a line to the commit's note: one line per entry, no blank line between (the
        shape cat_sort_uniq merges leave)."""
        shown = self.git("notes", f"--ref={notes_ref}", "show", commit_sha, check=False)
        lines = (
            [kept for kept in shown.stdout.splitlines() if kept.strip()]
            if shown.returncode == 0
            else []
        )
        text = "\n".join([*lines, line]) + "\n"
        self.git(
            "notes",
            f"--ref={notes_ref}",
            "add",
            "-f",
            "-F",
            "-",
            commit_sha,
            input_text=text,
            own_session=True,
        )

    def diff_to_head(self) -> str:
        """The work tree's changes against HEAD, as a patch."""
        return self.git("diff", "HEAD").stdout

    def on_a_remote_branch(self, commit_sha: str) -> bool:
        """Whether a remote-tracking branch contains the commit."""
        found = self.git("branch", "-r", "--contains", commit_sha, check=False)
        return bool(found.stdout.strip())

    def commits_between(self, since: str, until: str) -> int | None:
        """How many commits `until` has that `since` lacks; None when one does not resolve."""
        found = self.git("rev-list", "--count", f"{since}..{until}", check=False)
        return int(found.stdout.strip()) if found.returncode == 0 else None

    def oneline_log(self, since: str, until: str, paths: tuple[str, ...] = ()) -> list[str]:
        """`git log --oneline since..until`, limited to commits touching `paths` when given."""
        limit = ["--", *paths] if paths else []
        found = self.git("log", "--oneline", f"{since}..{until}", *limit, check=False)
        return found.stdout.splitlines()

    def has_commit(self, sha: str) -> bool:
        try:
            self._repo[sha].peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError):
            return False
        return True

    def fetch_commit(self, sha: str, remote: str = "origin") -> bool:
        """Whether the commit is here, fetched from the remote first when it is not (a shallow
        or single-branch clone lacks commits released from elsewhere)."""
        if self.has_commit(sha):
            return True
        if self.remote_url(remote) is None:
            return False
        self.git("fetch", "-q", "--no-tags", remote, sha, check=False)
        return self.has_commit(sha)

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
