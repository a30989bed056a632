"""`git lift iam-policy`: least-privilege IAM policies for what git lift does in one environment.

Audiences (each one includes the one before):
- ci: ship (push the image to the service's repository, register its task definition family,
  update its ECS service, pass its two roles to ECS tasks, lock and record releases) and
  config checks that read names only. It changes no stack, and reads no secret value except
  where the environment pins config: there the ship copies the service's values
  (`ssm:GetParameters` with decryption on `/<env>/<service>/*`) into its own snapshot secret
  `lift/<env>/<service>` (create, describe, put a version, move labels; never read it back).
- developer: also config edits (values of its services' parameters only), logs, shell, and the
  service stacks (`service create|edit|update`) with what CloudFormation does on the caller's
  behalf for them. Roles: only the service's two roles (`lift-<env>-<service>-task|execution`),
  only with the permissions boundary `lift-<env>-boundary` and tagged with their environment and
  service; the boundary cannot be removed or swapped. Security groups only in the environment's
  VPC, listener rules only on its listeners, target groups and scalable targets only when tagged
  `lift:environment=<env>`. It cannot change the environment stack, other environments'
  releases, locks or service documents (DynamoDB leading keys), nor create any other role.
- admin: also the environment stack (`env create|update`): network, cluster, load balancers,
  the environment records, and creating (never changing) the boundary policy, which
  `--for boundary` prints.

Actions that AWS authorises only on "*" (Describe*, ecr:GetAuthorizationToken...) get "*".
The security-group and listener statements need the environment's VPC and listeners, read from
its record: printed before `env create`, the policy leaves them out and says so.

The statements are pure data; every AWS call the commands make must be allowed by them
(tests/test_iam_policy.py), and parliament finds nothing of MEDIUM or above in them beyond a
documented allow-list (tests/test_iam_parliament.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from git_lift import ui
from git_lift.commands.context import Context
from git_lift.templates.service_iam import (
    ROLE_KINDS,
    TAG_ENV,
    TAG_SERVICE,
    boundary_arn,
    boundary_name,
    boundary_policy,
    partition,
    role_name,
)

AUDIENCES = ("developer", "ci", "admin")
TABLE = "git-lift"
ELB = "elasticloadbalancing"

Statement = dict[str, Any]


@dataclass(frozen=True)
class Network:
    """What the environment stack made that service stacks attach to (from its record)."""

    vpc_id: str
    listeners: tuple[str, ...]  # the listeners services add rules to


@dataclass(frozen=True)
class Scope:
    env: str
    services: tuple[str, ...]
    region: str
    account: str
    kms_key_arn: str | None = None  # None: the AWS managed key of SSM, which needs no grant
    pins_config: bool = False  # the environment pins config (pinConfig): ship copies values
    network: Network | None = None  # None: the environment does not exist yet

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        where = self.region if region else ""
        return f"arn:{partition(self.region)}:{service}:{where}:{self.account}:{resource}"

    def each(self, service: str, template: str, *, region: bool = True) -> list[str]:
        """One ARN per service of the repo: `template` uses {env} and {svc}."""
        return [
            self.arn(service, template.format(env=self.env, svc=s), region=region)
            for s in self.services
        ]

    @property
    def cluster(self) -> str:
        return self.arn("ecs", f"cluster/lift-{self.env}")

    @property
    def roles(self) -> list[str]:
        return [
            self.arn("iam", f"role/{role_name(self.env, s, kind)}", region=False)
            for s in self.services
            for kind in ROLE_KINDS
        ]

    @property
    def boundary(self) -> str:
        return boundary_arn(self.env, self.region, self.account)

    @property
    def env_tag(self) -> dict[str, str]:
        return {f"aws:ResourceTag/{TAG_ENV}": self.env}

    @property
    def env_request_tag(self) -> dict[str, str]:
        return {f"aws:RequestTag/{TAG_ENV}": self.env}

    @property
    def claim(self) -> dict[str, Any]:
        """Tag a resource with this environment only while it has no environment tag: a
        request tag alone would let staging re-tag production's resource and then own it."""
        return {
            "Null": {f"aws:ResourceTag/{TAG_ENV}": "true"},
            "StringEquals": self.env_request_tag,
        }


def allow(sid: str, actions: list[str], resources: list[str] | str, **extra: Any) -> Statement:
    statement: Statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions)}
    listed = [resources] if isinstance(resources, str) else resources
    statement["Resource"] = "*" if listed == ["*"] else sorted(set(listed))
    statement.update(extra)
    return statement


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
    resources = s.each("ssm", "parameter/{env}/{svc}") + s.each("ssm", "parameter/{env}/{svc}/*")
    statements = [allow("ConfigValues", actions, resources)]
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
    """`lift/<env>/<svc>` (ARNs end in -XXXXXX) and the parts of a split snapshot."""
    return s.each("secretsmanager", "secret:lift/{env}/{svc}-??????") + s.each(
        "secretsmanager", "secret:lift/{env}/{svc}/*"
    )


def pinned_config(s: Scope, audience: str) -> list[Statement]:
    """Pinned config: the ship decrypts the keys it snapshots and writes and labels its own
    secret (creating it on the first release); developers also read snapshots back
    (`config restore --release N`). CI gets none of it where config is not pinned."""
    if audience == "ci" and not s.pins_config:
        return []
    reads = ["secretsmanager:GetSecretValue"] if audience != "ci" else []
    statements = [allow("ConfigSnapshots", SNAPSHOT_WRITES + reads, snapshot_secrets(s))]
    if audience == "ci":
        values = s.each("ssm", "parameter/{env}/{svc}/*")
        statements.append(allow("PinnedConfigValues", ["ssm:GetParameters"], values))
        if s.kms_key_arn:
            statements.append(
                allow(
                    "PinnedConfigKey",
                    ["kms:Decrypt"],
                    s.kms_key_arn,
                    Condition={"StringEquals": {"kms:ViaService": f"ssm.{s.region}.amazonaws.com"}},
                )
            )
    return statements


def leading_keys(*keys: str) -> dict[str, Any]:
    """Items whose partition key is one of `keys` (every key of a batch or transaction)."""
    return {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": sorted(keys)}}


def store(s: Scope, audience: str) -> list[Statement]:
    """The `git-lift` table, item by item: each environment and service has its partitions
    (store.py: `release#<env>#<service>` holds the counter, the lock and the releases,
    `service#<env>#<service>` the service documents, `config#<env>#<service>` the config
    writers' lease); environment records share one."""
    read = ["dynamodb:GetItem", "dynamodb:Query"]
    write = ["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    table = [s.arn("dynamodb", f"table/{TABLE}")]
    releases = [f"release#{s.env}#{svc}" for svc in s.services]
    documents = [f"{kind}#{s.env}#{svc}" for kind in ("service", "config") for svc in s.services]
    own = releases + documents if audience != "ci" else releases
    statements = [
        allow("ReleaseTable", ["dynamodb:CreateTable", "dynamodb:DescribeTable"], table),
        allow("Releases", read + write, table, Condition=leading_keys(*own)),
        allow(
            "ReadRecords",
            read,
            table,
            Condition=leading_keys("environment", *releases, *documents),
        ),
    ]
    if audience == "admin":
        # The records' partition key is "environment" for every environment (the name is the
        # sort key), so this cannot be narrowed to one environment.
        statements.append(
            allow("EnvironmentRecords", write, table, Condition=leading_keys("environment"))
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
        allow("Registry", repository, s.each("ecr", "repository/{svc}")),
        allow(
            "Deploy",
            ["ecs:DescribeServices", "ecs:UpdateService"],
            s.each("ecs", "service/lift-{env}/{svc}"),
        ),
        allow(
            "RegisterTaskDefinitions",
            ["ecs:RegisterTaskDefinition"],
            s.each("ecs", "task-definition/{env}-{svc}:*"),
        ),
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
        allow("DescribeTasks", ["ecs:DescribeTasks"], [s.arn("ecs", f"task/lift-{s.env}/*")]),
        allow(
            "PassTaskRoles",
            ["iam:PassRole"],
            s.roles,
            Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        ),
    ]


def observe(s: Scope) -> list[Statement]:
    logs = ["logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents"]
    return [
        allow("Logs", logs, s.each("logs", "log-group:/lift/{env}/{svc}:*")),
        allow("LiveTail", ["logs:StartLiveTail"], s.each("logs", "log-group:/lift/{env}/{svc}")),
        allow(
            "Shell",
            ["ecs:ExecuteCommand"],
            [s.cluster, s.arn("ecs", f"task/lift-{s.env}/*")],
        ),
    ]


STACK_ACTIONS = [
    "cloudformation:CreateChangeSet",
    "cloudformation:DeleteChangeSet",
    "cloudformation:DeleteStack",  # a stack whose first change set is discarded, or deleted
    "cloudformation:DescribeChangeSet",
    "cloudformation:DescribeStackEvents",
    "cloudformation:DescribeStacks",
    "cloudformation:ExecuteChangeSet",
    "cloudformation:GetTemplate",
]


def service_roles(s: Scope) -> list[Statement]:
    """The service's two roles, only under the environment's boundary: whatever inline policy
    a developer writes, the role can do no more than the boundary allows."""
    bounded = {"StringEquals": {"iam:PermissionsBoundary": s.boundary}}
    tagged = {
        "StringEquals": {
            **s.env_request_tag,
            f"aws:RequestTag/{TAG_SERVICE}": list(s.services),
        }
    }
    with_boundary = {"StringEquals": {**bounded["StringEquals"], **tagged["StringEquals"]}}
    return [
        allow("CreateBoundedRoles", ["iam:CreateRole"], s.roles, Condition=with_boundary),
        allow("TagRoles", ["iam:TagRole"], s.roles, Condition=tagged),
        allow(
            "BoundedRolePolicies",
            ["iam:DeleteRolePolicy", "iam:PutRolePolicy"],
            s.roles,
            Condition=bounded,
        ),
        # No condition key applies to these; the ARNs are the service's own roles.
        allow(
            "ServiceRoles",
            ["iam:DeleteRole", "iam:GetRole", "iam:GetRolePolicy", "iam:UpdateAssumeRolePolicy"],
            s.roles,
        ),
        {
            "Sid": "KeepBoundary",
            "Effect": "Deny",
            "Action": ["iam:DeleteRolePermissionsBoundary"],
            "Resource": [s.arn("iam", "role/*", region=False)],
        },
        {
            "Sid": "NoOtherBoundary",
            "Effect": "Deny",
            "Action": ["iam:PutRolePermissionsBoundary"],
            "Resource": [s.arn("iam", "role/*", region=False)],
            "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": s.boundary}},
        },
    ]


def service_network(s: Scope, n: Network) -> list[Statement]:
    """Security groups in the environment's VPC and rules on its listeners: exact ARNs or
    the `ec2:Vpc` condition, since CloudFormation creates security groups before tagging them."""
    vpc = s.arn("ec2", f"vpc/{n.vpc_id}")
    in_vpc = {"ArnEquals": {"ec2:Vpc": vpc}}
    groups = s.arn("ec2", "security-group/*")
    # AWS needs the listener form of the load balancer's type; the network form of the same
    # path matches nothing, and is named only because the action lists both forms.
    listeners = [*n.listeners, *(r.replace("/app/", "/net/", 1) for r in n.listeners)]
    rules = [r.replace(":listener/", ":listener-rule/", 1) + "/*" for r in listeners]
    return [
        allow("CreateSecurityGroups", ["ec2:CreateSecurityGroup"], [vpc, groups]),
        allow(
            "SecurityGroups",
            [
                "ec2:AuthorizeSecurityGroupEgress",
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:CreateTags",
                "ec2:DeleteSecurityGroup",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupIngress",
            ],
            groups,
            Condition=in_vpc,
        ),
        allow("ListenerRules", [f"{ELB}:CreateRule"], listeners),
        allow(
            "ListenerRuleChanges",
            [f"{ELB}:DeleteRule", f"{ELB}:ModifyRule", f"{ELB}:SetRulePriorities"],
            rules,
        ),
    ]


def service_stacks(s: Scope) -> list[Statement]:
    """The service stacks, and what CloudFormation does with the caller's rights for them."""
    log_groups = [
        "logs:CreateLogGroup",
        "logs:DeleteLogGroup",
        "logs:DeleteRetentionPolicy",
        "logs:PutRetentionPolicy",
        "logs:TagResource",
    ]
    target_groups = s.arn(ELB, "targetgroup/*")
    scalable_targets = s.arn("application-autoscaling", "scalable-target/*")
    statements = [
        allow(
            "ServiceStacks",
            STACK_ACTIONS,
            s.each("cloudformation", "stack/lift-{env}-{svc}/*"),
        ),
        allow(
            "EnvironmentStackRead",
            ["cloudformation:DescribeStacks"],
            [s.arn("cloudformation", f"stack/lift-{s.env}/*")],
        ),
        allow(
            "ServiceStackServices",
            ["ecs:CreateService", "ecs:DeleteService", "ecs:TagResource"],
            s.each("ecs", "service/lift-{env}/{svc}"),
        ),
        # The stack tags its task definitions: tag-on-create is authorised on the revision.
        allow(
            "TagTaskDefinitions",
            ["ecs:TagResource"],
            s.each("ecs", "task-definition/{env}-{svc}:*"),
        ),
        *service_roles(s),
        allow(
            "CreateTargetGroups",
            [f"{ELB}:CreateTargetGroup"],
            target_groups,
            Condition={"StringEquals": s.env_request_tag},
        ),
        allow("TagNewTargetGroups", [f"{ELB}:AddTags"], target_groups, Condition=s.claim),
        allow(
            "TargetGroups",
            [
                f"{ELB}:AddTags",
                f"{ELB}:DeleteTargetGroup",
                f"{ELB}:ModifyTargetGroup",
                f"{ELB}:ModifyTargetGroupAttributes",
            ],
            target_groups,
            Condition={"StringEquals": s.env_tag},
        ),
        allow("ServiceStackLogGroups", log_groups, s.each("logs", "log-group:/lift/{env}/{svc}:*")),
        allow(
            "CreateScalableTargets",
            [
                "application-autoscaling:RegisterScalableTarget",
                "application-autoscaling:TagResource",
            ],
            scalable_targets,
            Condition=s.claim,
        ),
        allow(
            "ScalableTargets",
            [
                "application-autoscaling:DeleteScalingPolicy",
                "application-autoscaling:DeregisterScalableTarget",
                "application-autoscaling:PutScalingPolicy",
                "application-autoscaling:RegisterScalableTarget",
            ],
            scalable_targets,
            Condition={"StringEquals": s.env_tag},
        ),
        # AWS allows these on "*" only.
        allow(
            "Describe",
            [
                "application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:DescribeScalingActivities",
                "application-autoscaling:DescribeScalingPolicies",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
                f"{ELB}:DescribeListeners",
                f"{ELB}:DescribeRules",
                f"{ELB}:DescribeTargetGroups",
                f"{ELB}:DescribeTargetGroupAttributes",
                "logs:DescribeLogGroups",
            ],
            "*",
        ),
        allow(
            "ServiceLinkedRoles",
            ["iam:CreateServiceLinkedRole"],
            s.arn("iam", "role/aws-service-role/*", region=False),
            Condition={
                "StringEquals": {
                    "iam:AWSServiceName": [
                        "ecs.amazonaws.com",
                        "ecs.application-autoscaling.amazonaws.com",
                        "elasticloadbalancing.amazonaws.com",
                    ]
                }
            },
        ),
    ]
    if s.network is not None:
        statements += service_network(s, s.network)
    return statements


def environment_stack(s: Scope) -> list[Statement]:
    """`env create|update`: the network, the cluster and the shared load balancers."""
    network = [
        "ec2:AllocateAddress",
        "ec2:AssociateRouteTable",
        "ec2:AttachInternetGateway",
        "ec2:CreateInternetGateway",
        "ec2:CreateNatGateway",
        "ec2:CreateRoute",
        "ec2:CreateRouteTable",
        "ec2:CreateSubnet",
        "ec2:CreateVpc",
        "ec2:DeleteInternetGateway",
        "ec2:DeleteNatGateway",
        "ec2:DeleteRoute",
        "ec2:DeleteRouteTable",
        "ec2:DeleteSubnet",
        "ec2:DeleteTags",
        "ec2:DeleteVpc",
        "ec2:DetachInternetGateway",
        "ec2:DisassociateRouteTable",
        "ec2:ModifySubnetAttribute",
        "ec2:ModifyVpcAttribute",
        "ec2:ReleaseAddress",
        "ec2:ReplaceRoute",
    ]
    load_balancers = [
        f"{ELB}:CreateListener",
        f"{ELB}:CreateLoadBalancer",
        f"{ELB}:DeleteListener",
        f"{ELB}:DeleteLoadBalancer",
        f"{ELB}:ModifyListener",
        f"{ELB}:ModifyLoadBalancerAttributes",
        f"{ELB}:RemoveTags",
        f"{ELB}:SetSecurityGroups",
        f"{ELB}:SetSubnets",
    ]
    cluster = [
        "ecs:CreateCluster",
        "ecs:DeleteCluster",
        "ecs:DescribeClusters",
        "ecs:PutClusterCapacityProviders",
        "ecs:TagResource",
        "ecs:UpdateCluster",
        "ecs:UpdateClusterSettings",
    ]
    rules = [
        "events:DeleteRule",
        "events:DescribeRule",
        "events:PutRule",
        "events:PutTargets",
        "events:RemoveTargets",
    ]
    return [
        allow(
            "EnvironmentStack", STACK_ACTIONS, [s.arn("cloudformation", f"stack/lift-{s.env}/*")]
        ),
        # EC2 authorises creates on ids that do not exist yet: scoped to account and region.
        allow("EnvironmentNetwork", network, [s.arn("ec2", "*")]),
        allow(
            "EnvironmentLoadBalancers",
            load_balancers,
            [
                s.arn(ELB, "loadbalancer/app/*"),
                s.arn(ELB, "listener/app/*"),
                s.arn(ELB, "listener/net/*"),
                s.arn(ELB, "loadbalancer/net/*"),
            ],
        ),
        allow(
            "EnvironmentDescribe",
            [
                "ec2:DescribeAddresses",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeNatGateways",
                "ec2:DescribeRouteTables",
                f"{ELB}:DescribeLoadBalancerAttributes",
                f"{ELB}:DescribeLoadBalancers",
            ],
            "*",
        ),
        # CreateCluster is authorised on the cluster's ARN, which its name fixes.
        allow("EnvironmentCluster", cluster, [s.cluster]),
        allow("EnvironmentNotifications", rules, [s.arn("events", f"rule/lift-{s.env}-*")]),
        # Created once, never changed by this policy: whoever could change the boundary could
        # lift every role of the environment out of it.
        allow(
            "CreateBoundary",
            ["iam:CreatePolicy", "iam:GetPolicy", "iam:GetPolicyVersion"],
            [s.boundary],
        ),
    ]


def statements(audience: str, s: Scope) -> list[Statement]:
    found = config_names(s) + ship(s) + store(s, audience) + pinned_config(s, audience)
    if audience in ("developer", "admin"):
        found += config_values(s) + observe(s) + service_stacks(s)
    if audience == "admin":
        found += environment_stack(s)
    return found


def policy(audience: str, s: Scope) -> dict[str, Any]:
    if audience == "boundary":
        return boundary_policy(s.env, s.region, s.account, s.kms_key_arn)
    return {"Version": "2012-10-17", "Statement": statements(audience, s)}


def network(outputs: dict[str, str]) -> Network | None:
    from git_lift.templates.environment import INTERNAL_LISTENER, LISTENER, VPC_ID

    if VPC_ID not in outputs:
        return None
    listeners = tuple(outputs[k] for k in (LISTENER, INTERNAL_LISTENER) if outputs.get(k))
    return Network(outputs[VPC_ID], listeners)


def scope(ctx: Context, env: str, account: str | None) -> Scope:
    from git_lift.aws.identity import account_id, key_arn
    from git_lift.aws.store import Store

    environment = ctx.environment(env)
    services = (
        (ctx.service().name,) if ctx.options.service else tuple(sorted(ctx.settings.services))
    )
    region = ctx.settings.region or ctx.clients.sts.meta.region_name
    record = Store(ctx.clients.dynamodb).environment(environment.name)
    return Scope(
        env=environment.name,
        services=services,
        region=str(region),
        account=account or account_id(ctx.clients.sts),
        kms_key_arn=key_arn(ctx.clients.kms, ctx.settings.kms_key),
        network=network(record.outputs) if record else None,
        pins_config=environment.pins_config,
    )


def print_policy(ctx: Context, env: str, audience: str, account: str | None) -> int:
    s = scope(ctx, env, account)
    document = policy(audience, s)
    where = f"in {s.env} ({s.region}, account {s.account})"
    if audience == "boundary":
        ui.info(
            f"permissions boundary of every task and execution role {where}; create it once:\n"
            f"  aws iam create-policy --policy-name {boundary_name(s.env)} "
            "--policy-document file://boundary.json"
        )
    else:
        ui.info(f"IAM policy ({audience}) for {', '.join(s.services)} {where}:")
    if audience in ("developer", "admin"):
        ui.info(
            f"service stacks create roles only under the permissions boundary "
            f"{boundary_name(s.env)}: git lift iam-policy -e {s.env} --for boundary"
        )
        if s.network is None:
            ui.info(
                f"{s.env} does not exist yet: security groups and listener rules of service "
                f"stacks are left out; print this again after: git lift env create -e {s.env}"
            )
    ui.out(json.dumps(document, indent=2))
    return 0
