"""git lift refuses to send a service template whose roles another principal could assume
(issue 21's CloudFormation-role hole: IAM has no condition key on a trust policy, so git lift
checks its own templates): each role one of the service's, trusted by the one AWS service it
is for, from the account's own resources, under the services' boundary."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from troposphere import Template

from git_lift.errors import INTERNAL
from git_lift.templates.service import service_template
from git_lift.templates.trust_check import TemplateRefused, check_roles
from tests.support.infra import target
from tests.support.templates import ACCOUNT, IMAGE, JOBS, REGION, SERVICES

pytestmark = pytest.mark.fast

T = target("staging", "api")


def rendered() -> Template:
    """A service of every role kind: task, execution, scheduled jobs', traffic."""
    cfg = dataclasses.replace(SERVICES["canary"], jobs=JOBS)
    return service_template(
        T, cfg, image=IMAGE, secrets={}, region=REGION, account_id=ACCOUNT, kms_key_arn=None
    )


def trust(role: Any) -> dict[str, Any]:
    document: dict[str, Any] = role.AssumeRolePolicyDocument
    return document["Statement"][0]


def test_every_role_kind_of_a_rendered_service_passes() -> None:
    t = rendered()
    roles = {r.title for r in t.resources.values() if r.resource_type == "AWS::IAM::Role"}
    assert roles == {"TaskRole", "ExecutionRole", "JobsRole", "TrafficRole"}
    check_roles(t, T, REGION, ACCOUNT)


def foreign_account(role: Any) -> None:
    trust(role)["Principal"] = {"AWS": "arn:aws:iam::999999999999:root"}


def another_service(role: Any) -> None:
    trust(role)["Principal"] = {"Service": "lambda.amazonaws.com"}


def a_second_principal(role: Any) -> None:
    trust(role)["Principal"] = {"Service": ["ecs-tasks.amazonaws.com", "ec2.amazonaws.com"]}


def a_second_statement(role: Any) -> None:
    extra = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
    role.AssumeRolePolicyDocument["Statement"].append(extra)


def no_source_account(role: Any) -> None:
    del trust(role)["Condition"]


def other_boundary(role: Any) -> None:
    role.PermissionsBoundary = "arn:aws:iam::aws:policy/AdministratorAccess"


def a_path(role: Any) -> None:
    role.Path = "/lift-staging-x/"


def another_name(role: Any) -> None:
    role.RoleName = "lift-staging-billing-task"


@pytest.mark.parametrize(
    "change",
    [
        foreign_account,
        another_service,
        a_second_principal,
        a_second_statement,
        no_source_account,
        other_boundary,
        a_path,
        another_name,
    ],
)
@pytest.mark.parametrize("title", ["TaskRole", "ExecutionRole", "JobsRole", "TrafficRole"])
def test_a_role_another_principal_could_assume_is_refused(
    change: Callable[[Any], None], title: str
) -> None:
    t = rendered()
    change(t.resources[title])
    with pytest.raises(TemplateRefused) as refused:
        check_roles(t, T, REGION, ACCOUNT)
    assert refused.value.exit_code == INTERNAL
    assert "api in staging was refused before any change" in refused.value.message
    assert refused.value.hint and "git lift service template -e staging" in refused.value.hint


def test_the_jobs_role_is_not_trusted_by_ecs_tasks() -> None:
    """Each kind by its own service: a jobs role ECS tasks could assume is refused too."""
    t = rendered()
    trust(t.resources["JobsRole"])["Principal"] = {"Service": "ecs-tasks.amazonaws.com"}
    with pytest.raises(TemplateRefused, match=r"scheduler\.amazonaws\.com alone"):
        check_roles(t, T, REGION, ACCOUNT)
