"""What git lift acts on, and every name the conventions derive from it; pure.

`Target` is one service in one environment; `Environment` is the environment alone (its
cluster and stack, shared by its services). They own every naming convention: parameter
paths and ARNs, cluster, ECS service, task family, container, log group, stacks, ECR
repository, roles, the pinned-config secret, release tags, the table's keys and the names of
private files under `.git/lift/`. No other module spells one, so adopting infrastructure
named otherwise is a change here alone (tests/test_target.py greps for strays).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable

from git_lift import limits
from git_lift.errors import UsageError
from git_lift.records import field, record, replace
from git_lift.settings import EnvironmentSettings, ServiceSettings, TargetOverrides

TABLE = "git-lift"  # the DynamoDB table of records, locks and service documents
ENVIRONMENT_RECORDS = "environment"  # the partition key of every environment's record
PREFIX = "lift"
TAG_ENV = "lift:environment"  # the tags every resource git lift makes carries
TAG_SERVICE = "lift:service"
LONGEST_PLACE = ("123456789012", "ap-southeast-2")  # an account and a longest region
# Processes (processcfg.py): `web` is the service's own ECS service and task family; another
# process's are the web's names, `_` and the process. ECS service names and task families
# take letters, digits, hyphens and underscores (CreateService serviceName,
# RegisterTaskDefinition family: "Up to 255 letters, numbers, underscores, and hyphens"), and
# no git lift service name holds `_` (names.py), so `api_worker` is never another service's.
WEB = "web"
PROCESS_SEPARATOR = "_"
# A process other than web logs under `process.NAME/` (Target.log_stream_prefix).
PROCESS_LOG_PREFIX = "process."
# A preview's name is `<service>--<slug>`: service names never hold two hyphens in a row
# (names.py), so the first `--` splits it back.
PREVIEW_SEPARATOR = "--"
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
EVERY_PREVIEW = "*"  # the slug of a policy's Target that stands for every preview (IAM wildcard)
SLUG_HASH = 8  # hex digits of the branch's SHA-256 that keep a changed slug unique
DNS_LABEL = 63  # a slug is also a host name's first label (RFC 1035 2.3.4: 63 octets)


def role_session_name(user: str) -> str:
    """The session name git lift assumes roles with, as CloudTrail shows who acted."""
    return f"git-{PREFIX}-{user}"[:64]


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def arn(service: str, region: str, account: str, resource: str) -> str:
    """An ARN as AWS writes it: no region for IAM, neither region nor account for S3 (its
    bucket names are global)."""
    if service == "s3":
        return f"arn:{partition(region)}:s3:::{resource}"
    where = "" if service == "iam" else region
    return f"arn:{partition(region)}:{service}:{where}:{account}:{resource}"


def preview_slug(branch: str, pattern: str, longest: int) -> str:
    """The slug of a branch's preview: the part of the ref the environment's glob matched
    (`refs/heads/feature/*` + `refs/heads/feature/Checkout` -> `Checkout`), as is when it is
    already a slug of at most `longest` characters, else lower-cased, every run of other
    characters a hyphen, cut to fit and ended by a hash of the whole ref. So a slug is
    always valid in every name it goes into, two branches never share one (an unchanged
    part is its own; a changed one carries the ref's hash), and the same ref always gets
    the same."""
    literal = re.split(r"[*?\[]", pattern, maxsplit=1)[0]
    part = branch.removeprefix(literal) if branch.startswith(literal) else branch
    part = part.removeprefix("refs/heads/")
    if SLUG.fullmatch(part) and len(part) <= longest and not _hashed(part):
        return part
    import hashlib  # a branch of a preview only: OpenSSL stays off the hooks' path

    digest = hashlib.sha256(branch.encode()).hexdigest()[:SLUG_HASH]
    cleaned = re.sub(r"[^a-z0-9]+", "-", part.lower()).strip("-")
    room = longest - SLUG_HASH - 1
    cleaned = cleaned[:room].rstrip("-") if room > 0 else ""
    return f"{cleaned}-{digest}" if cleaned else digest


def _hashed(part: str) -> bool:
    """A part that looks like what preview_slug makes of another ref (ends in a hash, or is
    one) is hashed itself, so it can never take another branch's slug."""
    tail = part.rpartition("-")[2]
    return len(tail) == SLUG_HASH and all(c in "0123456789abcdef" for c in tail)


def split_preview(name: str) -> tuple[str, str] | None:
    """`shop--checkout` -> (`shop`, `checkout`); None for a service's own name."""
    service, sep, slug = name.partition(PREVIEW_SEPARATOR)
    return (service, slug) if sep and slug else None


@record(frozen=True)
class Preview:
    """What makes a Target a branch's preview: its slug, and the environment whose config
    (Parameter Store) it reads where it has no override of its own."""

    slug: str
    base: EnvironmentSettings
    overridden: frozenset[str] = frozenset()  # keys set under the preview's own path


@record(frozen=True)
class Environment:
    """Names derived from an environment alone."""

    settings: EnvironmentSettings

    def __post_init__(self) -> None:
        """Every name derived from the environment fits what AWS accepts, checked once here
        (names.py checks the characters)."""
        first = self.parameter_path.lstrip("/").lower()
        reserved = next((p for p in limits.PARAMETER_RESERVED if first.startswith(p)), None)
        if reserved is not None:
            raise UsageError(
                f"environment {self.name!r}: Parameter Store refuses parameter names that begin "
                f'with "aws" or "ssm" ({self.parameter_path}/...), so no config could be written',
                hint=f"name the environment otherwise in .gitlift (e.g. {_unreserved(self.name)})",
            )
        limits.check_name_lengths(
            [
                ("the environment stack", self.stack, limits.STACK_NAME),
                ("the cluster", self.cluster, limits.ECS_NAME),
                ("the boundary policy", self.boundary_policy, limits.POLICY_NAME),
                ("the stack role's boundary", self.stack_boundary_policy, limits.POLICY_NAME),
                ("the stack role's policy", self.cloudformation_policy, limits.POLICY_NAME),
                ("the template bucket", self.template_bucket(*LONGEST_PLACE), limits.BUCKET_NAME),
            ],
            fix="use a shorter environment name in .gitlift",
        )

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def cluster(self) -> str:
        """`lift-<env>`, or the existing cluster the environment adopted."""
        return self.settings.aws.cluster or f"{PREFIX}-{self.name}"

    @property
    def stack(self) -> str:
        return f"{PREFIX}-{self.name}"

    @property
    def service_stack_prefix(self) -> str:
        """Every service's stack in the environment starts with it (`Target.stack`); so do an
        environment `<env>-x`'s stacks, which callers tell apart."""
        return f"{self.stack}-"

    def export(self, key: str) -> str:
        """The name of one of the environment stack's exports."""
        return f"{PREFIX}-{self.name}-{key}"

    def resource_name(self, *parts: str) -> str:
        """A Name tag or resource name inside the environment (`lift-staging-public-1`)."""
        return "-".join((PREFIX, self.name, *parts))

    @property
    def tags(self) -> dict[str, str]:
        """The tags of the environment's resources."""
        return {TAG_ENV: self.name}

    @property
    def boundary_policy(self) -> str:
        return f"{PREFIX}-{self.name}-boundary"

    @property
    def stack_boundary_policy(self) -> str:
        """`lift-<env>-boundary-cloudformation`: the permissions boundary of the
        CloudFormation role alone. Not `...-cloudformation-boundary`: that is environment
        `<env>-cloudformation`'s `boundary_policy`; no boundary policy name ends like this one."""
        return f"{PREFIX}-{self.name}-boundary-cloudformation"

    @property
    def cloudformation_policy(self) -> str:
        """`lift-<env>-cloudformation-resources`: the managed policy of the CloudFormation role's
        rights on the services' own resources (templates/environment_role.py); no boundary's
        name (`lift-*-boundary[-cloudformation]`) ends like it."""
        return f"{self.cloudformation_role}-resources"

    @property
    def job_runs_policy(self) -> str:
        """`lift-<env>-job-runs`: the CloudWatch Logs resource policy letting EventBridge write
        every service's job runs log group (`job_runs_log_groups`, templates/job_runs_policy.py)."""
        return f"{PREFIX}-{self.name}-job-runs"

    @property
    def job_runs_log_groups(self) -> str:
        """The pattern of every service's `Target.job_runs_log_group` in the environment."""
        return f"{self.log_group_prefix}*/job-runs"

    @property
    def cloudformation_role(self) -> str:
        """`lift-<env>-cloudformation`: the role CloudFormation changes the service stacks
        with; it matches no service role (`service_roles`)."""
        return f"{PREFIX}-{self.name}-cloudformation"

    def service_roles(self, kind: str) -> str:
        """The pattern of every service's `Target.role_name(kind)` in the environment. Names
        hold hyphens, so `lift-qa-*` also matches environment `qa-1`'s: policies that use it
        also check the role's boundary or tags."""
        return f"{PREFIX}-{self.name}-*-{kind}"

    @property
    def task_family_prefix(self) -> str:
        """Every service's task family in the environment starts with it (`Target.task_family`)."""
        return f"{self.name}-"

    @property
    def parameter_path(self) -> str:
        """`/<env>`: every service's parameters in the environment, without the slash."""
        return f"/{self.name}"

    @property
    def notify_webhook_parameter(self) -> str:
        """The SecureString holding the environment's notification webhook URL (issue 24).
        The dot keeps it out of every `/<env>/<service>` config path: no environment's name
        has one (names.py)."""
        return f"/{PREFIX}.notices/{self.name}/webhook"

    def template_bucket(self, account: str, region: str) -> str:
        """The S3 bucket of templates over CloudFormation's 51,200-byte TemplateBody: S3's
        names are global, so the account and region make it ours (at most 57 characters)."""
        return f"{PREFIX}-{self.name}-cfn-{account}-{region}"

    @property
    def read_parameter_paths(self) -> list[str]:
        """Where the environment's tasks read config: its own path, and for a preview
        environment its base's, whose config the previews run."""
        base = self.settings.preview.base if self.settings.preview else None
        return [self.parameter_path] + ([f"/{base}"] if base else [])

    @property
    def log_group_prefix(self) -> str:
        """Every service's log group in the environment starts with it."""
        return f"/{PREFIX}/{self.name}/"

    @property
    def snapshot_secret_prefix(self) -> str:
        """Every service's pinned-config secret in the environment starts with it."""
        return f"{PREFIX}/{self.name}/"

    @property
    def access_log_prefix(self) -> str:
        return f"{PREFIX}-{self.name}"

    @property
    def alarm_prefix(self) -> str:
        """Every service's generated deployment alarm starts with it (`Target.deployment_alarm`)."""
        return f"{PREFIX}-{self.name}-"

    @property
    def event_rule_prefix(self) -> str:
        return f"{PREFIX}-{self.name}-"

    @property
    def record_key(self) -> str:
        """The environment record's sort key in the table."""
        return self.name

    def release_key(self, service: str) -> str:
        return f"release#{self.name}#{service}"

    def service_key(self, service: str) -> str:
        return f"service#{self.name}#{service}"

    def lease_key(self, service: str) -> str:
        return f"config#{self.name}#{service}"


@record(frozen=True)
class Target:
    """One service in one environment."""

    environment: EnvironmentSettings
    service: ServiceSettings
    # Names of infrastructure git lift did not create (`git lift adopt`); None: the convention.
    overrides: TargetOverrides = field(default_factory=TargetOverrides)
    # The process of the service this target names (processcfg.py): `web`, or a worker's.
    process: str = WEB
    preview: Preview | None = None  # a branch's preview of the service (issue 23)

    @property
    def env(self) -> str:
        return self.environment.name

    @property
    def name(self) -> str:
        """The service's name; a preview's is `<service>--<slug>`, and so are every name
        derived from it (stack, ECS service, roles, log group, `/<env>/<service>--<slug>/`)."""
        if self.preview is None:
            return self.service.name
        return f"{self.service.name}{PREVIEW_SEPARATOR}{self.preview.slug}"

    @property
    def environment_names(self) -> Environment:
        return Environment(self.environment)

    def __str__(self) -> str:
        return f"{self.name} in {self.env}"

    def for_process(self, process: str) -> Target:
        """The same service's process `process`: its own ECS service, task family and scaling
        policies; every other name (stack, roles, logs, records) is the service's."""
        return replace(self, process=process)

    @property
    def log_stream_prefix(self) -> str | None:
        """The awslogs-stream-prefix of every container in the process's task definition:
        None for web's (each container its own name, as before processes), `process.NAME`
        for another process's, so that `git lift logs --process NAME` reads its streams alone
        (ECS names a stream PREFIX/CONTAINER/TASK-ID; no container name holds a `.`: ECS takes
        letters, digits, hyphens and underscores, RegisterTaskDefinition)."""
        return None if self.process == WEB else f"{PROCESS_LOG_PREFIX}{self.process}"

    @property
    def process_streams(self) -> str:
        """The log stream name prefix of the process's app container (`git lift logs
        --process`)."""
        return f"{self.log_stream_prefix or self.container}/{self.container}/"

    def _of_process(self, name: str) -> str:
        return name if self.process == WEB else f"{name}{PROCESS_SEPARATOR}{self.process}"

    def __post_init__(self) -> None:
        """Every name derived from the service in this environment fits what AWS accepts
        and its environment's (Environment)."""
        self.environment_names  # noqa: B018  (checks the environment's names)
        limits.check_name_lengths(
            [
                ("the service stack", self.stack, limits.STACK_NAME),
                ("the ECS service", self.ecs_service, limits.ECS_NAME),
                ("the task definition family", self.task_family, limits.ECS_NAME),
                ("the execution role", self.role_name("execution"), limits.ROLE_NAME),
                ("the log group", self.log_group, limits.LOG_GROUP_NAME),
                ("the config snapshot secret", self.snapshot_secret(99), limits.SECRET_NAME),
                (
                    "a scaling policy",
                    self.scaling_policy_for("requests"),
                    limits.SCALING_POLICY_NAME,
                ),
                ("the image repository", self.ecr_repository, limits.REPOSITORY_NAME),
                ("the schedule group", self.schedule_group, limits.SCHEDULE_NAME),
                ("a parameter's name", self.parameter_name("K"), self.longest_parameter_name),
            ],
            fix="use shorter environment and service names in .gitlift",
        )

    # Parameter Store

    @property
    def longest_parameter_name(self) -> int:
        """Parameter Store's 1011 characters count the ARN before the name: the longest
        partition and region are assumed, so a name that fits here fits everywhere."""
        return limits.PARAMETER_NAME - limits.PARAMETER_ARN_PREFIX

    def check_keys(self, keys: Iterable[str]) -> None:
        """Refuse, before any write, a key whose parameter name AWS would refuse."""
        longest = self.longest_parameter_name - len(self.parameter_name(""))
        too_long = sorted(key for key in keys if len(key) > longest)
        if too_long:
            shown = ", ".join(f"{k[:40]}... ({len(k)} characters)" for k in too_long[:3])
            raise UsageError(
                f"key names too long for Parameter Store: {shown}; in {self.parameter_path}/ "
                f"a key may have {longest} characters (AWS caps a parameter's name, ARN "
                f"included, at {limits.PARAMETER_NAME}); nothing was written",
                hint="use a shorter key name",
            )

    @property
    def parameter_path(self) -> str:
        """`/<env>/<service>`: the parameters' common path, without the trailing slash."""
        return self.overrides.parameter_path or f"/{self.env}/{self.name}"

    def parameter_name(self, key: str) -> str:
        return f"{self.parameter_path}/{key}"

    def parameter_arn(self, key: str, region: str, account: str) -> str:
        return arn("ssm", region, account, f"parameter{self.parameter_name(key)}")

    def parameter_prefix_arn(self, region: str, account: str) -> str:
        """Every parameter of the service: the ARN prefix a policy ends with `*`."""
        return arn("ssm", region, account, f"parameter{self.parameter_path}/")

    @property
    def base(self) -> Target | None:
        """A preview's service in its base environment, whose config it reads."""
        if self.preview is None:
            return None
        return Target(self.preview.base, self.service)

    def config_arn(self, key: str, region: str, account: str) -> str:
        """The parameter a task reads `key` from: a preview's own override, else its base's
        (ECS reads it when each task starts, so an edit in the base reaches the next task)."""
        base = self.base
        if base is None or self.preview is None or key in self.preview.overridden:
            return self.parameter_arn(key, region, account)
        return base.parameter_arn(key, region, account)

    def config_prefix_arns(self, region: str, account: str) -> list[str]:
        """Where the service's tasks may read config: its own path, and a preview's base's."""
        own = [self.parameter_prefix_arn(region, account)]
        base = self.base
        return own + ([base.parameter_prefix_arn(region, account)] if base else [])

    # ECS, logs, images

    @property
    def cluster(self) -> str:
        return self.environment_names.cluster

    @property
    def ecs_service(self) -> str:
        return self._of_process(self.overrides.ecs_service or self.name)

    @property
    def task_family(self) -> str:
        return self._of_process(self.overrides.task_family or f"{self.env}-{self.name}")

    @property
    def container(self) -> str:
        return self.overrides.container or self.service.container

    @property
    def log_group(self) -> str:
        return self.overrides.log_group or f"/{PREFIX}/{self.env}/{self.name}"

    @property
    def ecr_repository(self) -> str:
        """Named after the service alone: its previews run the images it builds."""
        return self.service.name

    # Scheduled jobs (jobcfg.py): one EventBridge Scheduler group per service, a schedule per
    # job named as the job, its runs an ECS task group of their own.

    @property
    def schedule_group(self) -> str:
        return f"{PREFIX}-{self.env}-{self.name}"

    def job_task_group(self, job: str) -> str:
        """The ECS task group (`group` of DescribeTasks) of the job's runs, scheduled or not."""
        return f"job:{job}"

    # Where each job run's stop is kept past ECS's hour of task history (templates/jobs.py):
    # an EventBridge rule sends the service's "ECS Task State Change" events of stopped job
    # tasks to a log group of their own, under the environment's log group prefix.

    @property
    def job_runs_log_group(self) -> str:
        return f"{self.environment_names.log_group_prefix}{self.name}/job-runs"

    @property
    def job_runs_rule(self) -> str:
        """The rule (and, before the environment held the job runs' log resource policy, the
        service's own policy): named as the schedule group (other namespaces), which fits an
        EventBridge rule's 64 characters (botocore events RuleName max 64) as it does a
        schedule group's."""
        return self.schedule_group

    # CloudFormation and IAM

    @property
    def stack(self) -> str:
        return f"{PREFIX}-{self.env}-{self.name}"

    def role_name(self, kind: str) -> str:
        """`lift-<env>-<service>-task|execution`, at most 64 characters (names.py)."""
        return f"{PREFIX}-{self.env}-{self.name}-{kind}"

    @property
    def tags(self) -> dict[str, str]:
        """The tags of the service's resources."""
        return {TAG_ENV: self.env, TAG_SERVICE: self.name}

    @property
    def scaling_policy(self) -> str:
        """The longest of the service's policy names (the limits check this one)."""
        return self.scaling_policy_for("requests")

    def scaling_policy_for(self, metric: str) -> str:
        """One target-tracking policy per metric: cpu, memory, requests, queue."""
        return f"{self._of_process(f'{self.env}-{self.name}')}-{metric}"

    # Deployment strategies (templates/strategy.py)

    def deployment_alarm(self, kind: str) -> str:
        """`lift-<env>-<service>-5xx-rate|unhealthy-hosts`: the generated alarms that roll a
        deployment back (CloudWatch alarm names are 1-255 characters)."""
        return f"{self.environment_names.alarm_prefix}{self.name}-{kind}"

    # Pinned config

    def snapshot_secret(self, part: int = 1) -> str:
        base = f"{PREFIX}/{self.env}/{self.name}"
        return base if part == 1 else f"{base}/{part}"

    # Releases and records

    @property
    def release_tag_prefix(self) -> str:
        return f"{PREFIX}/{self.env}/{self.name}/"

    def release_tag(self, number: int) -> str:
        return f"{self.release_tag_prefix}{number}"

    @property
    def release_key(self) -> str:
        return self.environment_names.release_key(self.name)

    def release_config_prefix(self, number: int) -> str:
        """The sort keys, in the release key's partition, of the parts that hold a large
        release record's config versions (aws/release_items.py)."""
        return f"config#{number:010d}#"

    @property
    def service_key(self) -> str:
        return self.environment_names.service_key(self.name)

    @property
    def lease_key(self) -> str:
        return self.environment_names.lease_key(self.name)

    def private_file(self, kind: str, suffix: str) -> str:
        """A file of this target's under `.git/lift/`: `config-edit-staging.api.env`. The dot,
        which no name holds, keeps (`eu`, `prod-api`) and (`eu-prod`, `api`) apart."""
        return f"{kind}-{self.env}.{self.name}{suffix}"

    def former_private_file(self, kind: str, suffix: str) -> str:
        """What git lift before the dot named that file; see former_private_file."""
        return former_private_file(kind, self.env, self.name, suffix)

    @property
    def names_file(self) -> str:
        """The names cache's file of this target (`staging.api.json`): neither name holds a
        dot, so (`a-b`, `c`) and (`a`, `b-c`) never share one."""
        return f"{self.env}.{self.name}.json"


def preview_target(
    environment: EnvironmentSettings,
    base: EnvironmentSettings,
    service: ServiceSettings,
    branch: str,
    overridden: frozenset[str] = frozenset(),
) -> Target:
    """`branch`'s preview of `service` in the preview environment. Its slug is as long as the
    longest name derived from it allows: the execution role (IAM: 64), within a DNS label."""
    pattern = next((p for p in environment.refs if fnmatch.fnmatchcase(branch, p)), "")
    fixed = len(f"{PREFIX}-{environment.name}-{service.name}{PREVIEW_SEPARATOR}-execution")
    longest = min(limits.ROLE_NAME - fixed, DNS_LABEL)
    if longest < SLUG_HASH:
        raise UsageError(
            f"previews of {service.name} in {environment.name} would have no room for a slug: "
            f"IAM role names are at most {limits.ROLE_NAME} characters",
            hint="use shorter environment and service names in .gitlift",
        )
    slug = preview_slug(branch, pattern, longest)
    return Target(environment, service, preview=Preview(slug, base, overridden))


def former_private_file(kind: str, env: str, service: str, suffix: str) -> str:
    """`config-edit-ENV-SERVICE.env`, as git lift named a target's private file until env and
    service were joined by a dot: (`eu`, `prod-api`) and (`eu-prod`, `api`) shared it."""
    return f"{kind}-{env}-{service}{suffix}"


def _unreserved(name: str) -> str:
    """An example name without the reserved prefix: `ssm-qa` -> `qa-ssm`."""
    head, _, rest = name.partition("-")
    return f"{rest}-{head}" if rest and not rest.startswith(limits.PARAMETER_RESERVED) else "qa"
