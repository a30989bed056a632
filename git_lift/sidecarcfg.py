"""The sidecars' part of the service config: extra containers beside the app's (`sidecars`),
what the app waits for (`depends_on`) and FireLens log routing (`log_router`); pure.

servicecfg.parse calls `read` with its Checker, so each mistake is named with its JSON path.
In `depends_on`, "app" names the app's own container (its real name comes from .gitlift),
so "app" and the log router's name are not sidecar names. The limits are ECS's, from
botocore's ecs model (service-2.json) unless a comment says otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from git_lift import containercfg
from git_lift.containercfg import HealthCheck
from git_lift.errors import ValidationError
from git_lift.jsoncheck import Checker, kind
from git_lift.target import Target

APP = "app"
LOG_ROUTER = "log_router"  # the name the ECS developer guide gives the FireLens container
# ecs ContainerDefinition.name: "Up to 255 letters (uppercase and lowercase), numbers,
# underscores, and hyphens are allowed."
NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
# ecs ContainerCondition.
CONDITIONS = ("START", "COMPLETE", "SUCCESS", "HEALTHY")
PROTOCOLS = ("tcp", "udp")
# ecs FirelensConfigurationType.
ROUTER_TYPES = ("fluentbit", "fluentd")
# The ECS developer guide ("Using the AWS for Fluent Bit image"): AWS's public Fluent Bit
# image; ship pins it by digest like every sidecar image.
IMAGE_EXAMPLE = "public.ecr.aws/nginx/nginx:1.27"
_TAGGED = re.compile(r"^\S+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$")
FLUENT_BIT_IMAGE = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"


@dataclass(frozen=True)
class Dependency:
    container: str
    condition: str = "START"


@dataclass(frozen=True)
class PortMapping:
    container_port: int
    protocol: str = "tcp"


@dataclass(frozen=True)
class Sidecar:
    name: str
    image: str
    essential: bool = True
    command: tuple[str, ...] | None = None
    port_mappings: tuple[PortMapping, ...] = ()
    environment: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()  # env.sample keys, passed as the app's are
    depends_on: tuple[Dependency, ...] = ()
    health_check: HealthCheck | None = None
    cpu: int = 0  # CPU units out of the task's
    memory: int | None = None  # MiB, a hard limit inside the task's


@dataclass(frozen=True)
class LogRouter:
    """FireLens: a log router container, and the app's logs sent through it (awsfirelens)
    with `options` (the output plugin's, e.g. {"Name": "cloudwatch_logs", ...})."""

    type: str = "fluentbit"
    options: dict[str, str] = field(default_factory=dict)
    image: str = FLUENT_BIT_IMAGE


@dataclass(frozen=True)
class Sidecars:
    """The service config's sidecar fields, read together (servicecfg spreads them)."""

    sidecars: tuple[Sidecar, ...] = ()
    depends_on: tuple[Dependency, ...] = ()
    log_router: LogRouter | None = None


def read(c: Checker, obj: dict[str, object]) -> Sidecars:
    """The sidecar fields of a service config document (its cpu and memory bound theirs)."""
    cpu, memory = (v if isinstance(v := obj.get(k), int) else 0 for k in ("cpu", "memory"))
    router = c.optional(obj, "log_router", _log_router)
    found = Sidecars(
        sidecars=_sidecars(c, obj.get("sidecars", []), "$.sidecars"),
        depends_on=_dependencies(c, obj.get("depends_on", []), "$.depends_on"),
        log_router=router,
    )
    _check_names(c, found, obj.get("health_check") is not None)
    _check_cycles(c, found)
    _check_shares(c, found, cpu, memory)
    return found


def names(s: Sidecars) -> list[str]:
    """The containers a dependency may name: the app, the sidecars, the log router."""
    return [APP, *(x.name for x in s.sidecars), *([LOG_ROUTER] if s.log_router else [])]


def app_dependencies(s: Sidecars) -> tuple[Dependency, ...]:
    """What the app waits for: its own `depends_on`, and the log router's start. The ECS
    developer guide (using_firelens): "By default, Amazon ECS adds a START container order
    dependency between the application container and the FireLens container"; written out
    here so that the task definition shows it and the circle check sees it."""
    routed = s.log_router is not None and all(d.container != LOG_ROUTER for d in s.depends_on)
    return s.depends_on + ((Dependency(LOG_ROUTER, "START"),) if routed else ())


def secret_keys(s: Sidecars) -> set[str]:
    return {key for x in s.sidecars for key in x.secrets}


def refuse_unknown(target: Target, s: Sidecars, keys: list[str] | set[str]) -> None:
    """At render and at ship: a sidecar's secret must be an env.sample key, and a sidecar
    may not take the app's container name (.gitlift's, not known to the config alone)."""
    problems = [
        f"sidecars.{x.name}.secrets: {key} is not in {target.service.env_sample}"
        for x in s.sidecars
        for key in x.secrets
        if key not in keys
    ]
    problems += [
        f"sidecars.{x.name}: the app's container is named {x.name!r} (.gitlift)"
        for x in s.sidecars
        if x.name == target.container
    ]
    if problems:
        raise ValidationError(
            "the sidecars cannot run:\n  " + "\n  ".join(problems),
            hint=f"add the key to {target.service.env_sample}, or git lift service edit "
            f"-e {target.env} -s {target.name}",
        )


def _sidecars(c: Checker, value: object, path: str) -> tuple[Sidecar, ...]:
    if not isinstance(value, list):
        c.add(
            path, f'expected an array like [{{"name": "proxy", "image": "..."}}], got {kind(value)}'
        )
        return ()
    return tuple(s for i, item in enumerate(value) if (s := _sidecar(c, item, f"{path}[{i}]")))


def _sidecar(c: Checker, value: object, path: str) -> Sidecar | None:
    known = tuple(Sidecar.__dataclass_fields__)
    obj = c.fields(value, path, known, required=("name", "image"))
    if obj is None:
        return None
    memory = obj.get("memory")
    s = Sidecar(
        name=c.string(obj, "name", path, ""),
        image=c.string(obj, "image", path, ""),
        essential=c.boolean(obj, "essential", path, True),
        command=containercfg.command_list(c, obj.get("command"), f"{path}.command", '["run"]'),
        port_mappings=_ports(c, obj.get("port_mappings", []), f"{path}.port_mappings"),
        environment=containercfg.environment(c, obj.get("environment", {}), f"{path}.environment"),
        secrets=c.strings(obj, "secrets", path, ()),
        depends_on=_dependencies(c, obj.get("depends_on", []), f"{path}.depends_on"),
        health_check=None
        if obj.get("health_check") is None
        else containercfg.health_check(c, obj["health_check"], f"{path}.health_check"),
        # ecs ContainerDefinition.cpu (Fargate): "the total amount of CPU reserved for all
        # containers within a task be lower than the task-level cpu value" (_check_shares).
        cpu=c.integer(obj, "cpu", path, 0, 0, 16384),
        # ecs ContainerDefinition.memory: "don't specify less than 6 MiB".
        memory=None if memory is None else c.integer(obj, "memory", path, 6, 6, 122880),
    )
    if not c.failed(f"{path}.name") and not NAME.match(s.name):
        c.add(f"{path}.name", f"{s.name!r} is not a container name (letters, digits, _, -)")
    if not c.failed(f"{path}.image") and not _TAGGED.match(s.image):
        # Pinned by digest at ship: a tag (resolved then) or a digest, never docker's "latest".
        c.add(f"{path}.image", f"{s.image!r} names no tag or digest, like {IMAGE_EXAMPLE}")
    for i, key in enumerate(s.secrets):
        if not containercfg.ENV_VAR.match(key):
            c.add(f"{path}.secrets[{i}]", f"{key!r} is not an env.sample key name")
    return s


def _ports(c: Checker, value: object, path: str) -> tuple[PortMapping, ...]:
    if not isinstance(value, list):
        c.add(path, f'expected an array like [{{"container_port": 9901}}], got {kind(value)}')
        return ()
    found = []
    for i, item in enumerate(value):
        where = f"{path}[{i}]"
        obj = c.fields(item, where, ("container_port", "protocol"), required=("container_port",))
        if obj is None:
            continue
        port = PortMapping(
            c.integer(obj, "container_port", where, 80, 1, 65535),
            c.string(obj, "protocol", where, "tcp"),
        )
        if port.protocol not in PROTOCOLS and not c.failed(f"{where}.protocol"):
            c.add(f"{where}.protocol", f"{port.protocol!r} is not one of {', '.join(PROTOCOLS)}")
        found.append(port)
    return tuple(found)


def _dependencies(c: Checker, value: object, path: str) -> tuple[Dependency, ...]:
    if not isinstance(value, list):
        c.add(
            path,
            f'expected an array like [{{"container": "proxy", "condition": "HEALTHY"}}], '
            f"got {kind(value)}",
        )
        return ()
    found = []
    for i, item in enumerate(value):
        where = f"{path}[{i}]"
        obj = c.fields(item, where, ("container", "condition"), required=("container",))
        if obj is None:
            continue
        d = Dependency(
            c.string(obj, "container", where, ""), c.string(obj, "condition", where, "START")
        )
        if d.condition not in CONDITIONS and not c.failed(f"{where}.condition"):
            c.add(f"{where}.condition", f"{d.condition!r} is not one of {', '.join(CONDITIONS)}")
        found.append(d)
    return tuple(found)


def _log_router(c: Checker, value: object, path: str) -> LogRouter | None:
    obj = c.fields(value, path, ("type", "options", "image"), required=("type",))
    if obj is None:
        return None
    kind_ = c.string(obj, "type", path, "fluentbit")
    options = obj.get("options", {})
    if not isinstance(options, dict) or not all(isinstance(v, str) for v in options.values()):
        c.add(f"{path}.options", 'expected an object of strings like {"Name": "cloudwatch_logs"}')
        options = {}
    if kind_ not in ROUTER_TYPES and not c.failed(f"{path}.type"):
        c.add(f"{path}.type", f"{kind_!r} is not one of {', '.join(ROUTER_TYPES)}")
    if kind_ != "fluentbit" and "image" not in obj:
        c.add(f"{path}.image", f"required for a {kind_} router (the default is Fluent Bit's)")
    image = c.string(obj, "image", path, FLUENT_BIT_IMAGE)
    return LogRouter(kind_, {str(k): str(v) for k, v in options.items()}, image)


def _check_names(c: Checker, s: Sidecars, app_checked: bool) -> None:
    seen: set[str] = set()
    for i, x in enumerate(s.sidecars):
        if x.name in (APP, LOG_ROUTER):
            c.add(f"$.sidecars[{i}].name", f"{x.name!r} is reserved (the app, the log router)")
        elif x.name in seen:
            c.add(f"$.sidecars[{i}].name", f"{x.name!r} is the name of another sidecar")
        seen.add(x.name)
    known = names(s)
    paths = [("$.depends_on", APP, s.depends_on)]
    paths += [
        (f"$.sidecars[{i}].depends_on", x.name, x.depends_on) for i, x in enumerate(s.sidecars)
    ]
    for path, own, deps in paths:
        for j, d in enumerate(deps):
            if d.container == own:
                c.add(f"{path}[{j}].container", f"{own!r} cannot wait for itself")
            elif d.container not in known:
                c.add(f"{path}[{j}].container", f"{d.container!r} is not one of {', '.join(known)}")
            else:
                _check_condition(c, f"{path}[{j}].condition", s, d, app_checked)


def _check_condition(c: Checker, path: str, s: Sidecars, d: Dependency, app_checked: bool) -> None:
    """ecs ContainerDependency: HEALTHY "requires that the dependent container has health
    checks configured"; COMPLETE and SUCCESS "can't be set on an essential container"."""
    other = {x.name: x for x in s.sidecars}.get(d.container)
    checked = app_checked if d.container == APP else bool(other and other.health_check)
    essential = other.essential if other else True  # the app and the router are essential
    if d.condition == "HEALTHY" and not checked:
        c.add(path, f"HEALTHY needs a health_check on {d.container!r}")
    if d.condition in ("COMPLETE", "SUCCESS") and essential:
        c.add(path, f"{d.condition} needs {d.container!r} not essential (it exits)")


def _check_cycles(c: Checker, s: Sidecars) -> None:
    """ECS refuses a task whose containers wait for each other in a circle; said offline."""
    graph = {APP: [d.container for d in app_dependencies(s)]}
    graph.update({x.name: [d.container for d in x.depends_on] for x in s.sidecars})
    done: set[str] = set()

    def visit(node: str, trail: list[str]) -> list[str] | None:
        if node in trail:
            return [*trail[trail.index(node) :], node]
        if node in done:
            return None
        for nxt in graph.get(node, []):
            if cycle := visit(nxt, [*trail, node]):
                return cycle
        done.add(node)
        return None

    for start in graph:
        if cycle := visit(start, []):
            c.add(
                "$.depends_on" if APP in cycle else "$.sidecars",
                f"containers wait for each other in a circle: {' -> '.join(cycle)}",
            )
            return


def _check_shares(c: Checker, s: Sidecars, cpu: int, memory: int) -> None:
    """The sidecars' cpu and memory come out of the task's (ECS: the containers' total must
    be lower than the task's): the app needs some left."""
    used_cpu = sum(x.cpu for x in s.sidecars)
    used_memory = sum(x.memory or 0 for x in s.sidecars)
    if used_cpu >= cpu and not c.failed("$.sidecars", "$.cpu"):
        c.add(
            "$.sidecars",
            f"the sidecars take {used_cpu} cpu units of the task's {cpu}; leave the app some",
        )
    if used_memory >= memory and not c.failed("$.sidecars", "$.memory"):
        c.add(
            "$.sidecars",
            f"the sidecars take {used_memory} MiB of the task's {memory}; leave the app some",
        )
