"""Release notes (refs/notes/lift) when two clones release one commit at once: the notes are
merged with the remote's, never replaced by them, and a failed push says what failed."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.helpers import GitRepo, Lift, run
from tests.support.release import gitlift, image, prepare

NOTES = "refs/notes/lift"


def held_git(folder: Path, barrier: Path) -> dict[str, str]:
    """An environment whose `git` holds its first push until `barrier` exists (and says so
    with `barrier.held`): the other clone's whole release lands in between, deterministically."""
    folder.mkdir()
    real = shutil.which("git")
    script = folder / "git"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = push ] && [ ! -e "{barrier}" ]; then\n'
        f'  touch "{barrier}.held"\n'
        f'  i=0; while [ ! -e "{barrier}" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\n'
        "fi\n"
        f'exec "{real}" "$@"\n'
    )
    script.chmod(0o755)
    return {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


def remote_note(repo: GitRepo, sha: str) -> str:
    repo.git("fetch", "-q", "origin", f"+{NOTES}:refs/notes/test-remote")
    return repo.git("notes", "--ref=refs/notes/test-remote", "show", sha).stdout


@pytest.fixture
def two_clones(
    aws: Any, repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[GitRepo, GitRepo]:
    prepare(repo, monkeypatch, gitlift(), envs=("staging", "production"))
    origin = repo.git("remote", "get-url", "origin").stdout.strip()
    run(["git", "clone", "-q", origin, str(tmp_path / "other")], cwd=tmp_path)
    return repo, GitRepo(tmp_path / "other")


def test_two_clones_releasing_one_commit_at_once_keep_both_notes(
    two_clones: tuple[GitRepo, GitRepo], tmp_path: Path
) -> None:
    mine, other = two_clones
    sha = mine.head()
    barrier = tmp_path / "barrier"
    env = held_git(tmp_path / "bin", barrier)
    # git-lift itself, not `git lift`: git would put its own folder first on PATH.
    ship = ["git-lift", "ship", "-e", "production", "--image", image(2), "--yes"]
    # The other clone ships production; its push waits while this one ships staging.
    racing = subprocess.Popen(
        ship,
        cwd=other.path,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not Path(f"{barrier}.held").exists() and racing.poll() is None:
        assert time.monotonic() < deadline, "the other clone never reached its push"
        time.sleep(0.05)
    mine_result = Lift(mine.path)("ship", "-e", "staging", "--image", image(1))
    barrier.touch()
    _, stderr = racing.communicate(timeout=120)
    assert mine_result.returncode == 0, mine_result.stderr
    assert racing.returncode == 0, stderr
    assert "could not push" not in stderr, stderr
    tags = other.git("ls-remote", "--tags", "origin").stdout
    assert "lift/production/payments-api/1" in tags and "lift/staging/payments-api/1" in tags
    note = remote_note(other, sha)
    assert "staging release 1 of payments-api" in note
    assert "production release 1 of payments-api" in note
    # The next release from this clone merges, never replaces: both notes stay everywhere.
    assert Lift(mine.path)("ship", "-e", "staging", "--image", image(3)).returncode == 0
    note = remote_note(mine, sha)
    assert "production release 1 of payments-api" in note
    assert "staging release 2 of payments-api" in note
    local = mine.git("notes", f"--ref={NOTES}", "show", sha).stdout
    assert "production release 1 of payments-api" in local
    assert note.count("staging release 1 of") == 1, note


def test_a_push_that_fails_names_the_tag_and_the_notes_and_the_next_release_pushes_both(
    aws: Any, repo: GitRepo, lift: Lift, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(repo, monkeypatch, gitlift(), envs=("staging",))
    origin = repo.git("remote", "get-url", "origin").stdout.strip()
    repo.git("remote", "set-url", "origin", str(tmp_path / "gone" / "payments-api.git"))
    result = lift("ship", "-e", "staging", "--image", image(1))
    assert result.returncode == 0, result.stderr
    assert "warning: could not push tag lift/staging/payments-api/1" in result.stderr
    assert f"warning: could not push the release notes ({NOTES})" in result.stderr
    assert f"git push origin {NOTES}" in result.stderr
    repo.git("remote", "set-url", "origin", origin)
    assert lift("ship", "-e", "staging", "--image", image(2)).returncode == 0
    note = remote_note(repo, repo.head())
    assert "staging release 1 of" in note and "staging release 2 of" in note


def test_a_refused_push_says_why_without_the_credentials_in_the_remotes_url(
    repo: GitRepo,
) -> None:
    from git_lift.repo import Repo

    repo.git("remote", "set-url", "origin", "https://ci:SENTINEL-TOKEN@127.0.0.1:9/x.git")
    refused = Repo.discover(str(repo.path)).push_refs(["refs/heads/main"])
    assert list(refused) == ["refs/heads/main"]
    assert "SENTINEL" not in refused["refs/heads/main"] and refused["refs/heads/main"]
