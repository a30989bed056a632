"""Promotion and gates: `git lift promote` ships the digest a staging release ran, a
production with `requires = staging` refuses commits staging has not released, and every
release leaves a note in refs/notes/lift."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.ecs import running_task_definition
from tests.support.helpers import GitRepo, Lift
from tests.support.release import gitlift, image, prepare


@pytest.fixture
def gated(aws: Any, repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    policy = gitlift(production="\trequires = staging\n")
    prepare(repo, monkeypatch, policy, envs=("staging", "production"))
    return repo


def tag_body(repo: GitRepo, tag: str) -> str:
    return repo.git("tag", "-l", "--format=%(contents)", tag).stdout


def test_promotion_is_refused_without_a_staging_release(gated: GitRepo, lift: Lift) -> None:
    result = lift("promote", "--from", "staging", "--to", "production", "--yes")
    assert result.returncode == 1
    assert "error: payments-api has no successful release yet in staging" in result.stderr


def test_promotion_ships_the_same_digest_with_the_production_confirmation(
    gated: GitRepo, lift: Lift
) -> None:
    assert lift("ship", "-e", "staging", "--image", image(7)).returncode == 0
    unconfirmed = lift("promote", "--from", "staging", "--to", "production")
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    result = lift("promote", "--from", "staging", "--to", "production", "--yes")
    assert result.returncode == 0, result.stderr
    production = running_task_definition("production")["containerDefinitions"][0]
    assert production["image"] == image(7)
    assert ":secretsmanager:" in production["secrets"][0]["valueFrom"]  # confirm: pinned
    body = tag_body(gated, "lift/production/payments-api/1")
    assert "Promoted-From: staging@1" in body and "Config-Snapshot: arn:" in body
    notes = gated.git("log", "-1", "--notes=lift", "--format=%N").stdout
    assert "staging release 1 of payments-api" in notes
    assert "production release 1 of payments-api" in notes
    remote = gated.git("ls-remote", "origin", "refs/notes/lift").stdout
    assert remote.strip(), "the notes are pushed with the tags"


def test_the_gate_refuses_a_commit_staging_has_not_released(gated: GitRepo, lift: Lift) -> None:
    sha = gated.head()
    refused = lift("ship", "-e", "production", "--image", image(1), "--yes")
    assert refused.returncode == 1
    assert f"error: {sha[:12]} has no successful release in staging" in refused.stderr
    assert f"git lift ship -e staging --ref {sha[:12]}" in refused.stderr
    skipped = lift(
        "ship", "-e", "production", "--image", image(1), "--yes", "--skip-gate", "hotfix #12"
    )
    assert skipped.returncode == 0, skipped.stderr
    assert "Gate-Skipped: hotfix #12" in tag_body(gated, "lift/production/payments-api/1")


def test_a_released_commit_passes_the_gate(gated: GitRepo, lift: Lift) -> None:
    assert lift("ship", "-e", "staging", "--image", image(3)).returncode == 0
    result = lift("ship", "-e", "production", "--image", image(3), "--yes")
    assert result.returncode == 0, result.stderr


def test_promoting_what_runs_already_is_nothing_to_release(gated: GitRepo, lift: Lift) -> None:
    assert lift("ship", "-e", "staging", "--image", image(5)).returncode == 0
    promote = ("promote", "--from", "staging", "--to", "production", "--yes")
    assert lift(*promote).returncode == 0
    again = lift(*promote)
    assert again.returncode == 0, again.stderr
    assert "payments-api in production: nothing to release: it runs release 1" in again.stderr
    assert "About to promote" not in again.stderr
    assert not gated.git("tag", "-l", "lift/production/payments-api/2").stdout
    forced = lift(*promote, "--force")
    assert forced.returncode == 0, forced.stderr
    assert gated.git("tag", "-l", "lift/production/payments-api/2").stdout.strip()
