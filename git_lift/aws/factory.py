"""`Aws`: where commands get their AWS wrappers, one typed wrapper per service, for a Target
or an environment. The CLI builds one per command (a hook's with the short retry budget,
chosen here, not patched in later); tests build theirs with fakes, a `sleep` and a clock.

Importing this module imports no boto3: clients are made on first use (aws/clients.py).
Each environment gets its own clients, so an environment can have its own credentials,
region and account.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from git_lift.settings import EnvironmentAws, Settings

if TYPE_CHECKING:
    from git_lift.aws.cfn import CloudFormation
    from git_lift.aws.clients import Clients
    from git_lift.aws.ecr import Ecr
    from git_lift.aws.ecs import Ecs, EcsLookup
    from git_lift.aws.identity import Identity, Keys
    from git_lift.aws.logs import Logs
    from git_lift.aws.network import Network
    from git_lift.aws.notices import Notices
    from git_lift.aws.schedules import Schedules
    from git_lift.aws.secrets import SecretMetadata, Snapshots
    from git_lift.aws.ssm import NamesSeen, ParameterStore
    from git_lift.aws.store import Store
    from git_lift.aws.templates_bucket import TemplatesBucket
    from git_lift.target import Target

Sleep = Callable[[float], None]
Clock = Callable[[], float]


class Aws:
    def __init__(
        self,
        settings: Settings,
        *,
        hook: bool = False,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
    ) -> None:
        self.settings = settings
        self.hook = hook  # someone waits on git: AWS gets seconds, not minutes
        self.sleep = sleep
        self.clock = clock
        self.wall_clock = wall_clock
        self._clients: dict[str | None, Clients] = {}
        self._lock = threading.Lock()

    def clients(self, env: str | None = None) -> Clients:
        """The clients of one environment, with its own credentials, region and expected
        account (made once; thread-safe); without `env`, the settings every environment
        shares."""
        with self._lock:
            if env not in self._clients:
                from git_lift.aws.clients import HOOK_CONFIG, RETRY_CONFIG, Clients

                config = HOOK_CONFIG if self.hook else RETRY_CONFIG
                self._clients[env] = Clients(self._where(env), config, environment=env)
            return self._clients[env]

    def _where(self, env: str | None) -> EnvironmentAws:
        if env is not None and env in self.settings.environments:
            return self.settings.environments[env].aws
        return EnvironmentAws(region=self.settings.region, profile=self.settings.profile)

    # One wrapper per AWS service; nothing outside aws/ gets a plain client. ---------------

    def parameters(self, target: Target, seen: NamesSeen | None = None) -> ParameterStore:
        from git_lift.aws.ssm import ParameterStore

        client = self.clients(target.env).ssm
        return ParameterStore(client, target, self.settings.kms_key, seen)

    def table(self, env: str | None = None) -> Store:
        from git_lift.aws.store import Store

        return Store(self.clients(env).dynamodb, clock=self.wall_clock)

    def ecs(self, target: Target) -> Ecs:
        from git_lift.aws.ecs import Ecs

        def stack_left() -> bool:
            found = self.stacks(target.env).stack(target.stack)
            return found is not None and not found.status.startswith("DELETE")

        return Ecs(
            self.clients(target.env).ecs,
            target,
            self.settings.service_flag(target.service.name),
            stack_left=stack_left,
        )

    def stacks(self, env: str | None = None) -> CloudFormation:
        from git_lift.aws.cfn import CloudFormation

        return CloudFormation(self.clients(env).cloudformation, self.sleep, self.clock)

    def templates_bucket(self, env: str, bucket: str) -> TemplatesBucket:
        from git_lift.aws.templates_bucket import TemplatesBucket

        return TemplatesBucket(self.clients(env).s3, bucket)

    def logs(self, target: Target) -> Logs:
        from git_lift.aws.logs import Logs

        return Logs(
            self.clients(target.env).logs, target, self.settings.service_flag(target.service.name)
        )

    def snapshots(self, target: Target) -> Snapshots:
        from git_lift.aws.secrets import Snapshots

        return Snapshots(self.clients(target.env).secretsmanager, target)

    def secret_metadata(self, env: str) -> SecretMetadata:
        """The secrets an environment's config refers to, described in its account."""
        from git_lift.aws.secrets import SecretMetadata

        return SecretMetadata(self.clients(env).secretsmanager)

    def ecr(self, env: str | None = None) -> Ecr:
        from git_lift.aws.ecr import Ecr

        return Ecr(self.clients(env).ecr)

    def ecs_lookup(self, env: str) -> EcsLookup:
        from git_lift.aws.ecs import EcsLookup

        return EcsLookup(self.clients(env).ecs)

    def identity(self, env: str | None = None, *, before_role: bool = False) -> Identity:
        """Who the environment's credentials are; `before_role`: as the profile or keys see
        themselves before its roleArn is assumed (who a deployer role must trust)."""
        from git_lift.aws.identity import Identity

        if not before_role:
            return Identity(self.clients(env).sts)
        from git_lift.aws.clients import HOOK_CONFIG, RETRY_CONFIG, Clients

        own = dataclasses.replace(self._where(env), role_arn=None, external_id=None, account=None)
        return Identity(Clients(own, HOOK_CONFIG if self.hook else RETRY_CONFIG).sts)

    def keys(self, env: str | None = None) -> Keys:
        from git_lift.aws.identity import Keys

        return Keys(self.clients(env).kms)

    def network(self, env: str) -> Network:
        from git_lift.aws.network import Network

        return Network(self.clients(env).ec2)

    def schedules(self, target: Target) -> Schedules:
        from git_lift.aws.schedules import Schedules

        return Schedules(self.clients(target.env).scheduler, target)

    def notices(self, env: str) -> Notices:
        """An environment's notice channels, with the hook's short retry budget (10 s in all):
        a notice is told after the release, and never holds it up for long."""
        from git_lift.aws.clients import HOOK_CONFIG, Clients
        from git_lift.aws.notices import Notices
        from git_lift.target import Environment

        clients = Clients(self._where(env), HOOK_CONFIG, environment=env)
        parameter = Environment(self.settings.environment(env)).notify_webhook_parameter
        return Notices(clients.ssm, clients.sns, parameter, self.settings.kms_key)
