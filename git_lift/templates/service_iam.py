"""IAM roles of a service's tasks, each allowed only what that service needs; pure."""

from __future__ import annotations

import re

from troposphere import AWSObject, GetAtt, iam

from git_lift.servicecfg import ServiceConfig

_ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^@:]+)")


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def parameter_prefix_arn(env: str, service: str, region: str, account_id: str) -> str:
    """The only parameters the task may read: `/<env>/<service>/*`."""
    return f"arn:{partition(region)}:ssm:{region}:{account_id}:parameter/{env}/{service}/"


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
        {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": f"{prefix}*"}
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
    return iam.Role(
        "ExecutionRole",
        AssumeRolePolicyDocument=_assume_role(account_id),
        Policies=[_policy("start-task", statements)],
    )


def task_role(cfg: ServiceConfig, region: str, account_id: str) -> iam.Role:
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
    return iam.Role(
        "TaskRole", AssumeRolePolicyDocument=_assume_role(account_id), Policies=policies
    )
