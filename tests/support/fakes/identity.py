"""Fakes of the small wrappers: who the caller is (STS), KMS key lookup, an existing VPC, and
the ECS service `adopt` reads by cluster and name. Each keeps its state in plain attributes the
test sets."""

from __future__ import annotations

from typing import Any

from git_lift.aws.ecs import EcsLookup
from git_lift.aws.identity import MANAGED_SSM_KEY, Identity, Keys
from git_lift.aws.network import Network, Subnet
from git_lift.errors import AwsError, LiftError

ACCOUNT = "123456789012"


class FakeIdentity(Identity):
    def __init__(self, region: str = "eu-west-1", account: str = ACCOUNT) -> None:
        self._region, self._account = region, account

    @property
    def region(self) -> str:
        return self._region

    def account(self) -> str:
        return self._account

    def arn(self) -> str:
        return f"arn:aws:iam::{self._account}:user/dev"


class FakeKeys(Keys):
    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = aliases  # alias or key id -> key ARN

    def arn(self, key: str) -> str | None:
        if key == MANAGED_SSM_KEY:
            return None
        if key.startswith("arn:"):
            return key
        if key not in self.aliases:
            raise AwsError(f"resolving the KMS key {key}: NotFoundException")
        return self.aliases[key]


class FakeNetwork(Network):
    def __init__(self, vpcs: dict[str, str], subnets: dict[str, Subnet]) -> None:
        self.vpcs, self.known_subnets = vpcs, subnets  # vpc id -> CIDR; subnet id -> Subnet

    def vpc_cidr(self, vpc_id: str) -> str:
        if vpc_id not in self.vpcs:
            raise AwsError(f"looking up the VPC {vpc_id}: InvalidVpcID.NotFound")
        return self.vpcs[vpc_id]

    def subnets(self, ids: list[str]) -> dict[str, Subnet]:
        missing = [i for i in ids if i not in self.known_subnets]
        if missing:
            raise AwsError(f"looking up the subnets: InvalidSubnetID.NotFound {missing}")
        return {i: self.known_subnets[i] for i in ids}


class FakeEcsLookup(EcsLookup):
    def __init__(self, services: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]]):
        self.services = services  # (cluster, service) -> (service, task definition)

    def active_service(self, cluster: str, service: str) -> tuple[dict[str, Any], dict[str, Any]]:
        if (cluster, service) not in self.services:
            raise LiftError(f"there is no active ECS service {service} in cluster {cluster}")
        return self.services[(cluster, service)]
