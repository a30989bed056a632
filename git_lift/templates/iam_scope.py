"""What an IAM policy of git lift is about: the services (Targets) of one environment in one
region and account, and the statement shape; pure. Every name in an ARN comes from the
Targets and their Environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from git_lift.target import TAG_ENV, WEB, Environment, Target, arn
from git_lift.templates.task_policies import (
    ROLE_KINDS,
    boundary_arn,
    job_role_arns,
    service_role_arns,
    stack_boundary_arn,
    stack_policy_arn,
    stack_role_arn,
    traffic_role_arns,
)

Statement = dict[str, Any]


@dataclass(frozen=True)
class Scope:
    targets: tuple[Target, ...]  # the repository's services in one environment
    region: str
    account: str
    kms_key_arn: str | None = None  # None: the AWS managed key of SSM, which needs no grant
    pins_config: bool = False  # the environment pins config (pinConfig): ship copies values
    locks_config: bool = False  # configLock: a release checks the store against the lock
    # Secrets Manager ARNs env.sample names (secret_refs.py), described for their rotation.
    secret_refs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.targets or len({t.env for t in self.targets}) != 1:
            raise ValueError("a policy scope is one or more services of one environment")

    @property
    def environment(self) -> Environment:
        return self.targets[0].environment_names

    @property
    def env(self) -> str:
        return self.environment.name

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.targets)

    def arn(self, service: str, resource: str) -> str:
        """An ARN in the scope's account and region (none for IAM, as AWS writes it)."""
        return arn(service, self.region, self.account, resource)

    def each(self, service: str, resource: Callable[[Target], str]) -> list[str]:
        """One ARN per service of the repo, its resource part named by the Target."""
        return [self.arn(service, resource(t)) for t in self.targets]

    def parameters(self, within: str = "") -> list[str]:
        """Each service's parameters: the path itself, or `within` it (`/*`)."""
        return self.each("ssm", lambda t: f"parameter{t.parameter_path}{within}")

    def log_groups(self, suffix: str = "") -> list[str]:
        """Each service's log group (its streams: suffix `:*`)."""
        return self.each("logs", lambda t: f"log-group:{t.log_group}{suffix}")

    def with_processes(self, service: str, resource: Callable[[Target], str]) -> list[str]:
        """Each service's ARN and its processes' (processcfg.py: `api` and `api_*`; a
        process's names are the service's, `_` and the process, Target.for_process)."""
        return [
            self.arn(service, resource(t.for_process(p))) for t in self.targets for p in (WEB, "*")
        ]

    @property
    def ecs_services(self) -> list[str]:
        return self.with_processes("ecs", lambda t: f"service/{t.cluster}/{t.ecs_service}")

    @property
    def service_deployments(self) -> list[str]:
        """Each service's service deployments (blue/green, canary, linear: issue 21)."""
        return self.with_processes(
            "ecs", lambda t: f"service-deployment/{t.cluster}/{t.ecs_service}/*"
        )

    @property
    def task_definitions(self) -> list[str]:
        """Every revision of each service's task definition families (its processes')."""
        return self.with_processes("ecs", lambda t: f"task-definition/{t.task_family}:*")

    @property
    def cluster(self) -> str:
        return self.arn("ecs", f"cluster/{self.environment.cluster}")

    @property
    def tasks(self) -> str:
        """Every task of the environment's cluster."""
        return self.arn("ecs", f"task/{self.environment.cluster}/*")

    @property
    def environment_stack(self) -> str:
        return self.arn("cloudformation", f"stack/{self.environment.stack}/*")

    @property
    def roles(self) -> list[str]:
        return [self.arn("iam", f"role/{t.role_name(k)}") for t in self.targets for k in ROLE_KINDS]

    @property
    def environment_roles(self) -> list[str]:
        """Every service's task and execution roles in the environment
        (`Environment.service_roles`)."""
        return service_role_arns(self.environment, self.region, self.account)

    @property
    def every_service_role(self) -> list[str]:
        """Also the scheduled jobs' and traffic roles."""
        place = (self.environment, self.region, self.account)
        return self.environment_roles + job_role_arns(*place) + traffic_role_arns(*place)

    @property
    def stack_role(self) -> str:
        """The role CloudFormation changes the service stacks with."""
        return stack_role_arn(self.environment, self.region, self.account)

    @property
    def stack_role_policy(self) -> str:
        """The CloudFormation role's managed policy, which the environment stack makes."""
        return stack_policy_arn(self.environment, self.region, self.account)

    @property
    def boundary(self) -> str:
        return boundary_arn(self.environment, self.region, self.account)

    @property
    def stack_boundary(self) -> str:
        """The CloudFormation role's own boundary."""
        return stack_boundary_arn(self.environment, self.region, self.account)

    @property
    def env_request_tag(self) -> dict[str, str]:
        return request_tag(self.env)


def resource_tag(env: str) -> dict[str, str]:
    """A resource tagged with environment `env`."""
    return {f"aws:ResourceTag/{TAG_ENV}": env}


def request_tag(env: str) -> dict[str, str]:
    """A request that tags with environment `env`."""
    return {f"aws:RequestTag/{TAG_ENV}": env}


def claim(env: str) -> dict[str, Any]:
    """Tag a resource with environment `env` only while it has no environment tag: a request
    tag alone would let staging re-tag production's resource and then own it."""
    return {"Null": {f"aws:ResourceTag/{TAG_ENV}": "true"}, "StringEquals": request_tag(env)}


def allow(sid: str, actions: list[str], resources: list[str] | str, **extra: Any) -> Statement:
    statement: Statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions)}
    listed = [resources] if isinstance(resources, str) else resources
    statement["Resource"] = "*" if listed == ["*"] else sorted(set(listed))
    statement.update(extra)
    return statement


def leading_keys(*keys: str) -> dict[str, Any]:
    """Items whose partition key is one of `keys` (every key of a batch or transaction)."""
    return {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": sorted(keys)}}
