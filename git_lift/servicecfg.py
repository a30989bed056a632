"""The service config document: one JSON object per service and environment; pure.

`parse` turns a document into typed dataclasses or raises a ServiceConfigError that names every
problem with its JSON path, so the editor loop can show them all at once.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace

from git_lift import (
    containercfg,
    jobcfg,
    processcfg,
    scalingcfg,
    secret_refs,
    sidecarcfg,
    strategycfg,
)
from git_lift.containercfg import HealthCheck, Ulimit
from git_lift.errors import ValidationError
from git_lift.jsoncheck import Checker, kind

# The scaling fields' block (scalingcfg), named here as before.
from git_lift.scalingcfg import Autoscaling as Autoscaling
from git_lift.scalingcfg import CapacityItem as CapacityItem
from git_lift.scalingcfg import QueueTarget as QueueTarget
from git_lift.sidecarcfg import Dependency, LogRouter, Sidecar
from git_lift.strategycfg import Canary, Linear
from git_lift.target import WEB
from git_lift.templates.iam_document import Statement, read_policy_arns, read_statements

# AWS's table of task-level cpu (units) -> memory (MiB) for Fargate; 8192 and 16384 need
# Linux platform 1.4.0, which LATEST is.
FARGATE_MEMORY: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

# The values CloudWatch Logs accepts for RetentionInDays.
# fmt: off
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                      2192, 2557, 2922, 3288, 3653)
# fmt: on

# An ALB listener rule holds at most five condition values (hosts, paths and source IPs).
MAX_RULE_CONDITION_VALUES = 5
OPEN_TO_ALL = ("0.0.0.0/0",)

_HOST = re.compile(r"^[A-Za-z0-9*?]([A-Za-z0-9*?.-]{0,126}[A-Za-z0-9*?])?$")
_FILE_SYSTEM = re.compile(r"^fs-[0-9a-f]{8,40}$")
_ACCESS_POINT = re.compile(r"^fsap-[0-9a-f]{8,40}$")
_SECURITY_GROUP = re.compile(r"^sg-[0-9a-f]{8,17}$")
# CloudWatch Logs takes a key ARN, not an alias.
_KMS_KEY = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")


@dataclass(frozen=True)
class HttpInterface:
    container_port: int = 80
    internal: bool = False
    hostnames: tuple[str, ...] = ()
    path_patterns: tuple[str, ...] = ()
    health_check_path: str = "/"
    restrict_access_to: tuple[str, ...] = OPEN_TO_ALL
    # The container fields' block (containercfg): the target group's matcher, and how long
    # ECS ignores the load balancer's verdict on a new task.
    health_check_matcher: str = "200-399"
    health_check_grace_period: int = 60


@dataclass(frozen=True)
class EfsVolume:
    file_system_id: str
    container_path: str
    root_directory: str = "/"
    access_point_id: str | None = None
    read_only: bool = False
    # The file system's mount-target security group; the service stack opens NFS on it.
    security_group_id: str | None = None


@dataclass(frozen=True)
class Logging:
    driver: str = "awslogs"  # "awslogs" or "none"
    retention_days: int = 30
    # A customer-managed KMS key for the log group; None: CloudWatch Logs' own encryption.
    kms_key_arn: str | None = None


@dataclass(frozen=True)
class Deployment:
    circuit_breaker_rollback: bool = True
    minimum_healthy_percent: int = 100
    maximum_percent: int = 200
    # The deployment strategy's fields (strategycfg.Strategy, read by strategycfg.read).
    strategy: str = "rolling"
    bake_minutes: int = 0
    canary: Canary = field(default_factory=Canary)
    linear: Linear = field(default_factory=Linear)
    alarms: tuple[str, ...] | str = ()


@dataclass(frozen=True)
class ServiceConfig:
    command: tuple[str, ...] | None = None
    cpu: int = 256
    memory: int = 512
    desired_count: int = 1
    http_interface: HttpInterface | None = None  # None: a background worker, no load balancer
    autoscaling: Autoscaling | None = None
    # The capacity provider strategy (scalingcfg): FARGATE and FARGATE_SPOT with weights.
    capacity: tuple[CapacityItem, ...] = scalingcfg.DEFAULT_CAPACITY
    volumes: tuple[EfsVolume, ...] = ()
    logging: Logging = field(default_factory=Logging)
    deployment: Deployment = field(default_factory=Deployment)
    ecs_exec: bool = True
    # The container's fields (containercfg.Container, read by containercfg.read).
    environment: dict[str, str] = field(default_factory=dict)
    health_check: HealthCheck | None = None
    entrypoint: tuple[str, ...] | None = None
    stop_timeout: int | None = None
    ulimits: tuple[Ulimit, ...] = ()
    readonly_root_filesystem: bool = False
    cpu_architecture: str = "X86_64"
    # The release phase (issue 20): run before the service is updated; a non-zero exit
    # stops the release.
    release_command: tuple[str, ...] | None = None
    # The app's own AWS permissions: IAM statements for its task role, as written, and managed
    # policy ARNs (templates/iam_document.py, templates/app_permissions.py).
    permissions: tuple[Statement, ...] = ()
    managed_policies: tuple[str, ...] = ()
    # Sidecars (sidecarcfg.Sidecars, read by sidecarcfg.read): extra containers, what the app
    # waits for, FireLens log routing.
    sidecars: tuple[Sidecar, ...] = ()
    depends_on: tuple[Dependency, ...] = ()
    log_router: LogRouter | None = None
    # Scheduled jobs (issue 21; jobcfg.py): name -> command and EventBridge Scheduler schedule.
    jobs: dict[str, jobcfg.Job] = field(default_factory=dict)
    # Secrets Manager secrets the config refers to in this environment (issue 24, rotation:
    # secret_refs.py): KEY -> ARN.
    secret_refs: dict[str, str] = field(default_factory=dict)
    # Processes (issue 21; processcfg.py): workers beside the web process (these fields),
    # from the same image and config.
    processes: dict[str, processcfg.Process[HttpInterface]] = field(default_factory=dict)


# Kept in a document even when null, so that the editor shows they exist.
SHOWN_WHEN_NULL = ("command", "entrypoint")
# Left out of a document when empty, so that documents written before them read the same.
LEFT_OUT_WHEN_EMPTY = ("jobs", "secret_refs", "processes")


class ServiceConfigError(ValidationError):
    """The document does not describe a valid service; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        noun = "problem" if len(problems) == 1 else "problems"
        lines = [f"service config has {len(problems)} {noun}:"]
        lines += [f"  {p}" for p in problems]
        super().__init__("\n".join(lines))
        self.problems = problems


def default_document(production: bool) -> dict[str, object]:
    """A public HTTP service on port 80; production (an environment with `confirm`) gets two
    tasks and longer log retention."""
    cfg = ServiceConfig(
        desired_count=2 if production else 1,
        http_interface=HttpInterface(),
        logging=Logging(retention_days=90 if production else 30),
    )
    return to_document(cfg)


def to_document(cfg: ServiceConfig) -> dict[str, object]:
    # Absent, not null: the document says "no load balancer" by leaving http_interface out.
    return {
        k: _plain(v)
        for k, v in asdict(cfg).items()
        if (v is not None or k in SHOWN_WHEN_NULL) and (v or k not in LEFT_OUT_WHEN_EMPTY)
    }


def _plain(value: object) -> object:
    """Tuples become lists, so that a document compares equal to its JSON round trip."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def render_diff(
    old: dict[str, object] | None,
    new: dict[str, object],
    *,
    old_label: str = "stored",
    new_label: str = "edited",
) -> list[str]:
    """Unified diff of the pretty JSON; keys sorted so that key order never shows as a change."""

    def pretty(doc: dict[str, object] | None) -> list[str]:
        return [] if doc is None else json.dumps(doc, indent=2, sort_keys=True).splitlines()

    return list(
        difflib.unified_diff(
            pretty(old),
            pretty(new),
            fromfile="/dev/null" if old is None else old_label,
            tofile=new_label,
            lineterm="",
        )
    )


def fargate_memory_text(cpu: int) -> str:
    """The memory choices for a Fargate cpu value, as a person would write them."""
    values = FARGATE_MEMORY[cpu]
    if len(values) <= 4:
        return ", ".join(str(v) for v in values)
    return f"{values[0]}-{values[-1]} in steps of {values[1] - values[0]}"


def parse(doc: object) -> ServiceConfig:
    """Validate a document; every problem is collected before raising ServiceConfigError."""
    c = Checker()
    obj = c.fields(doc, "$", _names(ServiceConfig), required=("cpu", "memory"))
    if obj is None:
        raise ServiceConfigError(c.problems)
    container = containercfg.read(c, obj)
    cfg = ServiceConfig(
        command=containercfg.command_list(
            c, obj.get("command"), "$.command", '["gunicorn", "app"]'
        ),
        cpu=c.integer(obj, "cpu", "$", 256, 256, 16384),
        memory=c.integer(obj, "memory", "$", 512, 512, 122880),
        desired_count=c.integer(obj, "desired_count", "$", 1, 0, 1000),
        http_interface=c.optional(obj, "http_interface", _http_interface),
        autoscaling=c.optional(obj, "autoscaling", scalingcfg.read_autoscaling),
        capacity=scalingcfg.read_capacity(c, obj.get("capacity"), "$.capacity"),
        volumes=_volumes(c, obj.get("volumes", []), "$.volumes"),
        logging=_logging(c, obj.get("logging", {}), "$.logging"),
        deployment=_deployment(c, obj.get("deployment", {}), "$.deployment"),
        ecs_exec=c.boolean(obj, "ecs_exec", "$", True),
        **{f.name: getattr(container, f.name) for f in fields(containercfg.Container)},
        release_command=_release_command(c, obj),
        permissions=read_statements(c, obj.get("permissions", []), "$.permissions"),
        managed_policies=read_policy_arns(c, obj.get("managed_policies", []), "$.managed_policies"),
        **vars(sidecarcfg.read(c, obj)),
        jobs=jobcfg.read(c, obj.get("jobs", {})),
        secret_refs=secret_refs.read(c, obj.get("secret_refs")),
        processes=processcfg.read(c, obj.get("processes", {}), _http_interface),
    )
    _check_cross_fields(c, cfg)
    if c.problems:
        raise ServiceConfigError(c.problems)
    return cfg


def sidecars_of(cfg: ServiceConfig) -> sidecarcfg.Sidecars:
    return sidecarcfg.Sidecars(cfg.sidecars, cfg.depends_on, cfg.log_router)


def sidecars_of_document(doc: dict[str, object]) -> sidecarcfg.Sidecars:
    """A saved document's sidecars alone, as `release_command` reads its field (a ship needs
    only their images; ServiceConfigError if they are wrong)."""
    c = Checker()
    found = sidecarcfg.read(c, doc)
    if c.problems:
        raise ServiceConfigError(c.problems)
    return found


def release_command(doc: dict[str, object]) -> tuple[str, ...] | None:
    """A saved document's release_command alone: a release reads only it, so a document that
    a later rule would refuse elsewhere still ships (ServiceConfigError if it is wrong)."""
    c = Checker()
    found = _release_command(c, doc)
    if c.problems:
        raise ServiceConfigError(c.problems)
    return found


def secret_refs_of_document(doc: Mapping[str, object]) -> dict[str, str]:
    """A saved document's secret_refs alone, as `release_command` reads its field."""
    c = Checker()
    found = secret_refs.read(c, doc.get("secret_refs"))
    if c.problems:
        raise ServiceConfigError(c.problems)
    return found


def _release_command(c: Checker, obj: dict[str, object]) -> tuple[str, ...] | None:
    example = '["bin/rails", "db:migrate"]'
    return containercfg.command_list(c, obj.get("release_command"), "$.release_command", example)


def _names(cls: type) -> tuple[str, ...]:
    """The document's field names are the dataclass's: one list to keep up to date."""
    return tuple(f.name for f in fields(cls))


def _http_interface(c: Checker, value: object, path: str) -> HttpInterface | None:
    obj = c.fields(value, path, _names(HttpInterface), required=("container_port",))
    if obj is None:
        return None
    h = HttpInterface(
        container_port=c.integer(obj, "container_port", path, 80, 1, 65535),
        internal=c.boolean(obj, "internal", path, False),
        hostnames=c.strings(obj, "hostnames", path, ()),
        path_patterns=c.strings(obj, "path_patterns", path, ()),
        health_check_path=c.string(obj, "health_check_path", path, "/"),
        restrict_access_to=c.strings(obj, "restrict_access_to", path, OPEN_TO_ALL),
        health_check_matcher=c.string(obj, "health_check_matcher", path, "200-399"),
        # ECS's HealthCheckGracePeriodSeconds takes up to 2,147,483,647 (CreateService docs).
        health_check_grace_period=c.integer(
            obj, "health_check_grace_period", path, 60, 0, 2**31 - 1
        ),
    )
    containercfg.check_matcher(c, f"{path}.health_check_matcher", h.health_check_matcher)
    for i, host in enumerate(h.hostnames):
        if not _HOST.match(host):
            c.add(f"{path}.hostnames[{i}]", f"{host!r} is not a host name (letters, digits, -, .)")
    for i, pattern in enumerate(h.path_patterns):
        if not pattern.startswith("/") or len(pattern) > 128:
            c.add(f"{path}.path_patterns[{i}]", f"{pattern!r} must start with / (128 chars max)")
    if not h.health_check_path.startswith("/"):
        c.add(f"{path}.health_check_path", f"{h.health_check_path!r} must start with /")
    for i, cidr in enumerate(h.restrict_access_to):
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            c.add(f"{path}.restrict_access_to[{i}]", f"{cidr!r} is not a CIDR like 10.0.0.0/8")
    if not h.restrict_access_to:
        c.add(f"{path}.restrict_access_to", 'is empty; use ["0.0.0.0/0"] to allow everyone')
    return h


def _volumes(c: Checker, value: object, path: str) -> tuple[EfsVolume, ...]:
    if not isinstance(value, list):
        c.add(path, f"expected an array, got {kind(value)}")
        return ()
    volumes = tuple(v for i, item in enumerate(value) if (v := _volume(c, item, f"{path}[{i}]")))
    paths = [v.container_path for v in volumes]
    for dup in sorted({p for p in paths if paths.count(p) > 1}):
        c.add(path, f"container_path {dup!r} is mounted more than once")
    return volumes


def _volume(c: Checker, value: object, path: str) -> EfsVolume | None:
    required = ("file_system_id", "container_path")
    obj = c.fields(value, path, _names(EfsVolume), required=required)
    if obj is None:
        return None
    v = EfsVolume(
        file_system_id=c.string(obj, "file_system_id", path, ""),
        container_path=c.string(obj, "container_path", path, "/"),
        root_directory=c.string(obj, "root_directory", path, "/"),
        access_point_id=c.string_or_null(obj, "access_point_id", path),
        read_only=c.boolean(obj, "read_only", path, False),
        security_group_id=c.string_or_null(obj, "security_group_id", path),
    )
    c.pattern(f"{path}.file_system_id", v.file_system_id, _FILE_SYSTEM, "fs-0123456789abcdef0")
    c.pattern(f"{path}.access_point_id", v.access_point_id, _ACCESS_POINT, "fsap-0123456789abcdef0")
    c.pattern(f"{path}.security_group_id", v.security_group_id, _SECURITY_GROUP, "sg-0123abcd")
    if not v.container_path.startswith("/"):
        c.add(f"{path}.container_path", f"{v.container_path!r} must be an absolute path")
    if v.access_point_id and v.root_directory != "/":
        # ECS refuses a root directory other than / when an access point sets it.
        c.add(f"{path}.root_directory", "must be / when access_point_id is set")
    return v


def _logging(c: Checker, value: object, path: str) -> Logging:
    obj = c.fields(value, path, _names(Logging))
    if obj is None:
        return Logging()
    log = Logging(
        driver=c.string(obj, "driver", path, "awslogs"),
        retention_days=c.integer(obj, "retention_days", path, 30, 1, 3653),
        kms_key_arn=c.string_or_null(obj, "kms_key_arn", path),
    )
    example = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-..."
    c.pattern(f"{path}.kms_key_arn", log.kms_key_arn, _KMS_KEY, example)
    if log.driver not in ("awslogs", "none"):
        c.add(f"{path}.driver", f"{log.driver!r} is not one of awslogs, none")
    if log.retention_days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        c.add(f"{path}.retention_days", f"{log.retention_days} is not one of {allowed}")
    return log


def _deployment(c: Checker, value: object, path: str) -> Deployment:
    obj = c.fields(value, path, _names(Deployment))
    if obj is None:
        return Deployment()
    strategy = strategycfg.read(c, obj, path)
    d = Deployment(
        circuit_breaker_rollback=c.boolean(obj, "circuit_breaker_rollback", path, True),
        minimum_healthy_percent=c.integer(obj, "minimum_healthy_percent", path, 100, 0, 100),
        maximum_percent=c.integer(obj, "maximum_percent", path, 200, 100, 200),
        **{f.name: getattr(strategy, f.name) for f in fields(strategycfg.Strategy)},
    )
    if d.maximum_percent <= d.minimum_healthy_percent:
        # ECS could neither start a new task nor stop an old one: the deploy would stall.
        c.add(f"{path}.maximum_percent", "must be greater than minimum_healthy_percent")
    return d


def _check_cross_fields(c: Checker, cfg: ServiceConfig) -> None:
    # Each check is skipped where a field already failed: one mistake reads as one problem.
    if not c.failed("$.cpu", "$.memory"):
        _check_fargate(c, cfg.cpu, cfg.memory)
    scalingcfg.check_with_service(
        c, cfg.autoscaling, cfg.desired_count, cfg.http_interface is not None
    )
    h = cfg.http_interface
    strategycfg.check_needs_http(c, strategycfg.of(cfg.deployment), h is not None, "$.deployment")
    if h is not None and rule_condition_values(h) > MAX_RULE_CONDITION_VALUES:
        c.add(
            "$.http_interface",
            "hostnames, path_patterns and restrict_access_to hold "
            f"{rule_condition_values(h)} values; a load balancer rule takes at most "
            f"{MAX_RULE_CONDITION_VALUES}",
        )
    _check_job_sizes(c, cfg)
    for name, process in cfg.processes.items():
        path = f"$.processes.{name}"
        if not c.failed(f"{path}.cpu", f"{path}.memory"):
            _check_fargate(c, process.cpu, process.memory, path)
        if process.http_interface is not None and not c.failed(f"{path}.http_interface"):
            _check_process_http(c, process.http_interface, h, f"{path}.http_interface")


def _check_process_http(
    c: Checker, own: HttpInterface, web: HttpInterface | None, path: str
) -> None:
    """A process's load balancer rule beside web's: where both would take every request on
    the same listener, the process names its hosts or paths; a rule's condition count."""

    def catch_all(h: HttpInterface) -> bool:
        return not (h.hostnames or h.path_patterns)

    if web is not None and web.internal == own.internal and catch_all(web) and catch_all(own):
        c.add(
            path,
            "needs hostnames or path_patterns: on the same load balancer, web's rule takes "
            'every request (like "path_patterns": ["/hooks/*"])',
        )
    if rule_condition_values(own) > MAX_RULE_CONDITION_VALUES:
        c.add(
            path,
            f"hostnames, path_patterns and restrict_access_to hold {rule_condition_values(own)} "
            f"values; a load balancer rule takes at most {MAX_RULE_CONDITION_VALUES}",
        )


def of_process(cfg: ServiceConfig, name: str) -> ServiceConfig:
    """The config process `name` runs with: the service's (image, environment, secrets,
    volumes, sidecars, logging, roles) with the process's command, size, count and scaling;
    a worker: no load balancer, health check, strategy, release command or jobs."""
    if name == WEB:
        return cfg
    p = cfg.processes[name]
    d = cfg.deployment
    return replace(
        cfg,
        command=p.command,
        cpu=p.cpu,
        memory=p.memory,
        desired_count=p.desired_count,
        autoscaling=p.autoscaling,
        capacity=p.capacity,
        http_interface=p.http_interface,
        health_check=None,
        deployment=Deployment(
            d.circuit_breaker_rollback, d.minimum_healthy_percent, d.maximum_percent
        ),
        release_command=None,
        jobs={},
        processes={},
    )


def _check_job_sizes(c: Checker, cfg: ServiceConfig) -> None:
    """A job's cpu and memory (its own, or the service's where unset) are a Fargate pair:
    RunTask's overrides take the same pairs as a task definition."""
    for name, job in cfg.jobs.items():
        path = f"$.jobs.{name}"
        if c.failed(f"{path}.cpu", f"{path}.memory") or (job.cpu is None and job.memory is None):
            continue
        cpu, memory = job.cpu or cfg.cpu, job.memory or cfg.memory
        _check_fargate(c, cpu, memory, path)


def _check_fargate(c: Checker, cpu: int, memory: int, path: str = "$") -> None:
    if cpu not in FARGATE_MEMORY:
        valid = ", ".join(str(v) for v in FARGATE_MEMORY)
        c.add(f"{path}.cpu", f"{cpu} is not a Fargate cpu value (valid: {valid})")
    elif memory not in FARGATE_MEMORY[cpu]:
        c.add(
            f"{path}.memory",
            f"{memory} is not a valid Fargate memory for cpu {cpu} "
            f"(valid: {fargate_memory_text(cpu)})",
        )


def rule_condition_values(h: HttpInterface) -> int:
    """How many condition values the service's listener rule holds (an empty rule gets /*)."""
    ips = 0 if h.restrict_access_to == OPEN_TO_ALL else len(h.restrict_access_to)
    catch_all = 0 if h.hostnames or h.path_patterns else 1
    return len(h.hostnames) + len(h.path_patterns) + ips + catch_all
