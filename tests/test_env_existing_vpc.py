"""`git lift env create --vpc-id`: an environment in a VPC that exists (made here with boto3,
as another tool would have), against the sandbox over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.helpers import Lift
from tests.support.infra import client, lint, outputs, stack, template_text

NETWORK_KINDS = {
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::NatGateway",
    "AWS::EC2::RouteTable",
    "AWS::EC2::Route",
}


def existing_vpc() -> tuple[str, list[str], list[str]]:
    """A VPC with two public and two private subnets, in two zones."""
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="172.30.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"172.30.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(["eu-west-1a", "eu-west-1b", "eu-west-1a", "eu-west-1b"])
    ]
    return vpc, subnets[:2], subnets[2:]


def vpc_flags(vpc: str, public: list[str], private: list[str]) -> list[str]:
    return [
        "--vpc-id",
        vpc,
        "--public-subnets",
        ",".join(public),
        "--private-subnets",
        ",".join(private),
    ]


def test_env_create_in_an_existing_vpc_makes_no_network(aws: Any, lift: Lift) -> None:
    vpc, public, private = existing_vpc()
    vpcs_before = len(client("ec2").describe_vpcs()["Vpcs"])
    args = ["env", "create", "-e", "staging", "--yes", "--internal-load-balancer"]
    result = lift(*args, *vpc_flags(vpc, public, private))
    assert result.returncode == 0, result.stderr
    assert "+ Vpc" not in result.stderr and "NatGateway" not in result.stderr
    assert stack("lift-staging")["StackStatus"] == "CREATE_COMPLETE"
    template = json.loads(template_text("lift-staging"))
    assert not {r["Type"] for r in template["Resources"].values()} & NETWORK_KINDS
    assert lint(template_text("lift-staging")) == []
    assert len(client("ec2").describe_vpcs()["Vpcs"]) == vpcs_before
    out = outputs("lift-staging")
    assert out["VpcId"] == vpc and out["VpcCidr"] == "172.30.0.0/16"
    assert out["TaskSubnets"] == ",".join(private) and out["AssignPublicIp"] == "DISABLED"
    (balancer,) = [
        b
        for b in client("elbv2").describe_load_balancers()["LoadBalancers"]
        if b["Scheme"] == "internet-facing"
    ]
    assert balancer["VpcId"] == vpc
    assert sorted(z["SubnetId"] for z in balancer["AvailabilityZones"]) == sorted(public)
    groups = client("ec2").describe_security_groups(
        Filters=[{"Name": "tag:lift:environment", "Values": ["staging"]}]
    )["SecurityGroups"]
    assert groups and {g["VpcId"] for g in groups} == {vpc}

    shown = lift("env", "show", "-e", "staging")
    assert (
        f"vpc           {vpc} (172.30.0.0/16, existing), tasks in private subnets" in shown.stdout
    )
    moved = lift("env", "update", "-e", "staging", "--yes", *vpc_flags(*existing_vpc()))
    assert moved.returncode == 2
    assert f"error: environment staging is in {vpc}; an environment's VPC does not change" in (
        moved.stderr
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--vpc-id", "vpc-XYZ", "--public-subnets", "subnet-0a1b2c3d,subnet-0a1b2c3e"],
            "error: --vpc-id 'vpc-XYZ' is not a VPC id",
        ),
        (
            ["--vpc-id", "vpc-0a1b2c3d", "--public-subnets", "subnet-0a1b2c3d,subnet-nothex1"],
            "--public-subnets takes the ids of two or more subnets of the VPC",
        ),
        (
            ["--vpc-id", "vpc-0a1b2c3d", "--public-subnets", "10.0.0.0/22,10.0.4.0/22"],
            "--vpc-id needs the ids of its public and private subnets",
        ),
        (
            ["--vpc-id", "vpc-0a1b2c3d", "--vpc-cidr", "10.0.0.0/16"],
            "--vpc-cidr is for a VPC git lift makes, not with --vpc-id",
        ),
    ],
)
def test_bad_ids_are_refused_before_any_request(
    aws: Any, lift: Lift, args: list[str], message: str
) -> None:
    aws.reset_counts()
    result = lift("env", "create", "-e", "staging", "--yes", *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert aws.request_counts() == {}


def test_subnets_outside_the_vpc_or_in_one_zone_are_refused_before_any_stack(
    aws: Any, lift: Lift
) -> None:
    vpc, public, private = existing_vpc()
    other, _, other_private = existing_vpc()
    result = lift(
        "env",
        "create",
        "-e",
        "staging",
        "--yes",
        *vpc_flags(vpc, public, [private[0], other_private[1]]),
    )
    assert result.returncode == 1
    assert f"error: the subnets do not fit {vpc}" in result.stderr
    assert f"{other_private[1]} is in {other}, not in {vpc}" in result.stderr
    assert "the private subnets are all in one zone" in result.stderr
    assert "hint: list the VPC's subnets: aws ec2 describe-subnets" in result.stderr
    assert "cloudformation.CreateChangeSet" not in aws.request_counts()
