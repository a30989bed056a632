"""`git lift service delete` and `git lift env delete` through git, against moto's server over
HTTP: what is listed, what goes, what stays, the deploy lock, and coming back with `setup`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.ecs import store, target
from tests.support.helpers import GitRepo, Lift, run_in_terminal
from tests.support.infra import client, put_config

IMAGE = "registry.example.com/api@sha256:"
DELETE = ("service", "delete", "-e", "staging")


def ready(lift: Lift) -> None:
    """Environment staging with payments-api, created from the default config, released once."""
    assert lift("env", "create", "-e", "staging", "--yes").returncode == 0
    put_config("staging", "payments-api", DATABASE_URL="postgres://x", API_TOKEN="t")
    created = lift("service", "create", "-e", "staging", "--yes", env={"GIT_EDITOR": "true"})
    assert created.returncode == 0, created.stderr
    ship(lift, "a")


def ship(lift: Lift, digest: str) -> Any:
    shipped = lift("ship", "-e", "staging", "--yes", "--image", IMAGE + digest * 64)
    assert shipped.returncode == 0, shipped.stderr
    return shipped


def stacks() -> set[str]:
    summaries = client("cloudformation").list_stacks()["StackSummaries"]
    return {s["StackName"] for s in summaries if s["StackStatus"] != "DELETE_COMPLETE"}


def ecs_services() -> list[str]:
    found = client("ecs").describe_services(cluster="lift-staging", services=["payments-api"])
    return [s["serviceName"] for s in found["services"] if s["status"] == "ACTIVE"]


def test_service_delete_lists_what_goes_and_stays_and_setup_brings_it_back(
    aws: Any, lift: Lift
) -> None:
    ready(lift)
    edited = lift("service", "show", "-e", "staging").stdout.replace(
        '"desired_count": 1', '"desired_count": 3'
    )
    (lift.cwd / "service.json").write_text(edited)
    changed = lift("service", "edit", "-e", "staging", "--yes", "--file", "service.json")
    assert changed.returncode == 0, changed.stderr

    unasked = lift(*DELETE)
    assert unasked.returncode == 2
    assert "deleting payments-api in staging needs confirmation" in unasked.stderr
    assert "nothing was deleted" in unasked.stderr and "lift-staging-payments-api" in stacks()

    result = lift(*DELETE, "--yes")
    assert result.returncode == 0, result.stderr
    told = result.stderr
    assert "Deleting payments-api in staging (stack lift-staging-payments-api) removes:" in told
    for line in (
        "- ECS service arn:aws:ecs:eu-west-1:123456789012:service/lift-staging/payments-api",
        "- log group (and its logs) /lift/staging/payments-api (LogGroup)",
        "- IAM role lift-staging-payments-api-task (TaskRole)",
        "- target group arn:aws:elasticloadbalancing:",
        "- listener rule arn:aws:elasticloadbalancing:",
    ):
        assert line in told
    for line in (
        "= 2 config values in Parameter Store under /staging/payments-api/ "
        "(--purge-config deletes them)",
        "= 0 images in ECR repository payments-api (--purge-images deletes them)",
        "= the service config, versions 1-2: `git lift setup` or `git lift service create` "
        "brings the service back with version 2",
        "= release records 1-1 (`git lift history`), release tags and notes; the next release is 2",
    ):
        assert line in told
    assert "lift-staging-payments-api: DELETE_COMPLETE" in told
    assert "payments-api is deleted from staging" in told
    assert "hint: bring it back with: git lift setup -e staging" in told
    assert "lift-staging-payments-api" not in stacks() and ecs_services() == []
    assert client("logs").describe_log_groups()["logGroups"] == []
    assert store().lock(target()) is None
    names = client("ssm").get_parameters_by_path(Path="/staging/payments-api")["Parameters"]
    assert len(names) == 2

    again = lift(*DELETE, "--yes")
    assert again.returncode == 0 and "payments-api has no stack in staging" in again.stderr

    back = lift("service", "create", "-e", "staging", "--yes")
    assert back.returncode == 0, back.stderr
    assert "restoring version 2 of payments-api's config in staging" in back.stderr
    assert "desiredCount" not in back.stderr
    assert ecs_services() == ["payments-api"]
    described = client("ecs").describe_services(cluster="lift-staging", services=["payments-api"])
    assert described["services"][0]["desiredCount"] == 3
    ship(lift, "b")
    history = lift("history", "-e", "staging").stdout.splitlines()
    assert history[0].split()[0] == "2" and history[1].split()[0] == "1"


def test_setup_brings_a_deleted_service_back_with_its_config(
    aws: Any, repo: GitRepo, lift: Lift
) -> None:
    ready(lift)
    assert lift(*DELETE, "--yes").returncode == 0
    # Where a push releases, setup ships nothing (this repository has no image to build).
    repo.write(".gitlift", '[env "staging"]\n\tref = refs/heads/main\n\tdeployOnPush = true\n')
    repo.commit("staging releases on push")
    repo.git("push", "-q", "origin", "main")
    setup = lift("setup", "-e", "staging", "--yes")
    assert setup.returncode == 0, setup.stderr
    assert "restoring version 1 of payments-api's config in staging" in setup.stderr
    assert "payments-api's service config and stack: version 1 kept, stack: create" in (
        setup.stderr
    )
    assert ecs_services() == ["payments-api"]
    ship(lift, "b")
    history = lift("history", "-e", "staging").stdout.splitlines()
    assert history[0].split()[0] == "2"


def test_purges_delete_the_config_values_snapshots_and_images(aws: Any, lift: Lift) -> None:
    ready(lift)
    ecr = client("ecr")
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"digest": "sha256:" + "c" * 64, "size": 1, "mediaType": "x"},
            "layers": [],
        }
    )
    ecr.create_repository(repositoryName="payments-api")
    ecr.put_image(repositoryName="payments-api", imageManifest=manifest, imageTag="v1")
    secrets = client("secretsmanager")
    secrets.create_secret(Name="lift/staging/payments-api", SecretString="{}")
    result = lift(*DELETE, "--yes", "--purge-config", "--purge-images")
    assert result.returncode == 0, result.stderr
    assert "- 2 config values in Parameter Store under /staging/payments-api/" in result.stderr
    assert "- pinned config snapshots: secret lift/staging/payments-api" in result.stderr
    assert "- 1 image in ECR repository payments-api" in result.stderr
    assert "deleted 2 config values, 1 snapshot secret, 1 image" in result.stderr
    assert client("ssm").get_parameters_by_path(Path="/staging/payments-api")["Parameters"] == []
    assert secrets.list_secrets()["SecretList"] == []
    assert ecr.list_images(repositoryName="payments-api")["imageIds"] == []


def test_a_ship_holding_the_lock_stops_a_delete_and_a_delete_stops_a_ship(
    aws: Any, lift: Lift
) -> None:
    ready(lift)
    releases = store()
    releases.begin_release(target(), "alice@elsewhere pid 7 (abc123)", 600)
    refused = lift(*DELETE, "--yes")
    assert refused.returncode == 1
    assert "payments-api in staging is being deployed by alice@elsewhere pid 7" in refused.stderr
    assert "lift-staging-payments-api" in stacks() and ecs_services() == ["payments-api"]
    assert releases.release_lock(target(), None)

    releases.hold_lock(target(), "bob@elsewhere pid 8 (def456) [deleting the service]", 600)
    stopped = lift("ship", "-e", "staging", "--yes", "--image", IMAGE + "d" * 64)
    assert stopped.returncode == 1
    assert "payments-api in staging is being deleted by bob@elsewhere pid 8 (def456)," in (
        stopped.stderr
    )
    second = lift(*DELETE, "--yes")
    assert second.returncode == 1 and "is being deleted by bob@elsewhere" in second.stderr


def test_env_delete_refuses_while_services_live_then_deletes_stack_and_record(
    aws: Any, lift: Lift
) -> None:
    ready(lift)
    refused = lift("env", "delete", "-e", "staging", "--yes")
    assert refused.returncode == 1
    assert "environment staging still has 1 service: payments-api; nothing was deleted" in (
        refused.stderr
    )
    assert "hint: delete it first: git lift service delete -e staging -s payments-api" in (
        refused.stderr
    )
    assert "lift-staging" in stacks()
    assert lift(*DELETE, "--yes").returncode == 0
    result = lift("env", "delete", "-e", "staging", "--yes")
    assert result.returncode == 0, result.stderr
    assert "Deleting environment staging (stack lift-staging) removes:" in result.stderr
    assert "- VPC vpc-" in result.stderr and "- ECS cluster lift-staging" in result.stderr
    assert "- the record of staging in the git-lift table" in result.stderr
    assert "= the permissions boundary lift-staging-boundary" in result.stderr
    assert "lift-staging-boundary-cloudformation (made outside the stack)" in result.stderr
    assert "lift-staging: DELETE_COMPLETE" in result.stderr
    assert stacks() == set()
    shown = lift("env", "show", "-e", "staging")
    assert shown.returncode == 1 and "environment staging has not been created" in shown.stderr


@pytest.mark.parametrize(("typed", "code"), [("payments-api", 0), ("production", 1)])
def test_where_confirm_is_set_the_service_name_is_typed(
    aws: Any, lift: Lift, typed: str, code: int
) -> None:
    assert lift("env", "create", "-e", "production", "--yes").returncode == 0
    put_config("production", "payments-api", DATABASE_URL="postgres://x", API_TOKEN="t")
    made = lift("service", "create", "-e", "production", "--yes", env={"GIT_EDITOR": "true"})
    assert made.returncode == 0, made.stderr
    exit_code, shown = run_in_terminal(
        ["git", "lift", "service", "delete", "-e", "production"],
        lift.cwd,
        [("Type the service's name (payments-api) to confirm", typed)],
    )
    assert exit_code == code, shown
    assert ("lift-production-payments-api" in stacks()) == bool(code)
    if code:
        assert "not confirmed; nothing was deleted" in shown
