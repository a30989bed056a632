"""Faster, clearer failure: fail fast after K stopped tasks, `git lift cancel` from another
process, while ECS (the rollout simulator) has no circuit breaker to end the deployment."""

from __future__ import annotations

import os
import subprocess
import time
from typing import Any

import boto3
import pytest

from git_lift.aws.store import Store
from tests.support.ecs import running_task_definition, target
from tests.support.helpers import GitRepo, Lift
from tests.support.infra import put_config
from tests.support.release import gitlift, image, prepare


@pytest.fixture
def no_breaker(aws: Any, repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """Staging without ECS's circuit breaker: crashing tasks are replaced for ever."""
    prepare(repo, monkeypatch, gitlift(), envs=("staging",))
    boto3.client("ecs", region_name="eu-west-1").update_service(
        cluster="lift-staging",
        service="payments-api",
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": False, "rollback": False}},
    )
    return repo


def crash_next_release(repo: GitRepo) -> None:
    put_config("staging", "payments-api", LIFT_SANDBOX_CRASH="1")
    repo.write("env.sample", "DATABASE_URL=x\nLIFT_SANDBOX_CRASH=1\n")
    repo.commit("Crash on purpose")


def store() -> Store:
    return Store(boto3.client("dynamodb", region_name="eu-west-1"))


def test_three_crashes_roll_back_long_before_the_timeout(no_breaker: GitRepo, lift: Lift) -> None:
    assert lift("ship", "-e", "staging", "--image", image(1)).returncode == 0
    good = running_task_definition("staging")["taskDefinitionArn"]
    crash_next_release(no_breaker)
    started = time.monotonic()
    result = lift("ship", "-e", "staging", "--image", image(2), "--timeout", "600")
    assert result.returncode == 1
    assert time.monotonic() - started < 60
    assert "3 tasks of staging-payments-api:" in result.stderr
    assert "stopped in a row (failFast)" in result.stderr
    assert "Essential container in task exited" in result.stderr.split("(failFast)")[1]
    assert "timed out" not in result.stderr
    assert running_task_definition("staging")["taskDefinitionArn"] == good


def test_fail_fast_is_set_per_environment(no_breaker: GitRepo, lift: Lift) -> None:
    no_breaker.write(".gitlift", gitlift(staging="\tfailFast = 5\n"))
    crash_next_release(no_breaker)
    result = lift("ship", "-e", "staging", "--image", image(2), "--timeout", "600")
    assert result.returncode == 1 and "5 tasks of" in result.stderr, result.stderr


def test_cancel_from_a_second_process(no_breaker: GitRepo, lift: Lift) -> None:
    assert lift("ship", "-e", "staging", "--image", image(1)).returncode == 0
    good = running_task_definition("staging")["taskDefinitionArn"]
    no_breaker.write(".gitlift", gitlift(staging="\tfailFast = 1000\n"))
    crash_next_release(no_breaker)
    ship = subprocess.Popen(
        ["git-lift", "ship", "-e", "staging", "--image", image(2)],
        cwd=no_breaker.path,
        env={**os.environ, "GIT_LIFT_POLL_INTERVAL": "0.2"},
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert ship.stderr is not None
    for line in ship.stderr:
        if line.startswith("deploying"):
            break
    cancelled = lift("cancel", "-e", "staging")
    rest = ship.stderr.read()
    ship.wait(timeout=60)
    assert cancelled.returncode == 0, cancelled.stderr
    assert "cancelled: payments-api in staging runs" in cancelled.stderr
    assert ship.returncode == 130, rest
    assert running_task_definition("staging")["taskDefinitionArn"] == good
    assert store().lock(target()) is None
    assert store().releases(target())[0].outcome == "interrupted"


def test_cancel_with_nothing_in_flight(no_breaker: GitRepo, lift: Lift) -> None:
    result = lift("cancel", "-e", "staging")
    assert result.returncode == 1
    assert "error: no deployment of payments-api in staging is in flight" in result.stderr
    assert "hint: to go back to an earlier release: git lift rollback -e staging" in result.stderr
