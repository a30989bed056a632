"""Pinned config: a release runs a snapshot of its config in Secrets Manager, so a rollback
brings back the config with the code. Subprocess `git lift`, moto's server, the rollout
simulator resolving secretsmanager references as tasks start."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from git_lift.aws.secrets import LABEL_WINDOW, split
from tests.support.ecs import deploy_behind_git_lifts_back, running_task_definition
from tests.support.helpers import GitRepo, Lift
from tests.support.infra import put_config
from tests.support.release import gitlift, image, prepare, received


@pytest.fixture
def pinned(aws: Any, repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    prepare(repo, monkeypatch, gitlift(staging="\tpinConfig = true\n"), envs=("staging",))
    return repo


def ship(lift: Lift, n: int = 1, *args: str) -> Any:
    result = lift("ship", "-e", "staging", "--image", image(n), *args)
    assert result.returncode == 0, result.stderr
    return result


def test_a_rollback_brings_back_the_config_the_release_ran_with(
    pinned: GitRepo, lift: Lift
) -> None:
    ship(lift)
    assert received("staging", "DATABASE_URL") == ["postgres://staging-one"]
    [secret] = running_task_definition("staging")["containerDefinitions"][0]["secrets"]
    assert secret["name"] == "DATABASE_URL"
    assert ":secret:lift/staging/payments-api-" in secret["valueFrom"]
    assert secret["valueFrom"].split(":")[-3:-1] == ["DATABASE_URL", ""]

    bad = lift("config", "set", "-e", "staging", "DATABASE_URL=postgres://bad")
    assert bad.returncode == 0, bad.stderr
    ship(lift)
    assert received("staging", "DATABASE_URL") == ["postgres://bad"]

    back = lift("rollback", "-e", "staging")
    assert back.returncode == 0, back.stderr
    assert "rolled back code and config" in back.stderr
    assert received("staging", "DATABASE_URL") == ["postgres://staging-one"]
    # Parameter Store still holds the edit: the next ship would carry it, status says so.
    status = lift("status", "-e", "staging")
    assert "pinned" in status.stdout and "~DATABASE_URL" in status.stdout, status.stdout
    assert "postgres://" not in status.stdout + status.stderr + back.stderr


def test_config_restore_of_a_release_writes_its_values_back(pinned: GitRepo, lift: Lift) -> None:
    ship(lift)
    put_config("staging", "payments-api", DATABASE_URL="postgres://bad")
    restored = lift("config", "restore", "-e", "staging", "--release", "1")
    assert restored.returncode == 0, restored.stderr
    assert "~ DATABASE_URL" in restored.stderr and "postgres://" not in restored.stderr
    ssm = boto3.client("ssm", region_name="eu-west-1")
    value = ssm.get_parameter(Name="/staging/payments-api/DATABASE_URL", WithDecryption=True)
    assert value["Parameter"]["Value"] == "postgres://staging-one"


def test_a_missing_snapshot_version_fails_the_task(pinned: GitRepo, lift: Lift) -> None:
    ship(lift)
    definition = running_task_definition("staging")
    container = definition["containerDefinitions"][0]
    arn = container["secrets"][0]["valueFrom"].rsplit(":", 4)[0]
    container["secrets"][0]["valueFrom"] = f"{arn}:DATABASE_URL::no-such-version"
    deploy_behind_git_lifts_back("staging", container)
    ecs = boto3.client("ecs", region_name="eu-west-1")
    for _ in range(4):
        ecs.describe_services(cluster="lift-staging", services=["payments-api"])
    stopped = ecs.list_tasks(
        cluster="lift-staging", serviceName="payments-api", desiredStatus="STOPPED"
    )["taskArns"]
    reasons = [
        t["stoppedReason"]
        for t in ecs.describe_tasks(cluster="lift-staging", tasks=stopped)["tasks"]
    ]
    assert any("unable to retrieve secret from asm" in r for r in reasons), reasons


def test_old_labels_leave_the_window_and_rollback_says_so(pinned: GitRepo, lift: Lift) -> None:
    for n in range(1, LABEL_WINDOW + 3):
        ship(lift, n)
    sm = boto3.client("secretsmanager", region_name="eu-west-1")
    stages = sm.describe_secret(SecretId="lift/staging/payments-api")["VersionIdsToStages"]
    labels = sorted(int(s[5:]) for v in stages.values() for s in v if s.startswith("lift-"))
    assert labels == list(range(3, LABEL_WINDOW + 3))
    refused = lift("rollback", "-e", "staging", "--to", "1")
    assert refused.returncode == 1
    assert "beyond the rollback window" in refused.stderr
    assert "git lift config restore -e staging --release 1" in refused.stderr


def test_json_output_is_the_release_record(pinned: GitRepo, lift: Lift) -> None:
    record = json.loads(ship(lift, 1, "--output", "json").stdout)
    assert record["number"] == 1 and record["outcome"] == "released"
    assert record["image"] == image(1)
    [(arn, version)] = record["pinned"].items()
    assert ":secret:lift/staging/payments-api-" in arn and version
    ship(lift, 2)
    back = json.loads(lift("rollback", "-e", "staging", "--output", "json").stdout)
    assert (back["number"], back["rolled_back_from"], back["image"]) == (3, 2, image(1))


def test_unpinned_environments_reference_parameter_store(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(repo, monkeypatch, gitlift(), envs=("staging",))
    ship(lift)
    [secret] = running_task_definition("staging")["containerDefinitions"][0]["secrets"]
    assert ":ssm:" in secret["valueFrom"]
    assert "not pinned" in lift("status", "-e", "staging").stdout


def test_a_large_config_is_split_across_secrets() -> None:
    values = {f"KEY_{i}": "x" * 4000 for i in range(40)}
    parts = split(values)
    assert len(parts) == 3 and sum(len(p) for p in parts) == 40
    assert all(len(json.dumps(p).encode()) <= 65536 for p in parts)
