"""What the services' task and execution roles are called, what a task role is given and the
most they may ever do: the role kinds, the pinned-config secret's ARNs, the task role's
statements, the environment's permissions boundary and its CloudFormation role; pure and free
of troposphere, shared by the role templates (service_iam.py) and the IAM policies (iam_*.py).
"""

from __future__ import annotations

from git_lift.servicecfg import ServiceConfig
from git_lift.target import TAG_ENV, Environment, Target, arn, partition
from git_lift.templates import app_permissions

ROLE_KINDS = ("task", "execution")
# The role EventBridge Scheduler runs a service's scheduled jobs with (templates/jobs.py).
JOB_ROLE_KIND = "scheduler"
# The role ECS moves a blue/green, canary or linear deployment's traffic with (strategy.py).
TRAFFIC_ROLE_KIND = "traffic"
ELB = "elasticloadbalancing"


def snapshot_arns(target: Target, region: str, account_id: str) -> list[str]:
    """The pinned-config secret `Target.snapshot_secret()` (ARN suffix: six random characters,
    so `api-??????` never matches `api-gateway`'s) and its parts `.../2`, `.../3`."""
    base = arn("secretsmanager", region, account_id, f"secret:{target.snapshot_secret()}")
    return [f"{base}-??????", f"{base}/*"]


def task_statements(cfg: ServiceConfig, region: str, account_id: str) -> list[dict[str, object]]:
    """git lift's own statements for the running code: ECS Exec sessions and mounting its EFS
    volumes (`git lift iam-policy --for task` prints them beside the service's own)."""
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
        fs_arn = arn("elasticfilesystem", region, account_id, f"file-system/{v.file_system_id}")
        statements.append({"Effect": "Allow", "Action": actions, "Resource": fs_arn})
    return statements


def task_policy(cfg: ServiceConfig, region: str, account_id: str) -> dict[str, object]:
    """The task role's inline statements, git lift's and the service's own, as one document
    (its managed policies are attached beside them)."""
    statements = [*task_statements(cfg, region, account_id), *cfg.permissions]
    return {"Version": "2012-10-17", "Statement": statements}


def boundary_arn(env: Environment, region: str, account_id: str) -> str:
    return arn("iam", region, account_id, f"policy/{env.boundary_policy}")


def service_role_arns(env: Environment, region: str, account_id: str) -> list[str]:
    """Every service's task and execution roles in the environment (patterns)."""
    return [arn("iam", region, account_id, f"role/{env.service_roles(k)}") for k in ROLE_KINDS]


def stack_boundary_arn(env: Environment, region: str, account_id: str) -> str:
    """The CloudFormation role's own boundary (templates/stack_boundary.py)."""
    return arn("iam", region, account_id, f"policy/{env.stack_boundary_policy}")


def stack_policy_arn(env: Environment, region: str, account_id: str) -> str:
    """The CloudFormation role's managed policy (templates/environment_role.py)."""
    return arn("iam", region, account_id, f"policy/{env.cloudformation_policy}")


def stack_role_arn(env: Environment, region: str, account_id: str) -> str:
    """The role CloudFormation changes the environment's service stacks with (stack_role.py)."""
    return arn("iam", region, account_id, f"role/{env.cloudformation_role}")


def boundary_policy(
    env: Environment, region: str, account_id: str, kms_key_arn: str | None
) -> dict[str, object]:
    """The most any role a service stack makes may ever do, whatever policy the role itself
    is given: its environment's parameters, pinned config and logs, and image pulls (what ECS
    does with the execution role); a task role also what its service's own statements grant,
    but never IAM nor git lift's own resources (app_permissions.py); a jobs role running the
    environment's tasks; a traffic role moving its target groups' traffic. The CloudFormation
    role has a boundary of its own (stack_boundary.py): both fit IAM's 6,144 characters."""
    statements = [
        *execution_reads(env, region, account_id),
        *config_key(region, kms_key_arn),
        *app_permissions.boundary_statements(env, region, account_id),
        *job_boundary_statements(env, region, account_id),
        *traffic_boundary_statements(env, region, account_id),
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def job_role_arns(env: Environment, region: str, account_id: str) -> list[str]:
    """Every service's scheduled-jobs role in the environment (a pattern)."""
    return [arn("iam", region, account_id, f"role/{env.service_roles(JOB_ROLE_KIND)}")]


def job_boundary_statements(
    env: Environment, region: str, account_id: str
) -> list[dict[str, object]]:
    """The most a jobs role may do (templates/jobs.py gives each its own service's part):
    run the environment's task definitions in its cluster, passing the services' task and
    execution roles to the tasks, and tag the tasks it starts."""
    only = {"ArnLike": {"aws:PrincipalArn": job_role_arns(env, region, account_id)}}
    cluster = arn("ecs", region, account_id, f"cluster/{env.cluster}")
    return [
        {
            "Sid": "Jobs",
            "Effect": "Allow",
            "Action": "ecs:RunTask",
            "Resource": arn(
                "ecs", region, account_id, f"task-definition/{env.task_family_prefix}*:*"
            ),
            "Condition": {**only, "ArnEquals": {"ecs:cluster": cluster}},
        },
        {
            "Sid": "JobsTagTasks",
            "Effect": "Allow",
            "Action": "ecs:TagResource",
            "Resource": arn("ecs", region, account_id, f"task/{env.cluster}/*"),
            "Condition": {**only, "StringEquals": {"ecs:CreateAction": "RunTask"}},
        },
        {
            "Sid": "JobsPassRoles",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": service_role_arns(env, region, account_id),
            "Condition": {
                **only,
                "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"},
            },
        },
    ]


def traffic_role_arns(env: Environment, region: str, account_id: str) -> list[str]:
    """Every service's traffic role in the environment (a pattern)."""
    return [arn("iam", region, account_id, f"role/{env.service_roles(TRAFFIC_ROLE_KIND)}")]


def traffic_boundary_statements(
    env: Environment, region: str, account_id: str
) -> list[dict[str, object]]:
    """The most a traffic role may do: what AWS's AmazonECSInfrastructureRolePolicyForLoadBalancers,
    which strategy.py attaches to it, grants (AWS Managed Policy Reference: read listeners, rules,
    target groups and their health; register and deregister targets; modify listeners and
    rules), within the account and region, and targets only of the environment's target groups
    (the stack role tags them when it creates them). The Describe actions have no
    resource-level permissions (Service Authorization Reference, Elastic Load Balancing V2)."""
    only = {"ArnLike": {"aws:PrincipalArn": traffic_role_arns(env, region, account_id)}}
    return [
        {
            "Sid": "TrafficReads",
            "Effect": "Allow",
            "Action": [
                f"{ELB}:DescribeListeners",
                f"{ELB}:DescribeRules",
                f"{ELB}:DescribeTargetGroups",
                f"{ELB}:DescribeTargetHealth",
            ],
            "Resource": "*",
            "Condition": only,
        },
        {
            "Sid": "TrafficRules",
            "Effect": "Allow",
            "Action": [f"{ELB}:ModifyListener", f"{ELB}:ModifyRule"],
            "Resource": [
                arn(ELB, region, account_id, "listener/*"),
                arn(ELB, region, account_id, "listener-rule/*"),
            ],
            "Condition": only,
        },
        {
            "Sid": "TrafficTargets",
            "Effect": "Allow",
            "Action": [f"{ELB}:DeregisterTargets", f"{ELB}:RegisterTargets"],
            "Resource": arn(ELB, region, account_id, "targetgroup/*"),
            "Condition": {**only, "StringEquals": {f"aws:ResourceTag/{TAG_ENV}": env.name}},
        },
    ]


def execution_reads(env: Environment, region: str, account_id: str) -> list[dict[str, object]]:
    """What ECS does with the execution role: the environment's parameters, pinned-config
    secrets and log groups, image pulls from the account's registries. One statement (each
    action applies to its own service's ARNs alone): the boundary's budget is 6,144
    characters. (ECS Exec and EFS mounts, which only task roles need, are in their `App`.)"""
    return [
        {
            "Sid": "Execution",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "secretsmanager:GetSecretValue",
                "ssm:GetParameters",
            ],
            "Resource": [
                f"arn:{partition(region)}:ecr:*:{account_id}:repository/*",
                arn("logs", region, account_id, f"log-group:{env.log_group_prefix}*"),
                arn("secretsmanager", region, account_id, f"secret:{env.snapshot_secret_prefix}*"),
                *[
                    arn("ssm", region, account_id, f"parameter{path}/*")
                    for path in env.read_parameter_paths
                ],
            ],
        },
        # AWS allows this on "*" only.
        {
            "Sid": "RegistryLogin",
            "Effect": "Allow",
            "Action": "ecr:GetAuthorizationToken",
            "Resource": "*",
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
