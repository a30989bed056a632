"""Two account quotas a team of many services hits on AWS, kept off by the environment stack:

- CloudWatch Logs holds at most 10 resource policies per account and region: the scheduled
  jobs' runs log groups share ONE policy per environment (not one per service with jobs);
- a role's inline policies hold at most 10,240 characters: the CloudFormation role's rights
  on the services' own resources are a managed policy of the environment stack, attached to
  the role (6,144 characters), and each document keeps room to spare at the longest names.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from git_lift.templates import stack_role
from git_lift.templates.iam_statements import policy
from tests.support.cfn_handlers import handler_actions
from tests.support.iam_eval import permits
from tests.support.infra import environment, policy_scope
from tests.support.templates import (
    ACCOUNT,
    ENVIRONMENTS,
    JOBS,
    REGION,
    SERVICES,
    render_env,
    render_service,
)

pytestmark = pytest.mark.fast


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r["Properties"] for name, r in template["Resources"].items() if r["Type"] == kind}


def substituted(value: Any) -> Any:
    """`value` with each Fn::Sub of the account and region as AWS would resolve it."""
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        text = value["Fn::Sub"]
        assert isinstance(text, str), text  # no other variables here
        return text.replace("${AWS::AccountId}", ACCOUNT).replace("${AWS::Region}", REGION)
    if isinstance(value, dict):
        return {k: substituted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [substituted(v) for v in value]
    return value


def group_arn(name: str) -> str:
    return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"


def test_one_log_resource_policy_per_environment_lets_eventbridge_write_every_job_runs_group() -> (
    None
):
    t = render_env(ENVIRONMENTS["default-nat"])
    (policy,) = of_type(t, "AWS::Logs::ResourcePolicy").values()
    assert policy["PolicyName"] == "lift-staging-job-runs"
    document = json.loads(substituted(policy["PolicyDocument"]))
    (statement,) = document["Statement"]
    assert statement["Principal"] == {
        "Service": ["delivery.logs.amazonaws.com", "events.amazonaws.com"]
    }
    for service in ("api", "billing", "s" * 28):
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            assert permits(document, action, group_arn(f"/lift/staging/{service}/job-runs"))
    # Nothing else: not the services' own logs, not another environment's job runs.
    for other in (
        "/lift/staging/api",
        "/lift/production/api/job-runs",
        "/lift/staging-2/api/job-runs",
        "/aws/events/anything",
    ):
        assert not permits(document, "logs:PutLogEvents", group_arn(other)), other
    assert not permits(document, "logs:DeleteLogGroup", group_arn("/lift/staging/api/job-runs"))


def test_a_service_stack_with_jobs_makes_no_log_resource_policy_of_its_own() -> None:
    t = render_service(dataclasses.replace(SERVICES["canary"], jobs=JOBS))
    assert of_type(t, "AWS::Logs::ResourcePolicy") == {}
    assert t["Resources"]["JobRunsRule"]["DependsOn"] == "JobRunsLogGroup"


def test_the_stack_role_gets_its_resource_rights_from_a_managed_policy_of_the_stack() -> None:
    t = render_env(ENVIRONMENTS["default-nat"])
    role = t["Resources"]["CloudFormationRole"]["Properties"]
    (managed,) = of_type(t, "AWS::IAM::ManagedPolicy").items()
    title, policy = managed
    assert policy["ManagedPolicyName"] == "lift-staging-cloudformation-resources"
    assert role["ManagedPolicyArns"] == [{"Ref": title}]
    (inline,) = role["Policies"]
    # Together the two documents are the role's statements, each once.
    scope = stack_role.RoleScope(environment(), REGION, ACCOUNT, "vpc-0123", ("lb",))
    sids = [s["Sid"] for s in stack_role.statements(scope)]
    held = [
        s["Sid"]
        for document in (inline["PolicyDocument"], policy["PolicyDocument"])
        for s in document["Statement"]
    ]
    assert sorted(held) == sorted(sids)
    assert {s["Sid"] for s in policy["PolicyDocument"]["Statement"]} >= {"Services", "LogGroups"}
    # The role changes neither document of its own.
    (guard,) = [
        s for s in inline["PolicyDocument"]["Statement"] if s["Sid"] == "NotItselfNorTheBoundary"
    ]
    assert {
        "Fn::Sub": f"arn:aws:iam::${{AWS::AccountId}}:policy/{policy['ManagedPolicyName']}"
    } in (guard["Resource"])


# IAM User Guide, "IAM and AWS STS quotas" (docs.aws.amazon.com/IAM/latest/UserGuide/
# reference_iam-quotas.html): a role's inline policies hold at most 10,240 characters, a
# managed policy 6,144, whitespace left out. Each keeps room for what comes next.
LIMITS = {"inline": (10_240, 7_000), "managed": (6_144, 5_000)}


@pytest.mark.parametrize("part", sorted(LIMITS))
def test_each_of_the_stack_roles_documents_fits_its_quota_with_room_to_spare(part: str) -> None:
    """The longest names (a 20-character environment), the longest partition and both load
    balancers' longest names make the largest documents."""
    env = environment("e" * 20)
    scope = stack_role.RoleScope(
        env, "us-gov-west-1", ACCOUNT, "vpc-0123456789abcdef0", ("x" * 32, "y" * 32)
    )
    statements = {"inline": stack_role.inline_statements, "managed": stack_role.managed_statements}
    document = {"Version": "2012-10-17", "Statement": statements[part](scope)}
    size = len(json.dumps(document, separators=(",", ":")))
    quota, margin = LIMITS[part]
    assert size <= quota
    assert size < margin, size


# What the handlers may call that the environment stack never makes them: its managed policy
# is attached to the role alone (no group, no user); the role's trust and description never
# change, nor its boundary but by the move README "IAM policy" describes.
NOT_CALLED = {
    "iam:AttachGroupPolicy",
    "iam:AttachUserPolicy",
    "iam:DetachGroupPolicy",
    "iam:DetachUserPolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
    "iam:DeleteRolePermissionsBoundary",
    "iam:ListRolePolicies",
}


def test_the_admin_may_make_both_and_only_for_its_environment() -> None:
    """`env create|update` runs with the admin's own rights: every action of the handlers of
    the managed policy, the log resource policy and the role's attachment, on what the
    template names; the managed policy of another environment, or another policy on the role,
    not."""
    scope = policy_scope("staging", ("api",), REGION, ACCOUNT)
    admin = policy("admin", scope)
    managed = f"arn:aws:iam::{ACCOUNT}:policy/lift-staging-cloudformation-resources"
    role = f"arn:aws:iam::{ACCOUNT}:role/lift-staging-cloudformation"
    on_policy = handler_actions("AWS::IAM::ManagedPolicy") - NOT_CALLED
    for action in sorted(on_policy - {"iam:AttachRolePolicy", "iam:DetachRolePolicy"}):
        assert permits(admin, action, managed), action
        assert not permits(admin, action, managed.replace("staging", "production")), action
    for action in ("iam:AttachRolePolicy", "iam:DetachRolePolicy"):
        assert permits(admin, action, role, iam_PolicyARN=managed)
        other = "arn:aws:iam::aws:policy/AdministratorAccess"
        assert not permits(admin, action, role, iam_PolicyARN=other)
    assert permits(admin, "iam:ListAttachedRolePolicies", role)
    for action in handler_actions("AWS::Logs::ResourcePolicy"):
        assert permits(admin, action, "*"), action
    # The developer's policy makes neither.
    developer = policy("developer", scope)
    assert not permits(developer, "iam:CreatePolicyVersion", managed)
    assert not permits(developer, "logs:PutResourcePolicy", "*")


STACK_ID = "arn:aws:cloudformation:eu-west-1:123456789012:stack/lift-staging/1"
DENIED = (
    'Resource handler returned message: "User: arn:aws:sts::123456789012:assumed-role/admin/dev'
    " is not authorized to perform: {action} on resource: {what} because no identity-based"
    ' policy allows the {action} action (Service: {service}, Status Code: 403)"'
)


@pytest.mark.parametrize(
    ("logical_id", "kind", "action", "what"),
    [
        (
            "CloudFormationRolePolicy",
            "AWS::IAM::ManagedPolicy",
            "iam:CreatePolicy",
            "policy lift-staging-cloudformation-resources",
        ),
        ("JobRunsLogPolicy", "AWS::Logs::ResourcePolicy", "logs:PutResourcePolicy", "*"),
    ],
)
def test_an_upgrade_without_the_new_admin_policy_names_the_command_that_prints_it(
    logical_id: str, kind: str, action: str, what: str
) -> None:
    """The admin runs `env update` with the admin policy of before, which may make neither
    policy: the stack rolls back as it was, and the hint says what to attach."""
    from git_lift.aws.cfn import Stack, StackEvent
    from git_lift.flows.infra_stack import failure

    reason = DENIED.format(action=action, what=what, service=kind.split("::")[1])
    events = [StackEvent("1", logical_id, kind, "CREATE_FAILED", reason)]
    error = failure(Stack("lift-staging", STACK_ID, "UPDATE_ROLLBACK_COMPLETE"), events)
    assert "git lift iam-policy -e staging --for admin > admin.json" in (error.hint or "")
    assert "back as it was" in (error.hint or "")


def test_an_eleventh_log_resource_policy_names_the_way_around() -> None:
    """10 services with jobs from before each hold a log resource policy: the environment's
    would be the 11th, which CloudWatch Logs refuses; one service's update frees a place."""
    from git_lift.aws.cfn import Stack, StackEvent
    from git_lift.flows.infra_stack import failure

    reason = (
        'Resource handler returned message: "Resource limit exceeded. (Service: CloudWatchLogs,'
        ' Status Code: 400)" (HandlerErrorCode: ServiceLimitExceeded)'
    )
    events = [
        StackEvent("1", "JobRunsLogPolicy", "AWS::Logs::ResourcePolicy", "CREATE_FAILED", reason)
    ]
    error = failure(Stack("lift-staging", STACK_ID, "UPDATE_ROLLBACK_COMPLETE"), events)
    hint = error.hint or ""
    assert "10 log resource policies" in hint
    assert "git lift service update -e staging -s SERVICE" in hint
    assert "then git lift env update -e staging" in hint
