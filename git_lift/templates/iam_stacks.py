"""The statements of the developer and admin audiences that change stacks: the service stacks
(`service create|edit|update`), which CloudFormation changes with the environment's role, and
the environment stack (`env create|update`), which makes that role; pure. See
templates/iam_statements.py and templates/stack_role.py.
"""

from __future__ import annotations

from git_lift.templates.iam_scope import Scope, Statement, allow
from git_lift.templates.stack_role import CLOUDFORMATION
from git_lift.templates.task_policies import ELB

STACK_ACTIONS = [
    "cloudformation:CreateChangeSet",
    "cloudformation:DeleteChangeSet",
    "cloudformation:DeleteStack",  # a stack whose first change set is discarded, or deleted
    "cloudformation:DescribeChangeSet",
    "cloudformation:DescribeStackEvents",
    "cloudformation:DescribeStacks",
    "cloudformation:ExecuteChangeSet",
    "cloudformation:GetTemplate",
    "cloudformation:ListStackResources",  # `service delete`, `env delete`: what goes
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


def template_bucket(s: Scope) -> str:
    """The environment's bucket of templates over CloudFormation's TemplateBody limit."""
    return s.arn("s3", s.environment.template_bucket(s.account, s.region))


def service_stacks(s: Scope) -> list[Statement]:
    """The service stacks: change sets that CloudFormation carries out with the environment's
    role (templates/stack_role.py), which the developer passes it and nothing else does."""
    return [
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
            "PassStackRole",
            ["iam:PassRole"],
            [s.stack_role],
            Condition={"StringEquals": {"iam:PassedToService": CLOUDFORMATION}},
        ),
    ]


def stack_role(s: Scope) -> list[Statement]:
    """`env create|update` makes the CloudFormation role in the environment stack: only under
    its own boundary, and never its trust (no `iam:UpdateAssumeRolePolicy`). An environment
    made when the role carried the services' boundary moves it to its own at `env update`
    (the AWS::IAM::Role handler's PutRolePermissionsBoundary: its CloudFormation schema)."""
    bounded = {"iam:PermissionsBoundary": s.stack_boundary}
    return [
        allow(
            "CreateStackRole",
            ["iam:CreateRole"],
            [s.stack_role],
            Condition={"StringEquals": {**bounded, **s.env_request_tag}},
        ),
        allow(
            "StackRoleBoundary",
            ["iam:PutRolePermissionsBoundary"],
            [s.stack_role],
            Condition={"StringEquals": bounded},
        ),
        # Its policy, under its own boundary or, until `env update` has moved it, the
        # services' (which grants that role nothing of the stacks' any more).
        allow(
            "StackRolePolicy",
            ["iam:DeleteRolePolicy", "iam:PutRolePolicy"],
            [s.stack_role],
            Condition={"StringEquals": {"iam:PermissionsBoundary": [s.stack_boundary, s.boundary]}},
        ),
        allow(
            "StackRole",
            [
                "iam:DeleteRole",
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:TagRole",
                "iam:UntagRole",
            ],
            [s.stack_role],
        ),
        # Its managed policy (templates/environment_role.py), attached to it alone: the
        # AWS::IAM::ManagedPolicy handlers' actions for a policy of no group or user, and the
        # AWS::IAM::Role handlers' attach and detach (their CloudFormation schemas). The role's
        # boundary caps whatever a version of it says, as it caps the inline policy.
        allow(
            "StackRoleManagedPolicy",
            [
                "iam:CreatePolicy",
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:GetPolicy",
                "iam:GetPolicyVersion",
                "iam:ListEntitiesForPolicy",
                "iam:ListPolicyVersions",
            ],
            [s.stack_role_policy],
        ),
        allow(
            "StackRoleAttachment",
            ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
            [s.stack_role],
            Condition={"ArnEquals": {"iam:PolicyARN": s.stack_role_policy}},
        ),
    ]


NETWORK_ACTIONS = [
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
    "ec2:DeleteSecurityGroup",  # `env delete`: the load balancers' groups
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

LOAD_BALANCER_ACTIONS = [
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

CLUSTER_ACTIONS = [
    "ecs:CreateCluster",
    "ecs:DeleteCluster",
    "ecs:DescribeClusters",
    "ecs:PutClusterCapacityProviders",
    "ecs:TagResource",
    "ecs:UpdateCluster",
    "ecs:UpdateClusterSettings",
]

EVENT_RULE_ACTIONS = [
    "events:DeleteRule",
    "events:DescribeRule",
    "events:PutRule",
    "events:PutTargets",
    "events:RemoveTargets",
]


def environment_stack(s: Scope) -> list[Statement]:
    """`env create|update`: the network, the cluster and the shared load balancers."""
    return [
        allow("EnvironmentStack", STACK_ACTIONS, [s.environment_stack]),
        # `env delete` looks for the service stacks still in the environment. ListStacks has
        # no resource type (Service Authorization Reference, AWS CloudFormation's actions).
        allow("ListStacks", ["cloudformation:ListStacks"], "*"),
        *environment_network(s),
        *environment_cluster(s),
        # The template bucket (templates/template_bucket.py): what CloudFormation's S3 bucket
        # handlers call for the properties it sets.
        allow("EnvironmentTemplateBucket", TEMPLATE_BUCKET_ACTIONS, [template_bucket(s)]),
        # Created once, never changed by this policy: whoever could change a boundary could
        # lift every role of the environment out of it.
        allow(
            "CreateBoundary",
            ["iam:CreatePolicy", "iam:GetPolicy", "iam:GetPolicyVersion"],
            [s.boundary, s.stack_boundary],
        ),
        *stack_role(s),
    ]


def environment_network(s: Scope) -> list[Statement]:
    """The VPC with its subnets, gateways and routes, and the shared load balancers."""
    return [
        # EC2 authorises creates on ids that do not exist yet: scoped to account and region.
        allow("EnvironmentNetwork", NETWORK_ACTIONS, [s.arn("ec2", "*")]),
        allow(
            "EnvironmentLoadBalancers",
            LOAD_BALANCER_ACTIONS,
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
    ]


def environment_cluster(s: Scope) -> list[Statement]:
    """The ECS cluster, the event rules that carry its services' notifications and the log
    resource policy that lets EventBridge keep their jobs' runs."""
    rule_prefix = s.environment.event_rule_prefix  # the names CloudFormation gives the rules
    return [
        # CreateCluster is authorised on the cluster's ARN, which its name fixes.
        allow("EnvironmentCluster", CLUSTER_ACTIONS, [s.cluster]),
        allow(
            "EnvironmentNotifications",
            EVENT_RULE_ACTIONS,
            [s.arn("events", f"rule/{rule_prefix}*")],
        ),
        # The services' job runs log resource policy (templates/job_runs_policy.py): the
        # AWS::Logs::ResourcePolicy handlers' actions (its CloudFormation schema); the
        # account's log resource policies have no ARN (Service Authorization Reference,
        # CloudWatch Logs).
        allow(
            "JobRunsLogPolicy",
            [
                "logs:DeleteResourcePolicy",
                "logs:DescribeResourcePolicies",
                "logs:PutResourcePolicy",
            ],
            "*",
        ),
    ]
