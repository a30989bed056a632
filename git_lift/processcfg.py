"""Processes in the service config (`processes`): workers that run the service's image and
config with their own command, size, count, autoscaling and capacity; pure.

The service config's own fields are the `web` process (HTTP interface, health checks,
deployment strategy, release command, jobs); `processes` names the others:

    "processes": {"worker": {"command": ["bin/worker"], "cpu": 512, "memory": 1024}}

Each is an ECS service and task family of its own in the service's stack (Target.for_process
names them). servicecfg.parse calls `read` with its Checker, so that each mistake is named
with its JSON path among the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from git_lift import scalingcfg
from git_lift.errors import UsageError
from git_lift.jsoncheck import Checker, kind
from git_lift.names import PROCESS_MAX, PROCESS_NAME
from git_lift.scalingcfg import Autoscaling, CapacityItem
from git_lift.target import WEB

# The web process's fields another process has no use for: the container health check is
# web's command's (a worker's command answers no check of web's), and the deployment
# strategy, release command and jobs are the whole service's.
WEB_ONLY = ("health_check", "deployment", "release_command", "jobs", "processes")
FIELDS = ("command", "cpu", "memory", "desired_count", "autoscaling", "capacity", "http_interface")
H = TypeVar("H")  # servicecfg.HttpInterface, which servicecfg reads (it imports this module)
ReadHttp = Callable[[Checker, object, str], H | None]


@dataclass(frozen=True)
class Process(Generic[H]):
    command: tuple[str, ...]
    cpu: int = 256
    memory: int = 512
    desired_count: int = 1
    autoscaling: Autoscaling | None = None
    capacity: tuple[CapacityItem, ...] = scalingcfg.DEFAULT_CAPACITY
    http_interface: H | None = None  # None: a worker, no load balancer


def logical_prefix(name: str) -> str:
    """The process's resources' logical IDs start with it: `queue-consumer` ->
    `QueueConsumer` (CloudFormation logical IDs are alphanumeric)."""
    return "".join(part.capitalize() for part in name.split("-"))


def read(
    c: Checker, value: object, read_http: ReadHttp[H], path: str = "$.processes"
) -> dict[str, Process[H]]:
    """`read_http`: servicecfg's reader of an `http_interface`."""
    if not isinstance(value, dict):
        example = '{"worker": {"command": ["bin/worker"]}}'
        c.add(path, f"expected an object like {example}, got {kind(value)}")
        return {}
    processes: dict[str, Process[H]] = {}
    seen: dict[str, str] = {}
    for name, item in value.items():
        where = f"{path}.{name}"
        if name == WEB:
            c.add(
                where,
                "web is the service config's own fields (command, cpu, http_interface...): "
                "set them at the top level",
            )
            continue
        if not PROCESS_NAME.match(str(name)):
            c.add(
                where,
                f"a process name is 1-{PROCESS_MAX} lowercase letters, digits and hyphens, "
                "starting with a letter (like worker)",
            )
            continue
        prefix = logical_prefix(name)
        if prefix in seen:
            c.add(where, f"reads as {seen[prefix]!r} in the stack's logical IDs; rename one")
            continue
        seen[prefix] = name
        found = _process(c, item, where, read_http)
        if found is not None:
            processes[str(name)] = found
    return processes


def _process(c: Checker, value: object, path: str, read_http: ReadHttp[H]) -> Process[H] | None:
    if isinstance(value, dict):
        for key in WEB_ONLY:
            if key in value:
                c.add(
                    f"{path}.{key}",
                    f"a process other than web has no {key}: it is web's (the service "
                    "config's top level)",
                )
        value = {k: v for k, v in value.items() if k not in WEB_ONLY}
    obj = c.fields(value, path, FIELDS, required=("command",))
    if obj is None:
        return None
    command = c.command(obj, path, '["bin/worker"]')
    autoscaling, http = obj.get("autoscaling"), obj.get("http_interface")
    p = Process(
        command=command,
        cpu=c.integer(obj, "cpu", path, 256, 256, 16384),
        memory=c.integer(obj, "memory", path, 512, 512, 122880),
        desired_count=c.integer(obj, "desired_count", path, 1, 0, 1000),
        autoscaling=None
        if autoscaling is None
        else scalingcfg.read_autoscaling(c, autoscaling, f"{path}.autoscaling"),
        capacity=scalingcfg.read_capacity(c, obj.get("capacity"), f"{path}.capacity"),
        http_interface=None if http is None else read_http(c, http, f"{path}.http_interface"),
    )
    a = p.autoscaling
    if a is not None and not c.failed(f"{path}.autoscaling", f"{path}.desired_count"):
        if not a.min <= p.desired_count <= a.max:
            outside = f"{p.desired_count} is outside autoscaling {a.min}-{a.max}"
            c.add(f"{path}.desired_count", outside)
        if a.requests_per_target is not None and p.http_interface is None:
            # ALBRequestCountPerTarget needs a target group, and a worker has none.
            c.add(
                f"{path}.autoscaling.requests_per_target",
                "needs http_interface (a worker has no load balancer); use cpu_target or queue",
            )
    return p


def rescale(
    doc: dict[str, object],
    process: str,
    *,
    desired: int | None,
    low: int | None,
    high: int | None,
    command: str,
    owner: str = "the service config",
    env: str | None = None,
) -> dict[str, object]:
    """`git lift scale --process P`: scalingcfg.rescale on the process's own fields (web's are
    the document's top level); UsageError naming the processes there are when P is none."""
    if process == WEB:
        return scalingcfg.rescale(doc, desired=desired, low=low, high=high, command=command)
    found = doc.get("processes")
    processes = dict(found) if isinstance(found, dict) else {}
    own = processes.get(process)
    if not isinstance(own, dict):
        raise unknown_process(owner, process, processes, env)
    processes[process] = scalingcfg.rescale(
        own, desired=desired, low=low, high=high, command=command
    )
    return {**doc, "processes": processes}


def unheeded_counts(old: dict[str, object] | None, new: dict[str, object]) -> list[str]:
    """A line for each process (web first) whose desired_count an edit changes while its
    autoscaling stays as it was: the stack leaves an autoscaled count alone
    (templates/service.py), so the new number changes nothing that runs."""
    before = dict(_each_process(old)) if old is not None else {}
    lines = []
    for name, fields in _each_process(new):
        a, was = fields.get("autoscaling"), before.get(name)
        if not isinstance(a, dict) or was is None or a != was.get("autoscaling"):
            continue
        if fields.get("desired_count") != was.get("desired_count"):
            lines.append(
                f"{name} autoscales ({a.get('min')}-{a.get('max')}): its desired_count changes "
                "no running count; autoscaling.min is the fewest tasks it runs"
            )
    return lines


def _each_process(doc: dict[str, object]) -> list[tuple[str, dict[str, object]]]:
    found = doc.get("processes")
    others = sorted(found.items()) if isinstance(found, dict) else []
    return [(WEB, doc), *((k, v) for k, v in others if isinstance(v, dict))]


def unknown_process(owner: str, process: str, known: Iterable[str], env: str | None) -> UsageError:
    """`--process P` naming none of the service config's processes (scale, run, logs): one
    message, with the processes there are and the command that adds one."""
    names = ", ".join([WEB, *sorted(known)])
    edit = f"git lift service edit -e {env}" if env else "git lift service edit"
    return UsageError(
        f"{owner} has no process {process!r} (its processes: {names})",
        hint=f"name one of them, or add it to processes: {edit}",
    )
