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

from git_lift.commands.iam_policy import Scope, policy
from tests.helpers import Lift, editor_script
from tests.infra_support import put_config

ROOT = Path(__file__).resolve().parent.parent
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SCOPE = Scope("staging", ("payments-api",), "eu-west-1", "123456789012")
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
    "ecs:RegisterTaskDefinition",
    "ecs:DescribeTaskDefinition",
    "ecs:DeregisterTaskDefinition",
    "ecs:ListTasks",
    "iam:CreateServiceLinkedRole",
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
    more = editor_script(tmp_path, 'sed -i \'s/"desired_count": 1/"desired_count": 2/\' "$file"')
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
    ):
        run(lift, *args)
    run(lift, "service", "edit", "-e", "staging", "--yes", editor=more)
    developer_calls = as_actions(aws.request_counts())

    # What a CI job does with the ci policy: check the config, ship a new image.
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
    ci_calls = as_actions(aws.request_counts())

    admin = policy("admin", SCOPE)
    developer = policy("developer", SCOPE)
    assert {a for a in admin_calls if not allowed(admin, a)} == set()
    assert {a for a in developer_calls if not allowed(developer, a)} == set()
    assert {a for a in ci_calls if not allowed(policy("ci", SCOPE), a)} == set()
    assert "ecs:UpdateService" in ci_calls
    # The run did exercise the stacks and the store, not just a few reads.
    assert {
        "cloudformation:ExecuteChangeSet",
        "dynamodb:PutItem",
        "ssm:PutParameter",
        "ecs:UpdateService",
    } <= admin_calls | developer_calls


def client_calls() -> set[str]:
    """Every AWS API the package calls, read from its source: `self._client.x(` in the AWS
    modules, `name = ctx.clients.svc` followed by `name.x(` anywhere."""
    modules = {
        "cfn": "cloudformation",
        "ecr": "ecr",
        "ecs": "ecs",
        "logs": "logs",
        "ssm": "ssm",
        "store": "dynamodb",
    }
    found: set[tuple[str, str]] = set()
    for path in (ROOT / "git_lift").rglob("*.py"):
        if "sandbox" in path.parts:
            continue
        text = path.read_text()
        if path.parent.name == "aws" and path.stem in modules:
            found |= {(modules[path.stem], m) for m in re.findall(r"_client\.(\w+)\(", text)}
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
    admin = policy("admin", dataclasses.replace(SCOPE, kms_key_arn=KEY))
    assert {a for a in calls if not allowed(admin, a)} == set()


def test_ci_ships_but_reads_no_secret_and_changes_no_stack() -> None:
    ci = json.dumps(policy("ci", SCOPE))
    for action in ("ecs:UpdateService", "ecr:PutImage", "dynamodb:UpdateItem", "iam:PassRole"):
        assert action in ci
    for action in ("ssm:GetParameter", "ssm:PutParameter", "kms:", "cloudformation:", "logs:"):
        assert action not in ci


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
        if statement["Resource"] == "*":
            unscoped = set(statement["Action"]) - NO_RESOURCE_LEVEL
            assert all(
                a.split(":")[0] in ("application-autoscaling",) or ":Describe" in a
                for a in unscoped
            ), statement["Sid"]
        else:
            assert all(":123456789012:" in r for r in statement["Resource"]), statement["Sid"]
    parameters = [r for s in document["Statement"] for r in s["Resource"] if ":parameter/" in r]
    assert all(
        r.startswith("arn:aws:ssm:eu-west-1:123456789012:parameter/staging/payments-api")
        for r in parameters
    )


def test_a_custom_kms_key_is_granted_through_ssm_only() -> None:
    developer = policy("developer", dataclasses.replace(SCOPE, kms_key_arn=KEY))
    (statement,) = [s for s in developer["Statement"] if s["Sid"] == "ConfigKey"]
    assert statement["Resource"] == KEY
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
