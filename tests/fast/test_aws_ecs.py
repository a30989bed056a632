"""The ECS and CloudWatch Logs wrappers (aws/ecs.py, aws/logs.py) in process: moto where it
answers as ECS does, botocore's Stubber for the answers moto never gives (stopped tasks with
exit codes, deployments without rolloutState, paged log events)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from git_lift.aws.ecs import Ecs, parse_deployment
from git_lift.aws.logs import Logs
from git_lift.errors import LiftError, NotSetUp
from git_lift.records import replace
from git_lift.settings import EnvironmentSettings, ServiceSettings
from git_lift.target import Target

API = Target(
    EnvironmentSettings("staging", ("refs/heads/main",)),
    ServiceSettings("api", ".", "Dockerfile", ".", "env.sample", "app"),
)
CLUSTER, SERVICE = API.cluster, API.ecs_service
SERVICE_ARN = f"arn:aws:ecs:eu-west-1:123456789012:service/{CLUSTER}/{SERVICE}"
TD = "arn:aws:ecs:eu-west-1:123456789012:task-definition/staging-api:{}"


@pytest.fixture(scope="module")
def moto_ecs() -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as env:
        env.delenv("AWS_ENDPOINT_URL", raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with mock_aws():
            yield boto3.client("ecs", region_name="eu-west-1")


def stubbed(service: str = "ecs") -> tuple[Any, Stubber]:
    client = boto3.client(
        service, region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    return client, Stubber(client)


def definition(family: str, containers: list[str]) -> dict[str, Any]:
    return {
        "family": family,
        "containerDefinitions": [
            {"name": name, "image": f"registry/{name}@sha256:{'1' * 64}", "essential": True}
            for name in containers
        ],
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
    }


def test_an_environment_never_created_is_not_set_up_and_says_how_to_create_it(
    moto_ecs: Any,
) -> None:
    with pytest.raises(NotSetUp) as raised:
        Ecs(moto_ecs, API).describe()
    assert raised.value.message == f"there is no ECS cluster {CLUSTER}"
    assert raised.value.hint == "set it up: git lift setup -e staging"


def test_a_service_never_created_is_not_set_up_and_says_how_to_create_it(
    moto_ecs: Any,
) -> None:
    moto_ecs.create_cluster(clusterName=CLUSTER)
    with pytest.raises(NotSetUp) as raised:
        Ecs(moto_ecs, API).describe()
    assert raised.value.message == f"there is no ECS service {SERVICE} in cluster {CLUSTER}"
    assert raised.value.hint == "set it up: git lift setup -e staging"


def test_a_service_deleted_behind_git_lifts_back_names_what_brings_it_back(
    moto_ecs: Any,
) -> None:
    # newcomer trial: the stack stayed, so `setup` (and `service update`) found it complete
    # and stopped as ship did; UpdateService refuses an INACTIVE service
    gone = Target(API.environment, replace(API.service, name="gone"))
    moto_ecs.create_cluster(clusterName=CLUSTER)
    moto_ecs.create_service(cluster=CLUSTER, serviceName=gone.ecs_service, desiredCount=0)
    moto_ecs.delete_service(cluster=CLUSTER, service=gone.ecs_service, force=True)
    with pytest.raises(NotSetUp) as raised:
        Ecs(moto_ecs, gone, stack_left=lambda: True).describe()
    assert raised.value.message == (
        f"the ECS service gone in cluster {CLUSTER} was deleted outside git lift (ECS shows "
        "it INACTIVE), and a stack update cannot bring it back"
    )
    fix = "git lift service delete -e staging, then: git lift setup -e staging"
    assert raised.value.hint == f"delete its stack, then set it up again: {fix}"
    assert raised.value.fix == fix  # what `status` says after "not set up"
    # deleted with its stack (`service delete`): setup brings it back
    with pytest.raises(NotSetUp) as raised:
        Ecs(moto_ecs, gone, stack_left=lambda: False).describe()
    assert raised.value.hint == "set it up: git lift setup -e staging"


def test_a_registered_revision_runs_what_the_described_one_ran(moto_ecs: Any) -> None:
    ecs = Ecs(moto_ecs, API)
    first = moto_ecs.register_task_definition(**definition("staging-api", ["app"]))
    described = ecs.task_definition(first["taskDefinition"]["taskDefinitionArn"])
    # what DescribeTaskDefinition adds (ARN, revision, status...) is not sent back
    second = ecs.register(described)
    assert second.endswith("task-definition/staging-api:2")
    assert ecs.image(second, "app") == described["containerDefinitions"][0]["image"]
    ecs.deregister(second)
    assert ecs.task_definition(second)["status"] == "INACTIVE"


def test_the_image_is_the_named_containers_or_the_only_ones(moto_ecs: Any) -> None:
    ecs = Ecs(moto_ecs, API)
    two = moto_ecs.register_task_definition(**definition("staging-two", ["app", "sidecar"]))
    one = moto_ecs.register_task_definition(**definition("staging-one", ["web"]))
    two_arn = two["taskDefinition"]["taskDefinitionArn"]
    assert ecs.image(two_arn, "sidecar") == f"registry/sidecar@sha256:{'1' * 64}"
    assert ecs.image(two_arn, "missing") is None  # which of two? none is guessed
    assert ecs.image(one["taskDefinition"]["taskDefinitionArn"], "app") == (
        f"registry/web@sha256:{'1' * 64}"
    )


def deployment(n: int, status: str, **extra: Any) -> dict[str, Any]:
    return {"id": f"ecs-svc/{n}", "status": status, "taskDefinition": TD.format(n), **extra}


def test_without_rollout_state_a_deployment_is_done_only_alone_at_its_count() -> None:
    running = {"desiredCount": 2, "runningCount": 2}
    assert parse_deployment(deployment(1, "PRIMARY", **running), alone=True).rollout_state == (
        "COMPLETED"
    )
    assert parse_deployment(deployment(1, "PRIMARY", **running), alone=False).rollout_state == (
        "IN_PROGRESS"
    )
    short = {"desiredCount": 2, "runningCount": 1}
    assert parse_deployment(deployment(1, "PRIMARY", **short), alone=True).rollout_state == (
        "IN_PROGRESS"
    )
    reported = deployment(1, "PRIMARY", rolloutState="FAILED", rolloutStateReason="breaker")
    parsed = parse_deployment(reported, alone=True)
    assert (parsed.rollout_state, parsed.reason) == ("FAILED", "breaker")


def test_the_state_lists_deployments_and_events_oldest_first_skipping_inactive() -> None:
    client, stubber = stubbed()
    answer = {
        "services": [
            {"serviceArn": SERVICE_ARN + "-old", "status": "INACTIVE"},
            {
                "serviceArn": SERVICE_ARN,
                "status": "ACTIVE",
                "taskDefinition": TD.format(2),
                "desiredCount": 2,
                "runningCount": 3,
                "deployments": [
                    deployment(2, "PRIMARY", desiredCount=2, runningCount=1, failedTasks=1),
                    deployment(1, "ACTIVE", desiredCount=2, runningCount=2),
                ],
                "events": [
                    {"id": "e2", "message": "second", "createdAt": datetime.now(UTC)},
                    {"id": "e1", "message": "first", "createdAt": datetime.now(UTC)},
                ],
            },
        ]
    }
    stubber.add_response("describe_services", answer, {"cluster": CLUSTER, "services": [SERVICE]})
    with stubber:
        state = Ecs(client, API).describe()
    assert state.arn == SERVICE_ARN and (state.desired, state.running) == (2, 3)
    assert [e.message for e in state.events] == ["first", "second"]
    assert state.primary is not None and state.primary.id == "ecs-svc/2"
    assert state.primary.failed_tasks == 1 and state.primary.rollout_state == "IN_PROGRESS"
    old = state.deployment("ecs-svc/1")
    assert old is not None and old.status == "ACTIVE"
    assert state.deployment("ecs-svc/9") is None


def test_deploy_returns_the_primary_deployment_update_service_reports() -> None:
    client, stubber = stubbed()
    expected = {"cluster": CLUSTER, "service": SERVICE, "taskDefinition": TD.format(3)}
    deployments = [deployment(1, "ACTIVE"), deployment(3, "PRIMARY")]
    stubber.add_response("update_service", {"service": {"deployments": deployments}}, expected)
    stubber.add_response("update_service", {"service": {"deployments": []}}, expected)
    with stubber:
        ecs = Ecs(client, API)
        assert ecs.deploy(TD.format(3)) == "ecs-svc/3"
        assert ecs.deploy(TD.format(3)) is None


def test_stopped_tasks_of_one_deployment_say_why_each_container_stopped() -> None:
    client, stubber = stubbed()
    arns = [f"arn:aws:ecs:eu-west-1:123456789012:task/{CLUSTER}/t{n}" for n in range(3)]
    stubber.add_response(
        "list_tasks",
        {"taskArns": arns},
        {"cluster": CLUSTER, "serviceName": SERVICE, "desiredStatus": "STOPPED"},
    )
    tasks = [
        {
            "taskArn": arns[0],
            "startedBy": "ecs-svc/2",
            "stoppedReason": "Essential container in task exited",
            "containers": [
                {"name": "app", "exitCode": 1},
                {"name": "sidecar", "exitCode": 0},  # exited cleanly: not a reason
            ],
        },
        {
            "taskArn": arns[1],
            "startedBy": "ecs-svc/2",
            "stoppedReason": "ResourceInitializationError: unable to pull secrets",
            "containers": [{"name": "app", "reason": "CannotPullContainerError"}],
        },
        {"taskArn": arns[2], "startedBy": "ecs-svc/1", "stoppedReason": "Scaling activity"},
    ]
    stubber.add_response("describe_tasks", {"tasks": tasks}, {"cluster": CLUSTER, "tasks": arns})
    with stubber:
        stopped = Ecs(client, API).stopped_tasks("ecs-svc/2")
    assert [(t.arn, t.reason, t.containers) for t in stopped] == [
        (arns[0], "Essential container in task exited", ["app: exit code 1"]),
        (
            arns[1],
            "ResourceInitializationError: unable to pull secrets",
            ["app: CannotPullContainerError"],
        ),
    ]


def test_no_stopped_task_costs_one_request() -> None:
    client, stubber = stubbed()
    stubber.add_response("list_tasks", {"taskArns": []}, None)
    with stubber:
        assert Ecs(client, API).stopped_tasks("ecs-svc/2") == []
    stubber.assert_no_pending_responses()  # and no DescribeTasks was asked for


def test_a_shell_into_a_service_without_running_tasks_says_where_to_look() -> None:
    client, stubber = stubbed()
    stubber.add_response("list_tasks", {"taskArns": []}, None)
    with stubber, pytest.raises(LiftError) as raised:
        Ecs(client, API).exec_session("app", "/bin/sh")
    assert raised.value.message == f"{SERVICE} has no running task in staging"
    assert raised.value.hint == "see why: git lift status -e staging"


def test_a_shell_opens_in_the_first_running_task_of_the_service() -> None:
    client, stubber = stubbed()
    task = f"arn:aws:ecs:eu-west-1:123456789012:task/{CLUSTER}/abc"
    stubber.add_response(
        "list_tasks",
        {"taskArns": [task, task + "2"]},
        {"cluster": CLUSTER, "serviceName": SERVICE, "desiredStatus": "RUNNING"},
    )
    session = {"sessionId": "s-1", "streamUrl": "wss://x", "tokenValue": "t"}
    stubber.add_response(
        "execute_command",
        {"session": session},
        {
            "cluster": CLUSTER,
            "task": task,
            "container": "app",
            "interactive": True,
            "command": "/bin/sh",
        },
    )
    with stubber:
        opened, region = Ecs(client, API).exec_session("app", "/bin/sh")
    assert (opened, region) == (session, "eu-west-1")


def test_log_events_are_read_across_pages_in_order() -> None:
    client, stubber = stubbed("logs")
    group = API.log_group

    def events(*numbers: int) -> list[dict[str, Any]]:
        return [
            {"timestamp": n, "logStreamName": "app/1", "message": f"line {n}", "eventId": str(n)}
            for n in numbers
        ]

    stubber.add_response(
        "filter_log_events",
        {"events": events(1, 2), "nextToken": "more"},
        {"logGroupName": group, "startTime": 0},
    )
    stubber.add_response(
        "filter_log_events",
        {"events": events(3)},
        {"logGroupName": group, "startTime": 0, "nextToken": "more"},
    )
    with stubber:
        read = list(Logs(client, API).events(0))
    assert [(e.timestamp, e.message, e.event_id) for e in read] == [
        (1, "line 1", "1"),
        (2, "line 2", "2"),
        (3, "line 3", "3"),
    ]


def test_log_events_start_at_the_time_asked_across_streams(moto_ecs: Any) -> None:
    logs = boto3.client("logs", region_name="eu-west-1")
    logs.create_log_group(logGroupName=API.log_group)
    base = int(time.time() * 1000) - 60_000  # CloudWatch refuses events days old
    for stream, offsets in (("app/1", [1000, 3000]), ("app/2", [500, 2000])):
        logs.create_log_stream(logGroupName=API.log_group, logStreamName=stream)
        logs.put_log_events(
            logGroupName=API.log_group,
            logStreamName=stream,
            logEvents=[{"timestamp": base + t, "message": f"at {t}"} for t in offsets],
        )
    read = list(Logs(logs, API).events(base + 1000))
    assert sorted((e.timestamp - base, e.stream, e.message) for e in read) == [
        (1000, "app/1", "at 1000"),
        (2000, "app/2", "at 2000"),
        (3000, "app/1", "at 3000"),
    ]


def test_a_missing_log_group_names_the_command_that_creates_it() -> None:
    client, stubber = stubbed("logs")
    stubber.add_client_error("filter_log_events", service_error_code="ResourceNotFoundException")
    with stubber, pytest.raises(LiftError) as raised:
        list(Logs(client, API).events(0))
    assert raised.value.message == f"there is no log group {API.log_group}"
    assert raised.value.hint == "set it up: git lift setup -e staging"


# One-off tasks (issue 20): RunTask where the service runs, DescribeTasks, StopTask. The
# Stubber checks each request against botocore's ECS model.


def raw_service(**more: Any) -> dict[str, Any]:
    return {"serviceArn": SERVICE_ARN, "status": "ACTIVE", "taskDefinition": TD.format(2)} | more


NETWORK = {
    "awsvpcConfiguration": {
        "subnets": ["subnet-1", "subnet-2"],
        "securityGroups": ["sg-1"],
        "assignPublicIp": "DISABLED",
    }
}
TASK = f"arn:aws:ecs:eu-west-1:123456789012:task/{CLUSTER}/{'a' * 32}"


@pytest.mark.parametrize(
    ("service", "launch"),
    [
        (
            raw_service(
                launchType="FARGATE", platformVersion="LATEST", networkConfiguration=NETWORK
            ),
            {"launchType": "FARGATE", "platformVersion": "LATEST"},
        ),
        (
            raw_service(
                launchType="FARGATE",  # ECS reports none with a strategy; a strategy wins
                capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
                networkConfiguration=NETWORK,
                enableExecuteCommand=True,
            ),
            {
                "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
                "enableExecuteCommand": True,
            },
        ),
    ],
)
def test_a_one_off_task_starts_where_the_service_runs_its_own(
    service: dict[str, Any], launch: dict[str, Any]
) -> None:
    client, stubber = stubbed()
    stubber.add_response(
        "describe_services", {"services": [service]}, {"cluster": CLUSTER, "services": [SERVICE]}
    )
    expected = {
        "cluster": CLUSTER,
        "taskDefinition": TD.format(2),
        "count": 1,
        "startedBy": "git-lift-run",
        "overrides": {
            "containerOverrides": [{"name": "app", "command": ["bin/rails", "db:migrate"]}],
            "cpu": "1024",
            "memory": "2048",
        },
        "networkConfiguration": NETWORK,
    } | launch
    stubber.add_response("run_task", {"tasks": [{"taskArn": TASK}], "failures": []}, expected)
    with stubber:
        arn = Ecs(client, API).run_task(
            TD.format(2), "app", ["bin/rails", "db:migrate"], cpu=1024, memory=2048
        )
    assert arn == TASK


def test_without_a_command_the_task_runs_its_task_definitions_own() -> None:
    client, stubber = stubbed()
    stubber.add_response("describe_services", {"services": [raw_service()]}, None)
    expected = {
        "cluster": CLUSTER,
        "taskDefinition": TD.format(2),
        "count": 1,
        "startedBy": "git-lift-run",
        "overrides": {},
    }
    stubber.add_response("run_task", {"tasks": [{"taskArn": TASK}]}, expected)
    with stubber:
        assert Ecs(client, API).run_task(TD.format(2), "app", None) == TASK


def test_a_task_ecs_would_not_start_says_why() -> None:
    client, stubber = stubbed()
    stubber.add_response("describe_services", {"services": [raw_service()]}, None)
    failure = {"arn": TD.format(2), "reason": "RESOURCE:MEMORY", "detail": "not enough"}
    stubber.add_response("run_task", {"tasks": [], "failures": [failure]}, None)
    with stubber, pytest.raises(LiftError) as refused:
        Ecs(client, API).run_task(TD.format(2), "app", ["true"])
    assert refused.value.message.endswith(": RESOURCE:MEMORY not enough")


def test_a_one_off_task_of_a_service_not_set_up_names_git_lift_setup() -> None:
    client, stubber = stubbed()
    stubber.add_response("describe_services", {"services": []}, None)
    with stubber, pytest.raises(NotSetUp) as refused:
        Ecs(client, API).run_task(TD.format(2), "app", ["true"])
    assert refused.value.hint == "set it up: git lift setup -e staging"


def test_a_task_says_how_its_container_ended_and_can_be_stopped() -> None:
    client, stubber = stubbed()
    described = {
        "taskArn": TASK,
        "lastStatus": "STOPPED",
        "stopCode": "EssentialContainerExited",
        "stoppedReason": "Essential container in task exited",
        "containers": [{"name": "sidecar", "exitCode": 0}, {"name": "app", "exitCode": 3}],
    }
    stubber.add_response(
        "describe_tasks", {"tasks": [described]}, {"cluster": CLUSTER, "tasks": [TASK]}
    )
    stubber.add_response(
        "stop_task", {"task": described}, {"cluster": CLUSTER, "task": TASK, "reason": "why"}
    )
    with stubber:
        ecs = Ecs(client, API)
        status = ecs.task(TASK, "app")
        ecs.stop_task(TASK, "why")
    assert (status.stopped, status.exit_code, status.stop_code) == (
        True,
        3,
        "EssentialContainerExited",
    )
    assert status.id == "a" * 32


def test_a_tasks_stream_is_read_on_from_its_token_and_is_empty_until_made() -> None:
    client, stubber = stubbed("logs")
    where = {"logGroupName": API.log_group, "logStreamName": "app/app/abc", "startFromHead": True}
    stubber.add_client_error("get_log_events", "ResourceNotFoundException", expected_params=where)
    answer = {"events": [{"timestamp": 5, "message": "migrated"}], "nextForwardToken": "f/1"}
    stubber.add_response("get_log_events", answer, where)
    stubber.add_response(
        "get_log_events", {"events": [], "nextForwardToken": "f/1"}, where | {"nextToken": "f/1"}
    )
    with stubber:
        logs = Logs(client, API)
        assert logs.stream_events(API.log_group, "app/app/abc", None) == ([], None)
        events, token = logs.stream_events(API.log_group, "app/app/abc", None)
        assert [e.message for e in events] == ["migrated"] and token == "f/1"
        assert logs.stream_events(API.log_group, "app/app/abc", token) == ([], "f/1")
