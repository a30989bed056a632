"""An existing VPC and its subnets, as EC2 describes them (`env create --vpc-id`). Takes its
client from the Aws factory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from git_lift.aws.clients import translate_errors


@dataclass(frozen=True)
class Subnet:
    id: str
    vpc_id: str
    zone: str


class Network:
    def __init__(self, ec2: Any) -> None:
        self._ec2 = ec2

    def vpc_cidr(self, vpc_id: str) -> str:
        """The VPC's primary range (an unknown id is AWS's InvalidVpcID.NotFound)."""
        with translate_errors(f"looking up the VPC {vpc_id}"):
            (vpc,) = self._ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
        return str(vpc["CidrBlock"])

    def subnets(self, ids: list[str]) -> dict[str, Subnet]:
        """The subnets by id (an unknown id is AWS's InvalidSubnetID.NotFound)."""
        with translate_errors("looking up the subnets"):
            found = self._ec2.describe_subnets(SubnetIds=ids)["Subnets"]
        return {
            s["SubnetId"]: Subnet(s["SubnetId"], s["VpcId"], s["AvailabilityZone"]) for s in found
        }
