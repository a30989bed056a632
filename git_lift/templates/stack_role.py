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
trust change, never itself or the boundary. It carries the environment's boundary too, which
grants these statements to this role alone (`aws:PrincipalArn`): the admin who writes the
role's policy cannot widen it past the boundary, and no task role gets them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from git_lift.target import Environment, arn
from git_lift.templates.iam_scope import Statement, allow, claim, request_tag, resource_tag
from git_lift.templates.task_policies import (
    boundary_arn,
    job_role_arns,
    service_role_arns,
    stack_role_arn,
)

CLOUDFORMATION = "cloudformation.amazonaws.com"
ELB = "elasticloadbalancing"


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
        return boundary_arn(self.env, self.region, self.account)

    # The services' scheduled-jobs roles (templates/jobs.py) beside their task and execution
    # roles; the boundary leaves them out (no room: task_policies.job_boundary_statements).
    jobs: bool = True

    @property
    def roles(self) -> list[str]:
        """The roles a service stack holds."""
        jobs = job_role_arns(self.env, self.region, self.account) if self.jobs else []
        return self.task_roles + jobs

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
    """The services' task and execution roles: what the role may do to them, and the denials
    that keep it from unbounding them or changing itself or the boundary."""
    return service_role_grants(r) + boundary_guards(r)


def service_role_grants(r: RoleScope) -> list[Statement]:
    """Create, change, read and pass the service roles: only under the boundary, only the
    environment's own (tagged)."""
    bounded = {"iam:PermissionsBoundary": r.boundary}
    own = r.tagged
    return [
        allow(
            "CreateServiceRoles",
            ["iam:CreateRole"],
            r.roles,
            Condition={"StringEquals": {**bounded, **request_tag(r.env.name)}},
        ),
        allow("TagNewServiceRoles", ["iam:TagRole"], r.roles, Condition=r.claim),
        # Inline and managed policies (the service config's `managed_policies`): under the
        # boundary, which caps them.
        allow(
            "ServiceRolePolicies",
            [
                "iam:AttachRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:DetachRolePolicy",
                "iam:PutRolePolicy",
            ],
            r.roles,
            Condition={"StringEquals": bounded},
        ),
        allow(
            "ServiceRoles",
            ["iam:DeleteRole", "iam:TagRole", "iam:UntagRole"],
            r.roles,
            Condition={"StringEquals": own},
        ),
        # CloudFormation's AWS::IAM::Role handlers list a role's policies before they delete it.
        allow(
            "ReadServiceRoles",
            [
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListRolePolicies",
            ],
            r.roles,
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
    """No role loses the boundary or gets another; the role never changes itself or it."""
    return [
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
            "Resource": [stack_role_arn(r.env, r.region, r.account), r.boundary],
        },
    ]


def network(r: RoleScope) -> list[Statement]:
    """Security groups in the environment's VPC (`ec2:Vpc`: CloudFormation creates them before
    tagging them) and rules on its load balancers' listeners."""
    vpc = r.arn("ec2", f"vpc/{r.vpc_id}")
    groups = r.arn("ec2", "security-group/*")
    # AWS needs the listener form of the load balancer's type (application); the network form
    # of the same path matches nothing, and is named only because the actions list both forms.
    forms = [f"{kind}/{lb}/*" for lb in r.load_balancers for kind in ("app", "net")]
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
        allow(
            "Schedules",
            [
                "scheduler:CreateSchedule",
                "scheduler:DeleteSchedule",
                "scheduler:GetSchedule",
                "scheduler:UpdateSchedule",
            ],
            r.arn("scheduler", f"schedule/{r.env.service_stack_prefix}*/*"),
        ),
        allow(
            "PassJobRoles",
            ["iam:PassRole"],
            job_role_arns(r.env, r.region, r.account),
            Condition={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
        ),
    ]


def ecs_resources(r: RoleScope) -> list[Statement]:
    """The services of the environment's cluster and its task definitions."""
    env = r.env
    return [
        allow(
            "Services",
            [
                "ecs:CreateService",
                "ecs:DeleteService",
                "ecs:DescribeServices",
                "ecs:TagResource",
                "ecs:UpdateService",
            ],
            r.arn("ecs", f"service/{env.cluster}/*"),
        ),
        allow(
            "TaskDefinitions",
            ["ecs:RegisterTaskDefinition", "ecs:TagResource"],
            r.arn("ecs", f"task-definition/{env.task_family_prefix}*:*"),
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
            "TargetTrackingAlarms",
            [
                "cloudwatch:DeleteAlarms",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:PutMetricAlarm",
            ],
            r.arn("cloudwatch", f"alarm:TargetTracking-service/{r.env.cluster}/*"),
        ),
    ]


def describe(r: RoleScope) -> list[Statement]:
    """What AWS allows on "*" only: reads, and deregistering a replaced task definition."""
    return [
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
                "ecs:DescribeTaskDefinition",
                f"{ELB}:DescribeListeners",
                f"{ELB}:DescribeRules",
                f"{ELB}:DescribeTargetGroups",
                f"{ELB}:DescribeTargetGroupAttributes",
                "logs:DescribeLogGroups",
            ],
            "*",
        ),
        # A replaced task definition's old revision is deregistered; no resource-level
        # permissions either.
        allow("OldTaskDefinitions", ["ecs:DeregisterTaskDefinition"], "*"),
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


def statements(r: RoleScope) -> list[Statement]:
    """The role's own policy: what CloudFormation may do for the environment's service stacks."""
    return service_roles(r) + resources(r) + network(r) + schedules(r)


# cloudwatch:DeleteAlarms, DescribeAlarms, PutMetricAlarm (and the other alarm verbs) in the
# boundary, which caps the stack role alone.
ALARMS_IN_BOUNDARY = "cloudwatch:*Alarm*"

# The conditions that keep the role's IAM statements from granting privilege, by the name of
# what they guard; the boundary keeps these and leaves tag bookkeeping to the role's policy.
GUARDS = {
    "iam:AWSServiceName": "ServiceLinkedRoles",
    "iam:PassedToService": "PassRoles",
    "iam:PermissionsBoundary": "BoundedRoles",
}


def boundary_statements(env: Environment, region: str, account: str) -> list[Statement]:
    """The role's part of the environment's boundary, granted to the role alone: it caps what
    an admin may write into the role's policy. A managed policy holds at most 6,144 characters
    (IAM quotas, "Managed policy size"), so it is the role's statements folded: IAM ones by
    their guards (no Deny is needed: what the boundary does not allow, it denies), the rest by
    service within the account and region (the role's policy names the environment's VPC and
    load balancers, which do not exist when the boundary is written)."""
    r = RoleScope(env, region, account, "*", ("*",), jobs=False)
    only = {"aws:PrincipalArn": stack_role_arn(env, region, account)}
    folded: dict[str, Statement] = {}
    anywhere: set[str] = set()
    scoped: set[str] = set()
    # Scheduled jobs' rights (`schedules`) are left out: the boundary has no room for them
    # (task_policies.job_boundary_statements).
    for statement in service_roles(r) + resources(r) + network(r):
        actions = statement["Action"]
        if statement["Effect"] == "Deny":
            continue
        if statement["Sid"] == "TargetTrackingAlarms":
            # scaling: one pattern on "*" keeps the boundary under IAM's size quota; the role's
            # own policy names the three actions on its cluster's alarms.
            anywhere.add(ALARMS_IN_BOUNDARY)
            continue
        if not actions[0].startswith("iam:"):
            (anywhere if statement["Resource"] == "*" else scoped).update(actions)
            continue
        guards = {
            op: {k: v for k, v in keys.items() if k in GUARDS}
            for op, keys in statement.get("Condition", {}).items()
        }
        guards = {op: keys for op, keys in guards.items() if keys}
        key = json.dumps([statement["Resource"], guards], sort_keys=True)
        if key in folded:
            folded[key]["Action"] = sorted({*folded[key]["Action"], *actions})
        else:
            sid = next((GUARDS[k] for keys in guards.values() for k in keys), "Roles")
            folded[key] = {**statement, "Sid": sid, "Condition": guards}
    services = sorted({a.split(":")[0] for a in scoped})
    found = [
        *folded.values(),
        allow("Resources", sorted(scoped), [r.arn(service, "*") for service in services]),
        allow("Describe", sorted(anywhere), "*"),
    ]
    for statement in found:
        statement["Sid"] = f"Stacks{statement['Sid']}"
        statement["Condition"] = {**statement.get("Condition", {}), "ArnEquals": only}
    return found
