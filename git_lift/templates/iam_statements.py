"""Least-privilege IAM policies for what git lift does in one environment: the statements,
as data (pure); `git lift iam-policy` (commands/iam_policy.py) prints them.

Audiences (each one includes the one before):
- ci: ship (push the image to the service's repository, register its task definition family,
  update its ECS service, pass its two roles to ECS tasks, lock and record releases) and
  config checks that read names only. It changes no stack, and reads no secret value except
  where the environment pins config: there the ship copies the service's values
  (`ssm:GetParameters` with decryption on `/<env>/<service>/*`) into its own snapshot secret
  `lift/<env>/<service>` (create, describe, put a version, move labels; never read it back).
- developer: also config edits (values of its services' parameters only), logs, shell, and the
  service stacks (`service create|edit|update|delete`, and what `--purge-*` deletes): change
  sets and deletions that CloudFormation carries out with the environment's role
  `lift-<env>-cloudformation` (templates/stack_role.py), which the developer may pass to
  CloudFormation and to nothing else. It writes no IAM at all: whoever
  could write a service role (its trust above all) could assume it and act as the app. It
  cannot change the environment stack, other environments' releases, locks or service
  documents (DynamoDB leading keys).
- admin: also the environment stack (`env create|update|delete`): network, cluster, load
  balancers, the CloudFormation role (only under the boundary, never its trust), the
  environment records, and creating (never changing) the boundary policy, which `--for
  boundary` prints.
- boundary: the most any role a service stack makes may do: the task, execution, scheduled
  jobs' and traffic roles (task_policies.boundary_policy).
- stack-boundary: the most the CloudFormation role may do (templates/stack_boundary.py), a
  managed policy of its own: both would not fit IAM's 6,144 characters together.

Actions that AWS authorises only on "*" (Describe*, ecr:GetAuthorizationToken...) get "*".

The statements are pure data; every AWS call the commands make must be allowed by them
(tests/test_iam_policy.py), and parliament finds nothing of MEDIUM or above in them beyond a
documented allow-list (tests/test_iam_parliament.py).

The stack statements (developer and admin) are in templates/iam_stacks.py; every name in an
ARN comes from the Scope's Targets and their Environment (git_lift/target.py).
"""

from __future__ import annotations

from typing import Any

from git_lift.setting_table import WEBHOOK
from git_lift.target import ENVIRONMENT_RECORDS, TABLE
from git_lift.templates.iam_scope import Scope, Statement, allow, leading_keys
from git_lift.templates.iam_stacks import environment_stack, service_stacks
from git_lift.templates.stack_boundary import boundary_policy as stack_boundary_policy
from git_lift.templates.task_policies import JOB_ROLE_KIND, boundary_policy, snapshot_arns

STACK_BOUNDARY = "stack-boundary"


def config_names(s: Scope) -> list[Statement]:
    # DescribeParameters has no resource-level permissions; it returns names, never values.
    return [allow("ConfigNames", ["ssm:DescribeParameters"], "*")]


def config_values(s: Scope) -> list[Statement]:
    actions = [
        "ssm:DeleteParameter",
        "ssm:DeleteParameters",
        "ssm:GetParameter",
        "ssm:GetParameterHistory",
        "ssm:GetParameters",
        "ssm:GetParametersByPath",
        "ssm:PutParameter",
    ]
    statements = [allow("ConfigValues", actions, s.parameters() + s.parameters("/*"))]
    if s.kms_key_arn:
        statements.append(
            allow(
                "ConfigKey",
                ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                s.kms_key_arn,
                Condition={"StringEquals": {"kms:ViaService": f"ssm.{s.region}.amazonaws.com"}},
            )
        )
        # `lift.kmsKey` may name an alias: git lift looks the key's ARN up for the task roles.
        statements.append(allow("ConfigKeyLookup", ["kms:DescribeKey"], s.kms_key_arn))
    return statements


SNAPSHOT_WRITES = [
    "secretsmanager:CreateSecret",
    "secretsmanager:DescribeSecret",
    "secretsmanager:PutSecretValue",
    "secretsmanager:UpdateSecretVersionStage",
]


def snapshot_secrets(s: Scope) -> list[str]:
    """Each service's snapshot secret (an ARN ends in six random characters) and its parts."""
    return [arn for t in s.targets for arn in snapshot_arns(t, s.region, s.account)]


def pinned_config(s: Scope, audience: str) -> list[Statement]:
    """Pinned config: the ship decrypts the keys it snapshots and writes and labels its own
    secret (creating it on the first release); developers also read snapshots back
    (`config restore --release N`). CI gets none of it where config is not pinned."""
    if audience == "ci" and not s.pins_config:
        return []
    reads = ["secretsmanager:GetSecretValue"] if audience != "ci" else []
    statements = [allow("ConfigSnapshots", SNAPSHOT_WRITES + reads, snapshot_secrets(s))]
    if audience == "ci":
        statements += ci_config_values(s, "PinnedConfig")
    return statements


def ci_config_values(s: Scope, sid: str) -> list[Statement]:
    """CI decrypting its services' values (GetParameters): pinned config's snapshot, and the
    config lock's check."""
    values = [allow(f"{sid}Values", ["ssm:GetParameters"], s.parameters("/*"))]
    if not s.kms_key_arn:
        return values
    via = {"StringEquals": {"kms:ViaService": f"ssm.{s.region}.amazonaws.com"}}
    return [*values, allow(f"{sid}Key", ["kms:Decrypt"], s.kms_key_arn, Condition=via)]


def locked_config(s: Scope, audience: str) -> list[Statement]:
    """configLock (issue 24): a release decrypts its service's values to compare them with the
    lock's hashes (flows/config_lock.py). Developers have it already, pinned CI too."""
    if audience != "ci" or not s.locks_config or s.pins_config:
        return []
    return ci_config_values(s, "LockedConfig")


def store(s: Scope, audience: str) -> list[Statement]:
    """The table, item by item: each environment and service has its partitions
    (`Target.release_key` holds the counter, the lock and the releases, `Target.service_key`
    the service documents, `Target.lease_key` the config writers' lease); environment records
    share one."""
    read = ["dynamodb:GetItem", "dynamodb:Query"]
    write = ["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    table = [s.arn("dynamodb", f"table/{TABLE}")]
    releases = [t.release_key for t in s.targets]
    documents = [t.service_key for t in s.targets] + [t.lease_key for t in s.targets]
    own = releases + documents if audience != "ci" else releases
    statements = [
        allow("ReleaseTable", ["dynamodb:CreateTable", "dynamodb:DescribeTable"], table),
        allow("Releases", read + write, table, Condition=leading_keys(*own)),
        allow(
            "ReadRecords",
            # The pre-push hook reads the saved configs' secret_refs of all of an environment's
            # services at once (aws/store.py saved_secret_refs): dynamodb:BatchGetItem is its
            # own action, and LeadingKeys holds for each key of the batch (Service
            # Authorization Reference, DynamoDB; "Using IAM policy conditions for
            # fine-grained access control", DynamoDB developer guide).
            [*read, "dynamodb:BatchGetItem"],
            table,
            Condition=leading_keys(ENVIRONMENT_RECORDS, *releases, *documents),
        ),
    ]
    if audience == "admin":
        # The records' partition key is the same for every environment (the name is the
        # sort key), so this cannot be narrowed to one environment.
        statements.append(
            allow("EnvironmentRecords", write, table, Condition=leading_keys(ENVIRONMENT_RECORDS))
        )
    return statements


def ship(s: Scope) -> list[Statement]:
    repository = [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:CompleteLayerUpload",
        "ecr:CreateRepository",
        "ecr:DescribeImages",
        "ecr:DescribeRepositories",
        "ecr:GetDownloadUrlForLayer",
        "ecr:InitiateLayerUpload",
        "ecr:PutImage",
        "ecr:UploadLayerPart",
    ]
    return [
        allow("RegistryLogin", ["ecr:GetAuthorizationToken"], "*"),
        allow("Registry", repository, s.each("ecr", lambda t: f"repository/{t.ecr_repository}")),
        allow("Deploy", ["ecs:DescribeServices", "ecs:UpdateService"], s.ecs_services),
        # Where a traffic shift is (ship) and its rollback (cancel): issue 21.
        allow(
            "TrafficShifts",
            [
                "ecs:DescribeServiceDeployments",
                "ecs:ListServiceDeployments",
                "ecs:StopServiceDeployment",
            ],
            s.ecs_services + s.service_deployments,
        ),
        allow("RegisterTaskDefinitions", ["ecs:RegisterTaskDefinition"], s.task_definitions),
        # These have no resource-level permissions.
        allow(
            "TaskDefinitions",
            ["ecs:DeregisterTaskDefinition", "ecs:DescribeTaskDefinition"],
            "*",
        ),
        allow(
            "ListTasks",
            ["ecs:ListTasks"],
            "*",
            Condition={"ArnEquals": {"ecs:cluster": s.cluster}},
        ),
        allow("DescribeTasks", ["ecs:DescribeTasks"], [s.tasks]),
        allow(
            "PassTaskRoles",
            ["iam:PassRole"],
            s.roles,
            Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        ),
        *job_schedules(s),
    ]


def job_schedules(s: Scope) -> list[Statement]:
    """A release points the service's job schedules at its task definition
    (flows/job_schedules.py): UpdateSchedule passes the schedule's jobs role to Scheduler.
    ListSchedules has no resource-level permissions (Service Authorization Reference,
    Amazon EventBridge Scheduler)."""
    return [
        allow("ListSchedules", ["scheduler:ListSchedules"], "*"),
        allow(
            "Schedules",
            ["scheduler:GetSchedule", "scheduler:UpdateSchedule"],
            s.each("scheduler", lambda t: f"schedule/{t.schedule_group}/*"),
        ),
        allow(
            "PassJobRoles",
            ["iam:PassRole"],
            s.each("iam", lambda t: f"role/{t.role_name(JOB_ROLE_KIND)}"),
            Condition={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
        ),
    ]


def one_off_tasks(s: Scope) -> list[Statement]:
    """`git lift run` and a release's release command: a task of the service's own task
    definitions in the environment's cluster (RunTask authorises on the task definition, with
    the cluster as its `ecs:cluster` condition key; its roles are passed as PassTaskRoles
    allows), stopped on Ctrl-C, its log stream read (AWS's Service Authorization Reference
    for Amazon ECS and CloudWatch Logs)."""
    return [
        allow(
            "RunTasks",
            ["ecs:RunTask"],
            s.task_definitions,
            Condition={"ArnEquals": {"ecs:cluster": s.cluster}},
        ),
        allow("StopTasks", ["ecs:StopTask"], [s.tasks]),
        allow("TaskLogs", ["logs:GetLogEvents"], s.log_groups(":*")),
    ]


def observe(s: Scope) -> list[Statement]:
    logs = ["logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents"]
    return [
        allow("Logs", logs, s.log_groups(":*")),
        allow("LiveTail", ["logs:StartLiveTail"], s.log_groups()),
        allow("Shell", ["ecs:ExecuteCommand"], [s.cluster, s.tasks]),
    ]


def teardown(s: Scope) -> list[Statement]:
    """`service delete --purge-config --purge-images`: the snapshot secrets go at once (no
    recovery window), the images by digest. The stack itself goes through ServiceStacks."""
    return [
        allow("PurgeSnapshots", ["secretsmanager:DeleteSecret"], snapshot_secrets(s)),
        allow(
            "PurgeImages",
            ["ecr:BatchDeleteImage", "ecr:ListImages"],
            s.each("ecr", lambda t: f"repository/{t.ecr_repository}"),
        ),
    ]


def preview_base(s: Scope) -> list[Statement]:
    """A preview push reads its base's service config (DynamoDB) and checks that its keys
    exist there (GetParameters without decryption: names and versions); it writes nothing
    there. Its tasks read the base's values through their execution role."""
    bases = [t.base for t in s.targets if t.base is not None]
    return [
        # Which previews exist: their stacks' names. ListStacks has no resource-level
        # permissions (Service Authorization Reference, AWS CloudFormation).
        allow("PreviewStacks", ["cloudformation:ListStacks"], "*"),
        allow(
            "BaseServiceConfig",
            ["dynamodb:GetItem", "dynamodb:Query"],
            [s.arn("dynamodb", f"table/{TABLE}")],
            Condition=leading_keys(*[b.service_key for b in bases]),
        ),
        allow(
            "BaseConfigNames",
            ["ssm:GetParameters"],
            [s.arn("ssm", f"parameter{b.parameter_path}/*") for b in bases],
        ),
    ]


def no_role_sessions(s: Scope) -> list[Statement]:
    """Nobody acts as the environment's roles: a developer may hand CloudFormation a template
    of their own that gives their service's roles a trust naming them; an explicit deny in
    their own policy wins over that trust (a principal of another account it cannot stop)."""
    return [
        {
            "Sid": "NoRoleSessions",
            "Effect": "Deny",
            "Action": ["sts:AssumeRole"],
            "Resource": sorted([*s.every_service_role, s.stack_role]),
        }
    ]


def secret_dates(s: Scope) -> list[Statement]:
    """Rotation (flows/rotation.py): `status`, the pre-push hook and `release-config` describe
    the secrets env.sample names by ARN, those alone. DescribeSecret returns metadata, never
    the value (Secrets Manager API reference, DescribeSecret)."""
    if not s.secret_refs:
        return []
    return [allow("ConfigSecretDates", ["secretsmanager:DescribeSecret"], sorted(s.secret_refs))]


def notices(s: Scope, audience: str) -> list[Statement]:
    """Release notices (flows/notices.py, issue 24): where the environment's `notify` names
    the webhook, every release reads its URL (one SecureString,
    `Environment.notify_webhook_parameter`: the one secret CI reads where config is not
    pinned); it publishes to the SNS topics `notify` names (Publish authorises on the topic:
    Service Authorization Reference, Amazon SNS). Admins keep the URL (`git lift notify
    set-webhook`)."""
    webhook = s.arn("ssm", f"parameter{s.environment.notify_webhook_parameter}")
    channels = {c for t in s.targets for c in t.environment.notify}
    reads = WEBHOOK in channels
    actions = (["ssm:GetParameter"] if reads else []) + (
        ["ssm:PutParameter"] if audience == "admin" else []
    )
    found = [allow("NoticeWebhook", actions, webhook)] if actions else []
    if reads and s.kms_key_arn and audience == "ci":  # developers decrypt with ConfigKey
        via = {"StringEquals": {"kms:ViaService": f"ssm.{s.region}.amazonaws.com"}}
        found.append(allow("NoticeWebhookKey", ["kms:Decrypt"], s.kms_key_arn, Condition=via))
    topics = sorted(c for c in channels if c != WEBHOOK)
    if topics:
        found.append(allow("NoticeTopics", ["sns:Publish"], topics))
    return found


def statements(audience: str, s: Scope) -> list[Statement]:
    found = config_names(s) + ship(s) + one_off_tasks(s) + store(s, audience)
    found += secret_dates(s)
    found += pinned_config(s, audience) + notices(s, audience)
    found += locked_config(s, audience)
    found += no_role_sessions(s)
    if audience in ("developer", "admin", "preview"):
        found += config_values(s) + observe(s) + service_stacks(s)
    if audience in ("developer", "admin"):
        found += teardown(s)
    if audience == "preview":
        found += preview_base(s)
    if audience == "admin":
        found += environment_stack(s)
    return found


def policy(audience: str, s: Scope) -> dict[str, Any]:
    if audience == "boundary":
        return boundary_policy(s.environment, s.region, s.account, s.kms_key_arn)
    if audience == STACK_BOUNDARY:
        return stack_boundary_policy(s.environment, s.region, s.account)
    return {"Version": "2012-10-17", "Statement": statements(audience, s)}
