"""`git lift release-config` and `config set --release` on the sandbox (issue 24): a config
change reaches the running tasks without a code change, staging by a fresh deployment,
production (pinned, confirm) by a fresh snapshot, recorded with the keys that changed."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest

from tests.support.ecs import running_task_definition
from tests.support.helpers import GitRepo, Lift
from tests.support.infra import put_config
from tests.support.release import gitlift, image, prepare, received


@pytest.fixture
def released(aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    prepare(repo, monkeypatch, gitlift(), envs=("staging", "production"))
    assert lift("ship", "-e", "staging", "--image", image(7)).returncode == 0
    return repo


def tag_body(repo: GitRepo, tag: str) -> str:
    return repo.git("tag", "-l", "--format=%(contents)", tag).stdout


def test_config_set_release_reaches_the_tasks_with_the_same_image(
    released: GitRepo, lift: Lift
) -> None:
    before = running_task_definition("staging")
    result = lift("config", "set", "-e", "staging", "DATABASE_URL=postgres://two", "--release")
    assert result.returncode == 0, result.stderr
    # Not pinned: a new revision, and so new tasks, which read Parameter Store as they start.
    after = running_task_definition("staging")
    assert after["revision"] == before["revision"] + 1
    assert after["containerDefinitions"][0]["image"] == image(7)
    assert (
        after["containerDefinitions"][0]["secrets"] == before["containerDefinitions"][0]["secrets"]
    )
    assert "released payments-api" in result.stderr and "release 2" in result.stderr
    body = tag_body(released, "lift/staging/payments-api/2")
    assert "Config-Changed: DATABASE_URL" in body and "postgres://" not in body
    again = lift("release-config", "-e", "staging")
    assert again.returncode == 0, again.stderr
    assert "nothing to release: it runs release 2" in again.stderr


def test_release_config_to_a_pinned_environment_snapshots_after_confirmation(
    released: GitRepo, lift: Lift
) -> None:
    assert lift("promote", "--from", "staging", "--to", "production", "--yes").returncode == 0
    written = lift("config", "set", "-e", "production", "DATABASE_URL=postgres://p2", "--yes")
    assert written.returncode == 0, written.stderr
    assert received("production", "DATABASE_URL") == ["postgres://production-one"]  # pinned
    unconfirmed = lift("release-config", "-e", "production")
    assert unconfirmed.returncode == 2
    assert "error: releasing config to production needs confirmation" in unconfirmed.stderr
    assert "hint:" in unconfirmed.stderr
    result = lift("release-config", "-e", "production", "--yes")
    assert result.returncode == 0, result.stderr
    assert "~ config DATABASE_URL: a new value (v1 -> v2)" in result.stderr
    assert received("production", "DATABASE_URL") == ["postgres://p2"]
    container = running_task_definition("production")["containerDefinitions"][0]
    assert container["image"] == image(7)
    assert ":secretsmanager:" in container["secrets"][0]["valueFrom"]
    body = tag_body(released, "lift/production/payments-api/2")
    assert "Config-Changed: DATABASE_URL" in body and "Config-Snapshot: arn:" in body


def test_newcomer_mistakes(aws: Any, repo: GitRepo, lift: Lift, monkeypatch: Any) -> None:
    no_env = lift("release-config")
    assert no_env.returncode == 2 and "-e" in no_env.stderr
    prepare(repo, monkeypatch, gitlift(), envs=("staging",))
    never = lift("release-config", "-e", "staging")
    assert never.returncode == 1
    assert "does not run a release git lift recorded" in never.stderr
    assert "hint: ship the code with its config: git lift ship -e staging" in never.stderr


def test_a_rotated_secret_shows_in_status_and_release_config_picks_it_up(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = boto3.client("secretsmanager", region_name="eu-west-1")
    arn = secrets.create_secret(Name="staging/db", SecretString="pw-one-s3cret")["ARN"]
    prepare(repo, monkeypatch, gitlift(), envs=("staging",))
    repo.write("env.sample", f"DATABASE_URL=postgres://localhost/dev\nDB_PASSWORD={arn}\n")
    repo.commit("The database password comes from Secrets Manager")
    put_config("staging", "payments-api", DB_PASSWORD=arn)
    assert lift("ship", "-e", "staging", "--image", image(7)).returncode == 0
    time.sleep(1.1)  # Secrets Manager's dates have a second's precision in moto
    secrets.put_secret_value(SecretId=arn, SecretString="pw-two-s3cret")
    shown = lift("status", "-e", "staging")
    assert shown.returncode == 0, shown.stderr
    assert "DB_PASSWORD changed 1 min after release 1" in shown.stdout
    assert "git lift release-config -e staging" in shown.stdout
    released = lift("release-config", "-e", "staging")
    assert released.returncode == 0, released.stderr
    assert "~ secret DB_PASSWORD changed" in released.stderr and "release 2" in released.stderr
    body = tag_body(repo, "lift/staging/payments-api/2")
    assert "Config-Changed: DB_PASSWORD(rotated)" in body
    after = lift("status", "-e", "staging")
    assert "release 2" in after.stdout and "DB_PASSWORD changed" not in after.stdout
    assert "s3cret" not in shown.stdout + released.stderr + after.stdout + body
