"""The sandbox's one-off tasks (git_lift.sandbox.one_off) over HTTP with boto3, as ECS answers:
RunTask's task goes PROVISIONING -> PENDING -> RUNNING -> STOPPED a DescribeTasks at a time,
its output goes to its awslogs stream PREFIX/CONTAINER/TASK-ID, it stops with its command's
exit code; the server answers while the command runs; StopTask stops it with 143; a missing
secret stops it before it runs; a service's own tasks are not one-off tasks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from git_lift.sandbox import image_runner
from tests.support.ecs import create_service

CLUSTER = "lift-staging"


@pytest.fixture
def ecs(aws: Any) -> Any:
    create_service("staging", runs_tasks=True, desired=1)
    return boto3.client("ecs", region_name="eu-west-1")


def run_task(ecs: Any, command: list[str], **more: Any) -> str:
    service = ecs.describe_services(cluster=CLUSTER, services=["payments-api"])["services"][0]
    answer = ecs.run_task(
        cluster=CLUSTER,
        taskDefinition=service["taskDefinition"],
        launchType="FARGATE",
        networkConfiguration=service["networkConfiguration"],
        startedBy="git-lift-run",
        overrides={"containerOverrides": [{"name": "payments-api", "command": command}]},
        **more,
    )
    assert answer["failures"] == []
    return str(answer["tasks"][0]["taskArn"])


def look(ecs: Any, arn: str) -> dict[str, Any]:
    return dict(ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0])


def stream_lines(arn: str) -> list[str]:
    logs = boto3.client("logs", region_name="eu-west-1")
    stream = f"ecs/payments-api/{arn.rsplit('/', 1)[-1]}"
    answer = logs.get_log_events(
        logGroupName="/lift/staging/payments-api", logStreamName=stream, startFromHead=True
    )
    return [e["message"] for e in answer["events"]]


def until_stopped(ecs: Any, arn: str) -> tuple[list[str], dict[str, Any]]:
    seen: list[str] = []
    for _ in range(200):
        task = look(ecs, arn)
        if not seen or seen[-1] != task["lastStatus"]:
            seen.append(task["lastStatus"])
        if task["lastStatus"] == "STOPPED":
            return seen, task
        time.sleep(0.01)
    raise AssertionError(f"the task never stopped: {seen}")


def test_a_one_off_task_runs_logs_and_stops_with_its_exit_code(ecs: Any) -> None:
    arn = run_task(ecs, ["sh", "-c", "LIFT_SANDBOX_EXIT=7"])
    assert len(arn.rsplit("/", 1)[-1]) == 32  # as ECS names task ids
    seen, task = until_stopped(ecs, arn)
    assert seen == ["PENDING", "RUNNING", "STOPPED"]  # each look moves it a state
    assert task["stopCode"] == "EssentialContainerExited"
    assert task["containers"][0]["exitCode"] == 7
    assert task["startedBy"] == "git-lift-run"
    assert stream_lines(arn) == ["(sandbox: simulated; the image was not run)"]


def test_the_server_answers_while_a_tasks_command_runs(
    ecs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    finish = threading.Event()

    def slow(*args: Any, on_line: Callable[[str], None], **kwargs: Any) -> int | None:
        on_line("started")
        finish.wait(20)
        on_line("finished")
        return 0

    monkeypatch.setattr(image_runner, "run_image", slow)
    arn = run_task(ecs, ["bin/migrate"])
    for _ in range(3):
        look(ecs, arn)
    assert look(ecs, arn)["lastStatus"] == "RUNNING"  # answered while the command runs
    assert stream_lines(arn) == ["started"]
    finish.set()
    _, task = until_stopped(ecs, arn)
    assert task["containers"][0]["exitCode"] == 0
    assert stream_lines(arn) == ["started", "finished"]


def test_stop_task_stops_a_running_task_with_sigterms_exit_code(
    ecs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    finish = threading.Event()
    monkeypatch.setattr(image_runner, "run_image", lambda *a, **k: finish.wait(20) and 0)
    arn = run_task(ecs, ["sleep", "600"])
    for _ in range(2):
        look(ecs, arn)
    stopped = ecs.stop_task(cluster=CLUSTER, task=arn, reason="interrupted: git lift run")["task"]
    finish.set()
    assert stopped["lastStatus"] == "STOPPED" and stopped["stopCode"] == "UserInitiated"
    assert stopped["stoppedReason"] == "interrupted: git lift run"
    assert stopped["containers"][0]["exitCode"] == 143
    time.sleep(0.1)
    assert look(ecs, arn)["containers"][0]["exitCode"] == 143  # the command's end is ignored


def test_a_task_whose_parameter_is_missing_never_runs(ecs: Any) -> None:
    family = ecs.describe_services(cluster=CLUSTER, services=["payments-api"])["services"][0]
    definition = ecs.describe_task_definition(taskDefinition=family["taskDefinition"])
    container = definition["taskDefinition"]["containerDefinitions"][0] | {
        "secrets": [{"name": "API_TOKEN", "valueFrom": "/staging/payments-api/API_TOKEN"}]
    }
    arn = ecs.register_task_definition(
        family="staging-payments-api",
        containerDefinitions=[container],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster=CLUSTER, service="payments-api", taskDefinition=arn)
    task = run_task(ecs, ["true"])
    seen, stopped = until_stopped(ecs, task)
    assert seen == ["STOPPED"]
    assert stopped["stopCode"] == "TaskFailedToStart"
    assert "invalid ssm parameters: /staging/payments-api/API_TOKEN" in stopped["stoppedReason"]
    assert stopped["containers"][0].get("exitCode") is None


def test_awsvpc_without_a_network_is_refused_as_ecs_refuses_it(ecs: Any) -> None:
    service = ecs.describe_services(cluster=CLUSTER, services=["payments-api"])["services"][0]
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.run_task(
            cluster=CLUSTER, taskDefinition=service["taskDefinition"], launchType="FARGATE"
        )


def test_a_launch_type_with_a_capacity_provider_strategy_is_refused(ecs: Any) -> None:
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        run_task(ecs, ["true"], capacityProviderStrategy=[{"capacityProvider": "FARGATE"}])
