"""ECS services in the sandbox for ship tests, created as `git lift service create` would.

moto never rolls deployments out; the sandbox's rollout simulator (git_lift.sandbox.rollout)
does, driven by DescribeServices calls, so these tests exercise real ECS API shapes.
"""

from __future__ import annotations

from typing import Any

import boto3

from git_lift.aws.store import Store
from git_lift.settings import EnvironmentSettings, ServiceSettings
from git_lift.target import Target

PLACEHOLDER_IMAGE = "public.ecr.aws/lift/placeholder:latest"


def target(env: str = "staging", service: str = "payments-api") -> Target:
    """The service in an environment, as the records and ECS of these tests name it."""
    settings = ServiceSettings(service, ".", "Dockerfile", ".", "env.sample", service)
    return Target(EnvironmentSettings(env, ()), settings)


def create_service(
    env: str,
    service: str = "payments-api",
    *,
    rollback: bool = True,
    desired: int = 2,
    runs_tasks: bool = False,
) -> str:
    """With `runs_tasks`, as the service stack makes it for one-off tasks (RunTask): in a
    subnet with a security group, its container's output to CloudWatch Logs."""
    ecs: Any = boto3.client("ecs", region_name="eu-west-1")
    ecs.create_cluster(clusterName=f"lift-{env}")
    container: dict[str, Any] = {
        "name": service,
        "image": PLACEHOLDER_IMAGE,
        "memory": 512,
        "essential": True,
    }
    placed: dict[str, Any] = {}
    if runs_tasks:
        container["logConfiguration"] = awslogs(env, service)
        placed["networkConfiguration"] = network()
    definition = ecs.register_task_definition(
        family=f"{env}-{service}",
        containerDefinitions=[container],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster=f"lift-{env}",
        serviceName=service,
        taskDefinition=definition,
        desiredCount=desired,
        launchType="FARGATE",
        deploymentConfiguration={
            "deploymentCircuitBreaker": {"enable": True, "rollback": rollback}
        },
        **placed,
    )
    return str(definition)


def awslogs(env: str, service: str) -> dict[str, Any]:
    """The log group the service stack makes, and the task definition's awslogs options."""
    group = f"/lift/{env}/{service}"
    logs: Any = boto3.client("logs", region_name="eu-west-1")
    logs.create_log_group(logGroupName=group)
    options = {
        "awslogs-group": group,
        "awslogs-region": "eu-west-1",
        "awslogs-stream-prefix": "ecs",
    }
    return {"logDriver": "awslogs", "options": options}


def network() -> dict[str, Any]:
    """A subnet and a security group, as the environment stack makes them."""
    ec2: Any = boto3.client("ec2", region_name="eu-west-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="svc", Description="svc", VpcId=vpc)["GroupId"]
    return {
        "awsvpcConfiguration": {
            "subnets": [subnet],
            "securityGroups": [group],
            "assignPublicIp": "DISABLED",
        }
    }


def deploy_behind_git_lifts_back(
    env: str, container: dict[str, Any], service: str = "payments-api"
) -> str:
    """A revision of the running task definition with `container`, deployed the way someone
    at the console would (git lift records nothing of it); its ARN."""
    ecs: Any = boto3.client("ecs", region_name="eu-west-1")
    arn = str(
        ecs.register_task_definition(
            family=running_task_definition(env, service)["family"],
            containerDefinitions=[container],
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
        )["taskDefinition"]["taskDefinitionArn"]
    )
    ecs.update_service(cluster=f"lift-{env}", service=service, taskDefinition=arn)
    return arn


def running_task_definition(env: str, service: str = "payments-api") -> dict[str, Any]:
    ecs: Any = boto3.client("ecs", region_name="eu-west-1")
    arn = ecs.describe_services(cluster=f"lift-{env}", services=[service])["services"][0][
        "taskDefinition"
    ]
    return dict(ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"])


def make_shippable(
    repo: Any, registry_address: str, monkeypatch: Any, *, runs_tasks: bool = False
) -> None:
    """A Dockerfile that builds offline, DATABASE_URL in env.sample and in both stores, and
    ECS services in staging and production (`runs_tasks`: see create_service); images go to
    the test registry."""
    monkeypatch.setenv("GIT_LIFT_REGISTRY", registry_address)
    monkeypatch.setenv("GIT_LIFT_POLL_INTERVAL", "0.02")
    repo.write("Dockerfile", "FROM scratch\nCOPY app.txt /app.txt\n")
    repo.write("env.sample", "DATABASE_URL=postgres://localhost/dev\n")
    # Images are named after their build context's tree, and the session's registry keeps
    # every test's: a file of this test's own makes its images its own.
    repo.write(".test-id", f"{repo.path.parent.name}\n")
    repo.commit("Add Dockerfile")
    ssm: Any = boto3.client("ssm", region_name="eu-west-1")
    for env in ("staging", "production"):
        create_service(env, runs_tasks=runs_tasks)
        ssm.put_parameter(
            Name=f"/{env}/payments-api/DATABASE_URL", Value="postgres://secret", Type="SecureString"
        )


def store() -> Store:
    """The release table, as git lift reads it, on the sandbox."""
    return Store(boto3.client("dynamodb", region_name="eu-west-1"))
