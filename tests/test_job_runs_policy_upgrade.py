"""An environment made when each service with jobs held its own CloudWatch Logs resource policy,
and the CloudFormation role all of its rights inline (git lift before both moved to the
environment stack), upgrades as the README's "Scheduled jobs" says: `git lift env update`
makes the environment's one job runs policy and the role's managed policy, then `git lift
service update` drops the service's own policy; nothing is left behind and nothing lost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from tests.support.helpers import Lift
from tests.support.infra import doc_file, newest_doc, put_config

REGION = "eu-west-1"
ROLE = "lift-staging-cloudformation"
MANAGED = "arn:aws:iam::123456789012:policy/lift-staging-cloudformation-resources"
SHARED = "lift-staging-job-runs"
OWN = "lift-staging-payments-api"  # the service's own policy, as an older git lift named it
JOBS = {"nightly-report": {"command": ["bin/report"], "schedule": "cron(0 3 * * ? *)"}}


def ok(lift: Lift, *args: str) -> str:
    result = lift(*args)
    assert result.returncode == 0, f"{args}: {result.stderr}"
    return result.stderr


def client(name: str) -> Any:
    return boto3.client(name, region_name=REGION)


def template(stack: str) -> dict[str, Any]:
    body: Any = client("cloudformation").get_template(StackName=stack)["TemplateBody"]
    found: dict[str, Any] = json.loads(body) if isinstance(body, str) else body
    return found


def update(stack: str, body: dict[str, Any]) -> None:
    cfn = client("cloudformation")
    cfn.update_stack(
        StackName=stack, TemplateBody=json.dumps(body), Capabilities=["CAPABILITY_NAMED_IAM"]
    )
    cfn.get_waiter("stack_update_complete").wait(
        StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )


def log_policies() -> set[str]:
    found = client("logs").describe_resource_policies()["resourcePolicies"]
    return {p["policyName"] for p in found}


def attached() -> list[str]:
    found = client("iam").list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]
    return [p["PolicyArn"] for p in found]


def inline_sids() -> set[str]:
    raw = client("iam").get_role_policy(RoleName=ROLE, PolicyName="service-stacks")
    return {s["Sid"] for s in raw["PolicyDocument"]["Statement"]}


def make_environment_old() -> None:
    """The environment stack as an older git lift made it: no job runs policy, and every
    right of the CloudFormation role in its inline policy."""
    body = template("lift-staging")
    resources = body["Resources"]
    del resources["JobRunsLogPolicy"]
    managed = resources.pop("CloudFormationRolePolicy")["Properties"]["PolicyDocument"]
    role = resources["CloudFormationRole"]["Properties"]
    del role["ManagedPolicyArns"]
    (inline,) = role["Policies"]
    inline["PolicyDocument"]["Statement"] += managed["Statement"]
    update("lift-staging", body)


def make_service_old() -> None:
    """The service stack as an older git lift made it: a log resource policy of its own for
    its job runs' group, which the rule waited for."""
    body = template(OWN)
    group = "arn:aws:logs:eu-west-1:123456789012:log-group:/lift/staging/payments-api/job-runs"
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": ["delivery.logs.amazonaws.com", "events.amazonaws.com"]},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": f"{group}:*",
    }
    document = {"Version": "2012-10-17", "Statement": [statement]}
    body["Resources"]["JobRunsLogPolicy"] = {
        "Type": "AWS::Logs::ResourcePolicy",
        "Properties": {"PolicyName": OWN, "PolicyDocument": json.dumps(document)},
    }
    body["Resources"]["JobRunsRule"]["DependsOn"] = ["JobRunsLogGroup", "JobRunsLogPolicy"]
    update(OWN, body)


def test_env_update_then_service_update_move_the_job_runs_policy_and_the_roles_rights(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    ok(lift, "env", "create", "-e", "staging", "--yes")
    assert log_policies() == {SHARED}
    assert attached() == [MANAGED]
    put_config("staging", "payments-api", DATABASE_URL="x", API_TOKEN="y")
    ok(lift, "service", "create", "-e", "staging", "--yes")
    jobs = doc_file(tmp_path, newest_doc("staging", "payments-api"), {"jobs": JOBS})
    ok(lift, "service", "edit", "-e", "staging", "--yes", "--file", jobs)
    assert log_policies() == {SHARED}  # the service stack made none

    make_environment_old()
    make_service_old()
    assert log_policies() == {OWN}
    assert attached() == []
    assert "Services" in inline_sids()

    # The upgrade, in the README's order: the environment first, then each service.
    ok(lift, "env", "update", "-e", "staging", "--yes")
    assert log_policies() == {SHARED, OWN}  # both cover the group: no run is lost meanwhile
    assert attached() == [MANAGED]
    assert "Services" not in inline_sids() and "BoundedServiceRoles" in inline_sids()
    ok(lift, "service", "update", "-e", "staging", "--yes")
    assert log_policies() == {SHARED}
    assert "JobRunsLogPolicy" not in template(OWN)["Resources"]
    # Once more: nothing left to move.
    again = ok(lift, "env", "update", "-e", "staging", "--yes")
    assert "no changes to stack lift-staging" in again
