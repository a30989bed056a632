"""An environment made when one boundary capped every role (git lift before the CloudFormation
role had its own) upgrades as the README's "IAM policy" says: the account administrator creates
the stack role's boundary, `git lift env update` moves the role onto it, the services' boundary
gets its new version, and service stacks change as before."""

from __future__ import annotations

import json
from typing import Any

import boto3

from tests.support.helpers import Lift
from tests.support.infra import put_config

REGION = "eu-west-1"
BOUNDARY = "arn:aws:iam::123456789012:policy/lift-staging-boundary"
STACK_BOUNDARY = BOUNDARY + "-cloudformation"
ROLE = "lift-staging-cloudformation"


def ok(lift: Lift, *args: str) -> str:
    result = lift(*args)
    assert result.returncode == 0, f"{args}: {result.stderr}"
    return result.stderr


def boundary_of(role: str) -> str:
    made = boto3.client("iam", region_name=REGION).get_role(RoleName=role)["Role"]
    return str(made["PermissionsBoundary"]["PermissionsBoundaryArn"])


def make_it_old() -> None:
    """The environment stack as an older git lift made it: its CloudFormation role under the
    services' boundary (the only one)."""
    cfn = boto3.client("cloudformation", region_name=REGION)
    body: Any = cfn.get_template(StackName="lift-staging")["TemplateBody"]
    text = body if isinstance(body, str) else json.dumps(body)
    old = text.replace("lift-staging-boundary-cloudformation", "lift-staging-boundary")
    assert old != text
    cfn.update_stack(
        StackName="lift-staging", TemplateBody=old, Capabilities=["CAPABILITY_NAMED_IAM"]
    )
    cfn.get_waiter("stack_update_complete").wait(
        StackName="lift-staging", WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )


def test_an_environment_of_one_boundary_moves_its_stack_role_to_its_own(
    aws: Any, lift: Lift
) -> None:
    ok(lift, "env", "create", "-e", "staging", "--yes")
    assert boundary_of(ROLE) == STACK_BOUNDARY
    make_it_old()
    assert boundary_of(ROLE) == BOUNDARY

    # The steps, in the order the services' boundary prints them.
    steps = ok(lift, "iam-policy", "-e", "staging", "--for", "boundary")
    assert steps.index("--for stack-boundary") < steps.index("env update -e staging")
    stack_boundary = json.loads(
        lift("iam-policy", "-e", "staging", "--for", "stack-boundary").stdout
    )
    iam = boto3.client("iam", region_name=REGION)
    iam.create_policy(
        PolicyName="lift-staging-boundary-cloudformation",
        PolicyDocument=json.dumps(stack_boundary),
    )
    ok(lift, "env", "update", "-e", "staging", "--yes")
    assert boundary_of(ROLE) == STACK_BOUNDARY

    services = json.loads(lift("iam-policy", "-e", "staging", "--for", "boundary").stdout)
    iam.create_policy(PolicyName="lift-staging-boundary", PolicyDocument=json.dumps(services))
    # Service stacks change through the role as before; their roles carry the other boundary.
    put_config("staging", "payments-api", DATABASE_URL="x", API_TOKEN="y")
    ok(lift, "service", "create", "-e", "staging", "--yes")
    assert boundary_of("lift-staging-payments-api-task") == BOUNDARY
    # Once more: nothing left to move.
    again = ok(lift, "env", "update", "-e", "staging", "--yes")
    assert "no changes to stack lift-staging" in again
