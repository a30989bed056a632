"""Processes in the service stack (issue 21, "Processes from one image and config"): each
worker is an ECS service and task family of its own beside web, and adding one to an existing
service changes none of web's resources, so CloudFormation updates nothing in place and
replaces nothing."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from git_lift import servicecfg as sc
from tests.support.templates import PROCESSES_DOC, SERVICES, render_service

pytestmark = pytest.mark.fast


def test_each_worker_is_a_service_and_task_family_of_its_own() -> None:
    t = render_service(SERVICES["processes"])["Resources"]
    services = {k: v["Properties"] for k, v in t.items() if v["Type"] == "AWS::ECS::Service"}
    assert {k: p["ServiceName"] for k, p in services.items()} == {
        "Service": "api",
        "WorkerService": "api_worker",
        "MailerService": "api_mailer",
        "HooksService": "api_hooks",
    }
    worker = services["WorkerService"]
    # The worker autoscales: its count is autoscaling's, which a DesiredCount in the stack
    # would set back on each update; the mailer does not, and runs the config's count.
    assert "DesiredCount" not in worker and services["MailerService"]["DesiredCount"] == 1
    assert worker["CapacityProviderStrategy"] == [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]
    assert "LoadBalancers" not in worker and "HealthCheckGracePeriodSeconds" not in worker
    definition = t["WorkerTaskDefinition"]["Properties"]
    assert (definition["Family"], definition["Cpu"], definition["Memory"]) == (
        "staging-api_worker",
        "512",
        "1024",
    )
    (app,) = [c for c in definition["ContainerDefinitions"] if c["Name"] == "api"]
    web = t["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    # The same image, secrets and roles as web; its own command, no port, no health check.
    assert (app["Image"], app["Secrets"]) == (web["Image"], web["Secrets"])
    assert app["Command"] == ["python", "-m", "worker"]
    assert "PortMappings" not in app and "HealthCheck" not in app
    for key in ("ExecutionRoleArn", "TaskRoleArn"):
        assert definition[key] == t["TaskDefinition"]["Properties"][key]
    # The worker's autoscaling is its own: its own scalable target and queue policy.
    policy = t["WorkerQueueScalingPolicy"]["Properties"]
    assert policy["PolicyName"] == "staging-api_worker-queue"
    assert policy["ScalingTargetId"] == {"Ref": "WorkerScalableTarget"}


def test_adding_processes_to_an_existing_service_changes_nothing_of_web() -> None:
    """Every resource of today's single-container stack is in the new one under the same
    logical ID with the same properties: a stack update adds the workers and leaves web's
    ECS service, task definition, roles and load balancer rule as they are."""
    before = render_service(SERVICES["http-public"])
    cfg = dataclasses.replace(SERVICES["http-public"], processes=SERVICES["processes"].processes)
    after = render_service(cfg)
    kept: dict[str, Any] = {k: after["Resources"].get(k) for k in before["Resources"]}
    assert kept == before["Resources"]
    assert before["Outputs"].items() <= after["Outputs"].items()


def test_a_config_without_processes_is_todays() -> None:
    doc = sc.default_document(production=False)
    assert "processes" not in doc
    assert sc.parse(doc) == sc.parse({**doc, "processes": {}})
    assert "processes" not in sc.to_document(sc.parse(doc))
    with_workers = sc.parse({**doc, **PROCESSES_DOC})
    assert sc.parse(json.loads(json.dumps(sc.to_document(with_workers)))) == with_workers


def test_a_process_behind_the_load_balancer_gets_its_own_rule_and_target_group() -> None:
    t = render_service(SERVICES["processes"])["Resources"]
    hooks = t["HooksService"]["Properties"]
    (balanced,) = hooks["LoadBalancers"]
    assert balanced == {
        "ContainerName": "api",
        "ContainerPort": 8080,
        "TargetGroupArn": {"Ref": "HooksTargetGroup"},
    }
    assert t["HooksService"]["DependsOn"] == ["HooksListenerRule"]
    rule, web_rule = t["HooksListenerRule"]["Properties"], t["ListenerRule"]["Properties"]
    assert rule["Conditions"] == [
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/hooks/*"]}}
    ]
    # Before web's catch-all, and never the same priority.
    assert rule["Priority"] < web_rule["Priority"]
    assert t["HooksTargetGroup"]["Properties"]["Port"] == 8080
    # Its port is open to the load balancer by a rule of its own: web's group is unchanged.
    ingress = t["HooksLoadBalancerIngress"]["Properties"]
    group = {"Fn::GetAtt": ["SecurityGroup", "GroupId"]}
    assert (ingress["FromPort"], ingress["GroupId"]) == (8080, group)
    (app,) = t["HooksTaskDefinition"]["Properties"]["ContainerDefinitions"]
    assert app["PortMappings"] == [{"ContainerPort": 8080, "Protocol": "tcp"}]
    requests = t["HooksRequestsScalingPolicy"]["Properties"]
    assert requests["PolicyName"] == "staging-api_hooks-requests"


def test_each_process_logs_under_a_stream_prefix_of_its_own() -> None:
    """`git lift logs --process worker` reads the worker's streams alone: each container of a
    process other than web logs under `process.NAME`, web's keep their own names."""
    t = render_service(SERVICES["processes"])["Resources"]

    def prefixes(title: str) -> set[str]:
        containers = t[title]["Properties"]["ContainerDefinitions"]
        return {c["LogConfiguration"]["Options"]["awslogs-stream-prefix"] for c in containers}

    assert prefixes("TaskDefinition") == {"api"}
    assert prefixes("WorkerTaskDefinition") == {"process.worker"}
    assert prefixes("MailerTaskDefinition") == {"process.mailer"}


def test_workers_wait_at_zero_tasks_until_the_first_release() -> None:
    """A stack created before any ship runs the placeholder image: a worker would run it with
    its own command, fail to start, and hold the stack create on ECS's stabilization. Until a
    release, each process other than web has no task (the first release sets its count)."""
    t = render_service(SERVICES["processes"], idle_processes=True)["Resources"]
    counts = {
        k: v["Properties"].get("DesiredCount")
        for k, v in t.items()
        if v["Type"] == "AWS::ECS::Service"
    }
    # The worker autoscales, and still waits at 0 (a new service without one would start 1).
    assert counts == {"Service": 1, "WorkerService": 0, "MailerService": 0, "HooksService": 0}
