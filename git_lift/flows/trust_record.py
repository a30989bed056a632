"""Trusting the work tree's .gitlift: `trust` after the user reviewed it, and `adopt`, which
wrote it."""

from __future__ import annotations

from git_lift.flows.context import GITLIFT_FILE, gitlift_digest, trust_file, work_tree_gitlift
from git_lift.flows.editor import write_private
from git_lift.repo import Repo


def record_trust(repo: Repo) -> str:
    """Trust the work tree's .gitlift as it is now; its digest."""
    _, raw = work_tree_gitlift(repo)
    path = trust_file(repo)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    known = path.read_text().split() if path.exists() else []
    digest = gitlift_digest(raw)
    write_private(path, "\n".join(dict.fromkeys([*known, digest])) + "\n")
    return digest


def write_and_trust(repo: Repo, entries: list[tuple[str, str]]) -> None:
    """Write these entries into the work tree's .gitlift and trust the result."""
    repo.set_config_entries(repo.workdir / GITLIFT_FILE, entries)
    record_trust(repo)
