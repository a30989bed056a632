"""The role CloudFormation changes an environment's service stacks with
(`Environment.cloudformation_role`), as Copilot's per-environment execution roles do; pure.

Developers pass it to CloudFormation (iam:PassRole, `iam:PassedToService`) with each change set
and need no IAM writes of their own: whoever could write a service role (its trust above all,
`iam:UpdateAssumeRolePolicy`, which no condition key narrows) could assume it and act as the
app. The environment stack makes the role (templates/environment_role.py), so `env create`
and `env update` (admin) own it; its policy is the statements below, with the environment's own
VPC and load balancers.

What it may do: everything a service stack makes, in its environment only. Service roles only
under the environment's permissions boundary and tagged with the environment (their names
share a prefix with other environments': `lift-qa-*` also matches `lift-qa-1-...`); never a
trust change, never itself or either boundary. It carries a boundary of its own
(`Environment.stack_boundary_policy`, stack_boundary.py): the admin who writes the role's
policy cannot widen it past that boundary, and no role the stacks make gets any of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from git_lift.target import Environment, arn
from git_lift.templates.iam_scope import Statement, allow, claim, request_tag, resource_tag
from git_lift.templates.task_policies import (
    ELB,
    boundary_arn,
    job_role_arns,
    service_role_arns,
    stack_boundary_arn,
    stack_policy_arn,
    stack_role_arn,
    traffic_role_arns,
)

CLOUDFORMATION = "cloudformation.amazonaws.com"
ECS = "ecs.amazonaws.com"


def trust_policy() -> dict[str, Any]:
    """CloudFormation only. IAM passes a role within its own account only, and only those
    allowed iam:PassRole to it (developers, to CloudFormation) can hand it a stack."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": CLOUDFORMATION},
                "Action": "sts:AssumeRole",
            }
        ],
    }


@dataclass(frozen=True)
class RoleScope:
    env: Environment
    region: str
    account: str
    vpc_id: str  # the environment's VPC; "*" in the boundary, written before the VPC exists
    # The name of each load balancer (unique in its account and region) whose listeners take
    # the services' rules; "*" in the boundary.
    load_balancers: tuple[str, ...]

    def arn(self, service: str, resource: str) -> str:
        return arn(service, self.region, self.account, resource)

    @property
    def boundary(self) -> str:
        """The boundary every role the service stacks make carries."""
        return boundary_arn(self.env, self.region, self.account)

    @property
    def own_boundary(self) -> str:
        """The role's own boundary."""
        return stack_boundary_arn(self.env, self.region, self.account)

    @property
    def roles(self) -> list[str]:
        """The roles a service stack holds: task and execution, scheduled jobs' (jobs.py),
        traffic's (strategy.py)."""
        place = (self.env, self.region, self.account)
        return self.task_roles + job_role_arns(*place) + traffic_role_arns(*place)

    @property
    def task_roles(self) -> list[str]:
        return service_role_arns(self.env, self.region, self.account)

    @property
    def tagged(self) -> dict[str, str]:
        return resource_tag(self.env.name)

    @property
    def claim(self) -> dict[str, Any]:
        return claim(self.env.name)


def service_roles(r: RoleScope) -> list[Statement]:
    """The services' roles (`RoleScope.roles`): what the role may do to them, and the denials
    that keep it from unbounding them or changing itself or either boundary."""
    return service_role_grants(r) + boundary_guards(r)


def service_role_grants(r: RoleScope) -> list[Statement]:
    """Create, change, read and pass the service roles: only under the boundary, only the
    environment's own (tagged)."""
    bounded = {"iam:PermissionsBoundary": r.boundary}
    own = r.tagged
    return [
        # Made, and given inline and managed policies (the service config's
        # `managed_policies`), only under the boundary, which caps them; made tagged with the
        # environment (`TaggedRolesOnly`).
        allow(
            "BoundedServiceRoles",
            [
                "iam:AttachRolePolicy",
                "iam:CreateRole",
                "iam:DeleteRolePolicy",
                "iam:DetachRolePolicy",
                "iam:PutRolePolicy",
            ],
            r.roles,
            Condition={"StringEquals": bounded},
        ),
        allow("TagNewServiceRoles", ["iam:TagRole"], r.roles, Condition=r.claim),
        # Read (CloudFormation's AWS::IAM::Role handlers list a role's policies before they
        # delete it), retag and delete: the environment's own roles, made tagged.
        allow(
            "ServiceRoles",
            [
                "iam:DeleteRole",
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListRolePolicies",
                "iam:TagRole",
                "iam:UntagRole",
            ],
            r.roles,
            Condition={"StringEquals": own},
        ),
        # The task definitions name the roles: registering one passes them to ECS tasks.
        allow(
            "PassServiceRoles",
            ["iam:PassRole"],
            r.task_roles,
            Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        ),
    ]


def boundary_guards(r: RoleScope) -> list[Statement]:
    """No role loses the boundary or gets another; the role never changes itself (nor its
    managed policy) or either boundary; no role is made under a path (`role/PATH/NAME`,
    which `role/lift-ENV-*-task` would match: IAM's `*` spans slashes)."""
    return [
        # A Deny, not a condition of BoundedServiceRoles: the role's inline policies hold at
        # most 10,240 characters (IAM quotas). IfExists: a role without the tag is refused too.
        {
            "Sid": "TaggedRolesOnly",
            "Effect": "Deny",
            "Action": ["iam:CreateRole"],
            "Resource": [r.arn("iam", "role/*")],
            "Condition": {"StringNotEqualsIfExists": request_tag(r.env.name)},
        },
        {
            "Sid": "NoRolePaths",
            "Effect": "Deny",
            "Action": ["iam:CreateRole"],
            "Resource": [r.arn("iam", "role/*/*")],
        },
        {
            "Sid": "KeepBoundary",
            "Effect": "Deny",
            "Action": ["iam:DeleteRolePermissionsBoundary"],
            "Resource": [r.arn("iam", "role/*")],
        },
        {
            "Sid": "NoOtherBoundary",
            "Effect": "Deny",
            "Action": ["iam:PutRolePermissionsBoundary"],
            "Resource": [r.arn("iam", "role/*")],
            "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": r.boundary}},
        },
        {
            "Sid": "NotItselfNorTheBoundary",
            "Effect": "Deny",
            "Action": [
                "iam:Attach*",
                "iam:Create*",
                "iam:Delete*",
                "iam:Detach*",
                "iam:Put*",
                "iam:SetDefaultPolicyVersion",
                "iam:Tag*",
                "iam:Untag*",
                "iam:Update*",
            ],
            "Resource": [
                stack_role_arn(r.env, r.region, r.account),
                stack_policy_arn(r.env, r.region, r.account),
                r.boundary,
                r.own_boundary,
            ],
        },
    ]


def network(r: RoleScope) -> list[Statement]:
    """Security groups in the environment's VPC (`ec2:Vpc`: CloudFormation creates them before
    tagging them) and rules on its load balancers' listeners."""
    vpc = r.arn("ec2", f"vpc/{r.vpc_id}")
    groups = r.arn("ec2", "security-group/*")
    # `*/NAME/*`: the listener form of the load balancer's type (`app/`; the actions list the
    # network form too), one pattern per load balancer (the role's inline policies hold 10,240
    # characters).
    forms = [f"*/{lb}/*" for lb in r.load_balancers]
    listeners = [r.arn(ELB, f"listener/{form}") for form in forms]
    rules = [r.arn(ELB, f"listener-rule/{form}") for form in forms]
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
            Condition={"ArnLike": {"ec2:Vpc": vpc}},  # as ArnEquals; the boundary has "*"
        ),
        allow("ListenerRules", [f"{ELB}:CreateRule"], listeners),
        allow(
            "ListenerRuleChanges",
            [f"{ELB}:DeleteRule", f"{ELB}:ModifyRule", f"{ELB}:SetRulePriorities"],
            rules,
        ),
    ]


def resources(r: RoleScope) -> list[Statement]:
    """ECS services of the environment's cluster, task definitions, target groups, log groups
    and scaling of its services."""
    return (
        ecs_resources(r)
        + target_groups(r)
        + log_groups(r)
        + scalable_targets(r)
        + describe(r)
        + service_linked_roles(r)
    )


def schedules(r: RoleScope) -> list[Statement]:
    """Scheduled jobs (templates/jobs.py): each service's schedule group (created tagged with
    the environment), its schedules, and passing its jobs role to EventBridge Scheduler. The
    actions are those of the AWS::Scheduler::Schedule and ScheduleGroup handlers (their
    CloudFormation resource schemas); schedules carry no tags, so they are scoped by their
    group's name."""
    groups = r.arn("scheduler", f"schedule-group/{r.env.service_stack_prefix}*")
    return [
        allow(
            "CreateScheduleGroups",
            ["scheduler:CreateScheduleGroup", "scheduler:TagResource"],
            groups,
            Condition={"StringEquals": request_tag(r.env.name)},
        ),
        allow(
            "ScheduleGroups",
            [
                "scheduler:DeleteScheduleGroup",
                "scheduler:GetScheduleGroup",
                "scheduler:ListTagsForResource",
                "scheduler:TagResource",
                "scheduler:UntagResource",
            ],
            groups,
        ),
        # And the rule recording the jobs' runs (templates/jobs.py, add_job_runs_log), named
        # as the schedule group: the AWS::Events::Rule handlers' Put, Describe, Delete and
        # ListTargetsByRule, PutTargets and RemoveTargets, as patterns (the role's inline
        # policy has little room left: test_iam_policy). The rule carries no tags.
        allow(
            "Schedules",
            [
                "scheduler:CreateSchedule",
                "scheduler:DeleteSchedule",
                "scheduler:GetSchedule",
                "scheduler:UpdateSchedule",
                "events:*Rule",
                "events:*Targets*",
            ],
            [
                r.arn("scheduler", f"schedule/{r.env.service_stack_prefix}*/*"),
                r.arn("events", f"rule/{r.env.service_stack_prefix}*"),
            ],
        ),
        allow(
            "PassJobRoles",
            ["iam:PassRole"],
            job_role_arns(r.env, r.region, r.account),
            Condition={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
        ),
    ]


def ecs_resources(r: RoleScope) -> list[Statement]:
    """The services of the environment's cluster and its task definitions. The
    AWS::ECS::Service handlers follow a service's deployments (its CloudFormation resource
    schema: create and update list and describe them, update may stop one)."""
    env = r.env
    return [
        allow(
            "Services",
            [
                "ecs:CreateService",
                "ecs:DeleteService",
                "ecs:DescribeServiceDeployments",
                "ecs:DescribeServices",
                "ecs:ListServiceDeployments",
                "ecs:ListTagsForResource",
                "ecs:StopServiceDeployment",
                "ecs:TagResource",
                "ecs:UntagResource",
                "ecs:UpdateService",
            ],
            [
                r.arn("ecs", f"service/{env.cluster}/*"),
                r.arn("ecs", f"service-deployment/{env.cluster}/*"),
            ],
        ),
        # `qa-*` also names environment qa-1's families: a revision is registered tagged with
        # the environment (every task definition's Tags, which CloudFormation passes to
        # RegisterTaskDefinition; ECS also authorizes ecs:TagResource then, on the same tags).
        allow(
            "TaskDefinitions",
            ["ecs:RegisterTaskDefinition", "ecs:TagResource"],
            r.arn("ecs", f"task-definition/{env.task_family_prefix}*:*"),
            Condition={"StringEquals": request_tag(env.name)},
        ),
    ]


def target_groups(r: RoleScope) -> list[Statement]:
    """Target groups: created tagged with the environment, changed only when so tagged."""
    groups = r.arn(ELB, "targetgroup/*")
    return [
        allow(
            "CreateTargetGroups",
            [f"{ELB}:CreateTargetGroup"],
            groups,
            Condition={"StringEquals": request_tag(r.env.name)},
        ),
        allow("TagNewTargetGroups", [f"{ELB}:AddTags"], groups, Condition=r.claim),
        allow(
            "TargetGroups",
            [
                f"{ELB}:AddTags",
                f"{ELB}:DeleteTargetGroup",
                f"{ELB}:ModifyTargetGroup",
                f"{ELB}:ModifyTargetGroupAttributes",
            ],
            groups,
            Condition={"StringEquals": r.tagged},
        ),
    ]


def log_groups(r: RoleScope) -> list[Statement]:
    """The environment's log groups (by their name prefix)."""
    return [
        allow(
            "LogGroups",
            [
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:DeleteRetentionPolicy",
                "logs:PutRetentionPolicy",
                "logs:TagResource",
            ],
            r.arn("logs", f"log-group:{r.env.log_group_prefix}*"),
        ),
    ]


def scalable_targets(r: RoleScope) -> list[Statement]:
    """The services' scaling: targets registered tagged, changed only when so tagged."""
    targets = r.arn("application-autoscaling", "scalable-target/*")
    return [
        allow(
            "CreateScalableTargets",
            [
                "application-autoscaling:RegisterScalableTarget",
                "application-autoscaling:TagResource",
            ],
            targets,
            Condition=r.claim,
        ),
        allow(
            "ScalableTargets",
            [
                "application-autoscaling:DeleteScalingPolicy",
                "application-autoscaling:DeregisterScalableTarget",
                "application-autoscaling:PutScalingPolicy",
                "application-autoscaling:RegisterScalableTarget",
            ],
            targets,
            Condition={"StringEquals": r.tagged},
        ),
        # A target-tracking policy's alarms are created and deleted with the caller's rights
        # (Application Auto Scaling user guide, "Identity-based policy examples": PutScalingPolicy
        # needs cloudwatch:PutMetricAlarm, DescribeAlarms; DeleteScalingPolicy DeleteAlarms).
        # Their names are AWS's: TargetTracking-service/<cluster>/<service>-AlarmHigh-<id>.
        allow(
            "Alarms",
            [
                "cloudwatch:DeleteAlarms",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:ListTagsForResource",
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
            ],
            [
                r.arn("cloudwatch", f"alarm:TargetTracking-service/{r.env.cluster}/*"),
                # The generated deployment alarms (strategy.py, `Target.deployment_alarm`):
                # the AWS::CloudWatch::Alarm handlers' actions (its CloudFormation schema).
                r.arn("cloudwatch", f"alarm:{r.env.alarm_prefix}*"),
            ],
        ),
    ]


def describe(r: RoleScope) -> list[Statement]:
    """What AWS allows on "*" only: reads, and deregistering a replaced task definition."""
    return [
        # AWS allows these on "*" only (no resource-level permissions).
        allow(
            "Describe",
            [
                "application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:DescribeScalingActivities",
                "application-autoscaling:DescribeScalingPolicies",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
                "ecs:DescribeTaskDefinition",
                f"{ELB}:DescribeListeners",
                f"{ELB}:DescribeRules",
                f"{ELB}:DescribeTargetGroups",
                f"{ELB}:DescribeTargetGroupAttributes",
                "logs:DescribeLogGroups",
                # A service stack made before the environment held the job runs' log resource
                # policy (templates/job_runs_policy.py) had one of its own: its next update
                # deletes it (the AWS::Logs::ResourcePolicy delete handler's one action; the
                # account's log resource policies have no ARN: Service Authorization
                # Reference, CloudWatch Logs). It never makes one.
                "logs:DeleteResourcePolicy",
                # A replaced task definition's old revision is deregistered.
                "ecs:DeregisterTaskDefinition",
            ],
            "*",
        ),
    ]


def service_linked_roles(r: RoleScope) -> list[Statement]:
    """The service-linked roles ECS, its scaling and ELB need, created on first use."""
    return [
        allow(
            "ServiceLinkedRoles",
            ["iam:CreateServiceLinkedRole"],
            r.arn("iam", "role/aws-service-role/*"),
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


def traffic(r: RoleScope) -> list[Statement]:
    """Blue/green, canary and linear deployments (templates/strategy.py): passing a service's
    traffic role to ECS (ECS developer guide, "Amazon ECS infrastructure IAM role for load
    balancers": iam:PassRole with iam:PassedToService ecs.amazonaws.com). Their alarms are in
    `scalable_targets`' Alarms, the target group and rules in `target_groups` and `network`."""
    return [
        allow(
            "PassTrafficRoles",
            ["iam:PassRole"],
            traffic_role_arns(r.env, r.region, r.account),
            Condition={"StringEquals": {"iam:PassedToService": ECS}},
        ),
    ]


def statements(r: RoleScope) -> list[Statement]:
    """What CloudFormation may do for the environment's service stacks: the role's inline
    policy and its managed policy together."""
    return inline_statements(r) + managed_statements(r)


# IAM quotas (IAM User Guide, "IAM and AWS STS quotas"): a role's inline policies hold at most
# 10,240 characters together, a managed policy 6,144, whitespace not counted; a role has at
# most 10 managed policies attached (20 once raised). All of the role's statements no longer
# fit inline (10,229 at the longest names), so they are two documents, each with room left
# (tests/test_env_shared_policies.py holds the margins).


def inline_statements(r: RoleScope) -> list[Statement]:
    """The role's inline policy: the services' roles and the guards on them, the network of
    the environment (its VPC and load balancers, which only the environment stack names),
    scheduled jobs and traffic shifting."""
    return service_roles(r) + network(r) + schedules(r) + traffic(r)


def managed_statements(r: RoleScope) -> list[Statement]:
    """The role's managed policy (`Environment.cloudformation_policy`): the services' own
    resources, which name the account, region and environment only."""
    return resources(r)
