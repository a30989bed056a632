"""The rollout simulator's model of ECS's traffic-shifting strategies (issue 21): a canary,
linear steps and blue/green move traffic one simulated minute per DescribeServices, bake,
then complete, as ECS's service deployments tell; the alarm switch rolls a deployment back.
Driven over HTTP with boto3."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from git_lift.sandbox.server import SandboxServer
from git_lift.sandbox.traffic import steps

CLUSTER = "lift-staging"
SERVICE = "api"
ALARMS = {"alarmNames": ["lift-staging-api-5xx-rate", "api-p99"], "enable": True, "rollback": True}
CANARY = {
    "strategy": "CANARY",
    "bakeTimeInMinutes": 1,
    "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 2},
    "alarms": ALARMS,
}


@pytest.fixture
def ecs(server: SandboxServer, session: boto3.session.Session) -> Any:
    client = session.client("ecs", endpoint_url=server.url)
    client.create_cluster(clusterName=CLUSTER)
    return client


def register(ecs: Any, environment: list[dict[str, str]] | None = None) -> str:
    answer = ecs.register_task_definition(
        family="staging-api",
        containerDefinitions=[
            {"name": "api", "image": "registry/api@sha256:1", "environment": environment or []}
        ],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
    )
    return str(answer["taskDefinition"]["taskDefinitionArn"])


def describe(ecs: Any) -> Any:
    return ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]


def primary(service: Any) -> Any:
    return next(d for d in service["deployments"] if d["status"] == "PRIMARY")


def where(ecs: Any) -> tuple[str, float, str] | None:
    """(lifecycle stage, production traffic %, alarms status) of the deployment in progress."""
    listed = ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE, status=["IN_PROGRESS"])[
        "serviceDeployments"
    ]
    if not listed:
        return None
    arn = listed[0]["serviceDeploymentArn"]
    (d,) = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"]
    weight = d["targetServiceRevision"]["requestedProductionTrafficWeight"]
    return d["lifecycleStage"], weight, d["alarms"]["status"]


def settle(ecs: Any, limit: int = 30) -> tuple[Any, list[str], list[tuple[str, float, str]]]:
    """DescribeServices until one COMPLETED deployment is left; the events and the shift's
    stages on the way."""
    seen: list[str] = []
    stages: list[tuple[str, float, str]] = []
    for _ in range(limit):
        service = describe(ecs)
        new = [e["message"] for e in reversed(service["events"]) if e["message"] not in seen]
        seen += new
        now = where(ecs)
        if now is not None and (not stages or stages[-1] != now):
            stages.append(now)
        if len(service["deployments"]) == 1 and primary(service)["rolloutState"] == "COMPLETED":
            return service, seen, stages
    raise AssertionError(f"not settled: {service['deployments']}")


def first_release(ecs: Any, config: dict[str, Any]) -> str:
    ecs.create_service(
        cluster=CLUSTER,
        serviceName=SERVICE,
        taskDefinition=register(ecs),
        desiredCount=1,
        launchType="FARGATE",
        deploymentConfiguration=config,
    )
    service, _, _ = settle(ecs)
    return str(primary(service)["id"])


def update(ecs: Any, task_definition: str) -> str:
    answer = ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=task_definition)
    return str(primary(answer["service"])["id"])


def test_the_plans_follow_ecs_strategies() -> None:
    assert steps({}) == [] and steps({"strategy": "ROLLING"}) == []
    assert steps({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 15}) == [(100.0, 15)]
    assert steps({"strategy": "CANARY"}) == [(5.0, 10), (100.0, 0)]  # ECS's defaults
    linear = {"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 30.0}}
    assert steps(linear) == [(30.0, 6), (60.0, 6), (90.0, 6), (100.0, 0)]


def test_a_canary_takes_its_share_bakes_then_takes_all_traffic(ecs: Any) -> None:
    first_release(ecs, CANARY)
    new = update(ecs, register(ecs, [{"name": "VERSION", "value": "2"}]))

    service, events, stages = settle(ecs)

    assert primary(service)["id"] == new
    assert stages == [
        ("SCALE_UP", 0.0, "MONITORING"),
        ("PRODUCTION_TRAFFIC_SHIFT", 10.0, "MONITORING"),
        ("BAKE_TIME", 100.0, "MONITORING"),
        ("PRODUCTION_TRAFFIC_SHIFT", 100.0, "MONITORING"),
    ]
    assert events[-1] == f"(service {SERVICE}) (deployment {new}) deployment completed."


def test_the_alarm_switch_rolls_a_canary_back_to_the_last_good_release(ecs: Any) -> None:
    good = first_release(ecs, CANARY)
    bad = update(ecs, register(ecs, [{"name": "LIFT_SANDBOX_ALARM", "value": "1"}]))

    service, events, stages = settle(ecs)

    assert primary(service)["id"] == good
    assert ("PRODUCTION_TRAFFIC_SHIFT", 10.0, "MONITORING") in stages  # then the alarm
    assert f"(service {SERVICE}) (deployment {bad}) deployment failed: an alarm fired." in events
    assert f"(service {SERVICE}) rolling back to deployment {good}." in events


def test_the_alarm_reason_is_ecs_and_without_rollback_the_failed_deployment_stays(
    ecs: Any,
) -> None:
    first_release(ecs, {**CANARY, "alarms": {**ALARMS, "rollback": False}})
    bad = update(ecs, register(ecs, [{"name": "LIFT_SANDBOX_ALARM", "value": "1"}]))
    for _ in range(6):
        service = describe(ecs)
    failed = primary(service)
    assert (failed["id"], failed["rolloutState"]) == (bad, "FAILED")
    assert failed["rolloutStateReason"] == (
        "ECS deployment alarms: lift-staging-api-5xx-rate in ALARM state."
    )


def test_without_alarms_the_switch_changes_nothing_and_linear_steps_through(ecs: Any) -> None:
    linear = {
        "strategy": "LINEAR",
        "linearConfiguration": {"stepPercent": 50.0, "stepBakeTimeInMinutes": 0},
    }
    first_release(ecs, linear)
    new = update(ecs, register(ecs, [{"name": "LIFT_SANDBOX_ALARM", "value": "1"}]))

    service, _, stages = settle(ecs)

    assert primary(service)["id"] == new
    assert [weight for _, weight, _ in stages] == [0.0, 50.0, 100.0]
    assert {status for *_, status in stages} == {"DISABLED"}


def test_a_rolling_update_still_completes_without_shifting(ecs: Any) -> None:
    first_release(ecs, {"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    new = update(ecs, register(ecs, [{"name": "LIFT_SANDBOX_ALARM", "value": "1"}]))
    service, _, stages = settle(ecs)
    assert primary(service)["id"] == new and {stage for stage, *_ in stages} == {"SCALE_UP"}


def test_stopping_a_shift_with_rollback_brings_the_last_good_release_back_at_once(
    ecs: Any,
) -> None:
    good = first_release(ecs, CANARY)
    new = update(ecs, register(ecs, [{"name": "VERSION", "value": "2"}]))
    while (where(ecs) or ("", 0.0, ""))[1] < 10.0:
        describe(ecs)
    (brief,) = ecs.list_service_deployments(
        cluster=CLUSTER, service=SERVICE, status=["IN_PROGRESS"]
    )["serviceDeployments"]

    ecs.stop_service_deployment(
        serviceDeploymentArn=brief["serviceDeploymentArn"], stopType="ROLLBACK"
    )

    service, events, _ = settle(ecs)
    assert primary(service)["id"] == good  # back at once: no canary of the good release
    assert (
        f"(service {SERVICE}) (deployment {new}) deployment failed: stopped, rolling back."
        in events
    )
    assert f"(service {SERVICE}) rolling back to deployment {good}." in events
