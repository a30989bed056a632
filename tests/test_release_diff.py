"""`git lift diff`: two releases side by side (names and versions, never values)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.ecs import create_service
from tests.support.helpers import GitRepo, Lift, run
from tests.support.infra import put_config
from tests.support.release import gitlift, image, prepare


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
    from tests.support.ecs import target

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


def test_a_release_whose_commit_a_shallow_clone_lacks_is_fetched(
    two_releases: GitRepo, lift: Lift, tmp_path: Path
) -> None:
    origin = two_releases.git("remote", "get-url", "origin").stdout.strip()
    shallow = tmp_path / "shallow"
    run(["git", "clone", "-q", "--depth", "1", f"file://{origin}", str(shallow)], cwd=tmp_path)
    released = two_releases.head()  # staging@2's commit: origin has it under its tag only
    assert run(["git", "cat-file", "-e", released], cwd=shallow, check=False).returncode != 0
    result = lift("diff", "staging@1", "staging@2", cwd=shallow)
    assert result.returncode == 0, result.stderr
    assert "1 new in staging@2" in result.stdout and "Need NEW_KEY" in result.stdout


def test_a_commit_side_shows_what_a_commit_has_and_no_none(
    two_releases: GitRepo, lift: Lift
) -> None:
    two_releases.write("app.txt", "v2\n")
    two_releases.commit("Change the app")
    result = lift("diff", "staging", "HEAD")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "None" not in out
    assert "secrets   -" not in out  # a commit has no task definition: nothing was removed
    assert "HEAD is a commit, not a release" in out
    assert "1 new in HEAD" in out and "Change the app" in out


def test_environments_compare_keys_not_versions_of_different_parameters(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(repo, monkeypatch, gitlift(), envs=("staging", "production"))
    put_config("staging", "payments-api", DATABASE_URL="postgres://two")  # staging's v2
    assert lift("ship", "-e", "staging", "--image", image(1)).returncode == 0
    assert lift("ship", "-e", "production", "--image", image(1), "--yes").returncode == 0
    result = lift("diff", "production", "staging")
    assert result.returncode == 0, result.stderr
    assert "v1 -> v2" not in result.stdout and "config    DATABASE_URL" not in result.stdout
    assert "production and staging each have their own parameters" in result.stdout
    found = json.loads(lift("diff", "production", "staging", "--output", "json").stdout)
    assert found["config_versions"] == {}


def test_two_releases_show_the_service_config_each_ran_with(
    two_releases: GitRepo, lift: Lift
) -> None:
    import boto3

    from git_lift.aws.store import ServiceDocument, Store
    from git_lift.servicecfg import default_document
    from tests.support.ecs import target

    staging = target("staging")
    store = Store(boto3.client("dynamodb", region_name="eu-west-1"))
    second, first = store.releases(staging, limit=2)
    between = (first.deployed_at + second.deployed_at) / 2
    for version, saved_at in ((1, 0.0), (2, between)):
        document = ServiceDocument(
            "staging", "payments-api", version, default_document(False), "me", saved_at
        )
        store.save_service_document(staging, document)
    shown = lift("diff", "staging@1", "staging").stdout
    assert "service   config version 1 -> version 2" in shown


def test_a_monorepo_diff_lists_the_commits_that_touch_the_service(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_LIFT_POLL_INTERVAL", "0.02")
    services = '[service "api"]\n\tpath = api\n[service "worker"]\n\tpath = worker\n'
    repo.write(".gitlift", gitlift() + services)
    for name in ("api", "worker"):
        repo.write(f"{name}/env.sample", "DATABASE_URL=x\n")
        repo.write(f"{name}/app.txt", "v1\n")
    repo.commit("Two services")
    repo.git("push", "-q", "origin", "main")
    create_service("staging", "api", desired=1)
    put_config("staging", "api", DATABASE_URL="postgres://api")
    api = repo.path / "api"
    assert lift("ship", "-e", "staging", "--image", image(1), cwd=api).returncode == 0
    repo.write("worker/app.txt", "v2\n")
    repo.commit("Only the worker")
    repo.write("api/app.txt", "v2\n")
    repo.commit("Only the api")
    assert lift("ship", "-e", "staging", "--image", image(2), cwd=api).returncode == 0
    shown = lift("diff", "staging@1", "staging", cwd=api).stdout
    assert "1 new in staging" in shown and "Only the api" in shown
    assert "Only the worker" not in shown
