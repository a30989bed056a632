"""The environment stack's settings, checked, and the names of its exports; pure, and free of
troposphere so that commands reading an environment's record need not import it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from git_lift.errors import ValidationError

# Export keys: the contract with templates/service.py and the env record.
VPC_ID = "VpcId"
VPC_CIDR = "VpcCidr"
PUBLIC_SUBNETS = "PublicSubnets"
PRIVATE_SUBNETS = "PrivateSubnets"
TASK_SUBNETS = "TaskSubnets"  # private with NAT, else public (tasks need a route to ECR)
ASSIGN_PUBLIC_IP = "AssignPublicIp"
CLUSTER_NAME = "ClusterName"
CLUSTER_ARN = "ClusterArn"
LOAD_BALANCER_DNS = "LoadBalancerDns"
HTTP_LISTENER = "HttpListenerArn"
HTTPS_LISTENER = "HttpsListenerArn"
LISTENER = "ListenerArn"  # where public services add rules: HTTPS when there is a certificate
LOAD_BALANCER_SG = "LoadBalancerSecurityGroupId"
INTERNAL_LISTENER = "InternalListenerArn"
INTERNAL_LOAD_BALANCER_SG = "InternalLoadBalancerSecurityGroupId"
INTERNAL_LOAD_BALANCER_DNS = "InternalLoadBalancerDns"
NOTIFICATION_TOPIC = "NotificationTopicArn"
# The role service stacks change with (templates/stack_role.py); an environment created before
# it has none until `git lift env update`.
CLOUDFORMATION_ROLE = "CloudFormationRoleArn"
TEMPLATE_BUCKET = "TemplateBucket"  # templates over 51,200 bytes go there (template_bucket.py)

_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$")
_SNS_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$")
# EC2's ids: a prefix and 8 or 17 hexadecimal digits.
VPC_ID_FORM = re.compile(r"^vpc-[0-9a-f]{8,17}$")
SUBNET_ID_FORM = re.compile(r"^subnet-[0-9a-f]{8,17}$")
# S3's rules for a bucket name: 3-63 lower-case letters, digits, dots and hyphens.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class EnvironmentParams:
    region: str = "eu-west-1"
    vpc_cidr: str = "10.0.0.0/16"
    public_subnet_cidrs: tuple[str, str] = ("10.0.0.0/22", "10.0.4.0/22")
    private_subnet_cidrs: tuple[str, str] = ("10.0.16.0/20", "10.0.32.0/20")
    nat: bool = True  # tasks in private subnets behind one NAT gateway; off: public IPs
    certificate_arn: str | None = None  # ACM: HTTPS listener, HTTP redirects to it
    notification_topic_arn: str | None = None  # SNS: failed ECS deployments are sent there
    internal_load_balancer: bool = False  # a second ALB, inside the VPC, for internal services
    # S3 bucket the load balancers write access logs to, under lift-<env>/; its policy must let
    # the region's Elastic Load Balancing account write there.
    access_logs_bucket: str | None = None
    # An existing VPC (`env create --vpc-id`): git lift makes no VPC, subnets, gateways or
    # routes, and puts the load balancers, security groups and tasks into these subnets
    # (`vpc_cidr` is then the VPC's own range, looked up; `nat`: tasks in the private subnets,
    # which reach the internet through the VPC's own NAT). None: git lift makes the network.
    vpc_id: str | None = None
    public_subnet_ids: tuple[str, ...] = ()
    private_subnet_ids: tuple[str, ...] = ()

    @property
    def existing_vpc(self) -> bool:
        return self.vpc_id is not None


def check_params(params: EnvironmentParams) -> None:
    """Raise ValidationError naming every bad CIDR, id or ARN, before CloudFormation would."""
    problems: list[str] = []
    vpc = _network(params.vpc_cidr, "vpc_cidr", problems)
    if params.existing_vpc:
        problems += check_existing_vpc(params)
    else:
        problems += _subnet_cidr_problems(params, vpc)
    if params.certificate_arn and not _ACM_ARN.match(params.certificate_arn):
        problems.append(f"certificate_arn: {params.certificate_arn!r} is not an ACM ARN")
    if params.notification_topic_arn and not _SNS_ARN.match(params.notification_topic_arn):
        problems.append(
            f"notification_topic_arn: {params.notification_topic_arn!r} is not an SNS ARN"
        )
    if params.access_logs_bucket and not _BUCKET.match(params.access_logs_bucket):
        problems.append(
            f"access_logs_bucket: {params.access_logs_bucket!r} is not an S3 bucket name"
        )
    if problems:
        raise ValidationError("environment settings are not valid:\n  " + "\n  ".join(problems))


def _subnet_cidr_problems(
    params: EnvironmentParams, vpc: ipaddress.IPv4Network | None
) -> list[str]:
    """The new VPC's subnets: valid, inside it, not overlapping."""
    subnets = {
        f"{kind}_subnet_cidrs[{i}]": cidr
        for kind, cidrs in (
            ("public", params.public_subnet_cidrs),
            ("private", params.private_subnet_cidrs),
        )
        for i, cidr in enumerate(cidrs)
    }
    problems: list[str] = []
    parsed = {name: _network(cidr, name, problems) for name, cidr in subnets.items()}
    seen: list[tuple[str, ipaddress.IPv4Network]] = []
    for name, net in parsed.items():
        if net is None:
            continue
        if vpc is not None and not net.subnet_of(vpc):
            problems.append(f"{name}: {net} is not inside the VPC {vpc}")
        problems += [f"{name}: {net} overlaps {other}" for other, o in seen if net.overlaps(o)]
        seen.append((name, net))
    if params.public_subnet_ids or params.private_subnet_ids:
        problems.append("subnet ids name subnets of an existing VPC: give its --vpc-id too")
    return problems


def check_existing_vpc(params: EnvironmentParams) -> list[str]:
    """The ids' forms (no request): the VPC, and two or more distinct subnets of each kind."""
    problems = []
    if not VPC_ID_FORM.match(params.vpc_id or ""):
        problems.append(f"vpc_id: {params.vpc_id!r} is not a VPC id (vpc-0123abcd...)")
    for kind, ids in (("public", params.public_subnet_ids), ("private", params.private_subnet_ids)):
        if len(set(ids)) < 2:
            problems.append(f"{kind}_subnet_ids: two or more subnets, in two zones, are needed")
        problems += [
            f"{kind}_subnet_ids: {i!r} is not a subnet id (subnet-0123abcd...)"
            for i in ids
            if not SUBNET_ID_FORM.match(i)
        ]
    if set(params.public_subnet_ids) & set(params.private_subnet_ids):
        problems.append("a subnet cannot be both public and private")
    return problems


def _network(cidr: str, name: str, problems: list[str]) -> ipaddress.IPv4Network | None:
    try:
        net = ipaddress.IPv4Network(cidr, strict=True)
    except ValueError as e:
        problems.append(f"{name}: {cidr!r} is not an IPv4 CIDR ({e})")
        return None
    if not 16 <= net.prefixlen <= 28:  # the sizes a VPC or subnet may have
        problems.append(f"{name}: {cidr} must be between /16 and /28")
    return net
