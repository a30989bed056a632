"""The service template carries the scheduled jobs (issue 21): a schedule per job in the
service's group running its task definition with the job's command, in the service's network,
with a role that may run only that and pass only the service's two roles. cfn-lint, checkov,
parliament and the golden file cover the "jobs" entry of the matrix."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.templates import BASE, SERVICES, render_service

pytestmark = pytest.mark.fast


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r["Properties"] for name, r in template["Resources"].items() if r["Type"] == kind}


def test_each_job_is_a_schedule_running_the_task_definition_with_its_command() -> None:
    t = render_service(SERVICES["jobs"])
    (group,) = of_type(t, "AWS::Scheduler::ScheduleGroup").values()
    assert group["Name"] == "lift-staging-api"
    schedules = of_type(t, "AWS::Scheduler::Schedule")
    by_name = {s["Name"]: s for s in schedules.values()}
    assert set(by_name) == {"nightly-report", "sweep"}
    nightly = by_name["nightly-report"]
    assert nightly["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert nightly["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert nightly["GroupName"] == {"Ref": "ScheduleGroup"}
    target = nightly["Target"]
    assert target["Arn"] == "arn:aws:ecs:eu-west-1:123456789012:cluster/lift-staging"
    ecs = target["EcsParameters"]
    assert ecs["TaskDefinitionArn"] == {"Ref": "TaskDefinition"}
    assert ecs["LaunchType"] == "FARGATE" and ecs["TaskCount"] == 1
    assert ecs["Group"] == "job:nightly-report"
    network = ecs["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["SecurityGroups"] == [{"Ref": "SecurityGroup"}]
    assert json.loads(target["Input"]) == {
        "containerOverrides": [{"name": "api", "command": ["bin/report", "--yesterday"]}],
        "cpu": "512",
        "memory": "1024",
    }
    # A job without a size runs at the service's: no cpu or memory override.
    sweep = json.loads(by_name["sweep"]["Target"]["Input"])
    assert sweep == {"containerOverrides": [{"name": "api", "command": ["bin/sweep"]}]}
    assert by_name["sweep"]["ScheduleExpressionTimezone"] == "UTC"


def test_the_jobs_role_runs_only_the_service_and_passes_only_its_roles() -> None:
    t = render_service(SERVICES["jobs"])
    role = t["Resources"]["JobsRole"]["Properties"]
    assert role["RoleName"] == "lift-staging-api-scheduler"
    assert role["PermissionsBoundary"].endswith(":policy/lift-staging-boundary")
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    (policy,) = role["Policies"]
    run, passing, tag = policy["PolicyDocument"]["Statement"]
    assert run["Action"] == "ecs:RunTask"
    assert run["Resource"] == "arn:aws:ecs:eu-west-1:123456789012:task-definition/staging-api:*"
    assert passing["Resource"] == [
        {"Fn::GetAtt": ["ExecutionRole", "Arn"]},
        {"Fn::GetAtt": ["TaskRole", "Arn"]},
    ]
    assert passing["Condition"]["StringEquals"]["iam:PassedToService"] == "ecs-tasks.amazonaws.com"
    assert tag["Condition"] == {"StringEquals": {"ecs:CreateAction": "RunTask"}}


def test_a_service_without_jobs_has_no_schedule_nor_jobs_role() -> None:
    t = render_service(BASE)
    kinds = {r["Type"] for r in t["Resources"].values()}
    assert not {k for k in kinds if k.startswith("AWS::Scheduler::")}
    assert "JobsRole" not in t["Resources"]
