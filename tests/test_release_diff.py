"""`git lift diff`: two releases side by side (names and versions, never values)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import GitRepo, Lift
from tests.infra_support import put_config
from tests.release_support import gitlift, image, prepare


@pytest.fixture
def two_releases(aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    prepare(repo, monkeypatch, gitlift(), envs=("staging",))
    assert lift("ship", "-e", "staging", "--image", image(1)).returncode == 0
    put_config("staging", "payments-api", NEW_KEY="secret-value", DATABASE_URL="postgres://2")
    repo.write("env.sample", "DATABASE_URL=x\nNEW_KEY=example\n")
    repo.commit("Need NEW_KEY")
    assert lift("ship", "-e", "staging", "--image", image(2)).returncode == 0
    return repo


def test_diff_between_two_releases(two_releases: GitRepo, lift: Lift) -> None:
    result = lift("diff", "staging@1", "staging@2")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "1 new in staging@2" in out and "Need NEW_KEY" in out
    assert f"- {image(1)}" in out and f"+ {image(2)}" in out
    assert "secrets   + NEW_KEY" in out and "env.sample +NEW_KEY" in out
    assert "DATABASE_URL: v1 -> v2" in out
    assert "secret-value" not in out and "postgres://" not in out


def test_diff_as_json(two_releases: GitRepo, lift: Lift) -> None:
    found = json.loads(lift("diff", "staging@1", "staging", "--output", "json").stdout)
    assert found["image"] == [image(1), image(2)]
    assert found["secrets_added"] == ["NEW_KEY"] and found["env_sample"] == ["+NEW_KEY"]
    assert found["config_versions"] == {"DATABASE_URL": [1, 2], "NEW_KEY": [None, 1]}
    assert len(found["commits"]) == 1
    assert found["service_config"] == [None, None]  # no service document: not git lift's stack


def test_diff_shows_each_environments_service_config_version(
    two_releases: GitRepo, lift: Lift
) -> None:
    import boto3

    from git_lift.aws.store import ServiceDocument, Store
    from git_lift.servicecfg import default_document
    from tests.ecs_support import target

    staging = target("staging")
    document = ServiceDocument("staging", "payments-api", 1, default_document(False), "me", 0.0)
    Store(boto3.client("dynamodb", region_name="eu-west-1")).save_service_document(
        staging, document
    )
    shown = lift("diff", "staging@1", "staging").stdout
    assert "service   config version 1 -> version 1" in shown


def test_a_commit_side_and_a_bad_spec(two_releases: GitRepo, lift: Lift) -> None:
    first = two_releases.git("rev-parse", "HEAD~1").stdout.strip()
    result = lift("diff", first, "staging", "--output", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["image"] == [None, image(2)]
    bad = lift("diff", "staging@x", "staging")
    assert bad.returncode == 2 and "is not ENV@N" in bad.stderr
