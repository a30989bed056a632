"""`FakeAws`: the factory of AWS wrappers (aws/factory.py) over in-memory fakes of one account,
so that a real Context runs commands and flows in-process. Each fake keeps its state here,
where the test looks: `aws.ssm` (parameters), `aws.store` (the table), `aws.ecs_services`,
`aws.cfn`, `aws.secrets`, `aws.log_groups`, `aws.buckets`, `aws.ecr_repos`. Nothing reaches
boto3: a wrapper without a fake fails, naming what is missing. The methods are typed as the
real factory's (tests/fast/test_fakes.py compares them); the test reads the fakes' state here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from git_lift.aws.cfn import CloudFormation
from git_lift.aws.ecr import Ecr
from git_lift.aws.ecs import Ecs, EcsLookup
from git_lift.aws.factory import Aws
from git_lift.aws.identity import Identity, Keys
from git_lift.aws.logs import LogEvent, Logs
from git_lift.aws.network import Network, Subnet
from git_lift.aws.notices import Notices
from git_lift.aws.schedules import JobSchedule, Schedules
from git_lift.aws.secrets import SecretMetadata, Snapshots
from git_lift.aws.ssm import NamesSeen, ParameterStore
from git_lift.aws.store import Store
from git_lift.aws.templates_bucket import TemplatesBucket
from git_lift.settings import Settings
from git_lift.target import Target
from tests.support.fakes.cfn import FakeCloudFormation, FakeTemplatesBucket
from tests.support.fakes.clock import Clock
from tests.support.fakes.ecs import FakeEcs
from tests.support.fakes.identity import FakeEcsLookup, FakeIdentity, FakeKeys, FakeNetwork
from tests.support.fakes.images import FakeEcr
from tests.support.fakes.logs import FakeLogs
from tests.support.fakes.notices import FakeNotices, NoticeState
from tests.support.fakes.schedules import FakeSchedules
from tests.support.fakes.secrets import FakeSecretMetadata, FakeSnapshots, Secrets
from tests.support.fakes.ssm import FakeParameterStore, Parameters
from tests.support.fakes.table import FakeStore

if TYPE_CHECKING:
    from git_lift.aws.clients import Clients


class FakeAws(Aws):
    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        *,
        tasks: Callable[[str], str] = lambda arn: "start",
        breaker: bool = True,
        hook: bool = False,
    ) -> None:
        self.fake_clock = clock or Clock()
        tick = self.fake_clock
        super().__init__(settings, hook=hook, sleep=tick.sleep, clock=tick, wall_clock=tick)
        self.ssm = Parameters(tick)
        self.store = FakeStore(tick)
        self.tasks, self.breaker = tasks, breaker
        self.ecs_services: dict[tuple[str, str], FakeEcs] = {}
        self.cfn = FakeCloudFormation(tick.sleep, tick)
        self.secrets = Secrets()
        self.log_groups: dict[str, list[LogEvent]] = {}
        self.job_run_reads: list[str] = []  # each read of a job-runs log group (FakeLogs)
        self.buckets: dict[str, dict[str, str]] = {}
        self.ecr_repos = FakeEcr()
        self.kms_aliases: dict[str, str] = {}  # alias or key id -> key ARN
        self.vpcs: dict[str, str] = {}  # VPC id -> CIDR
        self.subnets: dict[str, Subnet] = {}
        # (cluster, ECS service) -> (DescribeServices service, its task definition), for adopt
        self.existing_services: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {}
        self.schedule_groups: dict[str, dict[str, JobSchedule]] = {}  # group -> job -> schedule
        self.notice_state = NoticeState()  # webhook URLs and what SNS was sent (issue 24)

    def clients(self, env: str | None = None) -> Clients:
        raise AssertionError("in-process tests have no boto3 clients: use a fake wrapper")

    def parameters(self, target: Target, seen: NamesSeen | None = None) -> ParameterStore:
        return FakeParameterStore(self.ssm, target, self.settings.kms_key, seen)

    def table(self, env: str | None = None) -> Store:
        return self.store

    def ecs(self, target: Target) -> Ecs:
        key = (target.env, target.ecs_service)  # each process's ECS service is its own
        if key not in self.ecs_services:
            fake = FakeEcs(target, tasks=self.tasks, breaker=self.breaker)
            fake.log_groups = self.log_groups  # one-off tasks write where `logs` reads
            self.ecs_services[key] = fake
        return self.ecs_services[key]

    def ecs_of(self, target: Target) -> FakeEcs:
        """The fake behind `ecs(target)`, typed as the fake, for the test to drive and read."""
        found = self.ecs(target)
        assert isinstance(found, FakeEcs)
        return found

    def stacks(self, env: str | None = None) -> CloudFormation:
        return self.cfn

    def templates_bucket(self, env: str, bucket: str) -> TemplatesBucket:
        return FakeTemplatesBucket(self.buckets.setdefault(bucket, {}), bucket)

    def logs(self, target: Target) -> Logs:
        return FakeLogs(self.log_groups, target, self.job_run_reads)

    def snapshots(self, target: Target) -> Snapshots:
        return FakeSnapshots(self.secrets, target)

    def secret_metadata(self, env: str) -> SecretMetadata:
        return FakeSecretMetadata(self.secrets)

    def ecr(self, env: str | None = None) -> Ecr:
        return self.ecr_repos

    def identity(self, env: str | None = None, *, before_role: bool = False) -> Identity:
        return FakeIdentity()

    def keys(self, env: str | None = None) -> Keys:
        return FakeKeys(self.kms_aliases)

    def network(self, env: str) -> Network:
        return FakeNetwork(self.vpcs, self.subnets)

    def ecs_lookup(self, env: str) -> EcsLookup:
        return FakeEcsLookup(self.existing_services)

    def schedules(self, target: Target) -> Schedules:
        return FakeSchedules(self.schedule_groups, target)

    def notices(self, env: str) -> Notices:
        from git_lift.target import Environment

        parameter = Environment(self.settings.environment(env)).notify_webhook_parameter
        return FakeNotices(self.notice_state, parameter)
