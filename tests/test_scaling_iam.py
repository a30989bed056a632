"""The CloudFormation role may manage the alarms of its environment's target-tracking policies
(memory, requests, queue depth add policies, each with its alarms), and no other environment's."""

from __future__ import annotations

import fnmatch
from typing import Any

import pytest

from git_lift.templates import stack_role
from git_lift.templates.stack_boundary import boundary_policy
from tests.support.infra import policy_scope

pytestmark = pytest.mark.fast

SCOPE = policy_scope("staging", ("api",), "eu-west-1", "123456789012")
ROLE = stack_role.RoleScope(SCOPE.environment, "eu-west-1", "123456789012", "vpc-0123", ("alb",))
ALARM = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:TargetTracking-service/{}/{}-AlarmHigh-1"
ACTIONS = ("cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms")


def allows(statements: list[dict[str, Any]], action: str, arn: str) -> bool:
    def matches(patterns: str | list[str], value: str) -> bool:
        items = [patterns] if isinstance(patterns, str) else patterns
        return any(fnmatch.fnmatchcase(value, p) for p in items)

    return any(
        s["Effect"] == "Allow" and matches(s["Action"], action) and matches(s["Resource"], arn)
        for s in statements
    )


@pytest.mark.parametrize("action", ACTIONS)
def test_the_stack_role_manages_its_environments_scaling_alarms_only(action: str) -> None:
    own = ALARM.format(SCOPE.environment.cluster, "staging-api")
    theirs = ALARM.format("lift-production", "production-api")
    for statements in (
        stack_role.statements(ROLE),
        boundary_policy(ROLE.env, ROLE.region, ROLE.account)["Statement"],
    ):
        assert allows(statements, action, own)
    assert not allows(stack_role.statements(ROLE), action, theirs)
