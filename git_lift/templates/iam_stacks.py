"""The statements of the developer and admin audiences that change stacks: the service stacks
(`service create|edit|update`) with what CloudFormation does on the caller's behalf for them,
and the environment stack (`env create|update`); pure. See templates/iam_statements.py.
"""

from __future__ import annotations

from git_lift.target import TAG_SERVICE
from git_lift.templates.iam_scope import Network, Scope, Statement, allow

ELB = "elasticloadbalancing"

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

TEMPLATE_BUCKET_ACTIONS = [
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:GetBucketAcl",
    "s3:GetBucketOwnershipControls",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketTagging",
    "s3:GetBucketVersioning",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:ListBucket",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketTagging",
    "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
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
            "Resource": [s.arn("iam", "role/*")],
        },
        {
            "Sid": "NoOtherBoundary",
            "Effect": "Deny",
            "Action": ["iam:PutRolePermissionsBoundary"],
            "Resource": [s.arn("iam", "role/*")],
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


def template_bucket(s: Scope) -> str:
    """The environment's bucket of templates over CloudFormation's TemplateBody limit."""
    return s.arn("s3", s.environment.template_bucket(s.account, s.region))


def service_stacks(s: Scope) -> list[Statement]:
    """The service stacks, and what CloudFormation does with the caller's rights for them."""
    log_group_actions = [
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
            s.each("cloudformation", lambda t: f"stack/{t.stack}/*"),
        ),
        allow("EnvironmentStackRead", ["cloudformation:DescribeStacks"], [s.environment_stack]),
        # A template over 51,200 bytes: uploaded, read by CloudFormation with the caller's
        # rights, deleted. Its key is S3's AWS managed key, whose policy needs no grant.
        allow(
            "ServiceTemplates",
            ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            [template_bucket(s) + "/*"],
        ),
        allow(
            "ServiceStackServices",
            ["ecs:CreateService", "ecs:DeleteService", "ecs:TagResource"],
            s.ecs_services,
        ),
        # The stack tags its task definitions: tag-on-create is authorised on the revision.
        allow("TagTaskDefinitions", ["ecs:TagResource"], s.task_definitions),
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
        allow("ServiceStackLogGroups", log_group_actions, s.log_groups(":*")),
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
            s.arn("iam", "role/aws-service-role/*"),
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
    rule_prefix = s.environment.event_rule_prefix  # the names CloudFormation gives the rules
    return [
        allow("EnvironmentStack", STACK_ACTIONS, [s.environment_stack]),
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
        allow("EnvironmentNotifications", rules, [s.arn("events", f"rule/{rule_prefix}*")]),
        # The template bucket (templates/template_bucket.py): what CloudFormation's S3 bucket
        # handlers call for the properties it sets.
        allow("EnvironmentTemplateBucket", TEMPLATE_BUCKET_ACTIONS, [template_bucket(s)]),
        # Created once, never changed by this policy: whoever could change the boundary could
        # lift every role of the environment out of it.
        allow(
            "CreateBoundary",
            ["iam:CreatePolicy", "iam:GetPolicy", "iam:GetPolicyVersion"],
            [s.boundary],
        ),
    ]
