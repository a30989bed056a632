"""Adopting a service git lift did not create (issue 12), laid out the way cloudlift lays them
out (its config/stack.py and service_template_generator.py): cluster `cluster-<env>`, ECS
service named by CloudFormation from the stack `<service>-<env>`, task family
`<Name>Family`, container `<Name>Container`, log group `<env>-logs`, secrets from
`/<env>/<service>/<KEY>`. Made here with boto3 directly, then shipped and rolled back by git
lift, with the sandbox's rollout simulator (moto does not roll out)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from git_lift.errors import ValidationError
from git_lift.flows.adoption import inspect
from tests.support.helpers import GitRepo, Lift

CLUSTER, ECS_SERVICE = "cluster-staging", "payments-api-staging-PaymentsApi-1X2Y3Z"
FAMILY, CONTAINER, LOG_GROUP = "PaymentsApiFamily", "PaymentsApiContainer", "staging-logs"
IMAGE = "127.0.0.1:5000/payments-api@sha256:" + "1" * 64
IMAGE_2 = "127.0.0.1:5000/payments-api@sha256:" + "2" * 64


def cloudlift_service(secret_prefix: str = "/staging/payments-api") -> None:
    ecs: Any = boto3.client("ecs", region_name="eu-west-1")
    ssm: Any = boto3.client("ssm", region_name="eu-west-1")
    ecs.create_cluster(clusterName=CLUSTER)
    ssm.put_parameter(Name=f"{secret_prefix}/DATABASE_URL", Value="pg://x", Type="SecureString")
    arn = ssm.get_parameter(Name=f"{secret_prefix}/DATABASE_URL")["Parameter"]["ARN"]
    definition = ecs.register_task_definition(
        family=FAMILY,
        containerDefinitions=[
            {
                "name": CONTAINER,
                "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments-api:v1",
                "memory": 512,
                "essential": True,
                "secrets": [{"name": "DATABASE_URL", "valueFrom": arn}],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": LOG_GROUP,
                        "awslogs-stream-prefix": "PaymentsApi",
                        "awslogs-region": "eu-west-1",
                    },
                },
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster=CLUSTER,
        serviceName=ECS_SERVICE,
        taskDefinition=definition,
        desiredCount=2,
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
    )


def test_a_cloudlift_service_is_adopted_shipped_and_rolled_back(
    aws: Any, repo: GitRepo, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_LIFT_POLL_INTERVAL", "0.02")
    cloudlift_service()
    repo.write("env.sample", "DATABASE_URL=postgres://localhost/dev\n")
    repo.commit("env.sample as the service has it")
    repo.git("push", "-q", "origin", "main")
    adopted = lift(
        "adopt", "-e", "staging", "--cluster", CLUSTER, "--ecs-service", ECS_SERVICE, "--yes"
    )
    assert adopted.returncode == 0, adopted.stderr
    gitlift = repo.git("config", "-f", ".gitlift", "--list").stdout
    assert f"env.staging.cluster={CLUSTER}" in gitlift
    for line in (
        f"ecsservice={ECS_SERVICE}",
        f"taskfamily={FAMILY}",
        f"container={CONTAINER}",
        f"loggroup={LOG_GROUP}",
    ):
        assert f"target.staging/payments-api.{line}" in gitlift
    assert "parameterpath" not in gitlift  # /staging/payments-api is git lift's own
    for image in (IMAGE, IMAGE_2):  # releases 1 and 2
        shipped = lift("ship", "-e", "staging", "--image", image)
        assert shipped.returncode == 0, shipped.stderr
    container, family = running_container()
    assert family == FAMILY and (container["name"], container["image"]) == (CONTAINER, IMAGE_2)
    assert container["secrets"][0]["valueFrom"].endswith(
        ":parameter/staging/payments-api/DATABASE_URL"
    )
    assert lift("status", "-e", "staging").returncode == 0
    rolled = lift("rollback", "-e", "staging")
    assert rolled.returncode == 0, rolled.stderr
    container, family = running_container()
    assert family == FAMILY and container["image"] == IMAGE


def running_container() -> tuple[dict[str, Any], str]:
    ecs: Any = boto3.client("ecs", region_name="eu-west-1")
    running = ecs.describe_services(cluster=CLUSTER, services=[ECS_SERVICE])["services"][0]
    definition = ecs.describe_task_definition(taskDefinition=running["taskDefinition"])
    return definition["taskDefinition"]["containerDefinitions"][0], definition["taskDefinition"][
        "family"
    ]


def test_inspect_refuses_what_git_lift_cannot_ship() -> None:
    service = {"serviceName": "web", "clusterArn": "arn:aws:ecs:eu-west-1:1:cluster/c"}
    two = {
        "family": "web",
        "containerDefinitions": [
            {"name": "app", "essential": True},
            {"name": "proxy", "essential": True},
        ],
    }
    with pytest.raises(ValidationError, match="2 essential ones"):
        inspect(service, two, None)
    assert inspect(service, two, "app").container == "app"
    scattered = {
        "family": "web",
        "containerDefinitions": [
            {
                "name": "app",
                "secrets": [
                    {"name": "A", "valueFrom": "arn:aws:ssm:eu-west-1:1:parameter/staging/web/A"},
                    {"name": "B", "valueFrom": "/shared/B"},
                ],
            }
        ],
    }
    with pytest.raises(ValidationError, match="come from 2 paths"):
        inspect(service, scattered, None)
    manager = {
        "family": "web",
        "containerDefinitions": [
            {
                "name": "app",
                "secrets": [
                    {"name": "A", "valueFrom": "arn:aws:secretsmanager:eu-west-1:1:secret:x"}
                ],
            }
        ],
    }
    with pytest.raises(ValidationError, match="does not come from a Parameter Store path"):
        inspect(service, manager, None)
