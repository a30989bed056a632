"""The container's part of the service config: plain environment, health check, stop timeout,
entrypoint, ulimits, read-only root filesystem, CPU architecture; pure.

servicecfg.parse calls `read` with its Checker, so each mistake is named with its JSON path
among the others. The limits are ECS's, from botocore's ecs model (service-2.json) unless a
comment says otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from git_lift.errors import ValidationError
from git_lift.jsoncheck import Checker, kind
from git_lift.target import Target

ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# ecs HealthCheck: interval 5-300 (30), timeout 2-60 (5), retries 1-10 (3), startPeriod 0-300.
HEALTH_RANGES = {"interval": (5, 300, 30), "timeout": (2, 60, 5), "retries": (1, 10, 3)}
START_PERIOD = (0, 300)
HEALTH_KINDS = ("CMD", "CMD-SHELL")
# ecs ContainerDefinition.stopTimeout: "The valid values for Fargate are 2-120 seconds."
STOP_TIMEOUT = (2, 120)
# ecs UlimitName.
ULIMIT_NAMES = (
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
)
# ECS developer guide, "Task definition parameters" (ulimits): on Fargate, nofile "can be set
# up to 1048576"; the other limits take what the kernel takes, a 32-bit count.
NOFILE_MAX = 1048576
ULIMIT_MAX = 2**31 - 1
# ecs CPUArchitecture, and the --platform the build follows it with (flows/image.py).
PLATFORMS = {"X86_64": "linux/amd64", "ARM64": "linux/arm64"}
ARCHITECTURES = tuple(PLATFORMS)


@dataclass(frozen=True)
class HealthCheck:
    command: tuple[str, ...]
    interval: int = 30
    timeout: int = 5
    retries: int = 3
    start_period: int = 0


@dataclass(frozen=True)
class Ulimit:
    name: str
    soft: int
    hard: int


@dataclass(frozen=True)
class Container:
    """The container fields of ServiceConfig, read together (servicecfg spreads them)."""

    environment: dict[str, str] = field(default_factory=dict)
    health_check: HealthCheck | None = None
    entrypoint: tuple[str, ...] | None = None
    stop_timeout: int | None = None
    ulimits: tuple[Ulimit, ...] = ()
    readonly_root_filesystem: bool = False
    cpu_architecture: str = "X86_64"


def read(c: Checker, obj: dict[str, object]) -> Container:
    stop = obj.get("stop_timeout")
    return Container(
        environment=_environment(c, obj.get("environment", {}), "$.environment"),
        health_check=c.optional(obj, "health_check", _health_check),
        entrypoint=command_list(c, obj.get("entrypoint"), "$.entrypoint", '["/bin/app"]'),
        stop_timeout=None
        if stop is None
        else c.integer(obj, "stop_timeout", "$", 30, *STOP_TIMEOUT),
        ulimits=_ulimits(c, obj.get("ulimits", []), "$.ulimits"),
        readonly_root_filesystem=c.boolean(obj, "readonly_root_filesystem", "$", False),
        cpu_architecture=_architecture(c, obj.get("cpu_architecture", "X86_64")),
    )


def command_list(c: Checker, value: object, path: str, example: str) -> tuple[str, ...] | None:
    """null or a non-empty array of strings (`command`, `entrypoint`)."""
    if value is None:
        return None
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    c.add(path, f"expected null or an array of strings like {example}, got {kind(value)}")
    return None


def _environment(c: Checker, value: object, path: str) -> dict[str, str]:
    if not isinstance(value, dict):
        c.add(path, f'expected an object like {{"LOG_FORMAT": "json"}}, got {kind(value)}')
        return {}
    env: dict[str, str] = {}
    for key, item in value.items():
        if not ENV_VAR.match(str(key)):
            c.add(f"{path}.{key}", "is not an environment variable name (letters, digits, _)")
        elif not isinstance(item, str):
            c.add(f"{path}.{key}", f'expected a string (write "{item}"), got {kind(item)}')
        else:
            env[str(key)] = item
    return env


def _health_check(c: Checker, value: object, path: str) -> HealthCheck | None:
    names = ("command", "interval", "timeout", "retries", "start_period")
    obj = c.fields(value, path, names, required=("command",))
    if obj is None:
        return None
    example = '["CMD-SHELL", "curl -f http://localhost/ || exit 1"]'
    command = command_list(c, obj.get("command"), f"{path}.command", example) or ()
    if command and (command[0] not in HEALTH_KINDS or len(command) < 2):
        c.add(
            f"{path}.command", f'must start with "CMD" or "CMD-SHELL", then the command: {example}'
        )
    ranges = {k: c.integer(obj, k, path, d, lo, hi) for k, (lo, hi, d) in HEALTH_RANGES.items()}
    check = HealthCheck(
        command=command,
        start_period=c.integer(obj, "start_period", path, 0, *START_PERIOD),
        **ranges,
    )
    return check


def _ulimits(c: Checker, value: object, path: str) -> tuple[Ulimit, ...]:
    if not isinstance(value, list):
        c.add(
            path,
            f'expected an array like [{{"name": "nofile", "soft": 65536, "hard": 65536}}], '
            f"got {kind(value)}",
        )
        return ()
    found = tuple(u for i, item in enumerate(value) if (u := _ulimit(c, item, f"{path}[{i}]")))
    names = [u.name for u in found]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        c.add(path, f"{dup!r} is set more than once")
    return found


def _ulimit(c: Checker, value: object, path: str) -> Ulimit | None:
    obj = c.fields(value, path, ("name", "soft", "hard"), required=("name", "soft", "hard"))
    if obj is None:
        return None
    name = c.string(obj, "name", path, "nofile")
    high = NOFILE_MAX if name == "nofile" else ULIMIT_MAX
    u = Ulimit(
        name, c.integer(obj, "soft", path, 0, 0, high), c.integer(obj, "hard", path, 0, 0, high)
    )
    if name not in ULIMIT_NAMES and not c.failed(f"{path}.name"):
        c.add(f"{path}.name", f"{name!r} is not one of {', '.join(ULIMIT_NAMES)}")
    if not c.failed(f"{path}.soft", f"{path}.hard") and u.soft > u.hard:
        c.add(f"{path}.soft", f"{u.soft} is greater than hard ({u.hard})")
    return u


def _architecture(c: Checker, value: object) -> str:
    if value not in ARCHITECTURES:
        shown = repr(value) if isinstance(value, str) else kind(value)
        c.add("$.cpu_architecture", f"{shown} is not one of {', '.join(ARCHITECTURES)}")
        return "X86_64"
    return str(value)


def clashes(environment: dict[str, str], secret_names: list[str] | set[str]) -> list[str]:
    """Names both plain (`environment`) and secret (env.sample): ECS would get both."""
    return sorted(set(environment) & set(secret_names))


def refuse_clashes(target: Target, environment: dict[str, str], secret_names: list[str]) -> None:
    """A name both in `environment` and env.sample would reach the task twice, one value
    hiding the other: refused (at service create/edit/update and at ship), naming the fix."""
    both = clashes(environment, secret_names)
    if both:
        raise ValidationError(
            f"{', '.join(both)}: in the service config's environment and in env.sample (a "
            "secret); a name is one or the other",
            hint=f"remove it from environment (git lift service edit -e {target.env} "
            f"-s {target.name}) or from {target.service.env_sample}",
        )


# ELB docs (Matcher.HttpCode): for an ALB, codes 200-499, "200,202" or a range "200-299".
_MATCHER = re.compile(r"^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$")
MATCHER_CODES = (200, 499)


def check_matcher(c: Checker, path: str, value: str) -> None:
    if c.failed(path):
        return
    codes = [int(code) for code in re.findall(r"\d+", value)]
    low, high = MATCHER_CODES
    if not _MATCHER.match(value) or not all(low <= code <= high for code in codes):
        c.add(path, f'{value!r} is not HTTP codes {low}-{high} like "200", "200,202" or "200-399"')


# The app's container fields, read the same way for each sidecar (sidecarcfg).
environment = _environment
health_check = _health_check
