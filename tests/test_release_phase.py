"""The release phase end to end (issue 20): the service config's `release_command` runs as a
one-off task of the new task definition after the image is in the registry and before the
service is updated, for `ship` and `promote` (not `rollback`). Real git, buildah, a real
registry, `git lift` as a subprocess, moto over HTTP and the sandbox's one-off tasks."""

from __future__ import annotations

import shutil
import time
from typing import Any

import boto3
import pytest

from git_lift.aws.store import ServiceDocument
from git_lift.servicecfg import default_document
from tests.support.ecs import running_task_definition, store, target
from tests.support.helpers import GitRepo, Lift
from tests.support.hooks import push, remote_has
from tests.support.image import BUSYBOX, BUSYBOX_LINES, needs_buildah, needs_busybox, needs_registry

pytestmark = [needs_buildah, needs_registry]


@pytest.fixture
def service(shipping_tasks: GitRepo) -> GitRepo:
    """Ready to ship, its tasks placed and logging as the service stack makes them."""
    return shipping_tasks


def release_command(env: str, command: list[str]) -> None:
    """A service config (as `git lift service edit` saves it) with `command` as its
    release_command."""
    document = {**default_document(env == "production"), "release_command": command}
    versions = [d.version for d in store().service_documents(target(env))]
    saved = ServiceDocument(
        env, "payments-api", max(versions, default=0) + 1, document, "Test Dev", time.time()
    )
    store().save_service_document(target(env), saved)


def tag_message(repo: GitRepo, tag: str) -> str:
    return repo.git("cat-file", "-p", tag).stdout


def test_ship_runs_the_release_command_before_updating_the_service_and_tags_its_result(
    service: GitRepo, lift: Lift
) -> None:
    release_command("staging", ["bin/rails", "db:migrate"])
    result = lift("ship", "-e", "staging")
    assert result.returncode == 0, result.stderr
    err = result.stderr
    assert "release command: bin/rails db:migrate" in err.split("running the release")[0]
    assert err.index("running the release command") < err.index("deploying")
    assert "  | (sandbox: simulated; the image was not run)" in err
    message = tag_message(service, "lift/staging/payments-api/1")
    assert "Release-Command: exit 0 in " in message
    assert store().releases(target())[0].release_command.startswith("exit 0 in ")  # type: ignore[union-attr]


def test_a_failing_release_command_stops_the_ship_with_nothing_deployed(
    service: GitRepo, lift: Lift, aws: Any
) -> None:
    before = running_task_definition("staging")["taskDefinitionArn"]
    release_command("staging", ["sh", "-c", "exit 4 # LIFT_SANDBOX_EXIT=4"])
    result = lift("ship", "-e", "staging")
    assert result.returncode == 1
    assert "exited 4 after" in result.stderr
    assert "nothing was deployed, payments-api still runs" in result.stderr
    assert "| (sandbox: simulated; the image was not run)" in result.stderr  # its last lines
    assert "ecs.UpdateService" not in aws.request_counts()
    assert running_task_definition("staging")["taskDefinitionArn"] == before
    assert store().lock(target()) is None
    history = lift("history", "-e", "staging")
    assert "(release command failed)" in history.stdout
    assert service.git("tag", "--list").stdout == ""


def test_promote_runs_the_release_command_and_rollback_does_not(
    service: GitRepo, lift: Lift, aws: Any
) -> None:
    release_command("staging", ["bin/migrate"])
    release_command("production", ["bin/migrate", "--production"])
    assert lift("ship", "-e", "staging").returncode == 0
    promoted = lift("promote", "--from", "staging", "--to", "production", "--yes")
    assert promoted.returncode == 0, promoted.stderr
    assert "release command: bin/migrate --production" in promoted.stderr
    assert "Release-Command: exit 0" in tag_message(service, "lift/production/payments-api/1")
    service.write("app.txt", "v2\n")
    service.commit("v2")
    service.git("push", "-q", "origin", "main")
    assert lift("ship", "-e", "staging").returncode == 0
    tasks_run = aws.request_counts()["ecs.RunTask"]
    rolled = lift("rollback", "-e", "staging")
    assert rolled.returncode == 0, rolled.stderr
    assert aws.request_counts()["ecs.RunTask"] == tasks_run
    assert "Release-Command" not in tag_message(service, "lift/staging/payments-api/3")


@needs_busybox
def test_run_ref_builds_that_commits_image_into_a_revision_no_service_runs(
    service: GitRepo, lift: Lift, aws: Any
) -> None:
    # A runnable image (busybox), so the sandbox runs the command for real in it.
    shutil.copy(BUSYBOX, service.path / "busybox")
    service.write("Dockerfile", "\n".join(("FROM scratch", *BUSYBOX_LINES, "")))
    service.commit("A runnable image")
    before = running_task_definition("staging")["taskDefinitionArn"]
    result = lift("run", "-e", "staging", "--ref", "HEAD", "--", "sh", "-c", "echo ran; exit 2")
    assert result.returncode == 2, result.stderr
    assert "ran" in result.stdout.splitlines()
    assert "registered staging-payments-api:2 with" in result.stderr
    assert running_task_definition("staging")["taskDefinitionArn"] == before  # not deployed
    assert "ecs.UpdateService" not in aws.request_counts()
    revision = boto3.client("ecs", region_name="eu-west-1").describe_task_definition(
        taskDefinition="staging-payments-api:2"
    )["taskDefinition"]
    assert "@sha256:" in revision["containerDefinitions"][0]["image"]  # by digest, as ship
    again = lift("run", "-e", "staging", "--ref", "HEAD", "--", "true")
    assert again.returncode == 0 and "not rebuilding" in again.stderr  # the image is reused


def test_a_pushed_tag_runs_the_release_command_and_a_failure_keeps_the_tag_off_the_remote(
    service: GitRepo, lift: Lift, aws: Any
) -> None:
    assert lift("hooks", "install").returncode == 0
    release_command("production", ["sh", "-c", "LIFT_SANDBOX_EXIT=1"])
    before = running_task_definition("production")["taskDefinitionArn"]
    service.git("tag", "-a", "v1.0.0", "-m", "v1.0.0")
    refused = push(service, "v1.0.0")
    assert refused.returncode != 0
    assert "the release command (sh -c LIFT_SANDBOX_EXIT=1) exited 1" in refused.stderr
    assert not remote_has(service, "refs/tags/v1.0.0")
    assert running_task_definition("production")["taskDefinitionArn"] == before
    release_command("production", ["bin/migrate"])
    released = push(service, "v1.0.0")
    assert released.returncode == 0, released.stderr
    assert "Release-Command: exit 0" in tag_message(service, "lift/production/payments-api/2")
