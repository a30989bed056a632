"""The sandbox's ECS rollout simulator, driven over real HTTP with boto3 as ship drives ECS."""

from __future__ import annotations

import datetime
import json
import urllib.request
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from git_lift.sandbox.server import SandboxServer

CLUSTER = "lift-staging"
SERVICE = "api"
FAMILY = "staging-api"
BREAKER_ROLLBACK = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}
BREAKER_ONLY = {"deploymentCircuitBreaker": {"enable": True, "rollback": False}}


@pytest.fixture
def ecs(server: SandboxServer, session: boto3.session.Session) -> Any:
    client = session.client("ecs", endpoint_url=server.url)
    client.create_cluster(clusterName=CLUSTER)
    return client


@pytest.fixture
def ssm(server: SandboxServer, session: boto3.session.Session) -> Any:
    return session.client("ssm", endpoint_url=server.url)


def register(
    ecs: Any,
    *,
    image: str = "registry/api@sha256:1",
    secrets: list[dict[str, str]] | None = None,
    environment: list[dict[str, str]] | None = None,
) -> str:
    container = {
        "name": "api",
        "image": image,
        "essential": True,
        "secrets": secrets or [],
        "environment": environment or [],
    }
    task_definition = ecs.register_task_definition(
        family=FAMILY,
        containerDefinitions=[container],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
    )["taskDefinition"]
    return str(task_definition["taskDefinitionArn"])


def create(ecs: Any, task_definition: str, *, desired: int = 1, config: Any = None) -> Any:
    extra = {"deploymentConfiguration": config} if config else {}
    return ecs.create_service(
        cluster=CLUSTER,
        serviceName=SERVICE,
        taskDefinition=task_definition,
        desiredCount=desired,
        launchType="FARGATE",
        **extra,
    )["service"]


def describe(ecs: Any, name: str = SERVICE) -> Any:
    return ecs.describe_services(cluster=CLUSTER, services=[name])["services"][0]


def describe_until(ecs: Any, done: Callable[[Any], bool], limit: int = 10) -> tuple[Any, int]:
    """DescribeServices until `done(service)`; returns the service and the number of calls."""
    for calls in range(1, limit + 1):
        service = describe(ecs)
        if done(service):
            return service, calls
    raise AssertionError(f"not done after {limit} DescribeServices: {service['deployments']}")


def primary(service: Any) -> Any:
    return next(d for d in service["deployments"] if d["status"] == "PRIMARY")


def completed(service: Any) -> bool:
    return len(service["deployments"]) == 1 and primary(service)["rolloutState"] == "COMPLETED"


def messages(service: Any) -> list[str]:
    return [event["message"] for event in service["events"]]


def tasks(ecs: Any, status: str = "RUNNING", service: str = SERVICE) -> list[Any]:
    arns = ecs.list_tasks(cluster=CLUSTER, serviceName=service, desiredStatus=status)["taskArns"]
    if not arns:
        return []
    return list(ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"])


def deploy_good_release(ecs: Any, config: Any = BREAKER_ROLLBACK) -> tuple[str, str]:
    """A first release that completes; returns its task definition and deployment id."""
    task_definition = register(ecs)
    create(ecs, task_definition, config=config)
    service, _ = describe_until(ecs, completed)
    return task_definition, primary(service)["id"]


def test_new_service_rolls_out_in_three_describes(ecs: Any) -> None:
    task_definition = register(ecs)
    created = create(ecs, task_definition, desired=2)
    deployment = created["deployments"][0]
    assert (deployment["status"], deployment["rolloutState"]) == ("PRIMARY", "IN_PROGRESS")
    assert (deployment["runningCount"], deployment["pendingCount"]) == (0, 2)
    assert deployment["id"].startswith("ecs-svc/")
    assert isinstance(deployment["createdAt"], datetime.datetime)  # boto3 parsed the shape

    describe(ecs)
    assert {t["lastStatus"] for t in tasks(ecs)} == {"PROVISIONING"}
    describe(ecs)
    assert {t["lastStatus"] for t in tasks(ecs)} == {"PENDING"}
    service = describe(ecs)

    assert completed(service)
    assert primary(service)["id"] == deployment["id"]
    assert primary(service)["rolloutStateReason"] == f"ECS deployment {deployment['id']} completed."
    assert (service["runningCount"], service["pendingCount"]) == (2, 0)
    running = tasks(ecs)
    assert [t["lastStatus"] for t in running] == ["RUNNING", "RUNNING"]
    assert {t["taskDefinitionArn"] for t in running} == {task_definition}
    assert {t["group"] for t in running} == {f"service:{SERVICE}"}
    assert {t["startedBy"] for t in running} == {deployment["id"]}
    started = messages(service)[2]
    assert started.startswith(f"(service {SERVICE}) has started 2 tasks: (task ")
    listed = {part.split(")")[0] for part in started.split("(task ")[1:]}
    assert listed == {t["taskArn"].rsplit("/", 1)[1] for t in running}
    assert messages(service)[:2] == [
        f"(service {SERVICE}) has reached a steady state.",
        f"(service {SERVICE}) (deployment {deployment['id']}) deployment completed.",
    ]
    newest_first = [event["createdAt"] for event in service["events"]]
    assert newest_first == sorted(newest_first, reverse=True)


def test_update_replaces_the_old_deployment_and_its_tasks(ecs: Any) -> None:
    first, first_id = deploy_good_release(ecs)
    old_task = tasks(ecs)[0]["taskArn"]
    second = register(ecs, image="registry/api@sha256:2")

    updated = ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=f"{FAMILY}:2")[
        "service"
    ]

    assert updated["taskDefinition"] == second
    new = primary(updated)
    assert new["id"] != first_id
    assert (new["taskDefinition"], new["rolloutState"], new["runningCount"]) == (
        second,
        "IN_PROGRESS",
        0,
    )
    assert [(d["id"], d["status"]) for d in updated["deployments"][1:]] == [(first_id, "ACTIVE")]
    assert updated["runningCount"] == 1  # the old task serves until the new one runs

    service, calls = describe_until(ecs, completed)

    assert calls == 3
    assert [(d["id"], d["taskDefinition"]) for d in service["deployments"]] == [(new["id"], second)]
    stopped = tasks(ecs, "STOPPED")
    assert [t["taskArn"] for t in stopped] == [old_task]
    assert stopped[0]["stoppedReason"] == f"Scaling activity initiated by (deployment {new['id']})"
    assert stopped[0]["stopCode"] == "ServiceSchedulerInitiated"
    assert f"(service {SERVICE}) has stopped 1 running tasks: (task " in "\n".join(
        messages(service)
    )
    assert [t["taskDefinitionArn"] for t in tasks(ecs)] == [second]
    assert first != second


def test_force_new_deployment_with_the_same_task_definition(ecs: Any) -> None:
    task_definition, first_id = deploy_good_release(ecs)

    updated = ecs.update_service(cluster=CLUSTER, service=SERVICE, forceNewDeployment=True)[
        "service"
    ]

    assert primary(updated)["id"] != first_id
    assert [d["id"] for d in updated["deployments"]][1:] == [first_id]
    service, _ = describe_until(ecs, completed)
    assert primary(service)["taskDefinition"] == task_definition
    assert primary(service)["id"] == primary(updated)["id"]


def test_force_with_a_new_task_definition_starts_one_deployment(ecs: Any) -> None:
    _, first_id = deploy_good_release(ecs)
    second = register(ecs, image="registry/api@sha256:2")

    updated = ecs.update_service(
        cluster=CLUSTER, service=SERVICE, taskDefinition=second, forceNewDeployment=True
    )["service"]

    first = updated["deployments"][0]
    assert (first["status"], first["taskDefinition"]) == ("PRIMARY", second)
    assert [d["id"] for d in updated["deployments"]][1:] == [first_id]


def test_deleting_a_service_stops_its_tasks(ecs: Any) -> None:
    deploy_good_release(ecs)
    ecs.delete_service(cluster=CLUSTER, service=SERVICE, force=True)

    assert tasks(ecs) == []
    assert [t["stoppedReason"] for t in tasks(ecs, "STOPPED")] == ["Service was deleted"]


def test_update_without_change_starts_no_deployment(ecs: Any) -> None:
    task_definition, first_id = deploy_good_release(ecs)

    updated = ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=task_definition)[
        "service"
    ]

    assert [(d["id"], d["rolloutState"]) for d in updated["deployments"]] == [
        (first_id, "COMPLETED")
    ]
    assert updated["runningCount"] == 1


def test_missing_secret_parameter_stops_tasks_and_trips_the_breaker(ecs: Any, ssm: Any) -> None:
    ssm.put_parameter(Name="/staging/api/DATABASE_URL", Value="postgres://", Type="SecureString")
    arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/staging/api/DATABASE_URL"
    good = register(ecs, secrets=[{"name": "DATABASE_URL", "valueFrom": arn}])
    create(ecs, good, config=BREAKER_ROLLBACK)
    describe_until(ecs, completed)  # a parameter named by ARN is found
    bad = register(
        ecs,
        secrets=[
            {"name": "DATABASE_URL", "valueFrom": "/staging/api/DATABASE_URL"},
            {"name": "API_TOKEN", "valueFrom": "/staging/api/API_TOKEN"},
        ],
    )
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=bad)

    service, calls = describe_until(ecs, lambda s: primary(s)["taskDefinition"] == good)

    assert calls == 3  # launched, failed and replaced, failed again: the breaker trips
    failed = next(d for d in service["deployments"] if d["taskDefinition"] == bad)
    assert failed["rolloutState"] == "FAILED"
    assert failed["failedTasks"] == 2
    stopped = tasks(ecs, "STOPPED")
    assert len(stopped) == 2
    for task in stopped:
        assert task["stopCode"] == "TaskFailedToStart"
        assert task["stoppedReason"].startswith(
            "ResourceInitializationError: unable to pull secrets or registry auth: "
        )
        assert task["stoppedReason"].endswith("invalid ssm parameters: /staging/api/API_TOKEN")
        assert [c["lastStatus"] for c in task["containers"]] == ["STOPPED"]
        assert task["taskDefinitionArn"] == bad


def test_parameter_created_during_the_rollout_lets_new_tasks_start(ecs: Any, ssm: Any) -> None:
    task_definition = register(ecs, secrets=[{"name": "KEY", "valueFrom": "/staging/api/KEY"}])
    create(ecs, task_definition)  # no circuit breaker: ECS keeps replacing failed tasks
    describe(ecs)
    service = describe(ecs)
    assert primary(service)["failedTasks"] == 1
    assert primary(service)["rolloutState"] == "IN_PROGRESS"

    ssm.put_parameter(Name="/staging/api/KEY", Value="v", Type="SecureString")
    service, calls = describe_until(ecs, completed)

    assert calls == 2
    assert primary(service)["failedTasks"] == 1
    assert service["runningCount"] == 1


def test_crash_switch_trips_the_breaker_and_ecs_rolls_back(ecs: Any) -> None:
    good, good_id = deploy_good_release(ecs)
    crashing = register(ecs, environment=[{"name": "LIFT_SANDBOX_CRASH", "value": "1"}])
    crash_id = primary(
        ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=crashing)["service"]
    )["id"]

    rolling_back, calls = describe_until(ecs, lambda s: primary(s)["id"] != crash_id)

    assert calls == 5  # each try: launched, pending, crashed; the second crash trips it
    assert primary(rolling_back)["id"] == good_id  # ECS re-activates the last good deployment
    assert primary(rolling_back)["rolloutState"] == "IN_PROGRESS"
    assert primary(rolling_back)["rolloutStateReason"] == (
        f"ECS deployment circuit breaker: rolling back to deploymentId {good_id}."
    )
    failed = rolling_back["deployments"][1]
    assert (failed["id"], failed["status"], failed["rolloutState"]) == (
        crash_id,
        "ACTIVE",
        "FAILED",
    )
    assert failed["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert failed["failedTasks"] == 2
    assert rolling_back["taskDefinition"] == good
    assert messages(rolling_back)[:2] == [
        f"(service {SERVICE}) rolling back to deployment {good_id}.",
        f"(service {SERVICE}) (deployment {crash_id}) deployment failed: tasks failed to start.",
    ]
    stopped = tasks(ecs, "STOPPED")
    assert len(stopped) == 2
    for task in stopped:
        assert task["stoppedReason"] == "Essential container in task exited"
        assert task["stopCode"] == "EssentialContainerExited"
        assert [(c["name"], c["exitCode"]) for c in task["containers"]] == [("api", 1)]

    service = describe(ecs)

    assert completed(service)
    assert primary(service)["id"] == good_id
    assert [t["taskDefinitionArn"] for t in tasks(ecs)] == [good]
    assert (
        messages(service)[1] == f"(service {SERVICE}) (deployment {good_id}) deployment completed."
    )


def test_without_rollback_the_failed_deployment_stays_until_the_caller_rolls_back(
    ecs: Any,
) -> None:
    good, good_id = deploy_good_release(ecs, config=BREAKER_ONLY)
    crashing = register(ecs, secrets=[{"name": "LIFT_SANDBOX_CRASH", "valueFrom": "/x/y"}])
    ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=crashing)

    failed, _ = describe_until(ecs, lambda s: primary(s)["rolloutState"] == "FAILED")
    for _ in range(3):
        later = describe(ecs)

    assert later["deployments"] == failed["deployments"]
    assert primary(later)["taskDefinition"] == crashing
    assert [(d["id"], d["status"]) for d in later["deployments"][1:]] == [(good_id, "ACTIVE")]
    assert later["runningCount"] == 1  # the last good task still serves
    assert [t["taskDefinitionArn"] for t in tasks(ecs)] == [good]

    rollback = ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=good)["service"]
    rollback_id = primary(rollback)["id"]
    service, _ = describe_until(ecs, completed)

    assert rollback_id not in (good_id, primary(failed)["id"])
    assert [(d["id"], d["taskDefinition"]) for d in service["deployments"]] == [(rollback_id, good)]


def test_without_circuit_breaker_failing_tasks_are_replaced_forever(ecs: Any) -> None:
    crashing = register(ecs, environment=[{"name": "LIFT_SANDBOX_CRASH", "value": "yes"}])
    create(ecs, crashing)

    for _ in range(12):
        service = describe(ecs)

    assert primary(service)["rolloutState"] == "IN_PROGRESS"
    assert primary(service)["failedTasks"] >= 4
    assert len(tasks(ecs, "STOPPED")) == primary(service)["failedTasks"]
    assert service["runningCount"] == 0


def test_scaling_a_completed_service_starts_and_stops_tasks(ecs: Any) -> None:
    deploy_good_release(ecs)

    ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=3)
    service, calls = describe_until(ecs, lambda s: s["runningCount"] == 3)
    assert calls == 3
    assert primary(service)["desiredCount"] == 3

    ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=1)
    service = describe(ecs)
    assert service["runningCount"] == 1
    assert len(tasks(ecs, "STOPPED")) == 2
    assert messages(service)[0].startswith(f"(service {SERVICE}) has stopped 2 running tasks:")


def test_list_tasks_filters_by_service_and_defaults_to_running(ecs: Any) -> None:
    task_definition = register(ecs)
    create(ecs, task_definition, desired=2)
    ecs.create_service(
        cluster=CLUSTER, serviceName="worker", taskDefinition=task_definition, desiredCount=1
    )
    for _ in range(3):
        describe(ecs)
        describe(ecs, "worker")

    assert len(tasks(ecs)) == 2
    assert len(tasks(ecs, service="worker")) == 1
    every = ecs.list_tasks(cluster=CLUSTER)["taskArns"]
    assert len(every) == 3
    ecs.stop_task(cluster=CLUSTER, task=every[0], reason="by hand")
    assert len(ecs.list_tasks(cluster=CLUSTER)["taskArns"]) == 2
    assert len(ecs.list_tasks(cluster=CLUSTER, desiredStatus="STOPPED")["taskArns"]) == 1


def test_cloudformation_service_is_adopted_and_follows_stack_updates(
    server: SandboxServer, session: boto3.session.Session
) -> None:
    ecs = session.client("ecs", endpoint_url=server.url)
    cloudformation = session.client("cloudformation", endpoint_url=server.url)
    template: dict[str, Any] = {
        "Resources": {
            "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": CLUSTER}},
            "TaskDefinition": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {
                    "Family": FAMILY,
                    "RequiresCompatibilities": ["FARGATE"],
                    "NetworkMode": "awsvpc",
                    "Cpu": "256",
                    "Memory": "512",
                    "ContainerDefinitions": [{"Name": "api", "Image": "registry/api:1"}],
                },
            },
            "Service": {
                "Type": "AWS::ECS::Service",
                "Properties": {
                    "ServiceName": SERVICE,
                    "Cluster": {"Ref": "Cluster"},
                    "TaskDefinition": {"Ref": "TaskDefinition"},
                    "DesiredCount": 1,
                    "LaunchType": "FARGATE",
                    "DeploymentConfiguration": {
                        "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
                        "MaximumPercent": 200,
                        "MinimumHealthyPercent": 100,
                    },
                },
            },
        }
    }
    cloudformation.create_stack(StackName="lift-staging-api", TemplateBody=json.dumps(template))

    service, calls = describe_until(ecs, completed)

    assert calls == 3
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {
        "enable": True,
        "rollback": True,
    }
    assert service["launchType"] == "FARGATE"
    first_id = primary(service)["id"]

    containers = template["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
    containers[0]["Image"] = "registry/api:2"
    cloudformation.update_stack(StackName="lift-staging-api", TemplateBody=json.dumps(template))
    updating = describe(ecs)

    assert primary(updating)["id"] != first_id
    assert primary(updating)["taskDefinition"].endswith(f"{FAMILY}:2")
    service, _ = describe_until(ecs, completed)
    assert [t["containers"][0]["image"] for t in tasks(ecs)] == ["registry/api:2"]

    # `git lift service edit` to a canary: CloudFormation updates the service's deployment
    # configuration, so its next deployment is a canary (moto keeps the old one).
    properties = template["Resources"]["Service"]["Properties"]
    properties["DeploymentConfiguration"] |= {
        "Strategy": "CANARY",
        "CanaryConfiguration": {"CanaryPercent": 10.0, "CanaryBakeTimeInMinutes": 2},
    }
    cloudformation.update_stack(StackName="lift-staging-api", TemplateBody=json.dumps(template))
    shown = describe(ecs)["deploymentConfiguration"]
    assert shown["strategy"] == "CANARY"
    assert shown["canaryConfiguration"] == {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 2}
    assert shown["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_moto_reset_forgets_services_and_rollouts(
    server: SandboxServer, session: boto3.session.Session, ecs: Any
) -> None:
    deploy_good_release(ecs)

    request = urllib.request.Request(f"{server.url}/moto-api/reset", data=b"", method="POST")
    urllib.request.urlopen(request).close()

    ecs.create_cluster(clusterName=CLUSTER)
    assert ecs.list_services(cluster=CLUSTER)["serviceArns"] == []
    assert ecs.list_tasks(cluster=CLUSTER)["taskArns"] == []
    create(ecs, register(ecs))
    service, calls = describe_until(ecs, completed)
    assert calls == 3
    assert len(service["events"]) == 3


def test_a_rollout_also_moves_with_time_when_the_sandbox_asks_for_it(
    ecs: Any, session: boto3.session.Session
) -> None:
    now = [0.0]
    timed = SandboxServer(seconds_per_step=0.5)  # what `git lift sandbox` serves
    timed.simulator._clock = lambda: now[0]
    timed.start()
    try:
        client = session.client("ecs", endpoint_url=timed.url)
        create(client, register(client))
        assert describe(client)["deployments"][0]["rolloutState"] == "IN_PROGRESS"
        now[0] += 0.4  # less than a step's time: one step, as by requests only
        assert describe(client)["deployments"][0]["runningCount"] == 0
        now[0] += 1.0  # a client that backed off: the world moved meanwhile
        assert describe(client)["deployments"][0]["rolloutState"] == "COMPLETED"
    finally:
        timed.stop()


def test_a_ship_looks_again_half_a_second_after_its_first_look_then_every_interval(
    ecs: Any,
) -> None:
    from git_lift.aws.ecs import Ecs
    from git_lift.flows.deploy import Watch
    from tests.support.ecs import target

    task_definition = register(ecs)
    create(ecs, task_definition)
    sleeps: list[float] = []
    Watch(Ecs(ecs, target("staging", SERVICE)), sleep=sleeps.append).until_done(task_definition, 60)
    # the first look at once, the second after 0.5 s, then lift.pollInterval (1 s) and up
    assert sleeps[0] == 0.5 and sleeps[1:] and min(sleeps[1:]) >= 1.0
