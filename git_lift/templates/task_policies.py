"""What the services' task and execution roles are called and the most they may ever do: the
role kinds, the pinned-config secret's ARNs, the environment's permissions boundary and its
CloudFormation role; pure
and free of troposphere, shared by the role templates (service_iam.py) and the IAM policies
(iam_*.py).
"""

from __future__ import annotations

from git_lift.target import Environment, Target, arn, partition

ROLE_KINDS = ("task", "execution")


def snapshot_arns(target: Target, region: str, account_id: str) -> list[str]:
    """The pinned-config secret `Target.snapshot_secret()` (ARN suffix: six random characters,
    so `api-??????` never matches `api-gateway`'s) and its parts `.../2`, `.../3`."""
    base = arn("secretsmanager", region, account_id, f"secret:{target.snapshot_secret()}")
    return [f"{base}-??????", f"{base}/*"]


def boundary_arn(env: Environment, region: str, account_id: str) -> str:
    return arn("iam", region, account_id, f"policy/{env.boundary_policy}")


def service_role_arns(env: Environment, region: str, account_id: str) -> list[str]:
    """Every service's task and execution roles in the environment (patterns)."""
    return [arn("iam", region, account_id, f"role/{env.service_roles(k)}") for k in ROLE_KINDS]


def stack_role_arn(env: Environment, region: str, account_id: str) -> str:
    """The role CloudFormation changes the environment's service stacks with (stack_role.py)."""
    return arn("iam", region, account_id, f"role/{env.cloudformation_role}")


def boundary_policy(
    env: Environment, region: str, account_id: str, kms_key_arn: str | None
) -> dict[str, object]:
    """The most any task or execution role of the environment may ever do, whatever inline
    policy the role itself is given: its environment's parameters and logs, image pulls, ECS
    Exec and EFS mounts; never IAM, never another environment. (The boundary document also
    holds the CloudFormation role's part, granted to that role alone: stack_role.py.)"""
    statements = [
        *environment_reads(env, region, account_id),
        *task_runtime(region, account_id),
        *config_key(region, kms_key_arn),
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def environment_reads(env: Environment, region: str, account_id: str) -> list[dict[str, object]]:
    """The environment's own parameters, pinned-config secrets and log groups."""
    return [
        {
            "Sid": "Parameters",
            "Effect": "Allow",
            "Action": "ssm:GetParameters",
            "Resource": arn("ssm", region, account_id, f"parameter{env.parameter_path}/*"),
        },
        {
            "Sid": "PinnedConfig",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": arn(
                "secretsmanager", region, account_id, f"secret:{env.snapshot_secret_prefix}*"
            ),
        },
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": arn("logs", region, account_id, f"log-group:{env.log_group_prefix}*"),
        },
    ]


def task_runtime(region: str, account_id: str) -> list[dict[str, object]]:
    """What a running task needs beyond its environment: image pulls, ECS Exec, EFS mounts."""
    return [
        {
            "Sid": "PullImages",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ],
            "Resource": f"arn:{partition(region)}:ecr:*:{account_id}:repository/*",
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
            "Resource": arn("elasticfilesystem", region, account_id, "file-system/*"),
        },
    ]


def config_key(region: str, kms_key_arn: str | None) -> list[dict[str, object]]:
    """Decrypting the parameters with the environment's own KMS key, through SSM only; none
    for SSM's AWS managed key."""
    if not kms_key_arn:
        return []
    return [
        {
            "Sid": "ConfigKey",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": kms_key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"ssm.{region}.amazonaws.com"}},
        }
    ]
