"""The scaling part of the service config: `autoscaling` (bounds, target-tracking targets,
cooldowns) and `capacity` (the capacity provider strategy); pure.

servicecfg.parse calls `read_autoscaling` and `read_capacity` with its Checker, so each mistake
is named with its JSON path among the others. Kept per service so that each process of a
service can carry its own later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from git_lift.errors import UsageError
from git_lift.jsoncheck import Checker, kind

# application-autoscaling TargetTrackingScalingPolicyConfiguration: cooldowns are seconds
# (0 to 2^31-1 in the model); 1 day is a generous sanity bound for a person's typo.
COOLDOWN_MAX = 86400
# ECS CapacityProviderStrategyItem: weight 0-1000, base 0-100000 (botocore ecs service-2.json).
WEIGHT_MAX = 1000
BASE_MAX = 100000
PROVIDERS = ("FARGATE", "FARGATE_SPOT")
# SQS queue names: 1-80 letters, digits, - and _, ".fifo" for a FIFO queue (SQS CreateQueue).
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,75}(\.fifo)?$|^[A-Za-z0-9_-]{1,80}$")
_QUEUE_ARN = re.compile(r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:(?P<name>[A-Za-z0-9_.-]{1,80})$")
TARGETS = ("cpu_target", "memory_target", "requests_per_target", "queue")


@dataclass(frozen=True)
class QueueTarget:
    """Backlog per task: the queue's visible messages divided by the service's running tasks
    (AWS's "Scaling policy based on Amazon SQS"), kept near `messages_per_task`."""

    name: str  # a queue name or ARN, as written
    messages_per_task: int = 10

    @property
    def queue_name(self) -> str:
        """The QueueName dimension of SQS's metrics."""
        found = _QUEUE_ARN.match(self.name)
        return found.group("name") if found else self.name


@dataclass(frozen=True)
class Autoscaling:
    min: int = 1
    max: int = 4
    # Each target is one target-tracking policy; null turns CPU tracking (the default) off.
    cpu_target: int | None = 60
    memory_target: int | None = None
    requests_per_target: int | None = None  # ALB requests per task a minute: http_interface only
    queue: QueueTarget | None = None
    # Scale out fast, in slowly: a traffic spike should not flap the task count.
    scale_out_cooldown: int = 60
    scale_in_cooldown: int = 300


@dataclass(frozen=True)
class CapacityItem:
    provider: str  # FARGATE or FARGATE_SPOT; the environment's cluster has both
    weight: int = 1
    base: int = 0


DEFAULT_CAPACITY = (CapacityItem("FARGATE", 1, 0),)
_AUTOSCALING_FIELDS = (
    "min",
    "max",
    *TARGETS,
    "scale_out_cooldown",
    "scale_in_cooldown",
)


def read_autoscaling(c: Checker, value: object, path: str) -> Autoscaling | None:
    obj = c.fields(value, path, _AUTOSCALING_FIELDS, required=("min", "max"))
    if obj is None:
        return None
    a = Autoscaling(
        min=c.integer(obj, "min", path, 1, 0, 1000),
        max=c.integer(obj, "max", path, 4, 1, 1000),
        cpu_target=_percent(c, obj, "cpu_target", path, 60),
        memory_target=_percent(c, obj, "memory_target", path, None),
        # The ALB counts requests a minute per target; 1 to a million is every sane value.
        requests_per_target=_optional_int(c, obj, "requests_per_target", path, 1, 1000000),
        queue=_queue(c, obj.get("queue"), f"{path}.queue"),
        scale_out_cooldown=c.integer(obj, "scale_out_cooldown", path, 60, 0, COOLDOWN_MAX),
        scale_in_cooldown=c.integer(obj, "scale_in_cooldown", path, 300, 0, COOLDOWN_MAX),
    )
    if not c.failed(f"{path}.min", f"{path}.max") and a.min > a.max:
        c.add(f"{path}.min", f"{a.min} is greater than max ({a.max})")
    if not any(getattr(a, t) is not None for t in TARGETS) and not c.failed(path):
        c.add(path, f"has no target; give one of {', '.join(TARGETS)}")
    if a.queue is not None and a.min < 1 and not c.failed(f"{path}.min"):
        # Backlog per task divides by the running tasks: with none it has no value, and
        # target tracking never scales out of 0 on it.
        c.add(f"{path}.min", "must be 1 or more with queue (backlog per task needs a task)")
    return a


def _percent(
    c: Checker, obj: dict[str, object], key: str, path: str, default: int | None
) -> int | None:
    if key in obj and obj[key] is None:
        return None
    if key not in obj and default is None:
        return None
    return c.integer(obj, key, path, default or 0, 1, 100)


def _optional_int(
    c: Checker, obj: dict[str, object], key: str, path: str, low: int, high: int
) -> int | None:
    return None if obj.get(key) is None else c.integer(obj, key, path, low, low, high)


def _queue(c: Checker, value: object, path: str) -> QueueTarget | None:
    if value is None:
        return None
    obj = c.fields(value, path, ("name", "messages_per_task"), required=("name",))
    if obj is None:
        return None
    q = QueueTarget(
        name=c.string(obj, "name", path, ""),
        messages_per_task=c.integer(obj, "messages_per_task", path, 10, 1, 1000000),
    )
    if not c.failed(f"{path}.name") and not (_QUEUE_NAME.match(q.name) or _QUEUE_ARN.match(q.name)):
        c.add(
            f"{path}.name",
            f"{q.name!r} is not an SQS queue name (letters, digits, -, _, 80 max) "
            "or ARN like arn:aws:sqs:eu-west-1:123456789012:jobs",
        )
    return q


def read_capacity(c: Checker, value: object, path: str) -> tuple[CapacityItem, ...]:
    if value is None:
        return DEFAULT_CAPACITY
    example = '[{"provider": "FARGATE", "base": 1}, {"provider": "FARGATE_SPOT", "weight": 3}]'
    if not isinstance(value, list) or not value:
        c.add(path, f"expected a non-empty array like {example}, got {kind(value)}")
        return DEFAULT_CAPACITY
    items = tuple(i for n, v in enumerate(value) if (i := _capacity_item(c, v, f"{path}[{n}]")))
    if c.failed(path):
        return items or DEFAULT_CAPACITY
    providers = [i.provider for i in items]
    for dup in sorted({p for p in providers if providers.count(p) > 1}):
        c.add(path, f"{dup} is listed more than once")
    # ECS CapacityProviderStrategyItem: "Only one capacity provider in a capacity provider
    # strategy can have a base defined", and a strategy whose weights are all 0 places no task.
    if sum(1 for i in items if i.base > 0) > 1:
        c.add(path, "more than one provider has a base; ECS takes a base on one provider only")
    if all(i.weight == 0 for i in items):
        c.add(path, "every weight is 0; give at least one provider a weight of 1 or more")
    return items


def _capacity_item(c: Checker, value: object, path: str) -> CapacityItem | None:
    obj = c.fields(value, path, ("provider", "weight", "base"), required=("provider",))
    if obj is None:
        return None
    item = CapacityItem(
        provider=c.string(obj, "provider", path, "FARGATE"),
        weight=c.integer(obj, "weight", path, 1, 0, WEIGHT_MAX),
        base=c.integer(obj, "base", path, 0, 0, BASE_MAX),
    )
    if not c.failed(f"{path}.provider") and item.provider not in PROVIDERS:
        c.add(f"{path}.provider", f"{item.provider!r} is not one of {', '.join(PROVIDERS)}")
    return item


def check_with_service(
    c: Checker, a: Autoscaling | None, desired_count: int, has_http: bool
) -> None:
    """The rules between autoscaling and the rest of the service config."""
    if a is None or c.failed("$.autoscaling"):
        return
    if not c.failed("$.desired_count") and not a.min <= desired_count <= a.max:
        c.add("$.desired_count", f"{desired_count} is outside autoscaling {a.min}-{a.max}")
    if a.requests_per_target is not None and not has_http:
        # ALBRequestCountPerTarget needs the service's target group.
        c.add(
            "$.autoscaling.requests_per_target",
            "needs http_interface (a worker has no load balancer); use cpu_target or queue",
        )


def rescale(
    doc: dict[str, object],
    *,
    desired: int | None,
    low: int | None,
    high: int | None,
    command: str,
) -> dict[str, object]:
    """The document with `git lift scale`'s desired count and bounds; UsageError when the
    numbers contradict each other or the document (`command` is the scale command line, for
    hints). servicecfg.parse checks the rest as for any edit."""
    if desired is None and low is None and high is None:
        raise UsageError(
            "nothing to change: give the desired count N, --min or --max",
            hint=f"{command} 3 (or {command} --min 2 --max 10)",
        )
    new = dict(doc)
    found = doc.get("autoscaling")
    current = dict(found) if isinstance(found, dict) else None
    if current is None and (low is not None or high is not None):
        raise UsageError(
            "--min and --max set autoscaling's bounds, and this service has no autoscaling",
            hint="add autoscaling with git lift service edit, or give the desired count alone",
        )
    if desired is not None and current is not None:
        # The template leaves DesiredCount to autoscaling (templates/service.py): a count set
        # by hand would last until autoscaling's next move; its floor lasts.
        top = current.get("max")
        wider = f" --max {desired}" if isinstance(top, int) and desired > top else ""
        raise UsageError(
            f"autoscaling sets this count ({current.get('min')}-{top}): --min and --max "
            "set its bounds, not N",
            hint=f"{command} --min {desired}{wider} (autoscaling keeps at least that many tasks)",
        )
    if desired is not None:
        new["desired_count"] = desired
    if current is None:
        return new
    bottom = low if low is not None else current.get("min")
    top = high if high is not None else current.get("max")
    if isinstance(bottom, int) and isinstance(top, int):
        if bottom > top:
            raise UsageError(
                f"min {bottom} is greater than max {top}",
                hint=f"{command} --min {top} (or a --max of {bottom} or more)",
            )
        # desired_count stays inside the bounds (servicecfg checks it): the count a process
        # waiting for its first release starts at (process_steps.first_count).
        count = doc.get("desired_count", 1)
        if isinstance(count, int) and not bottom <= count <= top:
            new["desired_count"] = min(max(count, bottom), top)
    current.update({k: v for k, v in (("min", low), ("max", high)) if v is not None})
    new["autoscaling"] = current
    return new
