"""git lift's own check of a service template before it goes to CloudFormation: every role it
makes is one of the service's, trusted by the one AWS service that role is for, from the
environment's own account, under the services' boundary; pure.

IAM has no condition key on a trust policy's contents (Service Authorization Reference,
IAM: CreateRole's keys are iam:PermissionsBoundary and the request tags), so the
CloudFormation role cannot be kept from making a role whose trust names someone else: that
is the one part of a role its boundary does not cap. git lift's own templates are checked
here instead, so that no change to them ever ships a role another principal may assume; a
template written by hand and handed to CloudFormation is not (README, "Security model").
"""

from __future__ import annotations

from typing import Any

from troposphere import Template

from git_lift.errors import INTERNAL, LiftError
from git_lift.target import Target
from git_lift.templates.task_policies import (
    JOB_ROLE_KIND,
    ROLE_KINDS,
    TRAFFIC_ROLE_KIND,
    boundary_arn,
)

# The AWS service each of a service's roles is for.
TASKS = "ecs-tasks.amazonaws.com"
TRUSTED = {
    **{kind: TASKS for kind in ROLE_KINDS},
    JOB_ROLE_KIND: "scheduler.amazonaws.com",  # templates/jobs.py
    TRAFFIC_ROLE_KIND: "ecs.amazonaws.com",  # templates/strategy.py
}


class TemplateRefused(LiftError):
    """git lift rendered a template it will not send: a bug, not the user's doing."""

    exit_code = INTERNAL


def check_roles(t: Template, target: Target, region: str, account_id: str) -> None:
    """Refuse the template, before any request, at its first role that is not as above."""
    boundary = boundary_arn(target.environment_names, region, account_id)
    names = {target.role_name(kind): kind for kind in TRUSTED}
    for title, resource in t.resources.items():
        if resource.resource_type != "AWS::IAM::Role":
            continue
        props: dict[str, Any] = resource.to_dict()["Properties"]
        name = props.get("RoleName")
        kind = names.get(name) if isinstance(name, str) else None
        problem = None
        if kind is None:
            problem = f"its role {title} is named {name!r}, none of the service's"
        elif props.get("PermissionsBoundary") != boundary or "Path" in props:
            problem = f"its role {name} is not under the boundary {boundary}, at the root path"
        elif wrong := _trust_problem(props.get("AssumeRolePolicyDocument"), kind, account_id):
            problem = f"its role {name} {wrong}"
        if problem:
            raise TemplateRefused(
                f"the template of {target} was refused before any change: {problem}",
                hint="this is a bug in git lift; report it with the output of "
                f"`git lift service template -e {target.env}`",
            )


def _trust_problem(document: Any, kind: str, account_id: str) -> str | None:
    """What is wrong with a role's trust policy: it must let only `TRUSTED[kind]` assume the
    role, for this account's resources alone (aws:SourceAccount)."""
    wanted = {
        "Effect": "Allow",
        "Principal": {"Service": TRUSTED[kind]},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }
    statements = document.get("Statement") if isinstance(document, dict) else None
    if statements == [wanted]:
        return None
    found = [s.get("Principal") for s in statements or [] if isinstance(s, dict)]
    return f"may be assumed by {found}, not {TRUSTED[kind]} alone from account {account_id}"
