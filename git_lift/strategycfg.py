"""The deployment strategy part of the service config (`deployment.strategy` and its fields):
rolling, blue_green, canary, linear, and the CloudWatch alarms that roll a deployment back; pure.

servicecfg's deployment reader calls `read` with its Checker, so each mistake is named with its
JSON path among the others. The ranges are ECS's, from botocore's ecs model (service-2.json:
DeploymentConfiguration, CanaryConfiguration, LinearConfiguration, DeploymentStrategy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from git_lift.jsoncheck import Checker, kind

# Our name -> ecs DeploymentStrategy.
ECS_STRATEGIES = {
    "rolling": "ROLLING",
    "blue_green": "BLUE_GREEN",
    "canary": "CANARY",
    "linear": "LINEAR",
}
STRATEGIES = tuple(ECS_STRATEGIES)
# The strategies that move load balancer traffic between two target groups.
TRAFFIC_SHIFTING = ("blue_green", "canary", "linear")
# `"alarms": "generated"`: a 5xx-rate and an unhealthy-host alarm made in the service stack.
GENERATED = "generated"
# CanaryConfiguration.canaryPercent: multiples of 0.1 from 0.1 to 100.0 (default 5.0);
# LinearConfiguration.stepPercent: multiples of 0.1 from 3.0 to 100.0 (default 10.0); both
# bake times 0 to 1440 minutes (defaults 10 and 6). bakeTimeInMinutes takes the same range
# (ECS developer guide, "Amazon ECS blue/green deployments").
CANARY_PERCENT = (0.1, 100.0, 5.0)  # low, high, default
STEP_PERCENT = (3.0, 100.0, 10.0)
BAKE_MINUTES = (0, 1440)
# CloudWatch PutMetricAlarm: AlarmName is 1-255 characters.
ALARM_NAME_MAX = 255


@dataclass(frozen=True)
class Canary:
    percent: float = 5.0
    bake_minutes: int = 10


@dataclass(frozen=True)
class Linear:
    step_percent: float = 10.0
    interval_minutes: int = 6


@dataclass(frozen=True)
class Strategy:
    """The strategy fields of servicecfg.Deployment, read together (servicecfg spreads them).
    `canary` and `linear` are read whatever the strategy and used only by their own."""

    strategy: str = "rolling"
    bake_minutes: int = 0
    canary: Canary = field(default_factory=Canary)
    linear: Linear = field(default_factory=Linear)
    # CloudWatch alarm names, or GENERATED; any alarm in ALARM rolls the deployment back.
    alarms: tuple[str, ...] | str = ()


NAMES = ("strategy", "bake_minutes", "canary", "linear", "alarms")


def read(c: Checker, obj: dict[str, object], path: str) -> Strategy:
    strategy = c.string(obj, "strategy", path, "rolling")
    if strategy not in STRATEGIES and not c.failed(f"{path}.strategy"):
        c.add(f"{path}.strategy", f"{strategy!r} is not one of {', '.join(STRATEGIES)}")
        strategy = "rolling"
    return Strategy(
        strategy=strategy,
        bake_minutes=c.integer(obj, "bake_minutes", path, 0, *BAKE_MINUTES),
        canary=_canary(c, obj.get("canary", {}), f"{path}.canary"),
        linear=_linear(c, obj.get("linear", {}), f"{path}.linear"),
        alarms=_alarms(c, obj.get("alarms", []), f"{path}.alarms"),
    )


def check_needs_http(c: Checker, s: Strategy, has_http: bool, path: str) -> None:
    """Traffic shifting and the generated alarms work on the load balancer's target groups: a
    worker (no http_interface) has none."""
    if has_http:
        return
    if s.strategy in TRAFFIC_SHIFTING:
        c.add(
            f"{path}.strategy",
            f"{s.strategy} shifts load balancer traffic and needs an http_interface; "
            'a worker uses "rolling"',
        )
    if s.alarms == GENERATED:
        c.add(f"{path}.alarms", '"generated" watches the load balancer and needs an http_interface')


def _percent(
    c: Checker, obj: dict[str, object], key: str, path: str, bounds: tuple[float, float, float]
) -> float:
    low, high, default = bounds
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        c.add(f"{path}.{key}", f"expected a number, got {kind(value)}")
        return default
    tenths = value * 10
    if not low <= value <= high or not math.isclose(tenths, round(tenths), abs_tol=1e-9):
        c.add(f"{path}.{key}", f"{value} is not a multiple of 0.1 from {low} to {high}")
    return value


def _canary(c: Checker, value: object, path: str) -> Canary:
    obj = c.fields(value, path, ("percent", "bake_minutes"))
    if obj is None:
        return Canary()
    return Canary(
        percent=_percent(c, obj, "percent", path, CANARY_PERCENT),
        bake_minutes=c.integer(obj, "bake_minutes", path, 10, *BAKE_MINUTES),
    )


def _linear(c: Checker, value: object, path: str) -> Linear:
    obj = c.fields(value, path, ("step_percent", "interval_minutes"))
    if obj is None:
        return Linear()
    return Linear(
        step_percent=_percent(c, obj, "step_percent", path, STEP_PERCENT),
        interval_minutes=c.integer(obj, "interval_minutes", path, 6, *BAKE_MINUTES),
    )


def _alarms(c: Checker, value: object, path: str) -> tuple[str, ...] | str:
    if value == GENERATED:
        return GENERATED
    example = f'["api-5xx", "api-latency"] or "{GENERATED}"'
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        c.add(
            path, f"expected an array of CloudWatch alarm names like {example}, got {kind(value)}"
        )
        return ()
    for i, name in enumerate(value):
        if not 1 <= len(name) <= ALARM_NAME_MAX:
            c.add(f"{path}[{i}]", f"an alarm name is 1-{ALARM_NAME_MAX} characters")
    for dup in sorted({n for n in value if value.count(n) > 1}):
        c.add(path, f"{dup!r} is named more than once")
    return tuple(value)


def of(deployment: object) -> Strategy:
    """The strategy fields of a servicecfg.Deployment (which holds them spread out)."""
    return Strategy(**{name: getattr(deployment, name) for name in NAMES})
