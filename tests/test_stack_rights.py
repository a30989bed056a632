"""What a service stack with scheduled jobs and a canary deployment needs of the environment's
CloudFormation role on real AWS (issue 21): every action CloudFormation's handlers call for
the resources such a template holds (each resource type's schema, `handlers.*.permissions`,
as cfn-lint ships them) is allowed by the role's own policy and by its own boundary; each new
right on the very resource the template names, and not on another environment's.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from git_lift.templates import stack_role
from git_lift.templates.iam_statements import policy
from tests.support.cfn_handlers import handler_actions
from tests.support.iam_eval import permits
from tests.support.infra import policy_scope
from tests.support.templates import ACCOUNT, JOBS, REGION, SERVICES, render_service

pytestmark = pytest.mark.fast

SCOPE = policy_scope("staging", ("api",), REGION, ACCOUNT)
ROLE = stack_role.RoleScope(SCOPE.environment, REGION, ACCOUNT, "vpc-0123", ("lift-staging-alb",))
STACK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/lift-staging-cloudformation"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/lift-staging-boundary"
# What the handlers may call that a git lift service stack never makes them, and why.
NOT_CALLED = {
    # A role's trust and its boundary never change (Security model); no Description or
    # MaxSessionDuration is set on a role.
    "iam:UpdateAssumeRolePolicy": "never a role's trust",
    "iam:DeleteRolePermissionsBoundary": "never without the boundary",
    "iam:PutRolePermissionsBoundary": "the boundary of a service role never changes",
    "iam:UpdateRole": "no role sets MaxSessionDuration",
    "iam:UpdateRoleDescription": "no role sets a Description",
    # No target group names Targets (ECS registers the service's tasks itself).
    "elasticloadbalancing:RegisterTargets": "no Targets",
    "elasticloadbalancing:DeregisterTargets": "no Targets",
    "elasticloadbalancing:DescribeTargetHealth": "no Targets",
    # Tags of target groups never change; listener rules carry none.
    "elasticloadbalancing:RemoveTags": "tags never removed",
    "elasticloadbalancing:DescribeTags": "read handler: drift detection only",
    "cognito-idp:DescribeUserPoolClient": "no Cognito authentication on a rule",
    # The job runs' rule (templates/jobs.py) carries no tags.
    "events:TagResource": "the rule has no Tags",
    "events:UntagResource": "the rule has no Tags",
    "events:ListTagsForResource": "read handler: drift detection only",
}


def template() -> dict[str, Any]:
    """A service with scheduled jobs and a canary with the generated alarms."""
    cfg = dataclasses.replace(SERVICES["canary"], jobs=JOBS)
    return render_service(cfg)


def documents() -> dict[str, dict[str, Any]]:
    return {
        "the role's policy": {"Version": "2012-10-17", "Statement": stack_role.statements(ROLE)},
        "its boundary": policy("stack-boundary", SCOPE),
    }


def names(kind: str) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in template()["Resources"].items() if r["Type"] == kind}


def arn(service: str, resource: str) -> str:
    where = "" if service == "iam" else REGION
    return f"arn:aws:{service}:{where}:{ACCOUNT}:{resource}"


# The resource types scheduled jobs and the traffic-shifting strategies add or change (the
# log group, security group and task definition are as every service stack has them).
JOBS_AND_STRATEGIES = {
    "AWS::CloudWatch::Alarm",
    "AWS::ECS::Service",
    "AWS::Events::Rule",
    "AWS::ElasticLoadBalancingV2::ListenerRule",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::IAM::Role",
    "AWS::Scheduler::Schedule",
    "AWS::Scheduler::ScheduleGroup",
}


def test_every_handler_action_of_the_jobs_and_canary_resources_is_allowed() -> None:
    types = {r["Type"] for r in template()["Resources"].values()} & JOBS_AND_STRATEGIES
    assert types == JOBS_AND_STRATEGIES  # the template holds each
    needed = {a for t in types for a in handler_actions(t)} - set(NOT_CALLED)
    for what, document in documents().items():
        granted = [
            a
            for s in document["Statement"]
            if s["Effect"] == "Allow"
            for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        ]
        missing = sorted(a for a in needed if not any(_match(a, g) for g in granted))
        assert missing == [], what


def _match(action: str, pattern: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


@pytest.mark.parametrize("what", ["the role's policy", "its boundary"])
def test_the_schedules_of_the_template_and_its_jobs_role(what: str) -> None:
    document = documents()[what]
    as_role = {"aws_PrincipalArn": STACK_ROLE}
    (group,) = names("AWS::Scheduler::ScheduleGroup").values()
    group_arn = arn("scheduler", f"schedule-group/{group['Name']}")
    tagged = {"aws_RequestTag__lift:environment": "staging"}
    assert permits(document, "scheduler:CreateScheduleGroup", group_arn, **tagged, **as_role)
    assert permits(document, "scheduler:DeleteScheduleGroup", group_arn, **as_role)
    for schedule in names("AWS::Scheduler::Schedule").values():
        schedule_arn = arn("scheduler", f"schedule/{group['Name']}/{schedule['Name']}")
        for action in ("scheduler:CreateSchedule", "scheduler:UpdateSchedule"):
            assert permits(document, action, schedule_arn, **as_role)
            if what == "the role's policy":  # the boundary: the account and region
                theirs = schedule_arn.replace("lift-staging-", "lift-production-")
                assert not permits(document, action, theirs, **as_role)
    jobs_role = arn("iam", f"role/{names('AWS::IAM::Role')['JobsRole']['RoleName']}")
    to_scheduler = {"iam_PassedToService": "scheduler.amazonaws.com"}
    assert permits(document, "iam:PassRole", jobs_role, **to_scheduler, **as_role)
    bounded = {"iam_PermissionsBoundary": BOUNDARY}
    assert permits(document, "iam:CreateRole", jobs_role, **bounded, **tagged, **as_role)
    assert permits(document, "iam:PutRolePolicy", jobs_role, **bounded, **as_role)


@pytest.mark.parametrize("what", ["the role's policy", "its boundary"])
def test_the_job_runs_rule_and_log_group_and_the_old_resource_policy_gone(what: str) -> None:
    document = documents()[what]
    as_role = {"aws_PrincipalArn": STACK_ROLE}
    (rule,) = names("AWS::Events::Rule").values()
    rule_arn = arn("events", f"rule/{rule['Name']}")
    for action in ("events:PutRule", "events:PutTargets", "events:DeleteRule"):
        assert permits(document, action, rule_arn, **as_role)
        if what == "the role's policy":
            theirs = rule_arn.replace("lift-staging-", "lift-production-")
            assert not permits(document, action, theirs, **as_role)
    group = names("AWS::Logs::LogGroup")["JobRunsLogGroup"]["LogGroupName"]
    assert permits(document, "logs:CreateLogGroup", arn("logs", f"log-group:{group}"), **as_role)
    # The job runs' log resource policy is the environment stack's (one per environment:
    # CloudWatch Logs holds 10 per account and region); a service stack made before held its
    # own, which its next update deletes. It never makes one.
    assert permits(document, "logs:DeleteResourcePolicy", "*", **as_role)
    assert not permits(document, "logs:PutResourcePolicy", "*", **as_role)


@pytest.mark.parametrize("what", ["the role's policy", "its boundary"])
def test_the_canary_of_the_template_its_traffic_role_and_alarms(what: str) -> None:
    document = documents()[what]
    as_role = {"aws_PrincipalArn": STACK_ROLE}
    roles = names("AWS::IAM::Role")
    traffic = roles["TrafficRole"]
    traffic_arn = arn("iam", f"role/{traffic['RoleName']}")
    tagged = {"aws_RequestTag__lift:environment": "staging"}
    bounded = {"iam_PermissionsBoundary": BOUNDARY}
    assert traffic["PermissionsBoundary"] == BOUNDARY
    assert permits(document, "iam:CreateRole", traffic_arn, **bounded, **tagged, **as_role)
    (managed,) = traffic["ManagedPolicyArns"]
    assert permits(document, "iam:AttachRolePolicy", traffic_arn, **bounded, **as_role)
    assert not permits(document, "iam:AttachRolePolicy", traffic_arn, **as_role), managed
    to_ecs = {"iam_PassedToService": "ecs.amazonaws.com"}
    assert permits(document, "iam:PassRole", traffic_arn, **to_ecs, **as_role)
    assert not permits(
        document, "iam:PassRole", traffic_arn, iam_PassedToService="lambda.amazonaws.com"
    )
    for alarm in names("AWS::CloudWatch::Alarm").values():
        alarm_arn = arn("cloudwatch", f"alarm:{alarm['AlarmName']}")
        for action in ("cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"):
            assert permits(document, action, alarm_arn, **as_role)
        if what == "the role's policy":
            theirs = alarm_arn.replace("lift-staging-", "lift-production-")
            assert not permits(document, "cloudwatch:PutMetricAlarm", theirs)
    service = arn("ecs", "service/lift-staging/api")
    deployment = arn("ecs", "service-deployment/lift-staging/api/abc123")
    assert permits(document, "ecs:CreateService", service, **as_role)
    for action in ("ecs:DescribeServiceDeployments", "ecs:StopServiceDeployment"):
        assert permits(document, action, deployment, **as_role)
    alternate = arn("elasticloadbalancing", "targetgroup/lift-staging-api-2/0123")
    assert permits(document, "elasticloadbalancing:CreateTargetGroup", alternate, **tagged)


def test_the_roles_the_template_makes_carry_the_services_boundary_which_lets_them_work() -> None:
    """The jobs role runs the service's tasks, the traffic role moves its target groups'
    traffic: the services' boundary allows each what its own policy grants, nothing more."""
    boundary = policy("boundary", SCOPE)
    roles = names("AWS::IAM::Role")
    assert {r["PermissionsBoundary"] for r in roles.values()} == {BOUNDARY}
    traffic = {"aws_PrincipalArn": arn("iam", f"role/{roles['TrafficRole']['RoleName']}")}
    rule = arn("elasticloadbalancing", "listener-rule/app/lift-staging-alb/1/2/3")
    assert permits(boundary, "elasticloadbalancing:ModifyRule", rule, **traffic)
    assert permits(boundary, "elasticloadbalancing:DescribeTargetHealth", "*", **traffic)
    group = arn("elasticloadbalancing", "targetgroup/lift-staging-api/0123")
    own = {"aws_ResourceTag__lift:environment": "staging"}
    assert permits(boundary, "elasticloadbalancing:RegisterTargets", group, **own, **traffic)
    theirs = {"aws_ResourceTag__lift:environment": "production"}
    assert not permits(boundary, "elasticloadbalancing:RegisterTargets", group, **theirs, **traffic)
    assert not permits(boundary, "elasticloadbalancing:DeleteLoadBalancer", "*", **traffic)
    task = {"aws_PrincipalArn": arn("iam", f"role/{roles['TaskRole']['RoleName']}")}
    # A task role keeps its app's rights (everything but IAM and git lift's own): a
    # listener rule is not git lift's own; the traffic role's part adds nothing to it.
    jobs = {"aws_PrincipalArn": arn("iam", f"role/{roles['JobsRole']['RoleName']}")}
    revision = arn("ecs", "task-definition/staging-api:7")
    cluster = {"ecs_cluster": arn("ecs", "cluster/lift-staging")}
    assert permits(boundary, "ecs:RunTask", revision, **cluster, **jobs)
    assert not permits(boundary, "ecs:RunTask", revision, **cluster, **traffic)
    assert not permits(boundary, "ecs:RunTask", revision, **cluster, **task)


@pytest.mark.parametrize("what", ["the role's policy", "its boundary"])
def test_task_definitions_are_registered_tagged_with_the_environment_and_no_other(
    what: str,
) -> None:
    """`staging-*` also names environment staging-2's task families: the role registers (and
    tags, which ECS authorizes with it) a revision only tagged with its own environment, as
    every task definition of the template is."""
    document = documents()[what]
    as_role = {"aws_PrincipalArn": STACK_ROLE}
    every = [
        (name, title, resource["Properties"])
        for name, cfg in SERVICES.items()
        for title, resource in render_service(cfg)["Resources"].items()
        if resource["Type"] == "AWS::ECS::TaskDefinition"
    ]
    for name, title, properties in every:  # each process's and each strategy's
        assert {"Key": "lift:environment", "Value": "staging"} in properties["Tags"], (name, title)
    definition = names("AWS::ECS::TaskDefinition")["TaskDefinition"]
    ours = arn("ecs", f"task-definition/{definition['Family']}:7")
    for action in ("ecs:RegisterTaskDefinition", "ecs:TagResource"):
        tagged = {"aws_RequestTag__lift:environment": "staging"}
        assert permits(document, action, ours, **tagged, **as_role)
        if what == "the role's policy":  # the boundary: the account and region
            theirs = ours.replace(":task-definition/staging-", ":task-definition/staging-2-")
            other = {"aws_RequestTag__lift:environment": "staging-2"}
            assert not permits(document, action, theirs, **other, **as_role)
            assert not permits(document, action, theirs, **as_role)
