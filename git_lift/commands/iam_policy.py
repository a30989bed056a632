"""`git lift iam-policy`: least-privilege IAM policies for what git lift does in one environment.

Three audiences:
- ci: ship (build, push, deploy, record) and config checks that read names only;
- developer: ci plus config edits, logs, shell, and the service stacks (`service create|edit|
  update`), with what CloudFormation does on the caller's behalf for those stacks;
- admin: developer plus the environment stack (`env create|update`): network, cluster, ALB.

The statements are pure data; every AWS call the commands make must be allowed by them
(tests/test_iam_policy.py checks this against the calls recorded on the sandbox).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from git_lift import ui
from git_lift.commands.context import Context
from git_lift.templates.service_iam import partition

AUDIENCES = ("developer", "ci", "admin")
TABLE = "git-lift"

Statement = dict[str, Any]


@dataclass(frozen=True)
class Scope:
    env: str
    services: tuple[str, ...]
    region: str
    account: str
    kms_key_arn: str | None = None  # None: the AWS managed key of SSM, which needs no grant

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


def allow(sid: str, actions: list[str], resources: list[str] | str, **extra: Any) -> Statement:
    statement: Statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions)}
    statement["Resource"] = resources if isinstance(resources, str) else sorted(set(resources))
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
    table = [
        "dynamodb:CreateTable",
        "dynamodb:DeleteItem",
        "dynamodb:DescribeTable",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
    ]
    return [
        allow("RegistryLogin", ["ecr:GetAuthorizationToken"], "*"),
        allow("Registry", repository, s.each("ecr", "repository/{svc}")),
        allow(
            "Deploy",
            ["ecs:DescribeServices", "ecs:UpdateService"],
            s.each("ecs", "service/lift-{env}/{svc}"),
        ),
        # Task definitions have no resource-level permissions for these actions.
        allow(
            "TaskDefinitions",
            [
                "ecs:DeregisterTaskDefinition",
                "ecs:DescribeTaskDefinition",
                "ecs:RegisterTaskDefinition",
            ],
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
            s.each("iam", "role/lift-{env}-{svc}-*", region=False),
            Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        ),
        allow("Releases", table, [s.arn("dynamodb", f"table/{TABLE}")]),
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
    "cloudformation:DescribeChangeSet",
    "cloudformation:DescribeStackEvents",
    "cloudformation:DescribeStacks",
    "cloudformation:ExecuteChangeSet",
    "cloudformation:GetTemplate",
]


def service_stacks(s: Scope) -> list[Statement]:
    """The service stacks, and what CloudFormation does with the caller's rights for them."""
    roles = [
        "iam:CreateRole",
        "iam:DeleteRole",
        "iam:DeleteRolePolicy",
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:PutRolePolicy",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:UpdateAssumeRolePolicy",
    ]
    security_groups = [
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:CreateSecurityGroup",
        "ec2:CreateTags",
        "ec2:DeleteSecurityGroup",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupIngress",
    ]
    load_balancing = [
        "elasticloadbalancing:AddTags",
        "elasticloadbalancing:CreateRule",
        "elasticloadbalancing:CreateTargetGroup",
        "elasticloadbalancing:DeleteRule",
        "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:ModifyRule",
        "elasticloadbalancing:ModifyTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
        "elasticloadbalancing:SetRulePriorities",
    ]
    log_groups = [
        "logs:CreateLogGroup",
        "logs:DeleteLogGroup",
        "logs:DeleteRetentionPolicy",
        "logs:PutRetentionPolicy",
        "logs:TagResource",
    ]
    scaling = [
        "application-autoscaling:DeleteScalingPolicy",
        "application-autoscaling:DeregisterScalableTarget",
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingActivities",
        "application-autoscaling:DescribeScalingPolicies",
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:RegisterScalableTarget",
    ]
    elb = "elasticloadbalancing"
    return [
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
        allow("ServiceStackRoles", roles, s.each("iam", "role/lift-{env}-{svc}-*", region=False)),
        allow(
            "ServiceStackSecurityGroups",
            security_groups,
            [s.arn("ec2", "security-group/*"), s.arn("ec2", "vpc/*")],
        ),
        # Load balancer names are generated by CloudFormation: scoped by resource type only.
        allow(
            "ServiceStackLoadBalancing",
            load_balancing,
            [
                s.arn(elb, "targetgroup/*"),
                s.arn(elb, "listener/app/*"),
                s.arn(elb, "listener-rule/app/*"),
            ],
        ),
        allow("ServiceStackLogGroups", log_groups, s.each("logs", "log-group:/lift/{env}/{svc}:*")),
        allow("ServiceStackScaling", scaling, "*"),
        allow(
            "Describe",
            [
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
                f"{elb}:DescribeListeners",
                f"{elb}:DescribeRules",
                f"{elb}:DescribeTargetGroups",
                f"{elb}:DescribeTargetGroupAttributes",
                "logs:DescribeLogGroups",
            ],
            "*",
        ),
        allow(
            "ServiceLinkedRoles",
            ["iam:CreateServiceLinkedRole"],
            "*",
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
        "ec2:DescribeAddresses",
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeInternetGateways",
        "ec2:DescribeNatGateways",
        "ec2:DescribeRouteTables",
        "ec2:DetachInternetGateway",
        "ec2:DisassociateRouteTable",
        "ec2:ModifySubnetAttribute",
        "ec2:ModifyVpcAttribute",
        "ec2:ReleaseAddress",
        "ec2:ReplaceRoute",
    ]
    elb = "elasticloadbalancing"
    load_balancers = [
        f"{elb}:CreateListener",
        f"{elb}:CreateLoadBalancer",
        f"{elb}:DeleteListener",
        f"{elb}:DeleteLoadBalancer",
        f"{elb}:DescribeLoadBalancerAttributes",
        f"{elb}:DescribeLoadBalancers",
        f"{elb}:ModifyListener",
        f"{elb}:ModifyLoadBalancerAttributes",
        f"{elb}:RemoveTags",
        f"{elb}:SetSecurityGroups",
        f"{elb}:SetSubnets",
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
            [s.arn(elb, "loadbalancer/app/*"), s.arn(elb, "listener/app/*")],
        ),
        # CreateCluster is authorised on the cluster's ARN, which its name fixes.
        allow("EnvironmentCluster", cluster, [s.cluster]),
        allow("EnvironmentNotifications", rules, [s.arn("events", f"rule/lift-{s.env}-*")]),
    ]


def statements(audience: str, s: Scope) -> list[Statement]:
    found = config_names(s) + ship(s)
    if audience in ("developer", "admin"):
        found += config_values(s) + observe(s) + service_stacks(s)
    if audience == "admin":
        found += environment_stack(s)
    return found


def policy(audience: str, s: Scope) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements(audience, s)}


def scope(ctx: Context, env: str, account: str | None) -> Scope:
    from git_lift.aws.identity import account_id, key_arn

    environment = ctx.environment(env)
    services = (
        (ctx.service().name,) if ctx.options.service else tuple(sorted(ctx.settings.services))
    )
    region = ctx.settings.region or ctx.clients.sts.meta.region_name
    return Scope(
        env=environment.name,
        services=services,
        region=str(region),
        account=account or account_id(ctx.clients.sts),
        kms_key_arn=key_arn(ctx.clients.kms, ctx.settings.kms_key),
    )


def print_policy(ctx: Context, env: str, audience: str, account: str | None) -> int:
    s = scope(ctx, env, account)
    document = policy(audience, s)
    ui.info(
        f"IAM policy ({audience}) for {', '.join(s.services)} in {s.env} "
        f"({s.region}, account {s.account}):"
    )
    ui.out(json.dumps(document, indent=2))
    return 0
