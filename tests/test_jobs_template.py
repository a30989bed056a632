"""The service template carries the scheduled jobs (issue 21): a schedule per job in the
service's group running its task definition with the job's command, in the service's network,
with a role that may run only that and pass only the service's two roles. cfn-lint, checkov,
parliament and the golden file cover the "jobs" entry of the matrix."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from tests.support.templates import BASE, SERVICES, render_service

pytestmark = pytest.mark.fast
KEY = "arn:aws:kms:eu-west-1:123456789012:key/0123abcd-0000-0000-0000-000000000000"


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
    assert not {"AWS::Events::Rule", "AWS::Logs::ResourcePolicy"} & kinds
    assert "JobRunsLogGroup" not in t["Resources"]


def test_each_stopped_job_run_goes_to_a_log_group_of_its_own_eventbridge_may_write() -> None:
    """ECS forgets a stopped task after about an hour: the rule keeps each stopped job task's
    event (the service's family, a job's group, the environment's cluster) in
    /lift/ENV/SERVICE/job-runs, kept as long as the service's logs."""
    t = render_service(SERVICES["jobs"])
    resources = t["Resources"]
    group = resources["JobRunsLogGroup"]
    kept = {"LogGroupName": "/lift/staging/api/job-runs", "RetentionInDays": 30}
    assert group["Properties"] == kept
    assert group["DeletionPolicy"] == "Delete"
    group_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/lift/staging/api/job-runs"
    (rule,) = of_type(t, "AWS::Events::Rule").values()
    assert rule["Targets"] == [{"Arn": group_arn, "Id": "job-runs"}]  # no RoleArn for Logs
    assert rule["EventPattern"] == {
        "source": ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        "detail": {
            "clusterArn": ["arn:aws:ecs:eu-west-1:123456789012:cluster/lift-staging"],
            "taskDefinitionArn": [
                {"prefix": "arn:aws:ecs:eu-west-1:123456789012:task-definition/staging-api:"}
            ],
            "group": [{"prefix": "job:"}],
            "lastStatus": ["STOPPED"],
        },
    }
    # EventBridge writes there under the environment's one log resource policy
    # (tests/test_env_shared_policies.py): the service stack makes none of its own.
    assert resources["JobRunsRule"]["DependsOn"] == "JobRunsLogGroup"
    assert of_type(t, "AWS::Logs::ResourcePolicy") == {}


def test_the_job_runs_log_group_takes_the_services_key() -> None:
    cfg = dataclasses.replace(
        SERVICES["jobs"],
        logging=dataclasses.replace(SERVICES["jobs"].logging, kms_key_arn=KEY),
    )
    group = render_service(cfg)["Resources"]["JobRunsLogGroup"]
    assert group["Properties"]["KmsKeyId"] == KEY
    assert "Metadata" not in group  # no checkov skip: it is keyed
