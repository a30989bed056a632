"""A release changed by a stack update (a helper's finding): after `service edit` registers a
new revision (cpu, an environment variable) with the release's image, the service still runs
release N. `release-config` makes release N+1 from that image; `status` and the rotation
notice count a secret's change from when the edited tasks started, since they read its
value then (before: "does not run a release git lift recorded", and drift against release 1
for a secret the restarted tasks had already read)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.ecs import running_task_definition
from tests.support.helpers import GitRepo, Lift
from tests.support.infra import doc_file, newest_doc, put_config
from tests.support.release import image


def edit(lift: Lift, tmp_path: Path, fields: dict[str, Any]) -> None:
    path = doc_file(tmp_path, newest_doc("staging", "payments-api"), fields)
    edited = lift("service", "edit", "-e", "staging", "--yes", "--file", path)
    assert edited.returncode == 0, edited.stderr


def rolled_out() -> None:
    """Until the service's deployments are one: the old tasks stopped (the sandbox's rollout
    moves a step per DescribeServices)."""
    ecs = boto3.client("ecs", region_name="eu-west-1")
    for _ in range(50):
        (service,) = ecs.describe_services(cluster="lift-staging", services=["payments-api"])[
            "services"
        ]
        if len(service["deployments"]) == 1:
            return
    raise AssertionError(f"still rolling out: {service['deployments']}")


@pytest.fixture
def secret(aws: Any) -> str:
    client = boto3.client("secretsmanager", region_name="eu-west-1")
    arn: str = client.create_secret(Name="staging/db", SecretString="pw-one-s3cret")["ARN"]
    return arn


def put_secret(arn: str, value: str) -> None:
    time.sleep(1.1)  # Secrets Manager's dates have a second's precision in moto
    boto3.client("secretsmanager", region_name="eu-west-1").put_secret_value(
        SecretId=arn, SecretString=value
    )
    time.sleep(1.1)


@pytest.fixture
def shipped(
    aws: Any,
    repo: GitRepo,
    lift: Lift,
    secret: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Lift:
    """A service created through its stack whose env.sample refers to a secret, released
    once: web runs release 1's revision."""
    monkeypatch.setenv("GIT_LIFT_POLL_INTERVAL", "0.02")
    repo.write("env.sample", f"DATABASE_URL=postgres://localhost/dev\nDB_PASSWORD={secret}\n")
    repo.commit("The database password comes from Secrets Manager")
    assert lift("env", "create", "-e", "staging", "--yes").returncode == 0
    put_config("staging", "payments-api", DATABASE_URL="postgres://x", DB_PASSWORD=secret)
    made = lift("service", "create", "-e", "staging", "--yes", env={"GIT_EDITOR": "true"})
    assert made.returncode == 0, made.stderr
    released = lift("ship", "-e", "staging", "--image", image(1))
    assert released.returncode == 0, released.stderr
    return lift


def test_release_config_after_an_edit_releases_the_running_image_with_the_edit(
    shipped: Lift, repo: GitRepo, tmp_path: Path, aws: Any
) -> None:
    release_one = running_task_definition("staging")
    edit(shipped, tmp_path, {"cpu": 512, "memory": 1024, "environment": {"LOG_LEVEL": "debug"}})
    edited = running_task_definition("staging")
    assert edited["revision"] > release_one["revision"]  # the stack's own revision runs
    assert edited["containerDefinitions"][0]["image"] == image(1)
    aws.reset_counts()
    nothing = shipped("release-config", "-e", "staging")
    assert nothing.returncode == 0, nothing.stderr
    # What runs (its service and revision), the releases once, the saved service config
    # (its secret_refs, then the plan's), the store's names and the secret's dates.
    assert aws.request_counts() == {
        "ecs.DescribeServices": 1,
        "ecs.DescribeTaskDefinition": 1,
        "dynamodb.Query": 3,
        "ssm.DescribeParameters": 1,
        "secretsmanager.DescribeSecret": 1,
    }
    assert "nothing to release: it runs release 1" in nothing.stderr
    put_config("staging", "payments-api", DATABASE_URL="postgres://two")
    result = shipped("release-config", "-e", "staging")
    assert result.returncode == 0, result.stderr
    assert "~ config DATABASE_URL: a new value (v1 -> v2)" in result.stderr
    assert "release 2" in result.stderr
    now = running_task_definition("staging")
    assert now["containerDefinitions"][0]["image"] == image(1)
    # The edit stays: the release starts from what runs.
    assert now["containerDefinitions"][0]["environment"] == [
        {"name": "LOG_LEVEL", "value": "debug"}
    ]
    shown = shipped("status", "-e", "staging")
    assert "release 2" in shown.stdout and "drift" not in shown.stdout


def test_a_secret_changed_before_the_edit_restarted_the_tasks_is_no_drift(
    shipped: Lift, repo: GitRepo, secret: str, tmp_path: Path
) -> None:
    put_secret(secret, "pw-two-s3cret")
    before = shipped("status", "-e", "staging")
    assert "DB_PASSWORD changed" in before.stdout  # release 1's tasks read the old value
    edit(shipped, tmp_path, {"cpu": 512, "memory": 1024})  # new tasks: they read the new one
    rolling = shipped("status", "-e", "staging")  # release 1's tasks run beside them yet
    assert "DB_PASSWORD changed" in rolling.stdout
    rolled_out()
    after = shipped("status", "-e", "staging")
    assert after.returncode == 0, after.stderr
    assert "release 1" in after.stdout and "DB_PASSWORD changed" not in after.stdout
    repo.write("app.txt", "v2\n")
    repo.commit("Change the app")
    assert shipped("hooks", "install").returncode == 0
    pushed = repo.git("push", "origin", "main", check=False)
    assert pushed.returncode == 0 and "staging: ok" in pushed.stderr, pushed.stderr
    assert "DB_PASSWORD changed" not in pushed.stderr
    put_secret(secret, "pw-three-s3cret")  # after the edit: its tasks run the old value
    later = shipped("status", "-e", "staging")
    assert "DB_PASSWORD changed" in later.stdout and "after release 1" in later.stdout
    fixed = shipped("release-config", "-e", "staging")
    assert fixed.returncode == 0, fixed.stderr
    assert "~ secret DB_PASSWORD changed" in fixed.stderr and "release 2" in fixed.stderr
    done = shipped("status", "-e", "staging")
    assert "release 2" in done.stdout and "DB_PASSWORD changed" not in done.stdout
    said = before.stdout + after.stdout + later.stdout + fixed.stderr + done.stdout
    assert "s3cret" not in said
