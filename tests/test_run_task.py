"""`git lift run` end to end (issue 20): `git lift` as a subprocess against the sandbox over
HTTP, whose one-off tasks (git_lift.sandbox.one_off) run, write their output to CloudWatch
Logs and stop with an exit code: the container's exit code is git lift's, --detach prints the
task id, Ctrl-C stops the task, the task gets the service's network and its resolved secrets,
and a service that is not set up is refused with the command that sets it up."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import boto3
import pytest

from git_lift.sandbox import image_runner
from tests.support.ecs import create_service, deploy_behind_git_lifts_back
from tests.support.helpers import GitRepo, Lift
from tests.support.infra import put_config
from tests.support.release import gitlift, image, prepare


@pytest.fixture
def service(aws: Any, repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """payments-api in staging, placed and logging as the service stack makes it."""
    monkeypatch.setenv("GIT_LIFT_POLL_INTERVAL", "0.02")
    create_service("staging", runs_tasks=True)
    return repo


def ecs() -> Any:
    return boto3.client("ecs", region_name="eu-west-1")


def described(task_id: str) -> dict[str, Any]:
    return dict(ecs().describe_tasks(cluster="lift-staging", tasks=[task_id])["tasks"][0])


def test_run_exits_with_the_containers_exit_code_and_says_it_simulated(
    service: GitRepo, lift: Lift
) -> None:
    failed = lift("run", "-e", "staging", "--", "sh", "-c", "exit 3 # LIFT_SANDBOX_EXIT=3")
    assert failed.returncode == 3, failed.stderr
    assert failed.stdout == "(sandbox: simulated; the image was not run)\n"
    assert "exit 3 in" in failed.stderr
    ok = lift("run", "-e", "staging", "--", "true")
    assert ok.returncode == 0, ok.stderr


def test_the_task_runs_where_the_service_runs_with_its_command_and_started_by(
    service: GitRepo, lift: Lift
) -> None:
    result = lift("run", "-e", "staging", "--detach", "--", "bin/backfill", "--all")
    assert result.returncode == 0, result.stderr
    task_id = result.stdout.strip()
    assert len(task_id) == 32 and "started task" in result.stderr
    task = described(task_id)
    assert task["startedBy"] == "git-lift-run"
    assert task["overrides"]["containerOverrides"] == [
        {"name": "payments-api", "command": ["bin/backfill", "--all"]}
    ]
    assert task["launchType"] == "FARGATE"
    subnet = ecs().describe_services(cluster="lift-staging", services=["payments-api"])["services"][
        0
    ]["networkConfiguration"]["awsvpcConfiguration"]["subnets"][0]
    details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
    assert details["subnetId"] == subnet  # the service's network


def test_detach_returns_while_the_task_runs_on(service: GitRepo, lift: Lift) -> None:
    result = lift("run", "-e", "staging", "--detach", "--", "sleep", "60")
    assert result.returncode == 0
    assert described(result.stdout.strip())["lastStatus"] == "PENDING"  # this look moved it


def test_the_apps_output_and_secrets_reach_the_task(
    service: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    boto3.client("ssm", region_name="eu-west-1").put_parameter(
        Name="/staging/payments-api/DATABASE_URL", Value="postgres://secret", Type="SecureString"
    )
    deploy_behind_git_lifts_back(
        "staging",
        {
            "name": "payments-api",
            "image": "registry.example.com/payments-api:2",
            "environment": [{"name": "LOG_FORMAT", "value": "json"}],
            "secrets": [
                {"name": "DATABASE_URL", "valueFrom": "/staging/payments-api/DATABASE_URL"}
            ],
            "logConfiguration": awslogs_options(),
        },
    )
    seen: list[tuple[str, Sequence[str] | None, dict[str, str]]] = []

    def runs(
        image: str,
        command: Sequence[str] | None,
        environment: Mapping[str, str],
        *,
        on_line: Callable[[str], None],
        timeout: float,
        stop: threading.Event | None = None,
    ) -> int | None:
        seen.append((image, command, dict(environment)))
        on_line(f"{len(environment['DATABASE_URL'])} characters")
        on_line("done")
        return 5

    monkeypatch.setattr(image_runner, "run_image", runs)
    result = lift("run", "-e", "staging", "--", "sh", "-c", "echo $DATABASE_URL | wc -c")
    assert result.returncode == 5, result.stderr
    assert result.stdout == "17 characters\ndone\n"
    image, command, environment = seen[0]
    assert image == "registry.example.com/payments-api:2"
    assert command == ["sh", "-c", "echo $DATABASE_URL | wc -c"]
    assert environment == {"LOG_FORMAT": "json", "DATABASE_URL": "postgres://secret"}
    assert "postgres://secret" not in result.stderr  # git lift never shows a value
    assert "echo $DATABASE_URL" not in result.stderr  # nor the arguments, which may hold one
    logs = lift("logs", "-e", "staging")
    assert "17 characters" in logs.stdout  # the output is in CloudWatch Logs too


def test_run_gets_the_releases_pinned_config_not_a_newer_value_nobody_shipped(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    pins = gitlift(staging="\tpinConfig = true\n")
    prepare(repo, monkeypatch, pins, envs=("staging",), runs_tasks=True)
    shipped = lift("ship", "-e", "staging", "--image", image(1))
    assert shipped.returncode == 0, shipped.stderr
    put_config("staging", "payments-api", DATABASE_URL="postgres://edited-not-shipped")
    seen: list[dict[str, str]] = []

    def runs(*args: Any, on_line: Callable[[str], None], **kwargs: Any) -> int | None:
        seen.append(dict(args[2]))
        return 0

    monkeypatch.setattr(image_runner, "run_image", runs)
    result = lift("run", "-e", "staging", "--", "true")
    assert result.returncode == 0, result.stderr
    assert seen == [{"DATABASE_URL": "postgres://staging-one"}]  # release 1's snapshot


def awslogs_options() -> dict[str, Any]:
    group = "/lift/staging/payments-api"
    options = {
        "awslogs-group": group,
        "awslogs-region": "eu-west-1",
        "awslogs-stream-prefix": "ecs",
    }
    return {"logDriver": "awslogs", "options": options}


def test_a_task_whose_secret_is_missing_never_starts_exit_1_with_aws_reason(
    service: GitRepo, lift: Lift
) -> None:
    deploy_behind_git_lifts_back(
        "staging",
        {
            "name": "payments-api",
            "image": "registry.example.com/payments-api:2",
            "secrets": [{"name": "API_TOKEN", "valueFrom": "/staging/payments-api/API_TOKEN"}],
        },
    )
    result = lift("run", "-e", "staging", "--", "true")
    assert result.returncode == 1
    assert "stopped before its command ran: ResourceInitializationError" in result.stderr
    assert "/staging/payments-api/API_TOKEN" in result.stderr


def test_ctrl_c_stops_the_task_and_says_so(
    service: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def hangs(*args: Any, on_line: Callable[[str], None], **kwargs: Any) -> int | None:
        on_line("working")
        release.wait(30)
        return 0

    monkeypatch.setattr(image_runner, "run_image", hangs)
    process = subprocess.Popen(
        ["git-lift", "run", "-e", "staging", "--", "sleep", "600"],
        cwd=lift.cwd,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == "working\n"
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        release.set()
    assert process.returncode == 130, err
    task_id = next(w for w in err.split() if len(w) == 32)
    assert f"error: interrupted: task {task_id} stopped" in err
    stopped = described(task_id)
    assert stopped["lastStatus"] == "STOPPED" and stopped["stopCode"] == "UserInitiated"
    assert stopped["containers"][0]["exitCode"] == 143


def test_run_refuses_a_service_that_is_not_set_up(aws: Any, repo: GitRepo, lift: Lift) -> None:
    result = lift("run", "-e", "staging", "--", "true")
    assert result.returncode == 1
    assert "error: there is no ECS cluster lift-staging" in result.stderr
    assert "hint: set it up: git lift setup -e staging" in result.stderr
    assert "ecs.RunTask" not in aws.request_counts()


def test_a_command_is_required(aws: Any, repo: GitRepo, lift: Lift) -> None:
    result = lift("run", "-e", "staging")
    assert result.returncode == 2 and "CMD" in result.stderr
