"""IAM roles of a service's tasks, each allowed only what that service needs; pure.

The roles have fixed names (`lift-<env>-<service>-task`, `-execution`: names are validated so
that these fit IAM's 64 characters), so that a policy naming one service's roles never matches
another's, and they carry the environment's permissions boundary `lift-<env>-boundary`: the
developer policy may author roles only under that boundary (see commands/iam_policy.py).
"""

from __future__ import annotations

import re

from troposphere import AWSObject, GetAtt, Tags, iam

from git_lift.servicecfg import ServiceConfig

_ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^@:]+)")


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def parameter_prefix_arn(env: str, service: str, region: str, account_id: str) -> str:
    """The only parameters the task may read: `/<env>/<service>/*`."""
    return f"arn:{partition(region)}:ssm:{region}:{account_id}:parameter/{env}/{service}/"


ROLE_KINDS = ("task", "execution")
TAG_ENV = "lift:environment"
TAG_SERVICE = "lift:service"


def role_name(env: str, service: str, kind: str) -> str:
    return f"lift-{env}-{service}-{kind}"


def snapshot_arns(env: str, service: str, region: str, account_id: str) -> list[str]:
    """The pinned-config secret `lift/<env>/<service>` (ARN suffix: six random characters,
    so `api-??????` never matches `api-gateway`'s) and its parts `.../2`, `.../3`."""
    base = (
        f"arn:{partition(region)}:secretsmanager:{region}:{account_id}:secret:lift/{env}/{service}"
    )
    return [f"{base}-??????", f"{base}/*"]


def boundary_name(env: str) -> str:
    return f"lift-{env}-boundary"


def boundary_arn(env: str, region: str, account_id: str) -> str:
    return f"arn:{partition(region)}:iam::{account_id}:policy/{boundary_name(env)}"


def boundary_policy(
    env: str, region: str, account_id: str, kms_key_arn: str | None
) -> dict[str, object]:
    """The most any task or execution role of the environment may ever do, whatever inline
    policy the role itself is given: its environment's parameters and logs, image pulls, ECS
    Exec and EFS mounts; never IAM, never another environment."""
    p = partition(region)
    statements: list[dict[str, object]] = [
        {
            "Sid": "Parameters",
            "Effect": "Allow",
            "Action": "ssm:GetParameters",
            "Resource": f"arn:{p}:ssm:{region}:{account_id}:parameter/{env}/*",
        },
        {
            "Sid": "PinnedConfig",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": f"arn:{p}:secretsmanager:{region}:{account_id}:secret:lift/{env}/*",
        },
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:{p}:logs:{region}:{account_id}:log-group:/lift/{env}/*",
        },
        {
            "Sid": "PullImages",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ],
            "Resource": f"arn:{p}:ecr:*:{account_id}:repository/*",
        },
        # AWS allows these on "*" only.
        {
            "Sid": "RegistryLogin",
            "Effect": "Allow",
            "Action": "ecr:GetAuthorizationToken",
            "Resource": "*",
        },
        {
            "Sid": "Shell",
            "Effect": "Allow",
            "Action": [
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
            ],
            "Resource": "*",
        },
        {
            "Sid": "Volumes",
            "Effect": "Allow",
            "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            "Resource": f"arn:{p}:elasticfilesystem:{region}:{account_id}:file-system/*",
        },
    ]
    if kms_key_arn:
        statements.append(
            {
                "Sid": "ConfigKey",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": kms_key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"ssm.{region}.amazonaws.com"}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def _role(
    kind: str, env: str, service: str, region: str, account_id: str, policies: list[iam.Policy]
) -> iam.Role:
    return iam.Role(
        f"{kind.capitalize()}Role",
        RoleName=role_name(env, service, kind),
        AssumeRolePolicyDocument=_assume_role(account_id),
        PermissionsBoundary=boundary_arn(env, region, account_id),
        Policies=policies,
        Tags=Tags({TAG_ENV: env, TAG_SERVICE: service}),
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
    env: str,
    service: str,
    image: str,
    log_group: AWSObject | None,
    region: str,
    account_id: str,
    kms_key_arn: str | None,
) -> iam.Role:
    """What ECS needs to start the task: pull its image, read its parameters, write its logs."""
    prefix = parameter_prefix_arn(env, service, region, account_id)
    statements: list[dict[str, object]] = [
        {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": f"{prefix}*"},
        # A release's pinned config (`pinConfig`): the secret lift/<env>/<service> and its
        # parts; AWS appends six random characters to a secret's name in its ARN.
        {
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": snapshot_arns(env, service, region, account_id),
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
        repo_arn = (
            f"arn:{partition(repo_region)}:ecr:{repo_region}:{repo_account}:repository/{repo}"
        )
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
    return _role("execution", env, service, region, account_id, [_policy("start-task", statements)])


def task_role(env: str, service: str, cfg: ServiceConfig, region: str, account_id: str) -> iam.Role:
    """What the running code may do: ECS Exec sessions and mounting its EFS volumes."""
    statements: list[dict[str, object]] = []
    if cfg.ecs_exec:
        statements.append(
            {
                "Effect": "Allow",
                "Resource": "*",
                "Action": [
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                ],
            }
        )
    for v in cfg.volumes:
        actions = ["elasticfilesystem:ClientMount"]
        actions += [] if v.read_only else ["elasticfilesystem:ClientWrite"]
        fs_arn = (
            f"arn:{partition(region)}:elasticfilesystem:{region}:{account_id}"
            f":file-system/{v.file_system_id}"
        )
        statements.append({"Effect": "Allow", "Action": actions, "Resource": fs_arn})
    policies = [_policy("task", statements)] if statements else []
    return _role("task", env, service, region, account_id, policies)
