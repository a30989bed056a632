"""What Repo (repo.py) asks of the remote and writes for a release: the default branch, the
release's tags and notes, pushes and fetches. Failures of the git program raise ProcessFailed."""

from __future__ import annotations

import re
from functools import cached_property

from git_lift.errors import LiftError
from git_lift.repo_read import GitReads

REMOTE_TIMEOUT = 20.0  # seconds for `git ls-remote`: a hook must not hang on a dead remote


class RemoteRefs(GitReads):
    """Repo's remote and release refs."""

    def default_branch(self) -> str | None:
        """The branch whose .gitlift holds the release policy: `lift.defaultBranch` in the
        user's git config, else origin/HEAD, else a local main or master, else the remote's
        HEAD (`git ls-remote --symref`, asked once). None when none of them tells: never HEAD's
        own branch, which a single-branch clone of a feature branch would then trust."""
        own = self.config_value("lift.defaultBranch")
        if own is not None:
            return own.removeprefix("refs/heads/") or None
        refs = self._refs()
        origin_head = refs.get("refs/remotes/origin/HEAD")
        if origin_head is not None:
            return (origin_head.symbolic or origin_head.commit).removeprefix("refs/remotes/origin/")
        for candidate in ("main", "master"):
            if f"refs/heads/{candidate}" in refs:
                return candidate
        remote = self.remote_head
        if remote is None and not self.has_commits():
            # No commit yet, so none chose it: the branch HEAD will be born on.
            return (self.head_target() or "").removeprefix("refs/heads/")
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

    def default_branch_tip(self) -> str | None:
        """The default branch as the remote has it (origin's remote-tracking branch), else the
        local one; None before its first commit, or when this clone does not have it. Its
        .gitlift holds the trusted release policy."""
        branch, refs = self.default_branch(), self._refs()
        for name in (f"refs/remotes/origin/{branch}", f"refs/heads/{branch}"):
            if branch is not None and name in refs:
                return refs[name].commit
        return None

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
        if self._read("show-ref", "--verify", "-q", notes_ref, check=False).returncode != 0:
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

    def remote_branches(self, remote: str = "origin") -> list[str]:
        """The branches the remote has now (`refs/heads/...`, asked with `git ls-remote`, not
        the remote-tracking refs a fetch last saw); a remote that cannot be read is an error,
        so nothing is taken for gone because the network was."""
        found = self.git(
            "ls-remote", "--heads", remote,
            env={"GIT_TERMINAL_PROMPT": "0"}, timeout=REMOTE_TIMEOUT,
        )  # fmt: skip
        return [line.split("\t", 1)[1] for line in found.stdout.splitlines() if "\t" in line]

    def on_a_remote_branch(self, commit_sha: str) -> bool:
        """Whether a remote-tracking branch contains the commit."""
        found = self.git("branch", "-r", "--contains", commit_sha, check=False)
        return bool(found.stdout.strip())

    def fetch_commit(self, sha: str, remote: str = "origin") -> bool:
        """Whether the commit is here, fetched from the remote first when it is not (a shallow
        or single-branch clone lacks commits released from elsewhere)."""
        if self.has_commit(sha):
            return True
        if self.remote_url(remote) is None:
            return False
        self.git("fetch", "-q", "--no-tags", remote, sha, check=False)
        return self.has_commit(sha)
