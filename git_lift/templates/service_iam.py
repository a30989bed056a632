"""IAM roles of a service's tasks, each allowed only what that service needs; pure.

The roles have fixed names (`Target.role_name`: names are validated so that these fit IAM's 64
characters), so that a policy naming one service's roles never matches another's, and they
carry the environment's permissions boundary (`Environment.boundary_policy`): the developer
policy may author roles only under that boundary (see templates/task_policies.py).
"""

from __future__ import annotations

import re

from troposphere import AWSObject, GetAtt, Tags, iam

from git_lift.servicecfg import ServiceConfig, ServiceConfigError
from git_lift.target import Target, arn
from git_lift.templates.app_permissions import refusals
from git_lift.templates.task_policies import boundary_arn, snapshot_arns, task_statements

_ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^@:]+)")


def _role(
    kind: str,
    target: Target,
    region: str,
    account_id: str,
    policies: list[iam.Policy],
    managed_policies: tuple[str, ...] = (),
) -> iam.Role:
    extra = {"ManagedPolicyArns": list(managed_policies)} if managed_policies else {}
    return iam.Role(
        f"{kind.capitalize()}Role",
        RoleName=target.role_name(kind),
        AssumeRolePolicyDocument=_assume_role(account_id),
        PermissionsBoundary=boundary_arn(target.environment_names, region, account_id),
        Policies=policies,
        Tags=Tags(target.tags),
        **extra,
    )


def _assume_role(account_id: str) -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
                # Only this account's tasks may assume it (confused-deputy guard).
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ],
    }


def _policy(name: str, statements: list[dict[str, object]]) -> iam.Policy:
    return iam.Policy(
        PolicyName=name, PolicyDocument={"Version": "2012-10-17", "Statement": statements}
    )


def execution_role(
    target: Target,
    image: str,
    log_group: AWSObject | None,
    region: str,
    account_id: str,
    kms_key_arn: str | None,
) -> iam.Role:
    """What ECS needs to start the task: pull its image, read its parameters, write its logs."""
    prefixes = [f"{prefix}*" for prefix in target.config_prefix_arns(region, account_id)]
    statements: list[dict[str, object]] = [
        {
            "Effect": "Allow",
            "Action": "ssm:GetParameters",
            "Resource": prefixes[0] if len(prefixes) == 1 else prefixes,
        },
        # A release's pinned config (`pinConfig`): the service's snapshot secret and its
        # parts; AWS appends six random characters to a secret's name in its ARN.
        {
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": snapshot_arns(target, region, account_id),
        },
    ]
    if kms_key_arn:
        statements.append(
            {
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": kms_key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"ssm.{region}.amazonaws.com"}},
            }
        )
    ecr = _ECR_IMAGE.match(image)
    if ecr:
        repo_account, repo_region, repo = ecr.groups()
        repo_arn = arn("ecr", repo_region, repo_account, f"repository/{repo}")
        statements += [
            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {
                "Effect": "Allow",
                "Resource": repo_arn,
                "Action": [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
            },
        ]
    if log_group is not None:
        statements.append(
            {
                "Effect": "Allow",
                "Resource": GetAtt(log_group, "Arn"),
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            }
        )
    return _role("execution", target, region, account_id, [_policy("start-task", statements)])


def task_role(target: Target, cfg: ServiceConfig, region: str, account_id: str) -> iam.Role:
    """What the running code may do: git lift's statements (policy `task`), the service's own
    (`permissions`, policy `app`) and its managed policies, all under the boundary."""
    refused = refusals(cfg.permissions, cfg.managed_policies, target, region=region)
    if refused:
        raise ServiceConfigError(refused)
    policies = []
    if statements := task_statements(cfg, region, account_id):
        policies.append(_policy("task", statements))
    if cfg.permissions:
        policies.append(_policy("app", list(cfg.permissions)))
    return _role("task", target, region, account_id, policies, cfg.managed_policies)
