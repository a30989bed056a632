"""`git lift iam-policy`: every AWS call git lift makes is allowed by the policy it prints.

Two ways to know the calls: the sandbox counts the requests a representative run of the
commands makes (over HTTP, as AWS would see them), and the source is read for every client
method it calls, so code that no test here runs is covered too.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from git_lift.templates import stack_role
from git_lift.templates.iam_statements import policy
from tests.support.helpers import Lift
from tests.support.iam_eval import permits
from tests.support.infra import policy_scope, put_config

ROOT = Path(__file__).resolve().parent.parent
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LISTENER = (
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/lift-staging-alb"
    "/50dc6c495c0c9188/f2f7dc8efc522ab2"
)
SCOPE = policy_scope("staging", ("payments-api",), "eu-west-1", "123456789012")
# What the environment stack makes the CloudFormation role's policy name (LISTENER's).
VPC = "vpc-0123456789abcdef0"
ROLE_SCOPE = stack_role.RoleScope(
    SCOPE.environment, "eu-west-1", "123456789012", VPC, ("lift-staging-alb",)
)


def role_policy(r: stack_role.RoleScope = ROLE_SCOPE) -> dict[str, Any]:
    """The CloudFormation role's own policy."""
    return {"Version": "2012-10-17", "Statement": stack_role.statements(r)}


# AWS allows these to everyone: no policy can grant or deny them.
ALWAYS_ALLOWED = {"sts:GetCallerIdentity"}
# One API call, authorised as the item actions it carries.
COMPOSITE = {
    "dynamodb:TransactWriteItems": [
        "dynamodb:DeleteItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ],
}
# Actions that AWS does not let a policy scope to a resource.
NO_RESOURCE_LEVEL = {
    "ssm:DescribeParameters",
    "ecr:GetAuthorizationToken",
    "ecs:DescribeTaskDefinition",
    "ecs:DeregisterTaskDefinition",
    "ecs:ListTasks",
    "iam:CreateServiceLinkedRole",
    # Service Authorization Reference, AWS CloudFormation: ListStacks has no resource type.
    "cloudformation:ListStacks",
    # Service Authorization Reference, Amazon EventBridge Scheduler: ListSchedules neither.
    "scheduler:ListSchedules",
    # The account's log resource policies (the environment's job runs policy) have no ARN
    # (Service Authorization Reference, Amazon CloudWatch Logs).
    "logs:DeleteResourcePolicy",
    "logs:PutResourcePolicy",
}


def allowed(document: dict[str, Any], action: str) -> bool:
    needed = COMPOSITE.get(action, [action])
    return action in ALWAYS_ALLOWED or all(
        any(
            fnmatch.fnmatchcase(one, pattern)
            for statement in document["Statement"]
            for pattern in statement["Action"]
        )
        for one in needed
    )


def as_actions(counts: dict[str, int]) -> set[str]:
    """ "ssm.GetParameters" -> "ssm:GetParameters"; the sandbox's own endpoints are left out."""
    return {key.replace(".", ":", 1) for key in counts if not key.startswith("unknown.")}


def run(lift: Lift, *args: str, editor: str = "true") -> None:
    result = lift(*args, env={"GIT_EDITOR": editor})
    assert result.returncode == 0, f"{args}: {result.stderr}"


def test_every_call_of_a_representative_run_is_allowed(
    aws: Any, lift: Lift, tmp_path: Path
) -> None:
    run(lift, "env", "create", "-e", "staging", "--yes")
    admin_calls = as_actions(aws.request_counts())
    aws.reset_counts()

    put_config("staging", "payments-api", DATABASE_URL="x", API_TOKEN="y")
    aws.reset_counts()
    for args in (
        ("config", "set", "-e", "staging", "LOG_LEVEL=debug"),
        ("config", "show", "-e", "staging"),
        ("config", "get", "-e", "staging", "LOG_LEVEL"),
        ("config", "history", "-e", "staging", "LOG_LEVEL"),
        ("config", "restore", "-e", "staging", "LOG_LEVEL@1"),
        ("config", "unset", "-e", "staging", "LOG_LEVEL"),
        ("config", "export", "-e", "staging"),
        ("config", "check", "-e", "staging"),
        ("service", "create", "-e", "staging", "--yes"),
        ("service", "update", "-e", "staging", "--yes"),
        ("service", "show", "-e", "staging"),
        ("service", "history", "-e", "staging"),
        ("service", "template", "-e", "staging"),
        ("env", "show", "-e", "staging"),
        ("env", "list"),
        (
            "ship",
            "-e",
            "staging",
            "--yes",
            "--image",
            "registry.example.com/api@sha256:" + "a" * 64,
        ),
        ("status", "-e", "staging"),
        ("history", "-e", "staging"),
        ("run", "-e", "staging", "--", "true"),
    ):
        run(lift, *args)
    shown = lift("service", "show", "-e", "staging")
    assert '"desired_count": 1' in shown.stdout, shown.stderr
    edited = tmp_path / "service.json"
    migrate = '"desired_count": 2, "release_command": ["bin/migrate"]'
    edited.write_text(shown.stdout.replace('"desired_count": 1', migrate))
    run(lift, "service", "edit", "-e", "staging", "--yes", "--file", str(edited))
    run(lift, "scale", "-e", "staging", "3", "--yes")
    developer_calls = as_actions(aws.request_counts())

    # What a CI job does with the ci policy: check the config, ship a new image (its
    # release command runs first).
    aws.reset_counts()
    run(lift, "config", "check", "-e", "staging")
    run(
        lift,
        "ship",
        "-e",
        "staging",
        "--yes",
        "--image",
        "registry.example.com/api@sha256:" + "b" * 64,
    )
    run(lift, "dashboard", "--html", str(tmp_path / "dashboard.html"))  # CI publishes it
    ci_calls = as_actions(aws.request_counts())

    admin = policy("admin", SCOPE)
    developer = policy("developer", SCOPE)
    assert {a for a in admin_calls if not allowed(admin, a)} == set()
    assert {a for a in developer_calls if not allowed(developer, a)} == set()
    # The developer's stack changes are CloudFormation's, with the role the developer may pass
    # it; the developer calls no IAM.
    from moto.cloudformation.models import cloudformation_backends

    change_sets = cloudformation_backends["123456789012"]["eu-west-1"].change_sets.values()
    roles = {c.role_arn for c in change_sets if c.stack_name == "lift-staging-payments-api"}
    assert roles == {STACK_ROLE}
    passed = {"iam_PassedToService": "cloudformation.amazonaws.com"}
    assert permits(developer, "iam:PassRole", STACK_ROLE, **passed)
    assert not any(a.startswith("iam:") for a in developer_calls | ci_calls)
    assert {a for a in ci_calls if not allowed(policy("ci", SCOPE), a)} == set()
    assert "ecs:UpdateService" in ci_calls
    # The run did exercise the stacks and the store, not just a few reads.
    assert {
        "cloudformation:ExecuteChangeSet",
        "dynamodb:PutItem",
        "ssm:PutParameter",
        "ecs:UpdateService",
    } <= admin_calls | developer_calls


def test_every_call_of_a_teardown_is_allowed(aws: Any, lift: Lift) -> None:
    """`service delete` with both purges as a developer (CloudFormation deletes with the
    environment's role, which the developer passes it), then `env delete` as an admin."""
    run(lift, "env", "create", "-e", "staging", "--yes")
    put_config("staging", "payments-api", DATABASE_URL="x", API_TOKEN="y")
    run(lift, "service", "create", "-e", "staging", "--yes")
    boto3.client("ecr", region_name="eu-west-1").create_repository(repositoryName="payments-api")
    aws.reset_counts()
    run(lift, "service", "delete", "-e", "staging", "--yes", "--purge-config", "--purge-images")
    developer_calls = as_actions(aws.request_counts())
    aws.reset_counts()
    run(lift, "env", "delete", "-e", "staging", "--yes")
    admin_calls = as_actions(aws.request_counts())

    developer = policy("developer", SCOPE)
    assert {a for a in developer_calls if not allowed(developer, a)} == set()
    assert {a for a in admin_calls if not allowed(policy("admin", SCOPE), a)} == set()
    assert {"cloudformation:DeleteStack", "ecr:ListImages"} <= developer_calls
    assert not any(a.startswith("iam:") for a in developer_calls)
    assert "cloudformation:DeleteStack" in admin_calls
    stack = "arn:aws:cloudformation:eu-west-1:123456789012:stack/lift-staging-payments-api/x"
    assert permits(developer, "cloudformation:DeleteStack", stack)
    assert not permits(developer, "cloudformation:DeleteStack", stack.replace("-payments-api", ""))
    passed = {"iam_PassedToService": "cloudformation.amazonaws.com"}
    assert permits(developer, "iam:PassRole", STACK_ROLE, **passed)
    assert not allowed(policy("ci", SCOPE), "cloudformation:DeleteStack")


def client_calls() -> set[str]:
    """Every AWS API the package calls, read from its source: `self._client.x(` and
    `self._client.get_paginator("x")` in the AWS modules, `name = ctx.clients.svc` followed by
    `name.x(` anywhere."""
    modules = {
        "cfn": "cloudformation",
        "ecr": "ecr",
        "ecs": "ecs",
        "logs": "logs",
        "ssm": "ssm",
        "store": "dynamodb",
        "table": "dynamodb",
        "secrets": "secretsmanager",
        "templates_bucket": "s3",
        "schedules": "scheduler",
    }
    found: set[tuple[str, str]] = set()
    for path in (ROOT / "git_lift").rglob("*.py"):
        if "sandbox" in path.parts:
            continue
        text = path.read_text()
        if path.parent.name == "aws" and path.stem in modules:
            found |= {(modules[path.stem], m) for m in re.findall(r"_client\.(\w+)\(", text)}
            paged = re.findall(r"_client\.get_paginator\(\s*\"(\w+)\"", text)
            found |= {(modules[path.stem], m) for m in paged}
        if path.parent.name == "aws" and path.stem == "notices":  # two clients (issue 24)
            found |= set(re.findall(r"self\._(ssm|sns)\.(\w+)\(", text))
        for name, service in re.findall(r"(\w+) = ctx\.clients\.(\w+)\b", text):
            found |= {(service, m) for m in re.findall(rf"\b{name}\.(\w+)\(", text)}
    found |= {("sts", "get_caller_identity"), ("kms", "describe_key")}  # aws/identity.py
    actions = set()
    for service, method in found:
        if method in ("get_waiter", "get_paginator"):
            continue
        mapping = boto3.client(service, region_name="eu-west-1").meta.method_to_api_mapping
        assert method in mapping, f"{service}.{method} is not an API call"
        actions.add(f"{service}:{mapping[method]}")
    return actions


def test_every_call_in_the_source_is_allowed_for_admins() -> None:
    calls = client_calls()
    assert {"cloudformation:CreateChangeSet", "ecs:UpdateService", "logs:FilterLogEvents"} <= calls
    admin = policy("admin", dataclasses.replace(notifying(SCOPE), kms_key_arn=KEY))
    assert {a for a in calls if not allowed(admin, a)} == set()


def test_ci_ships_but_reads_no_secret_and_changes_no_stack() -> None:
    ci = json.dumps(policy("ci", SCOPE))
    for action in ("ecs:UpdateService", "ecr:PutImage", "dynamodb:UpdateItem", "iam:PassRole"):
        assert action in ci
    for action in ("ssm:GetParameter", "ssm:PutParameter", "kms:", "cloudformation:"):
        assert action not in ci
    # Of the logs, only the release command's task stream (issue 20): read, nothing else.
    logs = {a for s in policy("ci", SCOPE)["Statement"] for a in s["Action"] if "logs:" in a}
    assert logs == {"logs:GetLogEvents"}


def test_ci_reads_values_and_writes_its_snapshot_only_where_config_is_pinned() -> None:
    pinning = policy("ci", dataclasses.replace(SCOPE, pins_config=True))
    added = [s for s in pinning["Statement"] if s not in policy("ci", SCOPE)["Statement"]]
    assert {a for s in added for a in s["Action"]} == {
        "ssm:GetParameters",
        "secretsmanager:CreateSecret",
        "secretsmanager:DescribeSecret",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecretVersionStage",
    }
    resources = {r for s in added for r in s["Resource"]}
    assert resources == {
        "arn:aws:ssm:eu-west-1:123456789012:parameter/staging/payments-api/*",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:lift/staging/payments-api-??????",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:lift/staging/payments-api/*",
    }
    assert "secretsmanager:GetSecretValue" not in json.dumps(pinning)


def test_ci_decrypts_its_values_where_config_is_locked() -> None:
    """configLock (issue 24): the release's check compares values with the lock's hashes."""
    locking = policy("ci", dataclasses.replace(SCOPE, locks_config=True))
    added = [s for s in locking["Statement"] if s not in policy("ci", SCOPE)["Statement"]]
    assert {a for s in added for a in s["Action"]} >= {"ssm:GetParameters"}
    assert {r for s in added for r in s["Resource"] if ":ssm:" in r} == {
        "arn:aws:ssm:eu-west-1:123456789012:parameter/staging/payments-api/*"
    }
    both = dataclasses.replace(SCOPE, locks_config=True, pins_config=True)
    assert policy("ci", both) == policy("ci", dataclasses.replace(SCOPE, pins_config=True))


def test_developers_do_not_change_environments() -> None:
    developer = policy("developer", SCOPE)
    stacks = [
        r
        for s in developer["Statement"]
        if any("cloudformation:Create" in a for a in s["Action"])
        for r in s["Resource"]
    ]
    assert stacks == [
        "arn:aws:cloudformation:eu-west-1:123456789012:stack/lift-staging-payments-api/*"
    ]
    assert not allowed(developer, "ec2:CreateVpc") and allowed(
        policy("admin", SCOPE), "ec2:CreateVpc"
    )


@pytest.mark.parametrize("audience", ["ci", "developer", "admin"])
def test_resources_are_scoped_unless_aws_cannot(audience: str) -> None:
    document = policy(audience, SCOPE)
    for statement in document["Statement"]:
        if statement["Effect"] == "Deny":
            continue
        if statement["Resource"] == "*":
            unscoped = set(statement["Action"]) - NO_RESOURCE_LEVEL
            assert all(":Describe" in a for a in unscoped), statement["Sid"]
        else:
            # S3's ARNs hold no account: the template bucket's name does.
            assert all(
                ":123456789012:" in r or r.startswith("arn:aws:s3:::lift-staging-cfn-123456789012-")
                for r in statement["Resource"]
            ), statement["Sid"]
    parameters = [r for s in document["Statement"] for r in s["Resource"] if ":parameter/" in r]
    # The environment's notice webhook (issue 24) is its one parameter outside the services'.
    webhook = "arn:aws:ssm:eu-west-1:123456789012:parameter/lift.notices/staging/webhook"
    assert all(
        r.startswith("arn:aws:ssm:eu-west-1:123456789012:parameter/staging/payments-api")
        or r == webhook
        for r in parameters
    )


def test_a_custom_kms_key_is_granted_through_ssm_only() -> None:
    developer = policy("developer", dataclasses.replace(SCOPE, kms_key_arn=KEY))
    (statement,) = [s for s in developer["Statement"] if s["Sid"] == "ConfigKey"]
    assert statement["Resource"] == [KEY]
    assert statement["Condition"] == {
        "StringEquals": {"kms:ViaService": "ssm.eu-west-1.amazonaws.com"}
    }
    assert "ConfigKey" not in json.dumps(policy("developer", SCOPE))


def test_the_command_prints_the_policy_for_the_repos_services(aws: Any, lift: Lift) -> None:
    result = lift("iam-policy", "-e", "staging", "--for", "ci")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed == policy("ci", SCOPE)
    assert "IAM policy (ci) for payments-api in staging" in result.stderr
    explicit = lift("iam-policy", "-e", "staging", "--account", "210987654321")
    assert ":210987654321:" in explicit.stdout and ":123456789012:" not in explicit.stdout


ACCOUNT = "arn:aws:{}:eu-west-1:123456789012:{}"
BOUNDARY = "arn:aws:iam::123456789012:policy/lift-staging-boundary"
STACK_BOUNDARY = BOUNDARY + "-cloudformation"


def role(name: str) -> str:
    return f"arn:aws:iam::123456789012:role/{name}"


@pytest.mark.parametrize("where", ["role policy", "boundary"])
def test_roles_are_created_only_under_the_environments_boundary(where: str) -> None:
    """What the CloudFormation role may do to service roles, by its own policy and by the
    boundary that caps it (as that role: `aws:PrincipalArn`)."""
    document = role_policy() if where == "role policy" else policy("stack-boundary", SCOPE)
    as_role = {"aws_PrincipalArn": STACK_ROLE}
    task = role("lift-staging-payments-api-task")
    tags = {
        "aws_RequestTag__lift:environment": "staging",
        "aws_RequestTag__lift:service": "payments-api",
    }
    bounded = {"iam_PermissionsBoundary": BOUNDARY, **as_role}
    assert permits(document, "iam:CreateRole", task, **bounded, **tags)
    assert not permits(document, "iam:CreateRole", task, **tags, **as_role)
    admin_boundary = "arn:aws:iam::aws:policy/AdministratorAccess"
    for action in ("iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"):
        assert not permits(
            document, action, task, iam_PermissionsBoundary=admin_boundary, **tags, **as_role
        )
    assert permits(document, "iam:PutRolePolicy", task, **bounded)
    assert not permits(document, "iam:PutRolePolicy", task, **as_role)
    assert not permits(document, "iam:DeleteRolePermissionsBoundary", task, **bounded)
    # Never a role's trust, never itself or the boundary.
    assert not permits(document, "iam:UpdateAssumeRolePolicy", task, **bounded)
    for action in ("iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRole"):
        assert not permits(document, action, STACK_ROLE, **bounded)
    assert not permits(document, "iam:CreatePolicyVersion", BOUNDARY, **as_role)
    # Only service roles, never any other role of the account.
    assert not permits(document, "iam:CreateRole", role("lift-staging-admin"), **bounded, **tags)
    # Managed policies (the service config's managed_policies): only under the boundary.
    assert permits(document, "iam:AttachRolePolicy", task, **bounded)
    assert not permits(document, "iam:AttachRolePolicy", task, **as_role)
    assert not permits(
        document, "iam:AttachRolePolicy", task, iam_PermissionsBoundary=admin_boundary, **as_role
    )
    # The roles the stacks make carry the other boundary, which grants none of it.
    services = policy("boundary", SCOPE)
    for kind in ("task", "execution", "scheduler", "traffic"):
        other = {"aws_PrincipalArn": role(f"lift-staging-payments-api-{kind}")}
        assert not permits(services, "iam:CreateRole", task, **tags, **bounded | other)
        assert not permits(services, "iam:PutRolePolicy", task, **bounded | other)
    if where == "role policy":
        # A role made without the environment's tag, or under a path, is refused.
        assert not permits(document, "iam:CreateRole", task, **bounded)
        pathed = role("lift-staging-x/payments-api-task")
        assert not permits(document, "iam:CreateRole", pathed, **bounded, **tags)


def test_the_cloudformation_role_deletes_only_its_environments_roles() -> None:
    """Role names share a prefix across environments (`lift-staging-*` matches
    `lift-staging-2-...`): the boundary and the tags tell them apart."""
    document = role_policy()
    theirs = role("lift-staging-2-api-task")
    own_tag = {"aws_ResourceTag__lift:environment": "staging"}
    their_tag = {"aws_ResourceTag__lift:environment": "staging-2"}
    assert permits(document, "iam:DeleteRole", role("lift-staging-api-task"), **own_tag)
    assert not permits(document, "iam:DeleteRole", theirs, **their_tag)
    their_boundary = BOUNDARY.replace("staging", "staging-2")
    assert not permits(
        document, "iam:PutRolePolicy", theirs, iam_PermissionsBoundary=their_boundary
    )
    assert not permits(
        document,
        "iam:TagRole",
        theirs,
        **their_tag,
        **{"aws_RequestTag__lift:environment": "staging"},
    )


def test_a_service_policy_never_matches_a_longer_named_services_roles() -> None:
    api = policy_scope("staging", ("api",), "eu-west-1", "123456789012")
    passed = {"iam_PassedToService": "ecs-tasks.amazonaws.com"}
    for audience in ("ci", "developer"):
        document = policy(audience, api)
        assert permits(document, "iam:PassRole", role("lift-staging-api-task"), **passed)
        for other in ("lift-staging-api-gateway-task", "lift-staging-api-gateway-execution"):
            assert not permits(document, "iam:PassRole", role(other), **passed)
            assert not permits(document, "iam:DeleteRole", role(other))


def test_staging_stacks_cannot_touch_productions_network_or_scaling() -> None:
    document = role_policy()
    group = ACCOUNT.format("ec2", "security-group/sg-0123")
    staging_vpc = ACCOUNT.format("ec2", f"vpc/{VPC}")
    production_vpc = ACCOUNT.format("ec2", "vpc/vpc-0fedcba987654321f")
    ingress = "ec2:AuthorizeSecurityGroupIngress"
    assert permits(document, ingress, group, ec2_Vpc=staging_vpc)
    assert not permits(document, ingress, group, ec2_Vpc=production_vpc)
    assert permits(document, "ec2:CreateSecurityGroup", staging_vpc)
    assert not permits(document, "ec2:CreateSecurityGroup", production_vpc)

    production_listener = LISTENER.replace("staging", "production")
    assert permits(document, "elasticloadbalancing:CreateRule", LISTENER)
    assert not permits(document, "elasticloadbalancing:CreateRule", production_listener)
    rule = LISTENER.replace(":listener/", ":listener-rule/") + "/9683b2d02a6cabee"
    production_rule = production_listener.replace(":listener/", ":listener-rule/") + "/1"
    assert permits(document, "elasticloadbalancing:ModifyRule", rule)
    assert not permits(document, "elasticloadbalancing:DeleteRule", production_rule)

    production = {"aws_ResourceTag__lift:environment": "production"}
    staging = {"aws_ResourceTag__lift:environment": "staging"}
    retag = {"aws_RequestTag__lift:environment": "staging"}
    target_group = ACCOUNT.format("elasticloadbalancing", "targetgroup/lift-api/0123")
    target = ACCOUNT.format("application-autoscaling", "scalable-target/0123")
    for action, arn in (
        ("elasticloadbalancing:ModifyTargetGroup", target_group),
        ("elasticloadbalancing:AddTags", target_group),
        ("application-autoscaling:RegisterScalableTarget", target),
        ("application-autoscaling:PutScalingPolicy", target),
    ):
        assert permits(document, action, arn, **staging), action
        assert not permits(document, action, arn, **production, **retag), action
    # New ones: tagged with the environment when created.
    assert permits(document, "elasticloadbalancing:CreateTargetGroup", target_group, **retag)
    assert not permits(document, "elasticloadbalancing:CreateTargetGroup", target_group)
    assert permits(document, "application-autoscaling:RegisterScalableTarget", target, **retag)


@pytest.mark.parametrize("audience", ["ci", "developer", "admin"])
def test_each_environment_writes_only_its_own_items(audience: str) -> None:
    document = policy(audience, SCOPE)
    table = ACCOUNT.format("dynamodb", "table/git-lift")
    for action in ("dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:DeleteItem"):
        own = ["release#staging#payments-api"]
        assert permits(document, action, table, dynamodb_LeadingKeys=own)
        for theirs in ("release#production#payments-api", "release#staging#other"):
            assert not permits(document, action, table, dynamodb_LeadingKeys=[theirs])
        assert not permits(
            document, action, table, dynamodb_LeadingKeys=[*own, "release#production#x"]
        )
        documents = ["service#staging#payments-api"]
        assert permits(document, action, table, dynamodb_LeadingKeys=documents) == (
            audience != "ci"
        )
        records = ["environment"]
        assert permits(document, action, table, dynamodb_LeadingKeys=records) == (
            audience == "admin"
        )
    assert permits(document, "dynamodb:GetItem", table, dynamodb_LeadingKeys=["environment"])
    assert not permits(document, "dynamodb:Scan", table)


@pytest.mark.parametrize("audience", ["ci", "developer"])
def test_one_off_tasks_run_only_the_services_task_definitions_in_its_cluster(
    audience: str,
) -> None:
    document = policy(audience, SCOPE)
    own = ACCOUNT.format("ecs", "task-definition/staging-payments-api:7")
    cluster = {"ecs_cluster": ACCOUNT.format("ecs", "cluster/lift-staging")}
    elsewhere = {"ecs_cluster": ACCOUNT.format("ecs", "cluster/lift-production")}
    assert permits(document, "ecs:RunTask", own, **cluster)
    assert not permits(document, "ecs:RunTask", own, **elsewhere)
    theirs = ACCOUNT.format("ecs", "task-definition/production-payments-api:7")
    assert not permits(document, "ecs:RunTask", theirs, **cluster)
    task = ACCOUNT.format("ecs", f"task/lift-staging/{'a' * 32}")
    assert permits(document, "ecs:StopTask", task)
    assert not permits(document, "ecs:StopTask", task.replace("staging", "production"))
    stream = ACCOUNT.format("logs", "log-group:/lift/staging/payments-api:log-stream:x/y/z")
    assert permits(document, "logs:GetLogEvents", stream)
    assert not permits(document, "logs:GetLogEvents", stream.replace("staging", "production"))


@pytest.mark.parametrize("who", ["stack role", "developer"])
def test_task_definitions_of_the_stack_can_be_tagged_when_created(who: str) -> None:
    document = role_policy() if who == "stack role" else policy("developer", SCOPE)
    revision = ACCOUNT.format("ecs", "task-definition/staging-payments-api:7")
    # The stack's task definitions carry the environment's tag (the stack role needs it: a
    # longer environment's families share its prefix); a ship registers without tags.
    tags = {"aws_RequestTag__lift:environment": "staging"} if who == "stack role" else {}
    tagged = permits(
        document, "ecs:TagResource", revision, ecs_CreateAction="RegisterTaskDefinition", **tags
    )
    assert tagged == (who == "stack role")  # the stack tags it; a ship does not
    assert permits(document, "ecs:RegisterTaskDefinition", revision, **tags)
    other = ACCOUNT.format("ecs", "task-definition/production-payments-api:7")
    assert not permits(document, "ecs:RegisterTaskDefinition", other)


def test_service_roles_carry_the_boundary_that_admins_create() -> None:
    from git_lift import servicecfg
    from git_lift.templates import to_json
    from git_lift.templates.service import service_template
    from tests.support.infra import target

    cfg = servicecfg.parse(servicecfg.default_document(production=False))
    rendered = json.loads(
        to_json(
            service_template(
                target("staging", "payments-api"),
                cfg,
                image="registry.example.com/api@sha256:" + "a" * 64,
                secrets={},
                region="eu-west-1",
                account_id="123456789012",
                kms_key_arn=None,
            )
        )
    )
    roles = {
        r["Properties"]["RoleName"]: r["Properties"]
        for r in rendered["Resources"].values()
        if r["Type"] == "AWS::IAM::Role"
    }
    assert set(roles) == {"lift-staging-payments-api-task", "lift-staging-payments-api-execution"}
    assert {r["PermissionsBoundary"] for r in roles.values()} == {BOUNDARY}
    tags = {f"aws_RequestTag__{t['Key']}": t["Value"] for t in roles[next(iter(roles))]["Tags"]}
    for name in roles:
        assert permits(
            role_policy(), "iam:CreateRole", role(name), iam_PermissionsBoundary=BOUNDARY, **tags
        )
    admin = policy("admin", SCOPE)
    for arn in (BOUNDARY, STACK_BOUNDARY):
        assert permits(admin, "iam:CreatePolicy", arn)
        for change in (
            "iam:CreatePolicyVersion",
            "iam:DeletePolicy",
            "iam:SetDefaultPolicyVersion",
        ):
            assert not permits(admin, change, arn)
        assert not permits(policy("developer", SCOPE), "iam:CreatePolicy", arn)
    # The services' boundary grants no IAM but a jobs role passing the service roles to ECS
    # tasks, and nothing outside its environment.
    boundary = policy("boundary", SCOPE)
    for statement in boundary["Statement"]:
        actions = statement.get("Action", [])
        if any(a.startswith("iam:") for a in ([actions] if isinstance(actions, str) else actions)):
            assert statement["Sid"] == "JobsPassRoles"
            assert statement["Condition"]["StringEquals"] == {
                "iam:PassedToService": "ecs-tasks.amazonaws.com"
            }
    assert "production" not in json.dumps(boundary)
    assert "parameter/staging/*" in json.dumps(boundary)


# IAM User Guide, "IAM and AWS STS quotas" (docs.aws.amazon.com/IAM/latest/UserGuide/
# reference_iam-quotas.html): a managed policy holds at most 6,144 characters, whitespace left
# out. Each boundary keeps room to spare for what comes next.
MANAGED_POLICY_SIZE = 6144
MARGIN = 5500


@pytest.mark.parametrize("audience", ["boundary", "stack-boundary"])
def test_each_boundary_fits_a_managed_policy_with_room_to_spare(audience: str) -> None:
    """The longest names, the longest partition and a KMS key make the largest boundaries;
    the services' and the CloudFormation role's are two managed policies, each under IAM's
    quota with room left (the single boundary was 6,097 of 6,144)."""
    longest = policy_scope("e" * 20, ("s" * 28,), "us-gov-west-1", "123456789012", kms_key_arn=KEY)
    size = len(json.dumps(policy(audience, longest), separators=(",", ":")))
    assert size <= MANAGED_POLICY_SIZE
    assert size < MARGIN, size


def test_the_command_prints_the_boundary_and_env_create_makes_the_stack_role_in_its_vpc(
    aws: Any, lift: Lift
) -> None:
    result = lift("iam-policy", "-e", "staging", "--for", "boundary")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == policy("boundary", SCOPE)
    assert "aws iam create-policy --policy-name lift-staging-boundary" in result.stderr
    assert "aws iam create-policy-version --policy-arn " + BOUNDARY in result.stderr
    assert "--for stack-boundary" in result.stderr
    stacks = lift("iam-policy", "-e", "staging", "--for", "stack-boundary")
    assert stacks.returncode == 0, stacks.stderr
    assert json.loads(stacks.stdout) == policy("stack-boundary", SCOPE)
    created = "aws iam create-policy --policy-name lift-staging-boundary-cloudformation"
    assert created in stacks.stderr

    before = lift("iam-policy", "-e", "staging", "--for", "developer")
    assert "lift-staging-cloudformation" in before.stderr
    run(lift, "env", "create", "-e", "staging", "--yes")
    after = lift("iam-policy", "-e", "staging", "--for", "developer")
    assert after.returncode == 0, after.stderr
    assert after.stdout == before.stdout  # the developer's policy names no network
    # The role the environment stack made: CloudFormation's, under the boundary, its
    # policy naming the environment's own VPC and load balancer.
    iam = boto3.client("iam", region_name="eu-west-1")
    made = iam.get_role(RoleName="lift-staging-cloudformation")["Role"]
    assert made["PermissionsBoundary"]["PermissionsBoundaryArn"] == STACK_BOUNDARY
    assert json.dumps(made["AssumeRolePolicyDocument"]).count("cloudformation.amazonaws.com") == 1
    raw = iam.get_role_policy(RoleName="lift-staging-cloudformation", PolicyName="service-stacks")
    # As IAM returns it: JSON, which boto3 decodes (the sandbox's iam_roles.py).
    document = raw["PolicyDocument"]
    vpc = boto3.client("ec2", region_name="eu-west-1").describe_vpcs(
        Filters=[{"Name": "tag:lift:environment", "Values": ["staging"]}]
    )["Vpcs"][0]["VpcId"]
    (balancer,) = boto3.client("elbv2", region_name="eu-west-1").describe_load_balancers()[
        "LoadBalancers"
    ]
    group = ACCOUNT.format("ec2", "security-group/sg-0123")
    ingress = "ec2:AuthorizeSecurityGroupIngress"
    assert permits(document, ingress, group, ec2_Vpc=ACCOUNT.format("ec2", f"vpc/{vpc}"))
    assert not permits(document, ingress, group, ec2_Vpc=ACCOUNT.format("ec2", "vpc/vpc-other"))
    listener = ACCOUNT.format(
        "elasticloadbalancing", f"listener/app/{balancer['LoadBalancerName']}/0123/4567"
    )
    assert permits(document, "elasticloadbalancing:CreateRule", listener)
    assert not permits(
        document, "elasticloadbalancing:CreateRule", listener.replace("lift-staging", "other")
    )
    made_scope = stack_role.RoleScope(
        SCOPE.environment, "eu-west-1", "123456789012", vpc, (balancer["LoadBalancerName"],)
    )
    inline = {"Version": "2012-10-17", "Statement": stack_role.inline_statements(made_scope)}
    assert document == inline
    # The rest is the managed policy the environment stack made and attached to the role.
    (attached,) = iam.list_attached_role_policies(RoleName="lift-staging-cloudformation")[
        "AttachedPolicies"
    ]
    managed = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
    assert managed["PolicyName"] == "lift-staging-cloudformation-resources"
    version = iam.get_policy_version(
        PolicyArn=attached["PolicyArn"], VersionId=managed["DefaultVersionId"]
    )["PolicyVersion"]["Document"]
    held = version if isinstance(version, dict) else json.loads(version)
    assert held == {"Version": "2012-10-17", "Statement": stack_role.managed_statements(made_scope)}
    both = {"Statement": document["Statement"] + held["Statement"]}
    assert both["Statement"] == role_policy(made_scope)["Statement"]


class KeyRecorder:
    """A DynamoDB client that records the partition keys of each request."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    def __getattr__(self, operation: str) -> Any:
        def call(**request: Any) -> dict[str, Any]:
            items = [t for one in request.get("TransactItems", []) for t in one.values()]
            keys = [
                (i.get("Key") or i.get("Item"))["pk"]["S"]
                for i in [request, *items]
                if i.get("Key") or i.get("Item")
            ]
            self.calls.append((operation, keys))
            return {"Attributes": {"n": {"N": "1"}}, "Items": []}

        return call


def test_every_item_a_command_writes_is_in_its_environments_leading_keys() -> None:
    from git_lift.aws.store import Release, ServiceDocument, Store
    from tests.support.ecs import target

    client = KeyRecorder()
    store, staging = Store(client), target("staging")
    store.begin_release(staging, "me", 60)
    release = Release(1, "staging", "payments-api", "c0ffee", "img", "td", "me", 0.0)
    store.finish_release(staging, release, "me")
    store.release_lock(staging, None)
    store.take_config_lease(staging, "me", 60)
    store.release_config_lease(staging, "me")
    store.save_service_document(
        staging, ServiceDocument("staging", "payments-api", 2, {}, "me", 0.0)
    )
    table = ACCOUNT.format("dynamodb", "table/git-lift")
    developer = policy("developer", SCOPE)
    production_scope = policy_scope("production", ("payments-api",), "eu-west-1", "123456789012")
    production = policy("developer", production_scope)
    assert len(client.calls) == 6
    for operation, keys in client.calls:
        action = "dynamodb:" + "".join(w.capitalize() for w in operation.split("_"))
        for one in COMPOSITE.get(action, [action]):
            assert permits(developer, one, table, dynamodb_LeadingKeys=keys), (one, keys)
            assert not permits(production, one, table, dynamodb_LeadingKeys=keys), (one, keys)


def test_only_the_named_principals_assume_the_deployer_role_with_its_external_id() -> None:
    from git_lift.templates.iam_trust import principal, trust_policy

    ci = "arn:aws:iam::123456789012:role/ci/lift-ci"
    sso = "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Dev_0123/alice"
    deployer = "arn:aws:iam::222222222222:role/lift-deployer"
    document = trust_policy([principal(ci), principal(sso)], "acme-lift")
    trust = {**document, "Statement": [{**s, "Resource": deployer} for s in document["Statement"]]}
    ok = {
        "aws_PrincipalAccount": "123456789012",
        "sts_ExternalId": "acme-lift",
        "sts_RoleSessionName": "git-lift-alice",
    }
    sso_role = (
        "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Dev_0123"
    )
    for who in (ci, sso_role):
        assert permits(trust, "sts:AssumeRole", deployer, aws_PrincipalArn=who, **ok)
    for other in (
        "arn:aws:iam::123456789012:role/ci/lift-ci-other",
        "arn:aws:iam::123456789012:role/admin",
    ):
        assert not permits(trust, "sts:AssumeRole", deployer, aws_PrincipalArn=other, **ok)
    for wrong in (
        {"sts_ExternalId": "guessed"},
        {"sts_RoleSessionName": "console"},
        {"aws_PrincipalAccount": "333333333333"},
    ):
        assert not permits(trust, "sts:AssumeRole", deployer, aws_PrincipalArn=ci, **ok | wrong)
    without = trust_policy([principal(ci)], None)["Statement"][0]["Condition"]
    assert "sts:ExternalId" not in without["StringEquals"]


# --- service stacks change through the environment's CloudFormation role (issue 17) ---------

STACK_ROLE = role("lift-staging-cloudformation")
IAM_WRITES = (
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:UpdateAssumeRolePolicy",
)


@pytest.mark.parametrize("audience", ["ci", "developer"])
def test_developers_and_ci_cannot_take_over_the_service_roles(audience: str) -> None:
    """Whoever could rewrite a service role's trust could assume it and act as the app: the
    developer and ci policies write no IAM at all, whatever the conditions."""
    document = policy(audience, SCOPE)
    tags = {
        "aws_RequestTag__lift:environment": "staging",
        "aws_RequestTag__lift:service": "payments-api",
        "aws_ResourceTag__lift:environment": "staging",
    }
    for name in ("lift-staging-payments-api-task", "lift-staging-payments-api-execution"):
        for action in IAM_WRITES:
            assert not permits(
                document, action, role(name), iam_PermissionsBoundary=BOUNDARY, **tags
            ), (action, name)
    writes = [
        a
        for s in document["Statement"]
        if s["Effect"] == "Allow"
        for a in s["Action"]
        if a.startswith("iam:") and a not in ("iam:PassRole", "iam:CreateServiceLinkedRole")
    ]
    assert writes == []


def test_developers_pass_the_stack_role_to_cloudformation_only() -> None:
    developer = policy("developer", SCOPE)
    to_cloudformation = {"iam_PassedToService": "cloudformation.amazonaws.com"}
    to_tasks = {"iam_PassedToService": "ecs-tasks.amazonaws.com"}
    assert permits(developer, "iam:PassRole", STACK_ROLE, **to_cloudformation)
    assert not permits(developer, "iam:PassRole", STACK_ROLE, **to_tasks)
    assert not permits(developer, "iam:PassRole", STACK_ROLE)
    task = role("lift-staging-payments-api-task")
    assert permits(developer, "iam:PassRole", task, **to_tasks)
    assert not permits(developer, "iam:PassRole", task, **to_cloudformation)
    # Another environment's role, even one whose name starts the same.
    for other in ("lift-production-cloudformation", "lift-staging-2-cloudformation"):
        assert not permits(developer, "iam:PassRole", role(other), **to_cloudformation)
    # CI changes no stack: it passes the task roles to ECS, nothing to CloudFormation.
    ci = policy("ci", SCOPE)
    assert not permits(ci, "iam:PassRole", STACK_ROLE, **to_cloudformation)
    assert permits(ci, "iam:PassRole", task, **to_tasks)


@pytest.mark.parametrize("audience", ["ci", "developer", "admin"])
def test_no_audience_assumes_the_environments_roles_whatever_else_allows_it(audience: str) -> None:
    """A service role made with a trust naming the developer (a template of their own handed
    to CloudFormation) still cannot be assumed by them: an explicit deny in their own policy
    wins over any other policy that allows it."""
    document = policy(audience, SCOPE)
    everything = {"Sid": "Elsewhere", "Effect": "Allow", "Action": ["sts:*"], "Resource": "*"}
    widened = {**document, "Statement": [*document["Statement"], everything]}
    for name in (
        "lift-staging-payments-api-task",
        "lift-staging-payments-api-execution",
        "lift-staging-payments-api-scheduler",
        "lift-staging-payments-api-traffic",
        "lift-staging-other-task",
        "lift-staging-cloudformation",
    ):
        assert not permits(widened, "sts:AssumeRole", role(name)), name
    assert permits(widened, "sts:AssumeRole", role("lift-staging-deployer"))


# --- the app's own permissions (issue 20): what the boundary lets a task role do --------------


def test_the_boundary_lets_a_task_do_what_its_service_grants_but_nothing_of_git_lift() -> None:
    """The task roles (and they alone) get every action but IAM, Organizations, account,
    role assumption and image pushes, on every resource but git lift's own: what a service
    config grants works, and nothing it could be given reaches another service's config."""
    boundary = policy("boundary", SCOPE)
    task = {"aws_PrincipalArn": role("lift-staging-payments-api-task")}
    execution = {"aws_PrincipalArn": role("lift-staging-payments-api-execution")}
    stacks = {"aws_PrincipalArn": STACK_ROLE}
    granted = [
        ("s3:GetObject", "arn:aws:s3:::acme-uploads/a.png"),
        ("sqs:ReceiveMessage", ACCOUNT.format("sqs", "acme-jobs")),
        ("ses:SendEmail", ACCOUNT.format("ses", "identity/example.com")),
        ("ssmmessages:OpenDataChannel", "*"),
        ("elasticfilesystem:ClientMount", ACCOUNT.format("elasticfilesystem", "file-system/fs-1")),
        ("ssm:GetParameter", ACCOUNT.format("ssm", "parameter/shared/flags")),
    ]
    for action, arn in granted:
        assert permits(boundary, action, arn, **task), action
        assert not permits(boundary, action, arn, **stacks), action  # not the stack role's
    never = [
        ("iam:PassRole", role("lift-staging-payments-api-task")),
        ("iam:CreateAccessKey", "arn:aws:iam::123456789012:user/admin"),
        ("sts:AssumeRole", role("OrganizationAccountAccessRole")),
        ("organizations:LeaveOrganization", "*"),
        ("ecr:PutImage", ACCOUNT.format("ecr", "repository/billing")),
        ("ssm:GetParameters", ACCOUNT.format("ssm", "parameter/staging/billing/DATABASE_URL")),
        ("ssm:GetParameters", ACCOUNT.format("ssm", "parameter/staging/payments-api/API_TOKEN")),
        ("secretsmanager:GetSecretValue", ACCOUNT.format("secretsmanager", "secret:lift/x-1")),
        ("dynamodb:PutItem", ACCOUNT.format("dynamodb", "table/git-lift")),
        ("cloudformation:UpdateStack", ACCOUNT.format("cloudformation", "stack/lift-staging/1")),
        ("ecs:ExecuteCommand", ACCOUNT.format("ecs", "task/lift-staging/0123")),
        ("ecs:RunTask", ACCOUNT.format("ecs", "task-definition/staging-billing:3")),
        ("logs:GetLogEvents", ACCOUNT.format("logs", "log-group:/lift/staging/billing:*")),
        ("s3:PutObject", "arn:aws:s3:::lift-staging-cfn-123456789012-eu-west-1/t.json"),
    ]
    for action, arn in never:
        assert not permits(boundary, action, arn, **task), (action, arn)
    # What the boundary denies a task is what `service edit` refuses, and only that.
    from git_lift.templates.app_permissions import refusals
    from tests.support.infra import target

    for action, arn in [*granted, *never]:
        statement = {"Effect": "Allow", "Action": action, "Resource": arn}
        refused = refusals([statement], [], target("staging", "payments-api"))
        assert bool(refused) == (not permits(boundary, action, arn, **task)), (action, arn)
    # The execution role reads its environment's config as before, and gets no more.
    parameter = ACCOUNT.format("ssm", "parameter/staging/payments-api/API_TOKEN")
    assert permits(boundary, "ssm:GetParameters", parameter, **execution)
    assert not permits(boundary, "s3:GetObject", "arn:aws:s3:::acme-uploads/a.png", **execution)


def test_the_cloudformation_role_makes_a_services_scheduled_jobs_in_its_environment_only() -> None:
    """Scheduled jobs (issue 21): the stack role creates a service's jobs role under the
    boundary, its schedule group tagged and its schedules, and passes the jobs role to
    EventBridge Scheduler alone; nothing of another environment."""
    document = role_policy()
    jobs_role = role("lift-staging-payments-api-scheduler")
    bounded = {"iam_PermissionsBoundary": BOUNDARY}
    tags = {"aws_RequestTag__lift:environment": "staging"}
    assert permits(document, "iam:CreateRole", jobs_role, **bounded, **tags)
    assert not permits(document, "iam:CreateRole", jobs_role, **tags)
    assert permits(document, "iam:PutRolePolicy", jobs_role, **bounded)
    to_scheduler = {"iam_PassedToService": "scheduler.amazonaws.com"}
    assert permits(document, "iam:PassRole", jobs_role, **to_scheduler)
    assert not permits(
        document, "iam:PassRole", jobs_role, iam_PassedToService="ecs-tasks.amazonaws.com"
    )
    task = role("lift-staging-payments-api-task")
    assert not permits(document, "iam:PassRole", task, **to_scheduler)
    group = ACCOUNT.format("scheduler", "schedule-group/lift-staging-payments-api")
    assert permits(document, "scheduler:CreateScheduleGroup", group, **tags)
    assert not permits(document, "scheduler:CreateScheduleGroup", group)
    schedule = ACCOUNT.format("scheduler", "schedule/lift-staging-payments-api/nightly-report")
    for action in ("scheduler:CreateSchedule", "scheduler:UpdateSchedule"):
        assert permits(document, action, schedule)
        assert not permits(document, action, schedule.replace("staging", "production"))


def test_the_boundary_lets_jobs_run_and_the_stack_role_make_schedules() -> None:
    """Issue 21 on real AWS: the jobs role runs the environment's tasks under the services'
    boundary; the CloudFormation role makes schedules under its own."""
    boundary = policy("boundary", SCOPE)
    jobs_role = {"aws_PrincipalArn": role("lift-staging-payments-api-scheduler")}
    revision = ACCOUNT.format("ecs", "task-definition/staging-payments-api:7")
    cluster = ACCOUNT.format("ecs", "cluster/lift-staging")
    assert permits(boundary, "ecs:RunTask", revision, ecs_cluster=cluster, **jobs_role)
    schedule = ACCOUNT.format("scheduler", "schedule/lift-staging-payments-api/nightly-report")
    stacks = policy("stack-boundary", SCOPE)
    assert permits(stacks, "scheduler:CreateSchedule", schedule, aws_PrincipalArn=STACK_ROLE)
    assert not permits(boundary, "scheduler:CreateSchedule", schedule, **jobs_role)


@pytest.mark.parametrize("audience", ["ci", "developer"])
def test_a_release_moves_only_its_services_schedules(audience: str) -> None:
    """A ship points the service's job schedules at its task definition: UpdateSchedule on
    its own group only, passing its own jobs role to Scheduler only."""
    document = policy(audience, SCOPE)
    schedule = ACCOUNT.format("scheduler", "schedule/lift-staging-payments-api/nightly-report")
    assert permits(document, "scheduler:UpdateSchedule", schedule)
    assert not permits(document, "scheduler:UpdateSchedule", schedule.replace("staging", "prod"))
    other = schedule.replace("payments-api", "billing")
    assert not permits(document, "scheduler:UpdateSchedule", other)
    jobs_role = role("lift-staging-payments-api-scheduler")
    to_scheduler = {"iam_PassedToService": "scheduler.amazonaws.com"}
    assert permits(document, "iam:PassRole", jobs_role, **to_scheduler)
    assert not permits(
        document, "iam:PassRole", role("lift-staging-billing-scheduler"), **to_scheduler
    )
    task_role = role("lift-staging-payments-api-task")
    assert not permits(document, "iam:PassRole", task_role, **to_scheduler)


def test_the_cloudformation_roles_policy_fits_a_roles_inline_policies() -> None:
    """IAM quotas: a role's inline policies hold at most 10,240 characters, whitespace left
    out; the longest names, the longest partition and both load balancers make the largest
    (the scheduled jobs' rights included; the rest is its managed policy, and
    tests/test_env_shared_policies.py holds both margins)."""
    longest = policy_scope("e" * 20, ("s" * 28,), "us-gov-west-1", "123456789012")
    scope = stack_role.RoleScope(
        longest.environment, "us-gov-west-1", "123456789012", VPC, ("x" * 32, "y" * 32)
    )
    inline = stack_role.inline_statements(scope)
    assert any(s["Sid"] == "Schedules" for s in inline)
    document = {"Version": "2012-10-17", "Statement": inline}
    assert len(json.dumps(document, separators=(",", ":"))) <= 10_240


def test_the_jobs_part_of_the_boundary_lets_a_jobs_role_run_the_environments_tasks_only() -> None:
    """What the boundary will hold for jobs roles once it has room
    (task_policies.job_boundary_statements): run and tag the environment's tasks in its
    cluster, pass the services' task and execution roles to ECS tasks; nothing for others."""
    from git_lift.templates.task_policies import job_boundary_statements

    part = {"Statement": job_boundary_statements(SCOPE.environment, "eu-west-1", "123456789012")}
    jobs_role = {"aws_PrincipalArn": role("lift-staging-payments-api-scheduler")}
    revision = ACCOUNT.format("ecs", "task-definition/staging-payments-api:7")
    cluster = ACCOUNT.format("ecs", "cluster/lift-staging")
    assert permits(part, "ecs:RunTask", revision, ecs_cluster=cluster, **jobs_role)
    production = ACCOUNT.format("ecs", "task-definition/production-payments-api:7")
    assert not permits(part, "ecs:RunTask", production, ecs_cluster=cluster, **jobs_role)
    task_role = {"aws_PrincipalArn": role("lift-staging-payments-api-task")}
    assert not permits(part, "ecs:RunTask", revision, ecs_cluster=cluster, **task_role)
    to_tasks = {"iam_PassedToService": "ecs-tasks.amazonaws.com"}
    passed = role("lift-staging-payments-api-execution")
    assert permits(part, "iam:PassRole", passed, **to_tasks, **jobs_role)
    assert not permits(
        part, "iam:PassRole", passed, iam_PassedToService="lambda.amazonaws.com", **jobs_role
    )
    task = ACCOUNT.format("ecs", "task/lift-staging/0123456789abcdef")
    assert permits(part, "ecs:TagResource", task, ecs_CreateAction="RunTask", **jobs_role)


def test_the_admin_moves_the_stack_role_to_its_own_boundary_and_nowhere_else() -> None:
    """The upgrade's `env update` (README, "IAM policy"): the admin may set the CloudFormation
    role's boundary to the role's own, never another, and write its policy under either
    boundary while it moves; no other role."""
    admin = policy("admin", SCOPE)
    move = "iam:PutRolePermissionsBoundary"
    assert permits(admin, move, STACK_ROLE, iam_PermissionsBoundary=STACK_BOUNDARY)
    for other in (BOUNDARY, "arn:aws:iam::aws:policy/AdministratorAccess"):
        assert not permits(admin, move, STACK_ROLE, iam_PermissionsBoundary=other)
    task = role("lift-staging-payments-api-task")
    assert not permits(admin, move, task, iam_PermissionsBoundary=STACK_BOUNDARY)
    for boundary in (BOUNDARY, STACK_BOUNDARY):
        assert permits(admin, "iam:PutRolePolicy", STACK_ROLE, iam_PermissionsBoundary=boundary)
    assert not permits(admin, "iam:PutRolePolicy", STACK_ROLE)
    tags = {"aws_RequestTag__lift:environment": "staging"}
    create = "iam:CreateRole"
    assert permits(admin, create, STACK_ROLE, iam_PermissionsBoundary=STACK_BOUNDARY, **tags)
    assert not permits(admin, create, STACK_ROLE, iam_PermissionsBoundary=BOUNDARY, **tags)
    assert not permits(policy("developer", SCOPE), move, STACK_ROLE)


# Release notices (issue 24): the webhook's URL kept by an admin, read by every release; the
# environment's SNS topics published to.
NOTICE_TOPIC = "arn:aws:sns:eu-west-1:123456789012:releases"


def notifying(scope: Any) -> Any:
    """`scope` whose environment notifies the webhook and NOTICE_TOPIC."""
    return dataclasses.replace(
        scope,
        targets=tuple(
            dataclasses.replace(
                t, environment=dataclasses.replace(t.environment, notify=("webhook", NOTICE_TOPIC))
            )
            for t in scope.targets
        ),
    )


def test_every_call_of_release_notices_is_allowed(
    aws: Any, repo: Any, lift: Lift, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.release import gitlift, image, prepare
    from tests.support.webhook import serving

    notify = f"\tnotify = webhook\n\tnotify = {NOTICE_TOPIC}\n"
    prepare(repo, monkeypatch, gitlift(staging=notify), envs=("staging",))
    boto3.client("sns", region_name="eu-west-1").create_topic(Name="releases")
    scope = notifying(SCOPE)
    with serving() as hook:
        aws.reset_counts()
        kept = lift("notify", "set-webhook", "-e", "staging", input_text=hook.url + "\n")
        assert kept.returncode == 0, kept.stderr
        admin_calls = as_actions(aws.request_counts())
        aws.reset_counts()
        shipped = lift("ship", "-e", "staging", "--image", image(4))
        assert shipped.returncode == 0, shipped.stderr
        ci_calls = as_actions(aws.request_counts())
        assert len(hook.bodies) == 1
    assert {"ssm:GetParameter", "sns:Publish"} <= ci_calls
    assert "ssm:PutParameter" in admin_calls
    assert {a for a in admin_calls if not allowed(policy("admin", scope), a)} == set()
    assert {a for a in ci_calls if not allowed(policy("ci", scope), a)} == set()
    webhook = "arn:aws:ssm:eu-west-1:123456789012:parameter/lift.notices/staging/webhook"
    assert permits(policy("ci", scope), "ssm:GetParameter", webhook)
    assert not permits(policy("ci", scope), "ssm:PutParameter", webhook)
    assert permits(policy("ci", scope), "sns:Publish", NOTICE_TOPIC)
    assert not permits(policy("ci", scope), "sns:Publish", NOTICE_TOPIC + "-other")
