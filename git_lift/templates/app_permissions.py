"""What a service's own statements (`permissions`) may grant its task role: the environment's
permissions boundary gives task roles every action but those below, on every resource but git
lift's own; pure, free of troposphere.

The boundary is one managed policy per environment, shared by every service's roles and
created once, so it cannot name each service's resources: it grants the task roles the
actions no app needs to escape it with (no IAM, Organizations, account settings, role
assumption or image pushes), and none of git lift's machinery in the environment (its config,
pinned config, records, stacks, cluster, task definitions, logs and template bucket). The role's
own policy, from the service config, narrows that to what the service names. The same lists
refuse a statement at edit time (`refusals`), so a user learns of it before any task runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase
from functools import cache
from typing import Any

from git_lift.target import PREFIX, TABLE, Environment, Target, partition

# Never granted to a task role, whatever the resource: with IAM or a role of the account's
# own a task could leave the boundary; Organizations and account settings are not an app's;
# an image pushed into a repository (each service's is named after it alone) would run as
# that service at its next release.
FORBIDDEN_ACTIONS = (
    "account:*",
    "ecr:*Upload*",
    "ecr:Put*",
    "ecr:Set*",
    "iam:*",
    "organizations:*",
    "sts:AssumeRole*",
)
WHY = "which the environment's permissions boundary never grants a task role"


def task_roles(env: Environment, p: str, account: str) -> str:
    """Every task role of the environment, as `aws:PrincipalArn` names it."""
    return f"arn:{p}:iam::{account}:role/{env.service_roles('task')}"


def lift_resources(env: Environment, p: str, account: str = "*") -> list[tuple[str, str]]:
    """git lift's own resources in the environment, in any region of `account` (shorter: the
    boundary has a 6,144-character budget), each with what it is."""

    def where(service: str, resource: str) -> str:
        if service == "s3":
            return f"arn:{p}:s3:::{resource}"
        return f"arn:{p}:{service}:*:{account}:{resource}"

    return [
        (where("ssm", f"parameter{env.parameter_path}/*"), "the environment's config"),
        (where("secretsmanager", f"secret:{PREFIX}/*"), "pinned config"),
        (where("dynamodb", f"table/{TABLE}*"), "release records and locks"),
        (where("cloudformation", f"stack/{env.stack}*"), "the environment's stacks"),
        (where("ecs", f"*/{env.cluster}*"), "the environment's cluster"),
        (where("ecs", f"task-definition/{env.task_family_prefix}*"), "task definitions"),
        (where("logs", f"log-group:{env.log_group_prefix}*"), "the environment's logs"),
        (where("s3", env.template_bucket(account, "*")), "the template bucket"),
    ]


def boundary_statements(env: Environment, region: str, account: str) -> list[dict[str, Any]]:
    """The task roles' part of the environment's boundary."""
    p = partition(region)
    only = {"ArnLike": {"aws:PrincipalArn": task_roles(env, p, account)}}
    patterns = [pattern for pattern, _ in lift_resources(env, p, account)]
    return [
        {
            "Sid": "App",
            "Effect": "Allow",
            "NotAction": list(FORBIDDEN_ACTIONS),
            "Resource": "*",
            "Condition": only,
        },
        {
            "Sid": "AppNotLift",
            "Effect": "Deny",
            # Every action of each resource's service; "*" would do the same, but makes
            # parliament expand every action of AWS against every resource (minutes).
            "Action": sorted({f"{pattern.split(':')[2]}:*" for pattern in patterns}),
            "Resource": patterns,
            "Condition": only,
        },
    ]


def refusals(
    statements: Sequence[dict[str, Any]],
    managed_policies: Sequence[str],
    target: Target,
    *,
    region: str | None = None,
    path: str = "$",
) -> list[str]:
    """Each Allow that the boundary would deny, with its JSON path; with `region`, also each
    ARN of another partition than the region's."""
    env = target.environment_names
    own = lift_resources(env, "*")  # any partition and account
    if target.overrides.parameter_path:  # an adopted service's config lives elsewhere
        own.append((f"arn:*:ssm:*:*:parameter{target.parameter_path}/*", "the service's config"))
    found: list[str] = []
    for i, statement in enumerate(statements):
        at = f"{path}.permissions[{i}]"
        if region is not None:
            found += _partitions(statement.get("Resource", []), f"{at}.Resource", region)
        if statement.get("Effect") != "Allow":
            continue  # a Deny only narrows
        for where, action in _each(statement.get("Action", []), f"{at}.Action"):
            found += _action_refusal(where, action)
        for where, resource in _each(statement.get("Resource", []), f"{at}.Resource"):
            what = next((w for pattern, w in own if within(resource, pattern)), None)
            if what is not None:
                found.append(f"{where}: {resource} is git lift's own ({what}), {WHY}")
    if region is not None:
        found += _partitions(list(managed_policies), f"{path}.managed_policies", region)
    return found


def _action_refusal(where: str, action: str) -> list[str]:
    name = action.lower()
    for forbidden in FORBIDDEN_ACTIONS:
        if within(name, forbidden.lower()):
            return [f"{where}: {action!r} is in {forbidden}, {WHY}"]
    for forbidden in FORBIDDEN_ACTIONS:
        if overlaps(name, forbidden.lower()):
            return [f"{where}: {action!r} includes {forbidden}, {WHY}: name the actions"]
    return []


def _partitions(value: object, path: str, region: str) -> list[str]:
    wanted = partition(region)
    found = []
    for where, name in _each(value, path):
        p = name.split(":")[1] if name.startswith("arn:") else wanted
        if p != wanted and "*" not in p:
            found.append(f"{where}: {name} is in partition {p}; {region} is in {wanted}")
    return found


def _each(value: object, path: str) -> list[tuple[str, str]]:
    """A string or array of strings, each with its own path."""
    if isinstance(value, str):
        return [(path, value)]
    items = value if isinstance(value, list) else []
    return [(f"{path}[{i}]", v) for i, v in enumerate(items) if isinstance(v, str)]


def within(a: str, b: str) -> bool:
    """Whether every name pattern `a` matches, `b` matches too (`b` has no `?`): `b`'s `*`
    must cover `a`'s wildcards, read as the characters they are."""
    return fnmatchcase(a, b)


def overlaps(a: str, b: str) -> bool:
    """Whether some name matches both patterns (`*` any characters, `?` one)."""

    @cache
    def meet(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] == "*":
            return meet(i + 1, j) or (j < len(b) and meet(i, j + 1))
        if j < len(b) and b[j] == "*":
            return meet(i, j + 1) or (i < len(a) and meet(i + 1, j))
        if i < len(a) and j < len(b) and (a[i] == b[j] or "?" in (a[i], b[j])):
            return meet(i + 1, j + 1)
        return False

    return meet(0, 0)
