"""The trust policy of an environment's deployer role (`roleArn`): who may assume it, from the
account their own credentials belong to; pure. `git lift iam-policy --for deployer-role`
prints it.

One statement: the source accounts as principals, and conditions that narrow them to the named
principals (`aws:PrincipalArn`), in those accounts (`aws:PrincipalAccount`), with the external
id when the environment sets `externalId`, under git lift's session names (CloudTrail then
shows who acted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from git_lift.errors import UsageError
from git_lift.target import role_session_name

# A role or user, as IAM names it (with a path), or an assumed role's session, as STS names it.
_IAM = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):(role|user)/([\w+=,.@/-]+)$")
# moto's GetCallerIdentity names an IAM user under `sts`; it is the same user.
_STS_USER = re.compile(r"^arn:(aws[a-z-]*):sts::(\d{12}):user/([\w+=,.@/-]+)$")
_SESSION = re.compile(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([\w+=,.@-]+)/[^/]+$")
_ROLE = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/[\w+=,.@/-]+$")


@dataclass(frozen=True)
class Principal:
    partition: str
    account: str
    arns: tuple[str, ...]  # `aws:PrincipalArn` patterns: a role's ARN may carry a path


def principal(arn: str) -> Principal:
    """Who `arn` names: an IAM role or user, or the role behind an assumed role's session
    (whose ARN leaves the role's path out, so any path matches)."""
    found = _IAM.match(arn)
    if found:
        return Principal(found[1], found[2], (arn,))
    found = _STS_USER.match(arn)
    if found:
        return principal(f"arn:{found[1]}:iam::{found[2]}:user/{found[3]}")
    found = _SESSION.match(arn)
    if found:
        role = f"arn:{found[1]}:iam::{found[2]}:role"
        return Principal(found[1], found[2], (f"{role}/{found[3]}", f"{role}/*/{found[3]}"))
    raise UsageError(
        f"{arn!r} is not the ARN of an IAM role or user",
        hint="e.g. --principal arn:aws:iam::123456789012:role/ci-deployer",
    )


def check_role_arn(role_arn: str) -> None:
    if not _ROLE.match(role_arn):
        raise UsageError(
            f"roleArn {role_arn!r} is not the ARN of an IAM role",
            hint="e.g. arn:aws:iam::222222222222:role/lift-deployer",
        )


def trust_policy(principals: list[Principal], external_id: str | None) -> dict[str, Any]:
    accounts = sorted({p.account for p in principals})
    partition = principals[0].partition
    equals: dict[str, Any] = {"aws:PrincipalAccount": accounts}
    if external_id:
        equals["sts:ExternalId"] = external_id
    statement = {
        "Sid": "AssumeDeployerRole",
        "Effect": "Allow",
        "Principal": {"AWS": [f"arn:{partition}:iam::{a}:root" for a in accounts]},
        "Action": ["sts:AssumeRole"],
        "Condition": {
            "StringEquals": equals,
            "ArnLike": {"aws:PrincipalArn": sorted({a for p in principals for a in p.arns})},
            "StringLike": {"sts:RoleSessionName": role_session_name("*")},
        },
    }
    return {"Version": "2012-10-17", "Statement": [statement]}
