"""Shipping web and a worker together, end to end (issue 21, "Processes from one image and
config"): one image built, a revision per process, both deployed and waited for in the
sandbox's rollout simulator, each shown by `status`, `history` and `diff`, both brought back
by `rollback`; a release that fails brings both back; `ship --process` is refused.
Real git, buildah, a real registry, `git lift` as a subprocess, moto over HTTP. The worker's
ECS service is made as the service stack makes it (tests/test_processes_cli.py shows the stack
doing so)."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest

from git_lift.aws.store import ServiceDocument
from git_lift.servicecfg import default_document
from tests.support.ecs import running_task_definition, store, target
from tests.support.helpers import GitRepo, Lift
from tests.support.image import needs_buildah, needs_registry

pytestmark = [needs_buildah, needs_registry]

WORKER = "payments-api_worker"


def ecs() -> Any:
    return boto3.client("ecs", region_name="eu-west-1")


@pytest.fixture
def service(shipping: GitRepo) -> GitRepo:
    """Ready to ship, with a worker in its config and the worker's ECS service running."""
    document = {**default_document(False), "processes": {"worker": {"command": ["bin/worker"]}}}
    saved = ServiceDocument("staging", "payments-api", 1, document, "Test Dev", time.time())
    store().save_service_document(target("staging"), saved)
    web = running_task_definition("staging")["containerDefinitions"][0]
    definition = ecs().register_task_definition(
        family="staging-payments-api_worker",
        containerDefinitions=[{**web, "command": ["bin/worker"]}],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
    )["taskDefinition"]["taskDefinitionArn"]
    ecs().create_service(
        cluster="lift-staging",
        serviceName=WORKER,
        taskDefinition=definition,
        desiredCount=1,
        launchType="FARGATE",
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
    )
    return shipping


def runs(service: str = "payments-api") -> dict[str, Any]:
    return running_task_definition("staging", service)


def test_ship_releases_web_and_the_worker_and_rollback_brings_both_back(
    service: GitRepo, lift: Lift
) -> None:
    worker_before = runs(WORKER)["taskDefinitionArn"]
    first = lift("ship", "-e", "staging")
    assert first.returncode == 0, first.stderr
    web, worker = runs(), runs(WORKER)
    assert worker["taskDefinitionArn"] != worker_before
    # One image, the same for both; the worker keeps its own command.
    (app,) = worker["containerDefinitions"]
    assert app["image"] == web["containerDefinitions"][0]["image"]
    assert app["command"] == ["bin/worker"]
    assert app["secrets"] == web["containerDefinitions"][0]["secrets"]
    assert "~ process worker: staging-payments-api_worker:1 -> the same image and config" in (
        first.stderr
    )
    assert f"to {WORKER} (worker)" in first.stderr
    (record,) = store().releases(target("staging"))
    assert record.processes == {"worker": worker["taskDefinitionArn"]}

    shown = lift("status", "-e", "staging")
    assert shown.returncode == 0, shown.stderr
    assert "  process   worker  1/1 running, rollout COMPLETED, runs " in shown.stdout
    assert "(web and worker)" in lift("history", "-e", "staging").stdout

    service.write("app.txt", "v2\n")
    service.commit("v2")
    service.git("push", "-q", "origin", "main")
    second = lift("ship", "-e", "staging")
    assert second.returncode == 0, second.stderr
    assert runs(WORKER)["taskDefinitionArn"] != worker["taskDefinitionArn"]
    diff = lift("diff", "staging@1", "staging@2")
    assert diff.returncode == 0, diff.stderr
    assert "process   worker: staging-payments-api_worker:2 -> staging-payments-api_worker:3" in (
        diff.stdout
    )

    back = lift("rollback", "-e", "staging", "--to", "1")
    assert back.returncode == 0, back.stderr
    assert runs()["taskDefinitionArn"] == web["taskDefinitionArn"]
    assert runs(WORKER)["taskDefinitionArn"] == worker["taskDefinitionArn"]


def test_a_release_that_fails_brings_web_and_the_worker_back(service: GitRepo, lift: Lift) -> None:
    assert lift("ship", "-e", "staging").returncode == 0
    web, worker = runs()["taskDefinitionArn"], runs(WORKER)["taskDefinitionArn"]
    # A key whose tasks crash as they start (the sandbox's switch): in every process.
    boto3.client("ssm", region_name="eu-west-1").put_parameter(
        Name="/staging/payments-api/LIFT_SANDBOX_CRASH", Value="1", Type="SecureString"
    )
    service.write("env.sample", "DATABASE_URL=x\nLIFT_SANDBOX_CRASH=1\n")
    service.commit("crash")
    service.git("push", "-q", "origin", "main")
    failed = lift("ship", "-e", "staging")
    assert failed.returncode == 1, failed.stderr
    assert (runs()["taskDefinitionArn"], runs(WORKER)["taskDefinitionArn"]) == (web, worker)
    assert store().releases(target("staging"))[0].outcome == "failed"


def test_ship_one_process_is_refused(service: GitRepo, lift: Lift) -> None:
    refused = lift("ship", "-e", "staging", "--process", "worker")
    assert refused.returncode == 2
    assert "error: ship --process worker: a release is the whole service" in refused.stderr
    assert "hint: git lift ship -e ENV" in refused.stderr
    assert store().releases(target("staging")) == []


def test_a_worker_that_fails_to_start_brings_web_back_too(service: GitRepo, lift: Lift) -> None:
    """Web's new tasks run; the worker's fail to start (a parameter its agent container names
    is gone: the sandbox fails such a task as ECS does), so the release fails and both go back."""
    ssm = boto3.client("ssm", region_name="eu-west-1")
    token = "/staging/payments-api/AGENT_TOKEN"
    ssm.put_parameter(Name=token, Value="t", Type="SecureString")
    current = runs(WORKER)
    agent = {
        "name": "agent",
        "image": current["containerDefinitions"][0]["image"],
        "essential": False,
        "memory": 64,
        "secrets": [{"name": "AGENT_TOKEN", "valueFrom": token}],
    }
    with_agent = ecs().register_task_definition(
        family="staging-payments-api_worker",
        containerDefinitions=[*current["containerDefinitions"], agent],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
    )["taskDefinition"]["taskDefinitionArn"]
    ecs().update_service(cluster="lift-staging", service=WORKER, taskDefinition=with_agent)
    for _ in range(10):  # the rollout simulator moves a step per DescribeServices
        (described,) = ecs().describe_services(cluster="lift-staging", services=[WORKER])[
            "services"
        ]
        if described["deployments"][0]["rolloutState"] == "COMPLETED":
            break
    assert len(described["deployments"]) == 1 and described["runningCount"] == 1
    web = runs()["taskDefinitionArn"]
    ssm.delete_parameter(Name=token)

    failed = lift("ship", "-e", "staging")
    assert failed.returncode == 1, failed.stderr
    assert "deploy failed: worker: " in failed.stderr
    assert (runs()["taskDefinitionArn"], runs(WORKER)["taskDefinitionArn"]) == (web, with_agent)
    (record,) = store().releases(target("staging"))
    assert record.outcome == "failed"
